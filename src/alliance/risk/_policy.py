"""A screening policy: which checks run with which parameters, rules, allowlists and actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    field_validator,
    model_validator,
)

from alliance.errors import RuleSyntaxError
from alliance.risk._check import CHECKS, Check
from alliance.risk._compile import _attributes, check
from alliance.risk._features import FEATURES, registry
from alliance.risk._flags import REASONS, Action, reason
from alliance.risk._language import Rule, parse_rule

__all__ = ["ALLOW_FIELDS", "NamedRule", "Policy"]

AllowField: TypeAlias = Literal[
    "partner_id",
    "order_id",
    "click_id",
    "customer_id",
    "visitor_id",
    "ip",
    "device_id",
    "email_hash",
    "payment_fingerprint",
    "coupon_code",
]
#: Fields an allowlist may name; a subject whose field holds a listed value is allowed.
ALLOW_FIELDS: tuple[str, ...] = AllowField.__args__  # type: ignore[attr-defined]
#: The allowlist fields an order is matched on (besides its partner).
ORDER_ALLOW_FIELDS: tuple[str, ...] = tuple(f for f in ALLOW_FIELDS if f not in ("click_id",))
#: The allowlist fields a click is matched on (besides its partner).
CLICK_ALLOW_FIELDS: tuple[str, ...] = ("click_id", "visitor_id", "ip", "device_id")

#: How strict each action is: the strictest reason of a subject decides (allowlist first).
STRICTNESS: Mapping[str, int] = {"allow": 0, "review": 1, "discard_click": 2, "block": 3}

reason(
    "won_by_discarded_click",
    "screen",
    "order",
    "the click that won the order was discarded",
    op="==",
    unit="",
    action="review",
    weight=0.5,
)
reason(
    "flagged_share",
    "screen",
    "partner",
    "share of the partner's orders held or blocked",
    op=">=",
    unit="",
    action="review",
    weight=0.6,
)


class NamedRule(BaseModel):
    """A rule of the rule language with a name (its reason code) and a score weight.

    Attributes:
        name: The reason code its flags carry (letters, digits, ``_``; unique in a policy).
        rule: The rule text, e.g. ``review if :orders_per_ip_hourly: > 5``.
        weight: Contribution to the score when it matches, in (0, 1].
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    rule: str
    weight: float = Field(default=0.5, gt=0, le=1)

    @property
    def parsed(self) -> Rule:
        """The parsed rule."""
        return parse_rule(self.rule)


def rule_subject(rule: Rule) -> Literal["order", "click"]:
    """Whether a rule is about orders or about clicks, from the attributes it names."""
    names = _attributes(rule.condition)
    subjects = {FEATURES[name].subject for name in names if name in FEATURES}
    if len(subjects) > 1:
        raise RuleSyntaxError(rule.text, 0, "a rule cannot mix order and click attributes")
    if not subjects:
        unknown = sorted(names)[0]
        raise RuleSyntaxError(
            rule.text, rule.text.find(f":{unknown}:"), f"unknown attribute {unknown!r}"
        )
    return "order" if subjects.pop() == "order" else "click"


