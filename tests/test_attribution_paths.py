"""Paths: parsing path strings, aggregation, journeys from touchpoints, bad input."""

from __future__ import annotations

import doctest
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import alliance as al
from alliance import attribution as at
from alliance.attribution import _sequences
from alliance.errors import CurrencyMismatch, DataError

DAY_US = 86_400_000_000


def reference_paths(
    texts: list[str],
    conversions: list[float],
    nulls: list[float],
    values: list[float],
    sep: str = ">",
) -> list[tuple[tuple[str, ...], float, float, float]]:
    """Obviously correct: split, strip, drop empty names, sum per path in first-seen order."""
    rows: dict[tuple[str, ...], list[float]] = {}
    for text, c, n, v in zip(texts, conversions, nulls, values, strict=True):
        path = tuple(name.strip() for name in text.split(sep) if name.strip())
        row = rows.setdefault(path, [0.0, 0.0, 0.0])
        row[0] += c
        row[1] += n
        row[2] += v
    return [(path, *sums) for path, sums in rows.items()]  # type: ignore[misc]


def rows_of(paths: at.Paths) -> list[tuple[tuple[str, ...], float, float, float]]:
    return [
        (paths.journey(i), float(c), float(n), float(v))
        for i, (c, n, v) in enumerate(zip(paths.conversions, paths.nulls, paths.value, strict=True))
    ]


# -- from_strings: examples -------------------------------------------------------------------


def test_from_strings_trims_skips_empty_names_and_aggregates() -> None:
    paths = at.Paths.from_strings(
        ["email > search", " search ", "email>search", "email > > search"],
        conversions=[1, 2, 0.5, 0.25],
        nulls=[3, 0, 1, 0],
        values=[20.0, 50.0, 10.0, 1.5],
    )
    assert paths.channels == ("email", "search")
    assert paths.to_strings() == ["email > search", "search"]
    assert paths.conversions.tolist() == [1.75, 2.0]
    assert paths.nulls.tolist() == [4.0, 0.0]
    assert paths.value.tolist() == [31.5, 50.0]
    assert paths.total_conversions == 3.75
    assert paths.total_nulls == 4.0
    assert paths.total_value == 81.5
    assert not paths.has_ages
    assert paths.ages is None
    assert paths.currency is None
    assert len(paths) == 2


def test_fractional_counts_are_kept_exactly() -> None:
    paths = at.Paths.from_strings(["a", "b"], conversions=[0.1, 2.9999999], nulls=[1e-9, 0])
    assert paths.conversions.tolist() == [0.1, 2.9999999]
    assert paths.nulls.tolist() == [1e-9, 0.0]


def test_default_counts() -> None:
    # Neither given: each path string is one conversion.
    assert at.Paths.from_strings(["a", "a", "b"]).conversions.tolist() == [2.0, 1.0]
    # Nulls given: conversions default to 0.
    paths = at.Paths.from_strings(["a", "b"], nulls=[1, 2])
    assert paths.conversions.tolist() == [0.0, 0.0]
    assert paths.value.tolist() == [0.0, 0.0]


def test_repeats_stay_in_the_path() -> None:
    paths = at.Paths.from_strings(["a > a > b"])
    assert paths.journey(0) == ("a", "a", "b")
    assert paths.lengths.tolist() == [3]
    assert paths.codes.tolist() == [0, 0, 1]
    assert paths.offsets.tolist() == [0, 3]


def test_separators_and_unicode() -> None:
    paths = at.Paths.from_strings(["微信 → 抖音", "抖音\u3000→ 微信 "], sep="→")
    assert [paths.journey(i) for i in range(len(paths))] == [("微信", "抖音"), ("抖音", "微信")]
    spaced = at.Paths.from_strings(["a b  c", "a"], sep=" ")
    assert spaced.to_strings() == ["a > b > c", "a"]
    long_sep = at.Paths.from_strings(["a->b", "b -> c->"], sep="->")
    assert long_sep.to_strings() == ["a > b", "b > c"]


