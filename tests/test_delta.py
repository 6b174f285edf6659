"""A --site whose form the build's URLs do not use stops the run before any page is requested
(issue 19): most URLs differing only by the scheme or a ``www.``, or none on the site's host.
And the counting's fast path against a plain reading (hypothesis)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexnow_sync.delta import Sides, _BuildHosts, compute_delta
from indexnow_sync.errors import UsageError
from indexnow_sync.sitemap import PREFIX_MARK, compact_keys
from indexnow_sync.urls import authority_prefix, origin
from indexnow_sync.web import WebClient


def urlset(path: Path, locs: list[str]) -> Path:
    items = "".join(f"<url><loc>{loc}</loc><lastmod>2024-06-01</lastmod></url>" for loc in locs)
    path.write_text(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>',
        encoding="utf-8",
    )
    return path


def no_live_site() -> AbstractContextManager[WebClient]:
    raise AssertionError("not read: the baseline is the before side")


def delta_error(tmp_path: Path, site: str, locs: list[str]) -> UsageError:
    build = urlset(tmp_path / "build.xml", locs)
    before = urlset(tmp_path / "before.xml", [])
    sides = Sides(site, build, before, None, 1 << 20)
    with pytest.raises(UsageError) as caught:
        compute_delta(sides, no_live_site)
    return caught.value


@pytest.mark.parametrize(
    ("site", "form", "differs"),
    [
        ("http://example.com", "https://example.com", "the scheme"),
        ("https://example.com", "http://example.com", "the scheme"),
        ("https://example.com", "https://www.example.com", "www."),
        ("https://www.example.com", "https://example.com", "www."),
        ("http://example.com", "https://www.example.com", "the scheme and www."),
    ],
)
def test_most_urls_differing_only_by_scheme_or_www_stop_the_run_naming_both_forms(
    tmp_path: Path, site: str, form: str, differs: str
) -> None:
    # Before: a scheme difference passed (http and https are the same host), so the diff
    # against the live site counted every page added and removed; a www difference was
    # caught only when not one URL was on the site's host.
    locs = [f"{form}/{page}" for page in ("", "a", "b", "c")] + [f"{site}/d"]
    error = delta_error(tmp_path, site, locs)
    assert error.exit_code == 2
    first, cause, fix = error.message.splitlines()
    assert first == f"the build's URLs are on {form}, --site is {site}"
    assert cause == (
        f"4 of 5 URLs in the build's sitemap differ from --site only by {differs}: "
        "the diff would add and remove every page"
    )
    assert fix.startswith(f"fix: pass --site {form} if that is the site's address; else fix")
    assert all(len(line) < 160 for line in (first, cause, fix))


def test_a_few_urls_in_another_form_are_left_to_the_url_rules(tmp_path: Path) -> None:
    site = "https://example.com"
    build = urlset(
        tmp_path / "build.xml",
        [f"{site}/a", f"{site}/b", f"{site}/c", "https://www.example.com/x", "http://other.org/"],
    )
    sides = Sides(site, build, urlset(tmp_path / "before.xml", []), None, 1 << 20)
    read = compute_delta(sides, no_live_site)
    assert read.delta.added == (f"{site}/a", f"{site}/b", f"{site}/c")
    assert {s.code for s in read.delta.skipped} == {"off_host"}


def test_no_url_on_the_sites_host_still_stops_the_run(tmp_path: Path) -> None:
    error = delta_error(
        tmp_path, "https://example.com", ["https://staging.example.net/a", "https://x.org/"]
    )
    first, cause, fix = error.message.splitlines()
    assert first.startswith("the build's URLs are on https://")
    assert first.endswith(", --site is https://example.com")
    assert "no URL of the build" in cause and "is on the site's host" in cause
    assert fix.startswith("fix: pass --site https://")


# --- the fast path: max() over the keys, against a plain reading ---------------------------

SITE = "https://example.com"
FORMS = [SITE, "http://example.com", "https://www.example.com", "https://other.org", "ftp://x"]


@st.composite
def build_entries(draw: st.DrawFn) -> dict[bytes, bytes]:
    # Any character XML can hold (never \x00 or \x01): also '/', ':', '@', '[' and spaces.
    chars = st.one_of(
        st.characters(min_codepoint=0x09, max_codepoint=0xD7FF),
        st.characters(min_codepoint=0xE000, max_codepoint=0x10FFFF),
        st.sampled_from("/:@[].%"),
    )
    paths = st.text(chars, max_size=12)
    locs = draw(
        st.lists(
            st.one_of(
                st.tuples(st.sampled_from(FORMS), paths).map(lambda t: f"{t[0]}/{t[1]}"),
                paths.filter(bool),  # relative, or any text at all
            ),
            max_size=30,
        )
    )
    keys = compact_keys([loc.encode("utf-8").strip() for loc in locs], f"{SITE}/".encode())
    return {key: b"" for key in keys if key}


@settings(max_examples=300, deadline=None)
@given(st.lists(build_entries(), max_size=4))
def test_counting_the_builds_forms_is_exact(files: list[dict[bytes, bytes]]) -> None:
    hosts = _BuildHosts(SITE)
    exact = 0
    forms: dict[str, int] = {}
    for entries in files:
        hosts.add(entries)
        for key in entries:  # the plain reading: every key decided on its own
            url = (f"{SITE}/".encode() + key[1:] if key[:1] == PREFIX_MARK else key).decode(
                "utf-8", "replace"
            )
            form = origin(authority_prefix(url))
            if form == SITE:
                exact += 1
            elif form is not None:
                forms[form] = forms.get(form, 0) + 1
    assert (hosts.exact, hosts.forms) == (exact, forms)
