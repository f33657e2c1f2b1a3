"""Attribution over a million journeys and ten million clicks, beside the peer libraries.

Three benchmarks on synthetic data (fixed seed):

* **markov, order 1**: 1M journeys over 8 channels ``c1`` .. ``c8`` (length uniform 1 to 8,
  channels uniform, repeats allowed), about 5 % converting, each conversion worth a lognormal
  value around 50. Every library gets the same aggregated input: one row per distinct path
  with its conversions, non-conversions and value (the aggregation is outside every time; the
  peers are documented on such tables). The subject is `Paths.from_strings` on the path
  strings plus `markov` (the parse and the chain are also timed apart, in the note); a second
  alliance row feeds the raw 1M journey strings, which `from_strings` aggregates itself.
  Peers: ChannelAttribution 2.2.5 ``markov_model`` (a Monte-Carlo simulation, with its
  defaults, ``ncore=1``) and marketing-attribution-models (MAM) 2.1.1 ``run_markov`` (exact,
  on Polars; its ``grouped_journey`` input takes one row per path and outcome, built outside
  the time; the time includes ``MAM(...)``, which parses the paths). Removal effects must
  equal MAM's to 1e-9 (`Mismatch` otherwise); ChannelAttribution's simulated ones are
  compared in the note. Target: alliance at most 1.0x ChannelAttribution's time.
* **heuristics**: `Paths.from_strings` + `heuristics` (first, last, linear and, unasked,
  position-based) on the same aggregated input, beside ChannelAttribution
  ``heuristic_models`` and MAM's ``run_first_click`` + ``run_last_click`` + ``run_linear``.
  Credited conversions per channel must equal ChannelAttribution's to 1e-6 for all three
  models (`Mismatch` otherwise); value and MAM's deviations are in the notes.
* **last click, event level**: `attribute` with `last_click` and a 30-day window over 10M
  clicks of 2M visitors on 5,000 partners and 1M orders over 60 days (the tables are built
  with ``from_arrays`` outside the time). Baseline: last click by hand in numpy on the raw
  arrays (pack visitor and time into one key, stable argsort, ``searchsorted`` with the
  orders' keys in sorted order), the practical floor of the straightforward way; the winning
  partner of every order must agree (`Mismatch` otherwise). Target: within 3 s.

A peer library that is not installed loses its rows, and the alliance row's note says how to
install it (``make bench`` installs both). At ``--scale`` below 1 (``--quick``) every size
shrinks and the verdicts are indicative only.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

import alliance as al
from alliance import attribution as at
from benchmarks._harness import Mismatch, Result, measure

__all__ = ["run"]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

SEED = 20_261_203
REPEATS = 3

JOURNEYS = 1_000_000
CHANNELS = 8
LONGEST = 8
CONVERSION_RATE = 0.05
MEDIAN_VALUE = 50.0
TARGET_MARKOV_RATIO = 1.0
RE_TOLERANCE = 1e-9
HEURISTIC_TOLERANCE = 1e-6

CLICKS = 10_000_000
ORDERS_PER_CLICK = 10  # one order per ten clicks
CLICKS_PER_VISITOR = 5
PARTNERS = 5_000
SPAN_US = 60 * 86_400_000_000
START_US = al.to_micros(al.Period.month(2026, 1, tz="UTC").start)
WINDOW = timedelta(days=30)
TARGET_EVENT_SECONDS = 3.0

CA = "ChannelAttribution"
MAM = "MAM 2.1.1"
#: How to install each peer; the `bench` extra holds both (``pip install -e '.[dev,bench]'``,
#: which ``make bench`` runs).
INSTALL = {
    CA: "make bench, or pip install ChannelAttribution==2.2.5 matplotlib pandas "
    "(builds from source, ~80 s)",
    MAM: "make bench, or pip install marketing-attribution-models==2.1.1",
}


def progress(benchmark: str, step: str) -> None:
    print(f"  attribution {benchmark}: {step}", file=sys.stderr, flush=True)


def verdict(met: bool, full_size: bool) -> str:
    """``MET`` or ``MISSED``; in lower case, and said to be indicative, below the target's size."""
    if full_size:
        return "MET" if met else "MISSED"
    return f"{'met' if met else 'missed'} at this size (indicative only)"


