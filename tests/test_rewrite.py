"""``rewrite_lastmods``: one sitemap document's ``<lastmod>`` set to the true instants, and
nothing else changed (SPEC "A true lastmod in the deployed sitemap").

Every rewritten document here is checked three ways by ``tests/rewrite_oracle.py`` (lxml,
none of the production code): it validates against the sitemaps.org schemas (with the
image, video, news and xhtml:link extensions) when the original did, it equals the
original as a parsed tree once the lastmods are taken out, and each entry's lastmod reads
as intended.
"""

from __future__ import annotations

import codecs
import gzip
from collections.abc import Mapping
from pathlib import Path

import pytest

from indexnow_sync.errors import RewriteError, SitemapParseError, SitemapWriteError
from indexnow_sync.lastmod import instant
from indexnow_sync.rewrite import (
    Corrections,
    format_lastmod,
    rewrite_lastmods,
)
from tests.rewrite_oracle import (
    assert_only_lastmods_changed,
    assert_valid,
    changed_lines,
    loc_and_lastmod,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
HOUR = 3600 * 10**9


def at(text: str) -> int:
    moment = instant(text.encode())
    assert moment is not None
    return moment


T0 = at("2025-03-01T08:30:00Z")


def rewritten(
    document: bytes, truth: Mapping[str, int], *, valid: bool = True, valid_after: bool = True
) -> tuple[bytes, Corrections]:
    """The rewrite, checked by the oracle: same tree but for lastmods, and each mapped
    entry's lastmod the true instant, each other one as it was. ``valid``: the document
    validates against the schemas, before (where the test says so) and after."""
    if valid:
        assert_valid(document)
    result = rewrite_lastmods(document, truth, "sitemap.xml")
    new = result.data
    if valid and valid_after:
        assert_valid(new)
    assert_only_lastmods_changed(document, new, truth)
    return new, result.corrections


def test_a_build_date_stamp_moves_back_to_when_each_page_really_changed() -> None:
    document = (FIXTURES / "rewrite" / "mkdocs.xml").read_bytes()
    truth = {
        "https://docs.example.com/": at("2025-01-15T09:00:00Z"),
        "https://docs.example.com/install/": at("2025-06-12T14:03:27Z"),
        "https://docs.example.com/usage/": at("2024-11-02T18:45:10+01:00"),
    }
    new, corrections = rewritten(document, truth)
    assert corrections == Corrections(back=2, forward=1)
    # Only the three lastmod lines differ, each now a W3C datetime in UTC with seconds.
    assert changed_lines(document, new) == [
        "-          <lastmod>2025-06-12</lastmod>",
        "+          <lastmod>2025-01-15T09:00:00Z</lastmod>",
        "-          <lastmod>2025-06-12</lastmod>",
        "+          <lastmod>2025-06-12T14:03:27Z</lastmod>",
        "-          <lastmod>2025-06-12</lastmod>",
        "+          <lastmod>2024-11-02T17:45:10Z</lastmod>",
    ]


def test_a_missing_lastmod_is_added_right_after_loc_with_the_loc_s_indentation() -> None:
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        b"  <url>\n"
        b"    <loc>https://www.example.com/a/</loc>\n"
        b"    <changefreq>daily</changefreq>\n"
        b"  </url>\n"
        b"  <url><loc>https://www.example.com/b/</loc><priority>0.3</priority></url>\n"
        b"</urlset>\n"
    )
    truth = {"https://www.example.com/a/": T0, "https://www.example.com/b/": T0 + HOUR}
    new, corrections = rewritten(document, truth)
    assert corrections == Corrections(added=2)
    assert new == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        b"  <url>\n"
        b"    <loc>https://www.example.com/a/</loc>\n"
        b"    <lastmod>2025-03-01T08:30:00Z</lastmod>\n"
        b"    <changefreq>daily</changefreq>\n"
        b"  </url>\n"
        b"  <url><loc>https://www.example.com/b/</loc><lastmod>2025-03-01T09:30:00Z</lastmod>"
        b"<priority>0.3</priority></url>\n"
        b"</urlset>\n"
    )


