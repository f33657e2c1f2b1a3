"""Charts of the KPIs with matplotlib (the ``plot`` extra): trends, leaderboards, cohorts, funnels.

Every function draws with matplotlib's object API (no pyplot state, nothing global is touched,
any backend or none) and returns the `matplotlib.figure.Figure`; pass ``ax=`` to draw into an
Axes of your own figure instead. Nothing is shown: save the figure (``fig.savefig(...)``) or
let a notebook display it.

Money is drawn in currency units (a summary's minor units divided by ``10 ** exponent`` of its
currency), shares as percentages, and the cells or points a metric has no value for are left
blank, never drawn as zeros. matplotlib is imported when a chart is drawn, not with this module:
without it, a chart raises `alliance.errors.MissingDependency` with the command that installs it
(``pip install 'alliance[plot]'``).

Examples:
    >>> from alliance import kpi, plot
    >>> fig = plot.funnel_chart(kpi.funnel({"click": 1000, "cart": 120, "order": 30}))
    >>> [int(patch.get_height()) for patch in fig.axes[0].patches]
    [1000, 120, 30]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from alliance._currency import currency as lookup_currency
from alliance._frames import optional_import
from alliance.kpi._cohorts import Cohorts
from alliance.kpi._metrics import FunnelStep
from alliance.kpi._summary import Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["cohort_heatmap", "funnel_chart", "leaderboard", "ltv_curves", "metric_trend"]

FloatArray: TypeAlias = npt.NDArray[np.float64]

#: Summary columns in minor units of the summary's currency (drawn in currency units).
_MINOR_MONEY = frozenset({"revenue", "reversed", "net_revenue", "commission", "aov"})
#: Summary columns that are shares of one (drawn as percentages).
_SHARES = frozenset({"conversion_rate", "cost_of_sale", "reversal_rate", "new_customer_share"})
#: How a chart names a metric; ``{cur}`` is the summary's currency.
_NAMES = {
    "net_revenue": "net revenue",
    "conversion_rate": "conversion rate",
    "epc": "EPC",
    "epc_100": "EPC per 100 clicks",
    "revenue_epc": "revenue EPC",
    "aov": "AOV",
    "cost_of_sale": "cost of sale",
    "roas": "ROAS",
    "reversal_rate": "reversal rate",
    "new_customer_share": "new-customer share",
}
_MONEY_UNITS = {"epc": "per click", "revenue_epc": "per click", "epc_100": "per 100 clicks"}
_COHORT_VALUES = {
    "retention": "retention",
    "repeat_rate": "repeat purchase rate",
    "revenue_per_customer": "cumulative revenue per customer",
}
#: Cells up to this many rows and columns carry their value as text.
_ANNOTATE_UP_TO = 15
_MAX_TICKS = 15
_MISSING = "(none)"


# -- matplotlib, figures and axes ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Matplotlib:
    """The matplotlib modules a chart uses, imported when the chart is drawn."""

    figure: Any
    axes: Any
    ticker: Any
    colormaps: Any


def _matplotlib(purpose: str) -> _Matplotlib:
    root = optional_import("matplotlib", purpose)
    return _Matplotlib(
        figure=optional_import("matplotlib.figure", purpose),
        axes=optional_import("matplotlib.axes", purpose),
        ticker=optional_import("matplotlib.ticker", purpose),
        colormaps=root.colormaps,
    )


def _canvas(mpl: _Matplotlib, ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure to return and the Axes to draw in: ``ax`` and its figure, or new ones."""
    if ax is None:
        figure = mpl.figure.Figure(figsize=size, layout="constrained")
        return figure, figure.add_subplot()
    if not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    owner: Any = ax.figure
    while isinstance(owner, mpl.figure.SubFigure):  # the figure that holds the subfigure
        owner = owner.figure
    return owner, ax


def _thin_ticks(count: int) -> list[int]:
    """The positions to label on an axis of ``count`` categories (every k-th when crowded)."""
    step = max(1, math.ceil(count / _MAX_TICKS))
    return list(range(0, count, step))


def _label(value: Any) -> str:
    return _MISSING if value is None else str(value)


