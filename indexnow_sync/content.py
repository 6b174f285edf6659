"""A page's fingerprint: a hash of what engines index, and nothing else (SPEC "What changed:
content, not just lastmod"). Pure: bytes in, a short string out; no file, no network.

An HTML page's fingerprint covers, in this order:

- the ``<title>``; the meta description; the robots directives of its ``<meta>`` tags
  (``robots`` and the engines' own names: ``googlebot``, ``bingbot``, ``msnbot``,
  ``yandex``...); the canonical(s) and the hreflang alternates (sorted), resolved against
  the page's URL (and ``<base href>``);
- the main content: the visible text and the ``<a href>`` targets (resolved) of the first
  ``<main>`` or ``[role=main]`` element, else of ``<body>`` without ``<nav>`` and without the
  ``<header>``, ``<footer>`` and ``<aside>`` elements that are not inside an ``<article>``.
  A ``<nav>`` inside the main element (breadcrumbs, a table of contents, a "next page" link)
  is left out too: it changes when another page is added, not when this one is edited.

Never part of it: ``<script>``, ``<style>``, ``<noscript>``, ``<template>``, comments,
processing instructions, every attribute not named above (classes, ids, asset hashes, nonces,
``alt``, ``data-*``), how text is split into elements and lines (text nodes are joined with a
space, then every whitespace run becomes one space), and the Unicode normalisation form
(text is compared in NFC). ``--ignore SELECTOR`` (CSS, via cssselect) removes more elements
before anything is read (a "built at 12:03" line, a random "related posts" block).

The build's own robots.txt is part of it too, as a suffix the caller gives
(:data:`ROBOTS_SOME`, :data:`ROBOTS_ALL`: the build disallows the URL for some or all of the
engines): a page that robots.txt newly allows or blocks is a page engines see differently.
Comparing a live answer with the build (is the deploy live?) compares the page part alone
(:func:`page_part`), as the live robots.txt is not the page.

Any other file (a PDF, an image), and an HTML page over :data:`MAX_HTML_BYTES` or that
cannot be parsed at all, is fingerprinted by its bytes.

A fingerprint is ``KIND VERSION [.IGNORE] : DIGEST [ROBOTS]``: ``h1:...`` (HTML, rule
version 1), ``h1.Kx3f9a:...`` (the same with a set of ``--ignore`` selectors, named by a
short hash of them), ``b1:...`` (bytes). Two fingerprints made by another rule version, or
HTML ones made with other ``--ignore`` selectors, are **unknown** to each other, never
"different" (:func:`compare`): a rule change must not make every page look changed.

The page's text is decoded from its bytes alone (the same bytes always give the same
fingerprint, whatever a server's Content-Type says): a BOM decides, else a ``<meta charset>``
in the first 1,024 bytes naming a text encoding (WHATWG labels: ``latin1``/``ascii`` read as
windows-1252, a ``utf-16`` label as UTF-8), else UTF-8; bytes that do not decode become U+FFFD.
Parsing is lxml's HTML parser with no network access, comments and processing instructions
dropped; nothing in a page can make this raise.
"""

from __future__ import annotations

import base64
import codecs
import functools
import hashlib
import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, cast
from urllib.parse import urljoin, urlparse

from lxml import etree

from .errors import ConfigError

RULE_VERSION = 1
MAX_HTML_BYTES = 10 * 1024 * 1024
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
ROBOTS_SOME = ".rs"  # the build's robots.txt disallows the URL for some of the engines
ROBOTS_ALL = ".ra"  # ... for every engine
_ROBOTS_SUFFIXES = (ROBOTS_SOME, ROBOTS_ALL)
_DIGEST_BYTES = 16  # 128 bits: collisions are out of reach for any site's page count
_DROPPED_TAGS = ("script", "style", "noscript", "template")
_ROBOTS_NAMES = frozenset(
    {"robots", "googlebot", "googlebot-news", "bingbot", "msnbot", "yandex", "yandexbot"}
)
_BLOCK_OUTSIDE_ARTICLE = ("header", "footer", "aside")

