"""Sitemap bytes -> values. Pure: no files, no network, no printing.

Owns the reading of one sitemap document (``<urlset>`` or ``<sitemapindex>``), gzip detected
by magic bytes, and the real world's breakage (SPEC "Delta rules", PROTOCOL "Sitemaps"):
a BOM or blank lines before the declaration, missing or variant namespaces, CDATA, whitespace
around values, raw ``&`` in URLs (repaired, with a warning), HTML pages, feeds and other XML
(errors that say what the file is), truncated or empty files (errors).

How it stays fast and small on a 50,000-URL file: lxml's feed parser builds the tree a chunk
at a time; after each chunk a compiled XSLT writes ``loc\\nlastmod\\n`` for every complete
entry in C, and those entries are deleted from the tree. No Python object is made per element,
and the tree never holds more than one chunk. The parser never resolves entities, never loads
a DTD and never touches the network.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from .errors import SitemapParseError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024  # sitemaps.org: 50 MB uncompressed per file
FEED_CHUNK = 256 * 1024

Kind = Literal["urlset", "sitemapindex"]

# {select}: the root's complete entries; {loc}/{lastmod}: their values. Fields end with DEL
# (U+007F): legal in XML but never in a real URL, so values keep their own whitespace and no
# per-value XSLT function is needed (translate() would triple the cost). A document that does
# contain DEL is extracted with the slower SAFE variant, which turns whitespace into spaces
# and ends fields with newlines.
_XSLT_TEMPLATE = """<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:s="{ns}">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:param name="all" select="0"/>
  <xsl:template match="/">
    <xsl:for-each select="/*/*[$all = 1 or position() != last()][{select}]">
      <xsl:value-of select="{loc}"/><xsl:text>{sep}</xsl:text>
      <xsl:value-of select="{lastmod}"/><xsl:text>{sep}</xsl:text>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>"""

FAST_SEP = b"\x7f"
SAFE_SEP = b"\n"
_ENTRY_OF: dict[Kind, str] = {"urlset": "url", "sitemapindex": "sitemap"}
_extractors: dict[tuple[str, str, bool], etree.XSLT] = {}


def _extractor(entry: str, namespace: str, safe: bool) -> etree.XSLT:
    """The compiled extractor for a root namespace (cached: compiling costs more than
    extracting a small sitemap). Entries and values are matched by name in the root's
    namespace or in none (``<url xmlns="">`` resets happen); any namespace at all when the
    root itself has none."""
    cache_key = (entry, namespace, safe)
    xslt = _extractors.get(cache_key)
    if xslt is not None:
        return xslt
    if namespace:
        select = f"self::s:{entry} or self::{entry}"
        loc, lastmod = "(s:loc|loc)[1]", "(s:lastmod|lastmod)[1]"
    else:
        select = f"local-name()='{entry}'"
        loc, lastmod = "*[local-name()='loc']", "*[local-name()='lastmod']"
    if safe:
        loc = f"translate({loc}, '&#9;&#10;&#13;', '   ')"
        lastmod = f"translate({lastmod}, '&#9;&#10;&#13;', '   ')"
    text = (
        _XSLT_TEMPLATE.replace("{ns}", namespace.replace('"', "&quot;") or "urn:none")
        .replace("{select}", select)
        .replace("{loc}", loc)
        .replace("{lastmod}", lastmod)
        .replace("{sep}", "&#10;" if safe else "&#127;")
    )
    xslt = etree.XSLT(etree.XML(text.encode()))
    _extractors[cache_key] = xslt
    return xslt


@dataclass(frozen=True, slots=True)
class ParsedSitemap:
    """One sitemap document.

    ``entries`` maps each trimmed ``<loc>`` (UTF-8 bytes) to its raw trimmed ``<lastmod>``
    (``b""`` if none): page URLs for a urlset, child sitemap URLs for an index. A loc listed
    twice keeps its latest lastmod. ``count`` is the number of entries in the file, duplicates
    included.
    """

    source: str
    kind: Kind
    entries: dict[bytes, bytes]
    count: int
    warnings: tuple[str, ...] = ()


# --- sniffing: what is this file? -----------------------------------------------------------

_LEADING_JUNK = re.compile(
    rb"""\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*""", re.S | re.I
)
_ROOT_TAG = re.compile(rb"<(?:[\w.-]+:)?([\w.-]+)")


def _root_name(head: bytes) -> str | None:
    """Local name of the root element, read cheaply from the first bytes; None if unclear."""
    junk = _LEADING_JUNK.match(head)
    rest = head[junk.end() if junk else 0 :]
    match = _ROOT_TAG.match(rest)
    return match.group(1).decode("ascii", "replace").lower() if match else None


def _not_a_sitemap(source: str, head: bytes) -> SitemapParseError:
    """The most helpful error for bytes that are not a sitemap."""
    lowered = head[:4096].lower()
    name = _root_name(head)
    if name == "html" or b"<!doctype html" in lowered or b"<html" in lowered:
        return SitemapParseError(
            source,
            "is an HTML page, not a sitemap (a single-page-app fallback or an error page?); "
            "check that the sitemap is generated and served at this path",
        )
    if name in ("rss", "feed", "rdf"):
        return SitemapParseError(
            source,
            f"is an {'Atom' if name == 'feed' else 'RSS'} feed, not a sitemap; "
            "feeds are not supported: point indexnow-sync at the XML sitemap",
        )
    if name:
        return SitemapParseError(
            source,
            f"is XML with root element <{name}>, not a sitemap "
            "(expected <urlset> or <sitemapindex>)",
        )
    return SitemapParseError(
        source, "is not XML and not a sitemap (expected <urlset> or <sitemapindex>)"
    )


# --- decompression ----------------------------------------------------------------------------

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(data: bytes) -> bool:
    return data[:2] == GZIP_MAGIC


def _chunks(data: bytes, source: str, max_bytes: int) -> Iterator[bytes]:
    """The document's bytes in feed-sized pieces, gunzipped if gzip (by magic, not by name),
    never more than ``max_bytes`` after decompression (a gzip bomb stops here)."""
    if not is_gzip(data):
        if len(data) > max_bytes:
            raise SitemapParseError(source, _too_large(max_bytes))
        for start in range(0, len(data), FEED_CHUNK):
            yield data[start : start + FEED_CHUNK]
        return
    inflater = zlib.decompressobj(wbits=31)
    total = 0
    for start in range(0, len(data), FEED_CHUNK):
        pending = data[start : start + FEED_CHUNK]
        while pending:
            try:
                out = inflater.decompress(pending, FEED_CHUNK)
            except zlib.error as exc:
                raise SitemapParseError(source, f"is a broken gzip file ({exc})") from exc
            total += len(out)
            if total > max_bytes:
                raise SitemapParseError(source, _too_large(max_bytes, compressed=True))
            if out:
                yield out
            pending = inflater.unconsumed_tail
            if inflater.eof:
                return
    if not inflater.eof:
        raise SitemapParseError(
            source, "is a truncated gzip file (the download or build was cut short)"
        )


def _size_text(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    return f"{size} bytes"


def _too_large(max_bytes: int, *, compressed: bool = False) -> str:
    what = "uncompresses to" if compressed else "is"
    return (
        f"{what} more than {_size_text(max_bytes)}, the limit per sitemap file (the protocol "
        "allows 50 MiB); "
        "split it into a sitemap index (or raise --max-sitemap-bytes)"
    )


def decompress(data: bytes, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Whole document bytes, gunzipped when gzip, within ``max_bytes``."""
    return b"".join(_chunks(data, source, max_bytes))


