"""Fraud screening over ten million clicks, and one event at a time, beside baselines.

Two benchmarks on synthetic programmes with labelled fraud (`alliance.datasets.synthetic_program`
with ``fraud=DEFAULT_FRAUD``, fixed seeds, 90 days, conversion rate 9 %, which gives about one
order per ten clicks once the injected fraud is in). Generating a programme is outside every
time; it is reported in a row of its own, which is not a baseline.

* **screen, default policy**: 10M clicks (requested; the injected click spam adds a few per
  cent) of 5,000 partners and about 1M orders, screened with `risk.screen` and
  `Policy.default` over the orders, clicks, partners and reversals (rows: clicks plus orders).
  Target: within 10 s on 2 cores. Baseline: the idiomatic pandas a user writes by hand for
  three of the checks only, on DataFrames built from the tables' columns outside the time
  (sorted by time, time as ``datetime64[us]``): (a) click-to-order time (CTIT) of each order's
  last click by the same visitor and partner at or before it and less than the 30-day
  look-back before it (`pd.merge_asof` by visitor and partner on the time,
  ``direction="backward"``, exact matches allowed), flagged under 10 s; (b) orders per payment
  fingerprint in the trailing 24 hours (``groupby(...).rolling("24h", on="ts")`` count),
  flagged over 3; (c) clicks per device and partner in the trailing hour, the same way,
  flagged over 5. (a) is timed on every order; (b) and (c), whose time grows with the number
  of groups (about 0.1 ms each), are timed on the first 100,000 orders and clicks in time
  (at least 10,000, at most all) and scaled linearly to all of them: the row's time is the
  sum. A trailing window holds only earlier rows, so their flags on those first rows are
  exact. The orders pandas finds under 10 s must be exactly those alliance flags
  ``ctit_too_short`` (`Mismatch` otherwise). When the policy holds the same limits, (b) must
  equal alliance's ``velocity`` flags on "orders per card daily" and (c) must be among its
  ``click_flood`` clicks (which also counts by IP address), on the same first rows;
  otherwise the note says they were not compared. The note gives the flags by check, the
  decisions by subject and action, and `risk.evaluate`'s overall order precision and recall
  against the labels (an order counts as caught when it or its partner is held or blocked).
* **streaming screener**: `risk.Screener` with `Policy.default` and the partners over 200,000
  events: the first clicks and orders of a smaller programme (500 partners) merged in time
  order, clicks first at the same instant, pre-built as `al.Click` / `al.Order` models
  (``to_models``) outside the time. Each call is timed on its own; the ``median s`` column is
  the sum over the events (the median of the runs), so rows/s is events per second and the
  target is judged on the mean. The note adds the median, p99 and worst call of the last run:
  a sweep of expired state (every 100,000 events) and Python's garbage collections fall inside
  some calls, and the note says how long the full (generation-2) collections took. A fresh
  screener per run, built outside the time; before each run the heap is collected and frozen
  (`gc.freeze`), so that the pre-built events, which a service would receive one at a time,
  are not traversed by the collector. Target: at most 50 µs per event. Baseline: `risk.screen`
  on the same events as one batch (its time per event; the partners, no reversals). The
  stream's non-allow decisions on clicks and orders, as (subject, id, action), must equal the
  batch's decision rows of subject click or order that are not ``allow`` (the rows
  themselves: an order's inheritance of its partner's action is left out, as the screener has
  no partner-level checks) (`Mismatch` otherwise). The note gives the screener's
  ``state_size`` at the end and its peak (sampled every 1,000 events).

At ``--scale`` below 1 (``--quick``) every size shrinks (at least 20,000 clicks and 5,000
events) and the verdicts are indicative only.
"""

from __future__ import annotations

import gc
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

import alliance as al
from alliance import risk
from alliance.datasets import DEFAULT_FRAUD, Program, synthetic_program
from benchmarks._harness import Measurement, Mismatch, Result, measure, subsample_size

__all__ = ["run"]

IntArray = npt.NDArray[np.int64]