def test_text_with_nul_or_control_characters_uses_the_exact_path() -> None:
    texts = ["a\x00b > c", "c > a\x00b", "\x01x > y"]
    paths = at.Paths.from_strings(texts)
    assert rows_of(paths) == reference_paths(texts, [1.0] * 3, [0.0] * 3, [0.0] * 3)


def test_lone_surrogates_use_the_exact_path() -> None:
    paths = at.Paths.from_strings(["a\ud800 > b", "b"])
    assert paths.to_strings() == ["a\ud800 > b", "b"]


def test_numpy_and_pandas_inputs() -> None:
    pd = pytest.importorskip("pandas")
    expected = at.Paths.from_strings(["a > b", "b"])
    assert at.Paths.from_strings(np.array(["a > b", "b"])) == expected
    assert at.Paths.from_strings(pd.Series(["a > b", "b"])) == expected
    assert at.Paths.from_strings(iter(["a > b", "b"])) == expected


def test_empty_input_is_an_empty_table() -> None:
    paths = at.Paths.from_strings([])
    assert len(paths) == 0
    assert paths.channels == ()
    assert paths.total_conversions == 0.0
    assert paths.to_records() == []


# -- from_strings: properties -----------------------------------------------------------------

names = st.sampled_from(["a", "b", "c", "paid search", "affiliate-network-long-name", "微信"])
journeys = st.lists(names, min_size=1, max_size=6)
spaces = st.sampled_from(["", " ", "  ", "\t", " \u3000"])


@st.composite
def spelled(draw: st.DrawFn, journey: list[str], sep: str) -> str:
    """A journey written with random spacing and a few empty names."""
    parts = []
    for name in journey:
        if draw(st.booleans()) and draw(st.booleans()):
            parts.append(draw(spaces))  # an empty name
        parts.append(draw(spaces) + name + draw(spaces))
    return sep.join(parts)


@given(
    st.lists(st.tuples(journeys, st.floats(0, 5), st.floats(0, 5)), max_size=25),
    st.sampled_from([">", "→", " > ", "|"]),
    st.data(),
)
def test_from_strings_matches_the_reference(
    rows: list[tuple[list[str], float, float]], sep: str, data: st.DataObject
) -> None:
    texts = [data.draw(spelled(journey, sep)) for journey, _, _ in rows]
    conversions = [c for _, c, _ in rows]
    nulls = [n for _, _, n in rows]
    values = [c * 10 for c in conversions]
    paths = at.Paths.from_strings(
        texts, conversions=conversions, nulls=nulls, values=values, sep=sep
    )
    expected = reference_paths(texts, conversions, nulls, values, sep)
    assert [r[0] for r in rows_of(paths)] == [r[0] for r in expected]
    for got, want in zip(rows_of(paths), expected, strict=True):
        assert got[1:] == pytest.approx(want[1:], rel=1e-12, abs=1e-12)
    assert paths.channels == tuple(sorted({n for j, _, _ in rows for n in j}))


@given(st.lists(journeys, min_size=1, max_size=20), st.data())
def test_spacing_and_empty_names_do_not_matter(rows: list[list[str]], data: st.DataObject) -> None:
    plain = at.Paths.from_strings([">".join(journey) for journey in rows])
    messy = at.Paths.from_strings([data.draw(spelled(journey, ">")) for journey in rows])
    assert messy == plain


@given(st.lists(journeys, min_size=1, max_size=20))
def test_aggregation_merges_identical_paths(rows: list[list[str]]) -> None:
    paths = at.Paths.from_strings([" > ".join(journey) for journey in rows])
    assert len(paths) == len({tuple(journey) for journey in rows})
    assert paths.total_conversions == len(rows)
    assert paths.aggregate() == paths


