"""`Screener`: the policy's event-level checks and rules, one click or order at a time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from alliance._models import Click, Order
from alliance._periods import aware_micros
from alliance._tables import Partners
from alliance.risk._check_identity import normalise_email
from alliance.risk._compile import _attributes, compile_one
from alliance.risk._decisions import Decision, decide
from alliance.risk._events import (
    NO_EXTRAS,
    ClickEvent,
    OrderEvent,
    Stream,
    StreamContext,
    flag,
)
from alliance.risk._features import FeatureStream, registry
from alliance.risk._flags import Flag
from alliance.risk._policy import (
    CLICK_ALLOW_FIELDS,
    ORDER_ALLOW_FIELDS,
    STRICTNESS,
    Policy,
    rule_subject,
)

__all__ = ["Screener"]

_DAY_US = 86_400_000_000
_CLICK_FIELDS = frozenset(Click.model_fields)
_ORDER_FIELDS = frozenset(Order.model_fields)


def _context(partners: Partners | None, lookback_us: int) -> StreamContext:
    if partners is None:
        return StreamContext(lookback_us=lookback_us)
    if not isinstance(partners, Partners):
        raise TypeError(f"partners must be an al.Partners table, got {type(partners).__name__}")
    ids = partners["partner_id"].tolist()

    def holders(column: str, normal: Callable[[str], str] = str) -> dict[str, tuple[str, ...]]:
        if column not in partners:
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for partner_id, value in zip(ids, partners[column].tolist(), strict=True):
            key = None if value is None else normal(str(value))
            if key and partner_id not in out.get(key, ()):
                out[key] = (*out.get(key, ()), partner_id)
        return out

    owners = {
        code: partner_id
        for partner_id, tags in zip(ids, partners["coupon_codes"].tolist(), strict=True)
        for code in tags or ()
    }
    return StreamContext(
        partner_emails=holders("email_hash"),
        partner_cards=holders("payment_fingerprint"),
        partner_ips=holders("ip"),
        partner_devices=holders("device_id"),
        partner_addresses=holders("email", normalise_email),
        coupon_owner=owners,
        lookback_us=lookback_us,
    )


#: A click as a plain tuple: the fields of `ClickEvent` in order, extras ``None`` when empty.
_Packed = tuple[Any, ...]


def _packed(event: ClickEvent) -> _Packed:
    extras = None if event.extras is NO_EXTRAS else event.extras
    return (
        event.click_id,
        event.ts,
        event.partner_id,
        event.visitor_id,
        event.ip,
        event.device_id,
        event.user_agent,
        event.country,
        extras,
    )


def _unpacked(packed: _Packed) -> ClickEvent:
    event = ClickEvent(*packed[:8])
    if packed[8] is not None:
        event.extras = packed[8]
    return event


class _RuleSet:
    """The rules of one subject, evaluated on one event's features."""

    def __init__(self, policy: Policy, subject: str, kinds: Mapping[str, Any]) -> None:
        chosen = [r for r in policy.rules if rule_subject(r.parsed) == subject]
        reg = registry("order" if subject == "order" else "click", policy.lists)
        self.rules = [(r.name, r.parsed.text, compile_one(r.parsed, reg)) for r in chosen]
        names: set[str] = set()
        for named in chosen:
            names |= _attributes(named.parsed.condition)
        self.features = (
            FeatureStream(names, partner_kinds=kinds["kind"], partner_groups=kinds["group"])
            if names
            else None
        )

    def matched(
        self, subject: Any, id: str, partner_id: str | None, values: Mapping[str, Any]
    ) -> list[Flag]:
        """A flag per rule the event's features match."""
        return [
            Flag(subject, id, name, "rules", 1.0, 1.0, float("nan"), (text,), partner_id)
            for name, text, matches in self.rules
            if matches(values)
        ]