SEED = 20_261_215
REPEATS = 3
#: Stop repeating a variant once its first run took this long (seconds).
SLOW_RUN = 30.0

CLICKS = 10_000_000
PARTNERS = 5_000
DAYS = 90
#: With the default fraud injected, about one order per ten clicks.
CONVERSION_RATE = 0.09
TARGET_SCREEN_SECONDS = 10.0

EVENTS = 200_000
STREAM_PARTNERS = 500
TARGET_EVENT_US = 50.0
STATE_SAMPLE_EVERY = 1_000

#: The pandas baseline's thresholds: alliance's defaults, checked against the policy.
CTIT_SECONDS = 10.0
LOOKBACK = pd.Timedelta(days=30)
CARD_DAILY_MAX = 3
DEVICE_HOURLY_MAX = 5
CARD_DAILY_LABEL = "orders per card daily"


def progress(benchmark: str, step: str) -> None:
    print(f"  risk {benchmark}: {step}", file=sys.stderr, flush=True)


def verdict(met: bool, full_size: bool) -> str:
    """``MET`` or ``MISSED``; in lower case, and said to be indicative, below the target's size."""
    if full_size:
        return "MET" if met else "MISSED"
    return f"{'met' if met else 'missed'} at this size (indicative only)"


def measure_patient(fn: Callable[[], Any], repeats: int) -> Measurement[Any]:
    """`measure`, but one run only when the first already took `SLOW_RUN` seconds."""
    first = measure(fn, 1)
    if first.seconds >= SLOW_RUN or repeats == 1:
        return first
    times = first.times
    del first  # free the first result before the next run builds its own
    rest = measure(fn, repeats - 1)
    return Measurement(times + rest.times, rest.value)


def make_program(seed: int, partners: int, clicks: int) -> Program:
    return synthetic_program(
        seed=seed,
        partners=partners,
        clicks=clicks,
        days=DAYS,
        conversion_rate=CONVERSION_RATE,
        fraud=DEFAULT_FRAUD,
    )


def input_row(benchmark: str, what: str, seconds: float, rows: int) -> Result:
    return Result(
        benchmark,
        f"(input: {what})",
        rows,
        seconds,
        1,
        rows,
        baseline=True,
        note="not a baseline: building the input, outside every other row's time",
    )


def id_set(values: Iterable[Any]) -> set[str]:
    return {str(value) for value in values}


def shown(ids: Iterable[str], limit: int = 5) -> str:
    return ", ".join(sorted(ids)[:limit])


def counts_text(counter: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(counter.items()))


def decisions_text(decisions: risk.Decisions) -> str:
    return "; ".join(
        f"{subject}: {counts_text(counts)}"
        for subject, counts in sorted(decisions.summary().items())
    )


# -- 1. screen, default policy ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frames:
    """The tables as the pandas user's DataFrames, sorted by time (built outside the time).

    The rolling counts are timed on the first rows in time only (``*_head``), which are
    exact for those rows: a trailing window holds only earlier rows.
    """

    orders: Any  # row, order_id, ts, visitor_id, partner_id, payment_fingerprint
    attributable: Any  # the clicks with a visitor and a partner: click_ts, visitor_id, …
    orders_head: Any  # the first orders in time, for the rolling count per card
    clicks_head: Any  # the first clicks in time (row, click_id, click_ts, partner_id, device_id)
    orders_total: int
    clicks_total: int
    unattributable: int  # clicks without a visitor or partner: they can win no order


def time_sorted(ts: IntArray) -> npt.NDArray[np.intp]:
    """Rows by time, then row (the tables come sorted; this keeps the frames so regardless)."""
    return np.argsort(ts, kind="stable").astype(np.intp)


