"""`Program`: the tables of one synthetic programme, and a summary of them in plain data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from alliance._fx import FxRates
from alliance._money import Money
from alliance._tables import Clicks, Lines, Orders, Partners, Reversals, Table, Touchpoints
from alliance.datasets import _world as world
from alliance.datasets._fraud import FraudLabels

__all__ = [
    "CurrencyTotal",
    "PartnerCounts",
    "Program",
    "ProgramSummary",
    "RateRange",
    "ReversalTotal",
]


class PartnerCounts(TypedDict):
    """Partners by kind, KOL tier, group and status."""

    total: int
    by_kind: dict[str, int]
    kol_tiers: dict[str, int]
    by_group: dict[str, int]
    by_status: dict[str, int]
    sub_affiliates: int


class CurrencyTotal(TypedDict):
    """GMV of one order currency: exact in the currency, and in US dollars."""

    currency: str
    orders: int
    amount: str
    usd: str


class ReversalTotal(TypedDict):
    """Reversals of one kind, with their value in US dollars at the orders' rates."""

    kind: str
    count: int
    full: int
    partial: int
    usd: str
    share_of_gmv: float


class RateRange(TypedDict):
    """Units of a currency per US dollar on the first and the last day."""

    currency: str
    first: str
    last: str
    change: float


class ProgramSummary(TypedDict):
    """What `Program.summary` returns: counts, ratios, and exact amounts as decimal text."""

    seed: int
    timezone: str
    start: str
    end: str
    partners: PartnerCounts
    clicks: int
    visitors: int
    orders: int
    lines: int
    customers: int
    conversion_rate: float
    new_customer_share: float
    coupon_orders: int
    gmv: list[CurrencyTotal]
    gmv_usd: str
    aov_usd: str
    reversals: list[ReversalTotal]
    reversed_usd: str
    fx: list[RateRange]
    fraud: dict[str, int]


def _text(minor: int, code: str) -> str:
    return format(Money.from_minor(minor, code).amount, "f")


def _count(values: npt.NDArray[np.object_]) -> dict[str, int]:
    counts = Counter(value for value in values.tolist() if value is not None)
    return {str(label): counts[label] for label in sorted(counts)}


def _distinct(table: Table, column: str) -> int:
    codes, categories = table.codes(column)
    seen = np.zeros(categories.size, dtype=bool)
    seen[codes[codes >= 0]] = True
    return int(seen.sum())