def test_many_distinct_names_resolve_exactly() -> None:
    # Thousands of names clash in the first hash table and go round again.
    rng = np.random.default_rng(7)
    vocabulary = [f"partner-{i:05d}" for i in range(6000)] + ["x" * 40, "x" * 39 + "y"]
    picks = rng.integers(0, len(vocabulary), size=(3000, 4))
    texts = [" > ".join(vocabulary[i] for i in row) for row in picks]
    ones = [1.0] * len(texts)
    zeros = [0.0] * len(texts)
    assert rows_of(at.Paths.from_strings(texts)) == reference_paths(texts, ones, zeros, zeros)


def test_identify_falls_back_to_sorting_when_slots_keep_clashing() -> None:
    words = np.arange(1, 3_000_000, dtype=np.uint64)[::3]  # a million distinct words
    ids, found = _sequences._identify([words])
    assert np.unique(ids).size == words.size
    assert np.array_equal(found[ids, 0], words)


def test_group_sequences_hash_path_is_exact() -> None:
    rng = np.random.default_rng(3)
    half = rng.integers(1, 30, 1000).astype(np.int64)
    half_codes = rng.integers(0, 3000, int(half.sum()))
    lengths = np.concatenate((half, half))  # the second half repeats the first
    codes = np.concatenate((half_codes, half_codes))
    starts = np.cumsum(lengths) - lengths
    group, first = _sequences.group_sequences(codes, lengths)
    rows = [tuple(codes[s : s + n].tolist()) for s, n in zip(starts, lengths, strict=True)]
    seen: dict[tuple[int, ...], int] = {}
    expected = [seen.setdefault(row, len(seen)) for row in rows]
    assert group.tolist() == expected
    assert first.tolist() == [rows.index(row) for row in seen]


# -- from_strings: bad input ------------------------------------------------------------------


def test_a_single_string_is_refused() -> None:
    with pytest.raises(TypeError, match="not a single string"):
        at.Paths.from_strings("a > b")


def test_non_strings_are_listed_with_their_rows() -> None:
    with pytest.raises(DataError) as caught:
        at.Paths.from_strings(["a", 3, "b", None])  # type: ignore[list-item]
    assert caught.value.rows == (1, 3)
    assert "row 1, column 'path', value 3: expected a string, got int" in str(caught.value)