def _check_top(top: int | None, name: str = "top") -> None:
    whole = isinstance(top, int | np.integer) and not isinstance(top, bool)
    if top is not None and (not whole or top < 1):
        raise ValueError(f"{name} must be a whole number >= 1 or None (all), got {top!r}")


def _groups(count: int) -> str:
    return f"{count} group" if count == 1 else f"{count} groups"


def _percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1%}"


# -- metrics of a summary -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Metric:
    """A summary column ready to draw: values in display units, its name and how to print it."""

    values: FloatArray
    title: str
    share: bool
    decimals: int

    def text(self, value: float) -> str:
        if math.isnan(value):
            return "n/a"
        if self.share:
            return f"{value:.1%}"
        return f"{value:,.{self.decimals}f}"


def _metric_columns(summary: Summary) -> list[str]:
    return [
        name
        for name, column in summary.columns.items()
        if name not in summary.by and np.asarray(column).dtype.kind in "iuf"
    ]


def _metric(summary: Summary, metric: str) -> _Metric:
    """The column ``metric`` in display units, or a ValueError naming the metrics there are."""
    available = _metric_columns(summary)
    if not isinstance(metric, str) or metric not in available:
        if isinstance(metric, str) and metric in summary.by:
            reason = f"{metric!r} is a key of the summary, not a metric"
        elif isinstance(metric, str) and metric in summary.columns:
            reason = f"{metric!r} is not a number"
        else:
            reason = f"the summary has no metric {metric!r}"
        raise ValueError(f"{reason}; metrics: {', '.join(available)}")
    column = np.asarray(summary[metric])
    values = column.astype(np.float64)
    name = _NAMES.get(metric, metric.replace("_", " "))
    code = summary.currency
    exponent = lookup_currency(code).exponent if code is not None else 0
    if code is not None and metric in _MINOR_MONEY:
        values = values / 10**exponent
        return _Metric(values, f"{name} ({code})", share=False, decimals=exponent)
    if code is not None and metric in _MONEY_UNITS:
        return _Metric(values, f"{name} ({code} {_MONEY_UNITS[metric]})", False, exponent)
    if metric in _SHARES:
        return _Metric(values, name, share=True, decimals=1)
    return _Metric(values, name, share=False, decimals=0 if column.dtype.kind in "iu" else 2)


def _check_summary(summary: Any, purpose: str) -> Summary:
    if not isinstance(summary, Summary):
        raise TypeError(
            f"{purpose} takes an alliance.kpi.Summary (from kpi.summary(...)), "
            f"got {type(summary).__name__}"
        )
    return summary


def _check_key(summary: Summary, key: Any, argument: str) -> str:
    if not isinstance(key, str) or key not in summary.by:
        keys = ", ".join(summary.by) if summary.by else "no keys"
        raise ValueError(
            f"{argument}={key!r} is not a key of the summary; it is grouped by {keys} "
            f"(make it with kpi.summary(..., by=[...]))"
        )
    return key


def _percent_axis(mpl: _Matplotlib, axis: Any) -> None:
    axis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1.0))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- charts of a summary ------------------------------------------------------------------------


