"""Property: ``parse_sitemap`` reads exactly what a plain lxml reading of the same document
reads, whatever the values hold (issue 9, item 1; STYLE "a clever fast path ... has a property
test against a plain reading").

Documents are generated with ``<loc>``/``<lastmod>`` texts over the whole XML 1.0 character
range (U+007F, C1 controls, tabs, newlines and CRs, non-BMP), each written with a random mix
of raw text, named entities, decimal and hex character references with leading zeros and
CDATA sections, with whitespace around values, duplicates, missing lastmods, extension
elements, default/no/prefixed namespaces and ``xmlns=""`` resets, plain or gzip, and fed to
the parser in pieces small enough that values straddle every edge. The oracle below parses
the whole document with lxml and walks it in Python: nothing of the production code.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from random import Random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from indexnow_sync.sitemap import FEED_CHUNK, PREFIX_MARK, parse_sitemap

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"
PREFIX = "https://ex.com/"
XML_SPACE = " \t\n\r"

# --- the oracle: a plain reading ---------------------------------------------------------------


def read_plainly(document: bytes, key_prefix: str) -> tuple[dict[bytes, bytes], int]:
    """(loc -> lastmod, number of entries) the way a person would read the document: parse it
    whole, take each entry element's first loc and lastmod child, trim XML whitespace, and let
    a loc listed twice keep its latest lastmod (see ``latest``)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(document, parser)
    namespace = etree.QName(root).namespace
    entry = "url" if etree.QName(root).localname == "urlset" else "sitemap"

    def named(element: etree._Element, local: str) -> bool:
        if not isinstance(element.tag, str):
            return False  # a comment or processing instruction
        name = etree.QName(element)
        if namespace is None:  # a root without a namespace: any namespace will do
            return name.localname == local
        return name.localname == local and name.namespace in (namespace, None)

    def text_of_first(parent: etree._Element, local: str) -> str:
        for child in parent:
            if named(child, local):
                return "".join(map(str, child.itertext())).strip(XML_SPACE)
        return ""

    read: dict[str, str] = {}
    count = 0
    for child in root:
        if not named(child, entry):
            continue
        count += 1
        loc, lastmod = text_of_first(child, "loc"), text_of_first(child, "lastmod")
        if not loc:
            continue
        read[loc] = latest(read[loc], lastmod) if loc in read else lastmod
    entries = {}
    for loc, lastmod in read.items():
        key = loc.encode()
        if key_prefix and entry == "url" and loc.startswith(key_prefix):
            key = PREFIX_MARK + loc[len(key_prefix) :].encode()
        entries[key] = lastmod.encode()
    return entries, count


# Lastmods of a loc listed more than once are drawn from this table, whose instants are known
# (seconds since 2024-05-01T00:00Z; None: not a W3C datetime, treated as absent).
LASTMODS: dict[str, int | None] = {
    "": None,
    "2024-05-01": 0,
    "2024-05-01T00:00:00Z": 0,
    "2024-05-01T02:00:00+02:00": 0,
    "2024-05-01T10:00Z": 36_000,
    "2024-05-02": 86_400,
    "2024": -10_540_800,
    "yesterday": None,
    "2024-13-45": None,
}


def latest(seen: str, new: str) -> str:
    """The later of two lastmods; a readable one beats an unreadable one; a tie keeps the
    first."""
    a, b = LASTMODS[seen], LASTMODS[new]
    if b is None:
        return seen
    if a is None or b > a:
        return new
    return seen


# --- generating documents ----------------------------------------------------------------------


def xml_char(codepoint: int) -> bool:
    return (
        codepoint in (0x9, 0xA, 0xD)
        or 0x20 <= codepoint <= 0xD7FF
        or 0xE000 <= codepoint <= 0xFFFD
        or 0x10000 <= codepoint <= 0x10FFFF
    )


INTERESTING = "\x7f\x80\x85\x9f\xa0\t\n\r <>&\"']\U0001f600\ufffd\ue000" + PREFIX
characters = st.one_of(
    st.sampled_from(INTERESTING),
    st.characters(min_codepoint=0x20, max_codepoint=0xFFFD).filter(lambda c: xml_char(ord(c))),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
)
# A value as it reads after trimming: no XML whitespace at either end.
values = st.text(characters, max_size=12).map(lambda text: text.strip(XML_SPACE))
locs = st.one_of(values, values.map(lambda text: (PREFIX + text).strip(XML_SPACE)))
NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def escaped(rnd: Random, value: str) -> str:
    """``value`` written as XML text: cut into runs, each raw, as character references or as
    a CDATA section; then whitespace around it. (Choices come from ``rnd``, one draw per
    document: drawing each from hypothesis would make generating cost more than testing.)"""
    out = [spaces(rnd)]
    rest = value
    while rest:
        size = rnd.randint(1, len(rest))
        run, rest = rest[:size], rest[size:]
        how = rnd.choice(["raw", "refs", "cdata"])
        if rnd.random() < 0.05:
            out.append("<?pi inside a value?>")  # (not part of its text)
        if how == "cdata" and "]]>" not in run and "\r" not in run:
            out.append(f"<![CDATA[{run}]]>")  # (a CR in CDATA would be read as a newline)
        elif how == "refs":
            out.append("".join(reference(rnd, char) for char in run))
        else:
            out.append(
                "".join(NAMED[c] if c in "<&>" else "&#13;" if c == "\r" else c for c in run)
            )
    out.append(spaces(rnd))
    return "".join(out)


