"""`screen`: every check and rule of a policy over a batch, made into decisions."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._tables import Clicks, Orders, Partners, Reversals
from alliance.risk._check_common import event_flags
from alliance.risk._compile import _attributes, compile_rule
from alliance.risk._decisions import Decisions, held_rows
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
    flags = _located(frame, Flags.concat(parts))
    allowed = _Allowlist(frame, policy)
    clicks_only = flags.where(subject="click")
    stopped = _stopped_clicks(frame, clicks_only, policy, allowed.flagged(clicks_only))
    flags = Flags.concat([flags, _won_by_discarded(frame, stopped)])
    order_flags = flags.where(subject="order")
    ignored = frozenset(policy.partner_share_ignores)
    counted = order_flags.take(
        np.fromiter(
            (c not in ignored for c in order_flags["code"].tolist()), bool, len(order_flags)
        )
    )
    held = held_rows(counted, policy, allowed.flagged(counted), frame.order_count)
    flags = Flags.concat([flags, _flagged_share(frame, held, policy)])
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


def _located(frame: Frame, flags: Flags) -> Flags:
    """The flags, each click and order flag knowing its row (a custom check may not say)."""
    rows = flags._rows.copy()
    unknown = rows < 0
    for subject in ("click", "order"):
        missing = np.flatnonzero(unknown & (flags["subject"] == subject))
        if missing.size:
            rows[missing] = frame.rows_of(subject, flags["id"][missing])
    return flags._located(rows)


def _stopped_clicks(
    frame: Frame, flags: Flags, policy: Policy, allowlisted: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Per click row, whether a decision would discard or block it (as `Decisions.build` does).

    A click is stopped when one of its reasons discards or blocks it and neither an allowlist
    nor an ``allow`` rule names it; the score can only raise a click to review.
    """
    stopped = np.zeros(frame.click_count, dtype=bool)
    if not len(flags):
        return stopped
    codes = flags["code"]
    words = set(codes.tolist())
    stopping = [c for c in words if STRICTNESS[policy.action_of(c)] >= STRICTNESS["discard_click"]]
    allowing = list(policy.allow_rules & words)
    rows = flags._rows
    known = rows >= 0
    stopped[rows[known & np.isin(codes, stopping)]] = True
    spared = allowlisted | np.isin(codes, allowing) if allowing else allowlisted
    stopped[rows[known & spared]] = False
    return stopped


def _won_by_discarded(frame: Frame, stopped: npt.NDArray[np.bool_]) -> Flags:
    """Orders whose winning click was discarded (or blocked)."""
    if frame.order_count == 0 or not stopped.any():
        return Flags.empty()
    won = frame.winning_click
    winners = np.flatnonzero(won >= 0)
    rows = winners[stopped[won[winners]]]
    return event_flags(
        frame,
        "order",
        rows,
        "won_by_discarded_click",
        observed=1.0,
        threshold=1.0,
        evidence=[(c,) for c in frame.click_ids(won[rows]).tolist()],
    )


def _flagged_share(frame: Frame, held: npt.NDArray[np.bool_], policy: Policy) -> Flags:
    """Partners with a large share of their orders held or blocked (``held``, per order)."""
    partner_codes = frame.order_partner
    credited = partner_codes >= 0
    if not (held & credited).any():
        return Flags.empty()
    partners = frame.partner_ids.size
    total = np.bincount(partner_codes[credited], minlength=partners)
    flagged = np.bincount(partner_codes[credited & held], minlength=partners)
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
