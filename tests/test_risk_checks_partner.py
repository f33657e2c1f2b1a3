"""Partner checks: duplicate identities, conversion and reversal outliers, CTIT profiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

import alliance as al
from alliance.datasets import synthetic_program
from alliance.risk._check import Check
from alliance.risk._check_ctit import CtitProfile
from alliance.risk._check_partners import ConversionOutlier, DuplicateIdentity, ReversalOutlier
from alliance.risk._events import StreamContext
from alliance.risk._flags import REASONS, Flag, Flags

T0 = datetime(2026, 7, 1, tzinfo=UTC)
DAY = 86_400


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def only(flags: Flags) -> Flag:
    rows = list(flags)
    assert len(rows) == 1, flags.explain()
    return rows[0]


def flagged_ids(flags: Flags, code: str | None = None) -> list[str]:
    picked = flags if code is None else flags.where(code=code)
    return sorted(picked["id"].tolist())


# -- reason codes and the common shape ----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "check", "op", "action", "weight"),
    [
        ("duplicate_identity", "duplicate_identity", ">=", "review", 0.7),
        ("conversion_rate_high", "conversion_outlier", ">", "allow", 0.5),
        ("conversion_rate_low", "conversion_outlier", "<", "allow", 0.5),
        ("reversal_rate_high", "reversal_outlier", ">", "review", 0.6),
        ("reversal_spike", "reversal_outlier", ">", "review", 0.4),
        ("ctit_short_share", "ctit_profile", ">=", "review", 0.7),
        ("ctit_long_share", "ctit_profile", ">=", "review", 0.5),
    ],
)
def test_reason_codes(code: str, check: str, op: str, action: str, weight: float) -> None:
    reason = REASONS[code]
    assert (reason.check, reason.subject, reason.op, reason.action, reason.weight) == (
        check,
        "partner",
        op,
        action,
        weight,
    )


@pytest.mark.parametrize(
    "check", [DuplicateIdentity(), ConversionOutlier(), ReversalOutlier(), CtitProfile()]
)
def test_checks_are_batch_only(check: Check) -> None:
    assert check.stream(StreamContext()) is None
    assert {r.check for r in check.reasons()} == {check.check}
    assert type(check).model_validate(check.model_dump()) == check


@pytest.mark.parametrize(
    ("check", "tables"),
    [
        (DuplicateIdentity(), {}),
        (ConversionOutlier(), {"orders": None}),
        (ReversalOutlier(), {}),
        (CtitProfile(), {}),
    ],
)
def test_checks_say_which_tables_they_need(check: Check, tables: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="needs"):
        check(**tables)


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        (DuplicateIdentity, {"fields": ()}),
        (DuplicateIdentity, {"fields": ("email_hash", "email_hash")}),
        (DuplicateIdentity, {"fields": ("",)}),
        (DuplicateIdentity, {"fields": ("partner_id",)}),
        (ConversionOutlier, {"max_z": 0}),
        (ConversionOutlier, {"min_clicks": 0}),
        (ConversionOutlier, {"min_peers": 0}),
        (ConversionOutlier, {"group_by": "country"}),
        (ReversalOutlier, {"ratio": 1.0}),
        (ReversalOutlier, {"min_orders": 0}),
        (ReversalOutlier, {"method": "shewhart"}),
        (ReversalOutlier, {"k": -0.5}),
        (ReversalOutlier, {"h": 0}),
        (ReversalOutlier, {"lam": 0}),
        (ReversalOutlier, {"lam": 1.2}),
        (ReversalOutlier, {"L": -3}),
        (ReversalOutlier, {"min_expected_reversals": 0}),
        (CtitProfile, {"short_seconds": 0}),
        (CtitProfile, {"long_seconds": -1}),
        (CtitProfile, {"min_share": 0}),
        (CtitProfile, {"min_share": 1.5}),
        (CtitProfile, {"min_long_share": 0}),
        (CtitProfile, {"max_z": -1}),
        (CtitProfile, {"min_orders": 0}),
        (CtitProfile, {"unknown": 1}),
    ],
)
def test_bad_parameters_are_rejected(kind: type[Check], kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        kind(**kwargs)


# -- duplicate identity -----------------------------------------------------------------------


def partners(*rows: dict[str, Any]) -> al.Partners:
    return al.Partners.from_records(list(rows))


def test_duplicate_identity_flags_the_later_account() -> None:
    table = partners(
        {"partner_id": "P1", "joined_at": "2024-01-01T00:00:00Z", "payment_fingerprint": "pm_a"},
        {"partner_id": "P2", "joined_at": "2024-02-01T00:00:00Z", "payment_fingerprint": "pm_a"},
        {"partner_id": "P3", "joined_at": "2024-03-01T00:00:00Z", "payment_fingerprint": "pm_b"},
    )
    flag = only(DuplicateIdentity()(partners=table))
    # P2 joined after P1 with the same payout method: 1 other account >= 1.
    assert (flag.subject, flag.id, flag.partner_id, flag.code) == (
        "partner",
        "P2",
        "P2",
        "duplicate_identity",
    )
    assert (flag.observed, flag.threshold, math.isnan(flag.peer)) == (1.0, 1.0, True)
    assert flag.evidence == ("payment_fingerprint", "P1")
    assert all(type(item) is str for item in (flag.id, flag.partner_id, *flag.evidence))


def test_duplicate_identity_adds_up_the_fields() -> None:
    table = partners(
        {"partner_id": "P1", "joined_at": "2024-01-01T00:00:00Z", "payment_fingerprint": "pm_a"},
        {
            "partner_id": "P2",
            "joined_at": "2024-02-01T00:00:00Z",
            "payment_fingerprint": "pm_a",
            "email_hash": "e1",
        },
        {"partner_id": "P3", "joined_at": "2024-03-01T00:00:00Z", "email_hash": "e1"},
        {
            "partner_id": "P4",
            "joined_at": "2024-04-01T00:00:00Z",
            "payment_fingerprint": "pm_a",
            "email_hash": "e1",
        },
    )
    flags = DuplicateIdentity()(partners=table)
    by_id = {flag.id: flag for flag in flags}
    assert sorted(by_id) == ["P2", "P3", "P4"]
    # P2: later than P1 on pm_a (P1, P4 share it); the first with e1, so no e-mail segment.
    assert by_id["P2"].evidence == ("payment_fingerprint", "P1", "P4")
    assert by_id["P2"].observed == 2
    # P3: later than P2 on e1 (P2, P4 share it).
    assert by_id["P3"].evidence == ("email_hash", "P2", "P4")
    # P4: last on both: P1, P2 and P2, P3 -> 3 distinct other accounts.
    assert by_id["P4"].evidence == ("payment_fingerprint", "P1", "P2", "email_hash", "P2", "P3")
    assert by_id["P4"].observed == 3


def test_duplicate_identity_ties_and_missing_join_dates() -> None:
    table = partners(
        # No join date: later than any dated account.
        {"partner_id": "A1", "payment_fingerprint": "pm_x"},
        {"partner_id": "A2", "joined_at": "2025-06-01T00:00:00Z", "payment_fingerprint": "pm_x"},
        # Same instant: partner_id decides (B1 before B2).
        {"partner_id": "B2", "joined_at": "2024-01-01T00:00:00Z", "email_hash": "e9"},
        {"partner_id": "B1", "joined_at": "2024-01-01T00:00:00Z", "email_hash": "e9"},
        # Both undated: partner_id decides.
        {"partner_id": "C2", "device_id": "d1"},
        {"partner_id": "C1", "device_id": "d1"},
    )
    flags = DuplicateIdentity()(partners=table)
    assert flagged_ids(flags) == ["A1", "B2", "C2"]
    assert {f.id: f.evidence for f in flags}["C2"] == ("device_id", "C1")


def test_duplicate_identity_extra_columns_and_sub_affiliates() -> None:
    table = partners(
        {"partner_id": "P1", "joined_at": "2024-01-01T00:00:00Z", "tax_id": "T-1"},
        # A sub-affiliate sharing its parent's tax id is still flagged.
        {
            "partner_id": "P2",
            "joined_at": "2024-05-01T00:00:00Z",
            "tax_id": "T-1",
            "parent_id": "P1",
        },
    )
    flag = only(DuplicateIdentity()(partners=table))
    assert (flag.id, flag.evidence) == ("P2", ("tax_id", "P1"))
    # Only the fields asked for are compared.
    assert len(DuplicateIdentity(fields=("email_hash",))(partners=table)) == 0


def test_duplicate_identity_never_matches_missing_or_blank_values() -> None:
    table = partners(
        {"partner_id": "P1", "tax_id": "", "device_id": None},
        {"partner_id": "P2", "tax_id": "", "device_id": None},
        {"partner_id": "P3", "tax_id": "  ", "payment_fingerprint": "pm_1"},
        {"partner_id": "P4", "payment_fingerprint": "pm_2"},
    )
    assert len(DuplicateIdentity()(partners=table)) == 0
    assert len(DuplicateIdentity()(partners=partners())) == 0


# -- conversion outliers ----------------------------------------------------------------------


def traffic(volumes: dict[str, tuple[int, int]]) -> tuple[al.Clicks, al.Orders]:
    """Clicks and credited orders per partner: ``{partner: (clicks, orders)}``."""
    clicks = [
        {"click_id": f"C-{p}-{i}", "ts": at(i), "partner_id": p, "visitor_id": f"V-{p}-{i}"}
        for p, (count, _) in volumes.items()
        for i in range(count)
    ]
    orders = [
        {
            "order_id": f"O-{p}-{i}",
            "ts": at(DAY + i),
            "amount": "10.00",
            "currency": "USD",
            "partner_id": p,
        }
        for p, (_, count) in volumes.items()
        for i in range(count)
    ]
    # An order credited to nobody counts for nobody.
    orders.append({"order_id": "O-none", "ts": at(DAY), "amount": "5.00", "currency": "USD"})
    return al.Clicks.from_records(clicks), al.Orders.from_records(orders)


HIGH = {"P1": (100, 6), "P2": (100, 8), "P3": (100, 8), "P4": (100, 8), "P5": (100, 10)}


def test_conversion_rate_high_by_hand() -> None:
    clicks, orders = traffic({**HIGH, "P6": (100, 20)})
    flags = ConversionOutlier()(clicks=clicks, orders=orders)
    # Prior: N = 600, p = 60/600 = 0.1, rates .06 .08 .08 .08 .10 .20
    #   S = 100 (0.04^2 + 3 x 0.02^2 + 0 + 0.1^2) = 1.28; S / 0.09 = 128/9; minus 5: 83/9
    #   weight = 6 x 99 x 5/6 = 495; rho = 83/4455; m = 4455/83 - 1 = 4372/83
    #   alpha = 437.2/83 = 5.267470, beta = 3934.8/83 = 47.407229
    # Shrunk (83 s + 437.2) / 12672: s=6 0.073801, s=8 0.086900, s=10 0.1, s=20 0.165499
    # Logits: -2.529724, -2.352084 (x3), -2.197225, -1.617871; median -2.352084
    # |deviations| 0.177640, 0, 0, 0, 0.154860, 0.734213 -> MAD (0 + 0.154860)/2 = 0.077430
    # z(P6) = 0.734213 / (1.4826 x 0.077430) = 6.3957
    flag = only(flags)
    assert (flag.id, flag.partner_id, flag.code) == ("P6", "P6", "conversion_rate_high")
    assert flag.observed == pytest.approx(6.3957, rel=1e-4)
    assert flag.threshold == 3.5
    assert flag.peer == pytest.approx(1101.2 / 12672, rel=1e-9)  # the peers' median rate
    assert flag.evidence == ("20 orders / 100 clicks",)
    # Exactly at the threshold: not above it.
    assert len(ConversionOutlier(max_z=flag.observed)(clicks=clicks, orders=orders)) == 0
    just_below = float(np.nextafter(flag.observed, 0.0))
    assert len(ConversionOutlier(max_z=just_below)(clicks=clicks, orders=orders)) == 1


def test_conversion_rate_low_by_hand() -> None:
    volumes = {
        "P1": (100, 9),
        "P2": (100, 10),
        "P3": (100, 10),
        "P4": (100, 10),
        "P5": (100, 11),
        "P6": (400, 0),
        "P7": (50, 0),
    }
    clicks, orders = traffic(volumes)
    flags = ConversionOutlier()(clicks=clicks, orders=orders)
    # Prior: N = 950, p = 50/950 = 1/19
    #   S = 100 ((.09-p)^2 + 3 (.1-p)^2 + (.11-p)^2) + 400 p^2 + 50 p^2 = 2.388421
    #   S / (p (1 - p)) = 47.901111; minus 6: 41.901111
    #   weight = sum (n - 1)(1 - n/950) = 720.315789; rho = 0.058171; m = 16.190852
    #   alpha = m/19 = 0.852150, beta = 18 m/19 = 15.338702
    # P6: (0 + 0.852150) / (400 + 16.190852) = 0.0020475, logit -6.189087
    # Peers (>= 100 clicks) P1..P6, logits -2.378940, -2.272818 (x3), -2.175133, -6.189087
    #   median -2.272818; |dev| .106122, 0, 0, 0, .097685, 3.916269 -> MAD .097685/2 = .048842
    #   z(P6) = -3.916269 / (1.4826 x .048842) = -54.08
    # P7 scores z = -28.5 too but has 50 < 100 clicks: not enough to call it click spam.
    flag = only(flags)
    assert (flag.id, flag.code) == ("P6", "conversion_rate_low")
    assert flag.observed == pytest.approx(-54.08, rel=1e-3)
    assert flag.threshold == -3.5
    assert flag.peer == pytest.approx(0.0933994, rel=1e-5)  # (10 + alpha) / (100 + m)
    assert flag.evidence == ("0 orders / 400 clicks",)
    at_threshold = ConversionOutlier(max_z=-flag.observed)
    assert len(at_threshold(clicks=clicks, orders=orders)) == 0
    with_p7 = ConversionOutlier(min_clicks=50)(clicks=clicks, orders=orders)
    assert flagged_ids(with_p7, "conversion_rate_low") == ["P6", "P7"]


def test_conversion_outlier_compares_partners_of_a_kind() -> None:
    volumes = {
        "K1": (100, 7),
        "K2": (100, 8),
        "K3": (100, 8),
        "K4": (100, 8),
        "K5": (100, 9),
        "C1": (100, 19),
        "C2": (100, 20),
        "C3": (100, 21),
    }
    clicks, orders = traffic(volumes)
    table = partners(
        *(
            {"partner_id": p, "kind": "coupon" if p[0] == "C" else "kol", "group": p[0]}
            for p in volumes
        )
    )
    # Against every partner, the coupon sites convert far better than the KOLs ...
    everyone = ConversionOutlier(group_by="none")(clicks=clicks, orders=orders, partners=table)
    assert flagged_ids(everyone, "conversion_rate_high") == ["C1", "C2", "C3"]
    # ... against coupon sites (3 peers), they are ordinary.
    for group_by in ("kind", "group"):
        check = ConversionOutlier(group_by=group_by, min_peers=3)
        assert len(check(clicks=clicks, orders=orders, partners=table)) == 0
    # A kind with fewer than min_peers peers is compared with everyone.
    fallback = ConversionOutlier(min_peers=4)(clicks=clicks, orders=orders, partners=table)
    assert flagged_ids(fallback) == flagged_ids(everyone)


def test_conversion_outlier_needs_enough_peers() -> None:
    clicks, orders = traffic({**HIGH, "P6": (100, 20)})
    assert len(ConversionOutlier(min_peers=7)(clicks=clicks, orders=orders)) == 0
    assert len(ConversionOutlier(min_clicks=101)(clicks=clicks, orders=orders)) == 0


def test_conversion_outlier_caps_orders_at_clicks() -> None:
    # P6's 150 orders on 100 clicks (coupon orders without a click) count as 100 conversions.
    clicks, orders = traffic({**HIGH, "P6": (100, 150)})
    capped = only(ConversionOutlier()(clicks=clicks, orders=orders))
    clicks, orders = traffic({**HIGH, "P6": (100, 100)})
    full = only(ConversionOutlier()(clicks=clicks, orders=orders))
    assert capped.observed == full.observed
    assert capped.evidence == ("150 orders / 100 clicks",)


# -- reversal outliers ------------------------------------------------------------------------


def reversal_tables(
    days: dict[str, list[tuple[int, int]]],
) -> tuple[al.Orders, al.Reversals]:
    """Orders per partner and order day, the first ``reversed`` of each day reversed later."""
    orders: list[dict[str, Any]] = []
    reversals: list[dict[str, Any]] = []
    for partner, per_day in days.items():
        for day, (placed, reversed_) in enumerate(per_day):
            for i in range(placed):
                order_id = f"O-{partner}-{day}-{i}"
                ts = day * DAY + 3600 + i
                orders.append(
                    {
                        "order_id": order_id,
                        "ts": at(ts),
                        "amount": "30.00",
                        "currency": "USD",
                        "partner_id": partner,
                    }
                )
                if i < reversed_:
                    # Reversed two days later; the order day is what the chart counts.
                    reversals.append(
                        {
                            "reversal_id": f"R-{order_id}",
                            "order_id": order_id,
                            "ts": at(ts + 2 * DAY),
                        }
                    )
    orders.append({"order_id": "O-none", "ts": at(0), "amount": "1.00", "currency": "USD"})
    reversals.append({"reversal_id": "R-none", "order_id": "O-none", "ts": at(DAY)})
    return al.Orders.from_records(orders), al.Reversals.from_records(reversals)


def test_reversal_rate_high_by_hand() -> None:
    counts = {"P1": 2, "P2": 3, "P3": 3, "P4": 3, "P5": 3, "P6": 10}
    orders, reversals = reversal_tables({p: [(20, r)] for p, r in counts.items()})
    # A second reversal of an order, and one of an order not in the batch, change nothing.
    reversals = al.Reversals.from_records(
        [
            *reversals.to_records(),
            {"reversal_id": "R-again", "order_id": "O-P1-0-0", "ts": at(5 * DAY)},
            {"reversal_id": "R-gone", "order_id": "O-elsewhere", "ts": at(5 * DAY)},
        ]
    )
    flags = ReversalOutlier()(orders=orders, reversals=reversals)
    # Prior: N = 120, p = 24/120 = 0.2, rates .1 .15 .15 .15 .15 .5
    #   S = 20 (0.01 + 4 x 0.0025 + 0.09) = 2.2; S / 0.16 = 13.75; minus 5: 8.75
    #   weight = 6 x 19 x 5/6 = 95; rho = 8.75/95 = 7/76; m = 76/7 - 1 = 69/7
    #   alpha = 13.8/7, beta = 55.2/7; shrunk = (7 s + 13.8) / 209
    # s=3: 34.8/209 = 0.166507 (the median), s=10: 83.8/209 = 0.400957 > 2 x 0.166507
    flag = only(flags.where(code="reversal_rate_high"))
    assert (flag.id, flag.partner_id) == ("P6", "P6")
    assert flag.observed == pytest.approx(83.8 / 209, rel=1e-12)
    assert flag.threshold == pytest.approx(2 * 34.8 / 209, rel=1e-12)
    assert flag.peer == pytest.approx(34.8 / 209, rel=1e-12)
    assert flag.evidence == ("10 of 20 orders reversed",)
    assert len(flags.where(code="reversal_spike")) == 0
    # Exactly at the threshold: not above it.
    ratio = flag.observed / flag.peer
    while ratio * flag.peer < flag.observed:
        ratio = float(np.nextafter(ratio, math.inf))
    assert ratio * flag.peer == flag.observed
    exact = ReversalOutlier(ratio=ratio)(orders=orders, reversals=reversals)
    assert len(exact.where(code="reversal_rate_high")) == 0
    # Too few orders, or too few peers: nobody is flagged.
    assert len(ReversalOutlier(min_orders=21)(orders=orders, reversals=reversals)) == 0
    assert len(ReversalOutlier(min_peers=7)(orders=orders, reversals=reversals)) == 0
    # The binomial z of P6 against the median m = 34.8/209: (10 - 20 m) / sqrt(20 m (1 - m))
    m = 34.8 / 209
    z = (10 - 20 * m) / math.sqrt(20 * m * (1 - m))  # 4.0122
    assert len(ReversalOutlier(min_z=z - 1e-9)(orders=orders, reversals=reversals)) == 1
    assert len(ReversalOutlier(min_z=z + 1e-9)(orders=orders, reversals=reversals)) == 0


def test_reversal_spike_by_hand_daily() -> None:
    # Four orders a day for six days each; A's reversals come in the last three days.
    orders, reversals = reversal_tables(
        {"A": [(4, 0)] * 3 + [(4, 3)] * 3, "B": [(4, 1)] * 6},
    )
    check = ReversalOutlier(h=1.2, min_expected_reversals=0.1)
    flags = check(orders=orders, reversals=reversals)
    # Pooled p = 15/48 = 0.3125; w = ceil(0.1 / (0.3125 x 4)) = 1 day.
    # Days 0-2: peers' rate 1/8; A: 0 hits, expected 0.5, variance 4 x 1/8 x 7/8 = 0.4375
    #   residual -0.5 / 0.661438 = -0.7559; step -1.2559 -> S = 0, 0, 0
    # Days 3-5: peers' rate 4/8; A: 3 hits, expected 2, variance 1 -> residual 1, step 0.5
    #   S = 0.5, 1.0, 1.5 > 1.2 on day 5
    # B: days 0-2 residual +0.7559 -> S = 0.2559, 0.5119, 0.7678; days 3-5 -1 -> 0: no alarm
    flag = only(flags)
    assert (flag.id, flag.code) == ("A", "reversal_spike")
    assert flag.observed == pytest.approx(1.5, rel=1e-12)
    assert flag.threshold == 1.2
    assert flag.peer == pytest.approx(7.5 / 24, rel=1e-12)  # (3 x 0.5 + 3 x 2) / 24 orders
    assert flag.evidence == ("2026-07-06",)
    # Two partners charted: past a family of one, the interval grows by ln(2 / 1) / (2 x 0.5)
    # = 0.6931 to 1.8931, over A's 1.5.
    wider = ReversalOutlier(h=1.2, min_expected_reversals=0.1, family=1)
    assert len(wider(orders=orders, reversals=reversals)) == 0
    lower = ReversalOutlier(h=1.2 - math.log(2) + 0.01, min_expected_reversals=0.1, family=1)
    (again,) = lower(orders=orders, reversals=reversals)
    assert again.threshold == pytest.approx(1.21, rel=1e-12)


SPARSE = {
    # One order a day; the last four days' orders all reversed.
    "A": [(1, 0)] * 4 + [(1, 1)] * 4,
    # Three orders a day; one reversed on each of the first four days.
    "B": [(3, 1)] * 4 + [(3, 0)] * 4,
}


def test_reversal_spike_pools_days_of_small_partners() -> None:
    orders, reversals = reversal_tables(SPARSE)
    flags = ReversalOutlier(min_orders=8, h=2.5)(orders=orders, reversals=reversals)
    # Pooled p = 8/32 = 0.25, and every day's peer rate is 1/4.
    # A: 1 order a day, w = ceil(1 / (0.25 x 1)) = 4 days; expected 1, variance 0.75 a period
    #   days 0-3: 0 hits, residual -1.1547 -> S = 0
    #   days 4-7: 4 hits, residual 3 / 0.866025 = 3.4641, step 2.9641 -> S = 2.9641 > 2.5
    # B: 3 a day, w = ceil(1 / 0.75) = 2 days; expected 1.5, variance 1.125 a period
    #   2 hits: residual 0.4714, step -0.0286; 0 hits: residual -1.4142 -> S stays 0
    flag = only(flags)
    assert (flag.id, flag.code) == ("A", "reversal_spike")
    assert flag.observed == pytest.approx(3 / math.sqrt(0.75) - 0.5, rel=1e-12)
    assert (flag.threshold, flag.peer) == (2.5, 0.25)
    assert flag.evidence == ("2026-07-08",)  # the last day of the period: day 7
    # Exactly at the threshold: not above it.
    exact = ReversalOutlier(min_orders=8, h=flag.observed)
    assert len(exact(orders=orders, reversals=reversals)) == 0
    # Day by day, one reversed order of one is (1 - 0.25) / 0.433013 = 1.7321 sigma:
    # S = 1.2321, 2.4641, 3.6962 on days 4, 5, 6, so the chart alarms a day earlier.
    daily = ReversalOutlier(min_orders=8, h=2.5, min_expected_reversals=0.01)
    flag = only(daily(orders=orders, reversals=reversals))
    assert flag.observed == pytest.approx(4 * (0.75 / math.sqrt(0.1875) - 0.5), rel=1e-12)
    assert flag.evidence == ("2026-07-07",)


def test_reversal_spike_by_ewma() -> None:
    orders, reversals = reversal_tables(SPARSE)
    check = ReversalOutlier(min_orders=8, method="ewma", L=1.9)
    # A's residuals -1.1547, 3.4641 with lambda 0.2:
    #   z = -0.230940, 0.2 x 3.4641 + 0.8 x -0.230940 = 0.508068
    #   sd = sqrt(0.2/1.8 (1 - 0.8^2)) = 0.2, sqrt(0.2/1.8 (1 - 0.8^4)) = 0.256125
    #   z / sd = -1.1547, 1.983673 > 1.9
    flag = only(check(orders=orders, reversals=reversals))
    assert flag.id == "A"
    assert flag.observed == pytest.approx(1.983673, rel=1e-6)
    assert flag.threshold == 1.9
    assert flag.evidence == ("2026-07-08",)
    default = ReversalOutlier(min_orders=8, method="ewma")
    assert len(default(orders=orders, reversals=reversals)) == 0


def test_reversal_outlier_without_reversals_or_credit() -> None:
    orders, _ = reversal_tables({p: [(20, 0)] for p in "ABCDEF"})
    nothing = al.Reversals.from_records([])
    assert len(ReversalOutlier()(orders=orders, reversals=nothing)) == 0
    uncredited = al.Orders.from_records(
        [{"order_id": "O1", "ts": at(0), "amount": "1.00", "currency": "USD"}]
    )
    assert len(ReversalOutlier()(orders=uncredited, reversals=nothing)) == 0


# -- CTIT profiles ----------------------------------------------------------------------------


def ctit_tables(profiles: dict[str, Sequence[float | None]]) -> tuple[al.Clicks, al.Orders]:
    """One order per CTIT (seconds; None: no click), each by its own visitor."""
    clicks: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    for partner, seconds in profiles.items():
        for i, ctit in enumerate(seconds):
            visitor = f"V-{partner}-{i}"
            ordered = 10 * DAY + 1000 * len(orders)
            orders.append(
                {
                    "order_id": f"O-{partner}-{i}",
                    "ts": at(ordered),
                    "amount": "12.00",
                    "currency": "USD",
                    "partner_id": partner,
                    "visitor_id": visitor,
                }
            )
            if ctit is not None:
                clicks.append(
                    {
                        "click_id": f"C-{partner}-{i}",
                        "ts": at(ordered - ctit),
                        "partner_id": partner,
                        "visitor_id": visitor,
                    }
                )
    return al.Clicks.from_records(clicks), al.Orders.from_records(orders)


HOUR = 3600.0


def test_ctit_short_share_against_peers_without_short_orders() -> None:
    profiles: dict[str, Sequence[float | None]] = {f"R{i}": [HOUR] * 10 for i in range(7)}
    profiles["R0"] = [60.0] + [HOUR] * 9  # exactly 60 s is not short
    profiles["X"] = [30.0] * 3 + [HOUR] * 7 + [None]  # an order without a click is left out
    profiles["Y"] = [30.0] + [HOUR] * 9
    profiles["Z"] = [12.0] * 2 + [HOUR] * 8
    profiles["W"] = [30.0] * 5  # all short, but 5 < 10 orders
    clicks, orders = ctit_tables(profiles)
    flags = CtitProfile(min_orders=10)(clicks=clicks, orders=orders)
    # With the default of 5 orders W is a peer too, and all short.
    assert flagged_ids(CtitProfile()(clicks=clicks, orders=orders)) == ["W", "X", "Z"]
    # Peers (>= 10 orders with a CTIT): R0..R6 0, X 0.3, Y 0.1, Z 0.2 -> median 0, MAD 0:
    # any share above 0 scores z = inf; X 0.3 and Z 0.2 reach 0.2, Y 0.1 does not.
    assert flagged_ids(flags) == ["X", "Z"]
    by_id = {flag.id: flag for flag in flags}
    assert by_id["X"].code == "ctit_short_share"
    assert (by_id["X"].observed, by_id["X"].threshold, by_id["X"].peer) == (0.3, 0.2, 0.0)
    assert by_id["X"].evidence == ("3 of 10 orders",)
    assert by_id["X"].partner_id == "X"
    assert (by_id["Z"].observed, by_id["Z"].evidence) == (0.2, ("2 of 10 orders",))


def test_ctit_short_share_needs_a_high_z() -> None:
    # Peers with short shares 0.1 .. 0.3: X's 0.3 is no outlier.
    profiles: dict[str, Sequence[float | None]] = {
        f"R{i}": [30.0] * (1 + i % 3) + [HOUR] * (9 - i % 3) for i in range(9)
    }
    profiles["X"] = [30.0] * 3 + [HOUR] * 7
    clicks, orders = ctit_tables(profiles)
    assert len(CtitProfile()(clicks=clicks, orders=orders)) == 0


@pytest.mark.parametrize(
    ("long_orders", "z", "flagged"),
    [
        # Peers 0.1 (x7), 0.2, 0 and the partner: median 0.1, MAD 0 (7 of 10 on the median):
        # mean |x - 0.1| = (0.1 + 0.1 + |s - 0.1|) / 10, scale 1.2533 x that
        (6, 0.5 / (1.2533 * 0.07), True),  # 0.5 / 0.087731 = 5.6992
        (5, 0.4 / (1.2533 * 0.06), True),  # exactly the minimum share 0.5: 5.3193
        (4, 0.3 / (1.2533 * 0.05), False),  # z 4.7874 but 0.4 < 0.5
    ],
)
def test_ctit_long_share(long_orders: int, z: float, flagged: bool) -> None:
    day_and_more = DAY + 3600.0
    profiles: dict[str, Sequence[float | None]] = {
        f"R{i}": [day_and_more] + [HOUR] * 9 for i in range(7)
    }
    profiles["R7"] = [day_and_more] * 2 + [HOUR] * 8
    profiles["R8"] = [float(DAY)] + [HOUR] * 9  # exactly a day is not long
    profiles["S"] = [day_and_more] * long_orders + [HOUR] * (10 - long_orders)
    clicks, orders = ctit_tables(profiles)
    flags = CtitProfile()(clicks=clicks, orders=orders)
    if not flagged:
        assert len(flags) == 0
        return
    flag = only(flags)
    assert (flag.id, flag.code) == ("S", "ctit_long_share")
    assert flag.observed == long_orders / 10
    assert (flag.threshold, flag.peer) == (0.5, 0.1)
    assert flag.evidence == (f"{long_orders} of 10 orders",)
    # The z-score behind it, and the same orders with a stricter z:
    strict = CtitProfile(max_z=z * 1.001)(clicks=clicks, orders=orders)
    loose = CtitProfile(max_z=z * 0.999)(clicks=clicks, orders=orders)
    assert (len(strict), len(loose)) == (0, 1)


def test_ctit_profile_needs_enough_peers() -> None:
    profiles: dict[str, Sequence[float | None]] = {f"R{i}": [HOUR] * 10 for i in range(3)}
    profiles["X"] = [30.0] * 10
    clicks, orders = ctit_tables(profiles)
    assert len(CtitProfile()(clicks=clicks, orders=orders)) == 0
    assert flagged_ids(CtitProfile(min_peers=4)(clicks=clicks, orders=orders)) == ["X"]


# -- a programme without fraud ----------------------------------------------------------------


@pytest.fixture(scope="module")
def program() -> Any:
    return synthetic_program(seed=0, partners=200, clicks=50_000)


@pytest.mark.parametrize(
    "check", [DuplicateIdentity(), ConversionOutlier(), ReversalOutlier(), CtitProfile()]
)
def test_few_false_positives_without_fraud(program: Any, check: Check) -> None:
    flags = check(
        orders=program.orders,
        clicks=program.clicks,
        partners=program.partners,
        reversals=program.reversals,
    )
    # Measured (seed 0): conversion_rate_high 1; every other code 0.
    for code in check.codes:
        assert len(flags.where(code=code)) <= 0.03 * len(program.partners), flags.explain()
    assert set(flags["subject"].tolist()) <= {"partner"}
    assert (flags["id"] == flags["partner_id"]).all()
    assert all(type(item) is str for flag in flags for item in (flag.id, *flag.evidence))


def _stacked_programme(stacked: int) -> tuple[al.Clicks, al.Orders]:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    clicks: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []

    def sale(order_id: str, visitor: str, partner: str) -> None:
        orders.append(
            {
                "order_id": order_id,
                "ts": start + timedelta(hours=2),
                "amount": "10.00",
                "currency": "USD",
                "visitor_id": visitor,
                "partner_id": partner,
            }
        )

    # Six peers, five orders each; every buyer clicked only that partner.
    for p in range(6):
        for n in range(5):
            visitor = f"v{p}-{n}"
            clicks.append(
                {"click_id": f"c{p}-{n}", "ts": start, "partner_id": f"R{p}", "visitor_id": visitor}
            )
            sale(f"o{p}-{n}", visitor, f"R{p}")
    # X: five orders; the first `stacked` buyers clicked R0 an hour before X's click.
    for n in range(5):
        visitor = f"x{n}"
        if n < stacked:
            clicks.append(
                {"click_id": f"cx{n}a", "ts": start, "partner_id": "R0", "visitor_id": visitor}
            )
        clicks.append(
            {
                "click_id": f"cx{n}b",
                "ts": start + timedelta(hours=1),
                "partner_id": "X",
                "visitor_id": visitor,
            }
        )
        sale(f"ox{n}", visitor, "X")
    clicks.sort(key=lambda c: c["ts"])
    return al.Clicks.from_records(clicks), al.Orders.from_records(orders)


@pytest.mark.parametrize(("stacked", "flagged"), [(5, True), (4, True), (3, False)])
def test_stacked_share_flags_a_partner_that_wins_journeys_others_started(
    stacked: int, flagged: bool
) -> None:
    clicks, orders = _stacked_programme(stacked)
    found = CtitProfile(peer_orders=5)(clicks=clicks, orders=orders).where(code="stacked_share")
    # The peers' shares are all 0 (median 0, MAD 0): any share scores z = inf, and X's
    # stacked / 5 must reach 0.8 (4 of 5 exactly does).
    expected = [("X", stacked / 5, 0.8, 0.0, (f"{stacked} of 5 orders",))] if flagged else []
    assert [(f.id, f.observed, f.threshold, f.peer, f.evidence) for f in found] == expected