def metric_trend(
    summary: Summary,
    metric: str,
    *,
    period: str = "month",
    group: str = "partner_id",
    top: int | None = 5,
    ax: Axes | None = None,
) -> Figure:
    """A metric over time: one line per group, for the top groups.

    The summary is grouped by exactly ``group`` and ``period`` (``kpi.summary(...,
    by=["partner_id", "month"])``). Groups are ranked by the metric's total over the periods
    for counts and money (integer columns), by its mean over the periods that have a value for
    ratios; the ``top`` best get a line, in rank order. A group without a row in a period had
    nothing there: zero for counts and money; for a ratio, as for a NaN value, the line has a
    gap there (a lone point still shows as a marker).

    Args:
        summary: A `alliance.kpi.Summary` grouped by ``[group, period]``.
        metric: The column to draw (``"revenue"``, ``"epc"`` …; see `alliance.kpi.METRICS`).
        period: The key that holds the periods (the x axis), in label order.
        group: The key of the lines.
        top: How many groups get a line; None for all of them.
        ax: An Axes to draw in; by default a new figure.

    Returns:
        The figure drawn on.

    Raises:
        TypeError: ``summary`` is not a Summary or ``ax`` not an Axes.
        ValueError: A key the summary is not grouped by, a metric it has no column for, an
            empty summary or a bad ``top``.
        alliance.errors.MissingDependency: matplotlib is not installed.

    Examples:
        >>> import alliance as al
        >>> from alliance import kpi, plot
        >>> orders = al.Orders.from_records([
        ...     {"order_id": f"o{n}", "ts": f"2026-0{month}-10T00:00:00Z", "partner_id": p,
        ...      "amount": amount, "currency": "USD"}
        ...     for n, (month, p, amount) in enumerate(
        ...         [(1, "a", "10.00"), (2, "a", "30.00"), (1, "b", "5.00"), (3, "b", "7.50")])
        ... ])
        >>> monthly = kpi.summary(orders=orders, by=["partner_id", "month"])
        >>> fig = plot.metric_trend(monthly, "revenue")
        >>> [line.get_label() for line in fig.axes[0].lines]
        ['a', 'b']
        >>> fig.axes[0].lines[1].get_ydata().tolist()  # b sold nothing in February
        [5.0, 0.0, 7.5]
    """
    mpl = _matplotlib("metric_trend")
    summary = _check_summary(summary, "metric_trend")
    _check_key(summary, group, "group")
    _check_key(summary, period, "period")
    if group == period:
        raise ValueError(f"group and period must be different keys, both are {group!r}")
    if set(summary.by) != {group, period}:
        raise ValueError(
            f"metric_trend needs a summary grouped by exactly [{group!r}, {period!r}]; this one "
            f"is grouped by {list(summary.by)}, so a group and period has several rows"
        )
    _check_top(top)
    drawn = _metric(summary, metric)
    if len(summary) == 0:
        raise ValueError("the summary has no rows to draw")
    figure, axes = _canvas(mpl, ax, (8.0, 4.5))

    periods = sorted({_label(p) for p in summary[period].tolist()})
    groups = list(dict.fromkeys(summary[group].tolist()))  # key order
    additive = np.asarray(summary[metric]).dtype.kind in "iu"
    grid = np.full((len(groups), len(periods)), 0.0 if additive else np.nan)
    row_of = {value: row for row, value in enumerate(groups)}
    column_of = {value: column for column, value in enumerate(periods)}
    for value, key, when in zip(
        drawn.values.tolist(), summary[group].tolist(), summary[period].tolist(), strict=True
    ):
        grid[row_of[key], column_of[_label(when)]] = value
    if additive:
        score = grid.sum(axis=1)
    else:
        defined = ~np.isnan(grid)
        sums = np.where(defined, grid, 0.0).sum(axis=1)
        counts = defined.sum(axis=1)
        score = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)
    ranked = np.argsort(-score, kind="stable")
    shown = ranked if top is None else ranked[: int(top)]

    positions = np.arange(len(periods), dtype=np.float64)
    for row in shown.tolist():
        axes.plot(positions, grid[row], marker="o", markersize=4, label=_label(groups[row]))
    ticks = _thin_ticks(len(periods))
    axes.set_xticks(ticks, [periods[t] for t in ticks], rotation=45 if len(ticks) > 6 else 0)
    axes.set_xlabel(period)
    axes.set_ylabel(drawn.title)
    if drawn.share:
        _percent_axis(mpl, axes.yaxis)
    which = f"top {len(shown)} of {len(groups)}" if len(shown) < len(groups) else "each"
    axes.set_title(f"{_capitalised(drawn.title)} by {period}, {which} {group}")
    axes.legend(title=group, fontsize="small", loc="best")
    axes.grid(True, alpha=0.3)
    return figure


