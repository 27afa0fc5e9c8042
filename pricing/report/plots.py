"""The report's figures (matplotlib, Agg backend), each built by a function that returns it.

Every axis showing numbers uses `ReadableFormatter`: thousands separators, as few decimals
as the ticks need, never a negative zero; an axis whose values are all equal gets one tick,
at that value. Labels of frontier points are short (the point numbers of the report's
table) and placed inside the axes, away from the colour bar. `tick_labels` and
`text_boxes` give what a figure shows, for tests.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import Formatter, NullLocator
from matplotlib.transforms import Bbox

from maasmix.money import minor_per_major
from maasmix.pricing.frontier import Frontier
from maasmix.pricing.results import Result

#: Main-mode colours of the diary plots.
MAIN_COLOURS = {
    "walk": "#8c8c8c",
    "bicycle": "#4daf4a",
    "bicycle_rental": "#a6d854",
    "scooter_rental": "#ffd92f",
    "moped_rental": "#e5c494",
    "car_rental": "#fc8d62",
    "transit": "#3672a4",
    "car": "#b00000",
}
_BLUE, _ORANGE, _GREY = "#3672a4", "#d9822b", "#8c8c8c"
_DPI = 100


def number_label(value: float, decimals: int = 0) -> str:
    """``12,345.6``: thousands separators, ``decimals`` places, never ``-0`` (a value that
    rounds to zero is written without a sign)."""
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]
    return text


def signed_label(value: float, decimals: int = 0) -> str:
    """``+1,234`` or ``-56``; a value that rounds to zero is ``0``."""
    text = number_label(value, decimals)
    return text if text.startswith("-") or not any(c in "123456789" for c in text) else "+" + text


def tick_decimals(locs: Sequence[float]) -> int:
    """The fewest decimals (0 to 6) that write every tick location exactly."""
    values = [float(v) for v in locs if math.isfinite(v)]
    if len(values) < 2:
        step = max((abs(v) for v in values), default=1.0) or 1.0
    else:
        ordered = sorted(set(values))
        step = min((b - a for a, b in itertools.pairwise(ordered)), default=1.0)
    for decimals in range(7):
        if all(abs(v - round(v, decimals)) <= 1e-6 * step for v in values):
            return decimals
    return 6


class ReadableFormatter(Formatter):
    """Tick labels by `number_label` with the decimals the current ticks need."""

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix
        self.decimals = 0

    def set_locs(self, locs: list[float]) -> None:
        """Called by matplotlib with the ticks about to be labelled."""
        super().set_locs(locs)
        self.decimals = tick_decimals(locs)

    def __call__(self, x: float, pos: int | None = None) -> str:
        return number_label(x, self.decimals) + self.suffix


def readable(ax: Axes, axis: str = "y", values: Sequence[float] = (), suffix: str = "") -> None:
    """Give ``ax``'s ``axis`` ("x" or "y") readable tick labels; when every one of
    ``values`` (the data along it) is the same, show one tick at that value."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(ReadableFormatter(suffix))
    finite = [float(v) for v in values if math.isfinite(v)]
    if finite and max(finite) - min(finite) <= 1e-9 * max(1.0, *map(abs, finite)):
        centre = finite[0]
        half = max(1.0, 0.1 * abs(centre))
        (ax.set_ylim if axis == "y" else ax.set_xlim)(centre - half, centre + half)
        (ax.set_yticks if axis == "y" else ax.set_xticks)([centre])
        target.set_minor_locator(NullLocator())


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 distinct menu``, ``5 distinct menus`` (``many``: an irregular plural)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def point_numbers(members: Sequence[int]) -> str:
    """1-based point numbers of 0-based indices, runs joined: ``1``, ``2-5``, ``7, 9``."""
    runs: list[list[int]] = []
    for n in sorted(i + 1 for i in members):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def tick_labels(fig: Figure) -> dict[str, list[str]]:
    """The tick labels ``fig`` shows (drawn first), per axis, keyed ``"<axes index>.<x|y>"``
    (a colour bar is an axes like any other); as matplotlib draws them: every major tick
    formatted together, those inside the view kept."""
    fig.canvas.draw()
    out: dict[str, list[str]] = {}
    for i, ax in enumerate(fig.axes):
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            lo, hi = sorted(axis.get_view_interval())
            tol = 1e-9 * max(1.0, abs(lo), abs(hi))
            locs = list(axis.get_majorticklocs())
            texts = axis.get_major_formatter().format_ticks(locs)
            out[f"{i}.{name}"] = [
                t for v, t in zip(locs, texts, strict=True) if lo - tol <= v <= hi + tol and t
            ]
    return out


