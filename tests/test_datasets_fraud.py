"""Labelled fraud in the synthetic programme: every label checked against the tables.

The checks recompute each pattern's defining property from the tables themselves (clicks,
orders, partners, reversals), not from the generator's internals.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import pickle
import re
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest

import alliance as al
from alliance.datasets import DEFAULT_FRAUD, FraudLabels, Program, synthetic_program

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 3600 * SECOND
DAY = 24 * HOUR
COOKIE = 30 * DAY  # synthetic_program's default cookie_days
PATTERNS = (
    "click_injection",
    "click_spam",
    "self_referral",
    "velocity",
    "brushing",
    "leaked_coupon",
    "duplicate_identity",
    "reversal_abuse",
)
ORDER_PATTERNS = (
    "click_injection",
    "click_spam",
    "self_referral",
    "velocity",
    "brushing",
    "leaked_coupon",
    "reversal_abuse",
)
PARTNER_PATTERNS = (
    "click_injection",
    "click_spam",
    "velocity",
    "brushing",
    "duplicate_identity",
    "reversal_abuse",
)

Row = dict[str, Any]


@pytest.fixture(scope="module")
def program() -> Program:
    return synthetic_program(seed=0, partners=200, clicks=50_000, fraud=DEFAULT_FRAUD)


@pytest.fixture(scope="module")
def organic() -> Program:
    return synthetic_program(seed=0, partners=200, clicks=50_000)


def rows_of(table: al.Table, ids: frozenset[str] | set[str], key: str) -> list[int]:
    column = table[key].tolist()
    return [row for row, value in enumerate(column) if value in ids]


def records(table: al.Table) -> list[Row]:
    """Rows as dicts of raw columns: timestamps and money as ints, text as str."""
    columns = {name: table[name].tolist() for name in table.columns}
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def labelled(program: Program, pattern: str, subject: str) -> FraudLabels:
    return program.labels.of(pattern=pattern, subject=subject)


def click_times(program: Program) -> dict[tuple[str, str], list[int]]:
    """Sorted click instants per (visitor, partner)."""
    times: dict[tuple[str, str], list[int]] = defaultdict(list)
    clicks = program.clicks
    for visitor, partner, ts in zip(
        clicks["visitor_id"].tolist(),
        clicks["partner_id"].tolist(),
        clicks["ts"].tolist(),
        strict=True,
    ):
        times[visitor, partner].append(ts)
    return times  # clicks are in time order, so each list is sorted


def latest_before(times: list[int], at: int) -> int | None:
    """The latest instant at or before `at`."""
    index = bisect.bisect_right(times, at)
    return times[index - 1] if index else None


def clicked_before(times: list[int], at: int, low: int, high: int) -> bool:
    """Whether a click lies between `high` and `low` before `at` (both included)."""
    index = bisect.bisect_left(times, at - high)
    return index < len(times) and times[index] <= at - low


def ctit(program: Program) -> list[int | None]:
    """Per order: order ts minus the latest click of its partner by its visitor (None: none)."""
    times = click_times(program)
    orders = program.orders
    result: list[int | None] = []
    for visitor, partner, ts in zip(
        orders["visitor_id"].tolist(),
        orders["partner_id"].tolist(),
        orders["ts"].tolist(),
        strict=True,
    ):
        last = latest_before(times.get((visitor, partner), []), ts)
        result.append(None if last is None else ts - last)
    return result


def digest(program: Program) -> str:
    hashed = hashlib.sha256()
    for table in program.tables.values():
        hashed.update(repr(table.to_records()).encode())
    hashed.update(repr(program.fx.to_records()).encode())
    return hashed.hexdigest()


# -- no fraud: the programme of before ------------------------------------------------------------

# Digests of programmes generated before the fraud stage existed (tables and rates, as
# records). They change only if the organic generator changes on purpose.
BEFORE_FRAUD = {
    (3, 40, 3_000): "a3732179ff39411bf3ee0602e375d3f9748bda86b968c3d8be471591d79e9f60",
    (1, 1, 10): "8a9f8cbeb03de58b183718a67670cbd8396f96acc1e6dd322cf46b7a269c4825",
}


@pytest.mark.parametrize(("seed", "partners", "clicks"), sorted(BEFORE_FRAUD))
def test_without_fraud_the_programme_is_the_one_of_before(
    seed: int, partners: int, clicks: int
) -> None:
    program = synthetic_program(seed=seed, partners=partners, clicks=clicks)
    assert digest(program) == BEFORE_FRAUD[seed, partners, clicks]
    assert len(program.labels) == 0
    assert program.summary()["fraud"] == {}
    for nothing in ({}, {"click_spam": 0.0}, dict.fromkeys(PATTERNS, 0)):
        same = synthetic_program(seed=seed, partners=partners, clicks=clicks, fraud=nothing)
        assert same.equals(program)


def test_fraud_is_deterministic_and_depends_on_its_arguments() -> None:
    arguments: dict[str, Any] = {"seed": 4, "partners": 60, "clicks": 6_000}
    first = synthetic_program(**arguments, fraud=DEFAULT_FRAUD)
    second = synthetic_program(**arguments, fraud=dict(DEFAULT_FRAUD))
    assert first.equals(second)
    assert first.labels.equals(second.labels)
    assert first.summary() == second.summary()
    assert not first.equals(synthetic_program(**arguments))
    other = synthetic_program(**arguments, fraud=DEFAULT_FRAUD, evasive=0.9)
    assert not first.equals(other)
    assert not first.labels.equals(other.labels)
    # The labels take part in equality.
    relabelled = dataclasses.replace(first, labels=FraudLabels.empty())
    assert not first.equals(relabelled)


def test_the_organic_partners_stay_and_fraud_accounts_follow(
    program: Program, organic: Program
) -> None:
    before = len(organic.partners)
    partners = program.partners
    assert partners["partner_id"][:before].tolist() == organic.partners["partner_id"].tolist()
    assert partners["email_hash"][:before].tolist() == organic.partners["email_hash"].tolist()
    new = records(partners)[before:]
    assert [row["partner_id"] for row in new] == [f"P{n:04d}" for n in range(before, len(partners))]
    start, end = al.to_micros(program.start), al.to_micros(program.end)
    for row in new:
        assert row["status"] == "active"
        assert row["parent_id"] is None
        assert start - 21 * DAY <= row["joined_at"] < end
    coded = {row["partner_id"] for row in new if row["coupon_codes"]}
    assert coded == program.labels.ids("partner", "brushing")
    # Accounts are their own people, except the duplicates.
    duplicates = program.labels.ids("partner", "duplicate_identity")
    own = [row for row in new if row["partner_id"] not in duplicates]
    assert len({row["email_hash"] for row in own}) == len(own)
    everyone = set(organic.partners["email_hash"].tolist())
    assert not {row["email_hash"] for row in own} & everyone


# -- the labels ---------------------------------------------------------------------------------


def test_every_pattern_has_useful_labels(program: Program) -> None:
    labels = program.labels
    assert labels.patterns == tuple(sorted(PATTERNS))
    for pattern in ORDER_PATTERNS:
        assert len(labels.ids("order", pattern)) >= 24, pattern
    for pattern in PARTNER_PATTERNS:
        assert len(labels.ids("partner", pattern)) >= 2, pattern
    # Self-referrers are labelled as partners too: the partners credited with those orders.
    referred = labels.of(pattern="self_referral", subject="order")
    assert labels.ids("partner", "self_referral") == set(referred.partner_id.tolist())
    assert not labels.ids("partner", "leaked_coupon")
    assert len(labels.ids("click", "click_spam")) > 2_000
    assert len(labels.ids("click", "click_injection")) == len(
        labels.ids("order", "click_injection")
    )
    # Both variants of every pattern but leaked coupons (which has none).
    for pattern in PATTERNS:
        variants = set(labels.of(pattern=pattern).evasive.tolist())
        assert variants == ({False} if pattern == "leaked_coupon" else {False, True}), pattern
    assert program.summary()["fraud"] == dict(Counter(labels.pattern.tolist()))


def test_labels_name_real_rows_and_their_partners(program: Program) -> None:
    tables = {"click": program.clicks, "order": program.orders, "partner": program.partners}
    keys = {"click": "click_id", "order": "order_id", "partner": "partner_id"}
    partner_ids = set(program.partners["partner_id"].tolist())
    assert set(program.labels.partner_id.tolist()) <= partner_ids
    for subject, table in tables.items():
        ids = program.labels.ids(subject)
        assert ids <= set(table[keys[subject]].tolist()), subject
    for subject in ("click", "order"):
        table = tables[subject]
        credited = dict(
            zip(table[keys[subject]].tolist(), table["partner_id"].tolist(), strict=True)
        )
        for record in program.labels.of(subject=subject).to_records():
            if record["pattern"] != "leaked_coupon":
                assert credited[record["id"]] == record["partner_id"], record
    partner_labels = program.labels.of(subject="partner")
    assert (partner_labels.id == partner_labels.partner_id).all()
    # One label per id and pattern.
    keyed = list(
        zip(program.labels.subject, program.labels.id, program.labels.pattern, strict=True)
    )
    assert len(set(keyed)) == len(keyed)


def test_the_tables_stay_valid(program: Program) -> None:
    start, end = al.to_micros(program.start), al.to_micros(program.end)
    for name in ("clicks", "orders", "reversals", "touchpoints"):
        ts = program.tables[name]["ts"]
        assert (ts >= start).all(), name
        assert (ts < end).all(), name
        assert (np.diff(ts) >= 0).all(), name
    for name, key in (
        ("partners", "partner_id"),
        ("clicks", "click_id"),
        ("orders", "order_id"),
        ("reversals", "reversal_id"),
    ):
        ids = program.tables[name][key].tolist()
        assert len(set(ids)) == len(ids), name
        if name != "partners":  # ids in time order, whatever made the row
            assert ids == sorted(ids), name
    orders, lines, reversals = program.orders, program.lines, program.reversals
    row_of = {order_id: row for row, order_id in enumerate(orders["order_id"].tolist())}
    totals = np.zeros(len(orders), dtype=np.int64)
    np.add.at(totals, [row_of[o] for o in lines["order_id"].tolist()], lines["amount"])
    assert (totals == orders["amount"]).all()
    assert (orders["amount"] > 0).all()
    reversed_rows = np.array([row_of[o] for o in reversals["order_id"].tolist()])
    amount = np.where(
        reversals.missing("amount"), orders["amount"][reversed_rows], reversals["amount"]
    )
    taken = np.zeros(len(orders), dtype=np.int64)
    np.add.at(taken, reversed_rows, amount)
    assert (taken <= orders["amount"]).all()
    assert (reversals["ts"] > orders["ts"][reversed_rows]).all()
    for column in (
        "currency",
        "country",
        "ip",
        "device_id",
        "visitor_id",
        "customer_id",
        "email_hash",
        "payment_fingerprint",
        "is_new_customer",
        "partner_id",
    ):
        assert not orders.missing(column).any(), column
    # One touchpoint per click, and every visitor of a touch clicked or ordered.
    assert int((program.touchpoints["kind"] == "click").sum()) == len(program.clicks)
    visitors = set(program.clicks["visitor_id"].tolist()) | set(orders["visitor_id"].tolist())
    assert set(program.touchpoints["visitor_id"].tolist()) <= visitors


def test_customers_and_codes_stay_consistent(program: Program) -> None:
    orders = records(program.orders)
    email: dict[str, str] = {}
    seen: set[str] = set()
    for row in orders:
        assert email.setdefault(row["customer_id"], row["email_hash"]) == row["email_hash"]
        if row["is_new_customer"]:  # only a customer's first order is new
            assert row["customer_id"] not in seen
        seen.add(row["customer_id"])
    owner = {
        code: partner
        for partner, codes in zip(
            program.partners["partner_id"].tolist(),
            program.partners["coupon_codes"].tolist(),
            strict=True,
        )
        for code in codes
    }
    for row in orders:
        if row["coupon_code"] is not None:
            assert owner[row["coupon_code"]] == row["partner_id"]


@pytest.mark.parametrize("seed", [2, 19])
def test_tables_read_back_through_the_validating_readers(seed: int) -> None:
    program = synthetic_program(seed=seed, partners=40, clicks=3_000, fraud=DEFAULT_FRAUD)
    assert len(program.labels) > 0
    for name, table in program.tables.items():
        again = type(table).from_records(table.to_records())
        assert again.equals(table), name


# -- each pattern, from the tables ----------------------------------------------------------------


def test_click_injection_lands_seconds_before_the_order(program: Program) -> None:
    orders = records(program.orders)
    clicks = records(program.clicks)
    click_of = {row["click_id"]: row for row in clicks}
    injected = labelled(program, "click_injection", "click")
    times = click_times(program)
    delays = ctit(program)
    stolen = labelled(program, "click_injection", "order")
    evasive_of = dict(zip(stolen.id.tolist(), stolen.evasive.tolist(), strict=True))
    for row, order in enumerate(orders):
        if order["order_id"] not in evasive_of:
            continue
        assert order["coupon_code"] is None
        own = times[order["visitor_id"], order["partner_id"]]
        lead = order["ts"] - own[bisect.bisect_right(own, order["ts"]) - 1]
        if evasive_of[order["order_id"]]:
            assert 11 * SECOND <= lead <= 45 * SECOND
        else:
            assert SECOND <= lead <= 9 * SECOND
            delay = delays[row]
            assert delay is not None
            assert delay < 10 * SECOND
    # The injected clicks come from the buyer's own device, address and country.
    for click_id in injected.id.tolist():
        click = click_of[click_id]
        buyer = [o for o in orders if o["visitor_id"] == click["visitor_id"]]
        assert any(
            (o["device_id"], o["ip"], o["country"])
            == (click["device_id"], click["ip"], click["country"])
            for o in buyer
        )
    # Nothing else converts within ten seconds of its partner's click; organic clicks take
    # 90 seconds or more.
    quick = {
        orders[row]["order_id"]
        for row, delay in enumerate(delays)
        if delay is not None and delay < 10 * SECOND
    }
    assert quick <= set(evasive_of)
    unlabelled = [
        d
        for o, d in zip(orders, delays, strict=True)
        if d is not None and o["order_id"] not in program.labels.ids("order")
    ]
    assert min(unlabelled) >= 90 * SECOND
    # The thieves' typical click-to-order time is far shorter than any peer's.
    by_partner: dict[str, list[int]] = defaultdict(list)
    for order, delay in zip(orders, delays, strict=True):
        if delay is not None:
            by_partner[order["partner_id"]].append(delay)
    thieves = program.labels.ids("partner", "click_injection")
    median = {partner: float(np.median(values)) for partner, values in by_partner.items()}
    assert max(median[p] for p in thieves) <= 45 * SECOND
    assert min(m for p, m in median.items() if p not in program.labels.ids("partner")) > 90 * SECOND


def test_click_spam_floods_clicks_and_takes_orders_it_did_not_earn(program: Program) -> None:
    clicks = records(program.clicks)
    spam = labelled(program, "click_spam", "click")
    spammers = labelled(program, "click_spam", "partner")
    evasive = dict(zip(spammers.id.tolist(), spammers.evasive.tolist(), strict=True))
    spam_ids = set(spam.id.tolist())
    assert {c["partner_id"] for c in clicks if c["click_id"] in spam_ids} == set(evasive)
    assert {c["click_id"] for c in clicks if c["partner_id"] in evasive} == spam_ids
    organic_devices = {c["device_id"] for c in clicks if c["click_id"] not in spam_ids}
    organic_devices |= set(program.orders["device_id"].tolist())
    device_of_visitor = dict(
        zip(
            program.orders["visitor_id"].tolist(), program.orders["device_id"].tolist(), strict=True
        )
    )
    for spammer, sneaky in evasive.items():
        mine = [c for c in clicks if c["partner_id"] == spammer]
        assert len(mine) > 500
        if sneaky:
            # The visitors' own devices, at most two clicks per visitor per hour.
            per_visitor: dict[str, list[int]] = defaultdict(list)
            for c in mine:
                per_visitor[c["visitor_id"]].append(c["ts"])
                if c["visitor_id"] in device_of_visitor:
                    assert c["device_id"] == device_of_visitor[c["visitor_id"]]
            for ts in per_visitor.values():
                assert all(b - a >= HOUR for a, b in zip(ts, ts[2:], strict=False))
            assert {c["device_id"] for c in mine} <= organic_devices
        else:
            # Bots nobody else uses, each in an hour of more than five clicks.
            by_device: dict[str, list[int]] = defaultdict(list)
            for c in mine:
                by_device[c["device_id"]].append(c["ts"])
            assert not set(by_device) & organic_devices
            assert len(by_device) < len(mine) / 20
            for ts in by_device.values():
                # Hours (from a click) with more than five clicks of the device; every click
                # lies in one.
                dense = [t for t in ts if bisect.bisect_left(ts, t + HOUR) - ts.index(t) > 5]
                for t in ts:
                    opening = bisect.bisect_right(dense, t) - 1
                    assert opening >= 0
                    assert t < dense[opening] + HOUR
    # Orders whose latest click within the cookie window is spam are the spammers'.
    times: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for c in clicks:
        times[c["visitor_id"]].append((c["ts"], c["partner_id"], c["click_id"]))
    taken = labelled(program, "click_spam", "order")
    taken_by = dict(zip(taken.id.tolist(), taken.partner_id.tolist(), strict=True))
    other_labels = program.labels.ids("order") - set(taken_by)
    for order in records(program.orders):
        history = times.get(order["visitor_id"], [])
        index = bisect.bisect_right(history, (order["ts"], "\uffff", "\uffff"))
        last = history[index - 1] if index else None
        spam_latest = last is not None and last[2] in spam_ids and order["ts"] - last[0] <= COOKIE
        if order["order_id"] in taken_by:
            assert spam_latest
            assert last is not None
            assert order["partner_id"] == last[1] == taken_by[order["order_id"]]
            assert order["coupon_code"] is None
        elif spam_latest and order["coupon_code"] is None:
            assert order["order_id"] in other_labels
    # Spammers convert badly, and late.
    delays = ctit(program)
    credited = program.orders["partner_id"].tolist()
    for spammer in evasive:
        waits = [d for p, d in zip(credited, delays, strict=True) if p == spammer]
        clicked = sum(c["partner_id"] == spammer for c in clicks)
        assert len(waits) / clicked < 0.02
        assert np.median([d for d in waits if d is not None]) > HOUR


def test_self_referral_orders_carry_the_partners_identity(program: Program) -> None:
    partner_of = {row["partner_id"]: row for row in records(program.partners)}
    orders = {row["order_id"]: row for row in records(program.orders)}
    times = click_times(program)
    referred = labelled(program, "self_referral", "order")
    referred_ids = set(referred.id.tolist())
    for order_id, sneaky in zip(referred.id.tolist(), referred.evasive.tolist(), strict=True):
        order = orders[order_id]
        partner = partner_of[order["partner_id"]]
        if sneaky:
            assert order["payment_fingerprint"] == partner["payment_fingerprint"]
            assert order["email_hash"] != partner["email_hash"]
        else:
            assert order["email_hash"] == partner["email_hash"]
        own = times[order["visitor_id"], order["partner_id"]]
        assert clicked_before(own, order["ts"], 2 * MINUTE, 15 * MINUTE)
    # The partners are real ones with organic business besides.
    selves = set(referred.partner_id.tolist())
    assert 2 <= len(selves) <= 0.03 * len(partner_of)
    own_visitors = {orders[o]["visitor_id"] for o in referred_ids}
    organic_clicks = [
        p
        for p, v in zip(
            program.clicks["partner_id"].tolist(),
            program.clicks["visitor_id"].tolist(),
            strict=True,
        )
        if v not in own_visitors
    ]
    for partner in selves:
        assert partner_of[partner]["status"] == "active"
        assert sum(p == partner for p in organic_clicks) >= 10
    # Nobody else's order carries a partner's e-mail or card.
    emails = {p["email_hash"] for p in partner_of.values()}
    cards = {p["payment_fingerprint"] for p in partner_of.values()}
    for order in orders.values():
        if order["email_hash"] in emails or order["payment_fingerprint"] in cards:
            assert order["order_id"] in referred_ids


def test_velocity_bursts_use_one_card_many_times(program: Program) -> None:
    orders = {row["order_id"]: row for row in records(program.orders)}
    times = click_times(program)
    fast = labelled(program, "velocity", "order")
    partners = program.labels.ids("partner", "velocity")
    bursts: dict[str, list[Row]] = defaultdict(list)
    variant: dict[str, bool] = {}
    for order_id, sneaky in zip(fast.id.tolist(), fast.evasive.tolist(), strict=True):
        order = orders[order_id]
        assert order["partner_id"] in partners
        bursts[order["payment_fingerprint"]].append(order)
        variant[order["payment_fingerprint"]] = sneaky
        own = times[order["visitor_id"], order["partner_id"]]
        assert clicked_before(own, order["ts"], 2 * MINUTE, 10 * MINUTE)
    assert len(bursts) >= 3
    for card, burst in bursts.items():
        ts = sorted(o["ts"] for o in burst)
        assert 5 <= len(burst) <= 12
        assert ts[-1] - ts[0] <= 6 * HOUR
        assert len({o["partner_id"] for o in burst}) == 1
        if variant[card]:
            assert len({o["ip"] for o in burst}) == len(burst)
            assert len({o["email_hash"] for o in burst}) == len(burst)
        else:
            assert len({o["ip"] for o in burst}) == 1
            assert len({o["email_hash"] for o in burst}) == 1
    # All of these partners' orders are the labelled ones.
    assert {o["order_id"] for o in orders.values() if o["partner_id"] in partners} == set(
        fast.id.tolist()
    )


def test_brushing_many_cheap_orders_from_few_buyers_within_an_hour(program: Program) -> None:
    orders = records(program.orders)
    by_id = {row["order_id"]: row for row in orders}
    codes = dict(
        zip(
            program.partners["partner_id"].tolist(),
            program.partners["coupon_codes"].tolist(),
            strict=True,
        )
    )
    times = click_times(program)
    brushed = labelled(program, "brushing", "order")
    assert set(brushed.partner_id.tolist()) == program.labels.ids("partner", "brushing")
    per_partner: dict[str, list[Row]] = defaultdict(list)
    for order_id, sneaky in zip(brushed.id.tolist(), brushed.evasive.tolist(), strict=True):
        order = by_id[order_id]
        assert order["coupon_code"] is not None
        assert codes[order["partner_id"]] == (order["coupon_code"],)
        own = times[order["visitor_id"], order["partner_id"]]
        assert clicked_before(own, order["ts"], 30 * SECOND, 2 * MINUTE)
        per_partner[order["partner_id"]].append(order | {"evasive": sneaky})
    for partner_orders in per_partner.values():
        partner_orders.sort(key=lambda o: o["ts"])
        # Bursts: runs of orders less than an hour apart from the run's first.
        runs: list[list[Row]] = []
        for order in partner_orders:
            if runs and order["ts"] - runs[-1][0]["ts"] < HOUR:
                runs[-1].append(order)
            else:
                runs.append([order])
        for run in runs:
            buyers = {o["customer_id"] for o in run}
            assert len({o["device_id"] for o in run}) == len(buyers)
            assert len(run) / len(buyers) >= 3
            assert 6 <= len(run) <= 20
            assert len(buyers) <= (4 if run[0]["evasive"] else 2)
    # Small orders: below the organic median of their currency.
    amounts: dict[str, list[int]] = defaultdict(list)
    for order in orders:
        if order["order_id"] not in program.labels.ids("order"):
            amounts[order["currency"]].append(order["amount"])
    for order_id in brushed.id.tolist():
        order = by_id[order_id]
        assert order["amount"] < np.median(amounts[order["currency"]])


def test_leaked_coupons_are_every_code_order_without_its_owners_click(program: Program) -> None:
    owner = {
        code: partner
        for partner, held in zip(
            program.partners["partner_id"].tolist(),
            program.partners["coupon_codes"].tolist(),
            strict=True,
        )
        for code in held
    }
    times = click_times(program)
    expected = set()
    for order in records(program.orders):
        code = order["coupon_code"]
        if code is None:
            continue
        last = latest_before(times.get((order["visitor_id"], owner[code]), []), order["ts"])
        if last is None or order["ts"] - last > COOKIE:
            expected.add(order["order_id"])
    leaked = labelled(program, "leaked_coupon", "order")
    assert set(leaked.id.tolist()) == expected
    credited = dict(
        zip(program.orders["order_id"].tolist(), program.orders["partner_id"].tolist(), strict=True)
    )
    assert all(
        credited[o] == p
        for o, p in zip(leaked.id.tolist(), leaked.partner_id.tolist(), strict=True)
    )
    # The organic leakage (about 4% of orders) is labelled too: more than the 2% added.
    assert len(expected) > 0.05 * len(program.orders)


def test_duplicate_accounts_share_an_older_partners_payout_or_email(program: Program) -> None:
    partners = records(program.partners)
    duplicates = labelled(program, "duplicate_identity", "partner")
    evasive = dict(zip(duplicates.id.tolist(), duplicates.evasive.tolist(), strict=True))
    sharing = set()
    for partner in partners:
        for other in partners:
            if other["joined_at"] >= partner["joined_at"]:
                continue
            if partner["payment_fingerprint"] == other["payment_fingerprint"]:
                sharing.add(partner["partner_id"])
                assert evasive[partner["partner_id"]] is False
                assert partner["kind"] == other["kind"]
            if partner["email_hash"] == other["email_hash"]:
                sharing.add(partner["partner_id"])
                assert evasive[partner["partner_id"]] is True
    assert sharing == set(evasive)


def test_reversal_abusers_have_half_their_orders_reversed(program: Program) -> None:
    orders = records(program.orders)
    reversed_orders = set(program.reversals["order_id"].tolist())
    abusers = labelled(program, "reversal_abuse", "partner")
    flagged = labelled(program, "reversal_abuse", "order")
    shares = {}
    for partner, sneaky in zip(abusers.id.tolist(), abusers.evasive.tolist(), strict=True):
        mine = [o["order_id"] for o in orders if o["partner_id"] == partner]
        back = {o for o in mine if o in reversed_orders}
        assert len(mine) >= 10
        share = len(back) / len(mine)
        low, high = (0.2, 0.3) if sneaky else (0.4, 0.6)
        assert low - 0.05 <= share <= high + 0.05, (partner, share)
        assert set(flagged.id[flagged.partner_id == partner].tolist()) == set(mine)
        shares[partner] = share
    # Their peers are far below.
    peers: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for order in orders:
        peers[order["partner_id"]][0] += 1
        peers[order["partner_id"]][1] += order["order_id"] in reversed_orders
    typical = np.median([b / n for p, (n, b) in peers.items() if n >= 10 and p not in shares])
    assert typical < 0.15 < min(shares.values())


def reversal_keys(program: Program) -> list[tuple[int, int, int, str]]:
    """Reversals keyed by what fraud does not renumber: order time and amount, time, kind."""
    placed = dict(
        zip(program.orders["order_id"].tolist(), program.orders["ts"].tolist(), strict=True)
    )
    amount = dict(
        zip(program.orders["order_id"].tolist(), program.orders["amount"].tolist(), strict=True)
    )
    return [
        (placed[order_id], amount[order_id], ts, kind)
        for order_id, ts, kind in zip(
            program.reversals["order_id"].tolist(),
            program.reversals["ts"].tolist(),
            program.reversals["kind"].tolist(),
            strict=True,
        )
    ]


def test_added_reversals_are_full_and_only_on_unreversed_orders_of_abusers(
    program: Program, organic: Program
) -> None:
    before = Counter(reversal_keys(organic))
    after = Counter(reversal_keys(program))
    assert not before - after  # the organic reversals are all still there
    added = after - before
    assert sum(added.values()) > 20
    reversals = records(program.reversals)
    missing = program.reversals.missing("amount").tolist()
    orders = {row["order_id"]: row for row in records(program.orders)}
    abusers = program.labels.ids("partner", "reversal_abuse")
    per_order = Counter(row["order_id"] for row in reversals)
    keys = reversal_keys(program)
    for row, no_amount, key in zip(reversals, missing, keys, strict=True):
        if key not in added:
            continue
        order = orders[row["order_id"]]
        assert order["partner_id"] in abusers
        assert row["kind"] in ("refund", "chargeback")
        assert row["line_id"] is None
        assert no_amount or row["amount"] == order["amount"]  # in full
        assert DAY <= row["ts"] - order["ts"] <= 20 * DAY
        assert per_order[row["order_id"]] == 1  # the order had no reversal before


# -- the variants and the arguments ---------------------------------------------------------------


@pytest.mark.parametrize("evasive", [0.0, 1.0])
def test_evasive_share_picks_the_variant(evasive: float) -> None:
    program = synthetic_program(
        seed=8, partners=80, clicks=8_000, fraud=DEFAULT_FRAUD, evasive=evasive
    )
    flags = program.labels.of().evasive
    leaked = program.labels.pattern == "leaked_coupon"
    assert not flags[leaked].any()
    assert (flags[~leaked] == bool(evasive)).all()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"fraud": {"click_farm": 0.1}}, "fraud has unknown patterns ['click_farm']"),
        ({"fraud": {1: 0.1}}, "fraud has unknown patterns [1]"),
        ({"fraud": {"click_spam": 0.6}}, "fraud['click_spam'] must be in [0.0, 0.5], got 0.6"),
        ({"fraud": {"velocity": -0.01}}, "fraud['velocity'] must be in [0.0, 0.5], got -0.01"),
        ({"fraud": {"brushing": "high"}}, "fraud['brushing'] must be a number, got 'high'"),
        ({"fraud": {"brushing": True}}, "fraud['brushing'] must be a number, got True"),
        ({"fraud": {"brushing": float("nan")}}, "fraud['brushing'] must be in [0.0, 0.5], got nan"),
        ({"fraud": "default"}, "fraud must be a mapping of pattern to rate"),
        ({"fraud": [("velocity", 0.1)]}, "fraud must be a mapping of pattern to rate"),
        ({"evasive": 1.5}, "evasive must be in [0.0, 1.0], got 1.5"),
        ({"evasive": -0.1}, "evasive must be in [0.0, 1.0], got -0.1"),
        ({"evasive": None}, "evasive must be a number, got None"),
    ],
)
def test_bad_fraud_arguments_raise_value_error(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        synthetic_program(partners=5, clicks=10, **arguments)


def test_tiny_programmes_with_fraud_still_build() -> None:
    for partners, clicks, days in ((1, 0, 90), (3, 50, 2), (10, 500, 1)):
        program = synthetic_program(
            seed=1, partners=partners, clicks=clicks, days=days, fraud=DEFAULT_FRAUD
        )
        start, end = al.to_micros(program.start), al.to_micros(program.end)
        for name in ("clicks", "orders", "reversals", "touchpoints"):
            ts = program.tables[name]["ts"]
            assert ((ts >= start) & (ts < end)).all()
        assert program.labels.ids("order") <= set(program.orders["order_id"].tolist())


# -- FraudLabels ----------------------------------------------------------------------------------


def test_fraud_labels_filter_count_and_export(program: Program) -> None:
    labels = program.labels
    assert len(labels) == len(labels.to_records())
    assert labels.columns == ("subject", "id", "pattern", "partner_id", "evasive")
    assert labels["pattern"] is labels.pattern
    assert labels.id.dtype == object
    assert labels.evasive.dtype == bool
    velocity = labels.of(pattern="velocity")
    assert set(velocity.pattern.tolist()) == {"velocity"}
    assert len(velocity) == int((labels.pattern == "velocity").sum())
    orders = labels.of(subject="order")
    assert len(orders) + len(labels.of(subject="click")) + len(labels.of(subject="partner")) == len(
        labels
    )
    assert labels.ids("order", "velocity") == frozenset(velocity.of(subject="order").id.tolist())
    assert labels.of().equals(labels)
    assert not velocity.equals(labels)
    assert not labels.equals("labels")
    first = labels.to_records()[0]
    assert set(first) == set(labels.columns)
    assert isinstance(first["evasive"], bool)
    assert repr(FraudLabels.empty()) == "FraudLabels(0 rows)"
    assert repr(velocity).startswith(f"FraudLabels({len(velocity)} rows: velocity ")
    frame = labels.to_pandas()
    assert list(frame.columns) == list(labels.columns)
    assert len(frame) == len(labels)
    assert frame["id"].tolist() == labels.id.tolist()


def test_fraud_labels_are_immutable_and_checked() -> None:
    labels = FraudLabels(
        subject=["order"], id=["O1"], pattern=["velocity"], partner_id=["P1"], evasive=[True]
    )
    with pytest.raises(AttributeError):
        labels.subject = np.array(["click"], dtype=object)  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        labels.id[0] = "O2"
    with pytest.raises(KeyError, match="no column 'amount'"):
        labels["amount"]
    with pytest.raises(ValueError, match="pattern must be one of"):
        labels.of(pattern="nope")
    with pytest.raises(ValueError, match="subject must be one of"):
        labels.ids("line")
    bad: list[tuple[dict[str, Any], str]] = [
        ({"subject": ["row"]}, "subject must be one of"),
        ({"pattern": ["cookie_stuffing"]}, "pattern must be one of"),
        ({"id": [7]}, "id must hold text only"),
        ({"evasive": [1]}, "evasive must be a one-dimensional array of bools"),
        ({"partner_id": ["P1", "P2"]}, "must have one length"),
    ]
    base: dict[str, Any] = {
        "subject": ["order"],
        "id": ["O1"],
        "pattern": ["velocity"],
        "partner_id": ["P1"],
        "evasive": [False],
    }
    for change, message in bad:
        with pytest.raises(ValueError, match=message):
            FraudLabels(**(base | change))


def test_fraud_labels_pickle_to_an_equal_read_only_copy() -> None:
    labels = FraudLabels(
        subject=["order", "partner"],
        id=["O1", "P1"],
        pattern=["velocity", "reversal_abuse"],
        partner_id=["P1", "P1"],
        evasive=[True, False],
    )
    copy = pickle.loads(pickle.dumps(labels))
    assert copy.to_records() == labels.to_records()
    assert copy.evasive.tolist() == [True, False]
    with pytest.raises(ValueError, match="read-only"):
        copy.id[0] = "O2"
