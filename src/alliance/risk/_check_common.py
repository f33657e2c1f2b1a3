"""Private helpers shared by the check modules: parameter types, evidence, partner ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import Field

from alliance.risk._flags import Flags, objects
from alliance.risk._frame import Frame
from alliance.risk._windows import HOUR, IntArray, ObjArray

_T = TypeVar("_T")

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonEmpty = Annotated[str, Field(min_length=1)]

DAY = 24 * HOUR

#: How many distinct values a stream remembers the verdict of before it starts afresh.
_CACHE_LIMIT = 65_536


def _memo(cache: dict[str, _T], key: str, compute: Callable[[str], _T]) -> _T:
    """``compute(key)``, remembered in a bounded cache (cleared when full)."""
    try:
        return cache[key]
    except KeyError:
        pass
    value = compute(key)
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _tuples(items: Iterable[tuple[str, ...]]) -> ObjArray:
    """An object array holding one tuple per element."""
    listed = list(items)
    return objects(listed, len(listed))


def _click_partners(frame: Frame, rows: IntArray) -> ObjArray:
    partners: ObjArray = frame.partner_ids[frame.click_partner[rows]]
    return partners


def _order_partners(frame: Frame, rows: IntArray) -> ObjArray:
    """Partner id of some orders (``None`` where the order is credited to no partner)."""
    names: ObjArray = np.append(frame.partner_ids, np.array([None], dtype=object))
    partners: ObjArray = names[frame.order_partner[rows]]
    return partners


def _evidence(*columns: list[str]) -> list[tuple[str, ...]]:
    return list(zip(*columns, strict=True))


def event_flags(
    frame: Frame,
    subject: Literal["click", "order"],
    rows: IntArray,
    code: str,
    **numbers: Any,
) -> Flags:
    """Flags of one reason code for some click or order rows, with their ids and partners.

    Args:
        frame: The encoded inputs.
        subject: ``"click"`` or ``"order"``: what the rows are rows of.
        rows: The flagged rows.
        code: The reason code.
        **numbers: ``observed``, ``threshold``, ``peer`` and ``evidence``, as for `Flags.of`.
    """
    if subject == "click":
        flags = Flags.of(
            "click", frame.click_ids(rows), code, partner_id=_click_partners(frame, rows), **numbers
        )
    else:
        flags = Flags.of(
            "order", frame.order_ids(rows), code, partner_id=_order_partners(frame, rows), **numbers
        )
    return flags._located(rows)