# -- peers ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Peers:
    """The peer libraries that could be imported, and why the others could not."""

    ca: Any = None  # the ChannelAttribution module
    mam: Any = None  # the mam.MAM class
    pandas: Any = None
    polars: Any = None
    missing: dict[str, str] = field(default_factory=dict)

    def skipped(self, *names: str) -> str:
        """A note for the missing peers among ``names``: why, and how to install them."""
        return "; ".join(
            f"{name} skipped ({self.missing[name]}): {INSTALL[name]}"
            for name in names
            if name in self.missing
        )


def load_peers() -> Peers:
    peers = Peers()
    try:
        peers.pandas = importlib.import_module("pandas")
        # The import prints a two-line "Pro" banner that no argument turns off.
        with contextlib.redirect_stdout(io.StringIO()):
            peers.ca = importlib.import_module("ChannelAttribution")
    except Exception as error:  # a peer that cannot be imported is skipped, whatever the reason
        peers.missing[CA] = str(error)
    try:
        peers.polars = importlib.import_module("polars")
        peers.mam = importlib.import_module("mam").MAM
    except Exception as error:
        peers.missing[MAM] = str(error)
    return peers


# -- journeys ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Journeys:
    """Journeys as path strings, raw (one per journey) and aggregated (one per distinct path)."""

    raw: list[str]
    raw_conversions: Int64Array
    raw_value: FloatArray
    paths: list[str]  # distinct, in order of first appearance
    conversions: Int64Array
    nulls: Int64Array
    value: FloatArray

    @property
    def count(self) -> int:
        return len(self.raw)


def make_journeys(rng: np.random.Generator, count: int) -> Journeys:
    lengths = rng.integers(1, LONGEST + 1, count)
    names = [f"c{n}" for n in range(1, CHANNELS + 1)]
    touches = [names[c] for c in rng.integers(0, CHANNELS, int(lengths.sum())).tolist()]
    bounds = np.concatenate(([0], np.cumsum(lengths))).tolist()
    raw = [" > ".join(touches[bounds[i] : bounds[i + 1]]) for i in range(count)]
    converted = (rng.random(count) < CONVERSION_RATE).astype(np.int64)
    value = np.round(MEDIAN_VALUE * rng.lognormal(0.0, 0.5, count), 2) * converted
    # Aggregate by path, first appearance first (plain Python: no peer needed for it).
    index: dict[str, int] = {}
    group = np.fromiter((index.setdefault(p, len(index)) for p in raw), np.int64, count)
    distinct = len(index)
    conversions = np.bincount(group, weights=converted, minlength=distinct).astype(np.int64)
    visits = np.bincount(group, minlength=distinct).astype(np.int64)
    return Journeys(
        raw,
        converted,
        value,
        list(index),
        conversions,
        visits - conversions,
        np.bincount(group, weights=value, minlength=distinct).astype(np.float64),
    )


@dataclass(frozen=True, slots=True)
class Inputs:
    """The aggregated journeys in each library's input format (built outside every time)."""

    texts: Sequence[str] | Any  # the path column handed to alliance (the peers' own, if any)
    ca_frame: Any  # pandas: path, conv, null, value (one row per distinct path)
    mam_frame: Any  # polars: path, has_conv, n, value (one row per path and outcome)


def make_inputs(journeys: Journeys, peers: Peers) -> Inputs:
    ca_frame = mam_frame = None
    texts: Sequence[str] | Any = journeys.paths
    if peers.ca is not None:
        ca_frame = peers.pandas.DataFrame(
            {
                "path": journeys.paths,
                "conv": journeys.conversions,
                "null": journeys.nulls,
                "value": journeys.value,
            }
        )
        texts = ca_frame["path"]  # alliance reads the very column ChannelAttribution reads
    if peers.mam is not None:
        pl = peers.polars
        converting = journeys.conversions > 0
        failing = journeys.nulls > 0
        paths = np.array(journeys.paths, dtype=object)
        mam_frame = pl.DataFrame(
            {
                "path": np.concatenate((paths[converting], paths[failing])).tolist(),
                "has_conv": np.repeat([True, False], [converting.sum(), failing.sum()]),
                "n": np.concatenate((journeys.conversions[converting], journeys.nulls[failing])),
                "value": np.concatenate((journeys.value[converting], np.zeros(int(failing.sum())))),
            }
        )
    return Inputs(texts, ca_frame, mam_frame)


