"""A start the user can follow: the engine's preparing steps, in the window and the CLI."""

from __future__ import annotations

import io

import pytest

from gui.runs.event_ingest import EventIngest
from gui.viewmodel.series_store import SeriesStore
from gui.viewmodel.session import Session
from gui.widgets.start_progress import StartProgressBar
from profiler.cli.progress import ProgressLine
from profiler.events import RunStateChanged, StepFinished
from profiler.metrics.start_progress import START_STEPS, start_progress, step_message
from profiler.results.spec import RunSpec


def test_start_progress_follows_the_engines_steps():
    assert step_message(1) == "step 2 of 4: counting FLOPs"
    first = start_progress("preparing", step_message(0, "building mlp-S on cpu"))
    assert first is not None and first.index == 0 and first.fraction == 0.0 and "building mlp-S" in first.words
    peak = start_progress("preparing", step_message(2))
    assert peak is not None and peak.fraction == pytest.approx(0.5) and peak.words == START_STEPS[2]
    warm = start_progress("warming", step_message(3), warmup_steps=30, warmup_max_steps=60)
    assert warm is not None and warm.fraction == pytest.approx(0.875) and "30 of at most 60 steps" in warm.words
    assert start_progress("measuring", "timed window") is None


def test_the_window_shows_the_step_and_hides_it_once_measuring(qtbot):
    store = SeriesStore()
    ingest = EventIngest(store)
    session = Session()
    session.specs["r1"], session.focus = RunSpec(workload="mlp", warmup_max_steps=10), "r1"
    bar = StartProgressBar()
    qtbot.addWidget(bar)
    ingest(RunStateChanged("r1", "preparing", step_message(1)))
    bar.display(session.start_progress(store))
    assert not bar.isHidden()
    assert bar.label.text() == "Getting ready · step 2 of 4: counting FLOPs" and bar.bar.value() == 25
    ingest(RunStateChanged("r1", "warming", step_message(3)))
    for i in range(5):
        ingest(StepFinished("r1", i, "warmup", 0.1 * i, 0.1, 32, 1.0))
    bar.display(session.start_progress(store))
    assert "5 of at most 10 steps" in bar.label.text() and bar.bar.value() == round(87.5)
    ingest(RunStateChanged("r1", "measuring", "timed window"))
    bar.display(session.start_progress(store))
    assert bar.isHidden()


def test_the_cli_line_shows_the_step_and_its_progress():
    out = io.StringIO()
    line = ProgressLine(RunSpec(workload="mlp"), out)
    line(RunStateChanged("r1", "preparing", step_message(2)))
    assert "50%  step 3/4: finding the hardware peak" in out.getvalue()