@dataclass(frozen=True, eq=False)
class Program:
    """A synthetic affiliate programme: its tables, exchange rates and observation window.

    Every event (click, order, reversal, touchpoint) lies in ``[start, end)``. Build one with
    `synthetic_program`; ask it for ``fraud=`` to get labelled fraudulent rows in the tables and
    their labels in `labels`.

    Attributes:
        partners: The partners, with their exclusive codes in ``coupon_codes``.
        clicks: Clicks on partners' links, in time order.
        orders: Orders, in time order, each credited to a partner (``partner_id``).
        lines: Order lines; each order's lines add up to its amount exactly.
        reversals: Refunds, chargebacks and cancellations, in time order.
        touchpoints: Clicks, impressions and coupon touches of visitors' journeys.
        fx: Daily rates of every currency against the US dollar over the window.
        currencies: The order currencies.
        timezone: The programme's IANA time zone.
        start: First instant of the window.
        end: End of the window (excluded).
        seed: The seed the programme was generated from.
        labels: The labelled fraud in the tables (empty when none was asked for).
    """

    partners: Partners
    clicks: Clicks
    orders: Orders
    lines: Lines
    reversals: Reversals
    touchpoints: Touchpoints
    fx: FxRates
    currencies: tuple[str, ...]
    timezone: str
    start: datetime
    end: datetime
    seed: int
    labels: FraudLabels = field(default_factory=FraudLabels.empty)

    @property
    def tables(self) -> dict[str, Table]:
        """The tables by name: partners, clicks, orders, lines, reversals, touchpoints."""
        return {
            "partners": self.partners,
            "clicks": self.clicks,
            "orders": self.orders,
            "lines": self.lines,
            "reversals": self.reversals,
            "touchpoints": self.touchpoints,
        }

    def equals(self, other: object) -> bool:
        """Whether two programmes hold the same rows and rates (generated alike)."""
        if not isinstance(other, Program):
            return False
        same_setup = (self.seed, self.currencies, self.timezone, self.start, self.end) == (
            other.seed,
            other.currencies,
            other.timezone,
            other.start,
            other.end,
        )
        return (
            same_setup
            and all(self.tables[name].equals(other.tables[name]) for name in self.tables)
            and self.fx.to_records() == other.fx.to_records()
            and self.labels.equals(other.labels)
        )

    def __repr__(self) -> str:
        sizes = ", ".join(f"{len(table)} {name}" for name, table in self.tables.items())
        if len(self.labels):
            sizes += f", {len(self.labels)} fraud labels"
        return (
            f"Program(seed={self.seed}, {self.start.isoformat()} to {self.end.isoformat()} "
            f"{self.timezone}: {sizes})"
        )

    def summary(self) -> ProgramSummary:
        """Counts, conversion, GMV by currency and reversals by kind, as plain data.

        Amounts are exact decimal text. US dollar figures convert each order at the rate in
        force at its own time (rounded once per order, then added up); reversals are valued
        at their order's rate, a full reversal at the order's amount. ``fraud`` counts the
        labelled rows by pattern (empty without fraud).
        """
        orders = self.orders
        amount = orders["amount"]
        currency = orders["currency"]
        usd = self.fx.convert_minor(amount, currency.astype(str), "USD", at=orders["ts"])
        gmv: list[CurrencyTotal] = []
        for code in sorted(set(currency.tolist())):
            rows = currency == code
            gmv.append(
                {
                    "currency": code,
                    "orders": int(rows.sum()),
                    "amount": _text(int(amount[rows].sum()), code),
                    "usd": _text(int(usd[rows].sum()), "USD"),
                }
            )
        gmv.sort(key=lambda row: (-Money(row["usd"], "USD").minor, row["currency"]))
        total_usd = int(usd.sum())
        count = len(orders)
        clicks = len(self.clicks)
        reversals = self._reversal_totals(total_usd)
        return {
            "seed": self.seed,
            "timezone": self.timezone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "partners": self._partner_counts(),
            "clicks": clicks,
            "visitors": _distinct(self.clicks, "visitor_id"),
            "orders": count,
            "lines": len(self.lines),
            "customers": _distinct(orders, "customer_id"),
            "conversion_rate": count / clicks if clicks else 0.0,
            "new_customer_share": float((orders["is_new_customer"] == 1).mean()) if count else 0.0,
            "coupon_orders": int((~orders.missing("coupon_code")).sum()),
            "gmv": gmv,
            "gmv_usd": _text(total_usd, "USD"),
            "aov_usd": _text(total_usd // count if count else 0, "USD"),
            "reversals": reversals,
            "reversed_usd": _text(sum(Money(r["usd"], "USD").minor for r in reversals), "USD"),
            "fx": self._rate_ranges(),
            "fraud": _count(self.labels.pattern),
        }

    def _partner_counts(self) -> PartnerCounts:
        partners = self.partners
        kinds = partners["kind"]
        audience = partners["audience_size"]
        kol = kinds == "kol"
        by_kind = _count(kinds)
        return {
            "total": len(partners),
            "by_kind": {k.kind: by_kind.get(k.kind, 0) for k in world.KINDS}
            | {k: v for k, v in by_kind.items() if k not in {p.kind for p in world.KINDS}},
            "kol_tiers": {
                "head": int((kol & (audience >= world.KOL_HEAD)).sum()),
                "mid": int((kol & (audience >= world.KOL_MID) & (audience < world.KOL_HEAD)).sum()),
                "nano": int((kol & (audience < world.KOL_MID)).sum()),
            },
            "by_group": _count(partners["group"]),
            "by_status": _count(partners["status"]),
            "sub_affiliates": int((~partners.missing("parent_id")).sum()),
        }

    def _reversal_totals(self, total_usd: int) -> list[ReversalTotal]:
        reversals, orders = self.reversals, self.orders
        codes, names = reversals.codes("order_id")
        order_codes, order_names = orders.codes("order_id")
        row_of_code = np.empty(order_names.size, dtype=np.int64)
        row_of_code[order_codes] = np.arange(len(orders))
        rows = row_of_code[np.searchsorted(order_names, names)[codes]]
        order_amount = orders["amount"][rows]
        amount = np.where(reversals.missing("amount"), order_amount, reversals["amount"])
        full = amount == order_amount
        # Valued at the order's own instant, as the order's GMV is.
        usd = self.fx.convert_minor(
            amount, orders["currency"][rows].astype(str), "USD", at=orders["ts"][rows]
        )
        kinds = reversals["kind"]
        totals: list[ReversalTotal] = []
        for kind in ("refund", "chargeback", "cancellation"):
            chosen = kinds == kind
            value = int(usd[chosen].sum())
            totals.append(
                {
                    "kind": kind,
                    "count": int(chosen.sum()),
                    "full": int((chosen & full).sum()),
                    "partial": int((chosen & ~full).sum()),
                    "usd": _text(value, "USD"),
                    "share_of_gmv": value / total_usd if total_usd else 0.0,
                }
            )
        return totals

    def _rate_ranges(self) -> list[RateRange]:
        first: dict[str, str] = {}
        last: dict[str, str] = {}
        for record in self.fx.to_records():
            code = record["quote"] if record["base"] == "USD" else record["base"]
            text = format(record["rate"], "f")
            first.setdefault(code, text)
            last[code] = text
        return [
            {
                "currency": code,
                "first": first[code],
                "last": last[code],
                "change": float(last[code]) / float(first[code]) - 1.0,
            }
            for code in sorted(first)
        ]
