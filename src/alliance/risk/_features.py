"""The attributes a rule may name: per-event features, with their windows, batch and streaming.

Every feature belongs to one subject (an order or a click) and has a kind (number, text, flag).
Counting features trail their event over a named window: ``hourly`` (1 h), ``daily`` (24 h) or
``weekly`` (7 days), with the window semantics of `alliance.risk._windows`. Names follow one
pattern, so the registry can list them all:

- ``orders_per_<key>_<window>``: orders of the same key (ip, card, email, device, customer,
  partner, coupon, visitor) in the window, the order itself included;
- ``<values>_per_<key>_<window>``: distinct values (cards, emails, ips, devices, customers) of
  the key's orders in the window;
- ``clicks_per_<key>_<window>``: clicks of the same key (ip, device, visitor, partner,
  device_partner, ip_partner) in the window; ``partners_per_<key>_<window>``: distinct
  partners clicked from the key (ip, device, visitor);
- plain attributes of the event (``country``, ``partner_kind``, ``ctit_seconds`` …).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from alliance.risk._compile import AttributeSpec, Registry
from alliance.risk._events import ClickEvent, OrderEvent, TrailingWindow
from alliance.risk._frame import Frame, column_codes
from alliance.risk._language import Kind
from alliance.risk._windows import (
    HOUR,
    IntArray,
    pair_key,
    trailing_count,
    trailing_distinct,
    with_missing,
)

__all__ = [
    "FEATURES",
    "ORDER_KEYS",
    "WINDOWS",
    "Feature",
    "FeatureStream",
    "batch_features",
    "registry",
]

Window: TypeAlias = Literal["hourly", "daily", "weekly"]
Subject: TypeAlias = Literal["order", "click"]

#: Window names and their widths in microseconds.
WINDOWS: Mapping[Window, int] = {"hourly": HOUR, "daily": 24 * HOUR, "weekly": 7 * 24 * HOUR}


@dataclass(frozen=True)
class Feature:
    """A rule attribute: its subject, kind, window and meaning.

    Attributes:
        name: The attribute name used in rules (``:name:``).
        subject: ``"order"`` or ``"click"``: the events it describes.
        kind: ``"number"``, ``"text"`` or ``"flag"``.
        description: What it measures.
        window: The trailing window of a counting feature, else ``None``.
        key: The field events are grouped by (counting features).
        value: The field counted distinct (``None``: events are counted).
    """

    name: str
    subject: Subject
    kind: Kind
    description: str
    window: Window | None = None
    key: str | None = None
    value: str | None = None


#: Order keys: name in rules -> (orders column and `OrderEvent` attribute, Frame codes).
ORDER_KEYS: Mapping[str, tuple[str, str]] = {
    "ip": ("ip", "order_ip"),
    "card": ("payment_fingerprint", "order_card"),
    "email": ("email_hash", "order_email"),
    "device": ("device_id", "order_device"),
    "customer": ("customer_id", "order_customer"),
    "partner": ("partner_id", "order_partner"),
    "coupon": ("coupon_code", "order_coupon"),
    "visitor": ("visitor_id", "order_visitor"),
}
_ORDER_DISTINCT: tuple[tuple[str, str], ...] = (
    ("cards", "ip"),
    ("cards", "email"),
    ("cards", "device"),
    ("emails", "ip"),
    ("emails", "card"),
    ("ips", "card"),
    ("ips", "customer"),
    ("devices", "customer"),
    ("customers", "device"),
    ("customers", "ip"),
)
_PLURAL = {"cards": "card", "emails": "email", "ips": "ip", "devices": "device"}
_PLURAL["customers"] = "customer"
_CLICK_KEYS: tuple[str, ...] = (
    "ip",
    "device",
    "visitor",
    "partner",
    "device_partner",
    "ip_partner",
)
_CLICK_DISTINCT_KEYS: tuple[str, ...] = ("ip", "device", "visitor")


def _features() -> dict[str, Feature]:
    found: dict[str, Feature] = {}

    def add(feature: Feature) -> None:
        found[feature.name] = feature

    for window in WINDOWS:
        for key in ORDER_KEYS:
            add(
                Feature(
                    f"orders_per_{key}_{window}",
                    "order",
                    "number",
                    f"orders of the same {key} in the trailing {window} window",
                    window,
                    key,
                )
            )
        for values, key in _ORDER_DISTINCT:
            add(
                Feature(
                    f"{values}_per_{key}_{window}",
                    "order",
                    "number",
                    f"distinct {values} of the same {key}'s orders in the trailing {window} window",
                    window,
                    key,
                    _PLURAL[values],
                )
            )
        for key in _CLICK_KEYS:
            add(
                Feature(
                    f"clicks_per_{key}_{window}",
                    "click",
                    "number",
                    f"clicks of the same {key.replace('_', ' and ')} in the trailing {window} "
                    "window",
                    window,
                    key,
                )
            )
        for key in _CLICK_DISTINCT_KEYS:
            add(
                Feature(
                    f"partners_per_{key}_{window}",
                    "click",
                    "number",
                    f"distinct partners clicked from the same {key} in the trailing {window} "
                    "window",
                    window,
                    key,
                    "partner",
                )
            )
    plain = [
        ("ctit_seconds", "order", "number", "seconds from the winning click to the order"),
        ("has_click", "order", "flag", "whether a click of the order's partner won it"),
        ("is_new_customer", "order", "flag", "whether the order says the customer is new"),
        ("country", "order", "text", "the buyer's country"),
        ("currency", "order", "text", "the order's currency"),
        ("coupon_code", "order", "text", "the coupon code redeemed"),
        ("partner_id", "order", "text", "the partner credited with the order"),
        ("partner_kind", "order", "text", "the kind of that partner"),
        ("partner_group", "order", "text", "the commission group of that partner"),
        ("won_click_country", "order", "text", "the country of the winning click"),
        ("click_country", "click", "text", "the visitor's country"),
        ("click_partner_id", "click", "text", "the partner whose link was clicked"),
        ("click_partner_kind", "click", "text", "the kind of that partner"),
        ("click_user_agent", "click", "text", "the browser user agent"),
        ("click_sub_id", "click", "text", "the partner's own tracking parameter"),
    ]
    for name, subject, kind, description in plain:
        add(Feature(name, subject, kind, description))  # type: ignore[arg-type]
    return found


#: Every attribute rules may name, by name.
FEATURES: Mapping[str, Feature] = _features()


def registry(subject: Subject, lists: Mapping[str, Any] | None = None) -> Registry:
    """The rule registry of one subject's features, with some named lists."""
    return Registry(
        {
            name: AttributeSpec(feature.kind, feature.description)
            for name, feature in FEATURES.items()
            if feature.subject == subject
        },
        lists=lists,
    )


