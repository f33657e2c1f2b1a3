"""`screen`: every check and rule of a policy over a batch, made into decisions."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._tables import Clicks, Orders, Partners, Reversals
from alliance.risk._check_common import event_flags
from alliance.risk._compile import _attributes, compile_rule
from alliance.risk._decisions import Decisions
from alliance.risk._features import batch_features, registry
from alliance.risk._flags import Flags, Subject
from alliance.risk._frame import Frame, column_codes
from alliance.risk._policy import (
    CLICK_ALLOW_FIELDS,
    ORDER_ALLOW_FIELDS,
    STRICTNESS,
    Policy,
    rule_subject,
)
from alliance.risk._windows import with_missing

__all__ = ["rule_flags", "screen"]

_DAY_US = 86_400_000_000

_ORDER_ALLOW = tuple(f for f in ORDER_ALLOW_FIELDS if f != "partner_id")


def screen(
    *,
    orders: Orders | None = None,
    clicks: Clicks | None = None,
    partners: Partners | None = None,
    reversals: Reversals | None = None,
    policy: Policy | None = None,
) -> Decisions:
    """Screen a batch: run the policy's checks and rules and decide on every flagged subject.

    Checks whose tables are not given are skipped. After the checks, two screening reasons
    join theirs: an order whose winning click was discarded gets ``won_by_discarded_click``,
    and a partner with at least ``policy.partner_share`` of its orders held or blocked (and at
    least ``policy.partner_min_orders`` of them) gets ``flagged_share`` (reasons in
    ``policy.partner_share_ignores`` do not count).

    Args:
        orders: Orders to screen.
        clicks: Clicks to screen (and to find each order's winning click in).
        partners: Partners: identities, kinds and exclusive codes.
        reversals: Reversals of the orders, for the reversal checks.
        policy: The policy; `Policy.default` when omitted.

    Returns:
        The `Decisions`, with every flag.

    Raises:
        TypeError: A table or the policy of the wrong type.
        DataError: A check's input column holds bad values (the rows are listed).
    """
    if policy is None:
        policy = Policy.default()
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a risk.Policy, got {type(policy).__name__}")
    frame = Frame(
        orders=orders,
        clicks=clicks,
        partners=partners,
        reversals=reversals,
        lookback_us=policy.lookback_days * _DAY_US,
    )
    parts = [
        check.run(frame)
        for check in policy.checks
        if all(getattr(frame, name) is not None for name in check.needs)
    ]
    parts.append(rule_flags(frame, policy))
    flags = Flags.concat(parts)
    allowed = _Allowlist(frame, policy)
    clicks_only = flags.where(subject="click")
    stopped = _stopped_clicks(clicks_only, policy, allowed.flagged(clicks_only))
    flags = Flags.concat([flags, _won_by_discarded(frame, stopped)])
    order_flags = flags.where(subject="order")
    counted = order_flags.take(~np.isin(order_flags["code"], list(policy.partner_share_ignores)))
    order_decisions = Decisions.build(counted, policy, allowlisted=allowed.flagged(counted))
    flags = Flags.concat([flags, _flagged_share(frame, order_decisions, policy)])
    screened: dict[Subject, int] = {
        "order": frame.order_count,
        "click": frame.click_count,
        "partner": int(frame.partner_ids.size),
        "coupon": int(frame.coupon_codes.size),
    }
    order_partner = (
        frame.order_ids(),
        with_missing(frame.partner_ids)[frame.order_partner],
    )
    return Decisions.build(
        flags,
        policy,
        allowlisted=allowed.flagged(flags),
        screened=screened,
        order_partner=order_partner,
    )


class _Allowlist:
    """Which flagged subjects an allowlist of the policy names."""

    def __init__(self, frame: Frame, policy: Policy) -> None:
        allow = policy.allow
        self.partners = frozenset(allow.get("partner_id", ()))
        self.coupons = frozenset(allow.get("coupon_code", ()))
        self.orders = _listed_ids(frame, frame.orders, "order_id", _ORDER_ALLOW, allow)
        self.clicks = _listed_ids(frame, frame.clicks, "click_id", CLICK_ALLOW_FIELDS, allow)

    def flagged(self, flags: Flags) -> npt.NDArray[np.bool_]:
        if not len(flags):
            return np.zeros(0, dtype=bool)
        partner = flags["partner_id"]
        subject = flags["subject"]
        ids = flags["id"]
        listed = (
            np.isin(partner, list(self.partners)) if self.partners else np.zeros(len(flags), bool)
        )
        for name, members in (
            ("order", self.orders),
            ("click", self.clicks),
            ("coupon", self.coupons),
            ("partner", self.partners),
        ):
            if members:
                mine = subject == name
                listed[mine] |= np.isin(ids[mine], list(members))
        return np.asarray(listed, dtype=bool)


def _listed_ids(
    frame: Frame,
    table: Any,
    id_column: str,
    fields: tuple[str, ...],
    allow: dict[Any, tuple[str, ...]],
) -> frozenset[str]:
    if table is None or not any(allow.get(f) for f in fields):
        return frozenset()
    listed = np.zeros(len(table), dtype=bool)
    for field in fields:
        members = allow.get(field)
        if not members:
            continue
        codes, categories = column_codes(table, field)
        wanted = np.append(np.isin(categories.astype(str), list(members)), False)
        listed |= wanted[codes]
    ids = _decoded(table, id_column, listed)
    return frozenset(ids)


def _decoded(table: Any, column: str, mask: npt.NDArray[np.bool_]) -> list[str]:
    codes, categories = column_codes(table, column)
    values: list[str] = categories[codes[mask]].tolist()
    return values


def rule_flags(frame: Frame, policy: Policy) -> Flags:
    """The flags of the policy's rules over the frame's orders and clicks."""
    parts = []
    cache: dict[str, npt.NDArray[Any]] = {}
    for named in policy.rules:
        parsed = named.parsed
        subject = rule_subject(parsed)
        size = frame.order_count if subject == "order" else frame.click_count
        table = frame.orders if subject == "order" else frame.clicks
        if table is None or size == 0:
            continue
        needed = _attributes(parsed.condition) - set(cache)
        cache.update(batch_features(frame, needed))
        matches = compile_rule(parsed, registry(subject, policy.lists))(cache)
        rows = np.flatnonzero(matches)
        parts.append(
            event_flags(
                frame,
                subject,
                rows,
                named.name,
                observed=1.0,
                threshold=1.0,
                evidence=[(parsed.text,)] * rows.size,
                check="rules",
            )
        )
    return Flags.concat(parts)


def _stopped_clicks(
    flags: Flags, policy: Policy, allowlisted: npt.NDArray[np.bool_]
) -> frozenset[str]:
    """Ids of the clicks a decision would discard or block (what `Decisions.build` decides).

    A click is stopped when one of its reasons discards or blocks it and neither an allowlist
    nor an ``allow`` rule names it; the score can only raise a click to review.
    """
    if not len(flags):
        return frozenset()
    codes = flags["code"]
    stopping = [
        code
        for code in np.unique(codes.astype(str)).tolist()
        if STRICTNESS[policy.action_of(code)] >= STRICTNESS["discard_click"]
    ]
    ids = flags["id"]
    spared = set(ids[allowlisted].tolist())
    if policy.allow_rules:
        spared |= set(ids[np.isin(codes, list(policy.allow_rules))].tolist())
    return frozenset(ids[np.isin(codes, stopping)].tolist()) - spared


def _won_by_discarded(frame: Frame, stopped_ids: frozenset[str]) -> Flags:
    """Orders whose winning click was discarded (or blocked)."""
    if frame.order_count == 0 or not stopped_ids:
        return Flags.empty()
    # Only winning clicks matter: look their ids up, not every click's.
    won = frame.winning_click
    winners = np.flatnonzero(won >= 0)
    hit = [click in stopped_ids for click in frame.click_ids(won[winners]).tolist()]
    rows = winners[np.array(hit, dtype=bool)] if winners.size else winners
    return event_flags(
        frame,
        "order",
        rows,
        "won_by_discarded_click",
        observed=1.0,
        threshold=1.0,
        evidence=[(c,) for c in frame.click_ids(won[rows]).tolist()],
    )


def _flagged_share(frame: Frame, order_decisions: Decisions, policy: Policy) -> Flags:
    """Partners with a large share of their orders held or blocked."""
    if frame.order_count == 0 or len(order_decisions) == 0:
        return Flags.empty()
    held = np.array([STRICTNESS[a] > 0 for a in order_decisions["action"].tolist()], dtype=bool)
    partner_codes = frame.order_partner
    total = np.bincount(partner_codes[partner_codes >= 0], minlength=frame.partner_ids.size)
    held_partner = order_decisions["partner_id"][held]
    flagged = np.zeros(frame.partner_ids.size, dtype=np.int64)
    known = held_partner != None  # noqa: E711 - object array comparison
    positions = np.searchsorted(frame.partner_ids.astype(str), held_partner[known].astype(str))
    np.add.at(flagged, positions, 1)
    share = np.divide(flagged, total, out=np.zeros(flagged.size), where=total > 0)
    hit = np.flatnonzero((share >= policy.partner_share) & (flagged >= policy.partner_min_orders))
    return Flags.of(
        "partner",
        frame.partner_ids[hit],
        "flagged_share",
        observed=share[hit],
        threshold=policy.partner_share,
        evidence=[(f"{flagged[p]} of {total[p]} orders",) for p in hit.tolist()],
        partner_id=frame.partner_ids[hit],
    )
