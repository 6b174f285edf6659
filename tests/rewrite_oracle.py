"""A plain reading of a rewritten sitemap, for the ``--fix-lastmod`` tests: nothing of the
production code. lxml parses the old and the new document whole; the trees must be equal
(canonical XML, comments and processing instructions included) once each entry's first
``<lastmod>`` is taken out, and the schemas of ``fixtures/schemas`` check what is valid.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parent.parent / "fixtures" / "schemas"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"
VIDEO_NS = "http://www.google.com/schemas/sitemap-video/1.1"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_SPACE = " \t\n\r"


def parse(document: bytes) -> etree._Element:
    """The document as lxml reads it, with no entity, DTD or network loading. A BOM or blank
    lines before the declaration are dropped first, as the tool does."""
    if document.startswith(b"\xef\xbb\xbf"):
        document = document[3:]
    if document.lstrip().startswith(b"<?xml"):
        document = document.lstrip()
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(document, parser)


@cache
def schema(kind: str) -> etree.XMLSchema:
    """The sitemaps.org schema for ``kind`` ("urlset" or "sitemapindex") with the image,
    video, news and xhtml:link extensions, all from local files."""
    main = "sitemap.xsd" if kind == "urlset" else "siteindex.xsd"
    imports = [
        (SITEMAP_NS, main),
        (IMAGE_NS, "sitemap-image.xsd"),
        (VIDEO_NS, "sitemap-video.xsd"),
        (NEWS_NS, "sitemap-news.xsd"),
        (XHTML_NS, "xhtml-link.xsd"),
    ]
    wrapper = (
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        + "".join(
            f'<xsd:import namespace="{ns}" schemaLocation="{(SCHEMAS / name).as_uri()}"/>'
            for ns, name in imports
        )
        + "</xsd:schema>"
    )
    return etree.XMLSchema(etree.XML(wrapper.encode()))


def assert_valid(document: bytes) -> None:
    root = parse(document)
    checker = schema(etree.QName(root).localname)
    assert checker.validate(root), checker.error_log


def _named(element: object, local: str, namespace: str | None) -> bool:
    """sitemap.py's rule for entry, loc and lastmod elements: in the root's namespace or in
    none; any namespace under a root that has none."""
    if not isinstance(element, etree._Element) or not isinstance(element.tag, str):
        return False
    name = etree.QName(element)
    if namespace is None:
        return name.localname == local
    return name.localname == local and name.namespace in (namespace, None)


def entries(root: etree._Element) -> list[etree._Element]:
    namespace = etree.QName(root).namespace
    entry = "url" if etree.QName(root).localname == "urlset" else "sitemap"
    return [child for child in root if _named(child, entry, namespace)]


def first(entry: etree._Element, local: str) -> etree._Element | None:
    namespace = etree.QName(entry.getparent()).namespace  # (the root's)
    return next((child for child in entry if _named(child, local, namespace)), None)


def text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return "".join(map(str, element.itertext())).strip(XML_SPACE)


def loc_and_lastmod(document: bytes) -> list[tuple[str | None, str | None]]:
    """Each entry's trimmed loc text and first lastmod text (None: no such element)."""
    return [
        (text(first(entry, "loc")), text(first(entry, "lastmod")))
        for entry in entries(parse(document))
    ]


def without_lastmods(old: bytes, new: bytes) -> tuple[bytes, bytes]:
    """Both documents in canonical XML (comments kept) with each entry's first lastmod
    taken out. Where the new document gained a lastmod, the white space written before it
    (the loc's indentation, copied) is taken out with it."""
    old_root, new_root = parse(old), parse(new)
    old_entries, new_entries = entries(old_root), entries(new_root)
    assert len(old_entries) == len(new_entries)
    for old_entry, new_entry in zip(old_entries, new_entries, strict=True):
        had = first(old_entry, "lastmod")
        if had is not None:
            _remove(had)
        gained = first(new_entry, "lastmod")
        if gained is None:
            continue
        before = gained.getprevious()
        _remove(gained)
        if had is None and before is not None:
            loc = first(old_entry, "loc")
            assert loc is not None
            want = loc.tail or ""
            got = before.tail or ""
            assert got.endswith(want) and not got[: len(got) - len(want)].strip(XML_SPACE)
            before.tail = want or None
    return _canonical(old_root), _canonical(new_root)


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    assert parent is not None
    previous = element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _canonical(root: etree._Element) -> bytes:
    return etree.tostring(root.getroottree(), method="c14n", with_comments=True)


def assert_only_lastmods_changed(old: bytes, new: bytes, truth: Mapping[str, int]) -> None:
    """``new`` is ``old`` with each entry's lastmod set to its loc's instant in ``truth``
    (nanoseconds, read to the second) and every other lastmod as it was; nothing else of the
    tree differs."""
    old_tree, new_tree = without_lastmods(old, new)
    assert new_tree == old_tree
    for (loc, was), (new_loc, lastmod) in zip(
        loc_and_lastmod(old), loc_and_lastmod(new), strict=True
    ):
        assert new_loc == loc
        if loc is not None and loc in truth:
            assert lastmod is not None
            assert _instant(lastmod) == truth[loc] // 10**9 * 10**9
        else:
            assert lastmod == was


def _instant(w3c: str) -> int:
    """Nanoseconds since the epoch of a W3C datetime (Python's own reading, not the tool's)."""
    moment = datetime.fromisoformat(w3c.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000


def changed_lines(old: bytes, new: bytes) -> list[str]:
    """The lines that differ between two UTF-8 documents, as ``difflib.ndiff`` marks them."""
    return [
        line
        for line in difflib.ndiff(old.decode().splitlines(), new.decode().splitlines())
        if line[:1] in "+-"
    ]
