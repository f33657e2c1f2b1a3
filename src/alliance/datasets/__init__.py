"""Deterministic synthetic affiliate programmes, for demos, tests and benchmarks.

`synthetic_program` builds partners, clicks, orders with their lines, reversals, touchpoints
and daily exchange rates that behave like a real cross-border programme (Pareto audiences, a
KOL pyramid, lognormal conversion lags, multi-currency baskets in whole minor units, partial
refunds), the same for the same seed. With ``fraud=``, it adds labelled fraud (click injection
and spam, self-referral, velocity, brushing, leaked coupons, duplicate partner accounts, reversal
abuse) and returns the labels as `FraudLabels` in `Program.labels`.

Examples:
    >>> from alliance.datasets import synthetic_program
    >>> program = synthetic_program(seed=1, partners=30, clicks=2_000)
    >>> summary = program.summary()
    >>> summary["orders"] == len(program.orders), summary["clicks"]
    (True, 2000)
"""

from alliance.datasets._fraud import DEFAULT_FRAUD, FraudLabels, FraudRecord
from alliance.datasets._program import (
    CurrencyTotal,
    PartnerCounts,
    Program,
    ProgramSummary,
    RateRange,
    ReversalTotal,
)
from alliance.datasets._synthetic import supported_currencies, synthetic_program

__all__ = [
    "DEFAULT_FRAUD",
    "CurrencyTotal",
    "FraudLabels",
    "FraudRecord",
    "PartnerCounts",
    "Program",
    "ProgramSummary",
    "RateRange",
    "ReversalTotal",
    "supported_currencies",
    "synthetic_program",
]

for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith("alliance.datasets._"):
        _value.__module__ = "alliance.datasets"
del _name, _value
