"""Whatever one URL's answer holds, it costs only that URL (SPEC "Checking before submitting"):
odd charsets, unparseable Location/refresh/canonical, huge or repeated headers and markup a
parser refuses are judged or skipped with a reason, never raised; the work per answer is linear
in its size. Each class has the input that broke it before (issue 21).

Time bounds here are generous on purpose: each input took 10 s to hours before the fix and
takes milliseconds after, so a bound of seconds cannot flake; memory is counted by
tracemalloc, which does not depend on load.
"""

from __future__ import annotations

import codecs
import itertools
import json
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexnow_sync.checks import (
    _WHATWG_ENCODINGS,
    Candidate,
    PageVerdict,
    check_build,
    check_pages,
    link_header_canonicals,
    page_text,
    page_verdict,
    read_head,
    refresh_parts,
)
from indexnow_sync.cli import cli
from indexnow_sync.indexnow import RetryPolicy
from indexnow_sync.robots import DEFAULT_AGENTS, make_agents
from indexnow_sync.web import WebClient
from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer

AGENTS = make_agents(DEFAULT_AGENTS)
URL = "https://site.example/blog/post/"
NOINDEX = b'<meta name="robots" content="noindex">'
GENEROUS = 5.0  # seconds, for work that takes milliseconds (see the module docstring)


def html(head: bytes = b"", charset: bytes = b"") -> bytes:
    declared = b'<meta charset="' + charset + b'">' if charset else b""
    return b"<!doctype html><html><head>" + declared + head + b"</head><body>x</body></html>"


def judged(
    body: bytes, headers: list[tuple[str, str]] | None = None, *, status: int = 200
) -> PageVerdict:
    given_headers = [("Content-Type", "text/html")] if headers is None else headers
    return page_verdict(URL, "added", status, given_headers, body, AGENTS)


# --- charsets -------------------------------------------------------------------------------

NOT_TEXT = ["rot13", "base64", "hex", "zlib", "idna", "undefined", "bz2", "uu", "no-such-thing"]


@pytest.mark.parametrize("label", NOT_TEXT)
def test_a_content_type_charset_that_is_no_text_encoding_falls_back_and_is_noted(
    label: str,
) -> None:
    verdict = judged(html(NOINDEX), [("Content-Type", f"text/html; charset={label}")])
    assert verdict.code == "noindex"  # read as UTF-8, the Encoding Standard's default
    assert any(label in warning and "UTF-8" in warning for warning in verdict.warnings)


@pytest.mark.parametrize("label", NOT_TEXT)
def test_a_meta_charset_that_is_no_text_encoding_falls_back_and_is_noted(label: str) -> None:
    verdict = judged(html(NOINDEX, label.encode()))
    assert verdict.code == "noindex"
    assert any(label in warning for warning in verdict.warnings)


def test_a_build_page_with_a_bad_charset_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_bytes(html(NOINDEX, b"rot13"))
    (tmp_path / "b.html").write_bytes(html(b"", b"base64"))
    result = check_build(
        tmp_path, ["https://site.example/a/", "https://site.example/b"], AGENTS, mode="pages"
    )
    assert [(f.url, f.code) for f in result.findings] == [("https://site.example/a/", "noindex")]
    assert any("base64" in warning for warning in result.warnings)


# Labels of the WHATWG Encoding Standard, and what a browser decodes with them.
LABELS = [
    ("latin1", "windows-1252"),
    ("ISO-8859-1", "windows-1252"),
    ("us-ascii", "windows-1252"),
    (" Shift_JIS ", "shift_jis"),
    ("x-sjis", "shift_jis"),
    ("gb2312", "gbk"),
    ("utf8", "utf-8"),
    ("unicode-1-1-utf-8", "utf-8"),
    ("koi8-ru", "koi8-u"),
    ("iso-2022-kr", "replacement"),
    ("utf-16", "utf-16le"),
    ("x-user-defined", "x-user-defined"),
    ("X-SJIS", "shift_jis"),
    ("\tUTF-8\n", "utf-8"),
]


def test_every_whatwg_encoding_decodes_with_a_python_text_codec() -> None:
    for name, codec, labels in _WHATWG_ENCODINGS:
        if codec:  # "replacement" decodes to one U+FFFD without a codec
            info = codecs.lookup(codec)
            assert getattr(info, "_is_text_encoding", True), name
        assert name in labels.split() or name == "replacement"