class Screener:
    """Screen clicks and orders one at a time, as a service sees them.

    The screener runs the policy's event-level checks (those that judge an event from the
    past alone) and its rules, and returns a `Decision` per event. Feed events in time order,
    and at the same instant clicks before orders: then the screener decides exactly as
    `screen` does on a batch of the same events. Checks that compare partners with their
    peers, and the ``flagged_share`` of a partner, need the whole batch and run in `screen`
    only. Memory is bounded: a window forgets what has left it, and each ``sweep_every``
    events expired keys are dropped.

    Args:
        policy: The policy; `Policy.default` when omitted.
        partners: Partners, for self-referral, exclusive codes and kinds.
        sweep_every: How many events between sweeps of expired state.

    Raises:
        TypeError: The policy or partners of the wrong type.

    Examples:
        >>> from datetime import datetime, timezone
        >>> import alliance as al
        >>> from alliance import risk
        >>> screener = risk.Screener()
        >>> t = datetime(2026, 10, 1, 12, tzinfo=timezone.utc)
        >>> screener.click(al.Click(click_id="c1", ts=t, partner_id="p1", visitor_id="v1")).action
        'allow'
        >>> decision = screener.order(al.Order(
        ...     order_id="o1", ts=t.replace(second=4), amount="20.00", currency="USD",
        ...     visitor_id="v1", partner_id="p1"))
        >>> decision.action, decision.codes
        ('block', ('ctit_too_short',))
    """

    def __init__(
        self,
        policy: Policy | None = None,
        *,
        partners: Partners | None = None,
        sweep_every: int = 100_000,
    ) -> None:
        if policy is None:
            policy = Policy.default()
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be a risk.Policy, got {type(policy).__name__}")
        if sweep_every < 1:
            raise ValueError(f"sweep_every must be at least 1, got {sweep_every}")
        self.policy = policy
        self.lookback_us = policy.lookback_days * _DAY_US
        context = _context(partners, self.lookback_us)
        self._streams: list[Stream] = [
            stream for check in policy.checks if (stream := check.stream(context)) is not None
        ]
        # Only the streams that judge clicks (orders) are called for one.
        self._click_streams = [s for s in self._streams if type(s).click is not Stream.click]
        self._order_streams = [s for s in self._streams if type(s).order is not Stream.order]
        kinds: dict[str, dict[str, Any]] = {"kind": {}, "group": {}}
        if partners is not None:
            for column in ("kind", "group"):
                kinds[column] = dict(
                    zip(partners["partner_id"].tolist(), partners[column].tolist(), strict=True)
                )
        self._order_rules = _RuleSet(policy, "order", kinds)
        self._click_rules = _RuleSet(policy, "click", kinds)
        allow = policy.allow
        self._allowed_partners = frozenset(allow.get("partner_id", ()))
        self._allow: dict[str, frozenset[str]] = {
            field: frozenset(values) for field, values in allow.items()
        }
        # Clicks are kept as plain tuples (`_packed`): the collector stops tracking a tuple of
        # strings and numbers, so a long-running screener's state costs it nothing.
        # (visitor, partner) -> (last click, the visitor's click of another partner before it,
        # whether the click was discarded)
        self._last: dict[tuple[str, str], tuple[_Packed, _Packed | None, bool]] = {}
        # visitor -> (partner of the current run, its last click, last click before the run)
        self._runs: dict[str, tuple[str, _Packed, _Packed | None]] = {}
        self._now: int | None = None
        self._events = 0
        self.sweep_every = sweep_every

    # -- input --------------------------------------------------------------------------------

    def _advance(self, ts: int) -> None:
        if self._now is not None and ts < self._now:
            raise ValueError(
                "events must come in time order: this one is "
                f"{(self._now - ts) / 1e6:g} s older than the last one"
            )
        self._now = ts
        self._events += 1
        if self._events % self.sweep_every == 0:
            self.sweep()

    @staticmethod
    def _record(
        value: Any, model: type[Any], fields: frozenset[str]
    ) -> tuple[Any, Mapping[str, Any]]:
        if isinstance(value, model):
            return value, NO_EXTRAS
        if not isinstance(value, Mapping):
            raise TypeError(
                f"expected an al.{model.__name__} or a mapping, got {type(value).__name__}"
            )
        known = {k: v for k, v in value.items() if k in fields}
        extras = {k: v for k, v in value.items() if k not in fields}
        return model.model_validate(known), extras or NO_EXTRAS

    def _allowlisted(self, event: Any, fields: tuple[str, ...]) -> bool:
        if not self._allow:
            return False
        for field in fields:
            listed = self._allow.get(field)
            if listed and getattr(event, field) in listed:
                return True
        return False

    # -- events -------------------------------------------------------------------------------

    def click(self, click: Click | Mapping[str, Any]) -> Decision:
        """Screen a click: an `al.Click`, or a mapping of its fields and extra columns.

        Extra columns (``referrer``, ``landing_url`` …) are what some checks read.
        """
        record, extras = self._record(click, Click, _CLICK_FIELDS)
        event = ClickEvent(
            record.click_id,
            aware_micros(record.ts),  # validated by the model: aware
            record.partner_id,
            record.visitor_id,
            record.ip,
            record.device_id,
            record.user_agent,
            record.country,
            extras,
        )
        self._advance(event.ts)
        flags: list[Flag] = []
        for stream in self._click_streams:
            flags += stream.click(event)
        if self._click_rules.features is not None:
            values = self._click_rules.features.click(event)
            flags += self._click_rules.matched("click", event.click_id, event.partner_id, values)
        listed = self._allowlisted(event, (*CLICK_ALLOW_FIELDS, "partner_id"))
        decision = decide(
            "click",
            event.click_id,
            flags,
            self.policy,
            partner_id=event.partner_id,
            allowlisted=listed,
        )
        visitor = event.visitor_id
        if visitor is not None:
            packed = _packed(event)
            run = self._runs.get(visitor)
            if run is None:
                before = None
            elif run[0] == event.partner_id:
                before = run[2]
            else:
                before = run[1]
            self._runs[visitor] = (event.partner_id, packed, before)
            discarded = STRICTNESS[decision.action] >= STRICTNESS["discard_click"]
            self._last[(visitor, event.partner_id)] = (packed, before, discarded)
        return decision

    def order(self, order: Order | Mapping[str, Any]) -> Decision:
        """Screen an order: an `al.Order`, or a mapping of its fields plus extra columns."""
        record, extras = self._record(order, Order, _ORDER_FIELDS)
        ts = aware_micros(record.ts)  # validated by the model: aware
        self._advance(ts)
        event = OrderEvent(
            record.order_id,
            ts,
            record.partner_id,
            record.visitor_id,
            record.customer_id,
            record.coupon_code,
            record.is_new_customer,
            record.country,
            record.ip,
            record.device_id,
            record.payment_fingerprint,
            record.email_hash,
            extras,
        )
        event.buyer = (
            record.customer_id
            if record.customer_id is not None
            else f"email:{record.email_hash}"
            if record.email_hash is not None
            else f"visitor:{record.visitor_id}"
            if record.visitor_id is not None
            else None
        )
        discarded = False
        if record.visitor_id is not None and record.partner_id is not None:
            last = self._last.get((record.visitor_id, record.partner_id))
            if last is not None and last[0][1] > ts - self.lookback_us:
                won, before, discarded = last
                event.won = _unpacked(won)
                event.before_won = None if before is None else _unpacked(before)
                event.ctit = (ts - won[1]) / 1e6
        flags: list[Flag] = []
        for stream in self._order_streams:
            flags += stream.order(event)
        if self._order_rules.features is not None:
            values = self._order_rules.features.order(event)
            flags += self._order_rules.matched("order", event.order_id, event.partner_id, values)
        if discarded and event.won is not None:
            flags.append(
                flag(
                    "order",
                    event.order_id,
                    "won_by_discarded_click",
                    1.0,
                    1.0,
                    evidence=(event.won.click_id,),
                    partner_id=event.partner_id,
                )
            )
        listed = self._allowlisted(record, ORDER_ALLOW_FIELDS)
        return decide(
            "order",
            event.order_id,
            flags,
            self.policy,
            partner_id=event.partner_id,
            allowlisted=listed,
        )

    def sweep(self) -> None:
        """Drop state that no later event can need (done every ``sweep_every`` events)."""
        if self._now is None:
            return
        limit = self._now - self.lookback_us
        self._last = {k: v for k, v in self._last.items() if v[0][1] > limit}
        self._runs = {k: v for k, v in self._runs.items() if v[1][1] > limit}
        for stream in self._streams:
            stream.sweep(self._now)
        for rules in (self._order_rules, self._click_rules):
            if rules.features is not None:
                rules.features.sweep(self._now)

    @property
    def state_size(self) -> int:
        """How many keys the screener holds (for watching memory)."""
        return len(self._last) + len(self._runs)
