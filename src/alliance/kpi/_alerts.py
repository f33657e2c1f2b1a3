"""Alerts on a metric series: thresholds, period-over-period change, EWMA and CUSUM charts.

Every rule reads one series of values in time order, labelled by period, and returns an
`Alerts`: the `Alert` rows it raised (one per period that breaks the rule), the periods it
skipped with the reason (a missing value never raises an alert), and how many it checked.

A series is any of:

- a mapping ``{label: value}`` (a period label, a `datetime`, a `Period` ...), in time order;
- a sequence of ``(label, value)`` pairs;
- a sequence or 1-D numpy array of values, labelled by position (0, 1, 2 ...);
- anything with ``.items()`` giving ``(label, value)`` (a pandas Series).

Values are numbers (int, float, Decimal); ``None`` and NaN are missing, and an `Undefined`
metric (a rate over no one) is missing with its reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from alliance._money import Money
from alliance.kpi._ratio import Undefined

__all__ = [
    "Alert",
    "AlertRule",
    "Alerts",
    "Direction",
    "Skipped",
    "change_alerts",
    "cusum_alerts",
    "ewma_alerts",
    "threshold_alerts",
]

#: Which rule raised an alert.
AlertRule = Literal["threshold", "change", "ewma", "cusum"]
#: Which side of what was expected the value fell.
Direction = Literal["above", "below"]
Sides = Literal["both", "above", "below"]

FloatArray = npt.NDArray[np.float64]

#: A change equal to the threshold when written in decimals (a 15% drop from 1000 to 850)
#: alerts, whatever the binary rounding of the ratio: comparisons allow this much slack.
CHANGE_SLACK = 1e-12
#: Each side of a chart: (direction, statistic, limit).
_Checks = tuple[tuple[Direction, FloatArray, FloatArray], ...]
_SIDES: tuple[str, ...] = ("both", "above", "below")
_MISSING = "missing value"


@dataclass(frozen=True, slots=True)
class Alert:
    """One period that broke a rule.

    Attributes:
        metric: The metric's name.
        period: The period's label, as given in the series (its position for plain values).
        index: The period's position in the series.
        rule: ``threshold``, ``change``, ``ewma`` or ``cusum``.
        direction: ``above`` or ``below`` what was expected.
        observed: The metric's value in the period.
        expected: What the rule compared against: the bound (``threshold``), the value
            ``periods_back`` earlier (``change``), the baseline mean (``ewma``, ``cusum``).
        limit: The limit broken: the bound (``threshold``); the value at which the change
            alerts (``change``); the control limit on the smoothed value (``ewma``); the
            decision interval ``h`` in standard deviations (``cusum``).
        statistic: What was compared with the limit: the value (``threshold``), the relative
            change (``change``), the smoothed value (``ewma``), the cumulative sum in standard
            deviations (``cusum``).

    Examples:
        >>> alert = threshold_alerts({"2026-W41": 850}, below=900, metric="actives").alerts[0]
        >>> alert.reason
        'actives 2026-W41: 850 is below the threshold 900'
    """

    metric: str
    period: Any
    index: int
    rule: AlertRule
    direction: Direction
    observed: float
    expected: float
    limit: float
    statistic: float

    @property
    def reason(self) -> str:
        """The alert in words."""
        head = f"{self.metric} {self.period}: {self.observed:g}"
        if self.rule == "threshold":
            return f"{head} is {self.direction} the threshold {self.limit:g}"
        if self.rule == "change":
            verb = "rose" if self.direction == "above" else "fell"
            return f"{head} {verb} {abs(self.statistic):.1%} from {self.expected:g}"
        if self.rule == "ewma":
            return (
                f"{head}: the EWMA {self.statistic:g} is {self.direction} its control limit "
                f"{self.limit:g} (baseline {self.expected:g})"
            )
        side = "upper" if self.direction == "above" else "lower"
        return (
            f"{head}: the {side} CUSUM {self.statistic:g} exceeds h = {self.limit:g} "
            f"standard deviations (baseline {self.expected:g})"
        )


@dataclass(frozen=True, slots=True)
class Skipped:
    """A period a rule could not check, and why (a missing value, no base to compare with).

    Attributes:
        metric: The metric's name.
        period: The period's label.
        index: Its position in the series.
        reason: Why it was not checked.
    """

    metric: str
    period: Any
    index: int
    reason: str


@dataclass(frozen=True, slots=True)
class Alerts:
    """What one rule found in one series: its alerts, the periods skipped, the count checked.

    It iterates over its alerts, its length is their number, and it is true when there is one.

    Attributes:
        metric: The metric's name.
        rule: The rule that ran.
        alerts: One `Alert` per period that broke the rule, in series order.
        skipped: The periods the rule could not check, in series order.
        checked: How many periods were checked (baseline periods are not checked).

    Examples:
        >>> found = threshold_alerts([3.0, None, 7.0], above=5)
        >>> len(found), found.periods, [s.reason for s in found.skipped], found.checked
        (1, (2,), ['missing value'], 2)
    """

    metric: str
    rule: AlertRule
    alerts: tuple[Alert, ...]
    skipped: tuple[Skipped, ...]
    checked: int

    def __len__(self) -> int:
        return len(self.alerts)

    def __iter__(self) -> Iterator[Alert]:
        return iter(self.alerts)

    @property
    def periods(self) -> tuple[Any, ...]:
        """The labels of the periods that raised an alert."""
        return tuple(alert.period for alert in self.alerts)

    def to_records(self) -> list[dict[str, Any]]:
        """One dictionary per alert, with its ``reason``."""
        return [
            {
                "metric": a.metric,
                "period": a.period,
                "index": a.index,
                "rule": a.rule,
                "direction": a.direction,
                "observed": a.observed,
                "expected": a.expected,
                "limit": a.limit,
                "statistic": a.statistic,
                "reason": a.reason,
            }
            for a in self.alerts
        ]


# -- input -------------------------------------------------------------------------------------


def _value(value: Any, label: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"the value at {label!r} is a bool; a metric value must be a number")
    if isinstance(value, Money):
        raise TypeError(
            f"the value at {label!r} is money ({value}); pass its amount (a Decimal) as the "
            "metric, one currency per series"
        )
    if not isinstance(value, int | float | Decimal | np.integer | np.floating):
        raise TypeError(
            f"the value at {label!r} must be a number, got {type(value).__name__} {value!r}"
        )
    number = float(value)
    if math.isinf(number):
        raise ValueError(f"the value at {label!r} is {number}; a metric value must be finite")
    return number


class _Series(NamedTuple):
    labels: tuple[Any, ...]
    values: FloatArray
    #: Why a value is missing, where it said so (an `Undefined` metric carries its reason).
    reasons: dict[int, str]

    def missing(self, row: int) -> str:
        """Why the value at ``row`` is missing."""
        reason = self.reasons.get(row)
        return _MISSING if reason is None else f"{_MISSING} ({reason})"


def _series(series: Any) -> _Series:
    """The labels and float values of a series (see the module's docstring)."""
    if isinstance(series, str | bytes):
        raise TypeError("series must be values or (label, value) pairs, got a string")
    pairs: list[tuple[Any, Any]]
    if isinstance(series, Mapping) or (
        not isinstance(series, np.ndarray) and callable(getattr(series, "items", None))
    ):
        pairs = list(series.items())
    elif isinstance(series, np.ndarray):
        if series.ndim != 1:
            raise ValueError(f"a series array must be 1-D, got shape {series.shape}")
        pairs = list(enumerate(series.tolist()))
    elif isinstance(series, Sequence):
        items = list(series)
        if items and all(isinstance(item, tuple | list) and len(item) == 2 for item in items):
            pairs = [(label, value) for label, value in items]
        else:
            pairs = list(enumerate(items))
    else:
        raise TypeError(
            "series must be a mapping {label: value}, (label, value) pairs, or a sequence of "
            f"values; got {type(series).__name__}"
        )
    labels = tuple(label for label, _ in pairs)
    values = np.array([_value(value, label) for label, value in pairs], dtype=np.float64)
    reasons = {i: v.reason for i, (_, v) in enumerate(pairs) if isinstance(v, Undefined)}
    return _Series(labels, values, reasons)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(
        value, int | float | Decimal | np.integer | np.floating
    ):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name}={value!r} must be a finite number")
    return number