def leaderboard(
    summary: Summary,
    metric: str,
    *,
    top: int | None = 10,
    label: str = "partner_id",
    ax: Axes | None = None,
) -> Figure:
    """The best groups by a metric as horizontal bars, best at the top.

    The bars are `Summary.ranked`: groups flagged ``small_sample`` are left out, and so are
    groups without a value (a ratio over nothing); a footnote says how many were left out.

    Args:
        summary: A `alliance.kpi.Summary`.
        metric: The column to rank by (``"epc"``, ``"revenue"`` …).
        top: How many bars at most; None for every group with enough data.
        label: The key that names a bar; the other keys, if any, follow in brackets.
        ax: An Axes to draw in; by default a new figure.

    Returns:
        The figure drawn on.

    Raises:
        TypeError: ``summary`` is not a Summary or ``ax`` not an Axes.
        ValueError: ``label`` is not a key, ``metric`` not a metric, a bad ``top``, or no
            group with enough data to rank.
        alliance.errors.MissingDependency: matplotlib is not installed.
    """
    mpl = _matplotlib("leaderboard")
    summary = _check_summary(summary, "leaderboard")
    _check_key(summary, label, "label")
    _check_top(top)
    _metric(summary, metric)  # validates the name before ranking by it
    ranked = summary.ranked(metric)
    drawn = _metric(ranked, metric)
    small = int(np.count_nonzero(summary["small_sample"]))
    defined = np.flatnonzero(~np.isnan(drawn.values))
    undefined = len(ranked) - defined.size
    if defined.size == 0:
        raise ValueError(
            f"no group to rank by {metric!r}: {len(summary)} groups, {small} with a small "
            f"sample, {undefined} without a value"
        )
    kept = defined if top is None else defined[: int(top)]
    values = drawn.values[kept]
    others = [key for key in summary.by if key != label]
    names = []
    for row in kept.tolist():
        name = _label(ranked[label][row])
        if others:
            name += " (" + ", ".join(_label(ranked[key][row]) for key in others) + ")"
        names.append(name)
    figure, axes = _canvas(mpl, ax, (7.0, 1.2 + 0.35 * len(kept)))

    positions = np.arange(len(kept), dtype=np.float64)
    bars = axes.barh(positions, values, color="C0")
    texts = [drawn.text(value) for value in values.tolist()]
    axes.bar_label(bars, labels=texts, padding=3, fontsize="small")
    axes.set_yticks(positions, names)
    axes.invert_yaxis()  # best first, at the top
    axes.margins(x=0.15)
    axes.set_xlabel(drawn.title)
    if drawn.share:
        _percent_axis(mpl, axes.xaxis)
    axes.set_title(f"Top {len(kept)} {label} by {drawn.title}")
    notes = []
    if defined.size > len(kept):
        notes.append(f"showing {len(kept)} of {defined.size} ranked groups")
    if small:
        least = [
            f"{count} {what}"
            for count, what in ((summary.min_clicks, "clicks"), (summary.min_orders, "orders"))
            if count > 0
        ]
        notes.append(f"{_groups(small)} with fewer than {' or '.join(least)} left out")
    if undefined:
        notes.append(f"{_groups(undefined)} without a value left out")
    if notes:
        footnote = _capitalised("; ".join(notes)) + "."
        axes.annotate(
            footnote,
            xy=(0.0, 0.0),
            xycoords="axes fraction",
            xytext=(0.0, -34.0),
            textcoords="offset points",
            va="top",
            fontsize="small",
            style="italic",
        )
    axes.grid(True, axis="x", alpha=0.3)
    return figure


# -- charts of cohorts --------------------------------------------------------------------------


def _check_cohorts(cohorts: Any, purpose: str) -> Cohorts:
    if not isinstance(cohorts, Cohorts):
        raise TypeError(
            f"{purpose} takes alliance.kpi.Cohorts (from kpi.cohorts(...)), "
            f"got {type(cohorts).__name__}"
        )
    if len(cohorts) == 0:
        raise ValueError(f"{purpose}: there are no cohorts to draw (no orders with a customer)")
    return cohorts


def _cohort_names(cohorts: Cohorts) -> list[str]:
    return [
        str(cohort) if group is None else f"{cohort} · {group}"
        for cohort, group in zip(cohorts.cohort.tolist(), cohorts.group.tolist(), strict=True)
    ]