# --- batch ----------------------------------------------------------------------------------


def _click_key(frame: Frame, key: str) -> IntArray:
    if key == "ip":
        return frame.click_ip
    if key == "device":
        return frame.click_device
    if key == "visitor":
        return frame.click_visitor
    if key == "partner":
        return frame.click_partner
    if key == "device_partner":
        return pair_key(frame.click_device, frame.click_partner)
    return pair_key(frame.click_ip, frame.click_partner)


def _partner_text(frame: Frame, partner: IntArray, column: str) -> npt.NDArray[np.object_]:
    out = np.full(partner.size, None, dtype=object)
    if frame.partners is None:
        return out
    rows = np.where(partner >= 0, frame.partner_row[np.maximum(partner, 0)], -1)
    values = with_missing(np.asarray(frame.partners[column], dtype=object))
    out[:] = values[rows]
    return out


def _text(frame: Frame, table: Any, column: str) -> npt.NDArray[np.object_]:
    codes, categories = column_codes(table, column)
    values: npt.NDArray[np.object_] = with_missing(categories)[codes]
    return values


def _batch_feature(frame: Frame, feature: Feature) -> npt.NDArray[Any]:
    if feature.window is not None and feature.key is not None:
        width = WINDOWS[feature.window]
        if feature.subject == "order":
            key = getattr(frame, ORDER_KEYS[feature.key][1])
            ts = frame.order_ts
            value = None if feature.value is None else getattr(frame, ORDER_KEYS[feature.value][1])
        else:
            key = _click_key(frame, feature.key)
            ts = frame.click_ts
            value = None if feature.value is None else frame.click_partner
        counts = (
            trailing_count(key, ts, width)
            if value is None
            else trailing_distinct(key, value, ts, width)
        )
        return np.where(key >= 0, counts.astype(np.float64), np.nan)
    name = feature.name
    if name == "ctit_seconds":
        return frame.ctit
    if name == "has_click":
        return (frame.winning_click >= 0).astype(np.int8)
    if name == "is_new_customer":
        return np.asarray(frame.orders["is_new_customer"]) if frame.orders else np.empty(0)
    if name in ("country", "currency", "coupon_code", "partner_id"):
        return _text(frame, frame.orders, name)
    if name in ("partner_kind", "partner_group"):
        return _partner_text(frame, frame.order_partner, name.removeprefix("partner_"))
    if name == "won_click_country":
        countries = _text(frame, frame.clicks, "country")
        won = frame.winning_click
        return with_missing(countries)[np.where(won >= 0, won, -1)]
    if name == "click_partner_kind":
        return _partner_text(frame, frame.click_partner, "kind")
    return _text(frame, frame.clicks, name.removeprefix("click_"))


