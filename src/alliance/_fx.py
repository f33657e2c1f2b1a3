"""Dated exchange rates and exact conversion, one amount at a time or ten million."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._currency import Currency, currency
from alliance._kernels import (
    INT64_MAX,
    RoundingMode,
    decimal_to_ratio,
    mul_div_round,
    round_quotient,
    rounding_mode,
)
from alliance._money import Money, parse_amount
from alliance._periods import from_micros, require_aware, to_micros
from alliance.errors import InvalidAmount, MissingRate, MoneyOverflow

__all__ = ["FxRate", "FxRates"]

Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class FxRate:
    """One quoted rate: one unit of `base` buys `rate` units of `quote` from `as_of` on.

    Attributes:
        base: Currency code bought.
        quote: Currency code paid.
        rate: Exact, strictly positive decimal.
        as_of: Instant from which the rate is in force (tz-aware).
    """

    base: str
    quote: str
    rate: Decimal
    as_of: datetime


@dataclass(frozen=True, slots=True)
class _Series:
    """The dated rates of one pair, sorted by instant."""

    times_us: Int64Array
    rates: tuple[Fraction, ...]


@dataclass(frozen=True, slots=True)
class _Leg:
    """How one step of a conversion finds its rate: which series, and whether inverted."""

    pair: tuple[str, str]
    inverse: bool


class FxRates:
    """A set of dated exchange rates with exact conversion.

    A rate is in force from its ``as_of`` instant until the next rate of the same pair:
    conversion at an instant uses the latest rate at or before it. A pair quoted only the
    other way round is used inverted, exactly (a rational, not a truncated decimal), and with a
    `pivot` currency, pairs that share it give cross rates. The converted amount is rounded
    once, to the target currency's minor unit.

    Args:
        rates: `FxRate` values (see `from_records` for plain rows).
        pivot: Currency through which cross rates are formed (``"USD"``, ``"EUR"``). When
            omitted and every quote shares one base currency, that base is the pivot.
        max_age: Refuse rates older than this at the conversion instant (stale quotes raise
            `MissingRate`); ``None`` accepts any age.

    Raises:
        CurrencyError: A code is not an ISO 4217 currency.
        InvalidAmount: A rate is not strictly positive, or one pair has two different rates
            at the same instant.
        TimezoneError: An ``as_of`` is naive.

    Examples:
        >>> from datetime import datetime, timezone
        >>> fx = FxRates.from_records(
        ...     [{"base": "EUR", "quote": "USD", "rate": "1.0832",
        ...       "as_of": datetime(2026, 10, 1, tzinfo=timezone.utc)}]
        ... )
        >>> fx.convert(Money("10.00", "EUR"), "USD", at=datetime(2026, 10, 2, tzinfo=timezone.utc))
        Money('10.83', 'USD')
        >>> fx.convert(Money("10.83", "USD"), "EUR", at=datetime(2026, 10, 2, tzinfo=timezone.utc))
        Money('10.00', 'EUR')
    """

    def __init__(
        self,
        rates: Iterable[FxRate] = (),
        *,
        pivot: str | None = None,
        max_age: timedelta | None = None,
    ) -> None:
        collected: dict[tuple[str, str], dict[int, Fraction]] = {}
        originals: list[FxRate] = []
        for item in rates:
            if not isinstance(item, FxRate):
                raise TypeError(f"rates must be FxRate values, got {type(item).__name__}")
            base, quote = currency(item.base).code, currency(item.quote).code
            if base == quote:
                raise InvalidAmount(f"a rate from {base} to itself is always 1; remove it")
            rate = parse_amount(item.rate, what=f"{base}/{quote} rate")
            if rate <= 0:
                raise InvalidAmount(f"{base}/{quote} rate must be positive, got {rate}")
            instant = to_micros(require_aware(item.as_of, name="as_of"))
            by_time = collected.setdefault((base, quote), {})
            exact = Fraction(rate)
            if instant in by_time and by_time[instant] != exact:
                raise InvalidAmount(
                    f"two different {base}/{quote} rates as of {item.as_of.isoformat()}: "
                    f"{by_time[instant]} and {rate}"
                )
            by_time[instant] = exact
            originals.append(FxRate(base, quote, rate, item.as_of))
        self._series: dict[tuple[str, str], _Series] = {}
        for pair, by_time in collected.items():
            times = sorted(by_time)
            self._series[pair] = _Series(
                np.array(times, dtype=np.int64), tuple(by_time[t] for t in times)
            )
        self._records = tuple(originals)
        if pivot is None:
            bases = {base for base, _ in self._series}
            pivot = next(iter(bases)) if len(bases) == 1 else None
        self.pivot: str | None = currency(pivot).code if pivot is not None else None
        if max_age is not None and max_age <= timedelta(0):
            raise ValueError(f"max_age must be positive, got {max_age}")
        self.max_age = max_age

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        *,
        pivot: str | None = None,
        max_age: timedelta | None = None,
    ) -> FxRates:
        """Build from rows with keys ``base``, ``quote``, ``rate`` and ``as_of``.

        ``rate`` is a string, int or Decimal (floats are refused: a rate multiplies money);
        ``as_of`` is an aware datetime or an ISO 8601 string with an offset.
        """
        rates = []
        for position, row in enumerate(records):
            missing = {"base", "quote", "rate", "as_of"} - set(row)
            if missing:
                raise ValueError(f"rate row {position} lacks {sorted(missing)}")
            as_of = row["as_of"]
            if isinstance(as_of, str):
                as_of = datetime.fromisoformat(as_of)
            rates.append(FxRate(row["base"], row["quote"], row["rate"], as_of))
        return cls(rates, pivot=pivot, max_age=max_age)

    @classmethod
    def from_frame(
        cls, frame: Any, *, pivot: str | None = None, max_age: timedelta | None = None
    ) -> FxRates:
        """Build from a pandas, polars or pyarrow table with the `from_records` columns."""
        from alliance._frames import frame_to_records

        return cls.from_records(frame_to_records(frame), pivot=pivot, max_age=max_age)

    def to_records(self) -> list[dict[str, Any]]:
        """The rates as rows, in the order given."""
        return [
            {"base": r.base, "quote": r.quote, "rate": r.rate, "as_of": r.as_of}
            for r in self._records
        ]

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        pairs = ", ".join(f"{b}/{q}" for b, q in sorted(self._series))
        return f"FxRates({len(self)} rates; pairs {pairs or 'none'}; pivot {self.pivot})"

    # -- lookup -------------------------------------------------------------------------------

    def _route(self, source: str, target: str) -> list[_Leg]:
        def leg(a: str, b: str) -> list[_Leg] | None:
            options = [_Leg(p, p != (a, b)) for p in ((a, b), (b, a)) if p in self._series]
            return options or None

        direct = leg(source, target)
        if direct is not None:
            return direct
        pivot = self.pivot
        if pivot is not None and pivot not in (source, target):
            first, second = leg(source, pivot), leg(pivot, target)
            if first is not None and second is not None:
                # Encoded as two steps; `_lookup` resolves each step independently.
                return [*first, _Leg(("", ""), False), *second]
        raise MissingRate(
            f"no rate converts {source} to {target}: neither {source}/{target} nor "
            f"{target}/{source} is quoted"
            + (f", and no cross rate through {pivot}" if pivot else " (and no pivot is set)")
        )

    def _step_index(
        self, options: list[_Leg], at_us: Int64Array
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Per instant: which option (direct/inverse) and which dated rate; -1 when none."""
        best_time = np.full(at_us.shape, np.iinfo(np.int64).min, dtype=np.int64)
        choice = np.full(at_us.shape, -1, dtype=np.intp)
        position = np.full(at_us.shape, -1, dtype=np.intp)
        for number, option in enumerate(options):
            series = self._series[option.pair]
            found = np.searchsorted(series.times_us, at_us, side="right") - 1
            valid = found >= 0
            times = np.where(valid, series.times_us[np.maximum(found, 0)], best_time)
            better = valid & (times > best_time)
            best_time = np.where(better, times, best_time)
            choice = np.where(better, number, choice)
            position = np.where(better, found, position)
        if self.max_age is not None:
            age_limit = self.max_age // timedelta(microseconds=1)
            stale = (choice >= 0) & (at_us - best_time > age_limit)
            choice = np.where(stale, -2, choice)
        return choice, position

    def _rates_at(
        self,
        source: str,
        target: str,
        at_us: Int64Array,
        *,
        positions: npt.NDArray[np.intp] | None = None,
    ) -> tuple[list[Fraction], npt.NDArray[np.intp]]:
        """Distinct exact rates used and, per instant, the index of its rate.

        ``positions`` are the caller's row numbers of the instants, for error messages.
        """
        if source == target:
            return [Fraction(1)], np.zeros(at_us.shape, dtype=np.intp)
        route = self._route(source, target)
        steps: list[list[_Leg]] = [[]]
        for leg in route:
            if leg.pair == ("", ""):
                steps.append([])
            else:
                steps[-1].append(leg)
        keys = []
        for options in steps:
            choice, position = self._step_index(options, at_us)
            failed = choice < 0
            if failed.any():
                self._raise_missing(source, target, options, at_us, choice, positions)
            keys.append((choice, position))
        # One integer key per instant for the (option, dated rate) chosen at every step, then
        # a dense renumbering of the keys that occur: no sort over the rows.
        combined = np.zeros(at_us.shape, dtype=np.int64)
        widths = []
        for options, (choice, position) in zip(steps, keys, strict=True):
            length = max(len(self._series[o.pair].rates) for o in options)
            widths.append(length)
            combined = combined * (len(options) * length) + choice * length + position
        space = int(np.prod([len(o) * w for o, w in zip(steps, widths, strict=True)]))
        if space <= max(4 * at_us.size, 1 << 16):
            present = np.zeros(space, dtype=bool)
            present[combined] = True
            distinct = np.flatnonzero(present)
            inverse = (np.cumsum(present) - 1)[combined]
        else:
            distinct, inverse = np.unique(combined, return_inverse=True)
        rates = []
        for key in distinct.tolist():
            rate = Fraction(1)
            for options, length in reversed(list(zip(steps, widths, strict=True))):
                key, step_key = divmod(key, len(options) * length)
                option = options[step_key // length]
                quoted = self._series[option.pair].rates[step_key % length]
                rate *= 1 / quoted if option.inverse else quoted
            rates.append(rate)
        return rates, inverse.reshape(-1).astype(np.intp)

    def _raise_missing(
        self,
        source: str,
        target: str,
        options: list[_Leg],
        at_us: Int64Array,
        choice: npt.NDArray[np.intp],
        positions: npt.NDArray[np.intp] | None,
    ) -> None:
        bad = np.flatnonzero(choice < 0)
        first = int(bad[0])
        instant = from_micros(int(at_us[first])).isoformat()
        names = " or ".join(f"{a}/{b}" for a, b in (o.pair for o in options))
        earliest = min(int(self._series[o.pair].times_us[0]) for o in options)
        where = ""
        if positions is not None:
            rows = positions[bad]
            more = f" and {rows.size - 10} more" if rows.size > 10 else ""
            where = f" (rows {', '.join(map(str, rows[:10].tolist()))}{more})"
        if int(choice[first]) == -2:
            raise MissingRate(
                f"the {names} rate in force at {instant} is older than max_age={self.max_age} "
                f"converting {source} to {target}{where}"
            )
        raise MissingRate(
            f"no {names} rate at or before {instant} converting {source} to {target}{where}; "
            f"the earliest is as of {from_micros(earliest).isoformat()}"
        )

    def rate(self, base: str, quote: str, *, at: datetime) -> Fraction:
        """The exact rate (units of `quote` per unit of `base`) in force at an instant.

        Returns a `Fraction`, because an inverse or cross rate need not be a finite decimal.

        Raises:
            MissingRate: No rate covers the pair at that instant.
        """
        source, target = currency(base).code, currency(quote).code
        instant = np.array([to_micros(require_aware(at, name="at"))], dtype=np.int64)
        rates, index = self._rates_at(source, target, instant)
        return rates[int(index[0])]

    # -- conversion ---------------------------------------------------------------------------

    def convert(
        self,
        money: Money,
        to: str | Currency,
        *,
        at: datetime,
        mode: RoundingMode | str = "half_even",
    ) -> Money:
        """Convert money at the rate in force at an instant, rounding once.

        Args:
            money: The amount to convert (any precision).
            to: Target currency code.
            at: The instant whose rate applies (tz-aware).
            mode: Rounding mode for the single rounding to the target's minor unit.

        Raises:
            MissingRate: No rate covers the pair at that instant.
            TimezoneError: ``at`` is naive.
        """
        if not isinstance(money, Money):
            raise TypeError(f"money must be Money, got {type(money).__name__}")
        target = currency(to)
        rate = self.rate(money.currency, target.code, at=at)
        numerator, denominator = decimal_to_ratio(money.amount)
        minor = round_quotient(
            numerator * rate.numerator * 10**target.exponent,
            denominator * rate.denominator,
            rounding_mode(mode),
        )
        return Money.from_minor(minor, target)

    def convert_minor(
        self,
        amounts: npt.ArrayLike,
        currencies: str | npt.ArrayLike,
        to: str | Currency,
        *,
        at: npt.ArrayLike,
        mode: RoundingMode | str = "half_even",
    ) -> Int64Array:
        """Batch twin of `convert` on int64 minor units; the same cent, row for row.

        Args:
            amounts: Amounts in minor units of their own currency (int64).
            currencies: One currency code for all rows, or a code per row.
            to: Target currency code.
            at: Instants as int64 microseconds since the epoch (UTC), or numpy
                ``datetime64`` values of any unit, one per row or one for all.
            mode: Rounding mode.

        Returns:
            Amounts in minor units of the target currency (int64).

        Raises:
            MissingRate: Some row has no rate; the message names the rows.
            MoneyOverflow: A converted amount does not fit in int64.
        """
        values = np.asarray(amounts)
        if values.dtype.kind not in "iu":
            raise TypeError(f"amounts must be integer minor units, got dtype {values.dtype}")
        if values.dtype.kind == "u" and values.size and int(values.max()) > INT64_MAX:
            raise MoneyOverflow("amounts hold values past the int64 range")
        values = values.astype(np.int64, copy=False)
        instants_given = np.asarray(at)
        if instants_given.dtype.kind == "M":
            # numpy datetimes carry their own unit (pandas gives nanoseconds): make it µs.
            instants_given = instants_given.astype("datetime64[us]").view(np.int64)
        elif instants_given.dtype.kind not in "iu":
            raise TypeError(
                f"at must be int64 microseconds since the epoch, got dtype {instants_given.dtype}"
            )
        instants = np.broadcast_to(instants_given.astype(np.int64), values.shape)
        target = currency(to)
        chosen = rounding_mode(mode)
        if isinstance(currencies, str):
            codes = np.zeros(values.shape, dtype=np.intp)
            names = [currency(currencies).code]
        else:
            raw = np.asarray(currencies)
            if raw.shape != values.shape:
                raise ValueError("currencies must be one code or one code per amount")
            codes, names = _factorize_currencies(raw)
        result = np.empty(values.shape, dtype=np.int64)
        for number, source_code in enumerate(names):
            rows = np.flatnonzero(codes == number)
            if rows.size == 0:
                continue
            source = currency(source_code)
            rates, rate_index = self._rates_at(
                source.code, target.code, instants[rows], positions=rows
            )
            # A Fraction: the exponent difference is negative when the target has fewer
            # decimals (USD to JPY), and an int power would then be a float.
            scale = Fraction(10) ** (target.exponent - source.exponent)
            exact = [rate * scale for rate in rates]
            nums = [r.numerator for r in exact]
            dens = [r.denominator for r in exact]
            big = max(max(nums), max(dens)) > INT64_MAX
            dtype: Any = object if big else np.int64
            num_rows = np.array(nums, dtype=dtype)[rate_index]
            den_rows = np.array(dens, dtype=dtype)[rate_index]
            result[rows] = mul_div_round(values[rows], num_rows, den_rows, chosen, positions=rows)
        return result


def _factorize_currencies(raw: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Number the distinct currency codes of a column; validate each code once."""
    if raw.dtype.kind == "U" and raw.dtype.itemsize == 12 and raw.size:
        # Three-letter codes: read each as three code points and number them in base 26,
        # which avoids sorting millions of strings.
        letters = raw.reshape(-1).view(np.uint32).reshape(-1, 3).astype(np.int64) - ord("A")
        if bool(((letters >= 0) & (letters < 26)).all()):
            key = (letters[:, 0] * 26 + letters[:, 1]) * 26 + letters[:, 2]
            present = np.zeros(26**3, dtype=bool)
            present[key] = True
            distinct = np.flatnonzero(present)
            codes = (np.cumsum(present) - 1)[key].astype(np.intp).reshape(raw.shape)
            names = [
                currency("".join(chr(ord("A") + (k // 26**p) % 26) for p in (2, 1, 0))).code
                for k in distinct.tolist()
            ]
            return codes, names
    labels, inverse = np.unique(raw.astype(str), return_inverse=True)
    return inverse.reshape(raw.shape).astype(np.intp), [currency(str(x)).code for x in labels]
