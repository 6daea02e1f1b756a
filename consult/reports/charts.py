"""The report's charts as SVG made on the server: the same picture on the page and in the PDF.

Colours are presentation attributes, not CSS classes, so that the PDF renderer (WeasyPrint,
which draws SVG itself) shows what the browser shows. Each chart carries a <title> and a
<desc>, or is marked decorative where the text beside it gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

# The live pages' group colours (static/css/consult.css), 3:1 against white.
GROUP_COLOURS = ("#1b6ca8", "#b35c00", "#2e7d32", "#8e24aa", "#c62828", "#00796b")
UNGROUPED = "#767676"
AGREE, DISAGREE, PASS = "#0b6e2e", "#a4161a", "#b8b8b8"
INK = "#1a1a1a"

Point = tuple[float, float]


def group_colour(group_id: int | None) -> str:
    return UNGROUPED if group_id is None else GROUP_COLOURS[group_id % len(GROUP_COLOURS)]


def _tag(name: str, attributes: Mapping[str, Any], *children: str) -> str:
    attrs = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for key, value in attributes.items()
        if value is not None
    )
    return f"<{name}{attrs}>{''.join(children)}</{name}>" if children else f"<{name}{attrs}/>"


def _svg(
    width: float, height: float, body: Iterable[str], *, title: str, desc: str, **attributes: Any
) -> Markup:
    return Markup(
        _tag(
            "svg",
            {
                "xmlns": "http://www.w3.org/2000/svg",
                "viewBox": f"0 0 {width:g} {height:g}",
                "width": f"{width:g}",
                "height": f"{height:g}",
                "role": "img",
                **attributes,
            },
            _tag("title", {}, str(escape(title))),
            _tag("desc", {}, str(escape(desc))),
            *body,
        )
    )


# -- the opinion map -------------------------------------------------------------------


def opinion_map(view: Mapping[str, Any], *, title: str, desc: str, size: int = 400) -> Markup:
    """Participants as dots by group, each group outlined and labelled with its letter."""
    points = view.get("points") or []
    groups = view.get("groups") or []
    pad = size * 0.07
    place = _scaler(
        [(p[0], p[1]) for p in points] + [tuple(g["centre"]) for g in groups], size, pad
    )
    body = []
    for group in groups:
        members = [place((p[0], p[1])) for p in points if p[2] == group["id"]]
        if len(members) >= 3:
            colour = group_colour(group["id"])
            outline = " ".join(f"{x:.1f},{y:.1f}" for x, y in convex_hull(members))
            body.append(
                _tag(
                    "polygon",
                    {"points": outline, "fill": colour, "fill-opacity": "0.08", "stroke": colour},
                )
            )
    radius = max(1.5, size / 130)
    body.append(
        _tag(
            "g",
            {},
            *(
                _tag(
                    "circle",
                    {
                        "cx": f"{x:.1f}",
                        "cy": f"{y:.1f}",
                        "r": f"{radius:.1f}",
                        "fill": group_colour(p[2]),
                        "fill-opacity": "0.75",
                    },
                )
                for p in points
                for x, y in [place((p[0], p[1]))]
            ),
        )
    )
    font = max(10, size / 26)
    for group in groups:
        x, y = place(tuple(group["centre"]))
        letter = str(group["label"]).split()[-1]
        body.append(
            _tag(
                "g",
                {},
                _tag(
                    "rect",
                    {
                        "x": f"{x - font:.1f}",
                        "y": f"{y - font * 0.9:.1f}",
                        "width": f"{2 * font:.1f}",
                        "height": f"{1.8 * font:.1f}",
                        "rx": "4",
                        "fill": "#fff",
                        "stroke": group_colour(group["id"]),
                        "stroke-width": "2",
                    },
                ),
                _tag(
                    "text",
                    {
                        "x": f"{x:.1f}",
                        "y": f"{y + font * 0.35:.1f}",
                        "text-anchor": "middle",
                        "font-size": f"{font:.0f}",
                        "font-weight": "700",
                        "fill": INK,
                    },
                    str(escape(letter)),
                ),
            )
        )
    return _svg(size, size, body, title=title, desc=desc, class_="report-map")


def _scaler(points: Sequence[Point], size: float, pad: float) -> Callable[[Point], Point]:
    """Fit the points in a square of `size`, keeping the aspect ratio; y grows upwards."""
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    min_x, max_x = min(*xs, -1e-6), max(*xs, 1e-6)
    min_y, max_y = min(*ys, -1e-6), max(*ys, 1e-6)
    span = max(max_x - min_x, max_y - min_y)
    inner = size - 2 * pad
    offset_x = (inner - (max_x - min_x) / span * inner) / 2
    offset_y = (inner - (max_y - min_y) / span * inner) / 2

    def place(point: Point) -> Point:
        return (
            pad + (point[0] - min_x) / span * inner + offset_x,
            pad + (max_y - point[1]) / span * inner + offset_y,
        )

    return place


def convex_hull(points: Sequence[Point]) -> list[Point]:
    """Andrew's monotone chain: the hull of the points, counter-clockwise."""
    ordered = sorted(set(points))
    if len(ordered) < 3:
        return ordered

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def chain(sequence: Iterable[Point]) -> list[Point]:
        kept: list[Point] = []
        for point in sequence:
            while len(kept) >= 2 and cross(kept[-2], kept[-1], point) <= 0:
                kept.pop()
            kept.append(point)
        return kept

    lower, upper = chain(ordered), chain(reversed(ordered))
    return lower[:-1] + upper[:-1]


# -- bars ------------------------------------------------------------------------------

BAR_WIDTH, BAR_HEIGHT = 200, 16