@pytest.mark.parametrize(("label", "encoding"), LABELS)
def test_whatwg_labels_name_their_encoding(label: str, encoding: str) -> None:
    text = page_text(b"<html>", f"text/html; charset={label}")
    assert (text.encoding, text.note) == (encoding, None)


KOI8 = "koi8-r"


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        ('<meta charset="koi8-r">', KOI8),
        ("<meta charset=koi8-r>", KOI8),
        ("<META CHARSET = 'KOI8-R' >", KOI8),
        ("<meta charset =koi8-r>", KOI8),
        ("<meta charset\t\n  =\t'\tkoi8-r'>", KOI8),
        ('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">', KOI8),
        ('<meta name="x" content="charset is nice"><meta charset="koi8-r">', KOI8),
        ('<meta name="charset-info" content="x"><meta charset=koi8-r>', KOI8),
        ('<meta charset="koi8-r" data-x-charset="windows-1251">', KOI8),
        ('<meta charset="windows-1251"><meta charset="koi8-r">', "windows-1251"),
        ('<meta charset="koi8-r"', KOI8),  # the window ends before the tag does
        ("<title>charset=koi8-r</title>", "utf-8"),  # not in a <meta>
        ("<meta name=a><p>charset=koi8-r</p>", "utf-8"),
        ("<!-- charset=koi8-r --><meta name=x>", "utf-8"),
        ("<meta content=x> charset=koi8-r", "utf-8"),
        ("<meta charset=>", "utf-8"),
    ],
)
def test_the_meta_prescan(head: str, encoding: str) -> None:
    assert page_text(head.encode(), "text/html").encoding == encoding


@pytest.mark.parametrize(
    ("head", "encoding", "label"),
    [
        ('<meta name="charset"><p>charset=koi8-r</p>', "utf-8", None),
        ("<meta name=a><meta charset=koi8-r><meta charset=windows-1251>", KOI8, None),
        ("<meta charset=>", "utf-8", None),
        ('<meta charset="koi8-\xff">', "utf-8", "'koi8-\ufffd'"),
    ],
    ids=["word-then-text", "second-meta", "empty", "not-ascii"],
)
def test_the_meta_prescan_reads_one_label_or_none(
    head: str, encoding: str, label: str | None
) -> None:
    text = page_text(head.encode("latin-1"), "text/html")
    assert text.encoding == encoding
    assert (text.note is None) if label is None else (label in (text.note or ""))


def test_the_meta_prescan_at_the_very_start_and_beyond_4_kib() -> None:
    assert page_text(b"<meta charset=koi8-r>", "").encoding == KOI8
    late = b"<html><head>" + b" " * 5000 + b"<meta charset=koi8-r>"
    assert page_text(late, "text/html").encoding == "utf-8"


@pytest.mark.parametrize(
    ("content_type", "encoding", "noted"),
    [
        ('text/html; charset="koi8-r"', KOI8, False),
        ("text/html; foo=bar; charset=koi8-r", KOI8, False),
        ("text/html;charset=KOI8-R;foo=bar", KOI8, False),
        ("text/html; foo; charset=koi8-r", KOI8, False),
        ("text/html; charset=koi8-r=x", "utf-8", True),
        ("text/html; charsets=koi8-r", "utf-8", False),
    ],
)
def test_the_content_type_charset(content_type: str, encoding: str, noted: bool) -> None:
    text = page_text(b"<html>", content_type)
    assert (text.encoding, text.note is not None) == (encoding, noted)


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [(b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16be"), (b"\xff\xfe", "utf-16le")],
    ids=["utf-8", "utf-16be", "utf-16le"],
)
def test_a_bom_names_its_encoding_and_is_not_text(bom: bytes, encoding: str) -> None:
    text = page_text(bom + "<p>".encode(encoding.replace("le", "-le").replace("be", "-be")), "")
    assert (text.text, text.encoding, text.note) == ("<p>", encoding, None)


def test_labels_that_name_nothing_are_noted_together_and_a_later_one_decides() -> None:
    both = page_text(b'<meta charset="base64">', "text/html; charset=rot13")
    assert both.encoding == "utf-8"
    assert both.note == (
        "Content-Type charset 'rot13' and <meta> charset 'base64' names no text encoding of "
        "the WHATWG Encoding Standard (browsers ignore it): read as UTF-8"
    )
    meta = page_text(b'<meta charset="koi8-r">', "text/html; charset=rot13")
    assert meta.encoding == "koi8-r"
    assert meta.note is not None and meta.note.endswith("read as koi8-r")


def test_a_meta_charset_of_x_user_defined_means_windows_1252() -> None:
    assert page_text(b'<meta charset="x-user-defined">', "").encoding == "windows-1252"


def test_a_meta_charset_of_utf_16_means_utf_8() -> None:
    # HTML's prescan: a document that can declare itself in ASCII is not UTF-16.
    assert page_text(html(b"", b"utf-16"), "text/html").encoding == "utf-8"


def test_the_replacement_encoding_reads_as_nothing() -> None:
    # Browsers decode such a page as one U+FFFD: there is no noindex in it to see.
    verdict = judged(html(NOINDEX), [("Content-Type", "text/html; charset=iso-2022-kr")])
    assert verdict.send


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\xef\xbb\xbf", "utf-8")],
    ids=["utf-16le", "utf-16be", "utf-8"],
)
def test_a_bom_decides_the_encoding_over_any_label(bom: bytes, codec: str) -> None:
    page = "<!doctype html><html><head><meta name=robots content=noindex></head>"
    body = bom + page.encode(codec)
    for content_type in ("text/html", "text/html; charset=windows-1252"):
        assert judged(body, [("Content-Type", content_type)]).code == "noindex"