def _whole(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be a whole number, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name}={value} must be at least {low}")
    return int(value)


def _metric(metric: Any) -> str:
    if not isinstance(metric, str) or not metric:
        raise TypeError(f"metric must be a non-empty name, got {metric!r}")
    return metric


def _sides(direction: Any) -> Sides:
    if direction not in _SIDES:
        raise ValueError(f"direction={direction!r}: expected 'both', 'above' or 'below'")
    side: Sides = direction
    return side


def _skipped(metric: str, series: _Series, rows: npt.ArrayLike) -> list[Skipped]:
    """The periods at ``rows``, skipped for their missing values."""
    positions = np.asarray(rows, dtype=np.intp).tolist()
    return [Skipped(metric, series.labels[i], i, series.missing(i)) for i in positions]


# -- rules -------------------------------------------------------------------------------------


def threshold_alerts(
    series: Any,
    *,
    above: float | Decimal | None = None,
    below: float | Decimal | None = None,
    metric: str = "value",
) -> Alerts:
    """Alert on each period whose value is strictly above ``above`` or strictly below ``below``.

    A value equal to a bound does not alert. Missing values are skipped.

    Args:
        series: The metric, in time order (see the module's docstring for the shapes).
        above: Upper bound; values above it alert (``direction="above"``).
        below: Lower bound; values below it alert (``direction="below"``).
        metric: The metric's name, shown in the alerts.

    Returns:
        The alerts, with ``expected`` and ``limit`` both the bound broken.

    Raises:
        TypeError: A bound or value that is not a number.
        ValueError: Neither bound given, ``below > above``, or an infinite value.

    Examples:
        >>> found = threshold_alerts({"Mon": 0.9, "Tue": 1.0, "Wed": 1.1}, above=1.0)
        >>> [(a.period, a.direction) for a in found]
        [('Wed', 'above')]
    """
    name = _metric(metric)
    if above is None and below is None:
        raise ValueError("give above=, below= or both: the bounds a value must not cross")
    high = None if above is None else _number(above, "above")
    low = None if below is None else _number(below, "below")
    if high is not None and low is not None and low > high:
        raise ValueError(f"below={below} is greater than above={above}; every value would alert")
    given = _series(series)
    labels, values = given.labels, given.values
    alerts: list[Alert] = []
    missing = np.isnan(values)
    for i in np.flatnonzero(~missing).tolist():
        value = float(values[i])
        if high is not None and value > high:
            alerts.append(Alert(name, labels[i], i, "threshold", "above", value, high, high, value))
        elif low is not None and value < low:
            alerts.append(Alert(name, labels[i], i, "threshold", "below", value, low, low, value))
    skipped = _skipped(name, given, np.flatnonzero(missing))
    return Alerts(name, "threshold", tuple(alerts), tuple(skipped), int((~missing).sum()))


