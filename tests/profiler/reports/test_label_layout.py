"""Chart labels go to a free spot around their point, never over another label."""

from __future__ import annotations

from profiler.reports.label_layout import label_rect, overlaps, place_labels

# four labels 1 unit wide, 0.1 high; the first three at one height, close together
BOXES = [(1.0, 0.0, 1.0, 0.1), (1.5, 0.0, 1.0, 0.1), (1.6, 0.0, 1.0, 0.1), (4.0, 2.0, 1.0, 0.1)]


def test_each_label_takes_the_first_free_spot_in_order_of_preference() -> None:
    spots = place_labels(BOXES, middle=3.0)
    assert spots[0] == (False, False)  # right of its point, above: the preferred spot
    assert spots[1] == (False, True)   # above, right or left, would cover the first: below, right
    assert spots[2] == (True, True)    # both right-hand spots are taken: left, and left-above holds the first
    assert spots[3] == (True, False)   # past the middle: left of its point, nothing in the way
    rects = [label_rect(b, *spot) for b, spot in zip(BOXES, spots, strict=True) if spot is not None]
    assert not any(overlaps(a, b) for i, a in enumerate(rects) for b in rects[i + 1:])


def test_with_no_free_spot_a_label_takes_its_preferred_one_or_is_left_out() -> None:
    crowd = [(1.0, 0.0, 5.0, 0.1)] * 5  # every spot of the fifth is taken by the first four
    assert place_labels(crowd, middle=3.0)[4] == (False, False)  # the window: never an error, never lost
    assert place_labels(crowd, middle=3.0, keep_all=False) == [(False, False), (True, False), (False, True),
                                                                (True, True), None]  # the report: left out


def test_a_label_stays_inside_the_plot() -> None:
    near_edge = [(9.5, 0.0, 1.0, 0.1)]  # left of the middle: right is preferred, but would leave the plot
    assert place_labels(near_edge, middle=10.0) == [(False, False)]
    assert place_labels(near_edge, middle=10.0, within=(0.0, 10.0)) == [(True, False)]


def test_a_label_beside_its_point_leaves_a_gap() -> None:
    left, right, bottom, top = label_rect((10.0, 5.0, 2.0, 1.0), leftwards=False, below=False)
    assert (left, right) == (10.12, 12.12) and (bottom, top) == (5.1, 6.1)
    left, right, bottom, top = label_rect((10.0, 5.0, 2.0, 1.0), leftwards=True, below=True)
    assert right < 10.0 and top < 5.0


def test_the_reports_chart_leaves_out_a_label_that_has_no_free_spot() -> None:
    import re
    from types import SimpleNamespace

    from profiler.analysis.advisor.bands import Band
    from profiler.analysis.advisor.pareto import ChartPoint
    from profiler.reports.advisor_html import LABEL_SIZE, cost_time_chart

    def point(name: str, time_s: float, cost: float) -> ChartPoint:
        return ChartPoint(name.lower(), name, False, Band.exact(time_s), Band.exact(cost), "rent", False)

    crowd = [point(f"GPU {i}", 100.0, 1.0) for i in range(6)]  # six devices on one spot
    apart = [point("Far slow", 1e5, 0.01), point("Far fast", 1.0, 100.0)]
    advice = SimpleNamespace(chart=(*crowd, *apart), constraints=SimpleNamespace(currency="USD"))
    chart = cost_time_chart(advice)  # type: ignore[arg-type]
    labels = re.findall(rf'<text x="[\d.]+" y="[\d.]+" font-size="{LABEL_SIZE}"[^>]*>([^<]+)</text>', chart)
    assert chart.count("<circle") == 8  # every point is drawn and named in its tooltip
    assert len([name for name in labels if name.startswith("GPU ")]) == 4  # four spots around one point
    assert "Far slow" in labels and "Far fast" in labels
    # both axes say what a position means: round times from 1 s to 1 day, decades of money
    assert {"1 s", "1 min", "1 h", "1 day"} <= set(labels) and {"0.01 USD", "1.00 USD", "100 USD"} <= set(labels)


def test_a_label_never_covers_another_point_but_may_touch_its_own() -> None:
    boxes = [(0.0, 0.0, 1.0, 0.1), (0.5, 0.05, 1.0, 0.1)]  # the second point sits where the first's label goes
    markers = [(x - 0.02, x + 0.02, y - 0.02, y + 0.02) for x, y, _w, _h in boxes]
    assert place_labels(boxes, middle=3.0)[0] == (False, False)  # without markers: over the second point
    spots = place_labels(boxes, middle=3.0, markers=markers)
    assert spots[0] != (False, False)
    assert not overlaps(label_rect(boxes[0], *spots[0]), markers[1])
    assert spots[1] == (False, False)  # its own marker is no obstacle