def test_a_utf_8_bom_beats_a_latin_label_for_a_canonical() -> None:
    # Read as windows-1252 the BOM would be text (ending the head) and the canonical /cafÃ©/.
    body = b"\xef\xbb\xbf" + html('<link rel="canonical" href="/café/">'.encode())
    verdict = judged(body, [("Content-Type", "text/html; charset=windows-1252")])
    assert verdict.code == "canonical"
    assert "https://site.example/café/" in verdict.reason


# --- URLs that urljoin refuses ----------------------------------------------------------------

BROKEN = "http://[::1"


@pytest.mark.parametrize("location", [BROKEN, "http://site.example:port/x"])
def test_a_location_that_is_no_url_is_a_redirect_naming_it(location: str) -> None:
    verdict = judged(b"", [("Location", location)], status=301)
    assert (verdict.send, verdict.code) == (False, "redirect")
    assert location in verdict.reason


def test_a_location_that_is_no_url_for_a_removed_page_is_neither_gone_nor_moved() -> None:
    removed = page_verdict(URL, "removed", 301, [("Location", BROKEN)], b"", AGENTS)
    assert (removed.send, removed.code) == (False, "status")
    assert BROKEN in removed.reason


@pytest.mark.parametrize("broken", [BROKEN, "http://site.example:port/x"])
def test_a_refresh_canonical_or_base_that_is_no_url_is_ignored_with_a_warning(
    broken: str,
) -> None:
    # A port that is no number passes urljoin; reading the port is what refuses it.
    for head in (
        f'<meta http-equiv="refresh" content="0; url={broken}">',
        f'<link rel="canonical" href="{broken}">',
        f'<base href="{broken}"><link rel="canonical" href="/blog/post/">',
    ):
        verdict = judged(html(head.encode()))
        assert verdict.send, (head, verdict.reason)
        assert any(broken in warning for warning in verdict.warnings), head
    header = judged(
        html(), [("Content-Type", "text/html"), ("Link", f'<{broken}>; rel="canonical"')]
    )
    assert header.send
    assert any(broken in warning for warning in header.warnings)


# --- the meta refresh -----------------------------------------------------------------------


def test_a_refresh_delay_of_thousands_of_digits_is_no_crash() -> None:
    late = html(b'<meta http-equiv="refresh" content="' + b"1" * 5000 + b'; url=/elsewhere/">')
    assert judged(late).send  # a delay that long is no instant redirect
    zero = html(b'<meta http-equiv="refresh" content="' + b"0" * 5000 + b'; url=/elsewhere/">')
    assert judged(zero).code == "redirect"


def test_a_refresh_built_to_backtrack_is_read_in_linear_time() -> None:
    # 3,000 tabs between the delay and a line break: 28 s before (cubic backtracking).
    content = b"0" + b"\t" * 3000 + b"x\ny"
    body = html(b'<meta http-equiv="refresh" content="' + content + b'">')
    started = time.monotonic()
    judged(body)
    assert time.monotonic() - started < GENEROUS


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("0; url=/elsewhere/", "redirect"),
        ("0;URL='/elsewhere/'", "redirect"),
        ("  0 , url = /elsewhere/", "redirect"),
        ("0.5; url=/elsewhere/", "redirect"),
        ("00;/elsewhere/", "redirect"),
        ("5; url=/elsewhere/", None),
        ("0", None),
        ("0; url=", None),
        ("url=/elsewhere/", None),
        ("; url=/elsewhere/", None),
        ("0; url=/blog/post/", None),
    ],
)
def test_refresh_contents(content: str, code: str | None) -> None:
    verdict = judged(html(f'<meta http-equiv="refresh" content="{content}">'.encode()))
    assert verdict.code == code, verdict.reason