def pandas_frames(program: Program, head_rows: int) -> Frames:
    orders, clicks = program.orders, program.clicks
    by_time = time_sorted(orders["ts"].astype(np.int64))
    order_frame = pd.DataFrame(
        {
            "row": by_time.astype(np.int64),
            "order_id": orders["order_id"][by_time],
            "ts": orders["ts"].astype(np.int64)[by_time].astype("datetime64[us]"),
            "visitor_id": orders["visitor_id"][by_time],
            "partner_id": orders["partner_id"][by_time],
            "payment_fingerprint": orders["payment_fingerprint"][by_time],
        }
    )
    by_time = time_sorted(clicks["ts"].astype(np.int64))
    click_frame = pd.DataFrame(
        {
            "row": by_time.astype(np.int64),
            "click_id": clicks["click_id"][by_time],
            "click_ts": clicks["ts"].astype(np.int64)[by_time].astype("datetime64[us]"),
            "visitor_id": clicks["visitor_id"][by_time],
            "partner_id": clicks["partner_id"][by_time],
            "device_id": clicks["device_id"][by_time],
        }
    )
    known = click_frame["visitor_id"].notna() & click_frame["partner_id"].notna()
    attributable = click_frame if bool(known.all()) else click_frame[known]
    return Frames(
        order_frame,
        attributable[["click_ts", "visitor_id", "partner_id"]],
        order_frame.iloc[: min(head_rows, len(order_frame))].copy(),
        click_frame.iloc[: min(head_rows, len(click_frame))].copy(),
        len(order_frame),
        len(click_frame),
        int((~known).sum()),
    )


def pandas_ctit(orders: Any, clicks: Any) -> set[str]:
    """(a) Orders whose last click by the same visitor and partner came under 10 s before."""
    matched = pd.merge_asof(
        orders[["order_id", "ts", "visitor_id", "partner_id"]],
        clicks,
        left_on="ts",
        right_on="click_ts",
        by=["visitor_id", "partner_id"],
        direction="backward",
        allow_exact_matches=True,
        # alliance's look-back is open: a click exactly 30 days before cannot win.
        tolerance=LOOKBACK - pd.Timedelta(microseconds=1),
    )
    short = (matched["ts"] - matched["click_ts"]) < pd.Timedelta(seconds=CTIT_SECONDS)
    return id_set(matched.loc[short, "order_id"].tolist())


def pandas_card_daily(orders: Any) -> set[str]:
    """(b) Orders with more than 3 orders of their payment fingerprint in the trailing 24 h."""
    by_card = orders.groupby("payment_fingerprint")[["ts", "row"]]
    counts = by_card.rolling("24h", on="ts").count()["row"]
    # The result is indexed by (fingerprint, the frame's index): the frame's row.
    over = counts.index.get_level_values(-1)[(counts > CARD_DAILY_MAX).to_numpy()]
    return id_set(orders["order_id"].to_numpy()[over.to_numpy()])


def pandas_device_hourly(clicks: Any) -> set[str]:
    """(c) Clicks with more than 5 clicks of their device and partner in the trailing hour."""
    by_device = clicks.groupby(["device_id", "partner_id"])[["click_ts", "row"]]
    counts = by_device.rolling("1h", on="click_ts").count()["row"]
    over = counts.index.get_level_values(-1)[(counts > DEVICE_HOURLY_MAX).to_numpy()]
    return id_set(clicks["click_id"].to_numpy()[over.to_numpy()])


@dataclass(frozen=True, slots=True)
class PandasFlags:
    ctit: set[str]
    card_daily: set[str]  # of the first orders only (`Frames.orders_head`)
    device_hourly: set[str]  # of the first clicks only (`Frames.clicks_head`)
    seconds: tuple[float, float, float]  # median of each check, as timed
    scaled: tuple[float, float]  # (b) and (c) scaled linearly to every order and click


def pandas_checks(frames: Frames) -> Measurement[PandasFlags]:
    """Time the three checks apart; a run's time is their sum, (b) and (c) scaled up."""
    runs = [
        measure_patient(lambda: pandas_ctit(frames.orders, frames.attributable), REPEATS),
        measure_patient(lambda: pandas_card_daily(frames.orders_head), REPEATS),
        measure_patient(lambda: pandas_device_hourly(frames.clicks_head), REPEATS),
    ]
    card_factor = frames.orders_total / max(1, len(frames.orders_head))
    device_factor = frames.clicks_total / max(1, len(frames.clicks_head))
    repeats = min(len(r.times) for r in runs)
    totals = tuple(
        runs[0].times[i] + runs[1].times[i] * card_factor + runs[2].times[i] * device_factor
        for i in range(repeats)
    )
    ctit, card, device = (r.value for r in runs)
    seconds = (runs[0].seconds, runs[1].seconds, runs[2].seconds)
    scaled = (runs[1].seconds * card_factor, runs[2].seconds * device_factor)
    return Measurement(totals, PandasFlags(ctit, card, device, seconds, scaled))


