"""Checks on where traffic comes from: anonymous IP ranges and geography.

Each check here judges an event from the past alone, so each has a streaming form that flags
exactly what its batch `run` flags when the same events are fed in time order.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, PrivateAttr, field_validator

from alliance._tables import Clicks, Orders
from alliance.risk._check import Check
from alliance.risk._check_common import (
    NonEmpty,
    _memo,
    _tuples,
    event_flags,
)
from alliance.risk._events import ClickEvent, OrderEvent, Stream, StreamContext, flag
from alliance.risk._flags import Flag, Flags, reason
from alliance.risk._frame import Frame, column_codes
from alliance.risk._windows import IntArray, ObjArray, joint_codes

__all__ = ["AnonymousIp", "Geo"]

reason(
    "anonymous_ip",
    "anonymous_ip",
    "click",
    "click from an anonymous IP range (data centre, VPN, proxy, Tor)",
    op="==",
    unit="",
    action="discard_click",
    weight=0.5,
)
reason(
    "anonymous_ip_order",
    "anonymous_ip",
    "order",
    "order from an anonymous IP range (data centre, VPN, proxy, Tor)",
    op="==",
    unit="",
    action="review",
    weight=0.5,
)
reason(
    "geo_mismatch",
    "geo",
    "order",
    "order country differs from the IP or winning click country",
    op="==",
    unit="",
    action="review",
    weight=0.4,
)
reason(
    "out_of_market",
    "geo",
    "order",
    "order from outside the programme's markets",
    op="==",
    unit="",
    action="review",
    weight=0.3,
)
reason(
    "out_of_market_click",
    "geo",
    "click",
    "click from outside the programme's markets",
    op="==",
    unit="",
    action="discard_click",
    weight=0.3,
)


# --- anonymous IP addresses -------------------------------------------------------------------

_pton4 = partial(socket.inet_pton, socket.AF_INET)


def _ip_number(text: str) -> tuple[int, int] | None:
    """IP version (4 or 6) and the address as an integer; ``None`` if not an address.

    IPv4-mapped IPv6 addresses (``::ffff:1.2.3.4``) are read as their IPv4 address.
    """
    if ":" not in text:
        try:
            return 4, int.from_bytes(_pton4(text), "big")
        except (OSError, ValueError):
            return None
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    mapped = address.ipv4_mapped
    return (4, int(mapped)) if mapped is not None else (6, int(address))


@dataclass(frozen=True)
class _Ranges:
    """One IP version's ranges cut into disjoint pieces, each owned by its narrowest range.

    ``bounds`` are the sorted starts of the pieces; ``owner[i]`` is the range covering
    ``[bounds[i], bounds[i + 1])`` (-1 none). CIDR blocks nest or are disjoint, so the
    narrowest covering block is well defined; the same block under two labels goes to the
    label given first.
    """

    bounds: list[int]
    owner: list[int]

    @classmethod
    def build(cls, blocks: list[tuple[int, int, int, int]]) -> _Ranges:
        """From ``(index, prefix length, first address, last address + 1)`` per block."""
        bounds = sorted({b[2] for b in blocks} | {b[3] for b in blocks})
        position = {bound: i for i, bound in enumerate(bounds)}
        owner = np.full(len(bounds), -1, dtype=np.int64)
        for index, _, start, end in sorted(blocks, key=lambda b: (b[1], -b[0])):
            owner[position[start] : position[end]] = index
        return cls(bounds, owner.tolist())

    def find(self, number: int) -> int:
        """The block holding an address (-1 none)."""
        piece = bisect_right(self.bounds, number) - 1
        return self.owner[piece] if piece >= 0 else -1

    def find_all(self, numbers: npt.NDArray[Any]) -> IntArray:
        """`find` for many addresses (int64 for IPv4, Python ints for IPv6)."""
        if not self.bounds or numbers.size == 0:
            return np.full(numbers.size, -1, dtype=np.int64)
        dtype = np.int64 if numbers.dtype != object else object
        piece = np.searchsorted(np.array(self.bounds, dtype=dtype), numbers, side="right") - 1
        owner = np.append(np.array(self.owner, dtype=np.int64), -1)
        found: IntArray = owner[np.where(piece >= 0, piece, -1)]
        return found


@dataclass(frozen=True)
class _IpRanges:
    """The caller's ranges, searchable by IPv4 and IPv6 integers."""

    blocks: tuple[tuple[str, str], ...]
    v4: _Ranges
    v6: _Ranges

    @classmethod
    def build(cls, ranges: Mapping[str, tuple[str, ...]]) -> _IpRanges:
        blocks: list[tuple[str, str]] = []
        by_version: dict[int, list[tuple[int, int, int, int]]] = {4: [], 6: []}
        for label, cidrs in ranges.items():
            for cidr in cidrs:
                network = ipaddress.ip_network(cidr.strip())
                start = int(network.network_address)
                by_version[network.version].append(
                    (len(blocks), network.prefixlen, start, start + network.num_addresses)
                )
                blocks.append((label, str(network)))
        return cls(tuple(blocks), _Ranges.build(by_version[4]), _Ranges.build(by_version[6]))

    def find(self, text: str) -> int:
        """The block holding an address given as text (-1 none or not an address)."""
        parsed = _ip_number(text)
        if parsed is None:
            return -1
        version, number = parsed
        return (self.v4 if version == 4 else self.v6).find(number)

    def find_all(self, texts: list[str]) -> IntArray:
        """`find` for many distinct addresses; IPv4 dotted quads are converted in bulk."""
        found = np.full(len(texts), -1, dtype=np.int64)
        if not self.blocks:
            return found
        quads = [i for i, text in enumerate(texts) if ":" not in text]
        try:
            packed = b"".join(map(_pton4, (texts[i] for i in quads)))
            numbers = np.frombuffer(packed, dtype=">u4").astype(np.int64)
            found[quads] = self.v4.find_all(numbers)
            rest = [i for i, text in enumerate(texts) if ":" in text]
        except (OSError, ValueError):  # some text is no dotted quad: one at a time
            rest = list(range(len(texts)))
        parsed = [(i, _ip_number(texts[i])) for i in rest]
        for version in (4, 6):
            picked = [(i, p[1]) for i, p in parsed if p is not None and p[0] == version]
            if picked:
                numbers = np.empty(len(picked), dtype=object if version == 6 else np.int64)
                numbers[:] = [number for _, number in picked]
                ranges = self.v4 if version == 4 else self.v6
                found[[i for i, _ in picked]] = ranges.find_all(numbers)
        return found