@pytest.mark.parametrize(
    ("content", "parts"),
    [
        ("0; url=/a", (True, "/a")),
        ("0;url=/a", (True, "/a")),
        ("0,url=/a", (True, "/a")),
        ("0 url=/a", (True, "/a")),
        ("0 ; url=/a", (True, "/a")),
        ("\t\n 0;\t\n URL\t=\t/a\n", (True, "/a")),
        ("0; url= /a ", (True, "/a")),
        ("0; url='/a' and more", (True, "/a")),
        ('0; url="/a', (True, "/a")),
        ("0; '/a'", (True, "/a")),
        ("0; urlx=/a", (True, "urlx=/a")),
        ("0; /a", (True, "/a")),
        (".5; url=/a", (True, "/a")),
        ("00.0; url=/a", (True, "/a")),
        ("0.9.9; url=/a", (True, "/a")),
        ("1.5; url=/a", (False, "/a")),
        ("010; url=/a", (False, "/a")),
        ("5", (False, "")),
        ("  0  ", (True, "")),
        ("0; url=", (True, "")),
        ("0x; url=/a", None),
        ("0X; url=/a", None),
        ("X0; url=/a", None),
        # from the mutation run: a leading '.' after whitespace, every digit after the dot
        # skipped, the URL to its own closing quote, only HTML's whitespace stripped
        ("  .5; url=/a", (True, "/a")),
        ("0.55;url=/a", (True, "/a")),
        ("0; url='/a'b'", (True, "/a")),
        pytest.param("0; url=/a\u00a0", (True, "/a\u00a0"), id="nbsp-kept"),
        ("url=/a", None),
        ("; url=/a", None),
        ("", None),
        ("   ", None),
    ],
)
def test_refresh_parts(content: str, parts: tuple[bool, str] | None) -> None:
    # HTML's shared declarative refresh steps: the delay, then an optional ";" or ",", then
    # an optional "url=", then the URL, maybe quoted.
    assert refresh_parts(content) == parts


# --- Link and X-Robots-Tag headers ----------------------------------------------------------


def test_a_link_header_built_to_backtrack_is_read_in_linear_time() -> None:
    # A 64 KB line of '<': 12 s a line before (each '<' scanned to the end).
    started = time.monotonic()
    assert link_header_canonicals([("Link", "<" * 65_000)] * 3) == []
    assert time.monotonic() - started < GENEROUS


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ('<https://a.example/x>; rel="canonical"', ["https://a.example/x"]),
        ("<https://a.example/x>; rel=canonical", ["https://a.example/x"]),
        ("<https://a.example/x>; REL='Canonical'", ["https://a.example/x"]),
        ('<https://a.example/x>; rel="alternate canonical"', ["https://a.example/x"]),
        ('</a.css>; rel=preload, <https://a.example/x>; rel="canonical"', ["https://a.example/x"]),
        ('<https://a.example/x>; rel="preload"', []),
        ('<https://a.example/x>, rel="canonical"', []),
        ('<https://a.example/x>; title="a, b"; rel=canonical', ["https://a.example/x"]),
        ("<https://a.example/x>", []),
        ('<https://a.example/x; rel="canonical"', []),
        # the first link-value, followed by others: each keeps its own parameters
        ("<https://a.example/x>; rel=canonical, </a.css>; rel=preload", ["https://a.example/x"]),
        (
            "<https://a.example/x>; rel=canonical, </a.css>; rel=preload, </b.js>; rel=preload",
            ["https://a.example/x"],
        ),
        ("<https://a.example/x>,<https://a.example/y>; rel=canonical", ["https://a.example/y"]),
        ('<https://a.example/x>; rel="canonical", <https://a.example/y>', ["https://a.example/x"]),
        ("<>; rel=canonical, <https://a.example/y>; rel=canonical", ["", "https://a.example/y"]),
        ('<https://a.example/x>; title="a; b, c"; rel=canonical', ["https://a.example/x"]),
        ('<https://a.example/x>; title="no end, rel=canonical', []),
        ("<https://a.example/x> ; rel=canonical", ["https://a.example/x"]),
        ("<https://a.example/x> junk; rel=canonical", []),
        ("<https://a.example/x>; rel; rel=canonical", []),
        ("<https://a.example/x>; anchor=canonical; rel=next", []),
        ("<https://a.example/x>; Rel = canonical ", ["https://a.example/x"]),
        ("<https://a.example/x>; rel=next; rel=canonical", []),  # the first rel counts
        ("< https://a.example/x >; rel=canonical", ["https://a.example/x"]),
        # from the mutation run: an empty quoted string ends where it starts; a quote left
        # open runs to the end of the line, the rel before it still counts; a target that
        # ends with a comma keeps its parameters
        (
            '<https://a.example/x>; title=""; rel=alternate, <https://a.example/y>; rel=canonical',
            ["https://a.example/y"],
        ),
        ('<https://a.example/x>; rel=canonical; title="no end', ["https://a.example/x"]),
        ('<https://a.example/list,>; rel="canonical"', ["https://a.example/list,"]),
    ],
)
def test_link_header_values(value: str, found: list[str]) -> None:
    assert link_header_canonicals([("Link", value)]) == found