def alliance_paths(journeys: Journeys, inputs: Inputs) -> at.Paths:
    return at.Paths.from_strings(
        inputs.texts,
        conversions=journeys.conversions,
        nulls=journeys.nulls,
        values=journeys.value,
    )


def alliance_raw_paths(journeys: Journeys) -> at.Paths:
    return at.Paths.from_strings(
        journeys.raw,
        conversions=journeys.raw_conversions,
        nulls=1 - journeys.raw_conversions,
        values=journeys.raw_value,
    )


def mam_model(peers: Peers, inputs: Inputs) -> Any:
    return peers.mam(
        inputs.mam_frame,
        format_type="grouped_journey",
        channels_colname="path",
        journey_with_conv_colname="has_conv",
        occurrences_colname="n",
        conversion_value_colname="value",
    )


def by_channel(frame: Any, key: str, column: str) -> dict[str, float]:
    """``{channel: number}`` from a pandas frame's two columns."""
    return dict(zip(frame[key].tolist(), frame[column].astype(float).tolist(), strict=True))


def mam_credits(result: Any) -> dict[str, float]:
    return by_channel(result.to_pandas(), "channels", "attribution")


def deviation(ours: Mapping[str, float], theirs: Mapping[str, float]) -> float:
    """Largest absolute difference over our channels (a channel they lack counts as 0)."""
    return max(abs(number - theirs.get(channel, 0.0)) for channel, number in ours.items())


# -- 1. markov --------------------------------------------------------------------------------


def bench_markov(journeys: Journeys, inputs: Inputs, peers: Peers, full: bool) -> list[Result]:
    count, distinct = journeys.count, len(journeys.paths)
    name = f"markov order 1, {count:,} journeys"
    progress("markov", "alliance")
    subject = measure(lambda: at.markov(alliance_paths(journeys, inputs)), REPEATS)
    credits = subject.value
    parse = measure(lambda: alliance_paths(journeys, inputs), REPEATS)
    paths = parse.value
    chain = measure(lambda: at.markov(paths), REPEATS)
    raw = measure(lambda: at.markov(alliance_raw_paths(journeys)), REPEATS)
    ours = credits.removal_effects
    if deviation(raw.value.removal_effects, ours) > RE_TOLERANCE:
        raise Mismatch("markov on the raw journeys differs from markov on the aggregated ones")
    notes = [
        f"parse {parse.seconds:.3f} s + markov {chain.seconds:.3f} s; "
        f"{distinct:,} distinct paths (aggregated outside the time, for every library"
        f"{'; alliance reads the pandas column' if inputs.ca_frame is not None else ''})"
    ]
    rows: list[Result] = []

    if peers.ca is not None:
        progress("markov", "ChannelAttribution")
        ca_run = measure(
            lambda: peers.ca.markov_model(
                inputs.ca_frame,
                "path",
                "conv",
                var_value="value",
                var_null="null",
                order=1,
                out_more=True,
                verbose=False,
                flg_pro=False,
            ),
            REPEATS,
        )
        effects = ca_run.value["removal_effects"]
        column = next(c for c in ("removal_effects_conversion", "removal_effect") if c in effects)
        ca_effects = by_channel(effects, "channel_name", column)
        ca_conversions = by_channel(ca_run.value["result"], "channel_name", "total_conversions")
        ratio = subject.seconds / ca_run.seconds
        notes.insert(
            0,
            f"target <= {TARGET_MARKOV_RATIO:g}x ChannelAttribution: "
            f"{verdict(ratio <= TARGET_MARKOV_RATIO, full)} ({ratio:.2f}x)",
        )
        signed = [ca_effects.get(c, 0.0) - v for c, v in ours.items()]
        rows.append(
            Result.timed(
                name,
                "ChannelAttribution markov_model",
                ca_run,
                rows=count,
                baseline=True,
                note=(
                    f"Monte-Carlo (defaults, seed 0, ncore=1): removal effects off ours by "
                    f"{min(signed):+.4f} to {max(signed):+.4f} (max |dev| "
                    f"{max(map(abs, signed)):.4f}); credited conversions by up to "
                    f"{deviation(credits.to_dict('conversions'), ca_conversions):.1f} of "
                    f"{journeys.conversions.sum():,}"
                ),
            )
        )
    else:
        notes.insert(0, "target not judged without ChannelAttribution")

    if peers.mam is not None:
        progress("markov", "MAM")
        mam_run = measure(lambda: mam_model(peers, inputs).run_markov(), REPEATS)
        table = mam_run.value.metadata["removal_effect"]
        mam_effects = dict(
            zip(
                [str(c) for c in table.index.tolist()],
                table["removal_effect"].astype(float).tolist(),
                strict=True,
            )
        )
        if set(mam_effects) != set(ours):
            raise Mismatch(f"MAM's channels {sorted(mam_effects)} differ from {sorted(ours)}")
        exact = deviation(ours, mam_effects)
        if exact > RE_TOLERANCE:
            raise Mismatch(
                f"removal effects differ from MAM's exact ones by {exact:.3g} "
                f"(tolerance {RE_TOLERANCE:g}): ours {ours}, MAM {mam_effects}"
            )
        notes.append(f"removal effects = MAM's exact ones (max |dev| {exact:.1e})")
        rows.append(
            Result.timed(
                name,
                "MAM 2.1.1 MAM(...) + run_markov",
                mam_run,
                rows=count,
                baseline=True,
                note=(
                    f"exact (matrix inverse); grouped_journey rows, Polars "
                    f"{peers.polars.thread_pool_size()} threads"
                ),
            )
        )
    skipped = peers.skipped(CA, MAM)
    if skipped:
        notes.append(skipped)
    return [
        Result.timed(
            name,
            "alliance Paths.from_strings + markov",
            subject,
            rows=count,
            baseline=False,
            note="; ".join(notes),
        ),
        Result.timed(
            name,
            "alliance, the raw journeys",
            raw,
            rows=count,
            baseline=False,
            note=(
                f"from_strings on {count:,} journey strings (it aggregates them) + markov; "
                "same removal effects"
            ),
        ),
        *rows,
    ]


