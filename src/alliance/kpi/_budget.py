"""Budget: payout forecast, reserve fund and pace against a period's budget.

Money here is exact: amounts are `Money` (Decimal) or int64 minor units, every money figure
derived from a ratio (a trend, a pro-rated budget, a projection) is computed as an exact
fraction of minor units and rounded once, half-even, and a split of money (budget into reserve
and spendable, budget into elapsed and remaining) is a largest-remainder `allocate`, so the
parts add up to the whole. Ratios (the pace, the share of the period elapsed) are floats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from alliance._kernels import round_quotient
from alliance._money import Money, allocate, parse_amount
from alliance._periods import Period, require_aware, shift_days_us, to_micros
from alliance.errors import CurrencyMismatch, FloatNotAllowed, InvalidAmount
from alliance.kpi._ratio import ratio

if TYPE_CHECKING:
    from alliance.commission import CommissionTable, ContractBook

__all__ = [
    "Forecast",
    "ForecastPeriod",
    "Pace",
    "PaceStatus",
    "Pending",
    "ReserveFund",
    "forecast_payouts",
    "pace",
    "reserve_fund",
]

Int64Array = npt.NDArray[np.int64]
#: Where spend stands against the pro-rated budget.
PaceStatus = Literal["over", "on", "under"]

#: The contingency reserve of a programme's budget (DOMAIN: "a reserve of ~15%").
DEFAULT_RESERVE = Decimal("0.15")


def _share(value: Any, name: str, *, high: Decimal | None = Decimal(1)) -> Decimal:
    """An exact share: ``"0.15"``, ``"15%"``, a Decimal or an int; a float is refused."""
    if isinstance(value, float | np.floating):
        raise FloatNotAllowed(
            f"{name}={value!r} is a float; a share that decides money must be exact: "
            f"pass '{value!r}' or Decimal('{value!r}')"
        )
    text = value.strip() if isinstance(value, str) else None
    try:
        if text is not None and text.endswith("%"):
            share = parse_amount(text[:-1], what=name) / 100
        else:
            share = parse_amount(value, what=name)
    except InvalidAmount as exc:
        raise InvalidAmount(f"{name}={value!r} is not a share: {exc}") from None
    if high is None and share < 0:
        raise ValueError(f"{name}={value!r} is negative; a share is at least 0")
    if high is not None and not 0 <= share <= high:
        raise ValueError(f"{name}={value!r} must be a share between 0 and {high} ({high:%})")
    return share


def _money(value: Any, name: str) -> Money:
    if not isinstance(value, Money):
        raise TypeError(f"{name} must be Money, got {type(value).__name__} {value!r}")
    if not value.is_whole():
        raise InvalidAmount(
            f"{name}={value} is finer than the {value.currency} minor unit; round it first"
        )
    return value


def _round(value: Fraction) -> int:
    """An exact fraction of minor units, rounded half-even to a whole minor unit."""
    return int(round_quotient(value.numerator, value.denominator, "half_even"))


# -- reserve -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReserveFund:
    """A budget split into a contingency reserve and what may be spent.

    Attributes:
        budget: The whole budget.
        share: The reserve's share of it (exact).
        reserve: The money held back; ``reserve + spendable == budget`` exactly.
        spendable: The money that may be committed to partners.
    """

    budget: Money
    share: Decimal
    reserve: Money
    spendable: Money


def reserve_fund(budget: Money, *, share: Decimal | str | int = DEFAULT_RESERVE) -> ReserveFund:
    """Hold back a share of a budget for contingencies (15% by default).

    The budget is split by largest remainder into ``share`` and ``1 - share`` (`allocate`):
    each part is its exact share rounded down or up to the minor unit, and the two add up to
    the budget exactly.

    Args:
        budget: The budget for the period (a whole number of minor units, not negative).
        share: The reserve's share: ``"0.15"``, ``"15%"``, a Decimal, or 0 or 1; a float is
            refused.

    Returns:
        The reserve and the spendable rest.

    Raises:
        TypeError: ``budget`` is not `Money`.
        InvalidAmount: ``budget`` is finer than its minor unit, or ``share`` is not a number.
        FloatNotAllowed: ``share`` is a float.
        ValueError: A negative budget, or a share outside [0, 1].

    Examples:
        >>> fund = reserve_fund(Money("1000.01", "USD"))
        >>> fund.reserve, fund.spendable  # 150.0015 and 850.0085: the cent goes to the larger rest
        (Money('150.00', 'USD'), Money('850.01', 'USD'))
        >>> reserve_fund(Money("80000", "JPY"), share="12.5%").reserve
        Money('10000', 'JPY')
    """
    money = _money(budget, "budget")
    if money.amount < 0:
        raise ValueError(f"budget={money} is negative; a budget is what may be spent")
    part = _share(share, "share")
    if not money:
        zero = Money.from_minor(0, money.currency)
        return ReserveFund(money, part, zero, zero)
    held, rest = allocate(money, [part, 1 - part])
    return ReserveFund(money, part, held, rest)


# -- pace --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pace:
    """Spend against a period's budget, pro-rated by the time elapsed.

    Attributes:
        period: The budget's period.
        as_of: The instant measured at.
        budget: The period's budget.
        spent: Spend so far.
        elapsed: Share of the period elapsed at `as_of`, in [0, 1].
        prorated: The budget pro-rated to `as_of`: ``budget x elapsed`` (largest remainder).
        remaining: ``budget - spent`` (negative once overspent).
        pace: ``spent / (budget x elapsed)``: 1.0 is on pace, 1.2 is 20% ahead of it
            (`Undefined` before the period starts or with a budget of 0).
        projected: Spend at the period's end if it goes on at the pace so far:
            ``spent / elapsed`` (``None`` before the period starts).
        status: ``over``, ``on`` or ``under`` pace, with the tolerance.
        tolerance: How far from the pro-rated budget spend may be and still be ``on`` pace.
    """

    period: Period
    as_of: datetime
    budget: Money
    spent: Money
    elapsed: float
    prorated: Money
    remaining: Money
    pace: float
    projected: Money | None
    status: PaceStatus
    tolerance: Decimal


def pace(
    spent: Money,
    budget: Money,
    *,
    period: Period,
    as_of: datetime,
    tolerance: Decimal | str = "0.05",
) -> Pace:
    """How spend stands against a budget pro-rated by the time elapsed in its period.

    The period is a `Period` in the programme's time zone (``al.Period.month(2026, 10,
    tz="Asia/Shanghai")``), so the month starts at local midnight and its length is the real
    time between its bounds (a month with a daylight-saving change is an hour shorter or
    longer). With ``e`` the share of that time elapsed at ``as_of`` (0 before the period, 1
    after it):

    - pro-rated budget ``budget x e`` (exact, split by largest remainder from the budget);
    - pace ``spent / (budget x e)``;
    - projected spend at the period's end ``spent / e``, rounded half-even;
    - status ``over`` when ``spent > budget x e x (1 + tolerance)``, ``under`` when
      ``spent < budget x e x (1 - tolerance)``, else ``on`` (before the period starts, any
      spend is ``over``).

    Args:
        spent: Spend so far in the period (commission approved or accrued: the caller's
            choice), in the budget's currency.
        budget: The period's budget (after any reserve: see `reserve_fund`).
        period: The budget's period.
        as_of: The instant to measure at (timezone-aware).
        tolerance: The band around the pro-rated budget that counts as on pace, as a share
            (``"0.05"``: ±5%); exact.

    Returns:
        The pace.

    Raises:
        TypeError: ``spent`` or ``budget`` is not `Money`, or ``period`` not a `Period`.
        CurrencyMismatch: ``spent`` and ``budget`` are in different currencies.
        InvalidAmount: An amount finer than its minor unit.
        FloatNotAllowed: ``tolerance`` is a float.
        ValueError: A negative budget or spend, or a negative tolerance.
        TimezoneError: ``as_of`` is naive.

    Examples:
        >>> import alliance as al
        >>> from datetime import datetime
        >>> from zoneinfo import ZoneInfo
        >>> october = al.Period.month(2026, 10, tz="Asia/Shanghai")  # 31 days
        >>> now = datetime(2026, 10, 11, tzinfo=ZoneInfo("Asia/Shanghai"))  # 10 days in
        >>> spent, budget = Money("4000.00", "USD"), Money("9300.00", "USD")
        >>> result = pace(spent, budget, period=october, as_of=now)
        >>> result.prorated, round(result.pace, 4), result.projected, result.status
        (Money('3000.00', 'USD'), 1.3333, Money('12400.00', 'USD'), 'over')
    """
    budget = _money(budget, "budget")
    spent = _money(spent, "spent")
    if spent.currency != budget.currency:
        raise CurrencyMismatch(
            f"spent is in {spent.currency} and budget in {budget.currency}; convert one first"
        )
    if budget.amount < 0:
        raise ValueError(f"budget={budget} is negative; a budget is what may be spent")
    if spent.amount < 0:
        raise ValueError(f"spent={spent} is negative; net spend of a period is at least 0")
    if not isinstance(period, Period):
        raise TypeError(f"period must be an al.Period, got {type(period).__name__} {period!r}")
    band = _share(tolerance, "tolerance", high=None)
    now = to_micros(require_aware(as_of, name="as_of"))
    length = period.end_us - period.start_us
    done = min(max(now - period.start_us, 0), length)
    elapsed = Fraction(done, length)
    prorated = (
        allocate(budget, [done, length - done])[0]
        if budget and done
        else Money.from_minor(0, budget.currency)
    )
    exact_prorated = budget.minor * elapsed
    projected = Money.from_minor(_round(spent.minor / elapsed), spent.currency) if done else None
    if spent.minor > exact_prorated * (1 + Fraction(band)):
        status: PaceStatus = "over"
    elif spent.minor < exact_prorated * (1 - Fraction(band)):
        status = "under"
    else:
        status = "on"
    return Pace(
        period=period,
        as_of=as_of,
        budget=budget,
        spent=spent,
        elapsed=float(elapsed),
        prorated=prorated,
        remaining=budget - spent,
        pace=ratio(
            spent.minor,
            exact_prorated,
            "the budget is 0" if budget.minor == 0 else "the period has not started",
        ),
        projected=projected,
        status=status,
        tolerance=band,
    )


# -- payout forecast ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Pending:
    """Commission on hold: what each line will pay and when its hold ends.

    Attributes:
        currency: The currency of `amount`.
        amount: Commission per line, int64 minor units (read-only).
        release: When each line's hold ends, int64 µs since the epoch, UTC (read-only).

    Examples:
        >>> from datetime import UTC, datetime
        >>> from alliance import Money
        >>> held = Pending.of([Money("12.50", "USD")], [datetime(2026, 11, 3, tzinfo=UTC)])
        >>> len(held), held.total
        (1, Money('12.50', 'USD'))
    """

    currency: str
    amount: Int64Array
    release: Int64Array

    def __post_init__(self) -> None:
        code = Money(0, self.currency).currency
        for name in ("amount", "release"):
            given = np.asarray(getattr(self, name))
            if given.dtype.kind not in "iu":
                what = "minor units" if name == "amount" else "µs since the epoch (UTC)"
                raise TypeError(f"{name} must hold integer {what}, got dtype {given.dtype}")
        amount = np.array(self.amount, dtype=np.int64)
        release = np.array(self.release, dtype=np.int64)
        if amount.shape != release.shape or amount.ndim != 1:
            raise ValueError(
                f"amount {amount.shape} and release {release.shape} must be 1-D and of one length"
            )
        amount.flags.writeable = False
        release.flags.writeable = False
        object.__setattr__(self, "currency", code)
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "release", release)

    def __len__(self) -> int:
        return int(self.amount.size)

    @property
    def total(self) -> Money:
        """All pending commission."""
        return Money.from_minor(int(self.amount.sum()), self.currency)

    @classmethod
    def of(
        cls,
        amounts: Sequence[Money],
        release: Sequence[datetime],
        *,
        currency: str | None = None,
    ) -> Pending:
        """Pending commission from amounts and the instants their holds end.

        Args:
            amounts: One `Money` per line, all in one currency.
            release: When each line's hold ends (timezone-aware).
            currency: The currency; needed only when there is no line.

        Raises:
            TypeError: An amount that is not `Money`.
            CurrencyMismatch: Amounts in several currencies (or not in ``currency``).
            TimezoneError: A naive release time.
            ValueError: Different lengths, or no line and no currency.
        """
        if len(amounts) != len(release):
            raise ValueError(
                f"{len(amounts)} amounts but {len(release)} release times; give one per line"
            )
        codes = {_money(m, f"amounts[{i}]").currency for i, m in enumerate(amounts)}
        if currency is not None:
            codes.add(Money(0, currency).currency)
        if len(codes) > 1:
            raise CurrencyMismatch(
                f"pending commission in {', '.join(sorted(codes))}; forecast one currency at a time"
            )
        if not codes:
            raise ValueError("no pending line and no currency: pass currency=")
        stamps = [to_micros(require_aware(t, name=f"release[{i}]")) for i, t in enumerate(release)]
        return cls(
            codes.pop(),
            np.array([m.minor for m in amounts], dtype=np.int64),
            np.array(stamps, dtype=np.int64),
        )

    @classmethod
    def from_commissions(
        cls,
        commissions: CommissionTable,
        book: ContractBook,
        *,
        as_of: datetime,
        currency: str | None = None,
    ) -> Pending:
        """The lines of a commission table still on hold at ``as_of``.

        A line's hold ends ``hold_days`` after its order, counted in its contract's time zone
        (as `alliance.settlement` counts it); it is pending at ``as_of`` when its order is at
        or before ``as_of`` and its hold ends after. Reversals are not netted here: remove
        reversed lines first, or give `forecast_payouts` a ``reversal_rate``.

        Args:
            commissions: A `CommissionTable` (``alliance.commission.compute``).
            book: The contracts the table was computed under (for each line's hold).
            as_of: The instant to look from (timezone-aware).
            currency: Keep the lines in this currency; needed when there are several.

        Raises:
            TypeError: ``commissions`` or ``book`` is of the wrong kind.
            CurrencyMismatch: Lines in several currencies and no ``currency``.
            ValueError: A line's contract version is not in the book.
            TimezoneError: ``as_of`` is naive.
        """
        from alliance.commission import CommissionTable, ContractBook

        if not isinstance(commissions, CommissionTable):
            raise TypeError(
                f"commissions must be a CommissionTable, got {type(commissions).__name__}"
            )
        if not isinstance(book, ContractBook):
            raise TypeError(f"book must be a ContractBook, got {type(book).__name__}")
        now = to_micros(require_aware(as_of, name="as_of"))
        codes = np.asarray(commissions["currency"], dtype=object)
        present = sorted({str(c) for c in codes.tolist()})
        if currency is None:
            if len(present) > 1:
                raise CurrencyMismatch(
                    f"the commissions are in {', '.join(present)}; pass currency= to forecast one"
                )
            if not present:
                raise ValueError("no commission line and no currency: pass currency=")
            currency = present[0]
        code = Money(0, currency).currency
        ts = np.asarray(commissions["ts"], dtype=np.int64)
        rows = np.flatnonzero((codes == code) & (ts <= now))
        release = np.empty(rows.size, dtype=np.int64)
        holds = {(c.id, c.version): (c.hold_days, c.timezone) for c in book.contracts}
        ids = np.asarray(commissions["contract_id"], dtype=object)[rows]
        versions = np.asarray(commissions["version"])[rows]
        for term in sorted(set(zip(ids.tolist(), versions.tolist(), strict=True))):
            if term not in holds:
                raise ValueError(
                    f"contract {term[0]!r} version {term[1]} is not in the book; pass the book "
                    "the commissions were computed under"
                )
            days, tz = holds[term]
            picked = (ids == term[0]) & (versions == term[1])
            release[picked] = shift_days_us(ts[rows[picked]], tz=tz, days=days)
        held = release > now
        amount = np.asarray(commissions["commission"], dtype=np.int64)[rows[held]]
        return cls(code, amount, release[held])


@dataclass(frozen=True, slots=True)
class ForecastPeriod:
    """The forecast for one future period.

    Attributes:
        period: The period.
        due: Pending commission whose hold ends in it (net of the expected reversals).
        trend: The linear trend of past approved commission, projected to it (at least 0).
        forecast: ``max(due, trend)``: commission expected to be approved in the period.
        new: ``forecast - due``: the part expected from sales not yet made (or not yet known).
    """

    period: Period
    due: Money
    trend: Money
    forecast: Money
    new: Money


@dataclass(frozen=True, slots=True)
class Forecast:
    """A payout forecast, period by period.

    Attributes:
        currency: The currency of every figure.
        periods: One row per future period, in order.
        slope: The trend's change per period, rounded to the minor unit (the projection
            uses the exact slope).
        history_used: How many past periods the trend was fitted on (0: no trend).
    """

    currency: str
    periods: tuple[ForecastPeriod, ...]
    slope: Money
    history_used: int

    @property
    def total(self) -> Money:
        """The forecast over all the periods."""
        return sum((p.forecast for p in self.periods), Money.from_minor(0, self.currency))

    def to_records(self) -> list[dict[str, Any]]:
        """One dictionary per period: its label and the money figures."""
        return [
            {
                "period": p.period.label,
                "due": p.due,
                "trend": p.trend,
                "new": p.new,
                "forecast": p.forecast,
            }
            for p in self.periods
        ]


def forecast_payouts(
    pending: Pending,
    history: Sequence[Money] | Mapping[Any, Money],
    *,
    start: Period,
    periods: int = 3,
    trend_periods: int = 6,
    reversal_rate: Decimal | str = "0",
) -> Forecast:
    """Forecast the commission to be approved (and so paid) in each of the next periods.

    The method, plainly:

    1. **Due.** Pending commission is approved in the first period that ends at or after the
       end of its hold (as `alliance.settlement` approves it). Lines whose hold ended before
       ``start`` fall in the first period. Each period's due amount is reduced by
       ``reversal_rate``, the share of pending commission expected to be refunded or rejected
       before approval, and rounded half-even.
    2. **Trend.** A least-squares line through the last ``trend_periods`` values of
       ``history`` (approved commission per past period, oldest first, the last one being the
       period just before ``start``), fitted exactly, is extended to each forecast period,
       rounded half-even and floored at 0. With one past period the trend is flat; with none
       it is 0.
    3. **Forecast.** ``max(due, trend)``: what is already pending is a floor, and the trend
       fills in what sales not yet made will add. ``new = forecast - due``.

    Args:
        pending: Commission on hold (see `Pending`).
        history: Approved commission per past period, oldest first, in the pending currency;
            a mapping's values are read in order.
        start: The first period to forecast (the one after the last of ``history``).
        periods: How many periods to forecast (>= 1).
        trend_periods: How many past periods the trend is fitted on (>= 1).
        reversal_rate: Expected share of pending commission reversed before approval
            (``"0.04"`` or ``"4%"``); exact.

    Returns:
        The forecast per period.

    Raises:
        TypeError: ``pending`` is not `Pending`, ``start`` not a `Period`, a history value not
            `Money`, or a count not a whole number.
        CurrencyMismatch: History in another currency than the pending commission.
        FloatNotAllowed: ``reversal_rate`` is a float.
        ValueError: ``periods`` or ``trend_periods`` < 1, or a reversal rate outside [0, 1].

    Examples:
        >>> import alliance as al
        >>> from datetime import datetime
        >>> from datetime import UTC
        >>> held = Pending.of([Money("500.00", "USD")], [datetime(2026, 11, 20, tzinfo=UTC)])
        >>> past = [Money(v, "USD") for v in ("300.00", "400.00", "500.00")]  # +100 a month
        >>> november = al.Period.month(2026, 11, tz="UTC")
        >>> result = forecast_payouts(held, past, start=november, periods=2)
        >>> [(p.period.label, str(p.due.amount), str(p.trend.amount)) for p in result.periods]
        [('2026-11', '500.00', '600.00'), ('2026-12', '0.00', '700.00')]
        >>> [str(p.forecast.amount) for p in result.periods], result.slope
        (['600.00', '700.00'], Money('100.00', 'USD'))
    """
    if not isinstance(pending, Pending):
        raise TypeError(f"pending must be Pending, got {type(pending).__name__}")
    if not isinstance(start, Period):
        raise TypeError(f"start must be an al.Period, got {type(start).__name__} {start!r}")
    count = _count(periods, "periods")
    window = _count(trend_periods, "trend_periods")
    keep = 1 - _share(reversal_rate, "reversal_rate")
    if isinstance(history, str | bytes) or not isinstance(history, Sequence | Mapping):
        raise TypeError("history must be a sequence of Money, oldest first, or a mapping")
    past = list(history.values()) if isinstance(history, Mapping) else list(history)
    for i, value in enumerate(past):
        _money(value, f"history[{i}]")
        if value.currency != pending.currency:
            raise CurrencyMismatch(
                f"history[{i}] is in {value.currency}, the pending commission in "
                f"{pending.currency}; forecast one currency at a time"
            )
    fitted = [Fraction(m.minor) for m in past[-window:]]
    slope, level = _line(fitted)

    spans = [start]
    while len(spans) < count:
        spans.append(spans[-1].next())
    ends = np.array([p.end_us for p in spans], dtype=np.int64)
    # Approved in the first period ending at or after the hold's end (settlement's rule).
    slot = np.searchsorted(ends, pending.release, side="left")
    code = pending.currency
    rows: list[ForecastPeriod] = []
    for number, span in enumerate(spans):
        owed = int(pending.amount[slot == number].sum())
        due = _round(owed * Fraction(keep))
        step = len(fitted) + number  # x of this period, the history being x = 0 .. n - 1
        trend = max(_round(level + slope * step), 0) if fitted else 0
        expected = max(due, trend)
        rows.append(
            ForecastPeriod(
                period=span,
                due=Money.from_minor(due, code),
                trend=Money.from_minor(trend, code),
                forecast=Money.from_minor(expected, code),
                new=Money.from_minor(expected - due, code),
            )
        )
    return Forecast(code, tuple(rows), Money.from_minor(_round(slope), code), len(fitted))


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be a whole number, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name}={value} must be at least 1")
    return int(value)


def _line(values: list[Fraction]) -> tuple[Fraction, Fraction]:
    """Exact least-squares ``(slope, intercept)`` of ``values`` against x = 0, 1, 2 ..."""
    n = len(values)
    if n == 0:
        return Fraction(0), Fraction(0)
    mean_x = Fraction(n - 1, 2)
    mean_y = sum(values, Fraction(0)) / n
    spread = sum((Fraction(x) - mean_x) ** 2 for x in range(n))
    if spread == 0:
        return Fraction(0), mean_y
    slope = sum((Fraction(x) - mean_x) * (y - mean_y) for x, y in enumerate(values)) / spread
    return slope, mean_y - slope * mean_x
