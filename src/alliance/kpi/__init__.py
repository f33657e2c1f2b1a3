"""KPIs: explicit metric definitions, grouped summaries, cohorts, customer value, lift, alerts.

Every metric has one definition, stated in its docstring with its basis. A metric whose
denominator is zero does not raise: a scalar gives `Undefined` (a NaN that says why) and a
vectorised metric gives NaN.

Examples:
    >>> from alliance import kpi
    >>> kpi.ratio(3, 0, "no clicks")
    Undefined('no clicks')
"""

from alliance.kpi._alerts import (
    Alert,
    AlertRule,
    Alerts,
    Direction,
    Skipped,
    change_alerts,
    cusum_alerts,
    ewma_alerts,
    threshold_alerts,
)
from alliance.kpi._bgnbd import BetaGeo
from alliance.kpi._budget import (
    Forecast,
    ForecastPeriod,
    Pace,
    PaceStatus,
    Pending,
    ReserveFund,
    forecast_payouts,
    pace,
    reserve_fund,
)
from alliance.kpi._clv import CustomerValues, customer_lifetime_value
from alliance.kpi._clv_fit import FitInfo
from alliance.kpi._clv_pareto import ParetoNBD
from alliance.kpi._cohorts import Cohorts, cohorts
from alliance.kpi._gamma import GammaGamma
from alliance.kpi._lift import (
    Contribution,
    Interval,
    Lift,
    LiftMethod,
    contribution,
    lift,
    wilson,
)
from alliance.kpi._metrics import (
    FunnelStep,
    aov,
    approval_rate,
    cac,
    commission_cost,
    conversion_rate,
    cost_of_sale,
    cpa,
    epc,
    epc_100,
    funnel,
    gmv,
    net_revenue,
    new_customer_share,
    nps,
    repeat_purchase_rate,
    revenue_epc,
    reversal_rate,
    roas,
    roi,
)
from alliance.kpi._ratio import Undefined, ratio, ratios
from alliance.kpi._rfm import RFMSummary, rfm_summary
from alliance.kpi._summary import METRICS, Summary, summary

__all__ = [
    "METRICS",
    "Alert",
    "AlertRule",
    "Alerts",
    "BetaGeo",
    "Cohorts",
    "Contribution",
    "CustomerValues",
    "Direction",
    "FitInfo",
    "Forecast",
    "ForecastPeriod",
    "FunnelStep",
    "GammaGamma",
    "Interval",
    "Lift",
    "LiftMethod",
    "Pace",
    "PaceStatus",
    "ParetoNBD",
    "Pending",
    "RFMSummary",
    "ReserveFund",
    "Skipped",
    "Summary",
    "Undefined",
    "aov",
    "approval_rate",
    "cac",
    "change_alerts",
    "cohorts",
    "commission_cost",
    "contribution",
    "conversion_rate",
    "cost_of_sale",
    "cpa",
    "customer_lifetime_value",
    "cusum_alerts",
    "epc",
    "epc_100",
    "ewma_alerts",
    "forecast_payouts",
    "funnel",
    "gmv",
    "lift",
    "net_revenue",
    "new_customer_share",
    "nps",
    "pace",
    "ratio",
    "ratios",
    "repeat_purchase_rate",
    "reserve_fund",
    "revenue_epc",
    "reversal_rate",
    "rfm_summary",
    "roas",
    "roi",
    "summary",
    "threshold_alerts",
    "wilson",
]

# Exported objects report the public module in reprs and docs.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith("alliance."):
        _value.__module__ = "alliance.kpi"
del _name, _value