def test_evidence_is_shortened_beyond_200_characters() -> None:
    exact = "noindex," + "x" * 192  # 200 characters: shown whole
    verdict = judged(html(), [("Content-Type", "text/html"), ("X-Robots-Tag", exact)])
    assert verdict.reason == f"noindex (X-Robots-Tag: {exact})"
    longer = exact + "y"
    verdict = judged(html(), [("Content-Type", "text/html"), ("X-Robots-Tag", longer)])
    assert verdict.reason == f"noindex (X-Robots-Tag: {exact}… (201 characters))"


def test_an_engine_prefix_counts_right_after_a_comma() -> None:
    value = "googlebot: nofollow,bingbot:noindex"
    verdict = judged(html(), [("Content-Type", "text/html"), ("X-Robots-Tag", value)])
    assert verdict.send and "noindex for bingbot only" in " ".join(verdict.warnings)


def test_a_huge_x_robots_tag_costs_memory_in_proportion_to_it() -> None:
    # A 60 KB line of "noindex," peaked at 451 MB before (the whole line kept per directive).
    headers = [("Content-Type", "text/html")] + [("X-Robots-Tag", "noindex," * 7_500)] * 20
    tracemalloc.start()
    try:
        verdict = judged(html(), headers)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert verdict.code == "noindex"
    assert peak < 20 * 1024 * 1024
    assert len(verdict.reason) < 2_000  # the evidence is shortened, and named once


# --- markup the HTML parser refuses ---------------------------------------------------------


def test_markup_the_html_parser_refuses_ends_the_head_there() -> None:
    # html.parser raises AssertionError on "<![" not followed by a name.
    assert read_head("<html><head><meta name=a content=b><![<![").metas == (
        {"name": "a", "content": "b"},
    )
    assert judged(html(b"<![ x" + NOINDEX)).send


# --- any answer at all ----------------------------------------------------------------------

header_names = st.sampled_from(
    ["Content-Type", "Location", "Link", "X-Robots-Tag", "Refresh", "Retry-After", "cf-mitigated"]
)
header_values = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "text/html; charset=rot13",
            "text/html; charset=",
            "text/html; charset=utf-16",
            BROKEN,
            f"<{BROKEN}>; rel=canonical",
            "<" * 500,
            "noindex," * 100,
            "bingbot: noindex, googlebot:",
            ":::",
        ]
    ),
)
bodies = st.one_of(
    st.binary(max_size=2_000),
    st.lists(
        st.sampled_from(
            [
                b"<html><head>",
                b"<meta charset=rot13>",
                b'<meta charset="utf-16">',
                b'<meta http-equiv="refresh" content="0; url=http://[::1">',
                b'<meta http-equiv="refresh" content="' + b"9" * 5000 + b'">',
                b'<link rel="canonical" href="http://[::1">',
                b'<base href="http://[::1">',
                b"<![<![",
                b"\xff\xfe",
                b"\xef\xbb\xbf",
                b"<meta name=robots>",
                b"<link>",
                b"<base target=_top>",
                b"<!--",
                b"\x00\x80\xff",
            ]
        ),
        max_size=12,
    ).map(b"".join),
)


@given(
    status=st.sampled_from([200, 203, 301, 302, 404, 410, 403, 500]),
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    body=bodies,
    direction=st.sampled_from(["added", "changed", "removed", "listed"]),
)
@settings(max_examples=300, deadline=None)
def test_any_answer_gets_a_verdict(
    status: int, headers: list[tuple[str, str]], body: bytes, direction: str
) -> None:
    verdict = page_verdict(URL, direction, status, headers, body, AGENTS)
    assert verdict.send or verdict.code is not None
    assert verdict.reason