Comparison = Literal["same", "different", "unknown"]


# --- the rule's settings: --ignore selectors ------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """What this run's fingerprints are made with: the ``--ignore`` selectors (as given) and
    their tag in every HTML fingerprint (``""`` without selectors)."""

    ignore: tuple[str, ...] = ()
    tag: str = ""
    _xpaths: tuple[str, ...] = field(default=(), repr=False)


NO_RULES = Rules()


def _xpath(selector: str) -> str:
    """The XPath of a CSS selector; ``ValueError`` naming the problem when it has none."""
    from cssselect import HTMLTranslator, SelectorError

    try:
        xpath = HTMLTranslator().css_to_xpath(selector)
        etree.XPath(xpath)
    except (SelectorError, etree.XPathError) as exc:
        raise ValueError(
            f"{selector!r} is not a CSS selector indexnow-sync can use ({exc}); use element, "
            "class, id and attribute selectors such as '.built-at' or 'div#related'"
        ) from None
    return xpath


def selector_problem(selector: str) -> str | None:
    """Why ``selector`` cannot be an ``--ignore`` selector, or None."""
    try:
        _xpath(selector)
    except ValueError as exc:
        return str(exc)
    return None


def compile_rules(selectors: Iterable[str]) -> Rules:
    """The rules for ``--ignore`` selectors; an unreadable selector is a :class:`ConfigError`
    naming it (exit 2, before anything is read)."""
    given = tuple(dict.fromkeys(s.strip() for s in selectors if s.strip()))
    if not given:
        return NO_RULES
    xpaths = []
    for selector in given:
        try:
            xpaths.append(_xpath(selector))
        except ValueError as exc:
            raise ConfigError(f"--ignore {exc}") from None
    named = json.dumps(sorted(given), ensure_ascii=False).encode("utf-8")
    tag = "." + _b64(hashlib.sha256(named).digest()[:4])
    return Rules(given, tag, tuple(xpaths))


# --- fingerprints, and comparing them -------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _digest(data: bytes) -> str:
    return _b64(hashlib.sha256(data).digest()[:_DIGEST_BYTES])


def bytes_fingerprint(data: bytes) -> str:
    """The fingerprint of a file by its bytes (anything that is not an HTML page)."""
    return f"b{RULE_VERSION}:{_digest(data)}"


class BytesHasher:
    """:func:`bytes_fingerprint` fed a piece at a time (a large PDF is never held whole)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def fingerprint(self) -> str:
        return f"b{RULE_VERSION}:{_b64(self._hash.digest()[:_DIGEST_BYTES])}"


def byte_hash(data: bytes) -> str:
    """A short hash of bytes, for recognising an unchanged file (the manifest keeps it)."""
    return _digest(data)


def fingerprint(
    data: bytes, url: str, *, html: bool, rules: Rules = NO_RULES, robots: str = ""
) -> str:
    """The fingerprint of one page of ``url``: by the HTML rule when ``html`` (and the page
    is at most :data:`MAX_HTML_BYTES` and parses), else by its bytes. ``robots``: ``""``,
    :data:`ROBOTS_SOME` or :data:`ROBOTS_ALL` (what the build's robots.txt says of it)."""
    if html and len(data) <= MAX_HTML_BYTES:
        found = html_fingerprint(data, url, rules)
        if found is not None:
            return found + robots
    return bytes_fingerprint(data) + robots


def _parts(fp: str) -> tuple[str, int | None, str, str, str] | None:
    """(kind, version, ignore tag, digest, robots suffix) of a fingerprint; None if it is
    not one."""
    head, sep, rest = fp.partition(":")
    if not sep or not head or not rest:
        return None
    kind, settings = head[0], head[1:]
    version_text, _, tag = settings.partition(".")
    version = int(version_text) if version_text.isdigit() and len(version_text) < 6 else None
    robots = ""
    for suffix in _ROBOTS_SUFFIXES:
        if rest.endswith(suffix):
            rest, robots = rest[: -len(suffix)], suffix
            break
    return kind, version, tag, rest, robots


