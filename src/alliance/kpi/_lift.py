"""Incrementality and contribution: what partners added, and each partner's share of it.

- `wilson`: the Wilson score interval of one conversion rate.
- `lift`: exposed vs holdout conversion, with the absolute difference's interval by Newcombe's
  hybrid score method (or a bootstrap), the relative lift's interval and the incremental
  conversions.
- `contribution`: each partner's (or touch kind's) share of the revenue credited by an
  attribution run, exact in money.

Rates, differences and shares are floats; a rate over no one is `Undefined` with its reason.
Money stays exact: credited revenue is int64 minor units, and a split of money by shares goes
through `allocate` (largest remainder), so the parts add up to the whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from alliance._fx import FxRates
from alliance._money import Money, allocate
from alliance.errors import CurrencyMismatch, InvalidAmount
from alliance.kpi._ratio import Undefined, ratio

if TYPE_CHECKING:
    from alliance.attribution import Attribution, Credits

__all__ = [
    "Contribution",
    "Interval",
    "Lift",
    "LiftMethod",
    "contribution",
    "lift",
    "wilson",
]

#: How `lift` computes the difference's interval.
LiftMethod = Literal["newcombe", "bootstrap"]
#: A row key of a `Contribution`: one value, or a tuple when grouped by several columns.
Key: TypeAlias = Any

_METHODS: tuple[str, ...] = ("newcombe", "bootstrap")
_GROUPINGS: tuple[str, ...] = ("partner_id", "basis")
#: Fewer resamples than this make the ends of a 95% percentile interval rest on a handful of
#: draws.
MIN_RESAMPLES = 100


@dataclass(frozen=True, slots=True)
class Interval:
    """A two-sided confidence interval ``[low, high]``.

    Both ends are `Undefined` (NaN with a reason) when the interval cannot be computed.

    Attributes:
        low: The lower end.
        high: The upper end.
        confidence: The confidence level, in (0, 1).
        method: How it was computed (``"wilson"``, ``"newcombe"``, ``"katz log"``,
            ``"bootstrap percentile"``).

    Examples:
        >>> interval = Interval(0.1, 0.3, 0.95, "wilson")
        >>> 0.2 in interval, interval.excludes(0.0)
        (True, True)
    """

    low: float
    high: float
    confidence: float
    method: str

    def __contains__(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)

    def excludes(self, value: float) -> bool:
        """Whether ``value`` lies outside the interval (False when the interval is undefined)."""
        return bool(value < self.low or value > self.high)

    @property
    def width(self) -> float:
        """``high - low`` (NaN when undefined)."""
        return self.high - self.low

    def scaled(self, factor: float) -> Interval:
        """The interval multiplied by a non-negative factor (undefined ends stay undefined)."""
        return Interval(
            _times(self.low, factor), _times(self.high, factor), self.confidence, self.method
        )


def _times(value: float, factor: float) -> float:
    return value if isinstance(value, Undefined) else value * factor


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"{name} must be a whole number of users, got {type(value).__name__} {value!r}"
        )
    if value < 0:
        raise ValueError(f"{name}={value} must not be negative")
    return int(value)


def _counts(successes: Any, total: Any, what: str) -> tuple[int, int]:
    s = _count(successes, f"{what}_conversions" if what else "successes")
    n = _count(total, f"{what}_total" if what else "total")
    if s > n:
        names = (f"{what}_conversions", f"{what}_total") if what else ("successes", "total")
        raise ValueError(
            f"{names[0]}={s} exceeds {names[1]}={n}; a group cannot convert more users than it has"
        )
    return s, n


def _z(confidence: Any) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float | np.floating):
        raise TypeError(f"confidence must be a number in (0, 1), got {confidence!r}")
    if not 0 < confidence < 1:
        raise ValueError(
            f"confidence={confidence!r} must lie strictly between 0 and 1 (0.95 is 95%)"
        )
    return NormalDist().inv_cdf(0.5 + float(confidence) / 2)


def _wilson(successes: int, total: int, z: float) -> tuple[float, float]:
    rate = successes / total
    shrink = 1 + z * z / total
    centre = (rate + z * z / (2 * total)) / shrink
    half = z / shrink * math.sqrt(rate * (1 - rate) / total + z * z / (4 * total * total))
    # At 0 and at the whole group the formula lands on 0 and 1 up to rounding: say them exactly.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == total else min(1.0, centre + half)
    return low, high


def wilson(successes: int, total: int, confidence: float = 0.95) -> Interval:
    """The Wilson score interval of a conversion rate ``successes / total``.

    With ``p = s/n`` and ``z`` the normal quantile of ``(1 + confidence) / 2``::

        (p + z²/2n ± z sqrt(p(1 - p)/n + z²/4n²)) / (1 + z²/n)

    It stays inside [0, 1] and keeps its coverage for small groups and rates near 0 or 1, where
    the textbook ``p ± z sqrt(p(1-p)/n)`` fails (Wilson 1927; no continuity correction, as
    ``scipy.stats.binomtest(...).proportion_ci(method="wilson")``).

    Args:
        successes: Conversions (a whole number, ``0 <= successes <= total``).
        total: Users in the group (a whole number, >= 0).
        confidence: The confidence level, in (0, 1).

    Returns:
        The interval; both ends `Undefined` when ``total`` is 0.

    Raises:
        TypeError: A count is not a whole number, or confidence not a number.
        ValueError: A negative count, ``successes > total``, or confidence outside (0, 1).

    Examples:
        >>> interval = wilson(56, 70)  # Newcombe (1998), example (a), exposed group
        >>> round(interval.low, 4), round(interval.high, 4)
        (0.6918, 0.877)
        >>> wilson(0, 0).low
        Undefined('total is 0: no users to convert')
    """
    s, n = _counts(successes, total, "")
    z = _z(confidence)
    if n == 0:
        reason = "total is 0: no users to convert"
        return Interval(Undefined(reason), Undefined(reason), float(confidence), "wilson")
    low, high = _wilson(s, n, z)
    return Interval(low, high, float(confidence), "wilson")


@dataclass(frozen=True, slots=True)
class Lift:
    """The effect of exposure on conversion: exposed vs holdout.

    Attributes:
        exposed_rate: Exposed conversions / exposed users.
        holdout_rate: Holdout conversions / holdout users.
        difference: ``exposed_rate - holdout_rate`` (absolute lift, in rate points).
        difference_interval: Its confidence interval (Newcombe's method 10, or bootstrap).
        relative: ``exposed_rate / holdout_rate - 1`` (relative lift; 0.25 is +25%).
        relative_interval: Its confidence interval (Katz log method, or bootstrap).
        incremental: Conversions the exposure added: ``exposed_conversions - holdout_rate x
            exposed_total``, the exposed conversions less those the exposed users would have
            made at the holdout's rate.
        incremental_interval: ``difference_interval x exposed_total``.
        significant: Whether the difference's interval excludes 0 (False when undefined).
        confidence: The confidence level.
        method: ``"newcombe"`` or ``"bootstrap"``.
    """

    exposed_rate: float
    holdout_rate: float
    difference: float
    difference_interval: Interval
    relative: float
    relative_interval: Interval
    incremental: float
    incremental_interval: Interval
    significant: bool
    confidence: float
    method: LiftMethod


def lift(
    exposed_conversions: int,
    exposed_total: int,
    holdout_conversions: int,
    holdout_total: int,
    *,
    confidence: float = 0.95,
    method: LiftMethod = "newcombe",
    resamples: int = 10_000,
    seed: int | None = None,
) -> Lift:
    """Incrementality of a holdout test: how much exposure raised the conversion rate.

    With ``p1 = exposed_conversions / exposed_total`` and ``p2 = holdout_conversions /
    holdout_total``, the absolute lift is ``d = p1 - p2`` and the relative lift ``p1/p2 - 1``.

    ``method="newcombe"`` (default) gives the difference's interval by Newcombe's hybrid score
    method (method 10 of Newcombe 1998), built from the Wilson intervals ``[l1, u1]`` and
    ``[l2, u2]`` of the two rates::

        [d - sqrt((p1 - l1)² + (u2 - p2)²),  d + sqrt((u1 - p1)² + (p2 - l2)²)]

    and the relative lift's by the log method for a ratio of rates (Katz et al. 1978):
    ``exp(ln(p1/p2) ± z sqrt(1/a - 1/n1 + 1/c - 1/n2)) - 1``, with ``a`` and ``c`` the two
    groups' conversions; it is undefined when either group has no conversion.

    ``method="bootstrap"`` resamples each group's users with replacement ``resamples`` times
    (for yes/no outcomes that is drawing each group's conversions from ``Binomial(n, p)`` at its
    observed rate, which is how it is done), with ``numpy.random.default_rng(seed)``: the same
    seed gives the same intervals. Both intervals are percentile intervals whose ends are order
    statistics of the resampled values (numpy's ``inverted_cdf`` quantile). A resample with no
    holdout conversion has an unbounded relative lift (``+inf``; left out when it has no
    exposed conversion either). A group with no conversion (or all converted) resamples to
    the same rate every time, so its uncertainty is missed: prefer Newcombe's interval then.

    The lift is `significant` when the difference's interval excludes 0.

    Args:
        exposed_conversions: Converted users in the exposed group.
        exposed_total: Users in the exposed group.
        holdout_conversions: Converted users in the holdout (control) group.
        holdout_total: Users in the holdout group.
        confidence: The confidence level, in (0, 1).
        method: ``"newcombe"`` or ``"bootstrap"``.
        resamples: Bootstrap resamples (>= 100); unused by ``"newcombe"``.
        seed: Seed of the bootstrap's random generator; ``None`` draws a fresh one.

    Returns:
        The rates, differences, intervals and incremental conversions; a figure that needs a
        group with no users (or, for the relative lift, a holdout rate of 0) is `Undefined`.

    Raises:
        TypeError: A count is not a whole number.
        ValueError: A negative count, conversions above a group's users, confidence outside
            (0, 1), an unknown method, or too few resamples.

    Examples:
        >>> result = lift(56, 70, 48, 80)  # Newcombe (1998), Table II, example (a)
        >>> round(result.difference, 4), round(result.difference_interval.low, 4)
        (0.2, 0.0524)
        >>> round(result.difference_interval.high, 4), result.significant
        (0.3339, True)
        >>> round(result.relative, 4), round(result.incremental, 1)  # 0.8/0.6 - 1; 56 - 0.6 x 70
        (0.3333, 14.0)
    """
    a, n1 = _counts(exposed_conversions, exposed_total, "exposed")
    c, n2 = _counts(holdout_conversions, holdout_total, "holdout")
    z = _z(confidence)
    level = float(confidence)
    if method not in _METHODS:
        raise ValueError(
            f"method={method!r} is not a lift method; expected 'newcombe' or 'bootstrap'"
        )
    if method == "bootstrap":
        if isinstance(resamples, bool) or not isinstance(resamples, int | np.integer):
            raise TypeError(f"resamples must be a whole number, got {resamples!r}")
        if resamples < MIN_RESAMPLES:
            raise ValueError(f"resamples={resamples} is too few; use at least {MIN_RESAMPLES}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise TypeError(f"seed must be a whole number or None, got {seed!r}")

    p1 = ratio(a, n1, "exposed_total is 0: no exposed users")
    p2 = ratio(c, n2, "holdout_total is 0: no holdout users")
    difference = _combine(p1, p2, p1 - p2)
    relative = _combine(
        p1, p2, p1 / p2 - 1 if c else Undefined("holdout rate is 0: the relative lift has no base")
    )
    incremental = _combine(p1, p2, a - p2 * n1)
    missing = next((v for v in (p1, p2) if isinstance(v, Undefined)), None)
    if missing is not None:
        diff_name, rel_name = _interval_names(method)
        diff_interval = Interval(missing, missing, level, diff_name)
        rel_interval = Interval(missing, missing, level, rel_name)
    elif method == "newcombe":
        diff_interval = _newcombe(a, n1, c, n2, z, level)
        rel_interval = _katz(a, n1, c, n2, z, level)
    else:
        diff_interval, rel_interval = _bootstrap(a, n1, c, n2, level, int(resamples), seed)
    significant = diff_interval.excludes(0.0)
    return Lift(
        exposed_rate=p1,
        holdout_rate=p2,
        difference=difference,
        difference_interval=diff_interval,
        relative=relative,
        relative_interval=rel_interval,
        incremental=incremental,
        incremental_interval=diff_interval.scaled(n1),
        significant=significant,
        confidence=level,
        method=method,
    )


def _interval_names(method: str) -> tuple[str, str]:
    if method == "newcombe":
        return "newcombe", "katz log"
    return "bootstrap percentile", "bootstrap percentile"


def _combine(p1: float, p2: float, value: float) -> float:
    """``value``, or the first group's reason when a rate is undefined."""
    for rate in (p1, p2):
        if isinstance(rate, Undefined):
            return rate
    return value


def _newcombe(a: int, n1: int, c: int, n2: int, z: float, level: float) -> Interval:
    p1, p2 = a / n1, c / n2
    l1, u1 = _wilson(a, n1, z)
    l2, u2 = _wilson(c, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Interval(low, high, level, "newcombe")


def _katz(a: int, n1: int, c: int, n2: int, z: float, level: float) -> Interval:
    if a == 0 or c == 0:
        reason = "the log method needs a conversion in each group"
        return Interval(Undefined(reason), Undefined(reason), level, "katz log")
    variance = 1 / a - 1 / n1 + 1 / c - 1 / n2
    if variance <= 0:  # every one converted in both groups: the log method has no spread
        reason = "the log method needs a group where not everyone converted"
        return Interval(Undefined(reason), Undefined(reason), level, "katz log")
    log_ratio = math.log((a / n1) / (c / n2))
    spread = z * math.sqrt(variance)
    return Interval(
        math.exp(log_ratio - spread) - 1, math.exp(log_ratio + spread) - 1, level, "katz log"
    )


def _bootstrap(
    a: int, n1: int, c: int, n2: int, level: float, resamples: int, seed: int | None
) -> tuple[Interval, Interval]:
    rng = np.random.default_rng(seed)
    exposed = rng.binomial(n1, a / n1, size=resamples) / n1
    holdout = rng.binomial(n2, c / n2, size=resamples) / n2
    tails = np.array([(1 - level) / 2, (1 + level) / 2])
    name = "bootstrap percentile"
    low, high = np.quantile(exposed - holdout, tails, method="inverted_cdf").tolist()
    difference = Interval(float(low), float(high), level, name)
    if c == 0:  # every resampled holdout rate is 0 as well: no ratio to resample
        reason = "holdout rate is 0: the relative lift has no base"
        return difference, Interval(Undefined(reason), Undefined(reason), level, name)
    defined = (holdout > 0) | (exposed > 0)
    with np.errstate(divide="ignore"):
        relative = exposed[defined] / holdout[defined] - 1
    low, high = np.quantile(relative, tails, method="inverted_cdf").tolist()
    return difference, Interval(float(low), float(high), level, name)


# -- contribution ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contribution:
    """Each group's share of attributed revenue, largest first.

    Attributes:
        by: The columns grouped by (``("partner_id",)``, ``("basis",)`` or both).
        keys: One key per row: the group's value, or a tuple of values when grouped by
            several columns.
        credited: Credited revenue per row, in minor units of `currency`.
        shares: ``credited / total`` per row (floats summing to 1; `Undefined` when the
            total is 0).
        currency: The currency of `credited` (``None`` only for no credits and no currency
            asked).
        model: The attribution model's name, when known.

    Examples:
        >>> from alliance import Money
        >>> usd = lambda amount: Money(amount, "USD")
        >>> result = contribution({"kol-anna": usd("60.00"), "blog-b": usd("40.00")})
        >>> result.to_dict()
        {'kol-anna': 0.6, 'blog-b': 0.4}
        >>> result.split(Money("10.01", "USD"))
        {'kol-anna': Money('6.01', 'USD'), 'blog-b': Money('4.00', 'USD')}
    """

    by: tuple[str, ...]
    keys: tuple[Key, ...]
    credited: tuple[int, ...]
    shares: tuple[float, ...]
    currency: str | None
    model: str | None = None

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def total(self) -> Money | None:
        """All credited revenue (``None`` when the currency is unknown)."""
        return (
            None if self.currency is None else Money.from_minor(sum(self.credited), self.currency)
        )

    def share(self, key: Key) -> float:
        """One group's share: 0.0 without credit, `Undefined` when nothing was credited."""
        if key in self.keys:
            return self.shares[self.keys.index(key)]
        return Undefined("no attributed revenue") if not sum(self.credited) else 0.0

    def to_dict(self) -> dict[Key, float]:
        """``{key: share}``, largest first."""
        return dict(zip(self.keys, self.shares, strict=True))

    def amounts(self) -> dict[Key, Money]:
        """``{key: credited revenue}`` as `Money`, largest first."""
        if self.currency is None:
            return {}
        return {
            key: Money.from_minor(minor, self.currency)
            for key, minor in zip(self.keys, self.credited, strict=True)
        }

    def split(self, amount: Money) -> dict[Key, Money]:
        """Share out ``amount`` (a bonus pool, a budget) by credited revenue, exactly.

        Largest-remainder `allocate` on the exact credited amounts: the parts add up to
        ``amount``, whatever its currency.

        Raises:
            TypeError: ``amount`` is not `Money`.
            ValueError: There is no credited revenue to split by.
        """
        if not isinstance(amount, Money):
            raise TypeError(f"amount must be Money, got {type(amount).__name__} {amount!r}")
        if not sum(self.credited):
            raise ValueError("there is no attributed revenue to split by; every share is undefined")
        return dict(
            zip(
                self.keys,
                allocate(amount.round() if amount.is_whole() else amount, list(self.credited)),
                strict=True,
            )
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One dictionary per row: the grouping columns, ``credited`` (`Money`) and ``share``."""
        records = []
        for key, minor, share in zip(self.keys, self.credited, self.shares, strict=True):
            values = key if len(self.by) > 1 else (key,)
            record: dict[str, Any] = dict(zip(self.by, values, strict=True))
            record["credited"] = (
                None if self.currency is None else Money.from_minor(minor, self.currency)
            )
            record["share"] = share
            records.append(record)
        return records


def contribution(
    credits: Attribution | Credits | Mapping[str, Money],
    *,
    by: str | Sequence[str] = "partner_id",
    paid_only: bool = False,
    currency: str | None = None,
    fx: FxRates | None = None,
) -> Contribution:
    """Each partner's share of the revenue an attribution run credited (贡献度).

    The attribution model chose how each order's revenue was shared over its touches (see
    `alliance.attribution.attribute`); this adds up each group's credited revenue, exactly in
    minor units, and divides by the total. Shares are floats; money split by them goes through
    `Contribution.split` (largest remainder), so parts add up exactly.

    Credits in several currencies are converted to ``currency`` with ``fx``, each row at the
    rate in force at its credit's time (``ts``), rounded once half-even. A plain mapping of
    partner id to `Money` works too, for credited revenue from elsewhere (one currency).

    Args:
        credits: An `Attribution`, its `Credits`, or ``{partner_id: Money}``.
        by: ``"partner_id"`` (default), ``"basis"`` (what earned the credit: ``click``,
            ``impression`` or ``coupon``), or both as a sequence; keys are then tuples.
        paid_only: Leave out the shares earned by non-partner channels (``paid=False`` rows,
            from ``non_partner_rule="win"``).
        currency: The currency to report in; needed (with ``fx``) when the credits are in
            several currencies.
        fx: Exchange rates for credits in another currency than ``currency``.

    Returns:
        The groups, largest credited revenue first (ties by key).

    Raises:
        TypeError: ``credits`` is of an unknown kind, or a mapping value is not `Money`.
        ValueError: ``by`` names an unknown column, or a negative amount in a mapping.
        CurrencyMismatch: Credits in several currencies (or not in ``currency``) and no ``fx``.
        MissingRate: ``fx`` has no rate for some credit.

    Examples:
        >>> result = contribution({"a": Money("1.00", "EUR"), "b": Money("3.00", "EUR")})
        >>> result.keys, result.shares, result.total
        (('b', 'a'), (0.75, 0.25), Money('4.00', 'EUR'))
    """
    # Attribution (and the commission package under it) loads when first needed, not with kpi.
    from alliance.attribution import Attribution, Credits

    columns = _grouping(by)
    model: str | None = None
    if isinstance(credits, Attribution):
        model = credits.model.name
        credits = credits.credits
    if isinstance(credits, Credits):
        keys, minor, code = _from_credits(credits, columns, paid_only, currency, fx)
    elif isinstance(credits, Mapping):
        if columns != ("partner_id",):
            raise ValueError(
                f"by={by!r}: a mapping of partner id to money can only be grouped by partner_id"
            )
        keys, minor, code = _from_mapping(credits, currency, fx)
    else:
        raise TypeError(
            "credits must be an Attribution, its Credits, or a mapping of partner id to Money; "
            f"got {type(credits).__name__}"
        )
    return _contribution(columns, keys, minor, code, model)


def _grouping(by: str | Sequence[str]) -> tuple[str, ...]:
    columns = (by,) if isinstance(by, str) else tuple(by)
    if (
        not columns
        or any(c not in _GROUPINGS for c in columns)
        or len(set(columns)) != len(columns)
    ):
        raise ValueError(f"by={by!r}: group by 'partner_id', 'basis' or both, each once")
    return columns


def _from_credits(
    credits: Credits,
    columns: tuple[str, ...],
    paid_only: bool,
    currency: str | None,
    fx: FxRates | None,
) -> tuple[list[Key], npt.NDArray[np.int64], str | None]:
    rows = (
        np.asarray(credits["paid"], dtype=bool) if paid_only else np.ones(len(credits), dtype=bool)
    )
    amounts = np.asarray(credits["credited"], dtype=np.int64)[rows]
    codes = credits["currency"][rows]
    present = sorted({str(code) for code in codes.tolist()})
    target = currency if currency is not None else (present[0] if len(present) == 1 else None)
    if target is None and present:
        raise CurrencyMismatch(
            f"the credits are in {len(present)} currencies ({', '.join(present)}); pass "
            "currency= and fx= to report them in one"
        )
    if target is not None:
        target = Money(0, target).currency
        foreign = [code for code in present if code != target]
        if foreign:
            if fx is None:
                raise CurrencyMismatch(
                    f"credits in {', '.join(foreign)} cannot be added to {target} without "
                    "exchange rates; pass fx="
                )
            amounts = fx.convert_minor(amounts, codes, target, at=credits["ts"][rows])
    groups = [credits[c][rows] for c in columns]
    keys: list[Key] = (
        groups[0].tolist()
        if len(groups) == 1
        else list(zip(*(g.tolist() for g in groups), strict=True))
    )
    return keys, amounts, target


def _from_mapping(
    credits: Mapping[str, Money], currency: str | None, fx: FxRates | None
) -> tuple[list[Key], npt.NDArray[np.int64], str | None]:
    if fx is not None:
        raise ValueError("fx= needs credits with times (Credits); convert a mapping's money first")
    keys: list[Key] = []
    minor: list[int] = []
    target = None if currency is None else Money(0, currency).currency
    for key, money in credits.items():
        if not isinstance(money, Money):
            raise TypeError(
                f"credited revenue of {key!r} must be Money, got {type(money).__name__} {money!r}"
            )
        if money.amount < 0:
            raise ValueError(
                f"credited revenue of {key!r} is negative ({money}); credit is never below 0"
            )
        if target is None:
            target = money.currency
        if money.currency != target:
            raise CurrencyMismatch(
                f"credited revenue of {key!r} is in {money.currency}, the others in {target}; "
                "convert them to one currency first"
            )
        if not money.is_whole():
            raise InvalidAmount(
                f"credited revenue of {key!r} is {money}, finer than the {money.currency} "
                "minor unit; round it first"
            )
        keys.append(key)
        minor.append(money.minor)
    return keys, np.array(minor, dtype=np.int64), target


def _contribution(
    by: tuple[str, ...],
    keys: list[Key],
    minor: npt.NDArray[np.int64],
    currency: str | None,
    model: str | None,
) -> Contribution:
    totals: dict[Key, int] = {}
    for key, amount in zip(keys, minor.tolist(), strict=True):
        totals[key] = totals.get(key, 0) + amount
    order = sorted(totals, key=lambda k: (-totals[k], _sortable(k)))
    credited = tuple(totals[k] for k in order)
    whole = sum(credited)
    shares = tuple(ratio(part, whole, "no attributed revenue") for part in credited)
    return Contribution(by, tuple(order), credited, shares, currency, model)


def _sortable(key: Key) -> tuple[tuple[bool, str], ...]:
    values = key if isinstance(key, tuple) else (key,)
    return tuple((value is None, "" if value is None else str(value)) for value in values)