def change_alerts(
    series: Any,
    *,
    drop: float | Decimal | None = 0.15,
    rise: float | Decimal | None = None,
    periods_back: int = 1,
    metric: str = "value",
) -> Alerts:
    """Alert on a drop (or rise) of at least a share against the value ``periods_back`` earlier.

    The change of period ``t`` is ``x_t / x_(t - periods_back) - 1``. It alerts ``below`` when
    it is ``-drop`` or lower (a drop of at least ``drop``: weekly actives down 15% or more with
    ``drop=0.15``), and ``above`` when it is ``rise`` or higher. A change equal to the
    threshold in decimals alerts (comparisons allow 1e-12 for binary rounding).

    The first ``periods_back`` periods have nothing to compare with and are not checked. A
    period is skipped when its value is missing, when the earlier value is missing, or when
    the earlier value is 0 or negative (a percentage change needs a positive base).

    Args:
        series: The metric, in time order (see the module's docstring for the shapes).
        drop: The drop that alerts, as a share in (0, 1] (0.15 is 15%); ``None``: no drop rule.
        rise: The rise that alerts, as a share > 0; ``None`` (default): no rise rule.
        periods_back: Compare with the value this many periods earlier (1: week over week on
            a weekly series; 52: year over year).
        metric: The metric's name.

    Returns:
        The alerts: ``expected`` is the earlier value, ``limit`` the value at which the change
        alerts (``expected x (1 - drop)`` or ``expected x (1 + rise)``), ``statistic`` the
        relative change.

    Raises:
        TypeError: A share or value that is not a number, or periods_back not a whole number.
        ValueError: Neither drop nor rise, drop outside (0, 1], rise <= 0, periods_back < 1.

    Examples:
        >>> weekly_actives = {"2026-W40": 1000, "2026-W41": 850, "2026-W42": 800}
        >>> found = change_alerts(weekly_actives, drop=0.15, metric="weekly actives")
        >>> [a.reason for a in found]
        ['weekly actives 2026-W41: 850 fell 15.0% from 1000']
    """
    name = _metric(metric)
    if drop is None and rise is None:
        raise ValueError("give drop=, rise= or both: the change that should alert")
    fall = None if drop is None else _number(drop, "drop")
    if fall is not None and not 0 < fall <= 1:
        raise ValueError(f"drop={drop} must be a share in (0, 1]; 0.15 is a 15% drop")
    climb = None if rise is None else _number(rise, "rise")
    if climb is not None and not climb > 0:
        raise ValueError(f"rise={rise} must be a share > 0; 0.2 is a 20% rise")
    back = _whole(periods_back, "periods_back", 1)
    given = _series(series)
    labels, values = given.labels, given.values
    alerts: list[Alert] = []
    skipped: list[Skipped] = []
    checked = 0
    for i in range(back, values.size):
        value, base = float(values[i]), float(values[i - back])
        if math.isnan(value):
            skipped.append(Skipped(name, labels[i], i, given.missing(i)))
            continue
        if math.isnan(base):
            reason = f"no value {back} period{'s' * (back != 1)} earlier ({labels[i - back]!r})"
            skipped.append(Skipped(name, labels[i], i, reason))
            continue
        if base <= 0:
            reason = (
                f"the value {back} period{'s' * (back != 1)} earlier is {base:g}; "
                "a change needs a positive base"
            )
            skipped.append(Skipped(name, labels[i], i, reason))
            continue
        checked += 1
        change = value / base - 1
        if fall is not None and change <= -fall + CHANGE_SLACK:
            limit = base * (1 - fall)
            alerts.append(Alert(name, labels[i], i, "change", "below", value, base, limit, change))
        elif climb is not None and change >= climb - CHANGE_SLACK:
            limit = base * (1 + climb)
            alerts.append(Alert(name, labels[i], i, "change", "above", value, base, limit, change))
    return Alerts(name, "change", tuple(alerts), tuple(skipped), checked)


