"""The binary form of movements: exact round trips, each column encoding, damage refused."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.errors import SettlementError
from alliance.settlement._ledger import Movements
from alliance.settlement._segments import FORMAT_VERSION, decode, encode, factorize

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
PREFIX = struct.Struct("<8sII")


def table(rows: int, **columns: Any) -> Movements:
    """Movements of ``rows`` rows: the given columns, plain values for the others."""
    values: dict[str, Any] = {
        "txn_id": [f"accrual|kol-{n % 3}|USD|2026-10|1" for n in range(rows)],
        "kind": ["accrual"] * rows,
        "source": ["sale"] * rows,
        "order_id": [f"o{n}" for n in range(rows)],
        "line_id": [None] * rows,
        "partner_id": [f"kol-{n % 3}" for n in range(rows)],
        "contract_id": ["std"] * rows,
        "version": [1] * rows,
        "currency": ["USD"] * rows,
        "amount": list(range(rows)),
        "ts": [1_791_019_800_000_000 + n for n in range(rows)],
        "period": ["2026-10"] * rows,
        "reversal_id": [None] * rows,
        "rejected": [n % 2 == 0 for n in range(rows)],
    }
    values.update(columns)
    return Movements(values)


def parts(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and the body of encoded movements."""
    magic, size, checksum = PREFIX.unpack(data[: PREFIX.size])
    assert magic == b"ALMOVES\x00"
    assert checksum == zlib.crc32(data[PREFIX.size :])
    header = json.loads(data[PREFIX.size : PREFIX.size + size])
    return header, data[PREFIX.size + size :]


def assemble(header: dict[str, Any], body: bytes) -> bytes:
    """Encoded movements from a header and a body, with a checksum that matches."""
    raw = json.dumps(header).encode()
    return PREFIX.pack(b"ALMOVES\x00", len(raw), zlib.crc32(raw + body)) + raw + body


def encodings(moved: Movements) -> dict[str, str]:
    header, _ = parts(encode(moved))
    return {name: spec["type"] for name, spec in header["columns"].items()}


def assert_same(back: Movements, moved: Movements) -> None:
    assert back == moved
    for name in Movements.COLUMNS:
        assert back[name].tolist() == moved[name].tolist(), name
        assert back[name].dtype == moved[name].dtype, name
        assert not back[name].flags.writeable
    for name in ("txn_id", "order_id", "line_id", "reversal_id"):
        assert all(v is None or type(v) is str for v in back[name].tolist())


# -- round trips ----------------------------------------------------------------------------


def test_an_empty_table_round_trips() -> None:
    data = encode(Movements.empty())
    header, body = parts(data)
    assert header["rows"] == 0
    assert header["version"] == FORMAT_VERSION == 1
    back = decode(data)
    assert len(back) == 0
    assert back.columns == Movements.COLUMNS
    assert back["amount"].dtype == np.int64
    assert back["rejected"].dtype == np.bool_
    assert back["txn_id"].dtype == object
    assert back == Movements.empty()
    assert len(body) == 0


def test_one_row_round_trips() -> None:
    moved = table(1, line_id=["1"], reversal_id=["r1"])
    back = decode(encode(moved))
    assert_same(back, moved)
    assert back.to_records()[0]["order_id"] == "o0"
    assert back["line_id"].tolist() == ["1"]


def test_text_with_none_unicode_and_empty_strings_round_trips() -> None:
    texts = ["", "é", "注文-3", "😀", "a\tb\nc", "\\x00 spelled out", None, "", "ü" * 300]
    rows = len(texts)
    moved = table(
        rows,
        order_id=texts,
        line_id=texts[::-1],
        partner_id=["kol-ü"] * rows,
        contract_id=[None] * rows,
        reversal_id=[None, "rév"] * 4 + [""],
        source=["", ""] + ["sale"] * (rows - 2),
    )
    back = decode(encode(moved))
    assert_same(back, moved)
    assert back["order_id"].tolist() == texts
    assert back["line_id"].tolist() == texts[::-1]
    assert back["contract_id"].tolist() == [None] * rows
    assert back["reversal_id"].tolist()[-3:] == [None, "rév", ""]


def test_a_lone_surrogate_round_trips() -> None:
    moved = table(2, order_id=["\ud800", "x\udfff"])
    assert decode(encode(moved))["order_id"].tolist() == ["\ud800", "x\udfff"]


