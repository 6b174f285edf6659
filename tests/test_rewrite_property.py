"""Property: ``rewrite_lastmods`` changes exactly the lastmods it is asked to, and nothing
else, on any document (STYLE: a fast path proven against a plain reading).

Two families of generated documents, each checked by ``tests/rewrite_oracle.py`` (lxml
reading both documents whole; nothing of the production code):

- valid sitemaps and indexes as generators write them, with image, video, news and
  ``xhtml:link`` extensions declared on the root or locally, the sitemap namespace as the
  default or under a prefix, locs written with character references, CDATA and comments,
  lastmods present or not, CRLF or LF, a BOM or not: before and after, they validate
  against the sitemaps.org schemas;
- the real world's odd documents of ``test_sitemap_property`` (values over the whole XML
  character range, ``xmlns=""`` resets, entries in other namespaces, PIs inside values,
  duplicates, missing locs): whatever they hold, the rewrite reads back as intended.

For both: the new document equals the old as a canonical tree once each entry's first
lastmod is taken out; every mapped entry's lastmod is the true instant, every other one is
as it was; a second rewrite with the same instants returns the same bytes; gzip gives the
same document gzipped.
"""

from __future__ import annotations

import gzip
from random import Random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexnow_sync.rewrite import rewrite_lastmods
from tests.rewrite_oracle import (
    IMAGE_NS,
    NEWS_NS,
    SITEMAP_NS,
    VIDEO_NS,
    XHTML_NS,
    assert_only_lastmods_changed,
    assert_valid,
    loc_and_lastmod,
)
from tests.test_sitemap_property import documents as odd_documents

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
YEAR_2000 = 946_684_800 * 10**9
THIRTY_YEARS = 30 * 365 * 86_400 * 10**9
LASTMODS = [
    "2024-05-01",
    "2024-05-01T10:00:00Z",
    "2024-05-01T12:00:00+02:00",
    "2023-12-31T23:59:59.5Z",
]


def check(document: bytes, truth: dict[str, int], *, valid: bool) -> None:
    """The property, for one document and one mapping."""
    if valid:
        assert_valid(document)
    result = rewrite_lastmods(document, truth, "s.xml")
    new = result.data
    if valid:
        assert_valid(new)
    assert_only_lastmods_changed(document, new, truth)
    again = rewrite_lastmods(new, truth, "s.xml")
    assert again.data == new and not again.changed
    packed = rewrite_lastmods(gzip.compress(document), truth, "s.xml.gz").data
    assert gzip.decompress(packed) == new


def pick_truth(rnd: Random, locs: list[str | None]) -> dict[str, int]:
    return {
        loc: YEAR_2000 + rnd.randrange(THIRTY_YEARS) for loc in locs if loc and rnd.random() < 0.7
    }


# --- valid documents ------------------------------------------------------------------------------

URL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-._~/?=&+"
REFERENCES = {"&": "&amp;", "/": "&#x2F;", "a": "&#97;", "e": "&#x0065;", "-": "&#045;"}


def written(rnd: Random, value: str) -> str:
    """``value`` as XML text: raw (``&`` escaped), character references, CDATA, or a mix,
    with a comment or white space around it now and then."""
    how = rnd.choice(["raw", "refs", "cdata", "mixed"])
    if how == "cdata":
        body = f"<![CDATA[{value}]]>"
    elif how == "refs":
        body = "".join(REFERENCES.get(c, c) for c in value)
    elif how == "mixed":
        cut = rnd.randint(0, len(value))
        body = value[:cut].replace("&", "&amp;") + f"<![CDATA[{value[cut:]}]]>"
    else:
        body = value.replace("&", "&amp;")
    if rnd.random() < 0.2:
        body = rnd.choice([" ", "\n  "]) + body + rnd.choice(["", " ", "\n"])
    if rnd.random() < 0.1:
        body = body + "<!-- note -->"
    return body