def made_as_html(fp: str) -> bool:
    """Whether ``fp`` was made by the HTML rule (else from bytes). A live answer compared
    with it is fingerprinted the same way, whatever its Content-Type says: like with like."""
    return fp[:1] == "h"


def is_fingerprint(value: object) -> bool:
    """True when ``value`` reads as a fingerprint of any version (used to validate files)."""
    return isinstance(value, str) and len(value) < 128 and _parts(value) is not None


def page_part(fp: str) -> str:
    """The fingerprint without its robots.txt suffix: what the page itself holds."""
    for suffix in _ROBOTS_SUFFIXES:
        if fp.endswith(suffix):
            return fp[: -len(suffix)]
    return fp


def compare(before: str | None, after: str | None) -> Comparison:
    """``same`` or ``different`` when both fingerprints were made by the same rule (version,
    and for two HTML ones the same ``--ignore`` selectors); else ``unknown``."""
    a = _parts(before) if before else None
    b = _parts(after) if after else None
    if a is None or b is None or a[1] is None or a[1] != b[1]:
        return "unknown"
    if a[0] == "h" and b[0] == "h" and a[2] != b[2]:
        return "unknown"
    return "same" if a[0] == b[0] and a[3:] == b[3:] else "different"


def current(fp: str | None, rules: Rules) -> bool:
    """True when ``fp`` was made by this version of the rule with these ``rules`` (so it
    can be reused for a file whose bytes did not change). What decides is the part before
    the ":" (kind, version, selectors' tag), asked once per run for each (a rebuild asks
    for every page: 0.2 µs a page instead of 0.6; a property test compares it with reading
    every part)."""
    if not fp:
        return False
    head, sep, rest = fp.partition(":")
    return bool(sep and head and rest) and _current_head(head, rules.tag)


@functools.lru_cache(maxsize=64)
def _current_head(head: str, tag: str) -> bool:
    parts = _parts(head + ":x")
    assert parts is not None  # a head and a digest
    return parts[1] == RULE_VERSION and (parts[0] != "h" or parts[2] == tag[1:])


# --- is it HTML? ----------------------------------------------------------------------------

_HTML_START = (b"<!doctype html", b"<html", b"<head")


def sniff_html(data: bytes) -> bool:
    """HTML by how it starts (a BOM and whitespace skipped)."""
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_HTML_START)


def file_is_html(name: str, data: bytes) -> bool:
    """A build file is HTML by its suffix (``.html``, ``.htm``, ``.xhtml``), or by how it
    starts (an extensionless ``about`` file)."""
    return name.lower().endswith(HTML_SUFFIXES) or sniff_html(data)


def answer_is_html(content_type: str, data: bytes) -> bool:
    """A live answer is HTML by its media type (lower case, no parameters), or by how it
    starts when it has none."""
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    return not content_type and sniff_html(data)


# --- decoding -------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Bounded: at most 1,024 bytes are searched, and no quantifier can backtrack past a '>'.
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.I
)
# WHATWG Encoding Standard readings that differ from Python's codec of the same name.
_WHATWG = {
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "x-user-defined": "utf-8",
}