def batch_features(frame: Frame, names: set[str]) -> dict[str, npt.NDArray[Any]]:
    """The named features over the frame's orders or clicks, as rule columns."""
    return {name: _batch_feature(frame, FEATURES[name]) for name in sorted(names)}


# --- streaming ------------------------------------------------------------------------------

_CLICK_FIELDS: Mapping[str, Callable[[ClickEvent], Hashable]] = {
    "ip": lambda c: c.ip,
    "device": lambda c: c.device_id,
    "visitor": lambda c: c.visitor_id,
    "partner": lambda c: c.partner_id,
    "device_partner": lambda c: None if c.device_id is None else (c.device_id, c.partner_id),
    "ip_partner": lambda c: None if c.ip is None else (c.ip, c.partner_id),
}


class FeatureStream:
    """The named features, one event at a time (the streaming twin of `batch_features`).

    Args:
        names: Feature names, all of one subject.
        partner_kinds: Partner id to kind.
        partner_groups: Partner id to group.
    """

    def __init__(
        self,
        names: set[str],
        *,
        partner_kinds: Mapping[str, str | None],
        partner_groups: Mapping[str, str | None],
    ) -> None:
        self.features = [FEATURES[name] for name in sorted(names)]
        self.windows = {
            f.name: TrailingWindow(WINDOWS[f.window]) for f in self.features if f.window is not None
        }
        self.partner_kinds = partner_kinds
        self.partner_groups = partner_groups

    def _counted(self, feature: Feature, key: Hashable, ts: int, value: Hashable) -> float:
        if key is None:
            return math.nan
        count, distinct = self.windows[feature.name].add(key, ts, value)
        return float(count if feature.value is None else distinct)

    def order(self, event: OrderEvent) -> dict[str, Any]:
        """The features of an order (and the windows updated with it)."""
        out: dict[str, Any] = {}
        for feature in self.features:
            if feature.window is not None and feature.key is not None:
                key = getattr(event, ORDER_KEYS[feature.key][0])
                value = (
                    None if feature.value is None else getattr(event, ORDER_KEYS[feature.value][0])
                )
                out[feature.name] = self._counted(feature, key, event.ts, value)
            else:
                out[feature.name] = self._plain_order(feature.name, event)
        return out

    def _plain_order(self, name: str, event: OrderEvent) -> Any:
        if name == "ctit_seconds":
            return event.ctit
        if name == "has_click":
            return 1 if event.won is not None else 0
        if name == "is_new_customer":
            return -1 if event.is_new_customer is None else int(event.is_new_customer)
        if name == "partner_kind":
            return self.partner_kinds.get(event.partner_id or "")
        if name == "partner_group":
            return self.partner_groups.get(event.partner_id or "")
        if name == "won_click_country":
            return None if event.won is None else event.won.country
        return getattr(event, name)

    def click(self, event: ClickEvent) -> dict[str, Any]:
        """The features of a click (and the windows updated with it)."""
        out: dict[str, Any] = {}
        for feature in self.features:
            if feature.window is not None and feature.key is not None:
                key = _CLICK_FIELDS[feature.key](event)
                value = None if feature.value is None else event.partner_id
                out[feature.name] = self._counted(feature, key, event.ts, value)
            elif feature.name == "click_partner_kind":
                out[feature.name] = self.partner_kinds.get(event.partner_id)
            else:
                out[feature.name] = getattr(event, feature.name.removeprefix("click_"))
        return out

    def sweep(self, now: int) -> None:
        """Forget the keys whose windows have all expired."""
        for window in self.windows.values():
            window.sweep(now)
