"""The public names are pinned: adding or removing one is a deliberate change made here."""

import importlib
import subprocess
import sys

import pytest

PUBLIC = {
    "alliance": [
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
    ],
    "alliance.commission": [
        "Add",
        "Adjustment",
        "AppliesTo",
        "BasePolicy",
        "Bonus",
        "Branch",
        "Cap",
        "Commission",
        "CommissionLine",
        "CommissionState",
        "CommissionTable",
        "Condition",
        "Contract",
        "ContractBook",
        "DefaultTarget",
        "Flat",
        "Floor",
        "GroupTarget",
        "Guarantee",
        "Multiplier",
        "Override",
        "PartnerDiff",
        "PartnerTarget",
        "PerClick",
        "PerLead",
        "Percent",
        "Recurring",
        "Rule",
        "Tier",
        "Tiered",
        "When",
        "Window",
        "add",
        "bonus",
        "cap",
        "case",
        "close_period",
        "compute",
        "default",
        "evaluate",
        "explain",
        "flat",
        "floor",
        "group",
        "guarantee",
        "multiplier",
        "override",
        "partner",
        "per_click",
        "per_lead",
        "percent",
        "recurring",
        "simulate",
        "tiered",
        "when",
    ],
    "alliance.attribution": [
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
    ],
    "alliance.datasets": [
        "CurrencyTotal",
        "PartnerCounts",
        "Program",
        "ProgramSummary",
        "RateRange",
        "ReversalTotal",
        "supported_currencies",
        "synthetic_program",
    ],
    "alliance.settlement": [
        "Action",
        "Entry",
        "EntryKind",
        "MemoryStore",
        "Movements",
        "SQLiteStore",
        "Settlement",
        "Statement",
        "Store",
        "account",
        "check_balanced",
        "export",
        "settle",
        "to_records",
        "write_csv",
        "write_json",
        "write_parquet",
    ],
    "alliance.testing": ["strategies"],
    "alliance.testing.strategies": [
        "clicks",
        "clicks_tables",
        "currencies",
        "currency_codes",
        "fx_rates",
        "ids",
        "lines_tables",
        "money",
        "order_lines",
        "orders",
        "orders_tables",
        "partners",
        "partners_tables",
        "payout_schedules",
        "periods",
        "reversals",
        "reversals_tables",
        "timestamps",
        "touchpoints",
        "touchpoints_tables",
    ],
    "alliance.errors": [
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
        "SettlementError",
        "TimezoneError",
    ],
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_all_is_pinned(module_name: str) -> None:
    module = importlib.import_module(module_name)
    # Sorting of __all__ itself is enforced by ruff (RUF022).
    assert list(module.__all__) == PUBLIC[module_name]
    for name in module.__all__:
        assert hasattr(module, name), name


def test_exported_classes_report_the_public_module() -> None:
    import alliance as al

    assert al.Money.__module__ == "alliance"
    assert al.Orders.__module__ == "alliance"
    assert repr(al.Orders) == "<class 'alliance.Orders'>"


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        ("CurrencyError", ValueError),
        ("CurrencyMismatch", ValueError),
        ("InvalidAmount", ValueError),
        ("FloatNotAllowed", TypeError),
        ("MoneyOverflow", OverflowError),
        ("MissingRate", LookupError),
        ("TimezoneError", ValueError),
        ("DataError", ValueError),
        ("ContractError", ValueError),
        ("SettlementError", ValueError),
        ("MissingDependency", ImportError),
    ],
)
def test_errors_refine_builtins(error: str, builtin: type[Exception]) -> None:
    from alliance import errors

    cls = getattr(errors, error)
    assert issubclass(cls, errors.AllianceError)
    assert issubclass(cls, builtin)


def test_import_is_light() -> None:
    heavy = ["pandas", "polars", "pyarrow", "scipy", "matplotlib", "narwhals", "hypothesis"]
    code = f"import sys, alliance\nprint(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
