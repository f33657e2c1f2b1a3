"""Checks on the packaged ISO 4217 List One table, against facts known by hand."""

import csv
from pathlib import Path

import pytest

CSV_PATH = Path(__file__).parents[1] / "src/alliance/_data/iso4217.csv"
HEADER = ["code", "numeric", "exponent", "name"]


def _read() -> tuple[list[str], list[dict[str, str]]]:
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, line, strict=True)) for line in reader]
    return header, rows


def _by_code() -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in _read()[1]}


def test_header_is_exact() -> None:
    header, _ = _read()
    assert header == HEADER
    first_line = CSV_PATH.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "code,numeric,exponent,name"


def test_every_row_has_four_fields_and_a_name() -> None:
    _, rows = _read()
    for row in rows:
        assert list(row) == HEADER
        assert row["name"].strip() == row["name"]
        assert row["name"] != ""


def test_codes_are_unique_three_upper_case_letters() -> None:
    _, rows = _read()
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert len(code) == 3
        assert code.isascii()
        assert code.isalpha()
        assert code.isupper()


def test_rows_are_sorted_by_code() -> None:
    _, rows = _read()
    codes = [row["code"] for row in rows]
    assert codes == sorted(codes)


def test_numerics_are_unique_three_digits() -> None:
    _, rows = _read()
    numerics = [row["numeric"] for row in rows]
    assert len(numerics) == len(set(numerics))
    for numeric in numerics:
        assert len(numeric) == 3
        assert numeric.isascii()
        assert numeric.isdigit()


def test_exponents_are_in_allowed_set() -> None:
    _, rows = _read()
    assert {row["exponent"] for row in rows} <= {"", "0", "2", "3", "4"}


def test_row_count_is_plausible() -> None:
    _, rows = _read()
    assert 170 <= len(rows) <= 190
    with_exponent = [row for row in rows if row["exponent"] != ""]
    without_exponent = [row for row in rows if row["exponent"] == ""]
    assert 155 <= len(with_exponent) <= 180
    assert 10 <= len(without_exponent) <= 16


@pytest.mark.parametrize(
    ("code", "numeric", "exponent"),
    [
        ("USD", "840", "2"),
        ("EUR", "978", "2"),
        ("JPY", "392", "0"),
        ("KWD", "414", "3"),
        ("BHD", "048", "3"),
        ("CLF", "990", "4"),
        ("UYW", "927", "4"),
        ("CNY", "156", "2"),
        ("GBP", "826", "2"),
        ("ISK", "352", "0"),
        ("KRW", "410", "0"),
        ("VND", "704", "0"),
        ("CLP", "152", "0"),
        ("UGX", "800", "0"),
        ("ALL", "008", "2"),
        ("AUD", "036", "2"),
        ("ZWG", "924", "2"),
        ("XCG", "532", "2"),
        ("SLE", "925", "2"),
        ("VES", "928", "2"),
        ("MRU", "929", "2"),
        ("STN", "930", "2"),
        ("XAU", "959", ""),
        ("XAG", "961", ""),
        ("XPT", "962", ""),
        ("XPD", "964", ""),
        ("XDR", "960", ""),
        ("XTS", "963", ""),
        ("XXX", "999", ""),
    ],
)
def test_known_rows(code: str, numeric: str, exponent: str) -> None:
    row = _by_code()[code]
    assert row["numeric"] == numeric
    assert row["exponent"] == exponent


def test_known_names() -> None:
    rows = _by_code()
    assert rows["USD"]["name"] == "US Dollar"
    assert rows["EUR"]["name"] == "Euro"
    assert rows["GBP"]["name"] == "Pound Sterling"
    assert rows["JPY"]["name"] == "Yen"
    assert rows["XAU"]["name"] == "Gold"
    assert rows["ZWG"]["name"] == "Zimbabwe Gold"
    assert rows["XCG"]["name"] == "Caribbean Guilder"


def test_fund_codes_are_present() -> None:
    codes = set(_by_code())
    for fund in ["BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW", "XSU", "XUA"]:
        assert fund in codes


def test_withdrawn_codes_are_absent() -> None:
    codes = set(_by_code())
    withdrawn = ["HRK", "SLL", "VEF", "ZWL", "MRO", "STD", "CUC", "LTL", "EEK", "ANG", "BGN"]
    for code in withdrawn:
        assert code not in codes
