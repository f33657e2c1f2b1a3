"""Checks on clicks: hand-built examples with hand-computed numbers, and batch == stream."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import alliance as al
from alliance.errors import DataError
from alliance.risk._check import Check
from alliance.risk._check_bots import BotTiming
from alliance.risk._check_injection import ClickHijack, ClickInjection, ClickSpam
from alliance.risk._check_network import AnonymousIp, Geo
from alliance.risk._check_paid_search import PaidSearch
from alliance.risk._events import ClickEvent, OrderEvent, StreamContext
from alliance.risk._flags import REASONS, Flag
from alliance.risk._frame import Frame

T0 = datetime(2026, 10, 1, tzinfo=UTC)
LOOKBACK_US = 30 * 86_400_000_000
Record: TypeAlias = dict[str, Any]
Key: TypeAlias = tuple[str, str, str, float, tuple[str, ...], str | None]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def click(click_id: str, seconds: float, partner: str = "P1", **fields: Any) -> Record:
    return {"click_id": click_id, "ts": at(seconds), "partner_id": partner, **fields}


def order(order_id: str, seconds: float, partner: str | None = "P1", **fields: Any) -> Record:
    record = {"order_id": order_id, "ts": at(seconds), "amount": "25.00", "currency": "USD"}
    return {**record, "partner_id": partner, **fields}


def run(
    check: Check, *, clicks: Sequence[Record] = (), orders: Sequence[Record] = ()
) -> list[Flag]:
    """The check alone over tables built from records, as a list of flags."""
    return list(
        check(clicks=al.Clicks.from_records(list(clicks)), orders=al.Orders.from_records(orders))
    )


def keys(flags: Iterable[Flag]) -> set[Key]:
    return {(f.subject, f.id, f.code, f.observed, f.evidence, f.partner_id) for f in flags}


def by_id(flags: Iterable[Flag], code: str | None = None) -> dict[str, Flag]:
    return {f.id: f for f in flags if code is None or f.code == code}


# --- a tiny screener: the lead replaces it with the real `Screener` ---------------------------

_CLICK_FIELDS = ("visitor_id", "ip", "device_id", "user_agent", "country")
_ORDER_FIELDS = (
    "visitor_id",
    "customer_id",
    "coupon_code",
    "country",
    "ip",
    "device_id",
    "payment_fingerprint",
    "email_hash",
)


def _extras(table: al.Clicks | al.Orders, model: type[Any]) -> list[str]:
    return [name for name in table.columns if name not in model.model_fields]


def stream_flags(
    check: Check,
    *,
    clicks: al.Clicks | None = None,
    orders: al.Orders | None = None,
    lookback_us: int = LOOKBACK_US,
) -> list[Flag]:
    """Feed the events to the check's stream in time order, as the screener would.

    Clicks come before orders at the same instant, rows in table order within one instant.
    Each order gets its winning click (the last click of its partner by its visitor at or
    before it, within the look-back), the visitor's last click of another partner before
    that one, and its CTIT. The stream is swept before every event.
    """
    stream = check.stream(StreamContext(lookback_us=lookback_us))
    assert stream is not None
    events: list[tuple[int, int, int, ClickEvent | OrderEvent]] = []
    if clicks is not None:
        extra = _extras(clicks, al.Click)
        columns = {name: clicks[name].tolist() for name in (*_CLICK_FIELDS, *extra)}
        for row, (click_id, ts, partner) in enumerate(
            zip(clicks["click_id"], clicks["ts"].tolist(), clicks["partner_id"], strict=True)
        ):
            fields = {name: columns[name][row] for name in _CLICK_FIELDS}
            extras = {name: columns[name][row] for name in extra}
            click_event = ClickEvent(click_id, ts, partner, **fields, extras=extras)
            events.append((ts, 0, row, click_event))
    if orders is not None:
        extra = _extras(orders, al.Order)
        columns = {name: orders[name].tolist() for name in (*_ORDER_FIELDS, *extra)}
        for row, (order_id, ts, partner) in enumerate(
            zip(orders["order_id"], orders["ts"].tolist(), orders["partner_id"], strict=True)
        ):
            fields = {name: columns[name][row] for name in _ORDER_FIELDS}
            extras = {name: columns[name][row] for name in extra}
            order_event = OrderEvent(order_id, ts, partner, **fields, extras=extras)
            events.append((ts, 1, row, order_event))
    events.sort(key=lambda item: item[:3])
    history: dict[str, list[ClickEvent]] = {}
    flags: list[Flag] = []
    for ts, _, _, event in events:
        stream.sweep(ts)
        if isinstance(event, ClickEvent):
            flags += stream.click(event)
            if event.visitor_id is not None:
                history.setdefault(event.visitor_id, []).append(event)
            continue
        seen = history.get(event.visitor_id, []) if event.visitor_id is not None else []
        won_at = next(
            (i for i in range(len(seen) - 1, -1, -1) if seen[i].partner_id == event.partner_id),
            None,
        )
        if won_at is not None and seen[won_at].ts > ts - lookback_us:
            won = event.won = seen[won_at]
            event.ctit = (ts - won.ts) / 1e6
            event.before_won = next(
                (
                    seen[i]
                    for i in range(won_at - 1, -1, -1)
                    if seen[i].partner_id != won.partner_id
                ),
                None,
            )
        flags += stream.order(event)
    return flags


# --- reasons ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "code", "subject", "action", "weight"),
    [
        (ClickInjection, "ctit_too_short", "order", "block", 0.9),
        (ClickInjection, "click_after_checkout", "order", "block", 0.9),
        (ClickSpam, "click_flood", "click", "discard_click", 0.6),
        (ClickHijack, "click_hijack", "order", "review", 0.6),
        (BotTiming, "bot_user_agent", "click", "discard_click", 0.8),
        (BotTiming, "regular_intervals", "click", "discard_click", 0.6),
        (BotTiming, "identical_timestamps", "click", "discard_click", 0.5),
        (PaidSearch, "ad_click_id", "click", "block", 0.8),
        (PaidSearch, "search_referrer", "click", "review", 0.5),
        (AnonymousIp, "anonymous_ip", "click", "discard_click", 0.5),
        (AnonymousIp, "anonymous_ip_order", "order", "review", 0.5),
        (Geo, "geo_mismatch", "order", "review", 0.4),
        (Geo, "out_of_market", "order", "review", 0.3),
        (Geo, "out_of_market_click", "click", "discard_click", 0.3),
    ],
)
def test_reason_codes_are_declared(
    check: type[Check], code: str, subject: str, action: str, weight: float
) -> None:
    declared = REASONS[code]
    assert code in check.codes
    assert (declared.check, declared.subject, declared.action, declared.weight) == (
        check.model_fields["check"].default,
        subject,
        action,
        weight,
    )
    assert declared in check.reasons()


# --- click injection --------------------------------------------------------------------------


def test_ctit_under_ten_seconds_is_flagged_and_exactly_ten_is_not() -> None:
    clicks = [
        click("C1", 0, visitor_id="V1"),
        click("C2", 0, visitor_id="V2"),
        click("C3", 0, visitor_id="V3"),
        click("C4", 0, partner="P2", visitor_id="V4"),
    ]
    orders = [
        order("O1", 3, visitor_id="V1"),
        order("O2", 10, visitor_id="V2"),
        order("O3", 9.999999, visitor_id="V3"),
        order("O4", 1, visitor_id="V4"),  # P1's order, P2's click: no winning click
        order("O5", 1, visitor_id=None),
    ]
    flags = by_id(run(ClickInjection(), clicks=clicks, orders=orders))
    assert set(flags) == {"O1", "O3"}
    assert (flags["O1"].observed, flags["O1"].threshold) == (3.0, 10.0)
    assert flags["O1"].evidence == ("C1",)
    assert flags["O1"].partner_id == "P1"
    assert flags["O3"].observed == pytest.approx(9.999999)


def test_click_after_checkout_start() -> None:
    clicks = [click(f"C{i}", 100, visitor_id=f"V{i}") for i in range(1, 6)]
    orders = [
        order("O1", 200, visitor_id="V1", checkout_started_at="2026-10-01T00:01:10Z"),
        order("O2", 200, visitor_id="V2", checkout_started_at=at(100)),  # at the click: fine
        order("O3", 200, visitor_id="V3", checkout_started_at=at(99.5)),
        order("O4", 200, visitor_id="V4", checkout_started_at=None),
        order("O5", 200, visitor_id="V5", checkout_started_at="2026-10-01T08:01:00+08:00"),
    ]
    flags = by_id(run(ClickInjection(), clicks=clicks, orders=orders), "click_after_checkout")
    assert set(flags) == {"O1", "O3", "O5"}
    assert flags["O1"].observed == 30.0
    assert flags["O3"].observed == 0.5
    assert flags["O5"].observed == 40.0
    assert (flags["O1"].threshold, flags["O1"].evidence, flags["O1"].partner_id) == (
        0.0,
        ("C1",),
        "P1",
    )


def test_checkout_column_is_named_by_a_parameter_and_optional() -> None:
    clicks = [click("C1", 100, visitor_id="V1")]
    orders = [order("O1", 200, visitor_id="V1", started=at(50))]
    assert run(ClickInjection(), clicks=clicks, orders=orders) == []
    flags = run(ClickInjection(checkout_column="started"), clicks=clicks, orders=orders)
    assert keys(flags) == {("order", "O1", "click_after_checkout", 50.0, ("C1",), "P1")}


def test_unreadable_checkout_start_lists_every_bad_row() -> None:
    clicks = [click("C1", 100, visitor_id="V1")]
    orders = [
        order("O1", 200, visitor_id="V1", checkout_started_at=at(10)),
        order("O2", 200, visitor_id="V2", checkout_started_at=datetime(2026, 10, 1)),
        order("O3", 200, visitor_id="V3", checkout_started_at="yesterday"),
        order("O4", 200, visitor_id="V4", checkout_started_at="2026-10-01T00:00:00"),
    ]
    with pytest.raises(DataError) as caught:
        run(ClickInjection(), clicks=clicks, orders=orders)
    assert caught.value.rows == (1, 2, 3)
    assert {p.column for p in caught.value.problems} == {"checkout_started_at"}
    with pytest.raises(DataError):
        stream_flags(
            ClickInjection(),
            clicks=al.Clicks.from_records(clicks),
            orders=al.Orders.from_records(orders[1:2]),
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"max_seconds": 0},
        {"max_seconds": -1},
        {"max_seconds": math.inf},
        {"checkout_column": ""},
        {"other": 1},
    ],
)
def test_click_injection_rejects_bad_parameters(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ClickInjection(**bad)


# --- click spam -------------------------------------------------------------------------------


def test_sixth_click_of_a_device_in_an_hour_is_flagged() -> None:
    clicks = [click(f"C{i}", i * 600, device_id="D1", ip=f"10.0.0.{i}") for i in range(1, 7)]
    flags = run(ClickSpam(), clicks=clicks)
    assert keys(flags) == {("click", "C6", "click_flood", 6.0, ("D1",), "P1")}
    assert flags[0].threshold == 5.0


def test_click_exactly_an_hour_earlier_is_out_of_the_window() -> None:
    times = [0, 600, 1200, 1800, 2400, 3600]
    clicks = [click(f"C{i}", t, device_id="D1") for i, t in enumerate(times)]
    assert run(ClickSpam(), clicks=clicks) == []
    clicks[0]["ts"] = at(0.000001)
    assert [f.id for f in run(ClickSpam(), clicks=clicks)] == ["C5"]


def test_click_flood_by_ip_address_and_per_partner() -> None:
    same_ip = [click(f"A{i}", i, device_id=f"D{i}", ip="1.2.3.4") for i in range(7)]
    two_partners = [
        click(f"B{i}", i, partner="P1" if i % 2 else "P2", device_id="DX") for i in range(10)
    ]
    flags = run(ClickSpam(), clicks=same_ip + two_partners)
    assert keys(flags) == {
        ("click", "A5", "click_flood", 6.0, ("1.2.3.4",), "P1"),
        ("click", "A6", "click_flood", 7.0, ("1.2.3.4",), "P1"),
    }


def test_clicks_without_device_or_ip_are_never_flooding() -> None:
    assert run(ClickSpam(max_clicks_per_hour=1), clicks=[click(f"C{i}", i) for i in range(9)]) == []


@pytest.mark.parametrize("bad", [{"max_clicks_per_hour": 0}, {"max_clicks_per_hour": 1.5}])
def test_click_spam_rejects_bad_parameters(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ClickSpam(**bad)


# --- click hijack -----------------------------------------------------------------------------


def test_winning_click_seconds_after_another_partners_click() -> None:
    clicks = [
        click("C1", 0, partner="P2", visitor_id="V1"),
        click("C2", 4, visitor_id="V1"),
        click("C3", 0, partner="P2", visitor_id="V2"),
        click("C4", 10, visitor_id="V2"),
        click("C5", 0, partner="P2", visitor_id="V3"),
        click("C6", 10.5, visitor_id="V3"),
    ]
    orders = [order(f"O{v}", 100, visitor_id=f"V{v}") for v in (1, 2, 3)]
    flags = run(ClickHijack(), clicks=clicks, orders=orders)
    assert keys(flags) == {
        ("order", "O1", "click_hijack", 4.0, ("C2", "C1"), "P1"),
        ("order", "O2", "click_hijack", 10.0, ("C4", "C3"), "P1"),  # at the threshold
    }
    assert flags[0].threshold == 10.0


def test_hijack_looks_at_the_click_before_the_winning_run() -> None:
    clicks = [
        click("C1", 0, partner="P2", visitor_id="V1"),
        click("C2", 5, visitor_id="V1"),
        click("C3", 50, visitor_id="V1"),  # wins; the other partner's click was 50 s before
        click("C4", 0, partner="P2", visitor_id="V2"),  # another visitor
        click("C5", 1, visitor_id="V3"),
    ]
    orders = [order("O1", 100, visitor_id="V1"), order("O3", 100, visitor_id="V3")]
    assert run(ClickHijack(), clicks=clicks, orders=orders) == []


@pytest.mark.parametrize("bad", [{"max_seconds": 0}, {"max_seconds": math.nan}])
def test_click_hijack_rejects_bad_parameters(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ClickHijack(**bad)


# --- bot timing -------------------------------------------------------------------------------


def test_bot_user_agents_ignore_case() -> None:
    agents = {
        "C1": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "C2": "curl/8.4.0",
        "C3": "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0 Safari/537.36",
        "C4": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
        "C5": None,
        "C6": "curl/8.4.0",
    }
    clicks = [click(c, i * 1000, user_agent=ua) for i, (c, ua) in enumerate(agents.items())]
    flags = by_id(run(BotTiming(), clicks=clicks), "bot_user_agent")
    assert {c: f.evidence for c, f in flags.items()} == {
        "C1": ("bot",),
        "C2": ("curl/",),
        "C3": ("headless",),
        "C6": ("curl/",),
    }
    assert (flags["C1"].observed, flags["C1"].threshold, flags["C1"].partner_id) == (1, 1, "P1")
    mine = by_id(run(BotTiming(bot_markers=("IPHONE",)), clicks=clicks), "bot_user_agent")
    assert {c: f.evidence for c, f in mine.items()} == {"C4": ("IPHONE",)}


def test_ten_clicks_at_a_fixed_interval_are_regular_and_nine_are_not() -> None:
    clicks = [click(f"C{i}", i * 60, device_id="D1") for i in range(10)]
    flags = by_id(run(BotTiming(), clicks=clicks), "regular_intervals")
    assert set(flags) == {"C9"}
    assert (flags["C9"].observed, flags["C9"].threshold) == (0.0, 0.1)
    assert flags["C9"].evidence == tuple(f"C{i}" for i in range(9))
    assert run(BotTiming(), clicks=clicks[:9]) == []


def test_coefficient_of_variation_by_hand() -> None:
    # Gaps 9, 10, 11 s: mean 10, population variance 2/3, CV sqrt(2/3) / 10 = 0.0816…
    clicks = [click(f"C{i}", t, device_id="D1") for i, t in enumerate([0, 9, 19, 30])]
    flags = run(BotTiming(min_events=4), clicks=clicks)
    assert [f.id for f in flags] == ["C3"]
    assert flags[0].observed == pytest.approx(math.sqrt(2 / 3) / 10, rel=1e-12)
    assert flags[0].evidence == ("C0", "C1", "C2")
    # Gaps 10, 20, 30 s: CV sqrt(200 / 3) / 20 = 0.408…
    clicks = [click(f"C{i}", t, device_id="D1") for i, t in enumerate([0, 10, 30, 60])]
    assert run(BotTiming(min_events=4, max_cv=0.4), clicks=clicks) == []
    flags = run(BotTiming(min_events=4, max_cv=0.41), clicks=clicks)
    assert flags[0].observed == pytest.approx(math.sqrt(200 / 3) / 20, rel=1e-12)


def test_coefficient_of_variation_exactly_at_the_threshold_is_not_flagged() -> None:
    # Gaps 1 and 3 s: mean 2, standard deviation 1, CV exactly 0.5.
    clicks = [click(f"C{i}", t, device_id="D1") for i, t in enumerate([0, 1, 4])]
    assert run(BotTiming(min_events=3, max_cv=0.5), clicks=clicks) == []
    flags = run(BotTiming(min_events=3, max_cv=0.5000001), clicks=clicks)
    assert [(f.id, f.observed) for f in flags] == [("C2", 0.5)]


def test_regular_intervals_need_every_click_in_the_window() -> None:
    wide = [click(f"C{i}", i * 10_000, device_id="D1") for i in range(10)]  # spans 90,000 s
    assert run(BotTiming(), clicks=wide) == []
    narrow = [click(f"C{i}", i * 9_000, device_id="D1") for i in range(10)]  # spans 81,000 s
    assert [f.id for f in run(BotTiming(), clicks=narrow)] == ["C9"]


def test_regular_intervals_are_per_device_and_partner() -> None:
    clicks = [
        click(f"C{i}", i * 60, partner="P1" if i % 2 else "P2", device_id="D1") for i in range(10)
    ]
    clicks += [click(f"N{i}", i * 60) for i in range(10)]  # no device
    assert by_id(run(BotTiming(), clicks=clicks), "regular_intervals") == {}


def test_identical_timestamps_of_a_device_or_ip() -> None:
    clicks = [
        click("C1", 5, device_id="D1", ip="1.1.1.1"),
        click("C2", 5, device_id="D1", ip="2.2.2.2"),
        click("C3", 5, device_id="D1"),
        click("C4", 5, partner="P2", device_id="D1"),  # another partner
        click("C5", 5.000001, device_id="D1"),  # one microsecond later
        click("C6", 7, ip="3.3.3.3"),
        click("C7", 7, ip="3.3.3.3"),
        click("C8", 7, device_id="D9", ip="3.3.3.3"),  # a device: keyed by it, not the IP
        click("C9", 9),
        click("C10", 9),  # neither device nor IP
    ]
    flags = run(BotTiming(), clicks=clicks)
    assert keys(flags) == {
        ("click", "C2", "identical_timestamps", 2.0, ("C1",), "P1"),
        ("click", "C3", "identical_timestamps", 3.0, ("C1",), "P1"),
        ("click", "C7", "identical_timestamps", 2.0, ("C6",), "P1"),
    }
    assert {f.threshold for f in flags} == {2.0}


@pytest.mark.parametrize(
    "bad",
    [
        {"min_events": 2},
        {"max_cv": 0},
        {"max_cv": -0.1},
        {"window_seconds": 0},
        {"window_seconds": math.inf},
        {"bot_markers": ("bot", "")},
    ],
)
def test_bot_timing_rejects_bad_parameters(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        BotTiming(**bad)


# --- paid search ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "evidence"),
    [
        ("https://shop.example/?gclid=EAIaIQ", "gclid=EAIaIQ"),
        ("https://shop.example/p/1?utm_source=x&fbclid=IwAR1&gclid=z", "fbclid=IwAR1"),
        ("https://shop.example/?GCLID=abc", "GCLID=abc"),
        ("shop.example/landing?msclkid=42", "msclkid=42"),
        ("https://shop.example/?li_fat_id=9f", "li_fat_id=9f"),
        ("https://shop.example/?%67clid=abc", "gclid=abc"),  # percent-encoded name
        ("https://shop.example/café?wbraid=x", "wbraid=x"),
        ("https://shop.example/?gclid=", None),
        ("https://shop.example/?q=gclid", None),
        ("https://shop.example/#gclid=abc", None),
        ("https://shop.example/?gclidx=abc", None),
        ("http://[::1/?gclid=abc", None),
        ("", None),
    ],
)
def test_ad_click_ids_on_the_landing_url(url: str, evidence: str | None) -> None:
    flags = run(PaidSearch(), clicks=[click("C1", 0, landing_url=url)])
    expected = (
        set() if evidence is None else {("click", "C1", "ad_click_id", 1.0, (evidence,), "P1")}
    )
    assert keys(flags) == expected


@pytest.mark.parametrize(
    ("referrer", "host"),
    [
        ("https://www.google.co.uk/search?q=brand", "www.google.co.uk"),
        ("https://google.com/", "google.com"),
        ("https://www.google.com.br/", "www.google.com.br"),
        ("https://cn.bing.com/search?q=brand", "cn.bing.com"),
        ("bing.com/search?q=brand", "bing.com"),
        ("https://search.yahoo.co.jp/search", "search.yahoo.co.jp"),
        ("https://yandex.com.tr/search", "yandex.com.tr"),
        ("https://www.so.com/s?q=x", "www.so.com"),
        ("HTTPS://DuckDuckGo.com/", "duckduckgo.com"),
        ("https://google.com.:443/", "google.com"),
        ("https://www.google.de/search?q=café", "www.google.de"),
        ("https://google.evil.com/", None),
        ("https://notgoogle.com/", None),
        ("https://also.com/", None),
        ("https://bing.com.evil.net/", None),
        ("https://news.example.com/", None),
        ("android-app://com.google.android.gm/", None),
        ("http://[::1/", None),
        ("", None),
    ],
)
def test_search_engine_referrers(referrer: str, host: str | None) -> None:
    flags = run(PaidSearch(), clicks=[click("C1", 0, referrer=referrer)])
    expected = set() if host is None else {("click", "C1", "search_referrer", 1.0, (host,), "P1")}
    assert keys(flags) == expected


def test_paid_search_columns_are_parameters_and_optional() -> None:
    clicks = [click("C1", 0, url="https://x.example/?gclid=1", ref="https://bing.com/")]
    assert run(PaidSearch(), clicks=clicks) == []
    flags = run(PaidSearch(landing_column="url", referrer_column="ref"), clicks=clicks)
    assert {f.code for f in flags} == {"ad_click_id", "search_referrer"}
    mine = PaidSearch(ad_parameters=("ref_id",), search_hosts=("Example.*",))
    clicks = [click("C1", 0, landing_url="https://x/?ref_id=7", referrer="https://a.example.de/")]
    assert {f.evidence for f in run(mine, clicks=clicks)} == {("ref_id=7",), ("a.example.de",)}


def test_paid_search_over_ascii_and_other_urls_together() -> None:
    clicks = [
        click("C1", 0, landing_url="https://s.example/?GCLID=1", referrer="https://bing.com/"),
        click(
            "C2", 0, landing_url="https://s.example/ü?x=1&fbclid=2", referrer="https://ü.example/"
        ),
        click("C3", 0, landing_url="https://s.example/ü", referrer="https://www.google.fr/ü"),
        click("C4", 0, landing_url=None, referrer=None),
        click("C5", 0, landing_url="https://s.example/?GCLID=1", referrer="https://bing.com/"),
    ]
    flags = run(PaidSearch(), clicks=clicks)
    assert {(f.id, f.code, f.evidence) for f in flags} == {
        ("C1", "ad_click_id", ("GCLID=1",)),
        ("C1", "search_referrer", ("bing.com",)),
        ("C2", "ad_click_id", ("fbclid=2",)),
        ("C3", "search_referrer", ("www.google.fr",)),
        ("C5", "ad_click_id", ("GCLID=1",)),
        ("C5", "search_referrer", ("bing.com",)),
    }
    assert keys(stream_flags(PaidSearch(), clicks=al.Clicks.from_records(clicks))) == keys(flags)


@pytest.mark.parametrize(
    "bad",
    [
        {"ad_parameters": ("g clid",)},
        {"ad_parameters": ("a=b",)},
        {"search_hosts": ("*",)},
        {"search_hosts": ("goo gle.com",)},
        {"search_hosts": ("google.*.com",)},
        {"ad_parameters": ("",)},
        {"landing_column": ""},
    ],
)
def test_paid_search_rejects_bad_parameters(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PaidSearch(**bad)


# --- anonymous IP addresses -------------------------------------------------------------------

RANGES = {
    "tor": ("185.220.101.0/24",),
    "datacenter": ("10.0.0.0/8", "2001:db8::/32"),
    "narrow": ("10.1.0.0/16", "2001:db8:1::/48"),
}


@pytest.mark.parametrize(
    ("ip", "block"),
    [
        ("185.220.101.0", ("tor", "185.220.101.0/24")),
        ("185.220.101.255", ("tor", "185.220.101.0/24")),
        ("185.220.102.0", None),
        ("185.220.100.255", None),
        ("10.0.0.0", ("datacenter", "10.0.0.0/8")),
        ("10.255.255.255", ("datacenter", "10.0.0.0/8")),
        ("9.255.255.255", None),
        ("11.0.0.0", None),
        ("10.1.0.0", ("narrow", "10.1.0.0/16")),
        ("10.1.255.255", ("narrow", "10.1.0.0/16")),
        ("10.2.0.0", ("datacenter", "10.0.0.0/8")),
        ("2001:db8::", ("datacenter", "2001:db8::/32")),
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", ("datacenter", "2001:db8::/32")),
        ("2001:DB8:1::5", ("narrow", "2001:db8:1::/48")),
        ("2001:db9::", None),
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("::ffff:10.1.2.3", ("narrow", "10.1.0.0/16")),
        ("not-an-ip", None),
        ("10.1.2", None),
        ("010.1.2.3", None),
    ],
)
def test_ip_ranges_with_their_boundaries(ip: str, block: tuple[str, str] | None) -> None:
    check = AnonymousIp(ranges=RANGES)
    expected = set() if block is None else {("click", "C1", "anonymous_ip", 1.0, block, "P1")}
    assert keys(run(check, clicks=[click("C1", 0, ip=ip)])) == expected
    # Among dotted quads only (the bulk path) the answer is the same.
    quads = [click("C1", 0, ip=ip), click("C2", 0, ip="10.9.9.9")]
    assert ("C1" in by_id(run(check, clicks=quads))) == (block is not None)


def test_anonymous_ip_orders_and_defaults() -> None:
    clicks = [click("C1", 0, ip="10.3.3.3"), click("C2", 0)]
    orders = [
        order("O1", 5, ip="185.220.101.7"),
        order("O2", 5, partner=None, ip="10.0.0.1"),
        order("O3", 5),
    ]
    flags = run(AnonymousIp(ranges=RANGES), clicks=clicks, orders=orders)
    assert keys(flags) == {
        ("click", "C1", "anonymous_ip", 1.0, ("datacenter", "10.0.0.0/8"), "P1"),
        ("order", "O1", "anonymous_ip_order", 1.0, ("tor", "185.220.101.0/24"), "P1"),
        ("order", "O2", "anonymous_ip_order", 1.0, ("datacenter", "10.0.0.0/8"), None),
    }
    assert run(AnonymousIp(), clicks=clicks, orders=orders) == []
    assert AnonymousIp()(orders=al.Orders.from_records(orders)).__len__() == 0
    same = {"a": ("10.0.0.0/8",), "b": ("10.0.0.0/8",)}  # the first label wins
    assert {f.evidence for f in run(AnonymousIp(ranges=same), clicks=clicks)} == {
        ("a", "10.0.0.0/8")
    }


@pytest.mark.parametrize(
    "ranges",
    [
        {"tor": ("300.1.1.1/32",)},
        {"tor": ("10.0.0.1/8",)},  # host bits set
        {"tor": ("2001:db8::/129",)},
        {"tor": ("",)},
        {"": ("10.0.0.0/8",)},
        {"tor": "10.0.0.0/8"},
    ],
)
def test_anonymous_ip_rejects_bad_ranges(ranges: Any) -> None:
    with pytest.raises(ValidationError):
        AnonymousIp(ranges=ranges)


# --- geography --------------------------------------------------------------------------------


def test_order_country_against_click_and_ip_country() -> None:
    clicks = [
        click("C1", 0, visitor_id="V1", country="GB"),
        click("C2", 0, visitor_id="V2", country="US"),
        click("C3", 0, visitor_id="V3", country="GB"),
        click("C4", 0, visitor_id="V4"),
        click("C5", 0, visitor_id="V5", country="GB"),
    ]
    orders = [
        order("O1", 60, visitor_id="V1", country="US"),
        order("O2", 60, visitor_id="V2", country="US", ip_country=" gb "),  # IP preferred
        order("O3", 60, visitor_id="V3", country="GB", ip_country=None),
        order("O4", 60, visitor_id="V4", country="US"),  # click country unknown
        order("O5", 60, visitor_id="V5"),  # order country unknown
        order("O6", 60, visitor_id="V6", country="US", ip_country="DE"),  # no click
        order("O7", 60, visitor_id="V3", country="GB", ip_country="US"),
    ]
    flags = run(Geo(), clicks=clicks, orders=orders)
    assert keys(flags) == {
        ("order", "O1", "geo_mismatch", 1.0, ("US", "GB"), "P1"),
        ("order", "O2", "geo_mismatch", 1.0, ("US", "GB"), "P1"),
        ("order", "O6", "geo_mismatch", 1.0, ("US", "DE"), "P1"),
        ("order", "O7", "geo_mismatch", 1.0, ("GB", "US"), "P1"),
    }
    assert {f.threshold for f in flags} == {1.0}


def test_out_of_market_orders_and_clicks() -> None:
    clicks = [click("C1", 0, country="US"), click("C2", 0, country="FR"), click("C3", 0)]
    orders = [order("O1", 5, country="DE"), order("O2", 5, country="GB"), order("O3", 5)]
    geo = Geo(markets=("us", " GB"))
    assert geo.markets == ("US", "GB")
    assert keys(run(geo, clicks=clicks, orders=orders)) == {
        ("order", "O1", "out_of_market", 1.0, ("DE",), "P1"),
        ("click", "C2", "out_of_market_click", 1.0, ("FR",), "P1"),
    }
    assert run(Geo(), clicks=clicks, orders=orders) == []


@pytest.mark.parametrize(
    "bad", [{"markets": ("USA",)}, {"markets": ("U1",)}, {"ip_country_column": ""}]
)
def test_geo_rejects_bad_parameters(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Geo(**bad)


# --- batch == stream --------------------------------------------------------------------------

_SECONDS = st.one_of(st.integers(0, 30).map(lambda k: k * 60.0), st.integers(0, 3_600))
_CLICK = st.fixed_dictionaries(
    {
        "seconds": _SECONDS,
        "partner_id": st.sampled_from(["P1", "P2", "P3"]),
        "visitor_id": st.sampled_from(["V1", "V2", "V3", None]),
        "device_id": st.sampled_from(["D1", "D2", None]),
        "ip": st.sampled_from(
            [
                "10.0.0.1",
                "10.1.0.9",
                "185.220.101.3",
                "2001:db8:1::2",
                "::ffff:10.0.0.7",
                "x",
                "8.8.8.8",
                None,
            ]
        ),
        "user_agent": st.sampled_from(["Mozilla/5.0", "Googlebot/2.1", "curl/8.0", None]),
        "country": st.sampled_from(["US", "GB", "DE", None]),
        "landing_url": st.sampled_from(
            [
                "https://s.example/?gclid=a",
                "https://s.example/?id=1",
                "?fbclid=",
                "https://s.example/ü?%67clid=b",
                None,
            ]
        ),
        "referrer": st.sampled_from(
            [
                "https://www.google.co.uk/search",
                "https://news.example/",
                "bing.com/x",
                "https://www.GOOGLE.de/ü",
                None,
            ]
        ),
    }
)


@st.composite
def _bursts(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Clicks of one device, partner and visitor at a nearly fixed step (bots, floods)."""
    start = draw(st.integers(0, 1_800))
    step = draw(st.sampled_from([0, 1, 30, 60, 600]))
    jitter = st.sampled_from([0, 0, 0, 1, 5])
    fields = {
        "partner_id": draw(st.sampled_from(["P1", "P2"])),
        "visitor_id": draw(st.sampled_from(["V1", "V2"])),
        "device_id": draw(st.sampled_from(["D1", "D2", None])),
        "ip": draw(st.sampled_from(["10.0.0.1", "8.8.8.8", None])),
    }
    size = draw(st.integers(2, 8))
    return [{"seconds": start + i * step + draw(jitter), **fields} for i in range(size)]


