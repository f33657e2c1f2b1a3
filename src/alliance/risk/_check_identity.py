"""The check on who bought: self-referral, with the e-mail normalisation it compares by.

The check reads the orders and the partners through a `Frame` and raises flags on orders and
partners. Its order flags can also be judged one order at a time, so it has a streaming form
that flags exactly what its batch run flags when the events come in time order.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt

from alliance.risk._check import Check
from alliance.risk._check_common import _order_partners
from alliance.risk._events import OrderEvent, Stream, StreamContext, flag
from alliance.risk._flags import Flag, Flags, reason
from alliance.risk._frame import Frame
from alliance.risk._windows import IntArray, ObjArray, joint_codes, text_codes

__all__ = ["SelfReferral", "normalise_email"]

_IDENTITY_REASONS: tuple[tuple[str, str, Literal["block", "review"], float], ...] = (
    ("self_referral_email", "the buyer's e-mail is the partner's own", "block", 0.95),
    ("self_referral_payment", "the buyer's payment method is the partner's own", "block", 0.95),
    ("self_referral_device", "the order came from the partner's own device", "block", 0.8),
    ("self_referral_ip", "the order came from the partner's own IP address", "review", 0.5),
)
for _code, _summary, _action, _weight in _IDENTITY_REASONS:
    reason(
        _code, "self_referral", "order", _summary, op="==", unit="", action=_action, weight=_weight
    )
reason(
    "self_referral_partner",
    "self_referral",
    "partner",
    "the partner bought through its own link (e-mail, payment method or device)",
    op=">=",
    unit="orders",
    action="review",
    weight=0.8,
)
del _code, _summary, _action, _weight


# -- self-referral ------------------------------------------------------------------------------

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def normalise_email(text: str) -> str:
    """An e-mail address in the form two spellings of one mailbox share.

    Strips blanks and lower-cases; drops a ``+tag`` from the local part; for Gmail (and its
    old ``googlemail.com`` domain, mapped to ``gmail.com``) drops the dots of the local part,
    which Gmail ignores. Text without an ``@`` is only stripped and lower-cased.

    Args:
        text: The address as typed.

    Returns:
        The normalised address (empty for blank text).

    Examples:
        >>> normalise_email(" J.Doe+promo@GoogleMail.com ")
        'jdoe@gmail.com'
        >>> normalise_email("j.doe+x@example.com")
        'j.doe@example.com'
    """
    address = text.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    local = local.split("+", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def _address_codes(*columns: ObjArray) -> list[IntArray]:
    """Codes of normalised e-mail addresses in one vocabulary across columns (-1 missing)."""
    coded = [text_codes(column) for column in columns]
    normalised = [
        (codes, np.array([normalise_email(str(v)) for v in categories.tolist()], dtype=object))
        for codes, categories in coded
    ]
    shared, vocabulary = joint_codes(*normalised)
    blank = np.flatnonzero(vocabulary == "")
    for codes in shared:
        if blank.size:
            codes[codes == blank[0]] = -1
    return shared


_IDENTITIES = (
    ("self_referral_email", "email_hash"),
    ("self_referral_payment", "payment_fingerprint"),
    ("self_referral_device", "device_id"),
    ("self_referral_ip", "ip"),
)


def _partners_referring(flags: Flags) -> Flags:
    """One partner flag per partner with an order bought with its own e-mail, card or device."""
    strong = flags.take(flags["code"] != "self_referral_ip")
    if not len(strong):
        return Flags.empty()
    orders = strong["id"].astype(str)
    partners = strong["partner_id"].astype(str)
    pairs = sorted(set(zip(partners.tolist(), orders.tolist(), strict=True)))
    by_partner: dict[str, list[str]] = {}
    for partner, order in pairs:
        by_partner.setdefault(partner, []).append(order)
    ids = np.array(sorted(by_partner), dtype=object)
    return Flags.of(
        "partner",
        ids,
        "self_referral_partner",
        observed=np.array([len(by_partner[p]) for p in ids.tolist()], dtype=np.float64),
        threshold=1.0,
        evidence=[tuple(by_partner[p][:10]) for p in ids.tolist()],
        partner_id=ids,
    )


def _identity_codes(frame: Frame, column: str) -> tuple[IntArray, IntArray]:
    """The orders' and the partners' codes of one identity column, in one vocabulary."""
    if column == "email_hash":
        return frame.order_email, frame.partner_email
    if column == "payment_fingerprint":
        return frame.order_card, frame.partner_card
    if column == "device_id":
        return frame.order_device, frame.partner_device
    return frame.order_ip, frame.partner_ip


class SelfReferral(Check):
    """Self-referral: the buyer of an order is the partner the order credits.

    The order's e-mail hash, payment fingerprint, device or IP address is the credited
    partner's own (from the partners table: ``email_hash``, ``payment_fingerprint``, and the
    extra columns ``device_id`` and ``ip`` when the table has them). When both the orders and
    the partners carry a raw ``email`` extra column, the addresses are also compared after
    `normalise_email`, under ``self_referral_email``.

    Reason codes (order; observed 1, threshold 1, evidence the partner id):

    - ``self_referral_email`` (block, 0.95): same e-mail.
    - ``self_referral_payment`` (block, 0.95): same payment method.
    - ``self_referral_device`` (block, 0.8): same device.
    - ``self_referral_ip`` (review, 0.5): same IP address.

    And per partner with such orders (by e-mail, payment method or device; batch only):
    ``self_referral_partner`` (partner, review, 0.8; observed the number of its orders,
    threshold 1, evidence up to ten of those order ids).

    The streaming form compares raw e-mails through its context's ``partner_addresses``
    (normalised e-mail to partner ids), filled by the screener from a partners ``email``
    column.
    """

    check: Literal["self_referral"] = "self_referral"
    needs: ClassVar[tuple[str, ...]] = ("orders", "partners")
    codes: ClassVar[tuple[str, ...]] = (
        "self_referral_email",
        "self_referral_payment",
        "self_referral_device",
        "self_referral_ip",
        "self_referral_partner",
    )

    def run(self, frame: Frame) -> Flags:
        """Flag the orders whose buyer shares an identity with the credited partner."""
        partner = frame.order_partner
        row_of_order = np.full(partner.size, -1, dtype=np.int64)
        credited = partner >= 0
        row_of_order[credited] = frame.partner_row[partner[credited]]
        rows = np.flatnonzero(row_of_order >= 0)
        partner_rows = row_of_order[rows]
        parts = []
        for code, column in _IDENTITIES:
            if frame.partners is None or column not in frame.partners:
                continue  # no partner has it: spare the shared vocabulary its codes need
            order_codes, partner_codes = _identity_codes(frame, column)
            mine = order_codes[rows]
            hit = (mine >= 0) & (mine == partner_codes[partner_rows])
            if code == "self_referral_email":
                hit |= self._same_address(frame, rows, partner_rows)
            flagged = rows[hit]
            partner_ids = _order_partners(frame, flagged)
            parts.append(
                Flags.of(
                    "order",
                    frame.order_ids(flagged),
                    code,
                    observed=1.0,
                    threshold=1.0,
                    evidence=[(p,) for p in partner_ids.tolist()],
                    partner_id=partner_ids,
                )._located(flagged)
            )
        return Flags.concat([*parts, _partners_referring(Flags.concat(parts))])

    @staticmethod
    def _same_address(
        frame: Frame, rows: npt.NDArray[np.intp], partner_rows: IntArray
    ) -> npt.NDArray[np.bool_]:
        orders, partners = frame.orders, frame.partners
        if orders is None or partners is None:
            return np.zeros(rows.size, dtype=bool)
        if "email" not in orders._extras or "email" not in partners._extras:
            return np.zeros(rows.size, dtype=bool)
        mine, theirs = _address_codes(
            np.asarray(orders["email"], dtype=object)[rows],
            np.asarray(partners["email"], dtype=object),
        )
        result: npt.NDArray[np.bool_] = (mine >= 0) & (mine == theirs[partner_rows])
        return result

    def stream(self, context: StreamContext) -> Stream:
        """Judge each order against the partners' identities in the context."""
        return _SelfReferralStream(context)


class _SelfReferralStream(Stream):
    def __init__(self, context: StreamContext) -> None:
        self._identities = (
            ("self_referral_email", "email_hash", context.partner_emails),
            ("self_referral_payment", "payment_fingerprint", context.partner_cards),
            ("self_referral_device", "device_id", context.partner_devices),
            ("self_referral_ip", "ip", context.partner_ips),
        )
        self._addresses = context.partner_addresses

    def order(self, event: OrderEvent) -> list[Flag]:
        partner = event.partner_id
        if partner is None:
            return []
        flags = []
        for code, field, owners in self._identities:
            value = getattr(event, field)
            hit = value is not None and partner in owners.get(value, ())
            if not hit and code == "self_referral_email" and self._addresses:
                raw = event.extras.get("email")
                if raw is not None:
                    address = normalise_email(str(raw))
                    hit = bool(address) and partner in self._addresses.get(address, ())
            if hit:
                flags.append(
                    flag(
                        "order", event.order_id, code, 1, 1, evidence=(partner,), partner_id=partner
                    )
                )
        return flags
