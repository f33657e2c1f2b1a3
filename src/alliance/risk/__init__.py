"""Risk: fraud checks with reasons, a safe rule language, batch and streaming screening.

Checks are vectorised functions over tables that return `Flags`: each flag names its subject
(a click, an order, a partner or a coupon code), a reason code, the value observed, the
threshold, the peer statistic and the ids that show it. A `Policy` says which checks run with
which parameters, adds rules in a small declarative language, allowlists and actions;
`screen` applies it to a batch and returns `Decisions`, and `Screener` applies its event-level
part to one click or order at a time. `evaluate` measures decisions against labelled fraud.

Examples:
    >>> from alliance import risk
    >>> from alliance.datasets import synthetic_program
    >>> program = synthetic_program(seed=3, partners=30, clicks=3_000)
    >>> decisions = risk.screen(orders=program.orders, clicks=program.clicks,
    ...                         partners=program.partners, reversals=program.reversals)
    >>> decisions.screened["order"] == len(program.orders)
    True
"""

from alliance.risk._check import Check

# The checks register as their modules are imported: this order is `Check.registered()`.
# isort: off
from alliance.risk._check_injection import ClickHijack, ClickInjection, ClickSpam
from alliance.risk._check_bots import BotTiming
from alliance.risk._check_paid_search import PaidSearch
from alliance.risk._check_network import AnonymousIp, Geo
from alliance.risk._check_identity import SelfReferral, normalise_email
from alliance.risk._check_velocity import Brushing, Velocity, VelocityLimit
from alliance.risk._check_coupons import CouponLeakage
from alliance.risk._check_new_customers import FalseNewCustomer, correct_new_customers
from alliance.risk._check_partners import ConversionOutlier, DuplicateIdentity, ReversalOutlier
from alliance.risk._check_ctit import CtitProfile

# isort: on
from alliance.risk._decisions import Decision, Decisions
from alliance.risk._evaluate import Quality, Score, evaluate
from alliance.risk._features import FEATURES, WINDOWS, Feature
from alliance.risk._flags import REASONS, Flag, Flags, Reason
from alliance.risk._language import parse_rule, render
from alliance.risk._policy import NamedRule, Policy
from alliance.risk._screen import screen
from alliance.risk._screener import Screener

__all__ = [
    "FEATURES",
    "REASONS",
    "WINDOWS",
    "AnonymousIp",
    "BotTiming",
    "Brushing",
    "Check",
    "ClickHijack",
    "ClickInjection",
    "ClickSpam",
    "ConversionOutlier",
    "CouponLeakage",
    "CtitProfile",
    "Decision",
    "Decisions",
    "DuplicateIdentity",
    "FalseNewCustomer",
    "Feature",
    "Flag",
    "Flags",
    "Geo",
    "NamedRule",
    "PaidSearch",
    "Policy",
    "Quality",
    "Reason",
    "ReversalOutlier",
    "Score",
    "Screener",
    "SelfReferral",
    "Velocity",
    "VelocityLimit",
    "correct_new_customers",
    "evaluate",
    "normalise_email",
    "parse_rule",
    "render",
    "screen",
]

for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith("alliance.risk._"):
        _value.__module__ = "alliance.risk"
del _name, _value
