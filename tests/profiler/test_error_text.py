"""``first_line``: the one way an exception becomes one line of a message."""

from __future__ import annotations

from profiler.error_text import first_line


def test_names_the_type_and_keeps_only_the_first_line() -> None:
    assert first_line(ValueError("bad width\n  more detail")) == "ValueError: bad width"
    assert first_line(ValueError("  bad width  \nmore"), named=False) == "bad width"


def test_an_exception_without_a_message_is_its_type_name() -> None:
    assert first_line(KeyboardInterrupt()) == "KeyboardInterrupt"
    assert first_line(RuntimeError("   \n"), named=False) == "RuntimeError"


def test_a_long_message_is_cut_to_the_limit_and_says_so() -> None:
    text = first_line(RuntimeError("x" * 500), 100, named=False)
    assert len(text) == 100 and text.endswith("...")
    assert first_line(RuntimeError("y" * 100), 100, named=False) == "y" * 100
    assert first_line(OSError("z" * 500), 50) == "OSError: " + "z" * 47 + "..."
