"""Contracts: versioned, effective-dated terms, and the book that picks the one in force."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from alliance._fields import CurrencyCode
from alliance._frames import optional_import
from alliance._kernels import RoundingMode
from alliance._memo import IdentityCache
from alliance._money import Money
from alliance._periods import PeriodKind, require_aware, to_micros, zone
from alliance.commission._rules import Override, PerClick, Rule, top_level, walk
from alliance.errors import ContractError

__all__ = [
    "AppliesTo",
    "BasePolicy",
    "Contract",
    "ContractBook",
    "DefaultTarget",
    "GroupTarget",
    "PartnerTarget",
    "default",
    "group",
    "in_force_us",
    "partner",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PartnerTarget(_Frozen):
    """Terms for one partner: the most specific."""

    kind: Literal["partner"] = "partner"
    partner_id: str

    def describe(self) -> str:
        """In words."""
        return f"partner {self.partner_id}"


class GroupTarget(_Frozen):
    """Terms for a partner group."""

    kind: Literal["group"] = "group"
    group: str

    def describe(self) -> str:
        """In words."""
        return f"group {self.group}"


class DefaultTarget(_Frozen):
    """The programme's default terms: the least specific."""

    kind: Literal["default"] = "default"

    def describe(self) -> str:
        """In words."""
        return "the programme default"


AppliesTo = Annotated[PartnerTarget | GroupTarget | DefaultTarget, Field(discriminator="kind")]

_SPECIFICITY = {"partner": 0, "group": 1, "default": 2}


def partner(partner_id: str) -> PartnerTarget:
    """Terms for one partner."""
    return PartnerTarget(partner_id=partner_id)


def group(name: str) -> GroupTarget:
    """Terms for a partner group."""
    return GroupTarget(group=name)


def default() -> DefaultTarget:
    """The programme's default terms."""
    return DefaultTarget()


class BasePolicy(_Frozen):
    """What the commission base is made of, when the order carries the parts.

    The order amount is what the customer paid, with tax and shipping included and discounts
    already taken off. By default tax and shipping are excluded from the base and discounts
    stay off it (the base is the net merchandise value).

    Attributes:
        tax: ``exclude`` takes the order's tax out of the base.
        shipping: ``exclude`` takes the order's shipping out of the base.
        discount: ``include`` adds the order's discount back (commission on the list price).
    """

    tax: Literal["exclude", "include"] = "exclude"
    shipping: Literal["exclude", "include"] = "exclude"
    discount: Literal["exclude", "include"] = "exclude"