# -- 2. heuristics ----------------------------------------------------------------------------

#: alliance's heuristic model, ChannelAttribution's column prefix, MAM's method.
MODELS = (
    ("first_touch", "first_touch", "run_first_click"),
    ("last_touch", "last_touch", "run_last_click"),
    ("linear", "linear_touch", "run_linear"),
)


def mam_heuristics(peers: Peers, inputs: Inputs) -> dict[str, dict[str, float]]:
    model = mam_model(peers, inputs)
    return {ours: mam_credits(getattr(model, method)()) for ours, _, method in MODELS}


def bench_heuristics(journeys: Journeys, inputs: Inputs, peers: Peers) -> list[Result]:
    count = journeys.count
    name = f"heuristics first/last/linear, {count:,} journeys"
    progress("heuristics", "alliance")
    subject = measure(lambda: at.heuristics(alliance_paths(journeys, inputs)), REPEATS)
    credits = subject.value
    notes = ["computes position-based too; same aggregated input as the peers"]
    rows: list[Result] = []

    if peers.ca is not None:
        progress("heuristics", "ChannelAttribution")
        ca_run = measure(
            lambda: peers.ca.heuristic_models(
                inputs.ca_frame, "path", "conv", var_value="value", sep=">", flg_pro=False
            ),
            REPEATS,
        )
        conversions = 0.0
        value = 0.0
        for ours, theirs, _ in MODELS:
            for column in ("conversions", "value"):
                found = deviation(
                    credits.to_dict(f"{ours}_{column}"),
                    by_channel(ca_run.value, "channel_name", f"{theirs}_{column}"),
                )
                if column == "conversions":
                    if found > HEURISTIC_TOLERANCE:
                        raise Mismatch(
                            f"{ours} conversions differ from ChannelAttribution's by {found:.3g}"
                        )
                    conversions = max(conversions, found)
                else:
                    value = max(value, found)
        ratio = subject.seconds / ca_run.seconds
        notes.insert(0, f"alliance / ChannelAttribution {ratio:.2f}x")
        notes.append(
            f"conversions = ChannelAttribution's (max |dev| {conversions:.1e}, value {value:.1e})"
        )
        rows.append(
            Result.timed(
                name,
                "ChannelAttribution heuristic_models",
                ca_run,
                rows=count,
                baseline=True,
                note="first, last and linear, conversions and value, in one call",
            )
        )

    if peers.mam is not None:
        progress("heuristics", "MAM")
        mam_run = measure(lambda: mam_heuristics(peers, inputs), REPEATS)
        worst = max(
            deviation(credits.to_dict(f"{ours}_value"), mam_run.value[ours])
            for ours, _, _ in MODELS
        )
        rows.append(
            Result.timed(
                name,
                "MAM 2.1.1 MAM(...) + first, last, linear",
                mam_run,
                rows=count,
                baseline=True,
                note=f"value credited: max |dev| from ours {worst:.1e}",
            )
        )
    skipped = peers.skipped(CA, MAM)
    if skipped:
        notes.append(skipped)
    return [
        Result.timed(
            name,
            "alliance Paths.from_strings + heuristics",
            subject,
            rows=count,
            baseline=False,
            note="; ".join(notes),
        ),
        *rows,
    ]


