"""sitemap.py: every real-world case in fixtures/sitemaps/, and attacks on the parser's limits."""

from __future__ import annotations

import gzip
import time
import zlib
from pathlib import Path

import pytest

from indexnow_sync.errors import SitemapParseError
from indexnow_sync.sitemap import DEFAULT_MAX_BYTES, decompress, parse_sitemap

E = "https://www.example.com"
TWO = {f"{E}/": "2024-05-01", f"{E}/about/": "2024-05-02"}


def parse(
    fixtures_dir: Path, name: str, **kwargs: int
) -> tuple[str, dict[str, str], tuple[str, ...]]:
    data = (fixtures_dir / "sitemaps" / name).read_bytes()
    parsed = parse_sitemap(data, name, max_bytes=kwargs.get("max_bytes", DEFAULT_MAX_BYTES))
    entries = {
        loc.decode("utf-8"): lastmod.decode("utf-8") for loc, lastmod in parsed.entries.items()
    }
    return parsed.kind, entries, parsed.warnings


# Files whose whole point is a tolerated quirk: they read exactly like a clean two-URL sitemap.
@pytest.mark.parametrize(
    "name",
    [
        "bom.xml",
        "blank-lines-before-declaration.xml",
        "no-namespace.xml",
        "namespace-https.xml",
        "namespace-trailing-slash.xml",
        "namespace-google-084.xml",
        "prefixed-namespace.xml",
        "url-xmlns-reset.xml",
        "whitespace-around-values.xml",
        "split-start-tag.xml",
        "comments.xml",
        "xml-stylesheet.xml",
        "crlf.xml",
        "gzip.xml.gz",
        "sitemap.gz",
        "plain-named.xml.gz",
    ],
)
def test_tolerated_quirks_read_like_a_clean_sitemap(fixtures_dir: Path, name: str) -> None:
    kind, entries, warnings = parse(fixtures_dir, name)
    assert kind == "urlset"
    assert entries == TWO
    assert warnings == ()


def test_cdata_loc_and_lastmod_are_decoded_and_trimmed(fixtures_dir: Path) -> None:
    _, entries, _ = parse(fixtures_dir, "cdata.xml")
    assert entries == {f"{E}/": "2024-05-01", f"{E}/search?q=a&page=2": "2024-05-02"}


def test_duplicate_loc_keeps_its_latest_lastmod(fixtures_dir: Path) -> None:
    parsed = parse_sitemap((fixtures_dir / "sitemaps" / "duplicates.xml").read_bytes(), "d")
    entries = {k.decode(): v.decode() for k, v in parsed.entries.items()}
    # 2024-05-03T10:00+02:00 is later than both date-only listings of the home page.
    assert entries == {f"{E}/": "2024-05-03T10:00:00+02:00", f"{E}/about/": "2024-05-02"}
    assert parsed.count == 5


def test_entries_without_loc_are_ignored_with_a_warning(fixtures_dir: Path) -> None:
    _, entries, warnings = parse(fixtures_dir, "empty-loc.xml")
    assert entries == TWO
    assert len(warnings) == 1
    assert "empty-loc.xml" in warnings[0]
    assert "3 entries without a <loc>" in warnings[0]


def test_empty_lastmod_reads_as_absent(fixtures_dir: Path) -> None:
    _, entries, _ = parse(fixtures_dir, "empty-lastmod.xml")
    assert entries == {f"{E}/": "", f"{E}/about/": ""}


def test_invalid_lastmod_is_kept_raw_for_the_differ_to_judge(fixtures_dir: Path) -> None:
    _, entries, _ = parse(fixtures_dir, "invalid-lastmod.xml")
    assert entries == {f"{E}/": "yesterday", f"{E}/about/": "2024-13-45"}


def test_mixed_lastmod_formats_are_read_verbatim(fixtures_dir: Path) -> None:
    _, entries, _ = parse(fixtures_dir, "mixed-lastmod-formats.xml")
    assert entries[f"{E}/y"] == "2024"
    assert entries[f"{E}/frac"] == "2024-05-01T10:20:30.123456-05:00"
    assert entries[f"{E}/nozone"] == "2024-05-01T10:20:30"
    assert entries[f"{E}/none"] == ""
    assert len(entries) == 8


def test_extension_locs_are_not_read_as_pages(fixtures_dir: Path) -> None:
    _, entries, _ = parse(fixtures_dir, "extensions.xml")
    assert set(entries) == {f"{E}/", f"{E}/video/", f"{E}/news/launch"}
    assert entries[f"{E}/"] == "2024-05-01"
    # news:publication_date is not a lastmod
    assert entries[f"{E}/news/launch"] == ""