def test_paths_without_a_channel_are_listed_with_their_rows() -> None:
    with pytest.raises(DataError) as caught:
        at.Paths.from_strings(["a > b", " > ", "c", "", "  "])
    assert caught.value.rows == (1, 3, 4)
    assert "row 1, column 'path', value ' > ': a path needs at least one channel name" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("column", "values", "rows"),
    [
        ("conversions", [1.0, -1.0, 0.0], (1,)),
        ("nulls", [math.nan, 0.0, math.inf], (0, 2)),
        ("values", [0.0, 0.0, -math.inf], (2,)),
    ],
)
def test_bad_counts_are_listed_with_their_rows(
    column: str, values: list[float], rows: tuple[int, ...]
) -> None:
    options: dict[str, Any] = {column: values}
    with pytest.raises(DataError, match="must be a finite number, not negative") as caught:
        at.Paths.from_strings(["a", "b", "c"], **options)
    assert caught.value.rows == rows
    assert {p.column for p in caught.value.problems} == {column}


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"conversions": [1, 2]}, ValueError, "conversions has 2 values for 3 paths"),
        ({"nulls": [[1, 2, 3]]}, ValueError, "nulls has 3 values for 3 paths"),
        ({"values": ["1", "2", "3"]}, TypeError, "values must hold numbers"),
        ({"sep": ""}, ValueError, "sep must be a non-empty string"),
        ({"sep": 1}, TypeError, "sep must be a string"),
    ],
)
def test_bad_options(options: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        at.Paths.from_strings(["a", "b", "c"], **options)


# -- the constructor and the accessors --------------------------------------------------------


def test_constructor_sorts_channels_and_checks_its_arrays() -> None:
    paths = at.Paths(["b", "a"], [0, 1, 1], [2, 1], conversions=[1, 0], nulls=[0, 2])
    assert paths.channels == ("a", "b")
    assert paths.to_strings() == ["b > a", "a"]
    assert paths == at.Paths.from_strings(["b > a", "a"], conversions=[1, 0], nulls=[0, 2])


@pytest.mark.parametrize(
    ("arguments", "options", "error", "message"),
    [
        ((["a"], [0, 0], [1]), {}, ValueError, "lengths add up to 1 touches, codes has 2"),
        ((["a"], [0], [0, 1]), {}, ValueError, "journey 0 has length 0"),
        ((["a"], [1], [1]), {}, ValueError, "codes must index the 1 channels"),
        ((["a", "a"], [0], [1]), {}, ValueError, "channel names must be distinct"),
        ((["a", ""], [0], [1]), {}, ValueError, "channel names must not be empty"),
        ((["a", 3], [0], [1]), {}, TypeError, "channel names must be strings, got 3"),
        (("ab", [0], [1]), {}, TypeError, "not a single string"),
        ((["a"], [0.5], [1]), {}, TypeError, "codes must hold integers"),
        ((["a"], [0], [1]), {"ages": [1, 2]}, ValueError, "ages has 2 values for 1 touches"),
        ((["a"], [0], [1]), {"ages": [-1]}, ValueError, "ages must not be negative"),
        ((["a"], [0], [1]), {"conversions": [-2]}, DataError, "not negative"),
        ((["a"], [0], [1]), {"currency": "XXX1"}, al.errors.CurrencyError, "XXX1"),
        ((["a"], [[0]], [1]), {}, ValueError, "codes must be one-dimensional"),
    ],
)
def test_constructor_refuses_bad_arrays(
    arguments: tuple[Any, ...], options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        at.Paths(*arguments, **options)


def test_an_empty_constructor_and_equality_with_ages() -> None:
    assert len(at.Paths([], [], [])) == 0
    with_ages = at.Paths(["a"], [0], [1], ages=[3])
    assert with_ages == at.Paths(["a"], [0], [1], ages=[3])
    assert with_ages != at.Paths(["a"], [0], [1], ages=[4])
    assert with_ages != at.Paths(["a"], [0], [1])


def test_channel_credits_table() -> None:
    table = at.ChannelCredits(("a", "b"), {"x": [1.0, 2.5], "y": np.array([0.125, 0])})
    assert table.columns == ("channel", "x", "y")
    assert table.to_dict("y") == {"a": 0.125, "b": 0.0}
    assert repr(table).splitlines() == [
        "ChannelCredits",
        "channel       x       y",
        "a        1.0000  0.1250",
        "b        2.5000  0.0000",
    ]
    assert at.ChannelCredits(("a",), {}).to_records() == [{"channel": "a"}]
    with pytest.raises(ValueError, match="column 'x' has shape \\(1,\\), expected one value"):
        at.ChannelCredits(("a", "b"), {"x": [1.0]})


def test_records_strings_and_frames() -> None:
    paths = at.Paths(["a", "b"], [0, 1, 1], [2, 1], ages=[7, 0, 0], values=[9.5, 0])
    assert paths.to_records() == [
        {"path": "a > b", "conversions": 1.0, "nulls": 0.0, "value": 9.5, "ages": (7, 0)},
        {"path": "b", "conversions": 1.0, "nulls": 0.0, "value": 0.0, "ages": (0,)},
    ]
    assert paths.to_strings(sep="|") == ["a|b", "b"]
    assert list(paths) == [("a", "b"), ("b",)]
    assert paths.journey(-1) == ("b",)
    with pytest.raises(IndexError, match="row 2 is out of range for 2 rows"):
        paths.journey(2)
    assert repr(paths) == "Paths(2 rows, 2 channels, 2 conversions, 0 nulls, with ages)"
    pytest.importorskip("pandas")
    frame = paths.to_pandas()
    assert list(frame.columns) == ["path", "conversions", "nulls", "value", "ages"]
    assert frame["path"].tolist() == ["a > b", "b"]


def test_arrays_are_read_only() -> None:
    paths = at.Paths.from_strings(["a > b"])
    for array in (paths.codes, paths.offsets, paths.conversions, paths.nulls, paths.value):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def test_aggregate_drops_ages_and_merges() -> None:
    paths = at.Paths(
        ["a", "b", "c"],
        [0, 1, 0, 1, 1],
        [2, 2, 1],
        conversions=[1, 0, 1],
        nulls=[0, 1, 0],
        values=[5.0, 0.0, 2.0],
        ages=[5, 0, 9, 0, 0],
        currency="usd",
    )
    merged = paths.aggregate()
    assert merged.to_records() == [
        {"path": "a > b", "conversions": 1.0, "nulls": 1.0, "value": 5.0},
        {"path": "b", "conversions": 1.0, "nulls": 0.0, "value": 2.0},
    ]
    assert merged.channels == ("a", "b")  # c is used by no journey
    assert merged.currency == "USD"
    assert not merged.has_ages
    assert paths != merged
    assert (paths == "paths") is False


# -- from_touchpoints -------------------------------------------------------------------------

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def touch(visitor: str, day: float, partner: str | None, **extra: Any) -> dict[str, Any]:
    record = {"visitor_id": visitor, "ts": T0 + timedelta(days=day), **extra}
    if partner is not None:
        record["partner_id"] = partner
    return record


def order(
    order_id: str, visitor: str | None, day: float, amount: str = "10.00", currency: str = "USD"
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "order_id": order_id,
        "ts": T0 + timedelta(days=day),
        "amount": amount,
        "currency": currency,
    }
    if visitor is not None:
        record["visitor_id"] = visitor
    return record


def test_from_touchpoints_builds_journeys_with_ages() -> None:
    touches = al.Touchpoints.from_records(
        [
            touch("v1", 0, "blog"),
            touch("v1", 2, "coupons"),
            touch("v1", 2, "coupons"),  # a repeat stays in the journey
            touch("v1", 5, "video"),  # after o1, leads to o2
            touch("v1", 40, "blog"),  # after o2, no order: a null journey
            touch("v1", 41, "email"),
            touch("v1", 80, "email"),  # 39 days later: a new null journey
            touch("v2", 1, "blog"),
            touch("v2", 3, None, kind="coupon", coupon_code="SAVE"),  # no partner: left out
        ]
    )
    orders = al.Orders.from_records(
        [
            order("o1", "v1", 3, "80.00"),
            order("o2", "v1", 6, "12.50"),
            order("o3", "v2", 1.5, "7.00"),
            order("o4", None, 1, "99.00"),  # no visitor: left out
            order("o5", "v9", 1, "99.00"),  # never touched: left out
        ]
    )
    paths = at.Paths.from_touchpoints(touches, orders, window=timedelta(days=30))
    assert paths.channels == ("blog", "coupons", "email", "video")
    assert paths.to_records() == [
        {
            "path": "blog > coupons > coupons",
            "conversions": 1.0,
            "nulls": 0.0,
            "value": 80.0,
            "ages": (3 * DAY_US, DAY_US, DAY_US),
        },
        {"path": "video", "conversions": 1.0, "nulls": 0.0, "value": 12.5, "ages": (DAY_US,)},
        {
            "path": "blog > email",
            "conversions": 0.0,
            "nulls": 1.0,
            "value": 0.0,
            "ages": (DAY_US, 0),
        },
        {"path": "email", "conversions": 0.0, "nulls": 1.0, "value": 0.0, "ages": (0,)},
        {"path": "blog", "conversions": 1.0, "nulls": 0.0, "value": 7.0, "ages": (DAY_US // 2,)},
    ]
    assert paths.currency == "USD"
    assert paths.has_ages


def test_the_window_is_half_open_from_the_touch() -> None:
    touches = al.Touchpoints.from_records(
        [touch("v1", 0, "old"), touch("v1", 0.5, "mid"), touch("v1", 30, "same-instant")]
    )
    orders = al.Orders.from_records([order("o1", "v1", 30)])
    paths = at.Paths.from_touchpoints(touches, orders, window=timedelta(days=30))
    # "old" is exactly 30 days before the order: outside [ts, ts + window).
    assert paths.to_strings() == ["old", "mid > same-instant"]
    assert paths.conversions.tolist() == [0.0, 1.0]
    assert paths.ages is not None
    assert paths.ages.tolist() == [0, int(29.5 * DAY_US), 0]


def test_values_in_major_units_of_the_orders_currency() -> None:
    touches = al.Touchpoints.from_records([touch("v1", 0, "p"), touch("v2", 0, "p")])
    yen = al.Orders.from_records([order("o1", "v1", 1, "1200", "JPY")])
    assert at.Paths.from_touchpoints(touches, yen).value.tolist() == [1200.0, 0.0]
    dinar = al.Orders.from_records([order("o1", "v1", 1, "1.234", "KWD")])
    assert at.Paths.from_touchpoints(touches, dinar).value.tolist() == [1.234, 0.0]
    mixed = al.Orders.from_records(
        [order("o1", "v1", 1, "1.00", "USD"), order("o2", "v2", 1, "1.00", "EUR")]
    )
    with pytest.raises(CurrencyMismatch, match=r"several currencies \(EUR, USD\); pass currency="):
        at.Paths.from_touchpoints(touches, mixed)


def test_orders_in_several_currencies_are_valued_in_one_with_rates() -> None:
    touches = al.Touchpoints.from_records([touch("v1", 0, "p"), touch("v2", 0, "q")])
    mixed = al.Orders.from_records(
        [order("o1", "v1", 1, "10.00", "USD"), order("o2", "v2", 1, "10.00", "EUR")]
    )
    fx = al.FxRates.from_records(
        [{"base": "EUR", "quote": "USD", "rate": "1.0832", "as_of": "2026-09-01T00:00:00Z"}]
    )
    paths = at.Paths.from_touchpoints(touches, mixed, currency="usd", fx=fx)
    # 10.00 EUR x 1.0832 = 10.832 USD, rounded half-even to 10.83.
    assert (paths.value.tolist(), paths.currency) == ([10.0, 10.83], "USD")
    same = al.Orders.from_records([order("o1", "v1", 1, "2.50", "USD")])
    assert at.Paths.from_touchpoints(touches, same, currency="USD").value.tolist() == [2.5, 0.0]
    with pytest.raises(CurrencyMismatch, match=r"orders are not all in USD; pass fx="):
        at.Paths.from_touchpoints(touches, mixed, currency="USD")
    with pytest.raises(ValueError, match=r"fx= converts order values to currency="):
        at.Paths.from_touchpoints(touches, mixed, fx=fx)
    with pytest.raises(TypeError, match=r"fx must be FxRates, got dict"):
        at.Paths.from_touchpoints(touches, mixed, currency="USD", fx={})  # type: ignore[arg-type]
    early = al.Orders.from_records([order("o2", "v2", -60, "10.00", "EUR")])
    with pytest.raises(al.errors.MissingRate):
        at.Paths.from_touchpoints(
            al.Touchpoints.from_records([touch("v2", -61, "q")]), early, currency="USD", fx=fx
        )


def test_no_usable_touch_is_empty_paths() -> None:
    touches = al.Touchpoints.from_records([touch("v1", 0, None, kind="coupon", coupon_code="X")])
    orders = al.Orders.from_records([order("o1", "v1", 1)])
    paths = at.Paths.from_touchpoints(touches, orders)
    assert len(paths) == 0
    assert paths.has_ages


@pytest.mark.parametrize(
    ("touchpoints", "orders", "window", "error", "message"),
    [
        ("touches", "orders", timedelta(days=1), TypeError, "touchpoints must be a Touchpoints"),
        (None, "clicks", timedelta(days=1), TypeError, "orders must be an Orders table"),
        (None, None, 30, TypeError, "window must be a timedelta"),
        (None, None, timedelta(0), ValueError, "window must be positive"),
    ],
)
def test_from_touchpoints_refuses_bad_arguments(
    touchpoints: Any, orders: Any, window: Any, error: type[Exception], message: str
) -> None:
    good_touches = al.Touchpoints.from_records([touch("v1", 0, "p")])
    good_orders = al.Orders.from_records([order("o1", "v1", 1)])
    with pytest.raises(error, match=message):
        at.Paths.from_touchpoints(
            good_touches if touchpoints is None else touchpoints,
            good_orders if orders is None else orders,
            window=window,
        )


@given(
    st.lists(
        st.tuples(st.sampled_from(["v1", "v2", "v3"]), st.integers(0, 100), st.sampled_from("abc")),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.tuples(st.sampled_from(["v1", "v2", "v3", "v4"]), st.integers(0, 100)), max_size=8),
    st.integers(1, 40),
)
def test_from_touchpoints_matches_a_reference(
    touch_rows: list[tuple[str, int, str]], order_rows: list[tuple[str, int]], window_days: int
) -> None:
    touches = al.Touchpoints.from_records([touch(v, d, p) for v, d, p in touch_rows])
    orders = al.Orders.from_records(
        [order(f"o{i}", v, d, f"{i + 1}.00") for i, (v, d) in enumerate(order_rows)]
    )
    paths = at.Paths.from_touchpoints(touches, orders, window=timedelta(days=window_days))
    # Reference: per visitor, touches (time, then input order) go to the next order at or
    # after them when it is less than a window away; the rest split at orders and gaps.
    expected = []
    for visitor in sorted({v for v, _, _ in touch_rows}):
        mine = sorted((d, i, p) for i, (v, d, p) in enumerate(touch_rows) if v == visitor)
        placed = sorted((d, i) for i, (v, d) in enumerate(order_rows) if v == visitor)
        current: list[tuple[int, str]] = []
        current_kind: Any = None
        for day, _, partner in mine:
            following = [(od, oi) for od, oi in placed if od >= day]
            target = following[0] if following and following[0][0] - day < window_days else None
            kind = ("order", target) if target else ("null", following[0] if following else None)
            starts_new = (
                not current
                or kind != current_kind
                or (kind[0] == "null" and day - current[-1][0] >= window_days)
            )
            if starts_new and current:
                expected.append((current_kind, current))
                current = []
            current.append((day, partner))
            current_kind = kind
        if current:
            expected.append((current_kind, current))
    assert len(paths) == len(expected)
    for row, (kind, members) in enumerate(expected):
        assert paths.journey(row) == tuple(p for _, p in members)
        converts = kind[0] == "order"
        assert paths.conversions[row] == float(converts)
        assert paths.nulls[row] == float(not converts)
        end = kind[1][0] if converts else members[-1][0]
        start, stop = int(paths.offsets[row]), int(paths.offsets[row + 1])
        assert paths.ages is not None
        assert paths.ages[start:stop].tolist() == [(end - d) * DAY_US for d, _ in members]
        assert paths.value[row] == (kind[1][1] + 1.0 if converts else 0.0)


@pytest.mark.parametrize(
    "cls", [at.Paths, at.ChannelCredits, at.HeuristicCredits, at.MarkovCredits, at.ShapleyCredits]
)
def test_method_examples_run(cls: type) -> None:
    # The module-wide doctest run skips the methods of re-exported classes; run them here.
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {**vars(at), "al": al, "alliance": al}
    for test in finder.find(cls, cls.__name__, module=False, globs=globs):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_exports() -> None:
    for name in ("Paths", "ChannelCredits", "heuristics", "markov", "shapley"):
        assert name in at.__all__
    assert repr(at.Paths) == "<class 'alliance.attribution.Paths'>"