def text_boxes(fig: Figure) -> list[tuple[str, tuple[float, float, float, float], int]]:
    """Every annotation of ``fig`` (drawn first): its text, its box in figure pixels
    ``(x0, y0, x1, y1)`` and the index of the axes it belongs to."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    out = []
    for i, ax in enumerate(fig.axes):
        for t in ax.texts:
            b = t.get_window_extent(renderer)
            out.append((t.get_text(), (b.x0, b.y0, b.x1, b.y1), i))
    return out


def save(fig: Figure, path: Path) -> None:
    """Write ``fig`` as a PNG and close it."""
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = plt.figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _bar_values(ax: Axes, bars: Any, labels: list[str]) -> None:
    ax.bar_label(bars, labels=labels, padding=2, fontsize=8)


def _room_for_values(ax: Axes, values: Sequence[float]) -> None:
    """Y limits with room for the values written at the bars' ends: above the top (a bar
    of zero is labelled above zero) and below the bottom when a bar is negative."""
    lo, hi = min(0.0, *values), max(0.0, *values)
    span = (hi - lo) or 1.0
    ax.set_ylim(lo - 0.14 * span if lo < 0 else 0.0, hi + 0.14 * span)


def uptake_figure(result: Result) -> Figure:
    """Subscribers in % of each segment, one bar per segment, values written on the bars."""
    names = [s.segment for s in result.segments]
    values = [100 * s.uptake for s in result.segments]
    fig, ax = _figure(7, 3.5)
    bars = ax.bar(names, values, color=_BLUE, width=0.6)
    _bar_values(ax, bars, [f"{number_label(v, 1)} %" for v in values])
    if len(names) < 3:
        ax.set_xlim(-1, len(names))
    ax.set_ylabel("subscribers, % of segment")
    _room_for_values(ax, values)
    readable(ax, "y")
    ax.set_title("Uptake by segment")
    ax.tick_params(axis="x", rotation=30 if len(names) > 4 else 0)
    return fig


def revenue_figure(result: Result) -> Figure:
    """Change against today per transport operator: revenue and earnings (major units per
    month), values written on the bars."""
    per = minor_per_major(result.currency)
    names = [o.operator for o in result.operators]
    x = list(range(len(names)))
    rev = [(o.revenue_minor - o.baseline_revenue_minor) / per for o in result.operators]
    earn = [(o.earnings_minor - o.baseline_earnings_minor) / per for o in result.operators]
    fig, ax = _figure(7, 3.8)
    b1 = ax.bar([i - 0.2 for i in x], rev, width=0.4, label="revenue", color=_BLUE)
    b2 = ax.bar([i + 0.2 for i in x], earn, width=0.4, label="earnings", color=_ORANGE)
    _bar_values(ax, b1, [signed_label(v) for v in rev])
    _bar_values(ax, b2, [signed_label(v) for v in earn])
    ax.axhline(0.0, color="#444444", linewidth=0.8)
    ax.set_xticks(x, names, rotation=20 if len(names) > 3 else 0)
    ax.set_ylabel(f"change against today\n({result.currency}/month)")
    _room_for_values(ax, rev + earn)
    readable(ax, "y", rev + earn)
    ax.set_title("Transport operators: change with the menu")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    return fig


def frontier_figure(front: Frontier, detail: int | None = None) -> Figure:
    """Each distinct feasible menu of the frontier as a point (profit against subsidy, or
    against the surplus change for a surplus sweep), coloured by the third figure when it
    varies, labelled with its point numbers; hollow red for points not proven optimal,
    grey for dominated ones; a black ring on point ``detail`` (0-based), the one the
    report details."""
    per = minor_per_major(front.currency)
    cur = front.currency
    rows = [(p, members) for p, members in front.distinct() if p.result.feasible]
    surplus = front.sweep == "surplus"
    xs = [(p.result.cs_change_minor if surplus else p.result.subsidy_minor) / per for p, _ in rows]
    ys = [p.result.profit_minor / per for p, _ in rows]
    cs = [(p.result.subsidy_minor if surplus else p.result.cs_change_minor) / per for p, _ in rows]
    colour_name = f"city subsidy ({cur}/month)" if surplus else f"surplus change ({cur}/month)"
    proven = [p.result.solve.status == "optimal" for p, _ in rows]
    dominated = [p.dominated for p, _ in rows]
    coloured = len({round(c, 2) for c in cs}) > 1
    fig, ax = _figure(9, 5.2)
    plain = [i for i in range(len(rows)) if proven[i] and not dominated[i]]
    handles: list[Any] = []
    sc = ax.scatter(
        [xs[i] for i in plain],
        [ys[i] for i in plain],
        c=[cs[i] for i in plain] if coloured else _BLUE,
        cmap="viridis" if coloured else None,
        s=40,
        zorder=3,
    )
    if plain:
        handles.append(_marker("proven optimal", _GREY if coloured else _BLUE))
    late = [i for i in range(len(rows)) if not proven[i]]
    if late:
        ax.scatter(
            [xs[i] for i in late],
            [ys[i] for i in late],
            facecolors="none",
            edgecolors="#b00000",
            s=40,
            zorder=3,
        )
        handles.append(_marker("stopped before proof (gap in the table)", "none", "#b00000"))
    grey = [i for i in range(len(rows)) if dominated[i] and proven[i]]
    if grey:
        ax.scatter([xs[i] for i in grey], [ys[i] for i in grey], color="#bbbbbb", s=40, zorder=3)
        handles.append(
            _marker("dominated (another point is as good on all three figures)", "#bbbbbb")
        )
    chosen = [i for i, (_, members) in enumerate(rows) if detail is not None and detail in members]
    if chosen:
        i = chosen[0]
        ax.scatter([xs[i]], [ys[i]], s=170, facecolors="none", edgecolors="black", zorder=4)
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=12,
                markerfacecolor="none",
                markeredgecolor="black",
                label=f"detailed in this report (point {detail + 1})" if detail is not None else "",
            )
        )
    ax.set_xlabel(
        f"consumer-surplus change ({cur}/month)" if surplus else f"city subsidy ({cur}/month)"
    )
    ax.set_ylabel(f"MaaS operator profit ({cur}/month)")
    ax.margins(x=0.1, y=0.12)
    readable(ax, "x", xs)
    readable(ax, "y", ys)
    if coloured:
        bar: Colorbar = fig.colorbar(sc, ax=ax, pad=0.02, aspect=30)
        bar.set_label(colour_name, labelpad=8)
        bar.ax.yaxis.set_major_formatter(ReadableFormatter())
    elif rows:
        ax.text(
            0.01,
            0.99,
            f"{colour_name.split(' (')[0]}: {number_label(cs[0], 2)} {cur}/month at every point",
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=8,
            color="#444444",
        )
    title = f"Frontier ({front.sweep} sweep): {plural(len(rows), 'distinct menu')}"
    if front.interrupted:
        title += f", interrupted after {len(front.points)} of {front.planned} points"
    ax.set_title(title)
    if handles:
        fig.legend(
            handles=handles, loc="outside lower center", ncols=min(len(handles), 3), fontsize=8
        )
    _label_points(ax, xs, ys, [point_numbers(members) for _, members in rows])
    return fig


def _marker(label: str, face: str, edge: str | None = None) -> Line2D:
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="",
        markerfacecolor=face,
        markeredgecolor=edge or face,
        label=label,
    )


#: Where a point's label may go: offset (points), horizontal and vertical alignment; the
#: first that overlaps nothing is taken.
_LABEL_SPOTS = (
    ((8, 5), "left", "bottom"),
    ((-8, 5), "right", "bottom"),
    ((8, -8), "left", "top"),
    ((-8, -8), "right", "top"),
    ((11, 0), "left", "center"),
    ((-11, 0), "right", "center"),
    ((0, 10), "center", "bottom"),
    ((0, -10), "center", "top"),
)
_MARKER_PX = 9.0


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _label_points(ax: Axes, xs: list[float], ys: list[float], labels: list[str]) -> None:
    """Write each label beside its point, at the first spot of `_LABEL_SPOTS` that stays
    inside the axes, covers no other label, point or text and is nearer its own point than
    any other (else the least bad one).
    The figure is laid out first; the labels take no part in the layout."""
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    marks = [
        Bbox.from_extents(px - _MARKER_PX, py - _MARKER_PX, px + _MARKER_PX, py + _MARKER_PX)
        for px, py in (ax.transData.transform((x, y)) for x, y in zip(xs, ys, strict=True))
    ]
    taken = [t.get_window_extent(renderer) for t in ax.texts]
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    for i, (x, y, text) in enumerate(zip(xs, ys, labels, strict=True)):
        best: tuple[float, Any, Bbox] | None = None
        for offset, ha, va in _LABEL_SPOTS:
            label = ax.annotate(
                text,
                (x, y),
                xytext=offset,
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=9,
                path_effects=halo,
                zorder=5,
            )
            label.set_in_layout(False)
            box = label.get_window_extent(renderer).padded(2)
            outside = not (
                frame.x0 <= box.x0
                and box.x1 <= frame.x1
                and frame.y0 <= box.y0
                and box.y1 <= frame.y1
            )
            cost = 1e9 * outside + sum(_overlap(box, b) for b in taken)
            cost += sum(_overlap(box, m) for j, m in enumerate(marks) if j != i)
            # a label nearer another point than its own would name the wrong one
            centre = ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
            near = [math.dist(centre, ((m.x0 + m.x1) / 2, (m.y0 + m.y1) / 2)) for m in marks]
            cost += 1e6 * sum(d < near[i] for j, d in enumerate(near) if j != i)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, label, box)
            else:
                label.remove()
            if cost == 0:
                break
        assert best is not None
        taken.append(best[2])


def mode_shift_figure(table: dict[str, Any]) -> Figure:
    """Trips per month moved between main modes by the menu's subscribers, per segment."""
    segments = list(dict.fromkeys(r["segment"] for r in table["shift"]))
    mains = [m for m in MAIN_COLOURS if any(r["main"] == m for r in table["shift"])]
    fig, ax = _figure(8, 1.6 + 0.9 * max(len(segments), 1))
    height = 0.8 / max(len(mains), 1)
    values_all: list[float] = []
    for j, main in enumerate(mains):
        values = [
            sum(r["change"] for r in table["shift"] if r["segment"] == s and r["main"] == main)
            for s in segments
        ]
        values_all += values
        ax.barh(
            [i + j * height for i in range(len(segments))],
            values,
            height=height,
            color=MAIN_COLOURS[main],
            label=main.replace("_", " "),
        )
    ax.axvline(0.0, color="#444444", linewidth=0.8)
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(segments))], segments)
    ax.invert_yaxis()
    ax.set_xlabel("trips per month moved (menu subscribers, against paying as you go)")
    readable(ax, "x", values_all)
    ax.set_title("Mode shift caused by the menu")
    if mains:
        fig.legend(loc="outside right upper", fontsize=8)
    return fig


def emissions_figure(table: dict[str, Any]) -> Figure:
    """kg CO2e per traveller per month, paying as you go and with each menu bundle."""
    rows = table["co2"]
    menu = table["menu"]
    fig, ax = _figure(8, 3.2 + 0.25 * len(menu))
    width = 0.8 / (len(menu) + 1)
    x = range(len(rows))
    ax.bar(x, [r["payg_kg"] for r in rows], width=width, color=_GREY, label="pay as you go")
    for b, bundle in enumerate(menu):
        ax.bar(
            [i + (b + 1) * width for i in x],
            [r["with"][b] or 0.0 for r in rows],
            width=width,
            label=f"with {bundle}",
        )
    ax.set_xticks([i + width * len(menu) / 2 for i in x], [r["segment"] for r in rows])
    ax.set_ylabel("kg CO2e per traveller\nper month")
    readable(ax, "y")
    ax.set_title("Emissions of the month's trips")
    fig.legend(loc="outside lower center", ncols=1 if len(menu) > 1 else 2, fontsize=8)
    return fig