def _in_units(cohorts: Cohorts, minor: FloatArray) -> tuple[FloatArray, str, int]:
    """Minor units in currency units, with the axis label's unit and the decimals to print."""
    if cohorts.currency is None:
        return minor, "", 0
    exponent = lookup_currency(cohorts.currency).exponent
    return minor / 10**exponent, f" ({cohorts.currency})", exponent


def _age_label(period: str) -> str:
    return f"age in {period}s (0 = the first order's {period})"


def cohort_heatmap(
    cohorts: Cohorts,
    *,
    value: str = "retention",
    annotate: bool | None = None,
    ax: Axes | None = None,
) -> Figure:
    """A cohort-by-age heat map of retention, repeat purchase rate or revenue per customer.

    Rows are the cohorts (split by group when the cohorts were), columns the ages; cells a
    cohort has not reached yet are left blank. A colour bar gives the scale.

    Args:
        cohorts: `alliance.kpi.Cohorts`.
        value: ``"retention"``, ``"repeat_rate"`` or ``"revenue_per_customer"`` (cumulative,
            in currency units).
        annotate: Write each cell's value in it; by default when the grid is at most 15 by 15.
        ax: An Axes to draw in; by default a new figure.

    Returns:
        The figure drawn on.

    Raises:
        TypeError: ``cohorts`` is not Cohorts or ``ax`` not an Axes.
        ValueError: An unknown ``value``, or no cohorts.
        alliance.errors.MissingDependency: matplotlib is not installed.
    """
    mpl = _matplotlib("cohort_heatmap")
    cohorts = _check_cohorts(cohorts, "cohort_heatmap")
    if value not in _COHORT_VALUES:
        raise ValueError(f"value must be one of {', '.join(_COHORT_VALUES)}, got {value!r}")
    matrix = np.asarray(getattr(cohorts, value), dtype=np.float64)
    share = value != "revenue_per_customer"
    unit, decimals = "", 0
    if not share:
        matrix, unit, decimals = _in_units(cohorts, matrix)
    title = _COHORT_VALUES[value] + unit
    rows, columns = matrix.shape
    if annotate is None:
        annotate = rows <= _ANNOTATE_UP_TO and columns <= _ANNOTATE_UP_TO
    figure, axes = _canvas(mpl, ax, (min(3.0 + 0.6 * columns, 14.0), min(1.8 + 0.4 * rows, 12.0)))

    blank = ~cohorts.observed | np.isnan(matrix)
    cmap = mpl.colormaps["viridis"].with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    image = axes.imshow(
        np.ma.masked_array(matrix, mask=blank),
        cmap=cmap,
        vmin=0.0,
        vmax=1.0 if share else None,
        aspect="auto",
        interpolation="nearest",
    )
    bar = figure.colorbar(image, ax=axes)
    bar.set_label(title)
    if share:
        _percent_axis(mpl, bar.ax.yaxis)
    if annotate:
        colours = np.asarray(image.cmap(image.norm(np.nan_to_num(matrix))), dtype=np.float64)
        luminance = colours[..., :3] @ np.array([0.299, 0.587, 0.114])
        for row, column in zip(*np.nonzero(~blank), strict=True):
            cell = float(matrix[row, column])
            dark = luminance[row, column] < 0.5
            axes.text(
                column,
                row,
                f"{cell:.0%}" if share else f"{cell:,.{decimals}f}",
                ha="center",
                va="center",
                fontsize="x-small",
                color="white" if dark else "black",
            )
    x_ticks, y_ticks = _thin_ticks(columns), _thin_ticks(rows)
    names = _cohort_names(cohorts)
    axes.set_xticks(x_ticks, [str(age) for age in x_ticks])
    axes.set_yticks(y_ticks, [names[row] for row in y_ticks])
    axes.set_xlabel(_age_label(cohorts.period))
    axes.set_ylabel(f"cohort (first order's {cohorts.period})")
    axes.set_title(f"{_capitalised(title)} by cohort and age")
    return figure