_CLICKS = st.tuples(st.lists(_CLICK, max_size=20), st.lists(_bursts(), max_size=2)).map(
    lambda drawn: drawn[0] + [row for burst in drawn[1] for row in burst]
)
_ORDER = st.fixed_dictionaries(
    {
        "seconds": st.one_of(_SECONDS, st.integers(3_600, 3_900)),
        "partner_id": st.sampled_from(["P1", "P2", None]),
        "visitor_id": st.sampled_from(["V1", "V2", None]),
        "ip": st.sampled_from(["10.0.0.2", "185.220.101.3", "2001:db8::9", "nope", None]),
        "country": st.sampled_from(["US", "GB", "FR", None]),
        "ip_country": st.sampled_from(["us", "GB", None]),
        "checkout_started_at": st.one_of(st.none(), _SECONDS.map(at)),
    }
)


def _tables(
    click_rows: list[dict[str, Any]], order_rows: list[dict[str, Any]]
) -> tuple[al.Clicks, al.Orders]:
    clicks = [
        click(f"C{i}", row["seconds"], **{k: v for k, v in row.items() if k != "seconds"})
        for i, row in enumerate(click_rows)
    ]
    orders = [
        order(f"O{i}", row["seconds"], **{k: v for k, v in row.items() if k != "seconds"})
        for i, row in enumerate(order_rows)
    ]
    return al.Clicks.from_records(clicks), al.Orders.from_records(orders)