def test_extensions_namespaces_and_order_stay_as_they_were() -> None:
    document = (FIXTURES / "rewrite" / "extensions.xml").read_bytes()
    truth = {
        "https://www.example.com/": T0,
        "https://www.example.com/video/": T0,
        "https://www.example.com/news/launch": T0 + HOUR,
    }
    new, corrections = rewritten(document, truth)
    assert corrections == Corrections(added=1, forward=2)
    # Byte for byte, the only lines that differ are the lastmods.
    assert changed_lines(document, new) == [
        "-     <lastmod>2024-05-01</lastmod>",
        "+     <lastmod>2025-03-01T08:30:00Z</lastmod>",
        "+     <lastmod>2025-03-01T08:30:00Z</lastmod>",
        "-     <lastmod>2024-05-02T08:00:00+00:00</lastmod>",
        "+     <lastmod>2025-03-01T09:30:00Z</lastmod>",
    ]


def test_crlf_cdata_character_references_comments_and_an_empty_lastmod() -> None:
    document = (FIXTURES / "rewrite" / "crlf-mixed.xml").read_bytes()
    truth = {
        "https://www.example.com/search?q=a&lang=en": at("2024-05-01T08:00:00Z"),  # same
        "https://www.example.com/café/": T0,
        "https://www.example.com/empty/": T0,
    }
    new, corrections = rewritten(document, truth, valid=False)  # (<lastmod/> is invalid)
    assert_valid(new)
    # The first lastmod is already that instant (written +02:00): reworded, not counted.
    assert corrections == Corrections(added=2)
    assert b"<lastmod>2024-05-01T08:00:00Z</lastmod>" in new
    # Added with the file's own line ends; the self-closing element opened.
    assert (
        b"<loc>https://www.example.com/caf&#xE9;/</loc>\r\n\t\t<lastmod>2025-03-01T08:30:00Z"
        b"</lastmod>\r\n\t\t<changefreq>" in new
    )
    assert b"<lastmod>2025-03-01T08:30:00Z</lastmod></url>" in new
    assert new.count(b"\r\n") == document.count(b"\r\n") + 1  # (the added line)
    assert new.count(b"\n") == new.count(b"\r\n")


@pytest.mark.parametrize(
    ("root", "entry"),
    [
        (f'<s:urlset xmlns:s="{NS}">', "<s:url><s:loc>{loc}</s:loc></s:url>"),
        (f'<urlset xmlns="{NS}">', "<url><loc>{loc}</loc></url>"),
        ("<urlset>", "<url><loc>{loc}</loc></url>"),
        (f'<urlset xmlns="{NS}">', '<url><s:loc xmlns:s="' + NS + '">{loc}</s:loc></url>'),
        (f'<s:urlset xmlns:s="{NS}" xmlns="urn:x">', '<s:url><loc xmlns="">{loc}</loc></s:url>'),
    ],
    ids=["prefixed", "default", "no-namespace", "loc-declares-its-prefix", "loc-resets"],
)
def test_an_added_lastmod_is_in_the_loc_s_namespace(root: str, entry: str) -> None:
    loc = "https://www.example.com/"
    end = "</" + root[1:].split()[0].rstrip(">") + ">"
    document = (root + entry.format(loc=loc) + end).encode()
    new, corrections = rewritten(document, {loc: T0}, valid=False)
    assert corrections == Corrections(added=1)
    assert loc_and_lastmod(new) == [(loc, "2025-03-01T08:30:00Z")]
    if '<loc xmlns="">' in entry:
        assert b'</loc><lastmod xmlns="">2025-03-01T08:30:00Z</lastmod>' in new
    elif "<s:loc xmlns:s=" in entry:
        assert f'</s:loc><s:lastmod xmlns:s="{NS}">2025'.encode() in new
    elif root.startswith(("<s:", f'<urlset xmlns="{NS}">')):
        assert_valid(new)