def compare(what: str, expected: set[str], actual: set[str]) -> None:
    """Raise `Mismatch` unless alliance's ids are pandas's, naming a few of each difference."""
    if expected == actual:
        return
    missing, extra = expected - actual, actual - expected
    raise Mismatch(
        f"{what}: pandas finds {len(expected):,}, alliance {len(actual):,}; "
        f"{len(missing):,} only in pandas ({shown(missing)}), "
        f"{len(extra):,} only in alliance ({shown(extra)})"
    )


def policy_limit(policy: risk.Policy, check: str, attribute: str) -> Any:
    """A parameter of a check of the policy (None when the check does not run)."""
    found = policy.check_named(check)
    return None if found is None else getattr(found, attribute, None)


def card_daily_limit(policy: risk.Policy) -> int | None:
    """The policy's limit on orders per card in 24 h, if it has exactly that one."""
    for limit in policy_limit(policy, "velocity", "limits") or ():
        key = (limit.count, limit.key, limit.window, limit.of)
        if key == ("orders", "card", "daily", None):
            return int(limit.max)
    return None


def agreement(
    decisions: risk.Decisions, flags: PandasFlags, frames: Frames, policy: risk.Policy
) -> str:
    """Check the pandas flags against alliance's where both compute the same thing."""
    if policy_limit(policy, "click_injection", "max_seconds") != CTIT_SECONDS:
        raise Mismatch(f"the policy's CTIT limit is not the baseline's {CTIT_SECONDS:g} s")
    ctit = id_set(decisions.flags.where(code="ctit_too_short")["id"])
    compare("orders with CTIT < 10 s", flags.ctit, ctit)
    said = [f"same {len(ctit):,} orders under 10 s CTIT as pandas"]

    head_orders = id_set(frames.orders_head["order_id"].tolist())
    if card_daily_limit(policy) == CARD_DAILY_MAX:
        velocity = decisions.flags.where(code="velocity")
        card = id_set(
            i
            for i, evidence in zip(velocity["id"], velocity["evidence"], strict=True)
            if evidence and evidence[0] == CARD_DAILY_LABEL and i in head_orders
        )
        compare("orders over 3 per card in 24 h", flags.card_daily, card)
        said.append(
            f"same {len(card):,} orders over 3 per card in 24 h in the first {len(head_orders):,}"
        )
    else:
        said.append(
            f"orders per card in 24 h not compared (no velocity limit of {CARD_DAILY_MAX} in "
            f"the policy)"
        )

    if policy_limit(policy, "click_spam", "max_clicks_per_hour") == DEVICE_HOURLY_MAX:
        head_clicks = id_set(frames.clicks_head["click_id"].tolist())
        flood = id_set(decisions.flags.where(code="click_flood")["id"]) & head_clicks
        outside = flags.device_hourly - flood
        if outside:
            raise Mismatch(
                f"{len(outside):,} of the {len(flags.device_hourly):,} clicks pandas finds "
                f"over 5 per device and partner in an hour are not flagged click_flood "
                f"({shown(outside)})"
            )
        said.append(
            f"pandas's {len(flags.device_hourly):,} clicks over 5 per device and partner in "
            f"an hour are among alliance's {len(flood):,} click_flood (device or IP) of the "
            f"first {len(head_clicks):,}"
        )
    else:
        said.append("clicks per device and partner not compared (other limit in the policy)")
    return "; ".join(said)


