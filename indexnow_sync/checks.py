"""Each URL checked the way the engines will see it before it is submitted (SPEC "Checking
before submitting"): a pure verdict from one answer, and the runner that fetches the answers.

:func:`page_verdict` takes what one GET returned (status, every header line, the first
256 KiB of the body) and the direction of the change, and says whether to send the URL, or which
``code`` skips it and why. It is a function of values, tested by tables of cases.

Decisions the SPEC leaves open, made here (and in README):

- Engines: the agents checked (``bingbot`` and ``YandexBot`` by default, or ``--robots-agent``)
  are the engines we submit for. A URL is skipped as ``noindex`` only when it is noindex for
  every one of them; noindex for some is sent, with a warning naming them. The same holds for
  robots.txt.
- The HTML head ends where an HTML5 parser ends it (and where Google says it stops reading):
  at ``<body>``, at the first element that does not belong in a head, or at text. ``<meta>``
  and ``<link>`` after that (a canonical in the body) do not count. Inside ``<noscript>`` and
  ``<template>`` nothing counts (a browser with scripting on reads them as text).
- A ``<meta http-equiv="refresh" content="0; url=...">`` to another URL is an instant redirect
  to engines: like a 3xx (``redirect`` for added and changed URLs, "moved" for removed ones).
- A canonical that differs from the URL only by http/https is sent with a warning (engines
  treat both as the same site's pages); an empty ``href`` is no canonical.
- A bot challenge (Cloudflare, Akamai, Imperva, Sucuri, DataDome, PerimeterX, AWS WAF, Vercel)
  is recognised by its headers (e.g. ``cf-mitigated: challenge``) on any status, and by its page
  on a 401/403/429/503; like a 401 or 403 it is code ``status`` and is never retried.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .buildfiles import BuildFiles
from .errors import join_message
from .models import Skipped
from .robots import Agent, retry_transport, wait_to_retry, what_failed

if TYPE_CHECKING:
    from .content import Rules
    from .indexnow import RetryPolicy, WaitBudget
    from .web import PrefixResponse, WebClient

CODES = (
    "robots",
    "noindex",
    "canonical",
    "redirect",
    "not_found",
    "status",
    "still_live",
)
DIRECTIONS = ("added", "changed", "removed")

HeaderItems = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class PageVerdict:
    """What one URL's answer means for submitting it.

    ``send`` False comes with a ``code`` (one of :data:`CODES`). ``reason`` names what was found
    (the status, the header, the tag, the target). ``noindex_all`` and ``refused`` feed the
    run-wide guards (preview deploy, bot protection)."""

    url: str
    direction: str
    send: bool
    code: str | None
    reason: str
    status: int | None = None
    warnings: tuple[str, ...] = ()
    noindex_all: bool = False
    refused: bool = False


# --- the head of an HTML page ---------------------------------------------------------------

# Start tags that an HTML5 parser keeps in the head; anything else starts the body.
_HEAD_TAGS = frozenset(
    {"html", "head", "meta", "link", "title", "style", "script", "base", "basefont", "bgsound"}
)
_OPAQUE = frozenset({"noscript", "template"})
_TEXT_TAGS = frozenset({"title", "script", "style"})
_READ_CHUNK = 16 * 1024


@dataclass(frozen=True)
class Head:
    """The ``<meta>`` and ``<link>`` elements of a page's head (attribute names lower case)."""

    metas: tuple[dict[str, str], ...]
    links: tuple[dict[str, str], ...]
    base: str | None


class _HeadReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.metas: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.base: str | None = None
        self.ended = False
        self._opaque = 0
        self._in_text = ""  # inside <title>, <script> or <style>: their text is not body text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.ended:
            return
        if tag in _OPAQUE:
            self._opaque += 1
            return
        if self._opaque:
            return
        if tag not in _HEAD_TAGS:
            self.ended = True
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "meta":
            self.metas.append(values)
        elif tag == "link":
            self.links.append(values)
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        if tag in _TEXT_TAGS:
            self._in_text = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _OPAQUE:
            return  # <template/>: nothing inside
        self.handle_starttag(tag, attrs)
        self._in_text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in _OPAQUE and self._opaque:
            self._opaque -= 1
        elif tag == self._in_text:
            self._in_text = ""
        elif tag == "html" or (tag == "body" and not self._opaque):
            self.ended = True

    def handle_data(self, data: str) -> None:
        if not self.ended and not self._opaque and not self._in_text and data.strip():
            self.ended = True  # text starts the body


def read_head(html: str) -> Head:
    """The head of an HTML document, read only as far as the head goes.

    The text is fed in pieces that double in size: the parser reads an unfinished construct
    (a tag still open at the end of a piece) again with each piece, so equal pieces would cost
    time quadratic in a hostile page's size, doubling ones stay linear. Markup the parser
    refuses (``<![`` followed by no name raises in ``html.parser``) ends the head there, as
    anything else that is not head content does."""
    reader = _HeadReader()
    if html.startswith("\ufeff"):
        html = html[1:]
    start, size = 0, _READ_CHUNK
    try:
        while start < len(html) and not reader.ended:
            reader.feed(html[start : start + size])
            start, size = start + size, size * 2
    except AssertionError:
        pass
    return Head(tuple(reader.metas), tuple(reader.links), reader.base)


# --- the page's text: the WHATWG Encoding Standard's labels, a BOM first ---------------------