def _encoding(data: bytes) -> tuple[str, int]:
    """The page's encoding (a Python codec name) and the length of its BOM."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    found = _META_CHARSET.search(data[:1024])
    if found is not None:
        label = found.group(1).decode("ascii").lower()
        if label in ("utf-8", "utf8"):
            return "utf-8", 0  # (what the lookup below gives; most pages say so)
        name = _WHATWG.get(label, label)
        try:
            info = codecs.lookup(name)
            b"x".decode(info.name, "replace")  # refuses non-text codecs and odd handlers
        except (LookupError, UnicodeError, ValueError, TypeError):
            return "utf-8", 0  # a label that names no text encoding: the default
        if getattr(info, "_is_text_encoding", True):
            return info.name, 0
    return "utf-8", 0


def decode_html(data: bytes) -> str:
    """A page's text from its bytes alone: BOM, else ``<meta charset>`` (a text encoding),
    else UTF-8; undecodable bytes become U+FFFD. Never raises."""
    name, skip = _encoding(data)
    return data[skip:].decode(name, "replace")


# --- the HTML rule --------------------------------------------------------------------------


class _Tools(threading.local):
    """lxml parsers and compiled XPaths are used by one thread at a time: one set per thread
    (page checks fingerprint live answers on several)."""

    def __init__(self) -> None:
        # Whitespace-only text nodes are dropped while parsing (a tenth of the parse on a
        # real page): text is joined with spaces and whitespace collapsed anyway.
        def parser(encoding: str | None) -> etree.HTMLParser:
            return etree.HTMLParser(
                encoding=encoding,
                remove_comments=True,
                remove_pis=True,
                no_network=True,
                remove_blank_text=True,
                collect_ids=False,
            )

        self.parser = parser(None)
        # UTF-8 bytes (nearly every page) are parsed as they are: libxml2 decodes them as
        # decode_html would (bad bytes become U+FFFD), and skipping Python's decoding saves
        # a tenth of the parse.
        self.utf8_parser = parser("utf-8")
        # The first [role=main] under the root (the search stops there), and the role
        # values under the root (nearly every page has no role=main: no search then).
        self.role_main = etree.XPath("descendant::*[@role='main'][1]")
        self.roles = etree.XPath("descendant::*/@role", smart_strings=False)
        self.normalize = etree.XPath("normalize-space($text)", smart_strings=False)
        self.text = etree.XPath(".//text()", smart_strings=False)
        self.hrefs = etree.XPath(".//a/@href", smart_strings=False)
        self.ignore: dict[str, etree.XPath] = {}

    def ignored(self, xpath: str) -> etree.XPath:
        found = self.ignore.get(xpath)
        if found is None:
            found = self.ignore[xpath] = etree.XPath(xpath)
        return found


_TOOLS = _Tools()


def _drop_all(elements: Iterable[etree._Element]) -> None:
    """Remove each element (given in document order) and everything in it, keeping the text
    that follows it, as removing them one by one would: each element's tail appended to the
    text before it at that moment (its nearest previous sibling not removed, else its
    parent's text), a text lxml refuses (a control character) raising ValueError. In linear
    time: each text that tails are appended to is read and written once, not once per
    removed element (80,000 removed siblings cost 4 s one by one).
    ``tests/test_content_fast.py`` holds it to the removal one by one."""
    owners: dict[etree._Element, tuple[etree._Element, bool]] = {}  # dropped -> (owner, text?)
    tails: dict[tuple[etree._Element, bool], list[str]] = {}
    for element in elements:
        parent = element.getparent()
        if parent is None or element in owners:
            continue
        previous = element.getprevious()
        owner = (parent, True) if previous is None else owners.get(previous, (previous, False))
        owners[element] = owner
        tail = element.tail
        if tail:
            tails.setdefault(owner, []).append(tail)
    for (holder, text), pieces in tails.items():
        if text:
            holder.text = (holder.text or "") + "".join(pieces)
        else:
            holder.tail = (holder.tail or "") + "".join(pieces)
    for element in owners:
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)


def _elements(result: object) -> list[etree._Element]:
    """The elements of an XPath result (lxml types it as any XPath value)."""
    if not isinstance(result, list):
        return []
    return [item for item in result if isinstance(item, etree._Element)]


def _strings(result: object) -> list[str]:
    """The strings of an XPath result of text nodes or attribute values (plain ``str``:
    the XPaths are compiled with ``smart_strings=False``)."""
    return cast("list[str]", result) if isinstance(result, list) else []


_WHITESPACE = re.compile(r"[ \t\n\r\f]+")


def _words(text: str) -> str:
    """Every run of HTML whitespace (space, tab, LF, FF, CR; not a non-breaking space) as one
    space, none at the ends. A text with none of those but single spaces between words (a
    meta name, a title, a language) is itself: five ``in`` tests cost a third of the regex."""
    if (
        "  " in text
        or "\n" in text
        or "\t" in text
        or "\r" in text
        or "\f" in text
        or text[:1] == " "
        or text[-1:] == " "
    ):
        return _WHITESPACE.sub(" ", text).strip(" ")
    return text


# Hrefs that name their host (a first host character after "//"): urljoin takes only the
# scheme from the base for them (whether it equals the href's decides its answer).
_WITH_HOST = re.compile(r"(?:https?:)?//[^/?#\\]")
# A path (no scheme: no ":" before the query; no ";" params; nothing urlsplit would strip or
# refuse), then an optional query and fragment: what _PageResolver joins itself.
# An absolute http(s) URL of plain characters, without an empty "?" or "#" and without ";" in
# its path (urljoin would drop an empty one, or empty ;params): urljoin gives it back as it
# is, whatever the base (or refuses it: then it is kept as well).
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9._~!$&'()*+,;=:@%\[\]-]+"
    r"(?:/[A-Za-z0-9._~!$&'()*+,=:@%/-]*)?"
    r"(?:\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]+)?"
    r"(?:#[A-Za-z0-9._~!$&'()*+,;=:@%/?#-]+)?"
)
_PLAIN_PATH = re.compile(
    r"(?!//)[A-Za-z0-9._~!$&'()*+,=@%/-]*"
    r"(?:\?[A-Za-z0-9._~!$&'()*+,=@%/?:;-]*)?"
    r"(?:#[A-Za-z0-9._~!$&'()*+,=@%/?:;#-]*)?"
)


class _Resolver:
    """Joins the run's absolute links (site-wide navigation and links to other sites repeat
    on every page) once each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: dict[tuple[str, str], str] = {}

    def resolver(self, base: str) -> _PageResolver:
        return _PageResolver(self, base)

    def shared(self, key: tuple[str, str], base: str, href: str) -> str:
        found = self._shared.get(key)
        if found is None:
            found = urljoin(base, href)
            with self._lock:
                if len(self._shared) > 100_000:
                    self._shared.clear()
                self._shared[key] = found
        return found