def quality_text(decisions: risk.Decisions, program: Program) -> str:
    if len(program.labels) == 0:
        return "no fraud labels"
    score = risk.evaluate(decisions, program.labels).score("all", "order")

    def percent(value: float) -> str:
        return "n/a" if math.isnan(value) else f"{value:.1%}"

    return (
        f"orders vs labels: precision {percent(score.precision)}, recall "
        f"{percent(score.recall)} ({score.caught:,} of {score.labelled:,} labelled, "
        f"{score.flagged:,} held or blocked)"
    )


def bench_screen(requested: int, scale: float) -> list[Result]:
    progress("screen", f"generating a programme of {requested:,} clicks")
    started = time.perf_counter()
    program = make_program(SEED, PARTNERS, requested)
    generated = time.perf_counter() - started
    clicks, orders = len(program.clicks), len(program.orders)
    events = clicks + orders
    name = f"screen, default policy, {clicks:,} clicks + {orders:,} orders"
    policy = risk.Policy.default()

    progress("screen", "alliance")
    subject = measure_patient(
        lambda: risk.screen(
            orders=program.orders,
            clicks=program.clicks,
            partners=program.partners,
            reversals=program.reversals,
            policy=policy,
        ),
        REPEATS,
    )
    decisions: risk.Decisions = subject.value
    by_check = Counter(str(check) for check in decisions.flags["check"].tolist())
    quality = quality_text(decisions, program)

    progress("screen", "pandas (building the frames)")
    started = time.perf_counter()
    frames = pandas_frames(program, subsample_size(max(clicks, orders), scale))
    framed = time.perf_counter() - started
    progress("screen", "pandas")
    baseline = pandas_checks(frames)
    flags = baseline.value
    agreed = agreement(decisions, flags, frames, policy)

    seconds = subject.seconds
    ctit_s, card_s, device_s = flags.seconds
    card_all, device_all = flags.scaled
    unattributable = (
        f"; {frames.unattributable:,} clicks without visitor or partner left out of (a)"
        if frames.unattributable
        else ""
    )
    return [
        Result.timed(
            name,
            "alliance risk.screen(Policy.default())",
            subject,
            rows=events,
            baseline=False,
            note=(
                f"target <= {TARGET_SCREEN_SECONDS:g} s: "
                f"{verdict(seconds <= TARGET_SCREEN_SECONDS, requested == CLICKS)} "
                f"({seconds:.2f} s, {len(policy.checks)} checks); "
                f"flags by check: {counts_text(by_check)}; "
                f"decisions: {decisions_text(decisions)}; "
                f"{quality}; {agreed}"
            ),
        ),
        Result.timed(
            name,
            "pandas by hand, 3 checks only",
            baseline,
            rows=events,
            baseline=True,
            note=(
                f"(a) CTIT merge_asof, every order {ctit_s:.3f} s: {len(flags.ctit):,} orders "
                f"< 10 s; (b) orders per card, rolling 24h {card_s:.3f} s on the first "
                f"{len(frames.orders_head):,} orders ({len(flags.card_daily):,} > 3), "
                f"{card_all:.2f} s scaled to all; (c) clicks per device and partner, rolling "
                f"1h {device_s:.3f} s on the first {len(frames.clicks_head):,} clicks "
                f"({len(flags.device_hourly):,} > 5), {device_all:.2f} s scaled to all; "
                f"frames built in {framed:.2f} s outside the time{unattributable}"
            ),
        ),
        input_row(name, f"synthetic_program, {PARTNERS:,} partners", generated, events),
    ]


# -- 2. streaming screener --------------------------------------------------------------------


Event = al.Click | al.Order
Key = tuple[str, str, str]  # subject, id, action
Flagged = tuple[str, str, str, tuple[str, ...]]  # subject, id, action, reason codes


@dataclass(frozen=True, slots=True)
class Stream:
    """The first events of a programme, as tables (for the batch) and models in time order."""

    clicks: al.Clicks
    orders: al.Orders
    partners: al.Partners
    events: list[Event]


