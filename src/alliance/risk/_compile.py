"""Checking rules against declared attributes and lists, and compiling them to numpy masks.

`check` validates a parsed `Rule` against a `Registry` of declared attributes (number, text or
flag) and named lists; `compile_rule` turns it into a function from columns to a boolean mask,
with the three-valued logic of `alliance.risk._language` (unknown counts as not matched).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from alliance.risk._language import (
    _KINDS,
    _NAME,
    And,
    AttributeRef,
    Compare,
    Condition,
    Kind,
    Mask,
    Member,
    Missing,
    Not,
    Or,
    Rule,
    RuleInputError,
    RuleSyntaxError,
    parse_rule,
)

__all__ = ["AttributeSpec", "Registry", "check", "compile_rule"]


# --- registry and checking ------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeSpec:
    """A declared attribute: its kind and what it means."""

    kind: Kind
    description: str = ""


class Registry:
    """The attributes and named lists a rule may refer to.

    Args:
        attributes: Attribute name to its kind (``"number"``, ``"text"`` or ``"flag"``) or
            to an `AttributeSpec`.
        lists: Named lists of strings, referred to as ``@name``.

    Raises:
        ValueError: If a name is malformed or a kind unknown.

    Examples:
        >>> from alliance.risk._compile import Registry
        >>> registry = Registry({"country": "text"}, lists={"target_markets": ["US", "CA"]})
        >>> registry.attributes["country"].kind, sorted(registry.lists["target_markets"])
        ('text', ['CA', 'US'])
    """

    def __init__(
        self,
        attributes: Mapping[str, Kind | AttributeSpec],
        *,
        lists: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        specs: dict[str, AttributeSpec] = {}
        for name, spec in attributes.items():
            if not (isinstance(name, str) and re.fullmatch(_NAME, name)):
                raise ValueError(f"attribute name {name!r} must use a-z, 0-9 and _")
            resolved = spec if isinstance(spec, AttributeSpec) else AttributeSpec(spec)
            if resolved.kind not in _KINDS:
                raise ValueError(
                    f"attribute {name!r} has kind {resolved.kind!r}; expected one of {_KINDS}"
                )
            specs[name] = resolved
        named: dict[str, frozenset[str]] = {}
        for name, members in (lists or {}).items():
            if not (isinstance(name, str) and re.fullmatch(_NAME, name)):
                raise ValueError(f"list name {name!r} must use a-z, 0-9 and _")
            values = frozenset(members)
            if not all(isinstance(v, str) for v in values):
                raise ValueError(f"list {name!r} must hold strings only")
            named[name] = values
        self.attributes: Mapping[str, AttributeSpec] = specs
        self.lists: Mapping[str, frozenset[str]] = named

    def __repr__(self) -> str:
        return f"Registry(attributes={sorted(self.attributes)}, lists={sorted(self.lists)})"


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (known: {', '.join(names) or 'none'})"


def _kind_of(rule: Rule, registry: Registry, name: str, position: int) -> Kind:
    spec = registry.attributes.get(name)
    if spec is None:
        raise RuleSyntaxError(rule.text, position, _unknown("attribute", name, registry.attributes))
    return spec.kind


def _check(rule: Rule, registry: Registry, condition: Condition) -> None:
    if isinstance(condition, Not):
        _check(rule, registry, condition.operand)
    elif isinstance(condition, And | Or):
        for operand in condition.operands:
            _check(rule, registry, operand)
    elif isinstance(condition, Missing):
        _kind_of(rule, registry, condition.attribute, condition.position)
    elif isinstance(condition, Member):
        kind = _kind_of(rule, registry, condition.attribute, condition.position)
        where = f":{condition.attribute}: ({kind})"
        if condition.list_name is not None:
            if condition.list_name not in registry.lists:
                raise RuleSyntaxError(
                    rule.text,
                    condition.position,
                    _unknown("list", condition.list_name, registry.lists),
                )
            if kind != "text":
                raise RuleSyntaxError(
                    rule.text, condition.position, f"{where} cannot be looked up in a list of text"
                )
        else:
            values = condition.values or ()
            if not values:
                raise RuleSyntaxError(rule.text, condition.position, "a list needs an item")
            wanted: type = str if kind == "text" else float
            if kind == "flag" or not all(isinstance(v, wanted) for v in values):
                raise RuleSyntaxError(
                    rule.text,
                    condition.position,
                    f"{where} cannot be looked up in a list of {_kind_name(values[0])}",
                )
    else:
        kind = _kind_of(rule, registry, condition.attribute, condition.position)
        where = f":{condition.attribute}: ({kind})"
        value = condition.value
        if isinstance(value, AttributeRef):
            other = _kind_of(rule, registry, value.name, value.position)
            if other != kind:
                raise RuleSyntaxError(
                    rule.text,
                    condition.position,
                    f"{where} cannot be compared with :{value.name}: ({other})",
                )
        elif kind == "text" and not isinstance(value, str):
            raise RuleSyntaxError(
                rule.text,
                condition.position,
                f"{where} cannot be compared with the number {value!r}",
            )
        elif kind != "text" and isinstance(value, str):
            raise RuleSyntaxError(
                rule.text,
                condition.position,
                f"{where} cannot be compared with the string {value!r}",
            )
        elif kind == "flag" and value not in (0.0, 1.0):
            raise RuleSyntaxError(
                rule.text, condition.position, f"{where} can only equal 0 or 1, not {value!r}"
            )
        if kind != "number" and condition.op not in ("==", "!="):
            raise RuleSyntaxError(
                rule.text,
                condition.position,
                f"{where} supports only == and !=, not {condition.op!r}",
            )


def _kind_name(value: float | str) -> str:
    return "text" if isinstance(value, str) else "numbers"


def check(rule: Rule, registry: Registry) -> None:
    """Refuse a rule that refers to unknown attributes or lists, or mixes kinds.

    Args:
        rule: A parsed rule.
        registry: The attributes and named lists available.

    Raises:
        RuleSyntaxError: For the first problem found, with its position and, for an unknown
            name, the closest known one.

    Examples:
        >>> from alliance.risk._compile import Registry, check, parse_rule
        >>> check(parse_rule("review if :contry: == 'US'"), Registry({"country": "text"}))
        Traceback (most recent call last):
        ...
        alliance.errors.RuleSyntaxError: rule "review if :contry: == 'US'": at position 10: unknown attribute 'contry'; did you mean 'country'? (known: country)
    """  # noqa: E501
    _check(rule, registry, rule.condition)


# --- compiling ------------------------------------------------------------------------------

Columns: TypeAlias = Mapping[str, npt.ArrayLike]
_Truth: TypeAlias = tuple[Mask, Mask]  # (definitely true, definitely false)


def _is_missing_text(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


_missing_text = np.frompyfunc(_is_missing_text, 1, 1)


def _column(name: str, kind: Kind, columns: Columns) -> npt.NDArray[Any]:
    if name not in columns:
        raise RuleInputError(f"the rule needs column {name!r} ({kind}), which was not given")
    raw = np.asarray(columns[name])
    if raw.ndim != 1:
        raise RuleInputError(f"column {name!r} must be one-dimensional, got shape {raw.shape}")
    if kind == "text":
        return raw.astype(object)
    if kind == "flag":
        if raw.dtype == np.bool_:
            return raw.astype(np.float64)
        if raw.dtype.kind not in "iu":
            raise RuleInputError(f"flag column {name!r} must be bool or int8, got {raw.dtype}")
        as_float = raw.astype(np.float64)
        as_float[raw == -1] = np.nan
        return as_float
    if raw.dtype.kind not in "iuf":
        raise RuleInputError(f"number column {name!r} must be numeric, got {raw.dtype}")
    return raw.astype(np.float64)


def _known(column: npt.NDArray[Any]) -> Mask:
    if column.dtype == object:
        missing: Mask = np.asarray(_missing_text(column), dtype=np.bool_)
        return ~missing
    return np.asarray(~np.isnan(column), dtype=np.bool_)


_COMPARE: Mapping[str, Callable[[Any, Any], Any]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def _evaluate(condition: Condition, columns: Mapping[str, npt.NDArray[Any]], size: int) -> _Truth:
    if isinstance(condition, Not):
        true, false = _evaluate(condition.operand, columns, size)
        return false, true
    if isinstance(condition, And | Or):
        conjunction = isinstance(condition, And)
        true = np.full(size, conjunction, dtype=np.bool_)
        false = np.full(size, not conjunction, dtype=np.bool_)
        for operand in condition.operands:
            operand_true, operand_false = _evaluate(operand, columns, size)
            if conjunction:
                true &= operand_true
                false |= operand_false
            else:
                true |= operand_true
                false &= operand_false
        return true, false
    column = columns[condition.attribute]
    known = _known(column)
    if isinstance(condition, Missing):
        return (known, ~known) if condition.negated else (~known, known)
    if isinstance(condition, Member):
        allowed: frozenset[Any] = frozenset(condition.values or ())
        if column.dtype == object:
            inside = np.fromiter((v in allowed for v in column.tolist()), np.bool_, size)
        else:
            inside = np.isin(column, np.array(sorted(allowed), dtype=np.float64))
        matched = inside != condition.negated
        return known & matched, known & ~matched
    if isinstance(condition.value, AttributeRef):
        other: Any = columns[condition.value.name]
        known = known & _known(other)
    else:
        other = condition.value
    with np.errstate(invalid="ignore"):
        result = np.asarray(_COMPARE[condition.op](column, other), dtype=np.bool_)
    return known & result, known & ~result


def _resolve_lists(condition: Condition, registry: Registry) -> Condition:
    if isinstance(condition, Not):
        return Not(_resolve_lists(condition.operand, registry))
    if isinstance(condition, And | Or):
        return type(condition)(tuple(_resolve_lists(c, registry) for c in condition.operands))
    if isinstance(condition, Member) and condition.list_name is not None:
        values = tuple(sorted(registry.lists[condition.list_name]))
        return Member(condition.attribute, values, None, condition.negated, condition.position)
    return condition


def _attributes(condition: Condition) -> set[str]:
    if isinstance(condition, Not):
        return _attributes(condition.operand)
    if isinstance(condition, And | Or):
        return set().union(*(_attributes(c) for c in condition.operands))
    names = {condition.attribute}
    if isinstance(condition, Compare) and isinstance(condition.value, AttributeRef):
        names.add(condition.value.name)
    return names


def compile_rule(rule: Rule | str, registry: Registry) -> Callable[[Columns], Mask]:
    """Check a rule and turn it into a function from columns to a boolean match mask.

    Columns are one-dimensional arrays of equal length: numbers as floats (NaN is missing),
    text as object arrays (None is missing), flags as bool or int8 (-1 is missing). A row
    matches only where the condition is definitely true; see the module docstring for how
    missing values propagate.

    Args:
        rule: A parsed `Rule` or its text.
        registry: The attributes and named lists available; named lists are resolved now.

    Returns:
        A function taking a mapping of column name to array and returning a boolean mask.

    Raises:
        RuleSyntaxError: If the rule does not parse or does not fit the registry.

    Examples:
        >>> import numpy as np
        >>> from alliance.risk._compile import Registry, compile_rule
        >>> registry = Registry(
        ...     {"orders_per_ip_hourly": "number", "country": "text"},
        ...     lists={"target_markets": ["US", "CA"]},
        ... )
        >>> matches = compile_rule(
        ...     "review if :orders_per_ip_hourly: > 5 and :country: not in @target_markets",
        ...     registry,
        ... )
        >>> matches({
        ...     "orders_per_ip_hourly": np.array([9.0, 9.0, np.nan, 9.0]),
        ...     "country": np.array(["FR", "US", "FR", None], dtype=object),
        ... }).tolist()
        [True, False, False, False]
    """
    parsed = parse_rule(rule) if isinstance(rule, str) else rule
    check(parsed, registry)
    condition = _resolve_lists(parsed.condition, registry)
    kinds = {name: registry.attributes[name].kind for name in sorted(_attributes(condition))}

    def matches(columns: Columns) -> Mask:
        arrays = {name: _column(name, kind, columns) for name, kind in kinds.items()}
        sizes = {name: len(array) for name, array in arrays.items()}
        if len(set(sizes.values())) > 1:
            raise RuleInputError(f"columns differ in length: {sizes}")
        size = next(iter(sizes.values()))
        true, _ = _evaluate(condition, arrays, size)
        return true

    return matches


# --- one event at a time --------------------------------------------------------------------

_SCALAR_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
}


def _scalar(value: Any, kind: Kind) -> Any:
    """A value as the masks see it: None where missing, floats for numbers and flags."""
    if value is None:
        return None
    if kind == "text":
        return None if _is_missing_text(value) else value
    number = float(value)
    if number != number or (kind == "flag" and number == -1):
        return None
    return number


def _truth(condition: Condition, values: Mapping[str, Any]) -> bool | None:
    """Kleene truth of a condition: True, False or None (unknown)."""
    if isinstance(condition, Not):
        inner = _truth(condition.operand, values)
        return None if inner is None else not inner
    if isinstance(condition, And | Or):
        unknown = False
        for operand in condition.operands:
            result = _truth(operand, values)
            if result is None:
                unknown = True
            elif result is not isinstance(condition, And):
                return result
        return None if unknown else isinstance(condition, And)
    value = values[condition.attribute]
    if isinstance(condition, Missing):
        return (value is not None) if condition.negated else (value is None)
    if value is None:
        return None
    if isinstance(condition, Member):
        return (value in (condition.values or ())) != condition.negated
    other = (
        values[condition.value.name]
        if isinstance(condition.value, AttributeRef)
        else (condition.value)
    )
    if other is None:
        return None
    return _SCALAR_COMPARE[condition.op](value, other)


def compile_one(rule: Rule | str, registry: Registry) -> Callable[[Mapping[str, Any]], bool]:
    """Like `compile_rule`, for one event: a function from attribute values to a match.

    Values are plain Python: numbers (NaN or ``None`` missing), text (``None`` missing), flags
    as bool or 1 / 0 / -1 (``None`` or -1 missing). It matches exactly where the mask of
    `compile_rule` would.

    Examples:
        >>> from alliance.risk._compile import Registry, compile_one
        >>> matches = compile_one(
        ...     "review if :orders_per_ip_hourly: > 5 and not :country: in ('US')",
        ...     Registry({"orders_per_ip_hourly": "number", "country": "text"}),
        ... )
        >>> matches({"orders_per_ip_hourly": 9, "country": "FR"})
        True
        >>> matches({"orders_per_ip_hourly": 9, "country": None})
        False
    """
    parsed = parse_rule(rule) if isinstance(rule, str) else rule
    check(parsed, registry)
    condition = _resolve_lists(parsed.condition, registry)
    kinds = {name: registry.attributes[name].kind for name in sorted(_attributes(condition))}
    number_lists = _numeric_members(condition, kinds)

    def matches(values: Mapping[str, Any]) -> bool:
        missing = [name for name in kinds if name not in values]
        if missing:
            raise RuleInputError(f"the rule needs attribute {missing[0]!r}, which was not given")
        scalars = {name: _scalar(values[name], kind) for name, kind in kinds.items()}
        return _truth(number_lists, scalars) is True

    return matches


def _numeric_members(condition: Condition, kinds: Mapping[str, Kind]) -> Condition:
    """Number lists as floats, so membership compares as the masks do."""
    if isinstance(condition, Not):
        return Not(_numeric_members(condition.operand, kinds))
    if isinstance(condition, And | Or):
        return type(condition)(tuple(_numeric_members(c, kinds) for c in condition.operands))
    if isinstance(condition, Member) and kinds[condition.attribute] != "text":
        values = tuple(float(v) for v in condition.values or ())
        return Member(condition.attribute, values, None, condition.negated, condition.position)
    return condition
