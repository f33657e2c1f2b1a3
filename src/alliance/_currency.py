"""ISO 4217 currencies, with their minor units, as shipped data."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from alliance.errors import CurrencyError

__all__ = ["Currency", "currencies", "currency"]


@dataclass(frozen=True, slots=True)
class Currency:
    """An active ISO 4217 currency.

    Attributes:
        code: Three-letter alphabetic code (``"USD"``).
        numeric: Three-digit numeric code (``"840"``).
        exponent: Minor unit: the number of decimal places money carries (USD 2, JPY 0, KWD 3).
        name: English name from the standard.
    """

    code: str
    numeric: str
    exponent: int
    name: str

    @property
    def minor_per_major(self) -> int:
        """How many minor units make one unit (100 for USD, 1 for JPY, 1000 for KWD)."""
        return int(10**self.exponent)

    def __str__(self) -> str:
        return self.code


@cache
def _table() -> tuple[MappingProxyType[str, Currency], frozenset[str]]:
    money: dict[str, Currency] = {}
    without_minor_unit: set[str] = set()
    source = resources.files("alliance") / "_data" / "iso4217.csv"
    for row in csv.DictReader(source.read_text(encoding="utf-8").splitlines()):
        if row["exponent"] == "":
            without_minor_unit.add(row["code"])
        else:
            money[row["code"]] = Currency(
                row["code"], row["numeric"], int(row["exponent"]), row["name"]
            )
    return MappingProxyType(money), frozenset(without_minor_unit)


def currencies() -> MappingProxyType[str, Currency]:
    """Every active ISO 4217 currency that carries money, by code.

    Codes without a minor unit in the standard (gold ``XAU``, ``XDR``, ``XXX`` …) are left
    out: they cannot be expressed in minor units.
    """
    return _table()[0]


def currency(code: Any) -> Currency:
    """Look up a currency by its ISO 4217 alphabetic code.

    Args:
        code: Three-letter code, any case (``"usd"`` is accepted), or a `Currency`.

    Returns:
        The currency, with its minor unit.

    Raises:
        CurrencyError: The code is not an active ISO 4217 currency with a minor unit.

    Examples:
        >>> currency("JPY").exponent
        0
        >>> currency("KWD").exponent
        3
    """
    if type(code) is str:  # the usual case: an exact code, one lookup
        found = _table()[0].get(code)
        if found is not None:
            return found
    if isinstance(code, Currency):
        # Money compares currencies by identity: hand back the table's own instance.
        canonical = _table()[0].get(code.code)
        if canonical != code:
            raise CurrencyError(f"{code!r} is not the ISO 4217 table's entry for {code.code}")
        return canonical
    if not isinstance(code, str):
        raise CurrencyError(
            f"currency must be an ISO 4217 code string, got {type(code).__name__} {code!r}"
        )
    table, without_minor_unit = _table()
    key = code.strip().upper()
    found = table.get(key)
    if found is not None:
        return found
    if key in without_minor_unit:
        raise CurrencyError(
            f"{key} is an ISO 4217 code without a minor unit (a metal, fund or test code) "
            "and cannot carry money"
        )
    raise CurrencyError(f"unknown currency {code!r}: not an active ISO 4217 code")
