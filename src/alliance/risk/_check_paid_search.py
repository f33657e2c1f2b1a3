"""The check on partners bidding on the brand: clicks through an ad or a search engine.

It judges a click alone, so it has a streaming form that flags exactly what its batch `run`
flags when the same clicks are fed in time order.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlsplit

import numpy as np
from pydantic import Field, field_validator

from alliance.risk._check import Check
from alliance.risk._check_common import NonEmpty, _memo, _tuples, event_flags
from alliance.risk._events import ClickEvent, Stream, StreamContext, flag
from alliance.risk._flags import Flag, Flags, reason
from alliance.risk._frame import Frame
from alliance.risk._windows import IntArray, ObjArray

__all__ = ["PaidSearch"]

reason(
    "ad_click_id",
    "paid_search",
    "click",
    "landing URL carries an ad network's click id",
    op="==",
    unit="",
    action="block",
    weight=0.8,
)
reason(
    "search_referrer",
    "paid_search",
    "click",
    "referred by a search engine",
    op="==",
    unit="",
    action="review",
    weight=0.5,
)


def _text(value: Any) -> str | None:
    """An extra cell as text, as the batch codes read it (``None`` when missing)."""
    return None if value is None else str(value)


# --- paid search ------------------------------------------------------------------------------

DEFAULT_AD_PARAMETERS = (
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "ttclid",
    "twclid",
    "li_fat_id",
    "yclid",
    "dclid",
)
DEFAULT_SEARCH_HOSTS = (
    "google.*",
    "bing.com",
    "yahoo.*",
    "duckduckgo.com",
    "baidu.com",
    "yandex.*",
    "naver.com",
    "sogou.com",
    "so.com",
    "ecosia.org",
)
_HOST_PATTERN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*(\.\*)?$")
#: Second-level labels of country-code domains (``google.co.uk``, ``yandex.com.tr``).
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "go", "gob", "gov", "ne", "net", "or", "org"})


def _ad_click_id(url: str, parameters: frozenset[str]) -> str | None:
    """``name=value`` of the first ad click id in a URL's query (names ignore case)."""
    try:
        query = urlsplit(url.strip()).query
    except ValueError:
        return None
    for name, value in parse_qsl(query):
        if value and name.lower() in parameters:
            return f"{name}={value}"
    return None


def _is_public_suffix(labels: list[str]) -> bool:
    """Whether some labels look like a top-level domain (``com``, ``de``, ``co.uk``)."""
    if len(labels) == 1:
        return len(labels[0]) >= 2 and labels[0].isalpha()
    return (
        len(labels) == 2
        and labels[0] in _SECOND_LEVEL
        and len(labels[1]) == 2
        and labels[1].isalpha()
    )


def _host_matches(host: str, pattern: str) -> bool:
    """Whether a host is a pattern's domain or under it (``name.*``: under any top level)."""
    if not pattern.endswith(".*"):
        return host == pattern or host.endswith("." + pattern)
    name = pattern[:-2].split(".")
    labels = host.split(".")
    for start in range(len(labels) - len(name)):
        end = start + len(name)
        if labels[start:end] == name and _is_public_suffix(labels[end:]):
            return True
    return False


def _search_host(referrer: str, patterns: tuple[str, ...]) -> str | None:
    """The referrer's host if it is a search engine's, else ``None``."""
    text = referrer.strip()
    try:
        parts = urlsplit(text)
        if not parts.netloc and "//" not in text:
            parts = urlsplit("//" + text)
        host = parts.hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    return host if any(_host_matches(host, p) for p in patterns) else None


def _may_hold(text: str, needles: tuple[str, ...]) -> bool:
    """Whether a text may hold one of some lower-case needles (always, if it is not ASCII)."""
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(needle in lowered for needle in needles)


def _rows_holding(texts: list[str], needles: tuple[str, ...]) -> list[int]:
    """The positions of the texts for which `_may_hold` is true, in a few passes over all.

    The texts are searched joined into one string, one `str.find` pass per needle, so most
    URLs are never parsed; only the texts that may match are judged one by one.
    """
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    starts = (np.cumsum(lengths) - lengths).tolist()
    joined = "\n".join(texts)
    found: set[int] = set()
    if not joined.isascii():  # lower-casing may change lengths: search the ASCII texts only
        ascii_texts = [text if text.isascii() else "" for text in texts]
        found.update(i for i, text in enumerate(texts) if not text.isascii())
        joined = "\n".join(ascii_texts)
        lengths = np.fromiter(map(len, ascii_texts), dtype=np.int64, count=len(texts)) + 1
        starts = (np.cumsum(lengths) - lengths).tolist()
    lowered = joined.lower()
    for needle in needles:
        at = lowered.find(needle)
        while at >= 0:
            row = bisect_right(starts, at) - 1
            found.add(row)
            at = lowered.find(needle, starts[row + 1]) if row + 1 < len(starts) else -1
    return sorted(found)