def _given(target: Any, sigma: Any) -> tuple[float | None, float | None]:
    """The in-control mean and standard deviation the caller gave, checked (None if not)."""
    mean = None if target is None else _number(target, "target")
    spread = None if sigma is None else _number(sigma, "sigma")
    if spread is not None and not spread > 0:
        raise ValueError(f"sigma={sigma} must be > 0")
    return mean, spread


def _baseline(values: FloatArray, warmup: int, target: Any, sigma: Any) -> tuple[float, float]:
    """The in-control mean and standard deviation: given, or from the first `warmup` values."""
    mean, spread = _given(target, sigma)
    if mean is None or spread is None:
        window = values[:warmup]
        present = window[~np.isnan(window)]
        if present.size < 2:
            raise ValueError(
                f"the baseline (the first warmup={warmup} periods) has {present.size} value(s); "
                "it needs at least 2 to estimate the mean and standard deviation, or pass "
                "target= and sigma="
            )
        if mean is None:
            mean = float(present.mean())
        if spread is None:
            spread = float(present.std(ddof=1))
            if not spread > 0:
                raise ValueError(
                    f"the baseline (the first warmup={warmup} periods) does not vary, so it "
                    "gives no standard deviation to measure against; pass sigma="
                )
    return mean, spread


def _chart_alerts(
    name: str,
    rule: AlertRule,
    series: _Series,
    start: int,
    side: Sides,
    checks: _Checks,
    expected: float,
) -> Alerts:
    """Alerts of a chart: each check is (direction, statistic, limit) over ``values[start:]``."""
    labels, values = series.labels, series.values
    rest = values[start:]
    missing = np.isnan(rest)
    alerts: list[Alert] = []
    for offset in np.flatnonzero(~missing).tolist():
        i = start + offset
        for direction, statistic, limit in checks:
            if side not in ("both", direction):
                continue
            value, bound = float(statistic[offset]), float(limit[offset])
            # A CUSUM has one sum per side, each alarming above h; an EWMA has one statistic
            # between a lower and an upper limit.
            outside = value < bound if rule == "ewma" and direction == "below" else value > bound
            if outside:
                alerts.append(
                    Alert(
                        name,
                        labels[i],
                        i,
                        rule,
                        direction,
                        float(rest[offset]),
                        expected,
                        bound,
                        value,
                    )
                )
                break
    skipped = _skipped(name, series, start + np.flatnonzero(missing))
    return Alerts(name, rule, tuple(alerts), tuple(skipped), int((~missing).sum()))