def share_bar(
    agree: float,
    disagree: float,
    passed: float,
    agree_interval: Sequence[float] | None,
    disagree_interval: Sequence[float] | None,
) -> Markup:
    """Agree (left), pass (middle), disagree (right), with the 95 % intervals as whiskers.

    Decorative (aria-hidden): the numbers are written beside every bar.
    """
    w, h = BAR_WIDTH, BAR_HEIGHT
    a, d = agree * w, disagree * w
    body = [
        _tag("rect", {"x": 0, "y": 2, "width": f"{w:g}", "height": h - 4, "fill": "#f1f1f1"}),
        _tag("rect", {"x": 0, "y": 2, "width": f"{a:.1f}", "height": h - 4, "fill": AGREE}),
        _tag(
            "rect",
            {"x": f"{a:.1f}", "y": 2, "width": f"{passed * w:.1f}", "height": h - 4, "fill": PASS},
        ),
        _tag(
            "rect",
            {"x": f"{w - d:.1f}", "y": 2, "width": f"{d:.1f}", "height": h - 4, "fill": DISAGREE},
        ),
    ]
    if agree_interval:
        body.append(_whisker(agree_interval[0] * w, agree_interval[1] * w, h / 2 - 2))
    if disagree_interval:
        body.append(_whisker(w - disagree_interval[1] * w, w - disagree_interval[0] * w, h / 2 + 2))
    return Markup(
        _tag(
            "svg",
            {
                "xmlns": "http://www.w3.org/2000/svg",
                "viewBox": f"0 0 {w} {h}",
                "width": str(w),
                "height": str(h),
                "class": "share-bar",
                "aria-hidden": "true",
                "focusable": "false",
            },
            *body,
        )
    )


def _whisker(x1: float, x2: float, y: float) -> str:
    """A horizontal interval from x1 to x2 with end ticks."""

    def line(xa: float, xb: float, ya: float, yb: float) -> str:
        ends = {"x1": f"{xa:.1f}", "x2": f"{xb:.1f}", "y1": f"{ya:g}", "y2": f"{yb:g}"}
        return _tag("line", {**ends, "stroke": INK, "stroke-width": "1.2"})

    return _tag("g", {}, line(x1, x2, y, y), line(x1, x1, y - 3, y + 3), line(x2, x2, y - 3, y + 3))


def group_sizes(groups: Sequence[Mapping[str, Any]], *, title: str, desc: str) -> Markup:
    """The groups' sizes as one bar split by group, each part marked with its letter."""
    w, h = BAR_WIDTH, 28
    total = sum(int(g["members"]) for g in groups)
    body = [_tag("rect", {"x": 0, "y": 4, "width": w, "height": h - 8, "fill": "#f1f1f1"})]
    left = 0.0
    for group in groups:
        width = w * int(group["members"]) / total if total else 0.0
        body.append(
            _tag(
                "rect",
                {
                    "x": f"{left:.1f}",
                    "y": 4,
                    "width": f"{width:.1f}",
                    "height": h - 8,
                    "fill": group_colour(group["id"]),
                    "stroke": "#fff",
                },
            )
        )
        if width >= 14:
            body.append(
                _tag(
                    "text",
                    {
                        "x": f"{left + width / 2:.1f}",
                        "y": f"{h / 2 + 4:g}",
                        "text-anchor": "middle",
                        "font-size": "11",
                        "font-weight": "700",
                        "fill": "#fff",
                    },
                    str(escape(str(group["label"]).split()[-1])),
                )
            )
        left += width
    return _svg(w, h, body, title=title, desc=desc, class_="group-sizes")


# -- representativeness ------------------------------------------------------------------

REPRESENTATION_WIDTH = 320
ROW_HEIGHT = 34
SHARE_FILL = "#1b6ca8"


def representativeness(
    rows: Sequence[Mapping[str, Any]], *, title: str, desc: str, width: int = REPRESENTATION_WIDTH
) -> Markup:
    """Each answer's share of participants as a bar with its 95 % interval, and its target as
    a tall mark: a bar that stops short of its mark is a part of the public that is missing.

    `rows`: {"label", "share" (None where not shown), "interval" (low, high) or None,
    "target"}. The scale runs to the largest share, interval or target, so small groups
    stay visible; the table beside the chart gives every number.
    """
    top = max([0.05, *(_row_top(row) for row in rows)])
    scale = (width - 2) / (min(1.0, top * 1.1))
    body = []
    for n, row in enumerate(rows):
        y = n * ROW_HEIGHT
        body.append(
            _tag(
                "text",
                {"x": 0, "y": y + 11, "font-size": "11", "fill": INK},
                str(escape(row["label"])),
            )
        )
        bar_y = y + 15
        body.append(
            _tag("rect", {"x": 0, "y": bar_y, "width": width, "height": 12, "fill": "#f1f1f1"})
        )
        if row["share"] is not None:
            body.append(
                _tag(
                    "rect",
                    {
                        "x": 0,
                        "y": bar_y,
                        "width": f"{row['share'] * scale:.1f}",
                        "height": 12,
                        "fill": SHARE_FILL,
                    },
                )
            )
        if row["interval"] is not None:
            low, high = row["interval"]
            body.append(_whisker(low * scale, high * scale, bar_y + 6))
        x = f"{row['target'] * scale:.1f}"
        mark = {
            "x1": x,
            "x2": x,
            "y1": bar_y - 3,
            "y2": bar_y + 15,
            "stroke": INK,
            "stroke-width": "2.5",
        }
        body.append(_tag("line", mark))
    return _svg(
        width, len(rows) * ROW_HEIGHT, body, title=title, desc=desc, class_="representativeness"
    )


def _row_top(row: Mapping[str, Any]) -> float:
    interval = row["interval"] or (0.0, 0.0)
    return max(row["target"], row["share"] or 0.0, interval[1])
