"""The options of `attribute`, checked once at the boundary, in domain words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, get_args

from alliance._tables import Clicks, Orders, Partners, Touchpoints
from alliance.attribution._rules import AttributionModel, parse_share
from alliance.commission._contracts import ContractBook, GroupTarget

__all__ = ["CouponMode", "Identity", "NonPartnerRule", "Options", "options_of"]

CouponMode = Literal["override", "click_first", "share"]
Identity = Literal["visitor", "customer"]
NonPartnerRule = Literal["ignore", "win"]

_DAY_US = 86_400_000_000


@dataclass(frozen=True, slots=True)
class Options:
    """The checked options of one `attribute` call."""

    model: AttributionModel
    reach: int  # µs: the window, or the longest cookie window of the book
    contract: bool
    coupons: CouponMode | None
    owners: dict[str, str]
    coupon_share: float
    identity: Identity
    links: list[tuple[str, str]]
    non_partner: frozenset[str]
    non_partner_rule: NonPartnerRule
    book: ContractBook | None
    partners: Partners | None


# -- validation ------------------------------------------------------------------------------


def _choice(value: Any, name: str, choices: tuple[Any, ...]) -> Any:
    if not isinstance(value, str | type(None)) or value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {shown}, got {value!r}")
    return value


def options_of(
    touchpoints: Any,
    orders: Any,
    *,
    model: Any,
    window: Any,
    coupons: Any,
    coupon_owners: Any,
    coupon_share: Any,
    identity: Any,
    links: Any,
    non_partner: Any,
    non_partner_rule: Any,
    book: Any,
    partners: Any,
) -> Options:
    if not isinstance(touchpoints, Touchpoints | Clicks):
        raise TypeError(
            "touchpoints must be an al.Touchpoints or al.Clicks table, got "
            f"{type(touchpoints).__name__}"
        )
    if not isinstance(orders, Orders):
        raise TypeError(f"orders must be an al.Orders table, got {type(orders).__name__}")
    if not isinstance(model, AttributionModel):
        raise TypeError(
            "model must be an AttributionModel (attribution.last_click(), linear(), ...), got "
            f"{type(model).__name__}"
        )
    if partners is not None and not isinstance(partners, Partners):
        raise TypeError(f"partners must be an al.Partners table, got {type(partners).__name__}")
    if book is not None and not isinstance(book, ContractBook):
        raise TypeError(f"book must be a commission.ContractBook, got {type(book).__name__}")
    contract = isinstance(window, str) and window == "contract"
    if contract:
        if book is None:
            raise ValueError(
                "window='contract' needs book= (a commission.ContractBook) to read each "
                "partner's cookie_days"
            )
        if partners is None and any(isinstance(c.applies_to, GroupTarget) for c in book):
            raise ValueError(
                "the contract book has group contracts; pass partners= so partner groups are known"
            )
        reach = max((c.cookie_days for c in book), default=0) * _DAY_US
    elif isinstance(window, timedelta):
        if window <= timedelta(0):
            raise ValueError(f"window must be positive, got {window}")
        if book is not None:
            raise ValueError("book= sets the windows only with window='contract'")
        reach = window // timedelta(microseconds=1)
    elif isinstance(window, str):
        raise ValueError(f"window must be a timedelta or 'contract', got {window!r}")
    else:
        raise TypeError(f"window must be a timedelta or 'contract', got {window!r}")
    mode = _choice(coupons, "coupons", (None, *get_args(CouponMode)))
    owners = _coupon_owners(coupon_owners, partners)
    if mode is not None and not owners:
        raise ValueError(
            f"coupons={mode!r} needs coupon owners: coupon_owners= (code to partner_id) or "
            "partners= with their coupon_codes"
        )
    share = float(parse_share(coupon_share, "coupon_share"))
    who = _choice(identity, "identity", get_args(Identity))
    bindings = _links(links)
    if bindings and who != "customer":
        raise ValueError("links= binds visitors to customers; it needs identity='customer'")
    if isinstance(non_partner, str):
        channels = frozenset([non_partner])
    elif isinstance(non_partner, Iterable):
        channels = frozenset(non_partner)
        if not all(isinstance(c, str) and c for c in channels):
            raise TypeError(
                f"non_partner must hold channel names, got {sorted(channels, key=repr)}"
            )
    else:
        raise TypeError(f"non_partner must be channel names, got {non_partner!r}")
    rule = _choice(non_partner_rule, "non_partner_rule", get_args(NonPartnerRule))
    return Options(
        model=model,
        reach=reach,
        contract=contract,
        coupons=mode,
        owners=owners,
        coupon_share=share,
        identity=who,
        links=bindings,
        non_partner=channels,
        non_partner_rule=rule,
        book=book,
        partners=partners,
    )


def _coupon_owners(given: Any, partners: Partners | None) -> dict[str, str]:
    if given is None:
        if partners is None:
            return {}
        owners: dict[str, str] = {}
        for partner_id, codes in zip(partners["partner_id"], partners["coupon_codes"], strict=True):
            for code in codes:
                owners[code] = partner_id
        return owners
    if not isinstance(given, Mapping):
        raise TypeError(
            f"coupon_owners must map coupon codes to partner ids, got {type(given).__name__}"
        )
    for code, owner in given.items():
        if not (isinstance(code, str) and code and isinstance(owner, str) and owner):
            raise TypeError(
                "coupon_owners must map coupon codes to partner ids (non-empty strings), got "
                f"{code!r}: {owner!r}"
            )
    return dict(given)


def _links(links: Any) -> list[tuple[str, str]]:
    if links is None:
        return []
    if isinstance(links, Mapping):
        pairs = list(links.items())
    elif isinstance(links, Iterable) and not isinstance(links, str):
        pairs = [tuple(pair) for pair in links]
    else:
        raise TypeError(f"links must map visitor ids to customer ids, got {links!r}")
    for pair in pairs:
        if len(pair) != 2 or not all(isinstance(v, str) and v for v in pair):
            raise TypeError(f"links must pair a visitor id with a customer id, got {pair!r}")
    return [(str(v), str(c)) for v, c in pairs]