# --- parsing ------------------------------------------------------------------------------------

_UNESCAPED_AMP = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


def parse_sitemap(
    data: bytes, source: str, *, max_bytes: int = DEFAULT_MAX_BYTES, key_prefix: bytes = b""
) -> ParsedSitemap:
    """Read one sitemap document (plain or gzip bytes). Raises :class:`SitemapParseError`
    naming ``source`` for anything that is not a readable sitemap."""
    if not data or data.isspace():  # (not data.strip(): that would copy the whole file)
        raise SitemapParseError(source, "is empty (0 URLs would mean 'nothing exists': refusing)")
    try:
        return _parse(_chunks(data, source, max_bytes), source, key_prefix)
    except etree.XMLSyntaxError as first_error:
        document = decompress(data, source, max_bytes)
        repaired, count = _UNESCAPED_AMP.subn(b"&amp;", document)
        if count:
            try:
                parsed = _parse(iter((repaired,)), source, key_prefix)
            except etree.XMLSyntaxError:
                pass
            else:
                note = (
                    f"{source}: repaired {count} unescaped '&' (write &amp; in XML); "
                    "fix the sitemap generator"
                )
                return ParsedSitemap(
                    source, parsed.kind, parsed.entries, parsed.count, (*parsed.warnings, note)
                )
        raise _syntax_error(source, document, first_error) from None


def _syntax_error(source: str, document: bytes, error: etree.XMLSyntaxError) -> SitemapParseError:
    head = _strip_leading(document[:65536])
    name = _root_name(head)
    if name not in ("urlset", "sitemapindex"):
        return _not_a_sitemap(source, head)
    message = (error.msg or str(error)).strip()
    line = getattr(error, "lineno", None) or (error.position[0] if error.position else 0)
    if "premature end" in message.lower() or "end of data" in message.lower():
        return SitemapParseError(
            source,
            f"is truncated (ends early, line {line}: {message}); the file was cut short: "
            "regenerate it",
        )
    return SitemapParseError(
        source, f"is not well-formed XML (line {line}: {message}); fix the sitemap generator"
    )


def _strip_leading(head: bytes) -> bytes:
    # A UTF-8 BOM and blank lines before "<?xml" are common and harmless; libxml2 rejects a
    # declaration that is not at the very start, so drop them.
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.lstrip()