def test_the_default_namespace_and_prefixed_forms_validate() -> None:
    for root, name in ((f'<s:urlset xmlns:s="{NS}">', "s:"), (f'<urlset xmlns="{NS}">', "")):
        document = (
            f'<?xml version="1.0"?>{root}<{name}url><{name}loc>https://www.example.com/'
            f"</{name}loc></{name}url></{name}urlset>"
        ).encode()
        rewritten(document, {"https://www.example.com/": T0})


def test_a_lastmod_at_the_true_instant_is_reworded_in_utc_and_not_counted() -> None:
    document = (
        f'<urlset xmlns="{NS}"><url><loc>https://www.example.com/</loc>'
        "<lastmod>2025-03-01T09:30:00+01:00</lastmod></url></urlset>"
    ).encode()
    new, corrections = rewritten(document, {"https://www.example.com/": T0})
    assert new == document.replace(b"2025-03-01T09:30:00+01:00", b"2025-03-01T08:30:00Z")
    assert corrections == Corrections()
    again = rewrite_lastmods(new, {"https://www.example.com/": T0}, "s.xml")
    assert again.data is new and not again.changed


def test_a_second_rewrite_with_the_same_instants_changes_nothing() -> None:
    document = (FIXTURES / "rewrite" / "extensions.xml").read_bytes()
    truth = {"https://www.example.com/": T0 + 123_456_789, "https://www.example.com/video/": T0}
    once = rewrite_lastmods(document, truth, "s.xml")
    assert once.changed
    twice = rewrite_lastmods(once.data, truth, "s.xml")
    assert not twice.changed and twice.data is once.data
    assert twice.corrections == Corrections()


def test_an_instant_is_written_to_the_second_in_utc() -> None:
    assert format_lastmod(at("2025-03-01T08:30:00.999Z")) == "2025-03-01T08:30:00Z"
    assert format_lastmod(at("1999-12-31T23:59:59-02:00")) == "2000-01-01T01:59:59Z"
    assert format_lastmod(0) == "1970-01-01T00:00:00Z"


def test_entries_not_in_the_mapping_and_entries_without_loc_are_left_alone() -> None:
    document = (
        f'<urlset xmlns="{NS}"><url><lastmod>2020-01-01</lastmod></url>'
        "<url><loc>https://www.example.com/other/</loc><lastmod>2020-01-01</lastmod></url>"
        "<url><loc>https://www.example.com/</loc><lastmod>2020-01-01</lastmod></url></urlset>"
    ).encode()
    new, corrections = rewritten(document, {"https://www.example.com/": T0}, valid=False)
    assert corrections == Corrections(forward=1)
    assert new.count(b"<lastmod>2020-01-01</lastmod>") == 2


def test_a_duplicate_loc_gets_the_true_instant_in_every_entry() -> None:
    entry = "<url><loc>https://www.example.com/</loc><lastmod>2030-01-01</lastmod></url>"
    document = f'<urlset xmlns="{NS}">{entry}{entry}</urlset>'.encode()
    new, corrections = rewritten(document, {"https://www.example.com/": T0})
    assert corrections == Corrections(back=2)
    assert new.count(b"2025-03-01T08:30:00Z") == 2


def test_an_unreadable_lastmod_counts_as_added() -> None:
    document = (
        f'<urlset xmlns="{NS}"><url><loc>https://www.example.com/</loc>'
        "<lastmod>last tuesday</lastmod></url></urlset>"
    ).encode()
    new, corrections = rewritten(document, {"https://www.example.com/": T0}, valid=False)
    assert corrections == Corrections(added=1)
    assert_valid(new)


