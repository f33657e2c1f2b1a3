"""Who each touch is credited to: its partner, its coupon's owner, or a non-partner channel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from alliance._columns import positions
from alliance._tables import Clicks, Orders, Touchpoints
from alliance.attribution._credits import BASES
from alliance.attribution._options import Options

__all__ = ["Channels", "channels_of"]

Int64Array = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class Channels:
    """Who a touch is credited to: its partner, its coupon's owner, a non-partner channel.

    Channels are numbered by their sorted names; a touch's channel and basis are looked up
    only for the touches that need them.
    """

    names: ObjArray
    paid: npt.NDArray[np.bool_]
    partner_codes: npt.NDArray[np.int32]
    by_partner: Int64Array  # per partner code, then -1 for a missing partner
    coupon_codes: npt.NDArray[np.int32] | None  # None: no touch carries a coupon code
    by_coupon: Int64Array
    kind_codes: npt.NDArray[np.int32] | None  # None: every touch is a click
    basis_by_kind: Int64Array
    order_owner: Int64Array  # per order, the owner of its coupon code (-1: none)

    def of(self, rows: Int64Array) -> Int64Array:
        """The channel of each touch row (-1: nobody to credit)."""
        channel: Int64Array = self.by_partner[self.partner_codes[rows]]
        if self.coupon_codes is not None:
            channel = np.where(channel >= 0, channel, self.by_coupon[self.coupon_codes[rows]])
        return channel

    def basis(self, rows: Int64Array) -> Int64Array:
        """The basis of each touch row: its kind, as a code into `BASES`."""
        if self.kind_codes is None:
            return np.full(rows.size, BASES.index("click"), dtype=np.int64)
        basis: Int64Array = self.basis_by_kind[self.kind_codes[rows]]
        return basis

    def usable(self, drop_unpaid: bool) -> Int64Array | None:
        """The touch rows that can earn credit (``None``: all of them)."""
        allowed = np.append(self.paid if drop_unpaid else np.ones(self.names.size, bool), False)
        partner_ok = allowed[self.by_partner]
        if self.coupon_codes is None:
            if partner_ok[:-1].all() and not (self.partner_codes < 0).any():
                return None
            mask = partner_ok[self.partner_codes]
        else:
            mask = np.where(
                self.partner_codes >= 0,
                partner_ok[self.partner_codes],
                allowed[self.by_coupon][self.coupon_codes],
            )
        return None if mask.all() else np.flatnonzero(mask).astype(np.int64)


_NO_TEXT = np.array([], dtype=object)


def channels_of(touchpoints: Touchpoints | Clicks, orders: Orders, options: Options) -> Channels:
    partner_codes, partner_names = touchpoints.codes("partner_id")
    owners = options.owners
    coupon_codes: npt.NDArray[np.int32] | None = None
    coupon_names = _NO_TEXT
    kind_codes: npt.NDArray[np.int32] | None = None
    kind_names = _NO_TEXT
    if isinstance(touchpoints, Touchpoints):
        coupon_codes, coupon_names = touchpoints.codes("coupon_code")
        if coupon_names.size == 0:
            coupon_codes = None
        kind_codes, kind_names = touchpoints.codes("kind")
        if kind_names.tolist() in ([], ["click"]):
            kind_codes = None
    touch_owner = np.array([owners.get(c) for c in coupon_names.tolist()], dtype=object)
    order_codes, order_coupons = orders.codes("coupon_code")
    order_owner = np.array(
        [owners.get(c) for c in order_coupons.tolist()] if options.coupons else [], dtype=object
    )
    names = np.array(
        sorted(
            set(partner_names.tolist())
            | {o for o in touch_owner.tolist() if o is not None}
            | {o for o in order_owner.tolist() if o is not None}
        ),
        dtype=object,
    )
    return Channels(
        names=names,
        paid=np.array([n not in options.non_partner for n in names.tolist()], dtype=bool),
        partner_codes=partner_codes,
        by_partner=_lookup(names, partner_names),
        coupon_codes=coupon_codes,
        by_coupon=_lookup(names, touch_owner),
        kind_codes=kind_codes,
        basis_by_kind=_lookup(np.array(BASES, dtype=object), kind_names),
        order_owner=(
            _lookup(names, order_owner)[order_codes]
            if options.coupons
            else np.full(len(orders), -1, dtype=np.int64)
        ),
    )


def _lookup(vocabulary: ObjArray, values: ObjArray) -> Int64Array:
    """Per value, its position in the sorted ``vocabulary`` (-1 for ``None``), then a -1.

    The trailing -1 is what code -1 (a missing cell) looks up.
    """
    found = np.full(values.size + 1, -1, dtype=np.int64)
    present = np.array([v is not None for v in values.tolist()], dtype=bool)
    if present.any():
        found[:-1][present] = positions(vocabulary, values[present].astype(object))
    return found