class _TextRule:
    """A verdict on a text (a URL), with the needles any text it flags must hold."""

    __slots__ = ("judge", "needles")

    def __init__(self, judge: Callable[[str], str | None], needles: tuple[str, ...]) -> None:
        self.judge = judge
        self.needles = needles

    def rows(self, values: ObjArray) -> tuple[IntArray, list[str]]:
        """The rows of a column it flags and their verdicts (each distinct text judged once)."""
        texts = ["" if value is None else str(value) for value in values.tolist()]
        verdicts: dict[str, str | None] = {}
        rows, shown = [], []
        for row in _rows_holding(texts, self.needles):
            text = texts[row]
            if text in verdicts:
                verdict = verdicts[text]
            else:
                verdict = verdicts[text] = self.judge(text)
            if verdict is not None:
                rows.append(row)
                shown.append(verdict)
        return np.array(rows, dtype=np.int64), shown

    def one(self, text: str, cache: dict[str, str | None]) -> str | None:
        """The verdict on one text (`rows` for a one-row column)."""
        if not _may_hold(text, self.needles):
            return None
        return _memo(cache, text, self.judge)


class PaidSearch(Check):
    """Paid search on the brand: clicks that came through an ad or a search engine.

    A partner bidding on the brand's own search terms sends clicks whose landing URL carries
    the ad network's click id, or whose referrer is a search results page. URLs are parsed
    with `urllib.parse`, each distinct one once, and only those that hold a parameter name
    or search engine name at all. Without the columns no click is flagged.

    Reason codes:
        ``ad_click_id`` (click, block, 0.8): the landing URL's query has a non-empty
        parameter from ``ad_parameters`` (names ignore case); observed 1, threshold 1;
        evidence ``"name=value"``.
        ``search_referrer`` (click, review, 0.5): the referrer's host is a search engine's
        (``search_hosts``); observed 1, threshold 1; evidence the host.

    Attributes:
        landing_column: Clicks extra column with the landing URL (default ``"landing_url"``).
        referrer_column: Clicks extra column with the referrer (default ``"referrer"``).
        ad_parameters: Query parameters of ad click ids (default: Google, Meta, Microsoft,
            TikTok, X, LinkedIn, Yandex and DoubleClick ids).
        search_hosts: Search engine domains; a domain matches itself and its subdomains,
            ``name.*`` any top-level domain (``google.*``: ``www.google.co.uk``).
    """

    check: Literal["paid_search"] = "paid_search"
    needs: ClassVar[tuple[str, ...]] = ("clicks",)
    codes: ClassVar[tuple[str, ...]] = ("ad_click_id", "search_referrer")

    landing_column: NonEmpty = "landing_url"
    referrer_column: NonEmpty = "referrer"
    ad_parameters: tuple[Annotated[str, Field(pattern=r"^[^\s&=#%]+$")], ...] = (
        DEFAULT_AD_PARAMETERS
    )
    search_hosts: tuple[str, ...] = DEFAULT_SEARCH_HOSTS

    @field_validator("search_hosts")
    @classmethod
    def _check_hosts(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(host.strip().lower() for host in hosts)
        for given, host in zip(hosts, cleaned, strict=True):
            if not _HOST_PATTERN.match(host):
                raise ValueError(
                    f"search_hosts: {given!r} is not a domain such as 'bing.com' or 'google.*'"
                )
        return cleaned

    @property
    def _rules(self) -> tuple[_TextRule, _TextRule]:
        parameters = frozenset(name.lower() for name in self.ad_parameters)
        hosts = self.search_hosts
        # Percent-encoded names are unquoted by the parser: such URLs are always judged.
        landing = _TextRule(lambda url: _ad_click_id(url, parameters), (*sorted(parameters), "%"))
        names = tuple(sorted({host.removesuffix(".*") for host in hosts}))
        referrer = _TextRule(lambda text: _search_host(text, hosts), names)
        return landing, referrer

    def run(self, frame: Frame) -> Flags:
        """The flags of this check over the frame's tables."""
        clicks = frame.clicks
        if clicks is None:
            return Flags.empty()
        parts = []
        for column, code, rule in zip(
            (self.landing_column, self.referrer_column), self.codes, self._rules, strict=True
        ):
            if column not in clicks:
                continue
            rows, shown = rule.rows(clicks[column])
            parts.append(
                event_flags(
                    frame,
                    "click",
                    rows,
                    code,
                    observed=1.0,
                    threshold=1.0,
                    evidence=_tuples((verdict,) for verdict in shown),
                )
            )
        return Flags.concat(parts)

    def stream(self, context: StreamContext) -> Stream:
        """The streaming form: judges each click's landing URL and referrer."""
        return _PaidSearchStream(self)


class _PaidSearchStream(Stream):
    __slots__ = ("_caches", "_columns", "_rules")

    def __init__(self, check: PaidSearch) -> None:
        self._columns = (check.landing_column, check.referrer_column)
        self._rules = check._rules
        self._caches: tuple[dict[str, str | None], ...] = ({}, {})

    def click(self, event: ClickEvent) -> list[Flag]:
        flags = []
        for column, code, rule, cache in zip(
            self._columns, PaidSearch.codes, self._rules, self._caches, strict=True
        ):
            text = _text(event.extras.get(column))
            found = None if text is None else rule.one(text, cache)
            if found is not None:
                flags.append(
                    flag(
                        "click",
                        event.click_id,
                        code,
                        1.0,
                        1.0,
                        evidence=(found,),
                        partner_id=event.partner_id,
                    )
                )
        return flags