def extension(rnd: Random, local_declarations: bool) -> str:
    def declare(prefix: str, namespace: str) -> str:
        return f' xmlns:{prefix}="{namespace}"' if local_declarations else ""

    choice = rnd.choice(["image", "xhtml", "video", "news"])
    if choice == "image":
        caption = "<image:caption><![CDATA[A & B <c>]]></image:caption>" * rnd.randint(0, 1)
        return (
            f"<image:image{declare('image', IMAGE_NS)}><image:loc>"
            f"https://www.example.com/i.png</image:loc>{caption}</image:image>"
        )
    if choice == "xhtml":
        return (
            f'<xhtml:link{declare("xhtml", XHTML_NS)} rel="alternate" hreflang="fr" '
            'href="https://www.example.com/fr/"/>'
        )
    if choice == "video":
        return (
            f"<video:video{declare('video', VIDEO_NS)}>"
            "<video:thumbnail_loc>https://www.example.com/t.jpg</video:thumbnail_loc>"
            "<video:title>Steaks &amp; more</video:title>"
            "<video:description>How &#8212; and why.</video:description>"
            "<video:content_loc>https://www.example.com/v.mp4</video:content_loc>"
            "</video:video>"
        )
    return (
        f"<news:news{declare('news', NEWS_NS)}><news:publication><news:name>Example</news:name>"
        "<news:language>en</news:language></news:publication>"
        "<news:publication_date>2024-05-02</news:publication_date>"
        "<news:title>Launch &lt;day&gt;</news:title></news:news>"
    )


@st.composite
def valid_documents(draw: st.DrawFn) -> tuple[bytes, list[str | None], int]:
    rnd = Random(draw(st.integers(0, 2**32)))
    index = rnd.random() < 0.25
    root_name, entry_name = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    prefix = rnd.choice(["", "", "s:", "sitemap:"])
    local_declarations = rnd.random() < 0.3
    newline = rnd.choice(["\n", "\r\n"])
    indent = rnd.choice(["", "  ", "\t"])
    declarations = f' xmlns{":" + prefix[:-1] if prefix else ""}="{SITEMAP_NS}"'
    if not index and not local_declarations:
        declarations += (
            f' xmlns:image="{IMAGE_NS}" xmlns:video="{VIDEO_NS}"'
            f' xmlns:news="{NEWS_NS}" xmlns:xhtml="{XHTML_NS}"'
        )
    paths = draw(st.lists(st.text(URL_CHARS, max_size=12), min_size=1, max_size=6))

    def element(name: str, content: str) -> str:
        return f"<{prefix}{name}>{content}</{prefix}{name}>"

    entries = []
    for path in paths:
        loc = "https://www.example.com/" + path
        parts = [element("loc", written(rnd, loc))]
        if rnd.random() < 0.6:
            parts.append(element("lastmod", rnd.choice(LASTMODS)))
        if not index:
            if rnd.random() < 0.3:
                parts.append(element("changefreq", "weekly"))
            if rnd.random() < 0.3:
                parts.append(element("priority", "0.5"))
            parts += [extension(rnd, local_declarations) for _ in range(rnd.randint(0, 3))]
        gap = newline + indent * 2
        if rnd.random() < 0.2:
            gap += "<!-- between -->" + gap
        body = gap + gap.join(parts) + newline + indent if indent else "".join(parts)
        entries.append(element(entry_name, body))
    prolog = rnd.choice(
        [
            "",
            f'<?xml version="1.0" encoding="UTF-8"?>{newline}',
            f'\ufeff<?xml version="1.0" encoding="utf-8"?>{newline}<!-- generated -->{newline}',
            f'<?xml version="1.0"?>{newline}<?xml-stylesheet type="text/xsl" href="/s.xsl"?>',
        ]
    )
    separator = newline + indent if indent else ""
    text = (
        f"{prolog}<{prefix}{root_name}{declarations}>{separator}"
        + separator.join(entries)
        + f"{newline}</{prefix}{root_name}>{newline}"
    )
    locs: list[str | None] = ["https://www.example.com/" + path for path in paths]
    return text.encode("utf-8"), locs, draw(st.integers(0, 2**32))


@SETTINGS
@given(generated=valid_documents())
def test_valid_sitemaps_stay_valid_and_change_only_in_lastmods(
    generated: tuple[bytes, list[str | None], int],
) -> None:
    document, locs, seed = generated
    check(document, pick_truth(Random(seed), locs), valid=True)


# --- the real world's odd documents --------------------------------------------------------------


@SETTINGS
@given(generated=odd_documents(), seed=st.integers(0, 2**32))
def test_odd_documents_change_only_in_the_lastmods_asked_for(
    generated: tuple[bytes, str], seed: int
) -> None:
    document, kind = generated
    read = loc_and_lastmod(document)
    locs = [loc for loc, _ in read]
    if kind == "sitemap" and read and not any(locs):
        return  # an index whose entries all lack a loc is an error (tested in test_sitemap)
    check(document, pick_truth(Random(seed), locs), valid=False)