def test_raw_ampersand_is_repaired_with_a_warning(fixtures_dir: Path) -> None:
    _, entries, warnings = parse(fixtures_dir, "raw-ampersand.xml")
    assert entries == {
        f"{E}/search?q=a&page=2": "2024-05-01",
        f"{E}/tag/a&b": "2024-05-02",
        f"{E}/ok?x=1&y=2": "",
    }
    assert len(warnings) == 1
    assert "raw-ampersand.xml" in warnings[0]
    assert "2 unescaped '&'" in warnings[0]


def test_empty_urlset_is_a_valid_sitemap_with_no_urls(fixtures_dir: Path) -> None:
    kind, entries, warnings = parse(fixtures_dir, "empty-urlset.xml")
    assert (kind, entries, warnings) == ("urlset", {}, ())


def test_urlset_with_sitemap_entries_reads_only_its_pages(fixtures_dir: Path) -> None:
    kind, entries, _ = parse(fixtures_dir, "urlset-with-sitemap-entries.xml")
    assert kind == "urlset"
    assert entries == TWO


def test_newline_char_reference_stays_inside_one_loc(fixtures_dir: Path) -> None:
    # The decoded newline must not split the entry into two (or shift lastmods onto other URLs).
    _, entries, _ = parse(fixtures_dir, "newline-char-ref.xml")
    assert len(entries) == 2
    assert entries[f"{E}/ok"] == "2024-05-02"
    (odd,) = [loc for loc in entries if loc != f"{E}/ok"]
    assert odd.startswith(f"{E}/a") and odd.endswith("b")
    assert entries[odd] == "2024-05-01"


def test_relative_and_off_host_locs_are_read_verbatim(fixtures_dir: Path) -> None:
    # The parser does not judge URLs: the differ skips them with a reason (test_diff).
    _, relative, _ = parse(fixtures_dir, "relative-locs.xml")
    assert set(relative) == {"/about/", "blog/post/", f"{E}/"}
    _, off_host, _ = parse(fixtures_dir, "off-host.xml")
    assert len(off_host) == 5
    assert "https://cdn.example.com/x" in off_host


def test_non_ascii_urls_are_utf8(fixtures_dir: Path) -> None:
    _, entries, _ = parse(fixtures_dir, "cyrillic.xml")
    assert entries["https://пример.рф/страница/"] == "2024-05-01"
    assert entries["https://www.example.com/блог/пост-1/"] == "2024-05-03"
    assert entries["https://www.example.com/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82/"] == "2024-05-02"


# --- sitemap indexes --------------------------------------------------------------------------


def test_index_with_relative_children_keeps_them_for_the_caller_to_resolve(
    fixtures_dir: Path,
) -> None:
    kind, entries, _ = parse(fixtures_dir, "index-relative-children.xml")
    assert kind == "sitemapindex"
    assert entries == {
        "sitemap-posts.xml": "2024-05-01",
        "/sitemap-pages.xml": "",
        "en/sitemap.xml": "",
    }


def test_nested_and_self_referencing_indexes_parse_as_indexes(fixtures_dir: Path) -> None:
    kind, entries, _ = parse(fixtures_dir, "index-nested.xml")
    assert kind == "sitemapindex"
    assert f"{E}/blog/sitemap-index.xml" in entries
    kind, entries, _ = parse(fixtures_dir, "index-self.xml")
    assert kind == "sitemapindex"
    assert set(entries) == {f"{E}/sitemap_index.xml", f"{E}/sitemap-1.xml"}


# --- what is not a sitemap: the error names the file and says what it is --------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("empty.xml", "is empty"),
        ("truncated.xml", "is truncated"),
        ("missing-close-urlset.xml", "is truncated"),
        ("html-page.xml", "is an HTML page"),
        ("html-wrapped-urlset.xml", "is an HTML page"),
        ("rss.xml", "is an RSS feed"),
        ("atom.xml", "is an Atom feed"),
        ("other-root.xml", "root element <project>"),
        ("jsx.xml", "not XML"),
        ("index-bare-text.xml", "no <loc>"),
    ],
)
def test_unreadable_files_raise_an_error_naming_the_file_and_what_it_is(
    fixtures_dir: Path, name: str, says: str
) -> None:
    source = f"build/{name}"
    with pytest.raises(SitemapParseError) as caught:
        parse_sitemap((fixtures_dir / "sitemaps" / name).read_bytes(), source)
    assert str(caught.value).startswith(f"{source}: ")
    assert says in str(caught.value)
    assert caught.value.source == source


def test_whitespace_only_file_is_empty() -> None:
    with pytest.raises(SitemapParseError, match="is empty"):
        parse_sitemap(b"\n\n  \t\r\n", "sitemap.xml")