class Policy(BaseModel):
    """What to check, with which parameters, and what to do about each reason.

    A subject (an order, a click, a partner, a coupon) gets every reason the checks and rules
    find for it, each with its action; the decision is, in order of precedence: ``allow`` if
    an allowlist names it or an ``allow`` rule matches it, else ``block`` if any reason
    blocks, else ``discard_click`` (for a click), else ``review`` if any reason reviews or
    its score reaches ``review_score``, else ``allow``. Its score is
    ``1 - prod(1 - weight)`` over its reasons.

    Attributes:
        checks: The checks to run, each with its parameters (see `Policy.default`).
        rules: Rules of the rule language, as `NamedRule` (or text, named ``rule_1`` …).
        lists: Named lists for rules (``@target_markets``).
        actions: Action per reason code, overriding the code's default.
        weights: Score weight per reason code, overriding the default.
        allow: Allowlists by field (``partner_id``, ``ip``, ``customer_id`` …).
        lookback_days: How far back a click may win an order (cookie window), in days.
        partner_share: A partner is flagged ``flagged_share`` when at least this share of its
            orders is held or blocked …
        partner_min_orders: … and at least this many of them are.
        partner_share_ignores: Reason codes that do not count towards ``flagged_share``:
            they say something about an order, not about its partner (a leaked code, a
            buyer abroad).
        partner_holds_orders: Whether a partner held or blocked for a reason extends that
            action to each of its orders (in `Decisions.actions` and settlement); reasons in
            ``partner_spares_orders`` never do.
        partner_spares_orders: Partner reason codes that do not extend to the partner's
            orders: a self-referrer's own orders are stopped one by one, its other orders
            are real sales; a conversion rate outlier alone proves nothing.
        review_score: A subject whose score reaches this is held for review even when none
            of its reasons alone would hold it: weak signals add up.

    Examples:
        >>> from alliance import risk
        >>> policy = risk.Policy.default().with_rules(
        ...     "review if :orders_per_ip_hourly: > 5 and :country: not in @target_markets",
        ...     lists={"target_markets": ["US", "CA"]},
        ... )
        >>> [r.name for r in policy.rules], policy.action_of("ctit_too_short")
        (['rule_1'], 'block')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    checks: tuple[SerializeAsAny[Check], ...] = ()
    rules: tuple[NamedRule, ...] = ()
    lists: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    actions: dict[str, Action] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    allow: dict[AllowField, tuple[str, ...]] = Field(default_factory=dict)
    lookback_days: int = Field(default=30, ge=1, le=3650)
    partner_share: float = Field(default=0.4, gt=0, le=1)
    partner_min_orders: int = Field(default=5, ge=1)
    partner_share_ignores: tuple[str, ...] = (
        "coupon_without_click",
        "coupon_site_referrer",
        "geo_mismatch",
        "out_of_market",
        "anonymous_ip_order",
        "false_new_customer",
    )
    partner_holds_orders: bool = True
    partner_spares_orders: tuple[str, ...] = (
        "self_referral_partner",
        "conversion_rate_high",
        "conversion_rate_low",
    )
    review_score: float = Field(default=0.8, gt=0, le=1)

    @field_validator("checks", mode="before")
    @classmethod
    def _checks(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        resolved = []
        for item in value:
            if isinstance(item, Mapping):
                name = item.get("check")
                if name not in CHECKS:
                    known = ", ".join(sorted(CHECKS))
                    raise ValueError(f"unknown check {name!r}; known: {known}")
                item = CHECKS[str(name)].model_validate(item)
            if not isinstance(item, Check):
                raise ValueError(f"a check must be a risk check, got {type(item).__name__}")
            resolved.append(item)
        names = [c.check for c in resolved]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"checks listed twice: {', '.join(twice)}")
        return tuple(resolved)

    @field_validator("rules", mode="before")
    @classmethod
    def _rules(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        return tuple(
            {"name": f"rule_{i}", "rule": item} if isinstance(item, str) else item
            for i, item in enumerate(value, start=1)
        )

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        names = [r.name for r in self.rules]
        clash = sorted({n for n in names if names.count(n) > 1 or n in REASONS})
        if clash:
            raise ValueError(f"rule names must be unique and not reason codes: {clash}")
        for named in self.rules:
            parsed = named.parsed
            subject = rule_subject(parsed)
            check(parsed, registry(subject, self.lists))
            if parsed.action == "discard_click" and subject != "click":
                raise RuleSyntaxError(
                    parsed.text, 0, "discard_click applies to clicks; this rule is about orders"
                )
        known = set(REASONS) | set(names)
        ignored = dict.fromkeys(self.partner_share_ignores)
        for mapping, what in (
            (self.actions, "actions"),
            (self.weights, "weights"),
            (ignored, "partner_share_ignores"),
            (dict.fromkeys(self.partner_spares_orders), "partner_spares_orders"),
        ):
            unknown = sorted(set(mapping) - known)
            if unknown:
                raise ValueError(f"{what} name unknown reason codes: {unknown}")
        for code, action in self.actions.items():
            flagged = REASONS[code].subject if code in REASONS else None
            if action == "discard_click" and flagged not in (None, "click"):
                raise ValueError(
                    f"action discard_click applies to clicks; {code!r} flags {flagged}s"
                )
        bad = {code: w for code, w in self.weights.items() if not 0 < w <= 1}
        if bad:
            raise ValueError(f"weights must be in (0, 1]: {bad}")
        return self

    @classmethod
    def default(cls, **changes: Any) -> Policy:
        """Every check with the industry defaults of its parameters (see the risk guide).

        Args:
            **changes: Fields to set instead (``rules=``, ``allow=``, ``lists=`` …).
        """
        checks = tuple(kind.model_validate({}) for kind in CHECKS.values())
        return cls(**{"checks": checks, **changes})

    def with_rules(self, *rules: str | NamedRule, lists: Mapping[str, Any] | None = None) -> Policy:
        """This policy with more rules (and named lists)."""
        merged = {**self.lists, **{k: tuple(v) for k, v in (lists or {}).items()}}
        start = len(self.rules)
        added = [
            NamedRule(name=f"rule_{start + i}", rule=r) if isinstance(r, str) else r
            for i, r in enumerate(rules, start=1)
        ]
        return type(self).model_validate(
            {**self.model_dump(), "rules": [*self.rules, *added], "lists": merged}
        )

    def check_named(self, name: str) -> Check | None:
        """The check of a name in this policy, if it runs."""
        return next((c for c in self.checks if c.check == name), None)

    @property
    def allow_rules(self) -> frozenset[str]:
        """Names of the rules whose action is ``allow``: a match allows, as an allowlist does."""
        return frozenset(r.name for r in self.rules if r.parsed.action == "allow")

    def action_of(self, code: str) -> Action:
        """The action of a reason code (a rule's name gives its rule's action)."""
        if code in self.actions:
            return self.actions[code]
        for named in self.rules:
            if named.name == code:
                return named.parsed.action
        return REASONS[code].action

    def weight_of(self, code: str) -> float:
        """The score weight of a reason code or rule name."""
        if code in self.weights:
            return self.weights[code]
        for named in self.rules:
            if named.name == code:
                return named.weight
        return REASONS[code].weight