def test_gzip_stays_gzip_and_holds_the_plain_rewrite() -> None:
    document = (FIXTURES / "rewrite" / "mkdocs.xml").read_bytes()
    truth = {"https://docs.example.com/install/": T0}
    plain = rewrite_lastmods(document, truth, "s.xml").data
    packed = gzip.compress(document, mtime=1_700_000_000)
    result = rewrite_lastmods(packed, truth, "s.xml.gz")
    assert result.data[:2] == b"\x1f\x8b"
    assert gzip.decompress(result.data) == plain
    assert result.data[4:8] == packed[4:8]  # (the header's timestamp is kept)


def test_a_bom_and_blank_lines_before_the_declaration_stay() -> None:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NS}"><url>'
        "<loc>https://www.example.com/</loc></url></urlset>\n"
    ).encode()
    document = b"\xef\xbb\xbf\n\n" + body
    new = rewrite_lastmods(document, {"https://www.example.com/": T0}, "s.xml").data
    assert new.startswith(b"\xef\xbb\xbf\n\n<?xml")
    assert loc_and_lastmod(new) == [("https://www.example.com/", "2025-03-01T08:30:00Z")]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_documents_are_rewritten_in_their_encoding(codec: str) -> None:
    text = (
        f'<?xml version="1.0" encoding="{codec.upper()}"?>\n<urlset xmlns="{NS}"><url>'
        "<loc>https://www.example.com/caf\u00e9/\U0001f600</loc><lastmod>2030-01-01</lastmod>"
        "</url></urlset>\n"
    )
    document = text.encode(codec)
    if codec == "utf-16-be":
        document = codecs.BOM_UTF16_BE + document  # (utf-16-le: no byte order mark at all)
    truth = {"https://www.example.com/caf\u00e9/\U0001f600": T0}
    new, corrections = rewritten(document, truth, valid=False)
    assert corrections == Corrections(back=1)
    assert new[:4] == document[:4]  # (the byte order mark, or none)
    assert new.decode("utf-16" if codec == "utf-16-be" else codec) == text.replace(
        "2030-01-01", "2025-03-01T08:30:00Z"
    )


def test_a_single_byte_encoding_is_kept_byte_for_byte() -> None:
    document = (
        f'<?xml version="1.0" encoding="ISO-8859-1"?><urlset xmlns="{NS}"><url>'
        "<loc>https://www.example.com/caf\u00e9/</loc></url><!-- \u00e9t\u00e9 --></urlset>"
    ).encode("latin-1")
    new, _ = rewritten(document, {"https://www.example.com/caf\u00e9/": T0}, valid=False)
    assert new == document.replace(b"</loc>", b"</loc><lastmod>2025-03-01T08:30:00Z</lastmod>")


def test_an_index_s_lastmod_per_child_is_what_it_is_given() -> None:
    document = (FIXTURES / "sitemaps" / "index-nested.xml").read_bytes()
    children = [loc for loc, _ in loc_and_lastmod(document) if loc]
    assert children
    truth = {child: T0 + i * HOUR for i, child in enumerate(children)}
    new, corrections = rewritten(document, truth, valid=False)
    assert corrections == Corrections()  # (index entries are not counted: they follow)
    assert [lastmod for _, lastmod in loc_and_lastmod(new)] == [
        format_lastmod(T0 + i * HOUR) for i in range(len(children))
    ]


def test_the_latest_lastmod_after_the_rewrite_is_reported_for_the_index() -> None:
    document = (FIXTURES / "rewrite" / "mkdocs.xml").read_bytes()
    result = rewrite_lastmods(document, {"https://docs.example.com/": T0}, "s.xml")
    assert result.latest == at("2025-06-12")  # (the untouched entries are later)
    result = rewrite_lastmods(document, {"https://docs.example.com/": at("2026-01-01")}, "s")
    assert result.latest == at("2026-01-01")


