"""Issue 13 acceptance, as properties over generated sites (hypothesis): with ``--check off``
the sent set is exactly what the tool sent before the checks existed; with checks on, it is a
subset of that plus removed URLs verified gone, and (unless a guard stops the run, or every
added page is missing: the deploy has not happened) exactly what an independent reading of
each page's kind predicts; no URL is both sent and skipped."""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexnow_sync.cli import cli
from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer

KEY = "77aa55cc33ee11ff99bb77dd55aa33cc"
PAGE = "<!doctype html><html><head><title>p</title>{}</head><body>p</body></html>"

# What a URL of the build (added, changed, unchanged) answers ...
LIVE_KINDS = (
    "ok",
    "noindex",
    "canonical",
    "redirect",
    "missing",
    "gone",
    "error",
    "forbidden",
    "blocked",
)
# ... and what a removed URL answers.
REMOVED_KINDS = ("gone404", "gone410", "moved", "still", "error", "blocked")
DIRECTIONS = ("added", "changed", "unchanged")

_counter = itertools.count()


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[SiteServer, IndexNowServer]]:
    with SiteServer() as site, IndexNowServer() as endpoint:
        site.route(f"/{KEY}.txt", KEY, content_type="text/plain")
        yield site, endpoint


def urlset(entries: dict[str, str]) -> str:
    items = "".join(f"<url><loc>{u}</loc><lastmod>{m}</lastmod></url>" for u, m in entries.items())
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'


def serve(site: SiteServer, path: str, kind: str) -> None:
    """Script what ``path`` answers for a page of ``kind``."""
    html = "text/html"
    if kind in ("ok", "still", "blocked"):
        site.route(path, PAGE.format(""), content_type=html)
    elif kind == "noindex":
        site.route(path, PAGE.format(""), content_type=html, headers={"X-Robots-Tag": "noindex"})
    elif kind == "canonical":
        site.route(
            path, PAGE.format('<link rel="canonical" href="/elsewhere/">'), content_type=html
        )
    elif kind in ("redirect", "moved"):
        site.route(path, status=301, headers={"Location": "/elsewhere/"})
    elif kind in ("missing", "gone404"):
        site.route(path, "no", status=404)
    elif kind in ("gone", "gone410"):
        site.route(path, "no", status=410)
    elif kind == "error":
        site.route(path, "down", status=500, headers={"Retry-After": "0"})
    elif kind == "forbidden":
        site.route(path, "no", status=403)


site_shapes = st.tuples(
    st.lists(st.tuples(st.sampled_from(DIRECTIONS), st.sampled_from(LIVE_KINDS)), max_size=6),
    st.lists(st.sampled_from(REMOVED_KINDS), max_size=4),
    st.sampled_from(("pages", "pages", "robots", "off")),  # page checks have most to get wrong
    st.sampled_from((None, True, False)),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=site_shapes)
def test_checks_only_ever_remove_from_what_was_sent_before(
    servers: tuple[SiteServer, IndexNowServer],
    shape: tuple[list[tuple[str, str]], list[str], str, bool | None],
) -> None:
    site, endpoint = servers
    pages, removed_kinds, check, include_removed = shape
    prefix = f"/s{next(_counter)}/"
    url = site.base_url + prefix
    live: dict[str, str] = {}
    build: dict[str, str] = {}
    kind_of: dict[str, str] = {}
    for i, (direction, kind) in enumerate(pages):
        page = f"{url}{'blocked-' if kind == 'blocked' else ''}p{i}"
        kind_of[page] = kind
        build[page] = "2024-02-01"
        if direction == "changed":
            live[page] = "2024-01-01"
        elif direction == "unchanged":
            live[page] = "2024-02-01"
        serve(site, page[len(site.base_url) :], kind)
    for i, kind in enumerate(removed_kinds):
        page = f"{url}{'blocked-' if kind == 'blocked' else ''}r{i}"
        kind_of[page] = kind
        live[page] = "2024-01-01"
        serve(site, page[len(site.base_url) :], kind)
    site.route("/robots.txt", f"User-agent: *\nDisallow: {prefix}blocked-\n")
    site.route(f"{prefix}live.xml", urlset(live))

    added = [u for u in build if u not in live]
    changed = [u for u in build if u in live and live[u] != build[u]]
    removed = [u for u in live if u not in build]
    # What the tool sent before the checks existed: added and changed, and removed URLs only
    # with --include-removed.
    before = set(added + changed) | (set(removed) if include_removed is True else set())

    flags = ["--check", check]
    if include_removed is not None:
        flags.append("--include-removed" if include_removed else "--no-include-removed")
    accepted_before = len(endpoint.accepted)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "sitemap.xml").write_text(urlset(build), encoding="utf-8")
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
                f"{url}live.xml",
                "--endpoint",
                endpoint.endpoint,
                *flags,
            ],
            env={"INDEXNOW_KEY": KEY, "GITHUB_ACTIONS": None},
        )
    report = json.loads(result.stdout)
    sent = set(endpoint.accepted[accepted_before:])
    skipped = {entry["url"] for entry in report["skipped"]}
    assert not sent & skipped
    assert sent == set(report["submitted"])

    if check == "off":
        assert result.exit_code == 0, result.stderr
        assert sent == before
        return

    gone = {u for u in removed if kind_of[u] in ("gone404", "gone410", "moved")}
    assert sent <= before | gone

    # The exact prediction, from each URL's kind alone.
    removed_considered = include_removed is True or (include_removed is None and check == "pages")
    candidates = added + changed + (removed if removed_considered else [])
    reachable = [u for u in candidates if kind_of[u] != "blocked"]
    guard = False
    if check == "robots":
        expected = set(reachable)
    else:
        expected = {u for u in reachable if kind_of[u] in ("ok", "gone404", "gone410", "moved")}
        answers = [kind_of[u] for u in reachable]
        # Every checked page noindex (a preview deploy) or refused (bot protection): stop.
        guard = len(answers) >= 3 and (
            all(k == "noindex" for k in answers) or all(k == "forbidden" for k in answers)
        )
    # Every added page (at least one) answering 404/410: the deploy has not happened (issue 8):
    # nothing is sent, every checked URL is deferred.
    added_answers = [kind_of[u] for u in added if kind_of[u] != "blocked"]
    not_deployed = (
        check == "pages"
        and not guard
        and bool(added_answers)
        and all(k in ("missing", "gone") for k in added_answers)
    )
    if guard:
        assert result.exit_code == 1 and report["error"]["kind"] == "checks"
        assert sent == set()
    elif not_deployed:
        assert result.exit_code == 1 and report["error"]["kind"] == "not_deployed"
        assert sent == set()
        assert {entry["url"] for entry in report["deferred"]} == set(reachable)
        assert skipped == set(candidates) - set(reachable)
    else:
        assert result.exit_code == 0, result.stderr
        assert sent == expected
        assert skipped == set(candidates) - expected