def _parse(chunks: Iterator[bytes], source: str, key_prefix: bytes) -> ParsedSitemap:
    parser = etree.XMLPullParser(
        events=("start",),
        tag=("{*}urlset", "{*}sitemapindex"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    root: etree._Element | None = None
    kind: Kind | None = None
    texts: list[tuple[bytes, bytes]] = []
    head = b""
    first = True
    safe = False
    for chunk in chunks:
        safe = safe or FAST_SEP in chunk
        if first:
            chunk = _strip_leading(chunk)
            head = chunk[:65536]
            first = False
            if not chunk:
                continue
            name = _root_name(head)
            if name is not None and name not in ("urlset", "sitemapindex"):
                raise _not_a_sitemap(source, head)
            _refuse_entity_declarations(source, head, name)
        parser.feed(chunk)
        if root is None:
            for _event, element in parser.read_events():
                if isinstance(element, etree._Element) and element.getparent() is None:
                    root = element
                    local = etree.QName(element).localname
                    kind = "urlset" if local == "urlset" else "sitemapindex"
                    break
            if root is None:
                continue
        assert kind is not None
        _drain(root, kind, texts, final=False, safe=safe)
    if first or not head:
        raise SitemapParseError(source, "is empty (0 URLs would mean 'nothing exists': refusing)")
    finished = parser.close()
    if root is None or kind is None:
        raise _not_a_sitemap(source, head)
    if finished is not root:  # a sitemap element nested inside something else
        raise _not_a_sitemap(source, head)
    _drain(root, kind, texts, final=True, safe=safe)
    return _build(source, kind, texts, key_prefix)


def _refuse_entity_declarations(source: str, head: bytes, root: str | None) -> None:
    """No sitemap needs a DTD with entities; they are how billion-laughs and XXE attacks work.
    lxml never loads external ones, but internal ones would still be expanded in text."""
    prolog = head.split(b"<urlset", 1)[0].split(b"<sitemapindex", 1)[0]
    if b"<!ENTITY" in prolog or (b"<!DOCTYPE" in prolog and root is None):
        raise SitemapParseError(
            source,
            "declares XML entities in a DOCTYPE; refusing to read it (entity expansion is an "
            "attack vector and no sitemap needs it): remove the DOCTYPE",
        )


def _drain(
    root: etree._Element, kind: Kind, texts: list[tuple[bytes, bytes]], *, final: bool, safe: bool
) -> None:
    """Extract every complete entry under ``root`` and delete it from the tree."""
    extract = _extractor(_ENTRY_OF[kind], etree.QName(root).namespace or "", safe)
    sep = SAFE_SEP if safe else FAST_SEP
    if final:
        if len(root):
            texts.append((bytes(extract(root.getroottree(), all="1")), sep))
        return
    # Only the last element child can still be growing; everything before it is complete.
    last = len(root) - 1
    if last < 1:
        return
    texts.append((bytes(extract(root.getroottree())), sep))
    del root[:last]


def _build(
    source: str, kind: Kind, texts: list[tuple[bytes, bytes]], key_prefix: bytes
) -> ParsedSitemap:
    # Split each piece (each ends with a separator) rather than joining them first: the
    # join would hold a second copy of every extracted value.
    fields: list[bytes] = []
    while texts:
        text, sep = texts.pop(0)
        fields.extend(text.split(sep))
        fields.pop()
    locs = fields[0::2]
    lastmods = fields[1::2]
    count = len(locs)
    warnings: list[str] = []
    # Whitespace around values is common (pretty-printers, CMS templates): trim it.
    locs = list(map(bytes.strip, locs))
    if key_prefix and kind == "urlset":
        locs = compact_keys(locs, key_prefix)
    lastmods = list(map(bytes.strip, lastmods))
    entries = dict(zip(locs, lastmods, strict=True))
    if len(entries) != count:
        entries = merge_duplicates(locs, lastmods)
    if b"" in entries:
        del entries[b""]
        warnings.append(f"{source}: {_plural(locs.count(b''), 'entry')} without a <loc> ignored")
    if kind == "sitemapindex" and count and not entries:
        raise SitemapParseError(source, "is a sitemap index whose entries have no <loc>")
    return ParsedSitemap(source, kind, entries, count, tuple(warnings))


PREFIX_MARK = b"\x01"  # never in XML text: a key starting with it stands for key_prefix + rest


def compact_keys(locs: list[bytes], key_prefix: bytes) -> list[bytes]:
    """Page URLs with the site's origin replaced by one byte: every stored URL repeats it, and
    at a million URLs those bytes are tens of megabytes. :func:`expand_key` undoes it."""
    cut = len(key_prefix)
    return [PREFIX_MARK + loc[cut:] if loc.startswith(key_prefix) else loc for loc in locs]


def expand_key(key: bytes, key_prefix: bytes) -> bytes:
    return key_prefix + key[1:] if key[:1] == PREFIX_MARK else key


def merge_duplicates(locs: list[bytes], lastmods: list[bytes]) -> dict[bytes, bytes]:
    """loc -> lastmod where a loc listed more than once keeps its latest lastmod."""
    from .lastmod import later

    entries: dict[bytes, bytes] = {}
    for loc, lastmod in zip(locs, lastmods, strict=True):
        seen = entries.get(loc)
        entries[loc] = lastmod if seen is None else later(seen, lastmod)
    return entries


def _plural(n: int, word: str) -> str:
    return (
        f"{n} {word}" if n == 1 else f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"
    )