def test_an_encoding_other_than_utf8_utf16_or_single_byte_is_refused() -> None:
    document = (
        f'<?xml version="1.0" encoding="Shift_JIS"?><urlset xmlns="{NS}"><url>'
        "<loc>https://www.example.com/</loc></url></urlset>"
    ).encode()
    with pytest.raises(RewriteError) as caught:
        rewrite_lastmods(document, {"https://www.example.com/": T0}, "build/sitemap.xml")
    assert str(caught.value).startswith("build/sitemap.xml: declares the encoding 'Shift_JIS'")
    assert "UTF-8" in str(caught.value)
    assert caught.value.exit_code == 1 and isinstance(caught.value, SitemapWriteError)


def test_a_dtd_internal_subset_is_refused() -> None:
    document = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ATTLIST urlset a CDATA "x">]>'
        f'<urlset xmlns="{NS}"><url><loc>https://www.example.com/</loc></url></urlset>'
    ).encode()
    with pytest.raises(RewriteError, match="internal subset"):
        rewrite_lastmods(document, {"https://www.example.com/": T0}, "s.xml")


def test_a_doctype_without_internal_subset_is_rewritten() -> None:
    document = (
        f'<?xml version="1.0"?>\n<!DOCTYPE urlset SYSTEM "urlset.dtd">\n<urlset xmlns="{NS}">'
        "<url><loc>https://www.example.com/</loc></url></urlset>"
    ).encode()
    new, _ = rewritten(document, {"https://www.example.com/": T0}, valid=False)
    assert new.startswith(b'<?xml version="1.0"?>\n<!DOCTYPE urlset SYSTEM "urlset.dtd">\n')


def test_what_is_not_a_sitemap_is_the_parser_s_error() -> None:
    with pytest.raises(SitemapParseError, match="HTML page"):
        rewrite_lastmods(b"<!doctype html><html></html>", {}, "s.xml")


def test_a_raw_ampersand_in_a_loc_reads_as_the_repairing_parser_reads_it() -> None:
    document = (
        f'<urlset xmlns="{NS}"><url><loc>https://www.example.com/?a=1&b=2</loc></url></urlset>'
    ).encode()
    new = rewrite_lastmods(document, {"https://www.example.com/?a=1&b=2": T0}, "s.xml").data
    assert new.endswith(b"&b=2</loc><lastmod>2025-03-01T08:30:00Z</lastmod></url></urlset>")


def test_line_breaks_inside_a_loc_read_as_an_xml_parser_reads_them() -> None:
    # A raw CR LF (or CR) in text reads as LF; one written &#13; stays a CR.
    document = (
        f'<urlset xmlns="{NS}"><url><loc>https://www.example.com/a\r\nb</loc></url>'
        "<url><loc>https://www.example.com/c\rd&#13;e</loc></url></urlset>"
    ).encode()
    truth = {"https://www.example.com/a\nb": T0, "https://www.example.com/c\nd\re": T0}
    _new, corrections = rewritten(document, truth, valid=False)
    assert corrections == Corrections(added=2)


def test_a_rewrite_that_would_not_read_back_as_intended_is_refused() -> None:
    from indexnow_sync.rewrite import _check
    from indexnow_sync.sitemap import parse_sitemap

    document = (FIXTURES / "rewrite" / "mkdocs.xml").read_bytes()
    before = parse_sitemap(document, "s.xml")
    moved = document.replace(b"2025-06-12", b"2025-01-01", 1)
    expected = {b"https://docs.example.com/": at("2025-01-02")}
    with pytest.raises(RewriteError) as caught:
        _check(before, moved, expected, "build/sitemap.xml", 2**20)
    assert str(caught.value).splitlines() == [
        "build/sitemap.xml: could not be rewritten exactly (the lastmod of "
        "https://docs.example.com/)",
        "--fix-lastmod left it as it was, and changed no sitemap file",
        "fix: please report this (with the file); meanwhile run without --fix-lastmod",
    ]
    other = document.replace(b"/usage/", b"/use/")
    with pytest.raises(RewriteError, match="its locs would change"):
        _check(before, other, {}, "s.xml", 2**20)