# A base URL urlparse reads without surprises: http(s), a host of letters, digits, dots and
# dashes with an optional port, a path of plain characters (no ";params"), no query, no
# fragment. Its parts are the regex's groups, as urlparse gives them.
_PLAIN_BASE = re.compile(
    r"(https?)://([A-Za-z0-9.-]+(?::[0-9]*)?)(/[A-Za-z0-9._~!$&'()*+,=@%/-]*)?"
)
# The leading "../" of a relative path (what ``href.lstrip("./")`` took), as a count of
# folders up; anything else before the first name ("./", "..", "/") takes the general steps.
_UPS = {"../" * count: count for count in range(16)}


class _PageResolver:
    """``urljoin(base, href.strip())`` for one page's links (``href`` kept as written when
    urljoin refuses it), fast. What it buys: a bench page's 36 links cost 16 µs instead of
    ~250 µs of urljoin (26 µs before the folder prefixes).

    Exact, branch by branch (``tests/test_content.py`` and ``tests/test_content_fast.py``
    check each against urljoin on generated hrefs and bases):

    - a fragment-only href is the base as written, without its fragment, plus the href
      (urljoin's answer for every base it writes back unchanged; for one it would rewrite,
      an upper-case scheme or an empty "?", rule version 1 keeps the base as written);
    - an absolute http(s) href of plain characters with no empty ``?`` or ``#``
      (:data:`_PLAIN_ABSOLUTE`) is urljoin's answer as it is;
    - a plain path (:data:`_PLAIN_PATH`) with no dot segment, no empty segment and no empty
      query or fragment, on an http(s) base with a host and no ``;params``: from the root,
      the base's scheme and host plus the href; else, when it starts with nothing or with
      "../" repeated, the base's folder less that many segments, plus the rest of the href
      (urljoin's own steps, identical in Python 3.10 to 3.13, done once per page and count);
    - another plain path is joined by urljoin's steps without its parsing (:meth:`_join`);
    - another absolute href goes through urljoin once per run (its answer depends on the
      base's scheme alone); anything else is urljoin's.

    A plain base (:data:`_PLAIN_BASE`) is split by that regex instead of urlparse."""

    def __init__(self, run: _Resolver, base: str) -> None:
        self._run = run
        self._base = base
        self._no_fragment = base.split("#", 1)[0]
        self._page: dict[str, str] = {}
        plain = _PLAIN_BASE.fullmatch(base)
        if plain is not None:
            scheme, netloc, path = plain.group(1, 2, 3)
            path = path or ""
            params = query = ""
        else:
            try:
                scheme, netloc, path, params, query, _ = urlparse(base)
            except ValueError:
                scheme = netloc = path = params = query = ""
        self._scheme = scheme
        self._fast = scheme in ("http", "https") and bool(netloc) and not params
        self._prefix = f"{scheme}://{netloc}"
        self._query = query
        self._path = path
        folder = path.split("/")
        if folder[-1] != "":
            del folder[-1]  # the last segment is not a folder
        self._folder = folder
        # The folder's non-empty segments, when none is "." or "..": what resolving it
        # leaves (else every relative path takes the general steps).
        plain_folder = "." not in folder and ".." not in folder
        self._names: list[str] | None = [name for name in folder if name] if plain_folder else None
        self._up: dict[int, str] = {}  # folders up -> the URL a name there is appended to

    def __call__(self, raw: str) -> str:
        return self.all((raw,))[0]

    def _up_prefix(self, ups: int) -> str:
        """The URL of the base's folder ``ups`` folders up (never above the root), ending
        with "/": a relative name is appended to it."""
        names = self._names
        assert names is not None
        kept = names[: max(0, len(names) - ups)]
        found = self._up[ups] = self._prefix + "/" + "".join(name + "/" for name in kept)
        return found

    def all(self, hrefs: Iterable[str]) -> list[str]:
        """Each href resolved, in order (the shortcuts inline: a page has dozens)."""
        out: list[str] = []
        append = out.append
        no_fragment, prefix = self._no_fragment, self._prefix
        plain_path = _PLAIN_PATH.fullmatch if self._fast else None
        relative = self._names is not None
        up = self._up
        plain_absolute = _PLAIN_ABSOLUTE.fullmatch
        for raw in hrefs:
            href = raw.strip()
            first = href[:1]
            if first == "#" and len(href) > 1:
                append(no_fragment + href)
                continue
            if first == "h" and plain_absolute(href):
                append(href)
                continue
            if (
                plain_path is not None
                and first
                and plain_path(href)
                and "/." not in href
                and "//" not in href
                and "?#" not in href
                and href[-1] not in "?#"
            ):
                if first == "/":
                    append(prefix + href)
                    continue
                if relative and first != "?":  # (no path: the base's own, and its query)
                    name = href.lstrip("./")
                    ups = _UPS.get(href[: len(href) - len(name)])
                    if ups is not None:
                        append((up.get(ups) or self._up_prefix(ups)) + name)
                        continue
            append(self._slow(href))
        return out

    def _slow(self, href: str) -> str:
        found = self._page.get(href)
        if found is not None:
            return found
        try:
            if href[:1] in "hH/" and _WITH_HOST.match(href):
                found = self._run.shared((self._scheme, href), self._base, href)
            elif self._fast and href and _PLAIN_PATH.fullmatch(href):
                found = self._join(href)
            else:
                found = urljoin(self._base, href)
        except ValueError:  # an href urljoin refuses ("http://[::1"): kept as written
            found = href
        self._page[href] = found
        return found

    def _join(self, href: str) -> str:
        """urljoin's steps for a plain relative reference on this base."""
        rest, _, fragment = href.partition("#")
        path, _, query = rest.partition("?")
        if not path:
            # An empty path keeps the base's path (and its query when the href has none).
            joined = self._path
            if not query:
                query = self._query
        else:
            if path[:1] == "/":
                segments = path.split("/")
            else:
                segments = self._folder + path.split("/")
                segments[1:-1] = filter(None, segments[1:-1])
            resolved: list[str] = []
            for segment in segments:
                if segment == "..":
                    if resolved:
                        resolved.pop()
                elif segment != ".":
                    resolved.append(segment)
            if segments[-1] in (".", ".."):
                resolved.append("")
            joined = "/".join(resolved) or "/"
        if joined and joined[:1] != "/":
            joined = "/" + joined
        url = self._prefix + joined
        if query:
            url = f"{url}?{query}"
        if fragment:
            url = f"{url}#{fragment}"
        return url