def test_integers_round_trip_at_every_width() -> None:
    amounts = [0, -1, 127, -128, 32_767, -32_768, 2**31 - 1, -(2**31), INT64_MAX, INT64_MIN]
    for values in ([5, -5], [300, -300], [70_000, -70_000], amounts):
        moved = table(len(values), amount=values, version=values, ts=values[::-1])
        back = decode(encode(moved))
        assert back["amount"].tolist() == values
        assert back["ts"].tolist() == values[::-1]
        assert back["amount"].dtype == np.int64
    header, _ = parts(encode(table(2, amount=[5, -5], version=[300, 1], ts=[70_000, 0])))
    widths = {name: header["columns"][name]["dtype"] for name in ("amount", "version", "ts")}
    assert widths == {"amount": "i1", "version": "<i2", "ts": "<i4"}
    header, _ = parts(encode(table(len(amounts), amount=amounts)))
    assert header["columns"]["amount"]["dtype"] == "<i8"
    assert header["columns"]["amount"]["data"][1] == 8 * len(amounts)


def test_columns_of_one_value_keep_just_the_value() -> None:
    moved = table(
        20, version=[7] * 20, amount=[INT64_MIN] * 20, ts=[INT64_MAX] * 20, rejected=[True] * 20
    )
    header, _ = parts(encode(moved))
    assert header["columns"]["version"] == {"type": "int", "value": 7}
    assert header["columns"]["amount"] == {"type": "int", "value": INT64_MIN}
    assert header["columns"]["rejected"] == {"type": "bool", "value": True}
    assert header["columns"]["source"] == {"type": "constant", "value": "sale"}
    back = decode(encode(moved))
    assert_same(back, moved)
    assert back["ts"].tolist() == [INT64_MAX] * 20
    unflagged = table(3, rejected=[False] * 3)
    assert parts(encode(unflagged))[0]["columns"]["rejected"] == {"type": "bool", "value": False}
    assert decode(encode(unflagged))["rejected"].tolist() == [False] * 3


def test_flags_and_masks_are_packed_eight_to_a_byte() -> None:
    flags = [n % 3 == 0 for n in range(17)]
    orders = [None if f else f"o{n}" for n, f in enumerate(flags)]
    moved = table(17, rejected=flags, order_id=orders)
    header, body = parts(encode(moved))
    start, length = header["columns"]["rejected"]["data"]
    assert length == 3
    assert body[start : start + length] == bytes([0b01001001, 0b10010010, 0b00000000])
    mask = header["columns"]["order_id"]
    assert (mask["type"], mask["rows"], mask["count"]) == ("text", 17, 11)
    start, length = mask["mask"]
    assert body[start : start + length] == bytes([0b10110110, 0b01101101, 0b00000001])
    assert_same(decode(encode(moved)), moved)


def test_each_text_encoding_is_chosen_and_round_trips() -> None:
    rows = 100_000
    txn = [f"txn-{n % 500}" for n in range(rows)]
    moved = table(
        rows,
        txn_id=txn,
        kind=["void" if n % 500 < 250 else "accrual" for n in range(rows)],  # one per txn
        partner_id=[f"kol-{n % 500 % 50}" for n in range(rows)],  # one per txn
        contract_id=[f"c{n % 7}" for n in range(rows)],  # few values, several per txn
        order_id=[f"o{n // 2}" for n in range(rows)],  # nearly one value per row
        line_id=[None] * rows,
        reversal_id=[f"r{n}" if n % 10 == 0 else None for n in range(rows)],  # mostly None
    )
    assert encodings(moved) == {
        "txn_id": "codes",
        "kind": "shared",
        "source": "constant",
        "order_id": "text",
        "line_id": "constant",
        "partner_id": "shared",
        "contract_id": "codes",
        "version": "int",
        "currency": "constant",
        "amount": "int",
        "ts": "int",
        "period": "constant",
        "reversal_id": "text",
        "rejected": "bool",
    }
    header, _ = parts(encode(moved))
    assert header["columns"]["txn_id"]["dtype"] == "<u2"
    assert header["columns"]["txn_id"]["categories"]["count"] == 500
    assert header["columns"]["contract_id"]["dtype"] == "u1"
    assert header["columns"]["reversal_id"]["count"] == rows // 10
    assert "mask" in header["columns"]["reversal_id"]
    assert header["columns"]["line_id"] == {"type": "constant", "value": None}
    back = decode(encode(moved))
    assert_same(back, moved)
    # A distinct value is built once and shared by its rows.
    assert back["contract_id"][0] is back["contract_id"][7]
    assert back["kind"][0] is back["kind"][1_000]


def test_a_column_that_is_not_one_value_per_transaction_is_not_shared() -> None:
    moved = table(40, txn_id=["a", "b"] * 20, kind=["x", "y", "z", "w"] * 10)
    assert encodings(moved)["kind"] == "codes"
    few = table(6, txn_id=["a", "a", "b", "b", "c", "c"], kind=["x", "x", "y", "z", "w", "w"])
    assert encodings(few)["kind"] == "text"  # 4 values in 6 rows: not worth codes
    assert_same(decode(encode(few)), few)
    assert_same(decode(encode(moved)), moved)