class Contract(_Frozen):
    """One version of a partner contract.

    Attributes:
        id: Contract identifier; versions share it.
        version: Version number, from 1.
        applies_to: Whom the terms cover: `partner`, `group` or `default`.
        currency: Currency commission is computed and paid in.
        timezone: Programme time zone: periods and tiers follow its calendar.
        plan: The rule tree.
        effective_from: First instant the version is in force.
        effective_to: First instant it no longer is (``None``: open-ended).
        base: Commission base policy.
        hold_days: Days a commission is held before approval.
        cookie_days: Attribution window after a click.
        minimum_payout: Balance below which payment is carried forward.
        rounding: Rounding mode for the one rounding of each order's commission.
        rate_lock: Terms in force at order time (default) or at click time.
        reversed_volume: At period close, whether reversed sales leave the volume that tiers
            and bonuses are measured on (``"excluded"``, the default) or still count
            (``"counted"``). Their commission is reversed either way.
        period: Settlement period that commission rows are labelled with.
        name: Optional display name.
    """

    id: str = Field(min_length=1)
    version: int = Field(ge=1)
    applies_to: AppliesTo
    currency: CurrencyCode
    timezone: str
    plan: Rule
    effective_from: AwareDatetime
    effective_to: AwareDatetime | None = None
    base: BasePolicy = BasePolicy()
    hold_days: int = Field(default=30, ge=0)
    cookie_days: int = Field(default=30, ge=0)
    minimum_payout: Money | None = None
    rounding: RoundingMode = "half_even"
    rate_lock: Literal["order", "click"] = "order"
    reversed_volume: Literal["excluded", "counted"] = "excluded"
    period: PeriodKind = "month"
    name: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("period")
    @classmethod
    def _calendar(cls, value: str) -> str:
        if value == "custom":
            raise ValueError("a contract's period is day, week, month, quarter or year")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError(
                f"effective_to {self.effective_to.isoformat()} is not after effective_from "
                f"{self.effective_from.isoformat()}"
            )
        for kind in (PerClick, Override):
            placed = top_level(self.plan, kind)
            for node in walk(self.plan):
                if isinstance(node, kind) and not any(node is p for p in placed):
                    raise ValueError(
                        f"{node.kind} pays outside the order's lines, so it belongs at the top "
                        "of the plan or directly inside a top-level add()"
                    )
        for node in walk(self.plan):
            for money in _money_of(node):
                if not money.is_whole():
                    raise ValueError(
                        f"plan amount {money} is finer than {money.currency}'s minor unit"
                    )
                if money.currency != self.currency:
                    raise ValueError(
                        f"plan amount {money} is not in the contract currency {self.currency}"
                    )
        if self.minimum_payout is not None and self.minimum_payout.currency != self.currency:
            raise ValueError(
                f"minimum_payout {self.minimum_payout} is not in the contract currency "
                f"{self.currency}"
            )
        return self

    @property
    def label(self) -> str:
        """``id v<version>``."""
        return f"{self.id} v{self.version}"

    def in_force(self, at: datetime) -> bool:
        """Whether this version is in force at an instant."""
        instant = require_aware(at, name="at")
        return self.effective_from <= instant and (
            self.effective_to is None or instant < self.effective_to
        )


def in_force_us(contract: Contract) -> tuple[int, int | None]:
    """When a version is in force, as µs since the epoch: ``[effective_from, effective_to)``."""
    return _IN_FORCE.get(contract, _in_force_us)


def _in_force_us(contract: Contract) -> tuple[int, int | None]:
    end = contract.effective_to
    return to_micros(contract.effective_from), None if end is None else to_micros(end)


_IN_FORCE = IdentityCache()
_USES_GROUPS = IdentityCache()


def _money_of(node: Any) -> list[Money]:
    found = []
    for name in ("amount", "per_line", "per_order", "per_period", "minimum"):
        value = getattr(node, name, None)
        if isinstance(value, Money):
            found.append(value)
    return found


@contextmanager
def _contract_errors() -> Iterator[None]:
    """Let a book's own `ContractError` out of pydantic's `ValidationError` wrapper."""
    try:
        yield
    except ValidationError as error:
        for detail in error.errors():
            cause = (detail.get("ctx") or {}).get("error")
            if isinstance(cause, ContractError):
                raise cause from None
        raise


def _overlap(a: Contract, b: Contract) -> bool:
    a_end, b_end = a.effective_to, b.effective_to
    return (b_end is None or a.effective_from < b_end) and (
        a_end is None or b.effective_from < a_end
    )


def _target_key(contract: Contract) -> tuple[str, str]:
    target = contract.applies_to
    if isinstance(target, PartnerTarget):
        return ("partner", target.partner_id)
    if isinstance(target, GroupTarget):
        return ("group", target.group)
    return ("default", "")