def test_a_file_cut_inside_the_gzip_stream_is_reported_truncated(fixtures_dir: Path) -> None:
    data = (fixtures_dir / "sitemaps" / "gzip.xml.gz").read_bytes()
    with pytest.raises(SitemapParseError, match="truncated"):
        parse_sitemap(data[: len(data) // 2], "sitemap.xml.gz")


def test_malformed_xml_that_is_not_truncated_says_not_well_formed() -> None:
    data = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>x</lok></url></urlset>'
    with pytest.raises(SitemapParseError, match="not well-formed"):
        parse_sitemap(data, "sitemap.xml")


# --- attacks ----------------------------------------------------------------------------------


def test_billion_laughs_is_refused_quickly(fixtures_dir: Path) -> None:
    started = time.monotonic()
    with pytest.raises(SitemapParseError) as caught:
        parse_sitemap((fixtures_dir / "sitemaps" / "billion-laughs.xml").read_bytes(), "bomb.xml")
    assert time.monotonic() - started < 5
    assert "bomb.xml" in str(caught.value)
    assert "lollollol" not in str(caught.value)


def test_internal_entity_declared_in_doctype_is_never_expanded(fixtures_dir: Path) -> None:
    try:
        _, entries, _ = parse(fixtures_dir, "small-entity.xml")
    except SitemapParseError:
        return  # refusing the file is also fine
    assert not any("secret-page" in loc for loc in entries)


def test_xxe_system_entity_is_never_read(fixtures_dir: Path) -> None:
    passwd = Path("/etc/passwd")
    try:
        _, entries, _ = parse(fixtures_dir, "xxe.xml")
    except SitemapParseError as exc:
        text = str(exc)
    else:
        text = " ".join(entries)
        assert entries == {f"{E}/": ""}
    assert "root:" not in text
    if passwd.exists():
        first_line = passwd.read_text(errors="replace").splitlines()[0]
        assert first_line not in text


def test_gzip_bomb_stops_at_max_bytes() -> None:
    # ~1 MiB of zeros compresses to ~1 KiB; the limit must apply to the inflated size.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = compressor.compress(b"\0" * (1024 * 1024)) + compressor.flush()
    assert len(bomb) < 4096
    with pytest.raises(SitemapParseError, match="uncompresses to more than"):
        parse_sitemap(bomb, "bomb.xml.gz", max_bytes=64 * 1024)
    with pytest.raises(SitemapParseError, match="uncompresses to more than"):
        decompress(bomb, "bomb.xml.gz", max_bytes=64 * 1024)


def test_gzip_sitemap_within_limit_reads_fine() -> None:
    body = "".join(f"<url><loc>{E}/p{i}</loc></url>" for i in range(500))
    doc = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode()
    parsed = parse_sitemap(gzip.compress(doc), "s.xml.gz", max_bytes=len(doc))
    assert len(parsed.entries) == 500


def test_plain_file_over_max_bytes_is_refused() -> None:
    body = "".join(f"<url><loc>{E}/p{i}</loc></url>" for i in range(100))
    doc = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode()
    with pytest.raises(SitemapParseError, match="more than"):
        parse_sitemap(doc, "big.xml", max_bytes=len(doc) - 1)
    assert len(parse_sitemap(doc, "big.xml", max_bytes=len(doc)).entries) == 100


def test_large_sitemap_spanning_many_feed_chunks_loses_no_entry() -> None:
    # Entries are extracted chunk by chunk; one cut mid-entry at a chunk edge must not be lost.
    body = "".join(
        f"<url>\n<loc>{E}/page/{i}/with/a/longer/path</loc>\n<lastmod>2024-05-01</lastmod>\n</url>\n"
        for i in range(20_000)
    )
    doc = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode()
    parsed = parse_sitemap(doc, "big.xml")
    assert len(parsed.entries) == 20_000
    assert parsed.entries[f"{E}/page/19999/with/a/longer/path".encode()] == b"2024-05-01"


def test_gzipped_html_is_still_reported_as_html() -> None:
    with pytest.raises(SitemapParseError, match="is an HTML page"):
        parse_sitemap(gzip.compress(b"<!doctype html><html><body>404</body></html>"), "s.xml.gz")


def test_gzip_of_an_empty_file_is_reported_empty() -> None:
    with pytest.raises(SitemapParseError, match="is empty"):
        parse_sitemap(gzip.compress(b""), "sitemap.xml.gz")


def test_declared_non_utf8_encodings_are_decoded_to_utf8() -> None:
    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    latin1 = (
        f'<?xml version="1.0" encoding="ISO-8859-1"?><urlset xmlns="{ns}">'
        f"<url><loc>{E}/caf\xe9</loc></url></urlset>"
    ).encode("latin-1")
    assert parse_sitemap(latin1, "s.xml").entries == {f"{E}/café".encode(): b""}
    utf16 = (
        f'<?xml version="1.0" encoding="UTF-16"?><urlset xmlns="{ns}">'
        f"<url><loc>{E}/p</loc></url></urlset>"
    ).encode("utf-16")
    assert parse_sitemap(utf16, "s.xml").entries == {f"{E}/p".encode(): b""}


# --- character references to the fast path's field separator (issue 9, item 1) ---------------

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
DEL_REFS = ["&#127;", "&#x7F;", "&#x7f;", "&#0127;", "&#x007F;"]


def urlset_bytes(*entries: str) -> bytes:
    return f'<urlset xmlns="{NS}">{"".join(entries)}</urlset>'.encode()


@pytest.mark.parametrize("ref", DEL_REFS)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_del_character_reference_in_a_loc_stays_inside_that_loc(ref: str, count: int) -> None:
    # Even counts used to split one loc into two URLs (one never listed); odd ones crashed.
    data = urlset_bytes(
        f"<url><loc>{E}/a</loc><lastmod>2024-05-01</lastmod></url>",
        f"<url><loc>{E}/b{ref * count}{E}/never-listed</loc><lastmod>2024-05-02</lastmod></url>",
        f"<url><loc>{E}/c</loc></url>",
    )
    parsed = parse_sitemap(data, "s.xml")
    assert parsed.entries == {
        f"{E}/a".encode(): b"2024-05-01",
        f"{E}/b{chr(127) * count}{E}/never-listed".encode(): b"2024-05-02",
        f"{E}/c".encode(): b"",
    }
    assert parsed.count == 3


@pytest.mark.parametrize("ref", DEL_REFS)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_del_character_reference_in_a_lastmod_stays_inside_that_lastmod(
    ref: str, count: int
) -> None:
    data = urlset_bytes(
        f"<url><loc>{E}/a</loc><lastmod>2024-05-01{ref * count}{E}/never-listed</lastmod></url>",
        f"<url><loc>{E}/b</loc><lastmod>2024-05-02</lastmod></url>",
    )
    parsed = parse_sitemap(data, "s.xml")
    assert parsed.entries == {
        f"{E}/a".encode(): f"2024-05-01{chr(127) * count}{E}/never-listed".encode(),
        f"{E}/b".encode(): b"2024-05-02",
    }


def test_raw_del_and_other_control_characters_are_extracted_exactly() -> None:
    # Tabs, newlines and CRs inside a value are part of it (only the ends are trimmed).
    data = urlset_bytes(
        f"<url><loc>{E}/a\x7fb</loc><lastmod> 2024\t05&#13;01 </lastmod></url>",
        f"<url><loc>\n {E}/c&#10;d&#9;e\n</loc></url>",
        f"<url><loc>{E}/f\u0085\u009f</loc><lastmod>x\x7f</lastmod></url>",
    )
    parsed = parse_sitemap(data, "s.xml")
    assert parsed.entries == {
        f"{E}/a\x7fb".encode(): b"2024\t05\r01",
        f"{E}/c\nd\te".encode(): b"",
        f"{E}/f\u0085\u009f".encode(): b"x\x7f",
    }


def test_del_reference_in_a_sitemap_index_loc_stays_inside_it() -> None:
    data = (
        f'<sitemapindex xmlns="{NS}"><sitemap><loc>{E}/s1.xml&#127;&#127;{E}/s2.xml</loc>'
        f"</sitemap><sitemap><loc>{E}/s3.xml</loc></sitemap></sitemapindex>"
    ).encode()
    parsed = parse_sitemap(data, "index.xml")
    assert parsed.kind == "sitemapindex"
    assert set(parsed.entries) == {f"{E}/s1.xml\x7f\x7f{E}/s2.xml".encode(), f"{E}/s3.xml".encode()}


def test_del_reference_is_exact_in_every_feed_chunk_and_in_gzip() -> None:
    # Many chunks, the reference in a middle one: only the entries around it are affected.
    entries = [f"<url><loc>{E}/p{i}</loc><lastmod>2024-05-01</lastmod></url>" for i in range(3000)]
    entries[1500] = f"<url><loc>{E}/x&#127;&#127;{E}/fake</loc><lastmod>2024-05-02</lastmod></url>"
    data = urlset_bytes(*entries)
    for blob in (data, gzip.compress(data)):
        parsed = parse_sitemap(blob, "s.xml")
        assert len(parsed.entries) == 3000
        assert parsed.entries[f"{E}/x\x7f\x7f{E}/fake".encode()] == b"2024-05-02"
        assert f"{E}/fake".encode() not in parsed.entries
        assert parsed.entries[f"{E}/p2999".encode()] == b"2024-05-01"