network_header_values = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=200),
    st.sampled_from(
        [
            "text/html; charset=rot13",
            "text/html; charset=",
            BROKEN,
            f"<{BROKEN}>; rel=canonical",
            "<" * 5_000,
            "noindex," * 500,
            "bingbot: noindex, googlebot:",
        ]
    ),
)


@given(
    status=st.sampled_from([200, 301, 302, 404, 503]),
    headers=st.lists(st.tuples(header_names, network_header_values), max_size=4),
    body=bodies,
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_one_hostile_page_costs_only_its_url(
    site_server: SiteServer, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    site_server.route("/odd", body, status=status, header_lines=headers)
    for name in ("a", "b"):
        site_server.route(f"/{name}", html(), content_type="text/html")
    candidates = [Candidate(site_server.url(p), "added") for p in ("/a", "/odd", "/b")]
    policy = RetryPolicy(max_attempts=1, sleep=lambda _s: None)
    with WebClient(timeout=5) as client:
        first, odd, last = check_pages(client, candidates, AGENTS, policy=policy)
    assert first.send and last.send
    assert odd.send or odd.code is not None


def test_a_location_that_is_no_url_reaches_the_verdict(site_server: SiteServer) -> None:
    # requests parsed the Location itself (even with redirects off) and raised ValueError,
    # which ended the whole run before.
    site_server.route("/odd", status=301, headers={"Location": BROKEN})
    site_server.route("/a", html(), content_type="text/html")
    candidates = [
        Candidate(site_server.url("/odd"), "added"),
        Candidate(site_server.url("/a"), "added"),
    ]
    with WebClient(timeout=5) as client:
        odd, clean = check_pages(client, candidates, AGENTS)
    assert (odd.code, clean.send) == ("redirect", True)
    assert BROKEN in odd.reason


# --- the whole run: hostile pages beside clean ones, through the CLI -------------------------

KEY = "77aa55cc33ee11ff99bb77dd55aa33cc"
_runs = itertools.count()


@pytest.fixture(scope="module")
def run_servers() -> Iterator[tuple[SiteServer, IndexNowServer]]:
    with SiteServer() as site, IndexNowServer() as endpoint:
        site.route(f"/{KEY}.txt", KEY, content_type="text/plain")
        yield site, endpoint


def urlset(urls: list[str]) -> str:
    items = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'


@given(
    odd=st.lists(
        st.tuples(
            st.sampled_from([200, 301, 404, 410]),  # no status that is retried: real sleeps
            st.lists(st.tuples(header_names, network_header_values), max_size=3),
            bodies,
        ),
        min_size=1,
        max_size=3,
    )
)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_run_with_hostile_pages_completes_and_sends_the_clean_ones(
    run_servers: tuple[SiteServer, IndexNowServer],
    odd: list[tuple[int, list[tuple[str, str]], bytes]],
) -> None:
    site, endpoint = run_servers
    prefix = f"/run{next(_runs)}/"
    clean = [site.url(f"{prefix}clean{i}") for i in range(2)]
    for url in clean:
        site.route(url[len(site.base_url) :], html(), content_type="text/html")
    hostile = []
    for number, (status, headers, body) in enumerate(odd):
        path = f"{prefix}odd{number}"
        site.route(path, body, status=status, header_lines=headers, content_type="text/html")
        hostile.append(site.url(path))
    site.route(f"{prefix}live.xml", urlset([]))
    accepted_before = len(endpoint.accepted)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "sitemap.xml").write_text(urlset(hostile + clean), encoding="utf-8")
        result = CliRunner().invoke(
            cli,
            [
                "sync",
                "--json",
                "--site",
                site.base_url,
                "--build",
                folder,
                "--live",
                site.url(f"{prefix}live.xml"),
                "--endpoint",
                endpoint.endpoint,
                "--timeout",
                "5",
            ],
            env={"INDEXNOW_KEY": KEY, "GITHUB_ACTIONS": None},
        )
    report = json.loads(result.stdout)
    # The run ends as a run (no internal error), and the clean pages reach the endpoint,
    # unless every added page is missing (then nothing is sent, by design).
    assert report["error"] is None or report["error"]["kind"] in ("not_deployed", "checks")
    if report["error"] is None:
        assert result.exit_code == 0
        assert set(clean) <= set(endpoint.accepted[accepted_before:])