def ewma_alerts(
    series: Any,
    *,
    lam: float = 0.2,
    k: float = 3.0,
    warmup: int = 8,
    target: float | Decimal | None = None,
    sigma: float | Decimal | None = None,
    direction: Sides = "both",
    metric: str = "value",
) -> Alerts:
    """Alert when the exponentially weighted moving average leaves its control limits.

    The first ``warmup`` periods are the baseline: their mean is the in-control ``target`` and
    their sample standard deviation (``ddof=1``) is ``sigma``, unless given. The chart then runs
    on the periods after the baseline: ``z_0 = target``, ``z_t = lam x_t + (1 - lam) z_(t-1)``,
    with the exact time-varying limits::

        target ± k sigma sqrt(lam / (2 - lam) (1 - (1 - lam)^(2t)))

    (`alliance.risk` computes the chart). Every period whose ``z_t`` is strictly outside the
    limits alerts (the chart is not reset, so a lasting shift alerts in each period it lasts).
    A missing value is skipped and leaves ``z`` as it was.

    Args:
        series: The metric, in time order (see the module's docstring for the shapes).
        lam: The weight of the newest value, in (0, 1] (0.2 is usual; 1 charts raw values).
        k: The width of the limits in standard deviations of ``z_t`` (> 0; 3 is usual).
        warmup: Periods at the start that form the baseline and are not checked (>= 0; 0
            needs ``target`` and ``sigma``). A series no longer than this checks nothing.
        target: The in-control mean (default: the baseline's mean).
        sigma: The standard deviation of one value (default: the baseline's).
        direction: Alert on ``both`` sides, or only ``above`` or ``below``.
        metric: The metric's name.

    Returns:
        The alerts: ``expected`` is ``target``, ``limit`` the limit broken, ``statistic``
        the EWMA ``z_t``.

    Raises:
        TypeError: An option or value that is not a number.
        ValueError: ``lam`` outside (0, 1], ``k <= 0``, ``sigma <= 0``, a negative warmup, a
            baseline with fewer than two values or that does not vary.

    Examples:
        >>> found = ewma_alerts([5.0, 20.0], lam=0.5, warmup=0, target=10, sigma=2)
        >>> # z = 7.5 inside 10 ± 3, then 13.75 above 10 + 6 sqrt(1/3 x 15/16) = 13.3541
        >>> [(a.index, a.direction, a.statistic, round(a.limit, 4)) for a in found]
        [(1, 'above', 13.75, 13.3541)]
    """
    from alliance.risk._stats import ewma  # the risk package is large: loaded when first needed

    name = _metric(metric)
    lam = _number(lam, "lam")
    if not 0 < lam <= 1:
        raise ValueError(f"lam={lam} must be in (0, 1]; 0.2 is usual")
    width = _number(k, "k")
    if not width > 0:
        raise ValueError(f"k={k} must be > 0; 3 is usual")
    side = _sides(direction)
    start = _whole(warmup, "warmup", 0)
    given = _series(series)
    values = given.values
    _given(target, sigma)
    if values.size <= start:  # nothing past the warm-up to check
        return Alerts(name, "ewma", (), (), 0)
    mean, spread = _baseline(values, start, target, sigma)
    statistic, upper, _ = ewma(values[start:], target=mean, sigma=spread, lam=lam, L=width)
    lower = 2 * mean - upper
    checks: _Checks = (("above", statistic, upper), ("below", statistic, lower))
    return _chart_alerts(name, "ewma", given, start, side, checks, mean)