def test_encoding_is_deterministic_and_leaves_the_table_alone() -> None:
    moved = table(50)
    before = {name: moved[name].copy() for name in Movements.COLUMNS}
    assert encode(moved) == encode(moved) == encode(table(50))
    assert all(np.array_equal(moved[name], before[name]) for name in Movements.COLUMNS)


def test_a_filtered_and_joined_table_round_trips() -> None:
    moved = Movements.concat([table(30), table(20, kind=["approval"] * 20)])
    picked = moved.where(partner_id="kol-1")
    assert len(picked) == 17
    assert_same(decode(encode(picked)), picked)


TEXT = st.one_of(st.none(), st.text(st.characters(exclude_characters="\x00"), max_size=8))


@st.composite
def movements(draw: st.DrawFn) -> Movements:
    rows = draw(st.integers(0, 40))
    ints = st.lists(st.integers(INT64_MIN, INT64_MAX), min_size=rows, max_size=rows)
    texts = st.lists(TEXT, min_size=rows, max_size=rows)
    few = st.lists(st.sampled_from(["a", "b", None]), min_size=rows, max_size=rows)
    columns: dict[str, Any] = {}
    for name in Movements.COLUMNS:
        if name in Movements.INTEGERS:
            columns[name] = draw(ints)
        elif name in Movements.FLAGS:
            columns[name] = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
        else:
            columns[name] = draw(st.one_of(texts, few))
    return Movements(columns)


@given(movements())
def test_any_movements_round_trip(moved: Movements) -> None:
    assert_same(decode(encode(moved)), moved)


def test_factorize_gives_codes_in_order_of_first_appearance() -> None:
    values = np.array(["b", "a", "b", None, "a", "c"], dtype=object)
    codes, distinct, first = factorize(values)
    assert codes.tolist() == [0, 1, 0, 2, 1, 3]
    assert distinct.tolist() == ["b", "a", None, "c"]
    assert first.tolist() == [0, 1, 3, 5]
    empty = factorize(np.array([], dtype=object))
    assert (empty.codes.size, empty.distinct.size, empty.first.size) == (0, 0, 0)


def test_a_factorized_txn_id_given_to_encode_gives_the_same_bytes() -> None:
    moved = table(30)
    assert encode(moved, txns=factorize(moved["txn_id"])) == encode(moved)


# -- what cannot be encoded -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("order_id", ["o1", "o\x002"], r"column 'order_id' holds 'o\\x002': text must not"),
        ("contract_id", ["c\x00", "c\x00"], r"'contract_id' holds 'c\\x00': text must not"),
        ("txn_id", ["t\x00", "t"], r"column 'txn_id' holds 't\\x00': text must not"),
        ("order_id", ["o1", 2], r"column 'order_id' holds int 2; text columns hold strings"),
        ("line_id", [None, 1.5], r"column 'line_id' holds float 1.5; text columns hold"),
        ("txn_id", [["t"], "t"], r"column 'txn_id' holds list \['t'\]; text columns hold"),
        ("source", [b"sale", b"sale"], r"column 'source' holds bytes b'sale'; text columns"),
    ],
)
def test_text_that_cannot_be_kept_is_refused(column: str, values: list[Any], message: str) -> None:
    moved = table(2, **{column: values})
    with pytest.raises(SettlementError, match=message):
        encode(moved)


def test_encode_takes_movements() -> None:
    with pytest.raises(TypeError, match=r"movements must be Movements, got dict"):
        encode({"txn_id": []})  # type: ignore[arg-type]


# -- damaged data ---------------------------------------------------------------------------

SAMPLE = table(6, line_id=["1", None, "2", None, "", "1"], reversal_id=[None] * 5 + ["r"])


def edited(change: Callable[[dict[str, Any], bytearray], None]) -> bytes:
    """The sample encoded, then its header and body changed (the checksum made to match)."""
    header, body = parts(encode(SAMPLE))
    raw = bytearray(body)
    change(header, raw)
    return assemble(header, bytes(raw))


def test_the_helpers_reassemble_the_same_bytes() -> None:
    header, body = parts(encode(SAMPLE))
    assert decode(assemble(header, body)) == SAMPLE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"not encoded movements \(no ALMOVES header\)"),
        (b"PK\x03\x04 a zip file" * 4, r"not encoded movements"),
        (json.dumps({"rows": 0}).encode(), r"not encoded movements"),
        (encode(SAMPLE)[:-1], r"damaged: the checksum does not match"),
        (encode(SAMPLE)[:20], r"damaged: the header runs past the end"),
        (encode(SAMPLE) + b"\x00", r"damaged: the checksum does not match"),
    ],
)
def test_data_that_is_not_movements_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(SettlementError, match=message):
        decode(data)