def reference(rnd: Random, char: str) -> str:
    if char in NAMED and rnd.random() < 0.5:
        return NAMED[char]
    zeros = "0" * rnd.randint(0, 3)
    if rnd.random() < 0.5:
        return f"&#{zeros}{ord(char)};"
    digits = format(ord(char), "x")
    return f"&#x{zeros}{digits.upper() if rnd.random() < 0.5 else digits};"


def spaces(rnd: Random) -> str:
    return "".join(rnd.choice(XML_SPACE) for _ in range(rnd.randint(0, 3)))


@dataclass(frozen=True)
class Names:
    """How one document spells its elements."""

    root: str  # the root's start tag, namespace declarations included
    end: str
    entry: str
    loc: str
    lastmod: str


def names(kind: str, style: str) -> Names:
    root = "urlset" if kind == "url" else "sitemapindex"
    images = f'xmlns:image="{IMAGE_NS}"'
    if style == "prefixed":
        return Names(
            f'<s:{root} xmlns:s="{NS}" {images}>', f"</s:{root}>", f"s:{kind}", "s:loc", "s:lastmod"
        )
    if style == "none":
        return Names(f"<{root} {images}>", f"</{root}>", kind, "loc", "lastmod")
    return Names(f'<{root} xmlns="{NS}" {images}>', f"</{root}>", kind, "loc", "lastmod")


def entry_element(rnd: Random, n: Names, style: str, loc: str | None, lastmod: str | None) -> str:
    reset = style == "reset" and rnd.random() < 0.5  # this entry in no namespace
    parts = []
    if loc is not None:
        parts.append(f"<{n.loc}>{escaped(rnd, loc)}</{n.loc}>")
    if lastmod is not None:
        parts.append(f"<{n.lastmod}>{escaped(rnd, lastmod)}</{n.lastmod}>")
    changefreq = n.loc.replace("loc", "changefreq")
    extras = [
        f"<image:image><image:loc>{escaped(rnd, PREFIX + 'img')}</image:loc></image:image>",
        "<!-- a comment -->",
        "<?pi between elements?>",
        f"<{changefreq}>daily</{changefreq}>",
    ]
    for _ in range(rnd.randint(0, 2)):
        parts.insert(rnd.randint(0, len(parts)), rnd.choice(extras))
    if loc is not None and rnd.random() < 0.1:
        parts.append(f"<{n.loc}>{escaped(rnd, 'second')}</{n.loc}>")  # only the first counts
    start, end = f'<{n.entry} xmlns="">' if reset else f"<{n.entry}>", f"</{n.entry}>"
    if rnd.random() < 0.1:
        # In another namespace: an entry only under a root without a namespace (any will do).
        entry = n.entry.split(":")[-1]
        start, end = f'<o:{entry} xmlns:o="urn:other">', f"</o:{entry}>"
        parts = [re.sub(r"<(/?)(?:s:)?(loc|lastmod)>", r"<\1o:\2>", part) for part in parts]
    return start + spaces(rnd).join(parts) + end


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["url", "url", "url", "sitemap"]))
    style = draw(st.sampled_from(["default", "none", "prefixed", "reset"]))
    n = names(kind, style)
    pool = draw(st.lists(locs, min_size=1, max_size=6, unique=True))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), max_size=10))
    rnd = Random(draw(st.integers(0, 2**32)))
    entries = []
    for i in picks:
        loc: str | None = pool[i]
        if not loc and rnd.random() < 0.5:
            loc = None  # no <loc> element at all
        if picks.count(i) > 1:  # a duplicate: its lastmods come from the table of instants
            lastmod = draw(st.one_of(st.none(), st.sampled_from(sorted(LASTMODS))))
        else:
            lastmod = draw(st.one_of(st.none(), values, locs))  # (locs: text like a URL)
        entries.append(entry_element(rnd, n, style, loc, lastmod))
    prolog = rnd.choice(
        [
            "",
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            '<?xml version="1.0"?><!-- generated --><?xml-stylesheet href="s.xsl"?>\n',
            f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE {n.root[1:].split()[0]}>\n',
        ]
    )
    text = prolog + n.root + spaces(rnd).join(entries) + n.end
    return text.encode("utf-8"), kind


# --- the property ------------------------------------------------------------------------------


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    generated=documents(),
    feed_chunk=st.one_of(st.integers(1, 64), st.just(FEED_CHUNK)),
    gzipped=st.booleans(),
    with_prefix=st.booleans(),
)
def test_parse_sitemap_reads_what_a_plain_lxml_reading_reads(
    generated: tuple[bytes, str], feed_chunk: int, gzipped: bool, with_prefix: bool
) -> None:
    document, kind = generated
    key_prefix = PREFIX if with_prefix else ""
    expected, count = read_plainly(document, key_prefix)
    if kind == "sitemap" and count and not expected:
        return  # an index whose entries all lack a loc is an error (tested in test_sitemap)
    data = gzip.compress(document) if gzipped else document
    parsed = parse_sitemap(data, "s.xml", key_prefix=key_prefix.encode(), feed_chunk=feed_chunk)
    assert list(parsed.entries.items()) == list(expected.items())
    assert parsed.count == count
