"""Attribution: which partners earned an order, and how credit is shared over journeys.

Rule-based models (`last_click`, `first_click`, `linear`, `time_decay`, `position_based`,
`custom`) share a journey's credit over its touches; `attribute` credits orders to the
partners whose touchpoints qualify for them.

Path-level models read `Paths` (journeys of channels with their conversions, non-conversions
and value) and credit each channel: `heuristics` (first, last, linear, position-based, time
decay), `markov` (removal effects of an absorbing chain) and `shapley`.

Examples:
    >>> from alliance import attribution as at
    >>> at.linear().shares(at.Touches.of_lengths([2])).tolist()
    [0.5, 0.5]
"""

from alliance.attribution._credits import Attribution, Credits, Unattributed
from alliance.attribution._event import attribute
from alliance.attribution._heuristics import HeuristicCredits, heuristics
from alliance.attribution._markov import MarkovCredits, markov
from alliance.attribution._paths import ChannelCredits, Paths
from alliance.attribution._rules import (
    AttributionModel,
    Touches,
    custom,
    first_click,
    last_click,
    linear,
    position_based,
    time_decay,
)
from alliance.attribution._shapley import ShapleyCredits, shapley

__all__ = [
    "Attribution",
    "AttributionModel",
    "ChannelCredits",
    "Credits",
    "HeuristicCredits",
    "MarkovCredits",
    "Paths",
    "ShapleyCredits",
    "Touches",
    "Unattributed",
    "attribute",
    "custom",
    "first_click",
    "heuristics",
    "last_click",
    "linear",
    "markov",
    "position_based",
    "shapley",
    "time_decay",
]

# Exported objects report the public module in reprs and docs.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith("alliance."):
        _value.__module__ = "alliance.attribution"
del _name, _value