def ltv_curves(
    cohorts: Cohorts,
    *,
    top: int | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Cumulative revenue per acquired customer by age: one line per cohort.

    The historical LTV (`Cohorts.revenue_per_customer`) in currency units; a line ends at the
    last age its cohort has reached. Cohorts split by group give a line per cohort and group.

    Args:
        cohorts: `alliance.kpi.Cohorts`.
        top: Draw only the cohorts with the most customers (in cohort order); None for all.
        ax: An Axes to draw in; by default a new figure.

    Returns:
        The figure drawn on.

    Raises:
        TypeError: ``cohorts`` is not Cohorts or ``ax`` not an Axes.
        ValueError: No cohorts, or a bad ``top``.
        alliance.errors.MissingDependency: matplotlib is not installed.
    """
    mpl = _matplotlib("ltv_curves")
    cohorts = _check_cohorts(cohorts, "ltv_curves")
    _check_top(top)
    values, unit, _ = _in_units(cohorts, cohorts.revenue_per_customer)
    rows = np.arange(len(cohorts))
    if top is not None and top < len(cohorts):
        biggest = np.argsort(-cohorts.customers, kind="stable")[:top]
        rows = np.sort(biggest)
    figure, axes = _canvas(mpl, ax, (8.0, 4.5))

    names = _cohort_names(cohorts)
    ages = cohorts.ages.astype(np.float64)
    for row in rows.tolist():
        axes.plot(
            ages,
            values[row],
            marker="o",
            markersize=4,
            label=f"{names[row]} ({int(cohorts.customers[row]):,} customers)",
        )
    axes.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    axes.set_xlabel(_age_label(cohorts.period))
    axes.set_ylabel(f"revenue per customer{unit}")
    which = (
        f"the {rows.size} largest of {len(cohorts)} cohorts"
        if rows.size < len(cohorts)
        else ("each cohort")
    )
    axes.set_title(f"Cumulative revenue per customer, {which}")
    axes.legend(fontsize="small", ncols=2 if rows.size > 10 else 1, loc="best")
    axes.grid(True, alpha=0.3)
    return figure


# -- funnels ------------------------------------------------------------------------------------


def funnel_chart(steps: Sequence[FunnelStep], *, ax: Axes | None = None) -> Figure:
    """A funnel as bars, each step's conversion from the step before and from the first.

    Args:
        steps: The steps of `alliance.kpi.funnel`, in order.
        ax: An Axes to draw in; by default a new figure.

    Returns:
        The figure drawn on.

    Raises:
        TypeError: ``steps`` is not a sequence of `alliance.kpi.FunnelStep`, or ``ax`` not an
            Axes.
        ValueError: No steps.
        alliance.errors.MissingDependency: matplotlib is not installed.
    """
    mpl = _matplotlib("funnel_chart")
    if isinstance(steps, str | bytes) or not isinstance(steps, Sequence):
        raise TypeError(
            f"funnel_chart takes the steps of alliance.kpi.funnel(...), got {type(steps).__name__}"
        )
    for position, step in enumerate(steps):
        if not isinstance(step, FunnelStep):
            raise TypeError(
                f"funnel_chart: step {position} is a {type(step).__name__}, not a FunnelStep; "
                "make the steps with alliance.kpi.funnel(...)"
            )
    if not steps:
        raise ValueError("funnel_chart needs at least one step")
    figure, axes = _canvas(mpl, ax, (max(4.0, 1.6 * len(steps)), 4.5))

    positions = np.arange(len(steps), dtype=np.float64)
    counts = [float(step.count) for step in steps]
    axes.bar(positions, counts, color="C0", width=0.7)
    for x, step in zip(positions.tolist(), steps, strict=True):
        text = f"{step.count:,}"
        if x > 0:
            text += f"\n{_percent(step.step_rate)} step\n{_percent(step.overall_rate)} overall"
        axes.annotate(
            text,
            xy=(x, step.count),
            xytext=(0.0, 3.0),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize="small",
        )
    axes.set_xticks(positions, [step.name for step in steps])
    axes.set_ylim(0.0, max(max(counts) * 1.35, 1.0))
    axes.set_ylabel("count")
    axes.set_title(f"Funnel: {steps[0].name} to {steps[-1].name}")
    axes.grid(True, axis="y", alpha=0.3)
    return figure