_RESOLVER = _Resolver()


def html_fingerprint(data: bytes, url: str, rules: Rules = NO_RULES) -> str | None:
    """The HTML rule's fingerprint of a page (without a robots.txt suffix), None when the
    bytes hold no document lxml can read."""
    tools = _TOOLS
    name, skip = _encoding(data)
    try:
        if name == "utf-8":
            root = etree.fromstring(data[skip:] if skip else data, tools.utf8_parser)
        else:
            root = etree.fromstring(data[skip:].decode(name, "replace"), tools.parser)
    except (etree.LxmlError, ValueError):
        return None
    if root is None:
        return None
    try:
        record = _indexed(root, url, rules, tools)
        return f"h{RULE_VERSION}{rules.tag}:{_digest(record)}"
    except (etree.LxmlError, ValueError, RecursionError):
        return None


def _indexed(root: etree._Element, url: str, rules: Rules, tools: _Tools) -> bytes:
    """What engines index of a parsed page, as bytes to hash: the fields joined with U+001E,
    the items of a list field with U+001F (control characters lxml keeps when a page holds
    them in a title or an attribute; rule version 1 does not escape them)."""
    etree.strip_elements(root, *_DROPPED_TAGS, with_tail=False)
    for xpath in rules._xpaths:
        _drop_all(_elements(tools.ignored(xpath)(root)))

    title: str | None = None
    description: str | None = None
    base_href: str | None = None
    robots: list[str] = []
    canonical_hrefs: list[str] = []
    alternate_hrefs: list[tuple[str, str]] = []  # (language, href)
    # One walk for the head's fields and <base> (links are resolved once the base is known).
    for element in root.iter("meta", "link", "title", "base"):
        tag = element.tag
        if tag == "meta":
            named = element.get("name")
            if not named:
                continue  # charset, viewport, http-equiv, og: properties
            name = _words(named).lower()
            if name == "description":
                if description is None:
                    description = _words(element.get("content") or "")
            elif name in _ROBOTS_NAMES:
                robots.append(f"{name}:{_words(element.get('content') or '').lower()}")
        elif tag == "link":
            rel_text = element.get("rel")
            if not rel_text:
                continue
            rel_text = rel_text.lower()
            if "canonical" not in rel_text and "alternate" not in rel_text:
                continue  # a stylesheet, an icon, a preload: neither word is in it
            href = element.get("href")
            if href is None or not href.strip():
                continue
            rel = rel_text.split()
            if "canonical" in rel:
                canonical_hrefs.append(href)
            if "alternate" in rel:
                language = element.get("hreflang")
                if language is not None:
                    alternate_hrefs.append((_words(language).lower(), href))
        elif tag == "title":
            if title is None:
                # A title holds only text (but an SVG's <title> may hold elements).
                if len(element):
                    title = _words("".join(t for t in element.itertext() if isinstance(t, str)))
                else:
                    title = _words(element.text or "")
        elif base_href is None:
            base_href = element.get("href") or None

    base = url
    if base_href is not None:
        try:
            base = urljoin(url, base_href.strip())
        except ValueError:  # an href urljoin refuses: the page's own URL
            base = url
    resolve = _RESOLVER.resolver(base)
    canonicals = resolve.all(canonical_hrefs)
    alternates = [
        f"{language} {resolved}"
        for (language, _), resolved in zip(
            alternate_hrefs, resolve.all([href for _, href in alternate_hrefs]), strict=True
        )
    ]

    main = _main_element(root, tools)
    if main is not None:
        container = main
        _drop_all(list(container.iter("nav")))
    else:
        body = root.find("body")
        container = body if body is not None else root
        _drop_all(_outside_article(container))
    # Joined with spaces, then every whitespace run made one space by libxml2 (a third of
    # the cost of doing it in Python, on a page's main text).
    text = str(tools.normalize(root, text=" ".join(_strings(tools.text(container)))))
    links = resolve.all(_strings(tools.hrefs(container)))

    nfc = unicodedata.normalize
    fields = (
        title or "",
        description or "",
        "\x1f".join(sorted(nfc("NFC", item) for item in robots)),
        "\x1f".join(canonicals),
        "\x1f".join(sorted({nfc("NFC", item) for item in alternates})),
        text,
        "\x1f".join(links),
    )
    # NFC of the joined record equals NFC of each field: a control character neither
    # composes with nor reorders a combining mark. (The sorted fields are normalised first:
    # their order must not depend on the spelling.)
    record = "\x1e".join(fields)
    return _nfc(record).encode("utf-8")


