"""The errors `alliance` raises, in domain words.

Every error derives from `AllianceError`, and each user-facing one also derives from the
builtin it refines, so ``except ValueError`` keeps working for callers that know nothing of
this library::

    AllianceError
    ├── CurrencyError (ValueError)          unknown or malformed currency code
    ├── CurrencyMismatch (ValueError)       arithmetic or comparison across currencies
    ├── InvalidAmount (ValueError)          an amount that is not exact money
    │   └── FloatNotAllowed (TypeError)     a float offered as money or as an exact rate
    ├── MoneyOverflow (OverflowError)       a batch amount that does not fit in int64
    ├── MissingRate (LookupError)           no exchange rate covers the instant
    ├── TimezoneError (ValueError)          naive datetime or unknown time zone
    ├── DataError (ValueError)              bad rows in a table, with every row listed
    ├── ContractError (ValueError)          invalid rule tree, overlapping contract versions
    ├── SettlementError (ValueError)        settlement inputs that cannot be reconciled
    ├── AttributionError (ValueError)       credit that cannot be shared out as asked
    ├── RuleSyntaxError (ValueError)        a fraud rule that does not parse or fit its attributes
    ├── RuleInputError (ValueError)         columns that do not fit a compiled fraud rule
    └── MissingDependency (ImportError)     an optional extra is not installed

Fraud verdicts are return values, never exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AllianceError",
    "AttributionError",
    "ContractError",
    "CurrencyError",
    "CurrencyMismatch",
    "DataError",
    "FloatNotAllowed",
    "InvalidAmount",
    "MissingDependency",
    "MissingRate",
    "MoneyOverflow",
    "Problem",
    "RuleInputError",
    "RuleSyntaxError",
    "SettlementError",
    "TimezoneError",
]


class AllianceError(Exception):
    """Root of every error raised by `alliance`."""


class CurrencyError(AllianceError, ValueError):
    """A currency code that is not an active ISO 4217 code."""


class CurrencyMismatch(AllianceError, ValueError):
    """Two amounts in different currencies were combined or compared."""


class InvalidAmount(AllianceError, ValueError):
    """An amount that is not exact money (unparsable, not finite, finer than allowed)."""


class FloatNotAllowed(InvalidAmount, TypeError):
    """A binary float was offered where exact money or an exact rate is required."""


class MoneyOverflow(AllianceError, OverflowError):
    """A batch amount in minor units does not fit in a signed 64-bit integer."""


class MissingRate(AllianceError, LookupError):
    """No exchange rate covers the requested currency pair at the requested instant."""


class TimezoneError(AllianceError, ValueError):
    """A naive datetime where an aware one is required, or an unknown time zone."""


class ContractError(AllianceError, ValueError):
    """An invalid rule tree, overlapping contract versions or ambiguous precedence."""


class SettlementError(AllianceError, ValueError):
    """Settlement inputs that cannot be reconciled."""


class AttributionError(AllianceError, ValueError):
    """Credit that cannot be shared out as asked (no weight, no conversion, too many channels)."""


class RuleSyntaxError(AllianceError, ValueError):
    """A rule that cannot be read or does not fit its registry.

    Attributes:
        text: The rule text as given.
        position: 0-based character offset of the offending token.
        reason: What was wrong, in plain words.
    """

    def __init__(self, text: str, position: int, reason: str) -> None:
        self.text = text
        self.position = position
        self.reason = reason
        shown = text if len(text) <= 80 else text[:77] + "..."
        super().__init__(f"rule {shown!r}: at position {position}: {reason}")

    def __reduce__(self) -> tuple[type[RuleSyntaxError], tuple[str, int, str]]:
        return type(self), (self.text, self.position, self.reason)


class RuleInputError(AllianceError, ValueError):
    """Columns handed to a compiled rule that do not fit it (absent, wrong length or type)."""


class MissingDependency(AllianceError, ImportError):
    """An optional dependency is needed for this call and is not installed."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad cell of a table: where it is, what it held and why it was refused.

    Attributes:
        row: Position of the row in the input, counting from 0 (as ``DataFrame.iloc``).
        column: Name of the offending column.
        value: The value as given (``None`` when the cell was missing).
        reason: What was expected, in domain words.
    """

    row: int
    column: str
    value: Any
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}, value {self.value!r}: {self.reason}"


class DataError(AllianceError, ValueError):
    """Bad rows in a table; `problems` lists every one of them.

    Attributes:
        problems: Every problem found, in row order.
        table: Name of the table being read (``"orders"``, ``"clicks"`` …).
    """

    #: How many problems the message spells out; `problems` always holds all of them.
    shown = 20

    def __init__(self, table: str, problems: Iterable[Problem]) -> None:
        self.table = table
        self.problems: Sequence[Problem] = tuple(problems)
        self.rows: tuple[int, ...] = tuple(sorted({p.row for p in self.problems}))
        lines = [str(p) for p in self.problems[: self.shown]]
        hidden = len(self.problems) - len(lines)
        if hidden > 0:
            lines.append(f"... and {hidden} more (see .problems)")
        head = (
            f"{len(self.rows)} bad row{'s' if len(self.rows) != 1 else ''} in {table} "
            f"({len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}):"
        )
        super().__init__("\n  ".join([head, *lines]))
