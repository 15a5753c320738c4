"""Where a run's notice goes: a banner on the page (a warning; the allocator's with its A/B
button), the status bar (information), or, while presenting, only the status bar: an audience
sees the cards' flags, not a developer's banner. GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from profiler.metrics.allocator import ALLOCATOR_PREFIX

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar

    from gui.widgets.message_banner import MessageBanner
    from profiler.results.spec import RunSpec


class NoticeHost(Protocol):
    """What routing a notice uses of the window (``MainWindow`` is one)."""

    @property
    def banner(self) -> MessageBanner: ...
    def statusBar(self) -> QStatusBar: ...
    def presenting(self) -> bool: ...
    def start_allocator_ab(self, spec: RunSpec, rounds: int = 2) -> list[str]: ...


def show_notice(host: NoticeHost, spec: RunSpec | None, run_id: str, kind: str, message: str) -> None:
    """Show one ``RunNotice`` of the run ``run_id`` (``spec`` None: a run this window did not start)."""
    title = spec.title if spec else run_id
    if host.presenting() or kind not in ("warning", "throttle"):
        host.statusBar().showMessage(f"{title}: {message}", 8000)
    elif message.startswith(ALLOCATOR_PREFIX) and spec is not None and not spec.allocator:
        host.banner.show_message("warning", f"{title}: the allocator", message[len(ALLOCATOR_PREFIX):],
                                 action=("Run the allocator A/B", lambda: host.start_allocator_ab(spec)))
    else:
        host.banner.show_message("warning", f"{title}: {kind}", message)