def cusum_alerts(
    series: Any,
    *,
    k: float = 0.5,
    h: float = 5.0,
    warmup: int = 8,
    target: float | Decimal | None = None,
    sigma: float | Decimal | None = None,
    direction: Sides = "both",
    metric: str = "value",
) -> Alerts:
    """Alert when a tabular CUSUM, standardised on a baseline, passes its decision interval.

    The first ``warmup`` periods are the baseline: their mean is the in-control ``target`` and
    their sample standard deviation (``ddof=1``) is ``sigma``, unless given. Each later value
    is standardised, ``u_t = (x_t - target) / sigma``, and two one-sided sums run from 0::

        upper: S_t = max(0, S_(t-1) + u_t - k)
        lower: T_t = max(0, T_(t-1) - u_t - k)

    (`alliance.risk` computes them). A period alerts ``above`` when ``S_t > h`` and ``below``
    when ``T_t > h``. The sums are not reset after an alarm, so a lasting shift alerts in each
    period it lasts. A missing value is skipped and leaves both sums as they were.

    Args:
        series: The metric, in time order (see the module's docstring for the shapes).
        k: The allowance, in standard deviations (>= 0; 0.5 detects a one-sigma shift).
        h: The decision interval, in standard deviations (> 0; 4 to 5 is usual).
        warmup: Periods at the start that form the baseline and are not checked (>= 0; 0
            needs ``target`` and ``sigma``). A series no longer than this checks nothing.
        target: The in-control mean (default: the baseline's mean).
        sigma: The standard deviation of one value (default: the baseline's).
        direction: Alert on ``both`` sides, or only ``above`` or ``below``.
        metric: The metric's name.

    Returns:
        The alerts: ``expected`` is ``target``, ``limit`` is ``h`` and ``statistic`` the sum
        that passed it, both in standard deviations.

    Raises:
        TypeError: An option or value that is not a number.
        ValueError: ``k < 0``, ``h <= 0``, ``sigma <= 0``, a negative warmup, a baseline with
            fewer than two values or that does not vary.

    Examples:
        >>> found = cusum_alerts([3.0, 3.0, 0.6], warmup=0, target=0, sigma=1, h=5)
        >>> [(a.index, round(a.statistic, 6)) for a in found]  # sums 2.5, 5.0, 5.1
        [(2, 5.1)]
    """
    from alliance.risk._stats import cusum  # the risk package is large: loaded when first needed

    name = _metric(metric)
    allowance = _number(k, "k")
    if not allowance >= 0:
        raise ValueError(f"k={k} must be >= 0; 0.5 is usual")
    interval = _number(h, "h")
    if not interval > 0:
        raise ValueError(f"h={h} must be > 0; 4 to 5 is usual")
    side = _sides(direction)
    start = _whole(warmup, "warmup", 0)
    given = _series(series)
    values = given.values
    _given(target, sigma)
    if values.size <= start:  # nothing past the warm-up to check
        return Alerts(name, "cusum", (), (), 0)
    mean, spread = _baseline(values, start, target, sigma)
    rest = values[start:]
    upper, _ = cusum(rest, target=mean, sigma=spread, k=allowance, h=interval)
    lower, _ = cusum(-rest, target=-mean, sigma=spread, k=allowance, h=interval)
    limit: FloatArray = np.full(rest.shape, interval)
    checks: _Checks = (("above", upper, limit), ("below", lower, limit))
    return _chart_alerts(name, "cusum", given, start, side, checks, mean)
