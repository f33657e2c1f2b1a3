"""`alliance.plot`: what each chart draws, from small hand-computed programmes, and bad input."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import alliance as al
from alliance import kpi, plot
from alliance.errors import MissingDependency

NAN = math.nan

# -- inputs -------------------------------------------------------------------------------------

# Per partner and month (UTC): clicks and order amounts.
#   revenue totals: a 180.00, b 30.00, c 5.00
#   conversion rate: a 0.5, 0.5, 1.0 (mean 2/3); b 1.0, NaN (no clicks), 0.0 (mean 1/2);
#                    c -, 1.0, - (mean 1)
TREND = {
    ("a", 1): (2, ["100.00"]),
    ("a", 2): (2, ["50.00"]),
    ("a", 3): (1, ["30.00"]),
    ("b", 1): (1, ["20.00"]),
    ("b", 2): (0, ["10.00"]),
    ("b", 3): (2, []),
    ("c", 2): (1, ["5.00"]),
}


def _tables(
    cells: dict[tuple[str, int], tuple[int, list[str]]], currency: str = "USD"
) -> tuple[al.Clicks, al.Orders]:
    clicks, orders = [], []
    for (partner, month), (count, amounts) in cells.items():
        ts = f"2026-{month:02d}-10T12:00:00Z"
        clicks += [
            {"click_id": f"c-{partner}-{month}-{n}", "ts": ts, "partner_id": partner}
            for n in range(count)
        ]
        orders += [
            {
                "order_id": f"o-{partner}-{month}-{n}",
                "ts": ts,
                "partner_id": partner,
                "amount": amount,
                "currency": currency,
                "country": "BR",
            }
            for n, amount in enumerate(amounts)
        ]
    return al.Clicks.from_records(clicks), al.Orders.from_records(orders)


def _trend_summary(by: tuple[str, ...] = ("partner_id", "month")) -> kpi.Summary:
    clicks, orders = _tables(TREND)
    return kpi.summary(orders=orders, clicks=clicks, by=by, min_clicks=0, min_orders=0)


# Per partner: clicks and order amounts; with min_clicks=0, min_orders=2, p4 and p6 are small
# samples and p5 (no clicks) has no conversion rate.
BOARD = {
    ("p1", 1): (4, ["10.00", "20.00"]),  # revenue 30.00, CR 0.5
    ("p2", 1): (2, ["50.00", "5.00"]),  # revenue 55.00, CR 1.0
    ("p3", 1): (5, ["1.00", "1.00", "1.00"]),  # revenue 3.00, CR 0.6
    ("p4", 1): (3, ["99.00"]),  # one order: small
    ("p5", 1): (0, ["7.00", "8.00"]),  # revenue 15.00, CR undefined
    ("p6", 1): (2, []),  # no orders: small
}


def _board_summary(by: tuple[str, ...] = ("partner_id",)) -> kpi.Summary:
    clicks, orders = _tables(BOARD)
    return kpi.summary(orders=orders, clicks=clicks, by=by, min_clicks=0, min_orders=2)


# Customers' orders (customer, month, amount). Cohorts: 2026-01 {a, b}, 2026-02 {c}, 2026-03 {d}.
BOUGHT = [
    ("a", 1, "10.00"),
    ("a", 2, "20.00"),
    ("a", 3, "5.00"),
    ("b", 1, "30.00"),
    ("b", 3, "10.00"),
    ("c", 2, "8.00"),
    ("c", 2, "4.00"),
    ("d", 3, "12.00"),
]
RETENTION = [[1.0, 0.5, 1.0], [1.0, 0.0, NAN], [1.0, NAN, NAN]]
REPEAT_RATE = [[0.0, 0.5, 1.0], [1.0, 1.0, NAN], [0.0, NAN, NAN]]
LTV_USD = [[20.0, 30.0, 37.5], [12.0, 12.0, NAN], [12.0, NAN, NAN]]


def _cohorts(currency: str = "USD", by: str | None = None) -> kpi.Cohorts:
    orders = al.Orders.from_records(
        [
            {
                "order_id": f"o{n}",
                "ts": f"2026-{month:02d}-{10 + n:02d}T00:00:00Z",
                "customer_id": customer,
                "partner_id": "kol" if customer in "ac" else "deals",
                "amount": amount if currency == "USD" else amount.replace(".", ""),
                "currency": currency,
            }
            for n, (customer, month, amount) in enumerate(BOUGHT)
        ]
    )
    return kpi.cohorts(orders, by=by)


# -- helpers ------------------------------------------------------------------------------------


def _only_axes(figure: Figure) -> Axes:
    assert isinstance(figure, Figure)
    drawn = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    assert len(drawn) == 1
    return drawn[0]


def _ydata(ax: Axes) -> list[list[float]]:
    return [np.asarray(line.get_ydata(), dtype=float).tolist() for line in ax.lines]


def _bars(ax: Axes) -> list[Any]:
    return list(ax.patches)


def _ticklabels(labels: list[Any]) -> list[str]:
    return [label.get_text() for label in labels]


def _texts(ax: Axes) -> list[str]:
    return [text.get_text() for text in ax.texts]


# -- metric_trend -------------------------------------------------------------------------------


def test_metric_trend_draws_the_top_groups_by_total_with_zeros_where_nothing_happened() -> None:
    figure = plot.metric_trend(_trend_summary(), "revenue", top=2)
    ax = _only_axes(figure)
    assert [line.get_label() for line in ax.lines] == ["a", "b"]  # 180.00, 30.00 (c: 5.00)
    np.testing.assert_array_equal(_ydata(ax), [[100.0, 50.0, 30.0], [20.0, 10.0, 0.0]])
    assert np.asarray(ax.lines[0].get_xdata()).tolist() == [0.0, 1.0, 2.0]
    assert _ticklabels(ax.get_xticklabels()) == ["2026-01", "2026-02", "2026-03"]
    assert ax.get_title() == "Revenue (USD) by month, top 2 of 3 partner_id"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("month", "revenue (USD)")
    legend = ax.get_legend()
    assert legend is not None
    assert legend.get_title().get_text() == "partner_id"


def test_metric_trend_of_every_group() -> None:
    ax = _only_axes(plot.metric_trend(_trend_summary(), "orders", top=None))
    assert [line.get_label() for line in ax.lines] == ["a", "b", "c"]
    np.testing.assert_array_equal(_ydata(ax), [[1, 1, 1], [1, 1, 0], [0, 1, 0]])
    assert ax.get_title() == "Orders by month, each partner_id"
    # top larger than the groups there are: all of them.
    assert len(_only_axes(plot.metric_trend(_trend_summary(), "orders", top=9)).lines) == 3
    assert (
        len(_only_axes(plot.metric_trend(_trend_summary(), "orders", top=_any(np.int64(1)))).lines)
        == 1
    )


def test_metric_trend_ranks_ratios_by_their_mean_and_keeps_nan_gaps() -> None:
    ax = _only_axes(plot.metric_trend(_trend_summary(), "conversion_rate", top=None))
    assert [line.get_label() for line in ax.lines] == ["c", "a", "b"]  # means 1, 2/3, 1/2
    np.testing.assert_allclose(
        _ydata(ax), [[NAN, 1.0, NAN], [0.5, 0.5, 1.0], [1.0, NAN, 0.0]], equal_nan=True
    )
    assert ax.lines[0].get_marker() == "o"  # a lone point between gaps still shows
    assert ax.get_ylabel() == "conversion rate"
    assert ax.yaxis.get_major_formatter()(0.25, 0) == "25%"


def test_metric_trend_over_another_period_and_group() -> None:
    clicks, orders = _tables(TREND)
    weekly = kpi.summary(orders=orders, clicks=clicks, by=["week", "country"], min_clicks=0)
    ax = _only_axes(plot.metric_trend(weekly, "revenue", period="week", group="country"))
    assert [line.get_label() for line in ax.lines] == ["BR", "(none)"]  # clicks have no country
    assert _ydata(ax)[0] == [120.0, 65.0, 30.0]
    assert ax.get_xlabel() == "week"
    assert _ticklabels(ax.get_xticklabels()) == ["2026-W02", "2026-W07", "2026-W11"]


def test_metric_trend_converts_money_by_the_currency_exponent() -> None:
    clicks, orders = _tables({("a", 1): (1, ["1500"]), ("a", 2): (1, ["700"])}, "JPY")
    monthly = kpi.summary(orders=orders, clicks=clicks, by=["partner_id", "month"])
    ax = _only_axes(plot.metric_trend(monthly, "commission"))
    assert _ydata(ax) == [[0.0, 0.0]]
    ax = _only_axes(plot.metric_trend(monthly, "revenue"))
    assert _ydata(ax) == [[1500.0, 700.0]]
    assert ax.get_ylabel() == "revenue (JPY)"


def test_metric_trend_thins_crowded_period_labels() -> None:
    orders = al.Orders.from_records(
        [
            {"order_id": f"d{day}", "ts": f"2026-01-{day:02d}T00:00:00Z", "partner_id": "a",
             "amount": "1.00", "currency": "USD"}
            for day in range(1, 31)
        ]
    )  # fmt: skip
    daily = kpi.summary(orders=orders, by=["partner_id", "day"])
    ax = _only_axes(plot.metric_trend(daily, "orders", period="day"))
    assert len(np.asarray(ax.lines[0].get_ydata())) == 30
    labels = _ticklabels(ax.get_xticklabels())
    assert labels[:2] == ["2026-01-01", "2026-01-03"]
    assert len(labels) == 15


# -- leaderboard --------------------------------------------------------------------------------


def test_leaderboard_bars_are_the_ranked_metric_best_first() -> None:
    summary = _board_summary()
    ranked = summary.ranked("revenue", top=3)
    ax = _only_axes(plot.leaderboard(summary, "revenue", top=3))
    bars = _bars(ax)
    assert [bar.get_width() for bar in bars] == (ranked["revenue"] / 100).tolist()
    assert [bar.get_width() for bar in bars] == [55.0, 30.0, 15.0]
    assert _ticklabels(ax.get_yticklabels()) == ["p2", "p1", "p5"]
    # Best at the top: the y axis runs downwards.
    assert bars[0].get_y() < bars[1].get_y()
    assert ax.yaxis_inverted()
    assert _texts(ax)[:3] == ["55.00", "30.00", "15.00"]
    assert ax.get_title() == "Top 3 partner_id by revenue (USD)"
    assert ax.get_xlabel() == "revenue (USD)"
    assert _texts(ax)[3] == (
        "Showing 3 of 4 ranked groups; "
        "2 groups with fewer than 2 orders left out."  # min_clicks=0, min_orders=2
    )


def test_leaderboard_leaves_out_groups_without_a_value_and_says_so() -> None:
    ax = _only_axes(plot.leaderboard(_board_summary(), "conversion_rate"))
    assert [bar.get_width() for bar in _bars(ax)] == [1.0, 0.6, 0.5]
    assert _ticklabels(ax.get_yticklabels()) == ["p2", "p3", "p1"]
    assert _texts(ax) == [
        "100.0%",
        "60.0%",
        "50.0%",
        "2 groups with fewer than 2 orders left out; 1 group without a value left out.",
    ]
    assert ax.get_title() == "Top 3 partner_id by conversion rate"
    assert ax.xaxis.get_major_formatter()(0.5, 0) == "50%"


def test_leaderboard_without_anything_left_out_has_no_footnote() -> None:
    clicks, orders = _tables(TREND)
    summary = kpi.summary(orders=orders, clicks=clicks, min_clicks=0, min_orders=0)
    ax = _only_axes(plot.leaderboard(summary, "orders"))
    assert [bar.get_width() for bar in _bars(ax)] == [3.0, 2.0, 1.0]
    assert _texts(ax) == ["3", "2", "1"]


def test_leaderboard_names_bars_by_label_and_the_other_keys() -> None:
    summary = _trend_summary(("month", "partner_id"))
    ax = _only_axes(plot.leaderboard(summary, "revenue", top=3, label="partner_id"))
    assert _ticklabels(ax.get_yticklabels()) == ["a (2026-01)", "a (2026-02)", "a (2026-03)"]
    assert [bar.get_width() for bar in _bars(ax)] == [100.0, 50.0, 30.0]


def test_leaderboard_with_nothing_to_rank() -> None:
    clicks, orders = _tables(BOARD)
    summary = kpi.summary(orders=orders, clicks=clicks, min_orders=100)
    with pytest.raises(ValueError, match=r"no group to rank by 'revenue': 6 groups, 6 with a"):
        plot.leaderboard(summary, "revenue")


# -- cohort_heatmap -----------------------------------------------------------------------------


def _image_values(ax: Axes) -> np.ma.MaskedArray[Any, Any]:
    assert len(ax.images) == 1
    return np.ma.asarray(ax.images[0].get_array())


def test_cohort_heatmap_of_retention() -> None:
    cohorts = _cohorts()
    np.testing.assert_array_equal(cohorts.retention, RETENTION)  # the hand computation
    figure = plot.cohort_heatmap(cohorts)
    ax = _only_axes(figure)
    values = _image_values(ax)
    np.testing.assert_array_equal(values.filled(NAN), cohorts.retention)
    np.testing.assert_array_equal(np.ma.getmaskarray(values), ~cohorts.observed)
    assert ax.images[0].get_clim() == (0.0, 1.0)
    # One annotation per observed cell, row by row.
    assert _texts(ax) == ["100%", "50%", "100%", "100%", "0%", "100%"]
    assert _ticklabels(ax.get_yticklabels()) == ["2026-01", "2026-02", "2026-03"]
    assert _ticklabels(ax.get_xticklabels()) == ["0", "1", "2"]
    assert ax.get_title() == "Retention by cohort and age"
    assert ax.get_xlabel() == "age in months (0 = the first order's month)"
    assert ax.get_ylabel() == "cohort (first order's month)"
    colour_bars = [a for a in figure.axes if a.get_label() == "<colorbar>"]
    assert len(colour_bars) == 1
    assert colour_bars[0].get_ylabel() == "retention"


def test_cohort_heatmap_of_repeat_rate_and_revenue() -> None:
    cohorts = _cohorts()
    ax = _only_axes(plot.cohort_heatmap(cohorts, value="repeat_rate"))
    np.testing.assert_array_equal(_image_values(ax).filled(NAN), REPEAT_RATE)
    assert ax.get_title() == "Repeat purchase rate by cohort and age"

    ax = _only_axes(plot.cohort_heatmap(cohorts, value="revenue_per_customer"))
    np.testing.assert_array_equal(_image_values(ax).filled(NAN), LTV_USD)
    assert _texts(ax) == ["20.00", "30.00", "37.50", "12.00", "12.00", "12.00"]
    assert ax.get_title() == "Cumulative revenue per customer (USD) by cohort and age"
    assert ax.images[0].get_clim() == (0.0, 37.5)


def test_cohort_heatmap_rows_by_group_and_no_annotations_on_request() -> None:
    cohorts = _cohorts(by="partner_id")
    ax = _only_axes(plot.cohort_heatmap(cohorts, annotate=False))
    assert _ticklabels(ax.get_yticklabels()) == [
        "2026-01 · deals",
        "2026-01 · kol",
        "2026-02 · kol",
        "2026-03 · deals",
    ]
    assert _texts(ax) == []


def test_cohort_heatmap_of_a_large_grid_is_not_annotated() -> None:
    orders = al.Orders.from_records(
        [
            {"order_id": f"o{day}", "ts": f"2026-01-{day:02d}T00:00:00Z",
             "customer_id": f"c{day}", "amount": "1.00", "currency": "USD"}
            for day in range(1, 17)
        ]
    )  # fmt: skip
    cohorts = kpi.cohorts(orders, period="day")
    ax = _only_axes(plot.cohort_heatmap(cohorts))
    assert _image_values(ax).shape == (16, 16)
    assert _texts(ax) == []
    assert len(_only_axes(plot.cohort_heatmap(cohorts, annotate=True)).texts) == 16 * 17 // 2


# -- ltv_curves ---------------------------------------------------------------------------------


def test_ltv_curves_one_line_per_cohort_in_currency_units() -> None:
    ax = _only_axes(plot.ltv_curves(_cohorts()))
    np.testing.assert_array_equal(_ydata(ax), LTV_USD)
    assert np.asarray(ax.lines[0].get_xdata()).tolist() == [0.0, 1.0, 2.0]
    assert [line.get_label() for line in ax.lines] == [
        "2026-01 (2 customers)",
        "2026-02 (1 customers)",
        "2026-03 (1 customers)",
    ]
    assert ax.get_ylabel() == "revenue per customer (USD)"
    assert ax.get_xlabel() == "age in months (0 = the first order's month)"
    assert ax.get_title() == "Cumulative revenue per customer, each cohort"


def test_ltv_curves_of_the_largest_cohorts_in_yen() -> None:
    cohorts = _cohorts(currency="JPY")
    ax = _only_axes(plot.ltv_curves(cohorts, top=2))
    # Amounts are the same digits in yen: no decimals, so 1000 minor units are 1000 yen.
    np.testing.assert_array_equal(_ydata(ax), [[2000.0, 3000.0, 3750.0], [1200.0, 1200.0, NAN]])
    assert ax.get_ylabel() == "revenue per customer (JPY)"
    assert ax.get_title() == "Cumulative revenue per customer, the 2 largest of 3 cohorts"


def test_ltv_curves_by_group() -> None:
    ax = _only_axes(plot.ltv_curves(_cohorts(by="partner_id")))
    assert [line.get_label() for line in ax.lines][:2] == [
        "2026-01 · deals (1 customers)",
        "2026-01 · kol (1 customers)",
    ]
    assert _ydata(ax)[0] == [30.0, 30.0, 40.0]  # b: 30.00, then 10.00 in March


# -- funnel_chart -------------------------------------------------------------------------------


def test_funnel_chart_bars_and_conversions() -> None:
    steps = kpi.funnel({"click": 1000, "cart": 120, "order": 30})
    ax = _only_axes(plot.funnel_chart(steps))
    assert [bar.get_height() for bar in _bars(ax)] == [1000, 120, 30]
    assert _ticklabels(ax.get_xticklabels()) == ["click", "cart", "order"]
    assert _texts(ax) == [
        "1,000",
        "120\n12.0% step\n12.0% overall",
        "30\n25.0% step\n3.0% overall",
    ]
    assert ax.get_title() == "Funnel: click to order"
    assert ax.get_ylabel() == "count"
    assert ax.get_ylim()[1] > 1000  # room for the labels


def test_funnel_chart_with_no_one_in_it() -> None:
    ax = _only_axes(plot.funnel_chart(kpi.funnel([("visit", 0), ("order", 0)])))
    assert _texts(ax) == ["0", "0\nn/a step\nn/a overall"]
    assert ax.get_ylim() == (0.0, 1.0)


# -- shared behaviour ---------------------------------------------------------------------------

CHARTS: dict[str, Callable[..., Figure]] = {
    "metric_trend": lambda **kw: plot.metric_trend(_trend_summary(), "revenue", **kw),
    "leaderboard": lambda **kw: plot.leaderboard(_board_summary(), "revenue", **kw),
    "cohort_heatmap": lambda **kw: plot.cohort_heatmap(_cohorts(), **kw),
    "ltv_curves": lambda **kw: plot.ltv_curves(_cohorts(), **kw),
    "funnel_chart": lambda **kw: plot.funnel_chart(kpi.funnel({"a": 2, "b": 1}), **kw),
}


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_draws_into_a_given_axes_and_returns_its_figure(chart: str) -> None:
    figure = Figure()
    left, right = figure.subplots(1, 2)
    assert CHARTS[chart](ax=right) is figure
    assert left.has_data() is False
    assert right.has_data()


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_in_a_subfigure_returns_the_whole_figure(chart: str) -> None:
    figure = Figure()
    subfigures = figure.subfigures(1, 2)
    assert isinstance(subfigures, np.ndarray)
    ax = subfigures[1].add_subplot()
    assert CHARTS[chart](ax=ax) is figure


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_saves_as_png(chart: str, tmp_path: Path) -> None:
    path = tmp_path / f"{chart}.png"
    CHARTS[chart]().savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_ax_must_be_an_axes(chart: str) -> None:
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes, got str"):
        CHARTS[chart](ax="left")


@pytest.mark.parametrize("chart", sorted(CHARTS))
def test_missing_matplotlib_says_how_to_install_it(
    chart: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependency, match=rf"^{chart} needs matplotlib; install it with: "):
        CHARTS[chart]()
    with pytest.raises(ImportError, match=r"pip install 'alliance\[plot\]'"):
        CHARTS[chart]()


def test_importing_alliance_or_drawing_touches_no_pyplot() -> None:
    code = (
        "import sys, alliance, alliance.plot\n"
        "print('matplotlib' in sys.modules)\n"
        "from alliance import kpi, plot\n"
        "plot.funnel_chart(kpi.funnel({'a': 2, 'b': 1})).savefig('/dev/null', format='png')\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]


# -- bad input ----------------------------------------------------------------------------------


def _any(value: object) -> Any:
    """A wrong argument, past the type checker."""
    return value


def _no_cohorts() -> kpi.Cohorts:
    anonymous = {"order_id": "o", "ts": "2026-01-01T00:00:00Z", "amount": "1.00"}
    orders = al.Orders.from_records([{**anonymous, "currency": "USD", "customer_id": None}])
    return kpi.cohorts(orders)


METRICS_THERE = "metrics: clicks, orders, revenue, reversed, net_revenue, commission,"

BAD: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: plot.metric_trend(_any([]), "revenue"), TypeError, "takes an alliance.kpi.Summary"),
    (
        lambda: plot.metric_trend(_board_summary(), "revenue"),
        ValueError,
        r"period='month' is not a key of the summary; it is grouped by partner_id",
    ),
    (
        lambda: plot.metric_trend(_trend_summary(), "revenue", group="country"),
        ValueError,
        r"group='country' is not a key of the summary; it is grouped by partner_id, month",
    ),
    (
        lambda: plot.metric_trend(_trend_summary(), "revenue", group="month"),
        ValueError,
        "group and period must be different keys, both are 'month'",
    ),
    (
        lambda: plot.metric_trend(_trend_summary(("partner_id", "month", "country")), "orders"),
        ValueError,
        r"grouped by exactly \['partner_id', 'month'\]; this one is grouped by \['partner_id', "
        r"'month', 'country'\]",
    ),
    (
        lambda: plot.metric_trend(_trend_summary(), "gmv"),
        ValueError,
        rf"the summary has no metric 'gmv'; {METRICS_THERE}",
    ),
    (
        lambda: plot.metric_trend(_trend_summary(), "partner_id"),
        ValueError,
        rf"'partner_id' is a key of the summary, not a metric; {METRICS_THERE}",
    ),
    (
        lambda: plot.metric_trend(_trend_summary(), "small_sample"),
        ValueError,
        rf"'small_sample' is not a number; {METRICS_THERE}",
    ),
    (
        lambda: plot.metric_trend(_trend_summary(), "revenue", top=0),
        ValueError,
        r"top must be a whole number >= 1 or None \(all\), got 0",
    ),
    (
        lambda: plot.metric_trend(_trend_summary(), "revenue", top=True),
        ValueError,
        "top must be a whole number >= 1 or None",
    ),
    (
        lambda: plot.metric_trend(
            kpi.summary(orders=al.Orders.from_records([]), by=["partner_id", "month"]), "orders"
        ),
        ValueError,
        "the summary has no rows to draw",
    ),
    (lambda: plot.leaderboard(_any(None), "revenue"), TypeError, "got NoneType"),
    (
        lambda: plot.leaderboard(_board_summary(), "revenue", label="country"),
        ValueError,
        "label='country' is not a key of the summary",
    ),
    (
        lambda: plot.leaderboard(kpi.summary(orders=_tables(BOARD)[1], by=[]), "orders"),
        ValueError,
        r"label='partner_id' is not a key of the summary; it is grouped by no keys",
    ),
    (
        lambda: plot.leaderboard(_board_summary(), "revenue", top=-1),
        ValueError,
        "top must be a whole number >= 1",
    ),
    (lambda: plot.leaderboard(_board_summary(), "epc%"), ValueError, "no metric 'epc%'"),
    (
        lambda: plot.cohort_heatmap(_cohorts(), value="ltv"),
        ValueError,
        "value must be one of retention, repeat_rate, revenue_per_customer, got 'ltv'",
    ),
    (
        lambda: plot.cohort_heatmap(_any(_board_summary())),
        TypeError,
        r"cohort_heatmap takes alliance.kpi.Cohorts \(from kpi.cohorts\(...\)\), got Summary",
    ),
    (
        lambda: plot.cohort_heatmap(_no_cohorts()),
        ValueError,
        r"cohort_heatmap: there are no cohorts to draw \(no orders with a customer\)",
    ),
    (lambda: plot.ltv_curves(_cohorts(), top=0), ValueError, "top must be a whole number"),
    (lambda: plot.ltv_curves(_any(RETENTION)), TypeError, "ltv_curves takes alliance.kpi.Cohorts"),
    (lambda: plot.funnel_chart([]), ValueError, "funnel_chart needs at least one step"),
    (
        lambda: plot.funnel_chart(_any({"click": 10})),
        TypeError,
        r"funnel_chart takes the steps of alliance.kpi.funnel\(...\), got dict",
    ),
    (
        lambda: plot.funnel_chart(_any([("click", 10)])),
        TypeError,
        "step 0 is a tuple, not a FunnelStep",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_input(call: Callable[[], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()
