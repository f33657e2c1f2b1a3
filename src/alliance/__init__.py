"""alliance: affiliate marketing logic with exact money.

The core types live here: money and currencies, exchange rates, periods in a programme's time
zone, the record models and their columnar tables. Each area has its own namespace
(`alliance.datasets`, `alliance.testing`, and, as they land, commission, settlement,
attribution, risk and KPIs).

Examples:
    >>> import alliance as al
    >>> al.allocate(al.Money("100.00", "USD"), [1, 1, 1])
    [Money('33.34', 'USD'), Money('33.33', 'USD'), Money('33.33', 'USD')]
"""

from alliance import errors
from alliance._batch import allocate_minor, multiply_minor, rescale_minor
from alliance._currency import Currency, currencies, currency
from alliance._fx import FxRate, FxRates
from alliance._kernels import ROUNDING_MODES, RoundingMode
from alliance._models import (
    Click,
    Order,
    OrderLine,
    Partner,
    PartnerKind,
    PartnerStatus,
    Reversal,
    ReversalKind,
    Touchpoint,
    TouchpointKind,
)
from alliance._money import Money, allocate
from alliance._periods import (
    Period,
    PeriodKind,
    from_micros,
    period_index,
    period_of,
    periods_between,
    shift,
    to_micros,
)
from alliance._schedules import PayoutSchedule
from alliance._tables import (
    Clicks,
    Lines,
    Orders,
    Partners,
    Rejects,
    Reversals,
    Table,
    Touchpoints,
)

__version__ = "0.1.0"

__all__ = [
    "ROUNDING_MODES",
    "Click",
    "Clicks",
    "Currency",
    "FxRate",
    "FxRates",
    "Lines",
    "Money",
    "Order",
    "OrderLine",
    "Orders",
    "Partner",
    "PartnerKind",
    "PartnerStatus",
    "Partners",
    "PayoutSchedule",
    "Period",
    "PeriodKind",
    "Rejects",
    "Reversal",
    "ReversalKind",
    "Reversals",
    "RoundingMode",
    "Table",
    "Touchpoint",
    "TouchpointKind",
    "Touchpoints",
    "__version__",
    "allocate",
    "allocate_minor",
    "currencies",
    "currency",
    "errors",
    "from_micros",
    "multiply_minor",
    "period_index",
    "period_of",
    "periods_between",
    "rescale_minor",
    "shift",
    "to_micros",
]

# Exported objects report the public module in reprs and docs.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith("alliance._"):
        _value.__module__ = "alliance"
del _name, _value