def test_a_flipped_bit_is_refused() -> None:
    data = bytearray(encode(SAMPLE))
    for position in (PREFIX.size + 3, len(data) // 2, len(data) - 1):
        damaged = data.copy()
        damaged[position] ^= 0x10
        with pytest.raises(SettlementError, match=r"damaged: the checksum does not match"):
            decode(bytes(damaged))


def test_another_format_version_is_refused() -> None:
    data = edited(lambda header, body: header.update(version=2))
    with pytest.raises(
        SettlementError,
        match=r"^the movements are encoded in format version 2; this version of alliance "
        r"reads version 1$",
    ):
        decode(data)


def _set(path: list[str | int], value: Any) -> Callable[[dict[str, Any], bytearray], None]:
    def change(header: dict[str, Any], body: bytearray) -> None:
        target: Any = header
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(name: str) -> Callable[[dict[str, Any], bytearray], None]:
    return lambda header, body: header["columns"].pop(name)


def _poke(offset_of: Callable[[dict[str, Any]], int], value: int) -> Any:
    def change(header: dict[str, Any], body: bytearray) -> None:
        body[offset_of(header)] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(["format"], "something else"), r"the header does not describe movements"),
        (_set(["rows"], -1), r"no row count"),
        (_set(["rows"], True), r"no row count"),
        (_set(["rows"], 7), r"buffer 'codes' holds 6 bytes, not 7"),
        (_set(["columns"], []), r"no row count or no columns"),
        (_drop("amount"), r"the columns are \["),
        (_set(["columns", "amount", "type"], "text"), r"'amount' is not encoded as integers"),
        (_set(["columns", "amount", "dtype"], "<f8"), r"'amount' has integers of an unknown type"),
        (_set(["columns", "amount", "data"], [0, 4]), r"buffer 'data' holds 4 bytes, not 6"),
        (_set(["columns", "version", "value"], "1"), r"'version' has a constant that is not int"),
        (_set(["columns", "version", "value"], 2**64), r"'version' has a constant beyond 64 bits"),
        (
            _set(["columns", "rejected"], {"type": "bool", "value": 1}),
            r"'rejected' has a constant that is not bool",
        ),
        (_set(["columns", "line_id", "rows"], 5), r"'line_id' has a mask that is not for 6"),
        (_set(["columns", "rejected", "type"], "int"), r"'rejected' is not encoded as flags"),
        (_set(["columns", "txn_id", "type"], "text"), r"'txn_id' is not coded"),
        (_set(["columns", "txn_id", "dtype"], "<i8"), r"'txn_id' has malformed codes"),
        (_set(["columns", "txn_id", "categories"], []), r"'txn_id' has malformed categories"),
        (_set(["columns", "txn_id", "categories", "count"], 2), r"holds 3 strings, not 2"),
        (_set(["columns", "txn_id", "categories", "count"], 9), r"holds 3 strings, not 9"),
        (_set(["columns", "source", "value"], 5), r"'source' has a constant that is not text"),
        (_set(["columns", "source", "type"], "zip"), r"'source' has an unknown encoding 'zip'"),
        (_set(["columns", "order_id", "data"], [0, 10**9]), r"'data' lies outside the data"),
        (_set(["columns", "order_id", "data"], [0]), r"'data' lies outside the data"),
        (_set(["columns", "order_id", "data"], [-1, 2]), r"'data' lies outside the data"),
        (_set(["columns", "order_id", "count"], 5), r"'order_id' holds 5 strings for 6 rows"),
        (_set(["columns", "order_id", "count"], "6"), r"'order_id' has no string count"),
        (_set(["columns", "line_id", "count"], 3), r"'line_id' has a mask that disagrees"),
        (
            _poke(lambda h: h["columns"]["rejected"]["data"][0], 0xFF),
            r"buffer 'data' has flags past its 6 rows",
        ),
        (
            _poke(lambda h: h["columns"]["txn_id"]["codes"][0], 9),
            r"'txn_id' has a code beyond its 3 values",
        ),
        (
            _poke(lambda h: h["columns"]["order_id"]["data"][0], 0xFF),
            r"column 'order_id' is not UTF-8 text",
        ),
        (
            _poke(lambda h: h["columns"]["order_id"]["data"][0], 0),
            r"column 'order_id' holds 7 strings, not 6",
        ),
    ],
)
def test_a_damaged_header_or_body_is_refused(
    change: Callable[[dict[str, Any], bytearray], None], message: str
) -> None:
    data = edited(change)
    with pytest.raises(SettlementError, match=message):
        decode(data)


def test_a_header_that_is_not_json_is_refused() -> None:
    body = b""
    raw = b"{not json"
    data = PREFIX.pack(b"ALMOVES\x00", len(raw), zlib.crc32(raw + body)) + raw
    with pytest.raises(SettlementError, match=r"damaged: the header is not JSON"):
        decode(data)