def _nfc(text: str) -> str:
    """``unicodedata.normalize("NFC", text)``, skipped when the text is Latin-1 alone (ASCII
    or not): no Latin-1 character decomposes, composes or reorders (each is NFC_QC=Yes with
    combining class 0, which ``tests/test_content_fast.py`` checks for all 256), so NFC
    gives such a text back as it is. Telling that costs a latin-1 encode (a copy, or an
    error at the first other character) instead of NFC's lookup of every character: 7 µs
    of a page's fingerprint when its text is Latin-1 (the bench pages' ¶; French, German,
    Spanish text)."""
    if text.isascii():
        return text
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return unicodedata.normalize("NFC", text)
    return text


def _outside_article(container: etree._Element) -> list[etree._Element]:
    """The ``<nav>`` elements under ``container``, and its ``<header>``, ``<footer>`` and
    ``<aside>`` elements not inside an ``<article>``, in document order: what the XPath
    ``.//nav | .//header[not(ancestor::article)] | ...`` selects (``tests/test_content_fast.py``
    compares them), by one walk in C. 4 µs on a bench page's ``<body>`` against the XPath's
    23 µs, and linear where libxml2's union of the four took 2 minutes on a hostile page."""
    return [
        element
        for element in container.iterdescendants("nav", *_BLOCK_OUTSIDE_ARTICLE)
        if element.tag == "nav" or next(element.iterancestors("article"), None) is None
    ]