def first_events(program: Program, count: int) -> Stream:
    """The first ``count`` clicks and orders in time order, clicks first at the same instant."""
    click_ts = program.clicks["ts"].astype(np.int64)
    order_ts = program.orders["ts"].astype(np.int64)
    ts = np.concatenate((click_ts, order_ts))
    is_order = np.concatenate((np.zeros(click_ts.size, np.int64), np.ones(order_ts.size, np.int64)))
    row = np.concatenate((np.arange(click_ts.size), np.arange(order_ts.size)))
    chosen = np.lexsort((row, is_order, ts))[:count]
    kinds, rows = is_order[chosen], row[chosen]
    # Each table keeps its own row order, so that the batch breaks ties as the stream does.
    click_rows, order_rows = np.sort(rows[kinds == 0]), np.sort(rows[kinds == 1])
    clicks, orders = program.clicks.take(click_rows), program.orders.take(order_rows)
    click_models: list[al.Click] = clicks.to_models()
    order_models: list[al.Order] = orders.to_models()
    position = np.where(
        kinds == 1, np.searchsorted(order_rows, rows), np.searchsorted(click_rows, rows)
    )
    events: list[Event] = [
        order_models[p] if k else click_models[p]
        for k, p in zip(kinds.tolist(), position.tolist(), strict=True)
    ]
    return Stream(clicks, orders, program.partners, events)


@dataclass(frozen=True, slots=True)
class StreamRun:
    flagged: list[Flagged]  # the decisions with a reason or not allowed
    latency_ns: IntArray
    state_size: int
    peak_state_size: int
    full_collections_ns: tuple[int, ...]  # Python's generation-2 garbage collections in the run


class FullCollections:
    """Times Python's generation-2 collections, which land inside some call of the stream."""

    def __init__(self) -> None:
        self.durations: list[int] = []
        self._started = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter_ns()
        else:
            self.durations.append(time.perf_counter_ns() - self._started)


def stream_once(stream: Stream, policy: risk.Policy) -> StreamRun:
    screener = risk.Screener(policy, partners=stream.partners)
    click, order = screener.click, screener.order
    clock = time.perf_counter_ns
    flagged: list[Flagged] = []
    latency: list[int] = []
    peak = 0
    # Every run starts from the same heap, and the pre-built events stay out of the garbage
    # collector's way, as a service's would: it receives them one at a time.
    gc.collect()
    gc.freeze()
    collections = FullCollections()
    gc.callbacks.append(collections)
    try:
        for number, event in enumerate(stream.events):
            if isinstance(event, al.Order):
                start = clock()
                decision = order(event)
            else:
                start = clock()
                decision = click(event)
            latency.append(clock() - start)
            if decision.reasons or decision.action != "allow":
                flagged.append((decision.subject, decision.id, decision.action, decision.codes))
            if number % STATE_SAMPLE_EVERY == 0:
                peak = max(peak, screener.state_size)
    finally:
        gc.callbacks.remove(collections)
        gc.unfreeze()
    size = screener.state_size
    return StreamRun(
        flagged,
        np.array(latency, dtype=np.int64),
        size,
        max(peak, size),
        tuple(collections.durations),
    )


def measure_stream(stream: Stream, policy: risk.Policy) -> Measurement[StreamRun]:
    """Run the stream `REPEATS` times, a fresh screener each; a run's time is its calls' sum."""
    times: list[float] = []
    last: StreamRun | None = None
    for _ in range(REPEATS):
        last = None  # free the previous run's results first
        last = stream_once(stream, policy)
        times.append(float(last.latency_ns.sum()) / 1e9)
        if times[-1] >= SLOW_RUN:
            break
    if last is None:  # pragma: no cover - REPEATS >= 1
        raise RuntimeError("no run")
    return Measurement(tuple(times), last)


