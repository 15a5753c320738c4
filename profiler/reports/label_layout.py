"""Where a chart's point labels go so that none covers another (the window's cost-versus-time
chart and the HTML report's). Pure arithmetic in the caller's units (decades of the window's
log axes, pixels of an SVG); y grows upwards (an SVG caller passes -y).

Each label may sit right or left of its point, above or below it; the first free spot in
order of preference wins: above before below, and on each level the preferred side first
(right of the point, left of it past the chart's ``middle``, so that labels stay inside the
plot). A label that must move keeps touching its own point, so it is never read as another's.
"""

from __future__ import annotations

from collections.abc import Sequence

#: a label: x, y of its point, then the width and height of its text
Box = tuple[float, float, float, float]
#: left, right, bottom, top
Rect = tuple[float, float, float, float]
#: a spot beside the point: (left of it, below it)
Spot = tuple[bool, bool]
#: the gap between a point and its label: a share of the label's width and height
GAP_X, GAP_Y = 0.06, 0.1


def label_rect(box: Box, leftwards: bool, below: bool) -> Rect:
    """Where the label of ``box`` lies at the spot (``leftwards``, ``below``)."""
    x, y, w, h = box
    left = x - (1 + GAP_X) * w if leftwards else x + GAP_X * w
    bottom = y - (1 + GAP_Y) * h if below else y + GAP_Y * h
    return left, left + w, bottom, bottom + h


def overlaps(a: Rect, b: Rect) -> bool:
    return not (a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2])


def place_labels(boxes: Sequence[Box], middle: float, keep_all: bool = True, avoid: Sequence[Rect] = (),
                 within: tuple[float, float] | None = None, markers: Sequence[Rect] = ()) -> list[Spot | None]:
    """The spot of each label in turn: the first that overlaps no label placed before it,
    nothing in ``avoid`` (a title, an axis label), no other point's marker (``markers``, one
    per box, when given; a point drawn on the very same spot counts as its own) and stays
    ``within`` (left, right: the plot) when given. When none is free: the preferred spot with
    ``keep_all``, else None (the label is left out)."""
    placed: list[Rect] = list(avoid)
    out: list[Spot | None] = []
    for n, box in enumerate(boxes):
        side = box[0] > middle
        spots = [(side, False), (not side, False), (side, True), (not side, True)]
        rects = [label_rect(box, *spot) for spot in spots]
        others = [m for k, m in enumerate(markers) if k != n and m != markers[n]]
        free = [i for i, rect in enumerate(rects)
                if not any(overlaps(rect, other) for other in (*placed, *others))
                and (within is None or (within[0] <= rect[0] and rect[1] <= within[1]))]
        if not free and not keep_all:
            out.append(None)
            continue
        chosen = free[0] if free else 0
        placed.append(rects[chosen])
        out.append(spots[chosen])
    return out