def _main_element(root: etree._Element, tools: _Tools) -> etree._Element | None:
    """The first ``<main>`` or ``[role=main]`` element in document order: the first
    ``<main>`` found by tag, unless a ``[role=main]`` comes before it or holds it; without a
    ``<main>``, the first ``[role=main]`` under the root.

    Linear on any page: the role values are read first (nearly every page has no ``main``
    among them, and then nothing more is searched); else the first ``[role=main]`` of the
    page is found (the search stops there) and its place is compared with the ``<main>``'s
    by their common ancestor (:func:`_earlier`). Asking libxml2 for the ``[role=main]``
    elements before the ``<main>`` took quadratic time: 80 s for 80,000 of them."""
    main = next(root.iter("main"), None)
    if main is not None and root.get("role") == "main":
        return root  # it holds the <main>, so it comes first
    if "main" not in _strings(tools.roles(root)):
        return main  # no [role=main] under the root
    found = _elements(tools.role_main(root))
    if not found:
        return main
    return found[0] if main is None else _earlier(found[0], main)


def _earlier(one: etree._Element, other: etree._Element) -> etree._Element:
    """Whichever of two elements of a tree comes first in document order (an ancestor comes
    before what it holds): ``one``'s way up meets ``other``'s at their lowest common
    ancestor, where the children leading to each are compared by position."""
    if one is other:
        return one
    chain = [other, *other.iterancestors()]  # other up to the root
    places = {element: index for index, element in enumerate(chain)}
    below = None  # the child of the common ancestor on one's side
    meeting: etree._Element | None = one
    while meeting is not None and meeting not in places:
        below, meeting = meeting, meeting.getparent()
    if meeting is None:  # not in one tree: cannot happen within a page
        return other
    if below is None:  # one holds other
        return one
    if meeting is other:  # other holds one
        return other
    towards_other = chain[places[meeting] - 1]
    return one if meeting.index(below) < meeting.index(towards_other) else other