def compare_stream(stream_run: StreamRun, batch: risk.Decisions) -> int:
    """Raise `Mismatch` unless the stream's non-allow decisions are the batch's rows'."""
    streamed: set[Key] = {(s, i, a) for s, i, a, _ in stream_run.flagged if a != "allow"}
    mine = np.isin(batch["subject"], ["click", "order"]) & (batch["action"] != "allow")
    batched: set[Key] = set(
        zip(
            batch["subject"][mine].tolist(),
            batch["id"][mine].tolist(),
            batch["action"][mine].tolist(),
            strict=True,
        )
    )
    if streamed == batched:
        return len(streamed)
    reasons = {(s, i): ",".join(codes) for s, i, _, codes in stream_run.flagged}
    batch_reasons = {
        (s, i): ",".join(r)
        for s, i, r in zip(
            batch["subject"].tolist(), batch["id"].tolist(), batch["reasons"].tolist(), strict=True
        )
    }

    def listed(keys: set[Key], source: Mapping[tuple[str, str], str]) -> str:
        return ", ".join(f"{s} {i} {a} [{source.get((s, i), '')}]" for s, i, a in sorted(keys)[:5])

    only_stream, only_batch = streamed - batched, batched - streamed
    raise Mismatch(
        f"stream and batch disagree: {len(only_stream):,} decisions only in the stream "
        f"({listed(only_stream, reasons)}), {len(only_batch):,} only in the batch "
        f"({listed(only_batch, batch_reasons)})"
    )


def bench_stream(count: int) -> list[Result]:
    progress("stream", f"generating a programme of at least {count:,} events")
    started = time.perf_counter()
    requested = max(1_000, round(count * 0.9))
    program = make_program(SEED + 1, STREAM_PARTNERS, requested)
    while len(program.clicks) + len(program.orders) < count:
        requested = round(requested * 1.25)
        program = make_program(SEED + 1, STREAM_PARTNERS, requested)
    stream = first_events(program, count)
    built = time.perf_counter() - started
    del program
    clicks, orders = len(stream.clicks), len(stream.orders)
    name = f"streaming screener, {count:,} events ({clicks:,} clicks, {orders:,} orders)"
    policy = risk.Policy.default()

    progress("stream", "alliance Screener")
    subject = measure_stream(stream, policy)
    progress("stream", "alliance screen, one batch")
    batch = measure_patient(
        lambda: risk.screen(
            orders=stream.orders, clicks=stream.clicks, partners=stream.partners, policy=policy
        ),
        REPEATS,
    )
    agreed = compare_stream(subject.value, batch.value)

    latency_us = subject.value.latency_ns / 1e3
    full = subject.value.full_collections_ns
    collected = (
        f"; inside the calls, {len(full)} full garbage collection(s) of Python's heap took "
        f"{sum(full) / 1e6:.1f} ms"
        if full
        else ""
    )
    per_event = subject.seconds / count * 1e6
    return [
        Result.timed(
            name,
            "alliance risk.Screener, event by event",
            subject,
            rows=count,
            baseline=False,
            note=(
                f"target <= {TARGET_EVENT_US:g} us/event: "
                f"{verdict(per_event <= TARGET_EVENT_US, count == EVENTS)} "
                f"({per_event:.1f} us mean; last run: median {np.median(latency_us):.1f}, "
                f"p99 {np.percentile(latency_us, 99):.1f}, worst {latency_us.max():,.0f} us"
                f"{collected}); "
                f"state_size {subject.value.state_size:,} at the end, peak "
                f"{subject.value.peak_state_size:,}; same {agreed:,} non-allow click and order "
                f"decisions as the batch"
            ),
        ),
        Result.timed(
            name,
            "alliance risk.screen, one batch",
            batch,
            rows=count,
            baseline=True,
            note=(
                f"{batch.seconds / count * 1e6:.1f} us/event; same events, partners, no "
                f"reversals; decisions: {decisions_text(batch.value)}"
            ),
        ),
        input_row(
            name,
            f"synthetic_program, {STREAM_PARTNERS} partners, + to_models",
            built,
            count,
        ),
    ]


def run(scale: float) -> list[Result]:
    """The two benchmarks at ``scale`` times 10M clicks and 200,000 events."""
    clicks = max(20_000, round(CLICKS * scale))
    events = max(5_000, round(EVENTS * scale))
    results = bench_screen(clicks, scale)
    results += bench_stream(events)
    return results
