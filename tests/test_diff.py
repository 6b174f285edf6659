"""diff.py: every Delta rule of SPEC, the before/after pairs in fixtures/pairs/, and properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexnow_sync.diff import Differ, diff, url_problem
from indexnow_sync.models import Delta
from indexnow_sync.sitemap import parse_sitemap
from indexnow_sync.sources import Limits, Side, merge, read_disk_side

S = "https://www.example.com"


def side(**pages: str) -> dict[bytes, bytes]:
    return {f"{S}/{path}".encode(): lastmod.encode() for path, lastmod in pages.items()}


def url(path: str) -> str:
    return f"{S}/{path}"


def test_added_removed_changed() -> None:
    before = side(home="2024-05-01", old="2024-05-01", same="2024-05-01", edited="2024-05-01")
    after = side(home="2024-05-01", new="2024-06-01", same="2024-05-01", edited="2024-06-01")
    delta = diff(before, after, S)
    assert delta.added == (url("new"),)
    assert delta.removed == (url("old"),)
    assert delta.changed == (url("edited"),)
    assert delta.skipped == ()
    assert delta.before_count == 4
    assert delta.after_count == 4


def test_diff_does_not_consume_the_callers_before_dict() -> None:
    before = side(a="2024-05-01")
    diff(before, side(a="2024-05-01"))
    assert before == side(a="2024-05-01")


def test_trailing_slash_is_a_different_url() -> None:
    delta = diff(side(docs="2024-05-01"), {f"{S}/docs/".encode(): b"2024-05-01"}, S)
    assert delta.added == (f"{S}/docs/",)
    assert delta.removed == (f"{S}/docs",)
    assert delta.changed == ()


def test_same_instant_spelled_differently_is_not_changed() -> None:
    before = side(a="2024-05-01", b="2024-05-01T10:00:00+02:00")
    after = side(a="2024-05-01T00:00:00Z", b="2024-05-01T08:00:00.000Z")
    assert diff(before, after, S) == Delta((), (), (), before_count=2, after_count=2)


def test_lastmod_only_in_build_is_changed_only_in_before_is_not() -> None:
    delta = diff(side(gains="", loses="2024-05-01"), side(gains="2024-05-01", loses=""), S)
    assert delta.changed == (url("gains"),)


def test_older_lastmod_in_build_is_changed() -> None:
    assert diff(side(a="2024-05-02"), side(a="2024-05-01")).changed == (url("a"),)


def test_unparseable_lastmod_warns_and_counts_as_absent() -> None:
    delta = diff(side(a="2024-05-01", b=""), side(a="not a date", b="2024-13-01", c="soon"), S)
    assert delta.changed == ()
    assert delta.added == (url("c"),)
    (warning,) = [w for w in delta.warnings if "not W3C" in w]
    assert "not a date" in warning


def test_duplicates_within_one_build_file_keep_the_latest_lastmod() -> None:
    doc = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{S}/a</loc><lastmod>2024-06-01</lastmod></url>"
        f"<url><loc>{S}/a</loc><lastmod>2024-05-01</lastmod></url>"
        "</urlset>"
    ).encode()
    after = parse_sitemap(doc, "s.xml").entries
    delta = diff(side(a="2024-05-01"), after, S)
    assert delta.changed == (url("a"),)
    assert delta.added == ()


def test_duplicates_across_two_build_files_keep_the_latest_lastmod() -> None:
    differ = Differ(side(a="2024-05-01", b="2024-05-01", c="2024-05-01"))
    differ.add(side(a="2024-05-01", b="2024-06-01", c="2024-05-01", new="2024-05-01"))
    differ.add(side(a="2024-06-01", b="2024-05-01", c="2024-05-01T00:00:00Z", new="2024-06-01"))
    delta = differ.finish(S)
    # a: newer in the second file; b: newer in the first; c: same instant in both
    assert sorted(delta.changed) == [url("a"), url("b")]
    assert delta.added == (url("new"),)  # submitted once
    assert delta.removed == ()
    assert delta.after_count == 4


def test_duplicate_across_files_after_an_absent_lastmod_uses_the_builds_value() -> None:
    # The build says /a was last modified 2024-05-01 (its other listing has no lastmod);
    # before says 2024-06-01: the instants differ, so /a changed, as diff() of the merged
    # build says.
    merged = side(a="2024-05-01")  # the build's only readable lastmod for /a
    assert diff(side(a="2024-06-01"), merged).changed == (url("a"),)
    differ = Differ(side(a="2024-06-01"))
    differ.add(side(a=""))
    differ.add(side(a="2024-05-01"))
    assert differ.finish().changed == (url("a"),)


def test_off_host_and_relative_urls_are_skipped_with_reasons(fixtures_dir: Path) -> None:
    before: dict[bytes, bytes] = {}
    after = {
        **parse_sitemap((fixtures_dir / "sitemaps" / "off-host.xml").read_bytes(), "o").entries,
        **parse_sitemap(
            (fixtures_dir / "sitemaps" / "relative-locs.xml").read_bytes(), "r"
        ).entries,
    }
    delta = diff(before, after, S)
    # http and https count as the same host
    assert set(delta.added) == {f"{S}/", "http://www.example.com/http"}
    reasons = {s.url: s.reason for s in delta.skipped}
    assert set(reasons) == {
        "https://example.com/apex",
        "https://cdn.example.com/x",
        "https://www.example.com:8443/port",
        "/about/",
        "blog/post/",
    }
    assert "not on the site's host www.example.com" in reasons["https://cdn.example.com/x"]
    assert "not on the site's host" in reasons["https://www.example.com:8443/port"]
    assert "relative" in reasons["/about/"]
    assert "relative" in reasons["blog/post/"]
    (warning,) = [w for w in delta.warnings if "skipped" in w]
    assert "5 URL(s) skipped" in warning


def test_without_a_site_relative_urls_are_still_skipped() -> None:
    delta = diff({}, {b"/about/": b"", b"https://a.example/": b""})
    assert delta.added == ("https://a.example/",)
    assert [s.url for s in delta.skipped] == ["/about/"]


def test_removed_off_host_urls_are_skipped_too() -> None:
    delta = diff({b"https://old.example/x": b""}, {}, "https://new.example")
    assert delta.removed == ()
    assert [s.url for s in delta.skipped] == ["https://old.example/x"]


def test_control_characters_in_a_loc_are_skipped_and_shown_escaped(fixtures_dir: Path) -> None:
    after = parse_sitemap(
        (fixtures_dir / "sitemaps" / "newline-char-ref.xml").read_bytes(), "n"
    ).entries
    delta = diff({}, after, S)
    assert delta.added == (f"{S}/ok",)
    (skipped,) = delta.skipped
    assert "whitespace" in skipped.reason
    assert "\n" not in skipped.url
    delta = diff({}, {f"{S}/a\nb\x1b[31m".encode(): b""}, S)
    (skipped,) = delta.skipped
    assert skipped.url.isprintable()
    assert all("\n" not in w for w in delta.warnings)


def test_churn_warning_when_nearly_every_lastmod_changes() -> None:
    before = {f"{S}/p{i}".encode(): b"2024-05-01" for i in range(20)}
    stamped = {loc: b"2024-06-01T12:00:00Z" for loc in before}
    delta = diff(before, stamped, S)
    assert len(delta.changed) == 20
    assert any("build time" in w for w in delta.warnings)


def test_no_churn_warning_for_an_ordinary_deploy() -> None:
    before = {f"{S}/p{i}".encode(): b"2024-05-01" for i in range(20)}
    after = dict(before)
    after[f"{S}/p0".encode()] = b"2024-06-01"
    after[f"{S}/p1".encode()] = b"2024-06-01"
    delta = diff(before, after, S)
    assert len(delta.changed) == 2
    assert not any("build time" in w for w in delta.warnings)


def test_changed_url_on_another_host_is_skipped_not_changed() -> None:
    # SPEC: URLs not on the site's host are skipped with a warning and never sent; a lastmod
    # change does not make an off-host URL sendable.
    before = {b"https://cdn.example.com/x": b"2024-05-01", f"{S}/a".encode(): b"2024-05-01"}
    after = {b"https://cdn.example.com/x": b"2024-06-01", f"{S}/a".encode(): b"2024-06-01"}
    delta = diff(before, after, S)
    assert delta.changed == (f"{S}/a",)
    assert [s.url for s in delta.skipped] == ["https://cdn.example.com/x"]
    assert delta.to_submit(include_removed=True) == [f"{S}/a"]
    (warning,) = [w for w in delta.warnings if "skipped" in w]
    assert "https://cdn.example.com/x" in warning


def test_skipped_urls_of_every_kind_are_all_listed() -> None:
    before = {b"https://old.example/gone": b"", b"https://cdn.example.com/x": b"2024-05-01"}
    after = {b"https://cdn.example.com/x": b"2024-06-01", b"https://new.example/y": b""}
    delta = diff(before, after, S)
    assert (delta.added, delta.changed, delta.removed) == ((), (), ())
    assert sorted(s.url for s in delta.skipped) == [
        "https://cdn.example.com/x",
        "https://new.example/y",
        "https://old.example/gone",
    ]


def test_a_site_with_a_port_is_named_with_its_port() -> None:
    site = "http://127.0.0.1:8000"
    after = {
        b"http://127.0.0.1:8000/a": b"",
        b"http://127.0.0.1/b": b"",
        b"http://localhost:8000/c": b"",
    }
    delta = diff({}, after, site)
    assert delta.added == ("http://127.0.0.1:8000/a",)
    assert {s.url: s.reason for s in delta.skipped} == {
        "http://127.0.0.1/b": "not on the site's host 127.0.0.1:8000",
        "http://localhost:8000/c": "not on the site's host 127.0.0.1:8000",
    }


def test_skipped_urls_stay_readable_unless_they_hold_control_characters() -> None:
    after = {"https://other.example/über".encode(): b"", b"https://other.example/a\x1bb": b""}
    delta = diff({}, after, S)
    assert [s.url for s in delta.skipped] == [
        "https://other.example/über",
        "https://other.example/a\\x1bb",
    ]


def test_bytes_that_are_not_utf_8_do_not_stop_the_diff() -> None:
    delta = diff({}, {f"{S}/caf\xe9".encode("latin-1"): b""}, S)
    assert delta.added == (f"{S}/caf\ufffd",)


def test_url_length_boundary_is_2048_characters() -> None:
    # PROTOCOL: a <loc> is under 2,048 characters; 2,048 is the longest URL we send.
    head = f"{S}/"
    longest = head + "a" * (2048 - len(head))
    too_long = head + "b" * (2049 - len(head))
    assert (len(longest), len(too_long)) == (2048, 2049)
    delta = diff({}, {longest.encode(): b"", too_long.encode(): b""}, S)
    assert delta.added == (longest,)
    assert [s.url for s in delta.skipped] == [too_long]
    assert "2048" in delta.skipped[0].reason


@pytest.mark.parametrize(
    ("loc", "reason", "code"),
    [
        ("https://www.example.com/a b", "whitespace", "invalid"),
        ("https://www.example.com/a\tb", "whitespace", "invalid"),
        ("https://www.example.com/a\x7fb", "control", "invalid"),
        ("ftp://www.example.com/file", "not an http(s) URL", "invalid"),
        ("https:///no-host", "not an http(s) URL", "invalid"),
        ("mailto:someone@example.com", "not an http(s) URL", "invalid"),
        ("https://www.example.com:99999/x", "not a valid URL", "invalid"),
        ("https://[www.example.com/x", "not a valid URL", "invalid"),
        ("/about/", "relative URL", "relative"),
        ("about/", "relative URL", "relative"),
        ("https://cdn.example.com/x", "not on the site's host www.example.com", "off_host"),
    ],
)
def test_urls_that_cannot_be_sent_are_skipped_with_their_reason(
    loc: str, reason: str, code: str
) -> None:
    raw = loc.encode().decode("unicode_escape").encode()
    delta = diff({}, {raw: b""}, S)
    assert delta.added == ()
    (skipped,) = delta.skipped
    assert reason in skipped.reason
    assert skipped.code == code  # the JSON report's and the step summary's grouping
    assert skipped.url.isprintable()


def test_unparseable_lastmod_of_an_added_url_is_warned_about() -> None:
    delta = diff({}, side(new="next tuesday"), S)
    assert delta.added == (url("new"),)
    (warning,) = [w for w in delta.warnings if "not W3C" in w]
    assert warning.startswith("1 <lastmod> value(s)")
    assert "'next tuesday'" in warning
    assert warning.endswith("use YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+00:00")


def test_unparseable_lastmod_on_the_live_side_is_warned_about() -> None:
    # The live sitemap's garbage is read as absent: a readable build lastmod is a change.
    delta = diff(side(a="31/05/2024"), side(a="2024-05-31"), S)
    assert delta.changed == (url("a"),)
    (warning,) = [w for w in delta.warnings if "not W3C" in w]
    assert "'31/05/2024'" in warning


def test_lastmod_warning_counts_every_bad_value_and_shows_three() -> None:
    before = {f"{S}/p{i}".encode(): b"2024-05-01" for i in range(1500)}
    after = {loc: f"day {i % 7}".encode() for i, loc in enumerate(before)}
    after.update({f"{S}/n{i}".encode(): b"soon" for i in range(10)})
    delta = diff(before, after, S)
    (warning,) = [w for w in delta.warnings if "not W3C" in w]
    assert warning.startswith("1510 <lastmod> value(s)")
    assert "'day 0', 'day 1', 'day 2');" in warning
    assert "'day 3'" not in warning


def test_readable_lastmods_are_not_warned_about() -> None:
    delta = diff(side(a="2024-05-01", b=""), side(a="2024-05-02", b="", c="2024"), S)
    assert not any("not W3C" in w for w in delta.warnings)


def test_skipped_warning_names_three_urls_then_says_there_are_more() -> None:
    after = {f"https://other.example/{i}".encode(): b"" for i in range(5)}
    delta = diff({}, after, S)
    (warning,) = [w for w in delta.warnings if "skipped" in w]
    assert warning.startswith("5 URL(s) skipped and never sent: ")
    assert [f"https://other.example/{i} " in warning for i in range(5)] == [1, 1, 1, 0, 0]
    assert warning.endswith(" ...")
    three = diff({}, dict(list(after.items())[:3]), S)
    (warning,) = [w for w in three.warnings if "skipped" in w]
    reason = "(not on the site's host www.example.com)"
    assert warning == "3 URL(s) skipped and never sent: " + "; ".join(
        f"https://other.example/{i} {reason}" for i in range(3)
    )


def stamped(common: int, changed: int) -> Delta:
    before = {f"{S}/p{i}".encode(): b"2024-05-01" for i in range(common)}
    after = dict(before)
    for loc in list(before)[:changed]:
        after[loc] = b"2024-06-01T12:00:00Z"
    after[f"{S}/added".encode()] = b"2024-06-01"  # an added URL is not "present in both"
    return diff(before, after, S)


@pytest.mark.parametrize(
    ("common", "changed", "warned"),
    [
        (10, 9, True),  # 90% of 10: the smallest case that warns
        (10, 10, True),
        (10, 8, False),
        (9, 9, False),  # every URL changed, but fewer than 10 in both sitemaps
        (20, 18, True),  # exactly 90%
        (20, 17, False),
        (100, 90, True),
        (100, 89, False),
    ],
)
def test_churn_warning_thresholds(common: int, changed: int, warned: bool) -> None:
    delta = stamped(common, changed)
    assert len(delta.changed) == changed
    assert any("build time" in w for w in delta.warnings) == warned
    if warned:
        (warning,) = [w for w in delta.warnings if "build time" in w]
        assert warning.startswith(f"{changed} of {common} URLs present in both sitemaps")


def test_counts_of_both_sides() -> None:
    delta = diff(side(a="", b="", gone=""), side(a="", b="", c="", d="", e=""), S)
    assert (delta.before_count, delta.after_count) == (3, 5)
    differ = Differ({})
    differ.add(side(a="", b=""))
    differ.add(side(b="", c="", d=""))  # /b listed again: counted once
    assert differ.finish(S).after_count == 4


def test_first_deploy_counts_everything_as_added() -> None:
    differ = Differ({})
    differ.add(side(a="", b="2024-05-01"))
    delta = differ.finish(S, before_missing=True)
    assert sorted(delta.added) == [url("a"), url("b")]
    assert delta.before_count == 0
    # "No before-state" is reported as 0 URLs before, whatever the caller passed.
    assert Differ(side(x="")).finish(S, before_missing=True).before_count == 0


def test_to_submit_sends_removed_only_when_asked() -> None:
    delta = diff(side(gone="", kept="2024-05-01"), side(kept="2024-06-01", new=""), S)
    assert delta.to_submit(include_removed=False) == [url("new"), url("kept")]
    assert delta.to_submit(include_removed=True) == [url("new"), url("kept"), url("gone")]


# --- the pairs in fixtures/pairs --------------------------------------------------------------


PAIRS = sorted(
    p.name for p in (Path(__file__).resolve().parent.parent / "fixtures" / "pairs").iterdir()
)


@pytest.mark.parametrize("name", PAIRS)
def test_pair_gives_its_expected_delta(fixtures_dir: Path, name: str) -> None:
    folder = fixtures_dir / "pairs" / name
    expected: dict[str, Any] = json.loads((folder / "expected.json").read_text("utf-8"))
    before = parse_sitemap((folder / "before.xml").read_bytes(), "before.xml").entries
    after = parse_sitemap((folder / "after.xml").read_bytes(), "after.xml").entries
    delta = diff(before, after, expected["site"])
    assert sorted(delta.added) == sorted(expected["added"])
    assert sorted(delta.changed) == sorted(expected["changed"])
    assert sorted(delta.removed) == sorted(expected["removed"])
    assert sorted(s.url for s in delta.skipped) == sorted(expected["skipped"])
    assert any("build time" in w for w in delta.warnings) == expected["churn_warning"]


def test_demo_site_gives_the_delta_in_its_expected_md(fixtures_dir: Path) -> None:
    demo = fixtures_dir / "demo"

    def read(folder: str) -> dict[bytes, bytes]:
        return merge(read_disk_side(demo / folder, Limits(), Side(), "--build"))

    delta = diff(read("live"), read("build"), "https://demo.example")
    d = "https://demo.example"
    assert sorted(delta.added) == [
        f"{d}/blog/third-post/",
        f"{d}/docs/configure/",
        f"{d}/docs/faq/",
    ]
    assert sorted(delta.changed) == [f"{d}/", f"{d}/blog/"]
    assert delta.removed == (f"{d}/docs/old-api/",)
    assert [(s.url, "relative" in s.reason) for s in delta.skipped] == [("/docs/draft/", True)]
    key_file = demo / "build" / "0123456789abcdef0123456789abcdef.txt"
    assert key_file.read_bytes() == b"0123456789abcdef0123456789abcdef"
    expected_md = (demo / "EXPECTED.md").read_text("utf-8")
    for listed in [*delta.added, *delta.changed, *delta.removed, "/docs/draft/"]:
        assert listed in expected_md


# --- properties -------------------------------------------------------------------------------

LOCS = st.sampled_from([f"{S}/{name}" for name in ("a", "a/", "b", "c", "d", "e")]).map(str.encode)
# Each lastmod the properties draw from, with the instant SPEC gives it written out by hand
# (hours after 2024-05-01T00:00:00Z; None: absent or unparseable, which counts as absent).
INSTANTS: dict[bytes, int | None] = {
    b"": None,
    b"2024-05-01": 0,
    b"2024-05-01T00:00:00Z": 0,
    b"2024-05-01T02:00:00+02:00": 0,
    b"2024-05-02": 24,
    b"2024-05-01T12:00:00Z": 12,
    b"2024-05-01T13:00:00+01:00": 12,
    b"garbage": None,
}
LASTMODS = st.sampled_from(sorted(INSTANTS))
SIDES = st.dictionaries(LOCS, LASTMODS, max_size=6)


def spec_changed(before: bytes, after: bytes) -> bool:
    """SPEC: changed when the build's lastmod differs as an instant; a lastmod only in the
    build counts as changed, only in before does not."""
    build = INSTANTS[after]
    return build is not None and build != INSTANTS[before]


@settings(max_examples=300, deadline=None)
@given(before=SIDES, after=SIDES)
def test_the_delta_is_exactly_what_spec_says(
    before: dict[bytes, bytes], after: dict[bytes, bytes]
) -> None:
    delta = diff(before, after, S)
    common = before.keys() & after.keys()
    assert sorted(delta.added) == sorted(loc.decode() for loc in after.keys() - before.keys())
    assert sorted(delta.removed) == sorted(loc.decode() for loc in before.keys() - after.keys())
    assert sorted(delta.changed) == sorted(
        loc.decode() for loc in common if spec_changed(before[loc], after[loc])
    )
    assert delta.skipped == ()
    assert delta.before_count == len(before)
    assert delta.after_count == len(after)
    # Unreadable lastmods are warned about wherever they decide something: on an added URL,
    # or on either side of a URL whose lastmod text differs between the sides.
    warned = any(after[loc] == b"garbage" for loc in after.keys() - before.keys()) or any(
        before[loc] != after[loc] and b"garbage" in (before[loc], after[loc]) for loc in common
    )
    assert any("not W3C" in w for w in delta.warnings) == warned


def latest_instant(chunks: list[dict[bytes, bytes]], loc: bytes) -> int | None:
    """SPEC: a URL listed twice keeps its latest lastmod (absent or unreadable ones lose)."""
    readable = [INSTANTS[c[loc]] for c in chunks if loc in c and INSTANTS[c[loc]] is not None]
    return max(readable, default=None)  # type: ignore[type-var]


@settings(max_examples=300, deadline=None)
@given(before=SIDES, chunks=st.lists(SIDES, min_size=1, max_size=4))
@example(
    before={b"https://www.example.com/a": b"2024-05-02"},
    chunks=[{b"https://www.example.com/a": b""}, {b"https://www.example.com/a": b"2024-05-01"}],
)
def test_a_build_split_into_files_gives_the_delta_of_its_latest_lastmods(
    before: dict[bytes, bytes], chunks: list[dict[bytes, bytes]]
) -> None:
    differ = Differ(dict(before))
    for chunk in chunks:
        differ.add(chunk)
    delta = differ.finish(S)
    build = {loc for chunk in chunks for loc in chunk}
    changed = []
    for loc in build & before.keys():
        latest = latest_instant(chunks, loc)
        if latest is not None and latest != INSTANTS[before[loc]]:
            changed.append(loc.decode())
    assert sorted(delta.added) == sorted(loc.decode() for loc in build - before.keys())
    assert sorted(delta.changed) == sorted(changed)
    assert sorted(delta.removed) == sorted(loc.decode() for loc in before.keys() - build)
    assert delta.after_count == len(build)
    assert len(delta.added) == len(set(delta.added))  # each URL once


def test_compacting_keys_by_site_prefix_changes_nothing_a_user_sees() -> None:
    # With --site known the engine stores page URLs with the origin as one byte; the delta
    # (including URLs on other hosts, padded locs and http/https spellings) must not change.
    from indexnow_sync.sitemap import parse_sitemap

    def doc(*entries: tuple[str, str]) -> bytes:
        body = "".join(f"<url><loc>{loc}</loc><lastmod>{lm}</lastmod></url>" for loc, lm in entries)
        return (
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode()
        )

    before = doc(
        (f"{S}/a", "2024-01-01"), (f"{S}/gone", "2024-01-01"), ("http://www.example.com/h", "2024")
    )
    after = doc(
        (f"  {S}/a  ", "2024-02-01"),
        (f"{S}/new", "2024-01-01"),
        ("http://www.example.com/h", "2024"),
        ("https://other.example/x", "2024"),
    )
    prefix = f"{S}/".encode()
    plain = diff(parse_sitemap(before, "b").entries, parse_sitemap(after, "a").entries, S)
    differ = Differ(parse_sitemap(before, "b", key_prefix=prefix).entries, prefix)
    differ.add(parse_sitemap(after, "a", key_prefix=prefix).entries)
    compact = differ.finish(S)
    assert compact.added == plain.added == (f"{S}/new",)
    assert compact.changed == plain.changed == (f"{S}/a",)
    assert compact.removed == plain.removed == (f"{S}/gone",)
    assert compact.skipped == plain.skipped
    assert [s.url for s in compact.skipped] == ["https://other.example/x"]


def test_the_delta_keeps_the_builds_lastmod_of_added_and_changed_urls() -> None:
    # What the live sitemap must show once the build is live (--wait): the build's own text,
    # the latest of a URL listed twice; none for removed or unchanged URLs, or without one.
    differ = Differ(side(same="2024-05-01", edited="2024-05-01", gone="2024-05-01"))
    differ.add(side(same="2024-05-01", edited="2024-06-01", new="2024-06-01T10:00:00+02:00"))
    differ.add(side(edited="2024-07-01", bare=""))
    delta = differ.finish(S)
    assert dict(delta.lastmods) == {
        url("edited"): "2024-07-01",
        url("new"): "2024-06-01T10:00:00+02:00",
    }


def test_the_builds_lastmods_are_keyed_by_full_url_when_keys_are_compacted() -> None:
    from indexnow_sync.sitemap import compact_keys

    prefix = f"{S}/".encode()
    before = side(a="2024-05-01")
    build = side(a="2024-06-01", b="2024-06-02")
    compacted = dict(zip(compact_keys(list(before), prefix), before.values(), strict=True))
    differ = Differ(compacted, prefix)
    differ.add(dict(zip(compact_keys(list(build), prefix), build.values(), strict=True)))
    assert dict(differ.finish(S).lastmods) == {url("a"): "2024-06-01", url("b"): "2024-06-02"}


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0e", "\x1b", "\x7f"])
def test_a_control_character_no_xml_can_carry_is_refused_in_a_url_list_too(char: str) -> None:
    # XML 1.0 cannot hold these, but `submit --urls-file` lines go through the same rules.
    assert url_problem(f"https://www.example.com/a{char}b", None) == (
        "invalid",
        "contains whitespace or control characters",
    )


# --- SPEC "Delta rule": content decides where both sides have fingerprints --------------------

# (path, before fingerprint, build fingerprint, lastmod moved, changed?, reason or
#  "unchanged_content")
CONTENT_RULE = [
    ("same-lastmod-same-content", "h1:A", "h1:A", False, False, None),
    ("lastmod-moved-same-content", "h1:A", "h1:A", True, False, "unchanged_content"),
    ("content-edit-lastmod-unmoved", "h1:A", "h1:B", False, True, "content"),
    ("content-edit-lastmod-moved", "h1:A", "h1:B", True, True, "content"),
    ("no-build-file-lastmod-moved", "h1:A", None, True, True, "lastmod"),
    ("no-build-file-lastmod-unmoved", "h1:A", None, False, False, None),
    ("no-before-lastmod-moved", None, "h1:A", True, True, "lastmod"),
    ("no-before-lastmod-unmoved", None, "h1:A", False, False, None),
    ("other-rule-version-lastmod-moved", "h9:A", "h1:B", True, True, "lastmod"),
    ("other-rule-version-lastmod-unmoved", "h9:A", "h1:B", False, False, None),
    ("other-ignore-selectors", "h1.xyz:A", "h1:B", False, False, None),
    ("became-a-pdf", "h1:A", "b1:A", False, True, "content"),
    ("robots-txt-newly-blocks", "h1:A", "h1:A.ra", False, True, "content"),
]


def test_content_decides_where_both_sides_have_fingerprints() -> None:
    from indexnow_sync.diff import decide_by_content

    paths = [case[0] for case in CONTENT_RULE]
    before_side = {f"{S}/{p}".encode(): b"2024-01-01" for p in paths}
    after_side = {
        f"{S}/{p}".encode(): b"2024-06-01" if moved else b"2024-01-01"
        for p, _b, _a, moved, _c, _r in CONTENT_RULE
    }
    delta = diff(before_side, after_side, S)
    decision = decide_by_content(
        delta,
        [url(p) for p in paths],
        {url(p): before for p, before, *_ in CONTENT_RULE},
        {url(p): after for p, _b, after, *_ in CONTENT_RULE},
        S,
        build_lastmods={url(p): after_side[url(p).encode()].decode() for p in paths},
    )
    refined = decision.delta
    expected_changed = [url(p) for p, _b, _a, _m, changed, _r in CONTENT_RULE if changed]
    assert list(refined.changed) == expected_changed
    assert dict(refined.reasons) == {
        url(p): reason for p, _b, _a, _m, changed, reason in CONTENT_RULE if changed
    }
    assert list(refined.unchanged_content) == [
        url(p) for p, *_rest, reason in CONTENT_RULE if reason == "unchanged_content"
    ]
    # Every changed URL has the build's lastmod for waiting, also those whose lastmod did not
    # move; no other URL keeps one.
    assert set(refined.lastmods) == set(expected_changed)
    assert refined.lastmods[url("content-edit-lastmod-unmoved")] == "2024-01-01"
    assert (decision.same, decision.different) == (2, 4)
    assert set(decision.unknown) == {
        url(p) for p, *_rest in CONTENT_RULE if p.startswith(("no-", "other-"))
    }


def test_a_url_changed_by_content_is_validated_like_every_delta_url() -> None:
    from indexnow_sync.diff import decide_by_content

    other = "https://elsewhere.example/page"
    before_side = {other.encode(): b"2024-01-01", f"{S}/ok".encode(): b"2024-01-01"}
    delta = diff(before_side, dict(before_side), S)
    decision = decide_by_content(
        delta,
        [other, url("ok")],
        {other: "h1:A", url("ok"): "h1:A"},
        {other: "h1:B", url("ok"): "h1:B"},
        S,
    )
    assert decision.delta.changed == (url("ok"),)
    assert [(s.url, s.code) for s in decision.delta.skipped] == [(other, "off_host")]


def test_live_page_fingerprints_compare_pages_only() -> None:
    from indexnow_sync.diff import decide_by_content

    before_side = {f"{S}/a".encode(): b"2024-01-01"}
    delta = diff(before_side, {f"{S}/a".encode(): b"2024-06-01"}, S)
    # The build's robots.txt suffix is not part of a live page's fingerprint.
    decision = decide_by_content(
        delta, [url("a")], {url("a"): "h1:A"}, {url("a"): "h1:A.rs"}, S, pages_only={url("a")}
    )
    assert decision.delta.changed == () and decision.delta.unchanged_content == (url("a"),)