# The encodings of the Encoding Standard (https://encoding.spec.whatwg.org/encodings.json) and
# their labels, with the Python codec that decodes each. Any other label (a Python codec such
# as rot13 or base64, a typo) is no encoding to a browser.
_WHATWG_ENCODINGS: tuple[tuple[str, str, str], ...] = (
    ("utf-8", "utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
    ("ibm866", "cp866", "866 cp866 csibm866 ibm866"),
    (
        "iso-8859-2",
        "iso8859_2",
        "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
    ),
    (
        "iso-8859-3",
        "iso8859_3",
        "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
    ),
    (
        "iso-8859-4",
        "iso8859_4",
        "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
    ),
    (
        "iso-8859-5",
        "iso8859_5",
        "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 "
        "iso88595 iso_8859-5 iso_8859-5:1988",
    ),
    (
        "iso-8859-6",
        "iso8859_6",
        "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic "
        "ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 "
        "iso_8859-6:1987",
    ),
    (
        "iso-8859-7",
        "iso8859_7",
        "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 "
        "iso-ir-126 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    ),
    (
        "iso-8859-8",
        "iso8859_8",
        "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e "
        "iso-ir-138 iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual",
    ),
    ("iso-8859-8-i", "iso8859_8", "csiso88598i iso-8859-8-i logical"),
    (
        "iso-8859-10",
        "iso8859_10",
        "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    ),
    ("iso-8859-13", "iso8859_13", "iso-8859-13 iso8859-13 iso885913"),
    ("iso-8859-14", "iso8859_14", "iso-8859-14 iso8859-14 iso885914"),
    ("iso-8859-15", "iso8859_15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9"),
    ("iso-8859-16", "iso8859_16", "iso-8859-16"),
    ("koi8-r", "koi8_r", "cskoi8r koi koi8 koi8-r koi8_r"),
    ("koi8-u", "koi8_u", "koi8-ru koi8-u"),
    ("macintosh", "mac_roman", "csmacintosh mac macintosh x-mac-roman"),
    ("windows-874", "cp874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
    ("windows-1250", "cp1250", "cp1250 windows-1250 x-cp1250"),
    ("windows-1251", "cp1251", "cp1251 windows-1251 x-cp1251"),
    (
        "windows-1252",
        "cp1252",
        "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 "
        "iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii "
        "windows-1252 x-cp1252",
    ),
    ("windows-1253", "cp1253", "cp1253 windows-1253 x-cp1253"),
    (
        "windows-1254",
        "cp1254",
        "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 "
        "iso_8859-9 iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
    ),
    ("windows-1255", "cp1255", "cp1255 windows-1255 x-cp1255"),
    ("windows-1256", "cp1256", "cp1256 windows-1256 x-cp1256"),
    ("windows-1257", "cp1257", "cp1257 windows-1257 x-cp1257"),
    ("windows-1258", "cp1258", "cp1258 windows-1258 x-cp1258"),
    ("x-mac-cyrillic", "mac_cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
    # The Standard decodes GBK with the gb18030 decoder.
    (
        "gbk",
        "gb18030",
        "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    ),
    ("gb18030", "gb18030", "gb18030"),
    ("big5", "big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    ("euc-jp", "euc_jp", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    ("iso-2022-jp", "iso2022_jp", "csiso2022jp iso-2022-jp"),
    ("shift_jis", "cp932", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis"),
    (
        "euc-kr",
        "cp949",
        "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 "
        "ks_c_5601-1989 ksc5601 ksc_5601 windows-949",
    ),
    # Decoded by browsers as one U+FFFD: nothing in such a page can be read.
    ("replacement", "", "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr"),
    ("utf-16be", "utf-16-be", "unicodefffe utf-16be"),
    (
        "utf-16le",
        "utf-16-le",
        "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    ),
    # Bytes 0x80-0xFF to private-use characters; ASCII, all that matters here, as it is.
    ("x-user-defined", "latin-1", "x-user-defined"),
)
_LABELS = {
    label: (name, codec) for name, codec, labels in _WHATWG_ENCODINGS for label in labels.split()
}
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16be"), (b"\xff\xfe", "utf-16le"))
_PRESCAN_BYTES = 4096
_LABEL_END = frozenset(b"\t\n\f\r \"';>/")


@dataclass(frozen=True)
class PageText:
    """A page decoded as a browser decodes it: the text, the encoding's WHATWG name, and a note
    when a declared label named no text encoding (the default was used instead)."""

    text: str
    encoding: str
    note: str | None = None


def _whatwg_encoding(label: str) -> tuple[str, str] | None:
    """(name, Python codec) for a WHATWG label; None for anything else, or for a codec this
    Python lacks or that is no text encoding (checked, not assumed)."""
    found = _LABELS.get(label.strip("\t\n\f\r ").lower())
    if found is None or not found[1]:
        return found
    try:
        info = codecs.lookup(found[1])
    except LookupError:
        return None
    return found if getattr(info, "_is_text_encoding", True) else None


def _content_type_charset(value: str) -> str | None:
    """The ``charset`` parameter of a Content-Type value, unquoted; None when absent."""
    for parameter in value.split(";")[1:]:
        name, equals, given = parameter.partition("=")
        if equals and name.strip().lower() == "charset":
            return given.strip().strip("\"'").strip()
    return None


def _meta_charset(body: bytes) -> str | None:
    """A ``charset=`` inside a ``<meta ...>`` tag of the first 4 KiB (``<meta charset>`` and
    ``<meta http-equiv=Content-Type content="...; charset=...">``): HTML's prescan, simplified.
    Each byte is looked at a bounded number of times."""
    window = body[:_PRESCAN_BYTES].lower()
    start = window.find(b"<meta")
    while start >= 0:
        end = window.find(b">", start)
        end = len(window) if end < 0 else end
        at = window.find(b"charset", start, end)
        while at >= 0:
            cursor = at + len(b"charset")
            while cursor < end and window[cursor] in b"\t\n\f\r ":
                cursor += 1
            if cursor < end and window[cursor] == ord("="):
                cursor += 1
                while cursor < end and window[cursor] in b"\t\n\f\r \"'":
                    cursor += 1
                stop = cursor
                while stop < end and window[stop] not in _LABEL_END:
                    stop += 1
                if stop > cursor:
                    return window[cursor:stop].decode("ascii", "replace")
            at = window.find(b"charset", at + 1, end)
        start = window.find(b"<meta", end)
    return None


def page_text(body: bytes, content_type_header: str) -> PageText:
    """Decode a page the way browsers do: a BOM decides; else the Content-Type's charset, else
    a ``<meta>`` charset, when it is a label of the WHATWG Encoding Standard; else UTF-8 (the
    Standard's default). A label that names no text encoding (``rot13``, ``base64``, a typo)
    is skipped, and noted. Bytes that do not decode become U+FFFD: decoding never fails."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            codec = _LABELS[name][1]
            return PageText(body[len(bom) :].decode(codec, "replace"), name)
    notes: list[str] = []
    chosen: tuple[str, str] | None = None
    for where, label in (
        ("Content-Type", _content_type_charset(content_type_header)),
        ("<meta>", _meta_charset(body)),
    ):
        if label is None:
            continue
        chosen = _whatwg_encoding(label)
        if chosen is not None:
            if where == "<meta>" and chosen[0] in ("utf-16be", "utf-16le"):
                chosen = _LABELS["utf-8"]  # HTML: a page that declares itself so is not UTF-16
            elif where == "<meta>" and chosen[0] == "x-user-defined":
                chosen = _LABELS["windows-1252"]
            break
        notes.append(f"{where} charset {_shorten(label, 60)!r}")
    name, codec = chosen or _LABELS["utf-8"]
    note = None
    if notes:
        note = (
            f"{' and '.join(notes)} names no text encoding of the WHATWG Encoding Standard "
            f"(browsers ignore it): read as {'UTF-8' if chosen is None else name}"
        )
    if not codec:  # the replacement encoding
        return PageText("\ufffd", name, note)
    return PageText(body.decode(codec, "replace"), name, note)


def _shorten(text: str, limit: int = 200) -> str:
    """``text`` cut to about ``limit`` characters for a message (a header may be 64 KB)."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def looks_like_html(content_type: str, body: bytes) -> bool:
    """HTML by its media type, or (with none given) by how it starts."""
    from .content import answer_is_html

    return answer_is_html(content_type, body)


# --- noindex --------------------------------------------------------------------------------

# Directives whose value contains a colon: never read as a "botname:" prefix.
_COLON_DIRECTIVES = frozenset(
    {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
)
_PREFIX = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_.-]*)\s*:(.*)$")
_NOINDEX = frozenset({"noindex", "none"})


def _noindex_in(directives: str) -> bool:
    return any(word in _NOINDEX for word in re.split(r"[\s,;]+", directives.lower()))


@dataclass(frozen=True)
class Noindex:
    """Which agents a page is noindex for, and the evidence for each."""

    agents: tuple[Agent, ...]
    evidence: tuple[str, ...]


_EVIDENCE_SHOWN = 5  # pieces of evidence named in one reason
MAX_HEADER_LINES = 100  # of one header name read per answer (http.client allows 100 in all)


def _header_lines(headers: HeaderItems, name: str) -> list[str]:
    """The values of the first :data:`MAX_HEADER_LINES` lines of header ``name``."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted][:MAX_HEADER_LINES]


def _x_robots_scopes(value: str) -> set[str | None]:
    """The scopes one ``X-Robots-Tag`` line says noindex for: None (every engine) or a bot
    name. A ``name:`` prefix scopes what follows it, up to the next prefix."""
    scopes: set[str | None] = set()
    scope: str | None = None
    for part in value.split(","):
        prefix = _PREFIX.match(part)
        if prefix and prefix.group(1).lower() not in _COLON_DIRECTIVES:
            scope = prefix.group(1).lower()
            part = prefix.group(2)
        if _noindex_in(part):
            scopes.add(scope)
    return scopes


def find_noindex(headers: HeaderItems, head: Head | None, agents: Sequence[Agent]) -> Noindex:
    """Every ``X-Robots-Tag`` header line and every robots ``<meta>`` in the head, scoped per
    engine: no prefix (and ``<meta name="robots">``) applies to all; ``bingbot:`` and
    ``msnbot:`` to Bing; ``yandex:`` and ``yandexbot:`` to Yandex; any other bot's prefix
    (``googlebot:``) to nobody we submit for. Each piece of evidence is shortened and kept
    once, whatever the number of directives in it."""
    hit: set[Agent] = set()
    evidence: dict[str, None] = {}

    def mark(scope: str | None, shown: str) -> None:
        targets = [a for a in agents if scope is None or scope in a.noindex_names]
        hit.update(targets)
        if targets:
            evidence.setdefault(shown)

    for value in _header_lines(headers, "X-Robots-Tag"):
        shown = f"X-Robots-Tag: {_shorten(value.strip())}"
        for scope in _x_robots_scopes(value):
            mark(scope, shown)
    for meta in head.metas if head else ():
        meta_name = meta.get("name", "").strip().lower()
        if meta_name != "robots" and not any(meta_name in a.noindex_names for a in agents):
            continue
        if _noindex_in(meta.get("content", "")):
            shown = _shorten(
                f'<meta name="{meta.get("name", "")}" content="{meta.get("content", "")}">'
            )
            mark(None if meta_name == "robots" else meta_name, shown)
    return Noindex(tuple(a for a in agents if a in hit), tuple(evidence))


# --- canonical and redirects ----------------------------------------------------------------

_UNRESERVED_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _link_values(value: str) -> Iterator[tuple[str, str]]:
    """``(target, parameters)`` of each link-value in one ``Link`` line (RFC 8288:
    ``<target>; name=value; ...``, values separated by commas outside quoted strings). One
    pass over the line: every search starts where the last one ended."""
    position = 0
    while True:
        start = value.find("<", position)
        end = value.find(">", start + 1) if start >= 0 else -1
        if end < 0:
            return  # no link-value (a later "<" has no ">" after it either)
        stop = end + 1
        while True:  # to the next comma outside a quoted string
            comma = value.find(",", stop)
            quote = value.find('"', stop)
            if quote < 0 or (0 <= comma < quote):
                stop = len(value) if comma < 0 else comma
                break
            closing = value.find('"', quote + 1)
            if closing < 0:
                stop = len(value)
                break
            stop = closing + 1
        parameters = value[end + 1 : stop]
        yield value[start + 1 : end], parameters if parameters.lstrip().startswith(";") else ""
        position = stop


def _rel(parameters: str) -> list[str]:
    """The relation types of a link-value's first ``rel`` parameter, lower case (RFC 8288:
    any later one is ignored, also after a ``rel`` without a value)."""
    for parameter in parameters.split(";"):
        name, _equals, given = parameter.partition("=")
        if name.strip().lower() == "rel":
            return given.strip().strip("\"'").lower().split()
    return []


def link_header_canonicals(headers: HeaderItems) -> list[str]:
    """``Link: <url>; rel="canonical"`` targets, as written, from the ``Link`` lines."""
    found = []
    for value in _header_lines(headers, "Link"):
        for target, parameters in _link_values(value):
            if "canonical" in _rel(parameters):
                found.append(target.strip())
    return found


def comparable(url: str) -> str:
    """A URL in a form where two spellings of the same address are equal: scheme and host
    lower case, default port and fragment dropped, empty path as "/", percent-escapes upper
    case and non-ASCII characters escaped. Nothing else: ``/a`` and ``/a/`` stay different."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"

    def escape(text: str) -> str:
        text = quote(text, safe="/%:@!$&'()*+,;=-._~?")
        return _UNRESERVED_ESCAPE.sub(lambda m: m.group(0).upper(), text)

    return urlunsplit((scheme, netloc, escape(parts.path or "/"), escape(parts.query), ""))


_WHITESPACE = "\t\n\f\r "


def _skip_whitespace(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def refresh_parts(content: str) -> tuple[bool, str] | None:
    """A ``<meta http-equiv=refresh content=...>`` read by HTML's declarative refresh steps:
    (whether the delay is 0, the URL as written: "" for the page itself); None when browsers
    ignore it. One pass, no number conversion (a delay may have thousands of digits)."""
    position = _skip_whitespace(content, 0)
    digits_end = position
    while digits_end < len(content) and content[digits_end] in "0123456789":
        digits_end += 1
    if digits_end == position and not content.startswith(".", position):
        return None
    instant = content[position:digits_end].strip("0") == ""
    position = digits_end
    while position < len(content) and content[position] in "0123456789.":
        position += 1
    if position < len(content):
        if content[position] not in ";," + _WHITESPACE:
            return None
        position = _skip_whitespace(content, position)
        if content.startswith((";", ","), position):
            position = _skip_whitespace(content, position + 1)
    target = content[position:]
    if target[:3].lower() == "url":
        after = _skip_whitespace(target, 3)
        if target.startswith("=", after):
            target = target[_skip_whitespace(target, after + 1) :]
    if target[:1] in ("'", '"'):
        target = target[1:].split(target[0], 1)[0]
    return instant, target.strip(_WHITESPACE)


def _resolve(base: str, reference: str) -> str | None:
    """``reference`` resolved against ``base``; None when it is no URL (``http://[::1``)."""
    try:
        resolved = urljoin(base, reference)
        urlsplit(resolved).port  # noqa: B018 - raises on a port that is no number
    except ValueError:
        return None
    return resolved


def _refresh_target(head: Head | None, base: str, notes: list[str]) -> str | None:
    """The target of an instant (0 s) meta refresh, resolved; None if there is none. A target
    that is no URL is noted and ignored (a browser cannot follow it either)."""
    for meta in head.metas if head else ():
        if meta.get("http-equiv", "").strip().lower() != "refresh":
            continue
        parts = refresh_parts(meta.get("content", ""))
        if parts is None or not parts[0] or not parts[1]:
            continue
        target = _resolve(base, parts[1])
        if target is None:
            notes.append(f"its meta refresh to {_shorten(parts[1])!r} is no URL: ignored")
            continue
        return target
    return None


# --- the verdict ----------------------------------------------------------------------------

_CHALLENGE_HEADERS: tuple[tuple[str, Callable[[str], bool], str], ...] = (
    ("cf-mitigated", lambda v: "challenge" in v.lower(), "Cloudflare"),
    ("x-vercel-mitigated", lambda v: "challenge" in v.lower(), "Vercel"),
    ("x-amzn-waf-action", lambda v: v.strip().lower() in ("challenge", "captcha"), "AWS WAF"),
    ("x-datadome", lambda v: True, "DataDome"),
    ("x-sucuri-block", lambda v: True, "Sucuri"),
)
_CHALLENGE_PAGES: tuple[tuple[bytes, str], ...] = (
    (b"/cdn-cgi/challenge-platform/", "Cloudflare"),
    (b"<title>just a moment...</title>", "Cloudflare"),
    (b"attention required! | cloudflare", "Cloudflare"),
    (b"_incapsula_resource", "Imperva Incapsula"),
    (b"incapsula incident id", "Imperva Incapsula"),
    (b"sucuri website firewall", "Sucuri"),
    (b"captcha-delivery.com", "DataDome"),
    (b"px-captcha", "PerimeterX"),
    (b"vercel security checkpoint", "Vercel"),
    (b"errors.edgesuite.net", "Akamai"),
)
_CHALLENGE_STATUSES = frozenset({401, 403, 429, 503})


def detect_challenge(status: int, headers: HeaderItems, body: bytes) -> str | None:
    """The bot-protection service whose challenge this answer is, or None."""
    for name, value in headers:
        for header, matches, service in _CHALLENGE_HEADERS:
            if name.lower() == header and matches(value):
                return service
    if status in _CHALLENGE_STATUSES:
        sample = body[:32768].lower()
        for marker, service in _CHALLENGE_PAGES:
            if marker in sample:
                return service
    return None


def _header(headers: HeaderItems, name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), "")


def page_verdict(
    url: str,
    direction: str,
    status: int,
    headers: HeaderItems,
    body: bytes,
    agents: Sequence[Agent],
) -> PageVerdict:
    """Whether to send ``url`` given one GET's answer (redirects not followed, body cut at
    256 KiB). ``direction`` is ``added``, ``changed`` or ``removed``.

    Never raises: whatever the answer holds costs only this URL. What cannot be read (a
    Location, refresh, canonical or base that is no URL; a charset no browser knows) is
    ignored and named in a warning; an answer that cannot be judged at all is skipped with
    code ``status`` and the reason."""
    try:
        return _judge(url, direction, status, headers, body, agents)
    except Exception as exc:  # one odd answer must not stop the run
        return PageVerdict(
            url,
            direction,
            False,
            "status",
            f"HTTP {status}: the answer could not be judged ({type(exc).__name__}: "
            f"{_shorten(str(exc), 120)}); please report it to indexnow-sync",
            status,
        )


def _judge(
    url: str,
    direction: str,
    status: int,
    headers: HeaderItems,
    body: bytes,
    agents: Sequence[Agent],
) -> PageVerdict:
    removed = direction == "removed"
    notes: list[str] = []  # what could not be read, whatever the verdict

    def skip(
        code: str, reason: str, *, noindex_all: bool = False, refused: bool = False
    ) -> PageVerdict:
        shown = tuple(f"{url}: {note}" for note in notes)
        return PageVerdict(url, direction, False, code, reason, status, shown, noindex_all, refused)

    def send(reason: str, warnings: Iterable[str] = ()) -> PageVerdict:
        shown = (*(f"{url}: {note}" for note in notes), *warnings)
        return PageVerdict(url, direction, True, None, reason, status, shown)

    service = detect_challenge(status, headers, body)
    if service is not None:
        return skip(
            "status",
            f"HTTP {status}: a {service} bot challenge answered the checker instead of the page "
            "(this says nothing about what engines' crawlers get)",
            refused=True,
        )
    if status in (401, 403):
        return skip(
            "status",
            f"HTTP {status}: the site refuses the checker (login or bot protection?)",
            refused=True,
        )
    if 300 <= status < 400:
        location = _header(headers, "Location").strip()
        target = _resolve(url, location) if location else ""
        if target is None:
            written = _shorten(location)
            if removed:
                return skip("status", f"redirects ({status}) to {written!r}, which is no URL")
            return skip("redirect", f"redirects ({status}) to {written!r}, which is no URL")
        shown = f"redirects ({status}) to {_shorten(target)}" if target else f"answers {status}"
        if removed:
            if target:
                return send(f"moved: {shown}")
            return skip("status", f"{shown} without a Location: neither gone nor moved")
        if target:
            return skip("redirect", f"{shown}: submit the target instead")
        return skip("redirect", f"{shown} without a Location")
    if status in (404, 410):
        if removed:
            return send(f"gone: HTTP {status}")
        return skip("not_found", f"HTTP {status}: the page is not there (yet?)")
    if not 200 <= status < 300:
        return skip("status", f"HTTP {status}")

    content_type_header = _header(headers, "Content-Type")
    content_type = content_type_header.split(";", 1)[0].strip().lower()
    head = None
    if looks_like_html(content_type, body):
        text = page_text(body, content_type_header)
        if text.note is not None:
            notes.append(text.note)
        head = read_head(text.text)
    base = url
    if head is not None and head.base:
        resolved_base = _resolve(url, head.base)
        if resolved_base is None:
            notes.append(f"its <base href={_shorten(head.base)!r}> is no URL: ignored")
        else:
            base = resolved_base

    refresh = _refresh_target(head, base, notes)
    if refresh is not None and comparable(refresh) != comparable(url):
        if removed:
            return send(f"moved: an instant meta refresh to {_shorten(refresh)}")
        return skip(
            "redirect",
            f"an instant <meta http-equiv=refresh> to {_shorten(refresh)}: "
            "submit the target instead",
        )
    if removed:
        return skip(
            "still_live",
            f"HTTP {status}: it left the sitemap but the page is still there "
            "(a sitemap bug, or remove the page)",
        )

    warnings: list[str] = []
    noindex = find_noindex(headers, head, agents)
    evidence = "; ".join(noindex.evidence[:_EVIDENCE_SHOWN])
    if len(noindex.evidence) > _EVIDENCE_SHOWN:
        evidence += f"; and {len(noindex.evidence) - _EVIDENCE_SHOWN} more"
    if agents and len(noindex.agents) == len(agents):
        return skip("noindex", f"noindex ({evidence})", noindex_all=True)
    if noindex.agents:
        names = ", ".join(a.name for a in noindex.agents)
        warnings.append(f"{url} is noindex for {names} only ({evidence}); sent for the others")

    declared = link_header_canonicals(headers)
    if head is not None:
        for link in head.links:
            if "canonical" in link.get("rel", "").lower().split():
                declared.append(link.get("href", "").strip())
    targets: dict[str, str] = {}
    for href in declared:
        if not href:
            continue  # an empty href names no canonical
        resolved = _resolve(base, href)
        if resolved is None:
            notes.append(f"its canonical {_shorten(href)!r} is no URL: ignored")
            continue
        targets.setdefault(comparable(resolved), resolved)
    if len(targets) > 1:
        named = [_shorten(target) for target in targets.values()]
        shown = ", ".join(named[:_EVIDENCE_SHOWN])
        if len(named) > _EVIDENCE_SHOWN:
            shown += f" and {len(named) - _EVIDENCE_SHOWN} more"
        warnings.append(f"{url} declares canonicals that disagree ({shown}): treated as none")
    elif targets:
        key, target = next(iter(targets.items()))
        mine = comparable(url)
        if key != mine:
            if key.split(":", 1)[1] == mine.split(":", 1)[1]:
                warnings.append(
                    f"{url} declares {_shorten(target)} as canonical (another scheme): sent "
                    "anyway; make the canonical use the scheme the site is served on"
                )
            else:
                return skip(
                    "canonical", f"its canonical is {_shorten(target)}: submit that URL instead"
                )
    return send(f"HTTP {status}", warnings)


# --- the runner: fetch, judge, guard --------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a page must hold to be the build's (SPEC "Live means the build's content"): the
    build's fingerprint, the before side's (a live page showing it is a stale copy: not live
    yet), and the rules (``--ignore``) both were made with. The whole answer is read, up to
    ``max_bytes``, to fingerprint it."""

    build: str
    before: str | None
    rules: Rules
    max_bytes: int


@dataclass(frozen=True)
class Candidate:
    """A URL about to be submitted, why it is in the delta, and what its page must hold."""

    url: str
    direction: str  # "added", "changed", "removed" (or "listed" for a URL list: like added)
    expected: Expected | None = None


@dataclass(frozen=True)
class Answer:
    """One URL's GET after retries: the answer, or why there is none."""

    response: PrefixResponse | None
    problem: str = ""  # no answer: what happened
    attempts: int = 1


def fetch_page(
    client: WebClient,
    url: str,
    policy: RetryPolicy,
    budget: WaitBudget,
    *,
    max_bytes: int,
    on_wait: Callable[[str], None] | None = None,
) -> Answer:
    """One GET of a page the way the checks make it (redirects not followed, at most
    ``max_bytes`` read), retried on 408/425/429/5xx and dropped connections within the run's
    budget (``on_wait``: a progress line before each wait); a bot challenge is never
    retried."""
    from .errors import FetchError
    from .indexnow import parse_retry_after, retryable_status
    from .web import get_prefix

    attempts = 0
    while True:
        attempts += 1
        try:
            response = get_prefix(client, url, max_bytes=max_bytes, redirects=0)
        except FetchError as exc:
            if retry_transport(policy, budget, attempts, url, exc.reason, on_wait):
                continue
            return Answer(None, exc.inline.removeprefix(f"{url}: "), attempts)
        status = response.status
        if (
            retryable_status(status)
            and detect_challenge(status, response.header_items, response.body) is None
        ):
            value = response.header("Retry-After")
            retry_after = parse_retry_after(value, policy.wall_clock()) if value else None
            failed = what_failed(url, status)
            if wait_to_retry(policy, budget, attempts, retry_after, failed=failed, on_wait=on_wait):
                continue
        return Answer(response, attempts=attempts)


def _fetch_verdict(
    client: WebClient,
    candidate: Candidate,
    agents: Sequence[Agent],
    policy: RetryPolicy,
    budget: WaitBudget,
    on_wait: Callable[[str], None] | None = None,
) -> PageVerdict:
    """The verdict on one GET (:func:`fetch_page`, 256 KiB read; the whole page when its
    content is compared with the build's)."""
    from .web import PAGE_MAX_BYTES

    url, direction, expected = candidate.url, candidate.direction, candidate.expected
    limit = PAGE_MAX_BYTES if expected is None else max(expected.max_bytes, PAGE_MAX_BYTES)
    answer = fetch_page(client, url, policy, budget, max_bytes=limit, on_wait=on_wait)
    response, attempts = answer.response, answer.attempts
    if response is None:
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        return PageVerdict(url, direction, False, "status", f"no answer{tries}: {answer.problem}")
    verdict = page_verdict(
        url, direction, response.status, response.header_items, response.body, agents
    )
    if attempts > 1 and verdict.code == "status":
        verdict = replace(verdict, reason=f"{verdict.reason} (after {attempts} attempts)")
    if expected is not None and verdict.send and not response.truncated:
        verdict = _by_content(verdict, response, expected)
    return verdict


def _by_content(verdict: PageVerdict, response: PrefixResponse, expected: Expected) -> PageVerdict:
    """A page that passed the checks, compared with the build's content: the build's (live),
    the before side's (a stale copy: not live yet), or neither (the server or a CDN rewrites
    it: sent, with a warning)."""
    from .content import fingerprint, made_as_html, page_part

    html = made_as_html(expected.build)
    live = page_part(fingerprint(response.body, verdict.url, html=html, rules=expected.rules))
    if live == page_part(expected.build):
        return verdict
    if expected.before is not None and live == page_part(expected.before):
        return replace(
            verdict,
            send=False,
            code="stale",
            reason=f"HTTP {verdict.status} with the previous content (a cached copy?)",
            warnings=(),
        )
    seen = (
        "neither the build's nor the previous one"
        if expected.before is not None
        else "not the build's (and the previous content is not known)"
    )
    note = (
        f"{verdict.url}: the live page's content is {seen} (does the server or a CDN "
        "rewrite pages, e.g. e-mail obfuscation or injected markup?): sent anyway; "
        "--ignore SELECTOR leaves such parts out"
    )
    return replace(verdict, warnings=(*verdict.warnings, note))


def check_pages(
    client: WebClient,
    candidates: Sequence[Candidate],
    agents: Sequence[Agent],
    *,
    concurrency: int = 8,
    policy: RetryPolicy | None = None,
    budget: WaitBudget | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> list[PageVerdict]:
    """One verdict per candidate, in order: at most ``concurrency`` GETs at once (the work is
    waiting on the network, so threads suffice). Callable again with the URLs that were not
    live yet (their verdicts say ``not_found`` or ``still_live``). ``on_wait`` gets a
    progress line before each wait for a retry (from the worker threads)."""
    from .indexnow import RetryPolicy, WaitBudget

    policy = policy or RetryPolicy()
    budget = budget or WaitBudget(policy.max_wait_total)
    if not candidates:
        return []
    workers = max(1, min(concurrency, len(candidates)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
        return list(
            pool.map(
                lambda c: _fetch_verdict(client, c, agents, policy, budget, on_wait), candidates
            )
        )


def guard_problem(verdicts: Sequence[PageVerdict]) -> str | None:
    """Why the run must stop although no single URL is wrong: every checked page (3 or more)
    refused the checker, or every one is noindex. None when neither holds."""
    if len(verdicts) < 3:
        return None
    if all(v.refused for v in verdicts):
        return join_message(
            f"all {len(verdicts)} checked pages answered 401, 403 or a bot challenge; nothing "
            "was sent",
            "the site's bot protection refuses the checker, which says nothing about what "
            "engines' crawlers get",
            "allow the User-Agent 'indexnow-sync/' through the protection, or use "
            "--check robots (robots.txt only, no page requests)",
        )
    if all(v.noindex_all for v in verdicts):
        return join_message(
            f"all {len(verdicts)} checked pages are noindex; nothing was sent",
            "the host looks like a preview or staging deploy (platforms mark those with "
            "X-Robots-Tag: noindex)",
            "point --site at the production host, or fix the noindex",
        )
    return None


@dataclass
class CheckResult:
    """The checks' outcome for a list of candidates: what to send, what is skipped and why."""

    send: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verdicts: list[PageVerdict] = field(default_factory=list)
    robots_files: list[str] = field(default_factory=list)  # robots.txt URLs read
    guard: str | None = None


MAX_URL_WARNINGS = 20


def run_checks(
    client: WebClient,
    candidates: Sequence[Candidate],
    agents: Sequence[Agent],
    *,
    mode: str,
    concurrency: int = 8,
    policy: RetryPolicy | None = None,
    budget: WaitBudget | None = None,
    secret: str | None = None,
    progress: Callable[[str], None] | None = None,
    settle: Callable[[Sequence[Candidate], list[PageVerdict]], list[PageVerdict]] | None = None,
    robots_read: Mapping[str, PrefixResponse] | None = None,
    site: str | None = None,
) -> CheckResult:
    """robots.txt (``mode`` ``robots`` or ``pages``), then one GET per remaining URL
    (``pages``). Raises :class:`RobotsError` when a robots.txt is unreachable: the site's
    own (``site``'s scheme); one of the other scheme, which only some URLs bring in (an
    ``https://`` URL in a list for an ``http://`` site), costs only those URLs, skipped with
    code ``robots`` (engines read it as "disallow everything", RFC 9309). A URL that
    contains ``secret`` (the key: a sitemap listing the key file) is never requested.
    ``settle`` (waiting for the deploy) gets the pages' first verdicts and returns the final
    ones, after checking again those that were not live yet."""
    from .errors import RobotsError
    from .indexnow import RetryPolicy, WaitBudget
    from .robots import fetch_robots, judge, robots_url

    policy = policy or RetryPolicy()
    budget = budget or WaitBudget(policy.max_wait_total)
    result = CheckResult()
    url_warnings: list[str] = []
    if mode == "off" or not candidates:
        result.send = [c.url for c in candidates]
        return result

    remaining: list[Candidate] = []
    for candidate in candidates:
        if secret and secret in candidate.url:
            result.skipped.append(
                Skipped(
                    candidate.url,
                    "contains the IndexNow key (the key file?): not requested, not submitted",
                    "invalid",
                )
            )
        else:
            remaining.append(candidate)

    files = {}
    unreachable: dict[str, str] = {}  # robots.txt of another scheme than the site's -> why
    for origin in dict.fromkeys(robots_url(c.url) for c in remaining):
        known = (robots_read or {}).get(origin)
        try:
            fetched = fetch_robots(
                client, origin, policy=policy, budget=budget, known=known, on_wait=progress
            )
        except RobotsError as exc:
            if site is None or urlsplit(origin).scheme == urlsplit(site).scheme:
                raise
            unreachable[origin] = exc.what.removesuffix("; nothing was submitted")
            continue
        files[origin] = fetched
        result.robots_files.append(origin)
        result.warnings.extend(fetched.warnings)
        if progress is not None:
            rules = fetched.status is not None and 200 <= fetched.status < 300
            progress(f"{origin}: HTTP {fetched.status} ({'rules' if rules else 'allows all'})")
    allowed: list[Candidate] = []
    for candidate in remaining:
        if robots_url(candidate.url) in unreachable:
            source = "the URL list" if candidate.direction == "listed" else "the sitemap"
            reason = (
                f"{unreachable[robots_url(candidate.url)]}: engines read that as 'disallow "
                f"everything' (RFC 9309); the site is {site}, only {source} brings in this "
                f"{urlsplit(candidate.url).scheme}:// URL"
            )
            result.skipped.append(Skipped(candidate.url, reason, "robots"))
            continue
        robots = judge(candidate.url, files[robots_url(candidate.url)].rules, agents)
        if robots.blocked_for_all:
            result.skipped.append(Skipped(candidate.url, robots.describe(), "robots"))
            continue
        if robots.blocked:
            url_warnings.append(f"{candidate.url}: {robots.describe()} only; sent for the others")
        allowed.append(candidate)

    if mode == "pages":
        if progress is not None and allowed:
            progress(
                f"checking {len(allowed)} page(s): one GET each, {concurrency} at a time, "
                "redirects not followed"
            )
        verdicts = check_pages(
            client,
            allowed,
            agents,
            concurrency=concurrency,
            policy=policy,
            budget=budget,
            on_wait=progress,
        )
        if settle is not None:
            verdicts = settle(allowed, verdicts)
        result.verdicts = verdicts
        result.guard = guard_problem(verdicts)
        for verdict in verdicts:
            url_warnings.extend(verdict.warnings)
            if verdict.send:
                result.send.append(verdict.url)
            else:
                code = verdict.code or "status"
                result.skipped.append(Skipped(verdict.url, verdict.reason, code))
    else:
        result.send = [c.url for c in allowed]

    result.warnings.extend(url_warnings[:MAX_URL_WARNINGS])
    if len(url_warnings) > MAX_URL_WARNINGS:
        result.warnings.append(
            f"... and {len(url_warnings) - MAX_URL_WARNINGS} more warnings about single pages"
        )
    return result


# --- the build, before the deploy -----------------------------------------------------------

_HTML_SUFFIXES = (".html", ".htm")


@dataclass(frozen=True)
class BuildCheck:
    """Problems found in the build: each as a code and reason per URL (nothing is skipped for
    them: the live check decides), and the warnings that report them."""

    findings: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    pages_read: int = 0


def check_build(
    root: Path,
    urls: Sequence[str],
    agents: Sequence[Agent],
    *,
    mode: str,
    limit: int = 10_000,
) -> BuildCheck:
    """The build's robots.txt and HTML files checked offline, the way :func:`run_checks`
    checks the live site, for the URLs about to be submitted (at most ``limit`` files read)."""
    from .robots import judge, read_robots_file

    findings: list[Skipped] = []
    notes: list[str] = []
    files = BuildFiles(root, urls)

    robots_file = root / "robots.txt"
    if robots_file.is_file() and mode in ("pages", "robots"):
        if files.base:
            notes.append(
                f"{robots_file} is served at {files.base_path}/robots.txt, where engines do "
                "not look (they read robots.txt only at the host's root): not checked"
            )
        else:
            rules, odd = read_robots_file(robots_file)
            notes.extend(f"{robots_file} {note}" for note in odd)
            for url in urls:
                blocked = judge(url, rules, agents)
                if blocked.blocked_for_all:
                    findings.append(Skipped(url, f"the build's {blocked.describe()}", "robots"))
                elif blocked.blocked:
                    notes.append(f"{url}: the build's {blocked.describe()} only")

    read = 0
    if mode == "pages":
        for url in urls:
            if read >= limit:
                continue
            file = files.file_for(url)
            if file is None:
                continue  # not a page of this build (or generated elsewhere): not checked
            read += 1
            with file.open("rb") as handle:
                body = handle.read(256 * 1024)
            content_type = "text/html" if file.suffix.lower() in _HTML_SUFFIXES else ""
            headers = [("Content-Type", content_type)]
            verdict = page_verdict(url, "added", 200, headers, body, agents)
            notes.extend(verdict.warnings)
            if not verdict.send and verdict.code is not None:
                findings.append(Skipped(url, f"{file}: {verdict.reason}", verdict.code))
        if read >= limit and len(urls) > limit:
            notes.append(f"only the first {limit} pages of the build were checked (--max-urls)")

    warnings = [
        f"build check: {finding.url}: {finding.reason}" for finding in findings[:MAX_URL_WARNINGS]
    ]
    if len(findings) > MAX_URL_WARNINGS:
        warnings.append(
            f"build check: ... and {len(findings) - MAX_URL_WARNINGS} more problems "
            "(all in the JSON report and the plan file)"
        )
    warnings.extend(f"build check: {note}" for note in notes[:MAX_URL_WARNINGS])
    if len(notes) > MAX_URL_WARNINGS:
        warnings.append(f"build check: ... and {len(notes) - MAX_URL_WARNINGS} more warnings")
    return BuildCheck(tuple(findings), tuple(warnings), read)