class ContractBook(_Frozen):
    """Every contract version of a programme, validated together.

    A book refuses two versions of one contract in force at the same time, two versions with
    the same number, and two different contracts for the same target in force at the same
    time (which would make precedence ambiguous). For an order, the most specific contract in
    force at the order's time wins: partner, then group, then the programme default. Editing
    terms never re-prices history: a new version with a later ``effective_from`` does.

    Raises:
        ContractError: Overlapping versions or ambiguous precedence, naming the contracts.
    """

    contracts: tuple[Contract, ...]

    def __init__(self, contracts: Iterable[Contract] = (), /, **data: Any) -> None:
        with _contract_errors():
            if "contracts" not in data:
                data["contracts"] = tuple(contracts)
            super().__init__(**data)

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> ContractBook:
        """Validate a book from plain data; book-level conflicts raise `ContractError`."""
        with _contract_errors():
            return super().model_validate(obj, **options)

    @classmethod
    def model_validate_json(  # type: ignore[override]
        cls, json_data: str | bytes, **options: Any
    ) -> ContractBook:
        """Validate a book from JSON; book-level conflicts raise `ContractError`."""
        with _contract_errors():
            return super().model_validate_json(json_data, **options)

    @model_validator(mode="after")
    def _coherent(self) -> ContractBook:
        by_id: dict[str, list[Contract]] = {}
        for contract in self.contracts:
            by_id.setdefault(contract.id, []).append(contract)
        for contract_id, versions in by_id.items():
            numbers = [v.version for v in versions]
            if len(set(numbers)) != len(numbers):
                raise ContractError(f"contract {contract_id!r} has version numbers {numbers}")
            ordered = sorted(versions, key=lambda v: v.effective_from)
            for earlier, later in pairwise(ordered):
                if _overlap(earlier, later):
                    raise ContractError(
                        f"versions {earlier.label} and {later.label} overlap: both are in force "
                        f"at {later.effective_from.isoformat()}"
                    )
                if later.version < earlier.version:
                    raise ContractError(
                        f"{later.label} takes effect after {earlier.label}; later versions "
                        "need higher numbers"
                    )
        by_target: dict[tuple[str, str], list[Contract]] = {}
        for contract in self.contracts:
            by_target.setdefault(_target_key(contract), []).append(contract)
        for contracts in by_target.values():
            for position, first in enumerate(contracts):
                for second in contracts[position + 1 :]:
                    if first.id != second.id and _overlap(first, second):
                        raise ContractError(
                            f"ambiguous precedence: {first.label} and {second.label} both apply "
                            f"to {first.applies_to.describe()} at "
                            f"{max(first.effective_from, second.effective_from).isoformat()}"
                        )
        return self

    def __iter__(self) -> Any:
        return iter(self.contracts)

    def __len__(self) -> int:
        return len(self.contracts)

    def resolve(
        self, partner_id: str, *, at: datetime, group: str | None = None
    ) -> Contract | None:
        """The contract version that applies to a partner at an instant, if any."""
        instant = require_aware(at, name="at")
        best: Contract | None = None
        for contract in self.contracts:
            target = contract.applies_to
            if isinstance(target, PartnerTarget) and target.partner_id != partner_id:
                continue
            if isinstance(target, GroupTarget) and target.group != group:
                continue
            if not contract.in_force(instant):
                continue
            if best is None or _SPECIFICITY[target.kind] < _SPECIFICITY[best.applies_to.kind]:
                best = contract
        return best

    def uses_groups(self) -> bool:
        """Whether any contract targets a group or any plan looks at partner groups."""
        return _USES_GROUPS.get(self, _uses_groups)

    def to_yaml(self) -> str:
        """The book as YAML (needs PyYAML)."""
        yaml = optional_import("yaml", "ContractBook.to_yaml")
        text: str = yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)
        return text

    @classmethod
    def from_yaml(cls, text: str) -> ContractBook:
        """A book from YAML written by `to_yaml` (needs PyYAML)."""
        yaml = optional_import("yaml", "ContractBook.from_yaml")
        return cls.model_validate(yaml.safe_load(text))

    def versions(self, contract_id: str) -> Sequence[Contract]:
        """The versions of one contract, oldest first."""
        found = sorted(
            (c for c in self.contracts if c.id == contract_id), key=lambda c: c.effective_from
        )
        if not found:
            raise KeyError(f"no contract {contract_id!r} in the book")
        return found


def _uses_groups(book: ContractBook) -> bool:
    for contract in book.contracts:
        if isinstance(contract.applies_to, GroupTarget):
            return True
        for node in walk(contract.plan):
            if getattr(node, "kind", None) == "multiplier":
                return True
            if getattr(node, "kind", None) == "when" and any(
                b.condition.group is not None for b in node.branches
            ):
                return True
    return False