STREAMING: list[Check] = [
    ClickInjection(max_seconds=200),
    ClickSpam(max_clicks_per_hour=2),
    ClickHijack(max_seconds=60),
    ClickHijack(max_seconds=7_200),
    BotTiming(min_events=3, max_cv=0.5, window_seconds=3_600),
    BotTiming(min_events=4, max_cv=0.2, window_seconds=1_800),
    PaidSearch(),
    AnonymousIp(ranges=RANGES),
    Geo(markets=("US", "GB")),
]


@pytest.mark.parametrize("check", STREAMING, ids=lambda c: c.check)
@settings(max_examples=60)
@given(
    click_rows=_CLICKS,
    order_rows=st.lists(_ORDER, max_size=12),
)
def test_stream_flags_exactly_what_the_batch_flags(
    check: Check, click_rows: list[dict[str, Any]], order_rows: list[dict[str, Any]]
) -> None:
    clicks, orders = _tables(click_rows, order_rows)
    batch = check(clicks=clicks, orders=orders)
    streamed = stream_flags(check, clicks=clicks, orders=orders)
    assert len(streamed) == len(batch)
    assert keys(streamed) == keys(batch)


def test_the_property_test_sees_flags_of_every_code() -> None:
    rows = [
        {"seconds": s, "partner_id": "P1", "visitor_id": "V1", "device_id": "D1", "ip": ip}
        for s, ip in [(0, "10.0.0.1"), (0, "10.0.0.1"), (90, "x"), (180, "x")]
    ]
    clicks, orders = _tables(rows, [{"seconds": 185, "partner_id": "P1", "visitor_id": "V1"}])
    found = set()
    for check in STREAMING:
        found |= {f.code for f in check(clicks=clicks, orders=orders)}
    assert {"ctit_too_short", "click_flood", "regular_intervals", "identical_timestamps"} <= found


def test_empty_programmes_and_missing_tables() -> None:
    clicks, orders = _tables([], [])
    for check in STREAMING:
        assert len(check(clicks=clicks, orders=orders)) == 0
        assert stream_flags(check, clicks=clicks, orders=orders) == []
    only_orders = Frame(orders=al.Orders.from_records([order("O1", 0, country="FR")]))
    for check in [*STREAMING, BotTiming(), ClickSpam()]:
        flags = check.run(only_orders)
        assert all(f.subject == "order" for f in flags)


@pytest.mark.parametrize("check", STREAMING, ids=lambda c: c.check)
def test_checks_round_trip_and_hash(check: Check) -> None:
    again = type(check).model_validate(check.model_dump())
    assert again == check
    assert hash(again) == hash(check)
    assert type(check).model_validate_json(check.model_dump_json()) == check