class AnonymousIp(Check):
    """Anonymous IP addresses: clicks and orders from data centres, VPNs, proxies or Tor.

    The caller supplies the ranges (lists of CIDR blocks by label, e.g. a Tor exit list and a
    cloud providers' list); none are built in, so by default nothing is flagged. IPv4 and
    IPv6 addresses are matched (an IPv4-mapped IPv6 address as its IPv4 address); text that
    is no IP address matches nothing. Where blocks nest, the narrowest one is reported.

    Reason codes:
        ``anonymous_ip`` (click, discard_click, 0.5): the click's IP address lies in a range;
        observed 1, threshold 1; evidence (label, CIDR block).
        ``anonymous_ip_order`` (order, review, 0.5): the same for the order's IP address.

    Attributes:
        ranges: Label to CIDR blocks, e.g. ``{"tor": ("185.220.101.0/24",), "datacenter":
            ("3.0.0.0/9", "2600:1f00::/24")}``; blocks with host bits set are refused.

    Examples:
        >>> import alliance as al
        >>> clicks = al.Clicks.from_records([
        ...     {"click_id": "C1", "ts": "2026-10-01T12:00:00Z", "partner_id": "P1",
        ...      "ip": "185.220.101.7"},
        ...     {"click_id": "C2", "ts": "2026-10-01T12:00:00Z", "partner_id": "P1",
        ...      "ip": "2001:db8::1"},
        ... ])
        >>> check = AnonymousIp(ranges={"tor": ("185.220.101.0/24",)})
        >>> [(f.id, f.evidence) for f in check(clicks=clicks)]
        [('C1', ('tor', '185.220.101.0/24'))]
    """

    check: Literal["anonymous_ip"] = "anonymous_ip"
    codes: ClassVar[tuple[str, ...]] = ("anonymous_ip", "anonymous_ip_order")

    ranges: Mapping[NonEmpty, tuple[str, ...]] = Field(default_factory=dict)
    _table: _IpRanges = PrivateAttr()

    @field_validator("ranges")
    @classmethod
    def _check_ranges(cls, ranges: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
        for label, cidrs in ranges.items():
            for cidr in cidrs:
                try:
                    ipaddress.ip_network(cidr.strip())
                except ValueError as error:
                    raise ValueError(
                        f"ranges[{label!r}]: {cidr!r} is not a CIDR block ({error})"
                    ) from None
        return dict(ranges)

    def model_post_init(self, context: Any, /) -> None:
        """Build the search table of the ranges."""
        self._table = _IpRanges.build(self.ranges)

    def __hash__(self) -> int:
        # The ranges are a dict: hash them as pairs so the frozen check stays hashable.
        return hash((type(self), tuple(self.ranges.items())))

    def run(self, frame: Frame) -> Flags:
        """The flags of this check over the frame's tables."""
        if not self._table.blocks:
            return Flags.empty()
        parts = []
        if frame.clicks is not None:
            rows, blocks = self._matches(frame.clicks)
            parts.append(
                event_flags(
                    frame,
                    "click",
                    rows,
                    "anonymous_ip",
                    observed=1.0,
                    threshold=1.0,
                    evidence=blocks,
                )
            )
        if frame.orders is not None:
            rows, blocks = self._matches(frame.orders)
            parts.append(
                event_flags(
                    frame,
                    "order",
                    rows,
                    "anonymous_ip_order",
                    observed=1.0,
                    threshold=1.0,
                    evidence=blocks,
                )
            )
        return Flags.concat(parts)

    def _matches(self, table: Clicks | Orders) -> tuple[IntArray, ObjArray]:
        codes, addresses = column_codes(table, "ip")
        found = np.append(self._table.find_all(addresses.tolist()), -1)[codes]
        rows = np.flatnonzero(found >= 0).astype(np.int64)
        blocks = self._table.blocks
        return rows, _tuples(blocks[b] for b in found[rows].tolist())

    def stream(self, context: StreamContext) -> Stream:
        """The streaming form: looks each address up once (a bounded cache)."""
        return _AnonymousIpStream(self._table)


class _AnonymousIpStream(Stream):
    __slots__ = ("_found", "_table")

    def __init__(self, table: _IpRanges) -> None:
        self._table = table
        self._found: dict[str, int] = {}

    def _block(self, ip: str | None) -> tuple[str, str] | None:
        if ip is None or not self._table.blocks:
            return None
        found = _memo(self._found, ip, self._table.find)
        return self._table.blocks[found] if found >= 0 else None

    def click(self, event: ClickEvent) -> list[Flag]:
        block = self._block(event.ip)
        if block is None:
            return []
        return [
            flag(
                "click",
                event.click_id,
                "anonymous_ip",
                1.0,
                1.0,
                evidence=block,
                partner_id=event.partner_id,
            )
        ]

    def order(self, event: OrderEvent) -> list[Flag]:
        block = self._block(event.ip)
        if block is None:
            return []
        return [
            flag(
                "order",
                event.order_id,
                "anonymous_ip_order",
                1.0,
                1.0,
                evidence=block,
                partner_id=event.partner_id,
            )
        ]


# --- geography --------------------------------------------------------------------------------

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _country(value: Any) -> str | None:
    """A country cell, trimmed and upper-cased (``None`` when missing or blank)."""
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None


def _normalised(codes: IntArray, names: ObjArray) -> tuple[IntArray, ObjArray]:
    """Codes and categories of a country column after trimming and upper-casing."""
    normal = [_country(name) for name in names.tolist()]
    kept = sorted({name for name in normal if name is not None})
    position = {name: i for i, name in enumerate(kept)}
    lookup = np.array([position.get(n, -1) if n else -1 for n in normal] + [-1], dtype=np.int64)
    categories = np.empty(len(kept), dtype=object)
    categories[:] = kept
    return lookup[codes], categories


class Geo(Check):
    """Geography: orders whose country does not fit their IP address or click, or the market.

    Reason codes:
        ``geo_mismatch`` (order, review, 0.4): the order's country differs from its IP
        country (the orders extra column ``ip_country_column``, where given) or else from
        its winning click's country, both known; observed 1, threshold 1; evidence (order
        country, the other country).
        ``out_of_market`` (order, review, 0.3): the order's country is not one of
        ``markets``; evidence (country,).
        ``out_of_market_click`` (click, discard_click, 0.3): the same for a click.

    Attributes:
        markets: The programme's target markets, ISO 3166 alpha-2 codes (default none: the
            market rules are off).
        ip_country_column: Orders extra column with the country of the order's IP address
            (default ``"ip_country"``); compared in preference to the click's country.
    """

    check: Literal["geo"] = "geo"
    codes: ClassVar[tuple[str, ...]] = ("geo_mismatch", "out_of_market", "out_of_market_click")

    markets: tuple[str, ...] = ()
    ip_country_column: NonEmpty = "ip_country"

    @field_validator("markets")
    @classmethod
    def _check_markets(cls, markets: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(market.strip().upper() for market in markets)
        for given, market in zip(markets, cleaned, strict=True):
            if not _COUNTRY.match(market):
                raise ValueError(f"markets: {given!r} is not a two-letter ISO 3166 code")
        return cleaned

    def run(self, frame: Frame) -> Flags:
        """The flags of this check over the frame's tables."""
        order_country, click_country, ip_country = (
            frame.codes("orders", "country"),
            frame.codes("clicks", "country"),
            _normalised(*frame.codes("orders", self.ip_country_column)),
        )
        (order_c, click_c, ip_c), countries = joint_codes(order_country, click_country, ip_country)
        parts = [self._mismatch(frame, order_c, click_c, ip_c, countries)]
        if self.markets:
            outside = np.append(~np.isin(countries.astype(str), list(self.markets)), False)
            rows = np.flatnonzero(outside[order_c])
            parts.append(
                event_flags(
                    frame,
                    "order",
                    rows,
                    "out_of_market",
                    observed=1.0,
                    threshold=1.0,
                    evidence=_tuples((c,) for c in countries[order_c[rows]].tolist()),
                )
            )
            rows = np.flatnonzero(outside[click_c])
            parts.append(
                event_flags(
                    frame,
                    "click",
                    rows,
                    "out_of_market_click",
                    observed=1.0,
                    threshold=1.0,
                    evidence=_tuples((c,) for c in countries[click_c[rows]].tolist()),
                )
            )
        return Flags.concat(parts)

    @staticmethod
    def _mismatch(
        frame: Frame, order_c: IntArray, click_c: IntArray, ip_c: IntArray, countries: ObjArray
    ) -> Flags:
        if frame.orders is None:
            return Flags.empty()
        won = frame.winning_click
        via_click = np.full(won.size, -1, dtype=np.int64)
        has = won >= 0
        via_click[has] = click_c[won[has]]
        other = np.where(ip_c >= 0, ip_c, via_click)
        rows = np.flatnonzero((order_c >= 0) & (other >= 0) & (order_c != other))
        pairs = zip(countries[order_c[rows]].tolist(), countries[other[rows]].tolist(), strict=True)
        return event_flags(
            frame,
            "order",
            rows,
            "geo_mismatch",
            observed=1.0,
            threshold=1.0,
            evidence=_tuples(pairs),
        )

    def stream(self, context: StreamContext) -> Stream:
        """The streaming form: judges each order by its IP country or winning click."""
        return _GeoStream(frozenset(self.markets), self.ip_country_column)


class _GeoStream(Stream):
    __slots__ = ("_column", "_markets")

    def __init__(self, markets: frozenset[str], column: str) -> None:
        self._markets = markets
        self._column = column

    def click(self, event: ClickEvent) -> list[Flag]:
        country = event.country
        if not self._markets or country is None or country in self._markets:
            return []
        return [
            flag(
                "click",
                event.click_id,
                "out_of_market_click",
                1.0,
                1.0,
                evidence=(country,),
                partner_id=event.partner_id,
            )
        ]

    def order(self, event: OrderEvent) -> list[Flag]:
        country = event.country
        if country is None:
            return []
        flags = []
        other = _country(event.extras.get(self._column))
        if other is None and event.won is not None:
            other = event.won.country
        if other is not None and other != country:
            flags.append(
                flag(
                    "order",
                    event.order_id,
                    "geo_mismatch",
                    1.0,
                    1.0,
                    evidence=(country, other),
                    partner_id=event.partner_id,
                )
            )
        if self._markets and country not in self._markets:
            flags.append(
                flag(
                    "order",
                    event.order_id,
                    "out_of_market",
                    1.0,
                    1.0,
                    evidence=(country,),
                    partner_id=event.partner_id,
                )
            )
        return flags