# -- 3. last click, event level ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Traffic:
    """Clicks and orders as raw arrays: visitor and partner numbers, times in µs (UTC)."""

    visitor: Int64Array
    ts: Int64Array
    partner: Int64Array
    order_visitor: Int64Array
    order_ts: Int64Array
    amount: Int64Array
    visitors: int


def make_traffic(rng: np.random.Generator, clicks: int) -> Traffic:
    orders = max(1, clicks // ORDERS_PER_CLICK)
    visitors = max(1, clicks // CLICKS_PER_VISITOR)
    return Traffic(
        rng.integers(0, visitors, clicks),
        START_US + rng.integers(0, SPAN_US, clicks, dtype=np.int64),
        rng.integers(0, PARTNERS, clicks),
        rng.integers(0, visitors, orders),
        START_US + rng.integers(0, SPAN_US, orders, dtype=np.int64),
        rng.integers(100, 100_000, orders),
        visitors,
    )


def tables(traffic: Traffic) -> tuple[al.Touchpoints, al.Orders]:
    names = np.char.add("v", np.char.zfill(np.arange(traffic.visitors).astype(str), 8))
    touches = al.Touchpoints.from_arrays(
        {
            "visitor_id": (traffic.visitor, names),
            "ts": traffic.ts,
            "partner_id": (traffic.partner, [f"p{n:05d}" for n in range(PARTNERS)]),
        }
    )
    count = traffic.order_ts.size
    orders = al.Orders.from_arrays(
        {
            "order_id": np.char.add("o", np.char.zfill(np.arange(count).astype(str), 8)),
            "ts": traffic.order_ts,
            "amount_minor": traffic.amount,
            "currency": (np.zeros(count, dtype=np.int64), ["USD"]),
            "visitor_id": (traffic.order_visitor, names),
        }
    )
    return touches, orders


def numpy_last_click(traffic: Traffic, window_us: int) -> Int64Array:
    """The winning partner of each order (-1 for none), by hand: the practical floor.

    Visitor and time packed into one unsigned 64-bit key, a stable argsort of the touches'
    keys (equal keys keep the input order, so the later row wins a tie, as in alliance), and
    for each order the last touch at or before it, found with `searchsorted` on the orders'
    keys in sorted order (several times faster than in random order): it wins if it is the
    order's visitor's and inside the window.
    """
    base = min(int(traffic.ts.min()), int(traffic.order_ts.min()))
    top = max(int(traffic.ts.max()), int(traffic.order_ts.max())) - base
    shift = top.bit_length()
    if shift + (traffic.visitors - 1).bit_length() > 64:
        raise OverflowError("visitor and time do not fit one 64-bit key")
    offset, bits = np.int64(base), np.uint64(shift)
    key = (traffic.visitor.astype(np.uint64) << bits) | (traffic.ts - offset).astype(np.uint64)
    order_key = (traffic.order_visitor.astype(np.uint64) << bits) | (
        traffic.order_ts - offset
    ).astype(np.uint64)
    by_key = np.argsort(key, kind="stable")
    by_order = np.argsort(order_key)
    last = np.empty(order_key.size, dtype=np.int64)
    last[by_order] = np.searchsorted(key[by_key], order_key[by_order], side="right") - 1
    touch = by_key[np.maximum(last, 0)]
    wins = (
        (last >= 0)
        & (traffic.visitor[touch] == traffic.order_visitor)
        & (traffic.ts[touch] > traffic.order_ts - window_us)
    )
    winner: Int64Array = np.where(wins, traffic.partner[touch], -1)
    return winner


def alliance_winners(result: at.Attribution, orders: al.Orders) -> Int64Array:
    """The partner number credited with each order (-1 for none), from alliance's result."""
    credits = result.credits
    order_codes, _ = credits.codes("order_id")
    partner_codes, partner_names = credits.codes("partner_id")
    row_codes, _ = orders.codes("order_id")
    row_of_code = np.empty(row_codes.size, dtype=np.int64)
    row_of_code[row_codes] = np.arange(row_codes.size)
    rows = row_of_code[order_codes]
    if np.bincount(rows, minlength=len(orders)).max(initial=0) > 1:
        raise Mismatch("last click credited an order more than once")
    if len(credits) + len(result.unattributed) != len(orders):
        raise Mismatch("orders credited plus unattributed do not add up to the orders")
    number = np.array([int(str(n)[1:]) for n in partner_names.tolist()], dtype=np.int64)
    winner = np.full(len(orders), -1, dtype=np.int64)
    winner[rows] = number[partner_codes]
    return winner


def bench_last_click(traffic: Traffic, full: bool) -> list[Result]:
    clicks, count = traffic.ts.size, traffic.order_ts.size
    name = f"last click, {clicks:,} clicks, {count:,} orders"
    progress("last click", "building the tables")
    started = time.perf_counter()
    touches, orders = tables(traffic)
    build_seconds = time.perf_counter() - started
    model = at.last_click()
    progress("last click", "alliance")
    subject = measure(lambda: at.attribute(touches, orders, model=model, window=WINDOW), REPEATS)
    progress("last click", "numpy")
    window_us = WINDOW // timedelta(microseconds=1)
    floor = measure(lambda: numpy_last_click(traffic, window_us), REPEATS)
    ours = alliance_winners(subject.value, orders)
    differ = np.flatnonzero(ours != floor.value)
    if differ.size:
        shown = ", ".join(
            f"order {i}: alliance {ours[i]}, numpy {floor.value[i]}" for i in differ[:5].tolist()
        )
        raise Mismatch(f"{differ.size:,} of {count:,} orders have another winner ({shown})")
    reasons = subject.value.unattributed["reason"]
    outside = int((reasons == "outside the window").sum())
    seconds = subject.seconds
    return [
        Result.timed(
            name,
            "alliance attribute(last_click, 30 days)",
            subject,
            rows=clicks,
            baseline=False,
            note=(
                f"target <= {TARGET_EVENT_SECONDS:g} s: "
                f"{verdict(seconds <= TARGET_EVENT_SECONDS, full)}; alliance / numpy "
                f"{seconds / floor.seconds:.1f}x; {len(subject.value.credits):,} orders "
                f"credited, {len(reasons) - outside:,} without a touch, {outside:,} outside "
                f"the window; same winner as numpy for every order"
            ),
        ),
        Result.timed(
            name,
            "numpy by hand (argsort + searchsorted)",
            floor,
            rows=clicks,
            baseline=True,
            note=(
                "floor: winning partner only, from the raw arrays; no tables, no credit rows; "
                "mostly the argsort of the clicks' keys (alliance value-sorts keys that hold "
                "the row number)"
            ),
        ),
        Result(
            name,
            "(input: Touchpoints + Orders.from_arrays)",
            clicks,
            build_seconds,
            1,
            clicks,
            baseline=True,
            note="not a baseline: building the tables, outside every other row's time",
        ),
    ]


def run(scale: float) -> list[Result]:
    """The three benchmarks at ``scale`` times 1M journeys and 10M clicks."""
    journeys_count = max(2_000, round(JOURNEYS * scale))
    clicks = max(20_000, round(CLICKS * scale))
    peers = load_peers()
    progress("markov", f"building {journeys_count:,} journeys")
    journeys = make_journeys(np.random.default_rng(SEED), journeys_count)
    inputs = make_inputs(journeys, peers)
    results = bench_markov(journeys, inputs, peers, journeys_count == JOURNEYS)
    results += bench_heuristics(journeys, inputs, peers)
    del journeys, inputs
    progress("last click", f"building {clicks:,} clicks")
    traffic = make_traffic(np.random.default_rng(SEED + 1), clicks)
    results += bench_last_click(traffic, clicks == CLICKS)
    return results
