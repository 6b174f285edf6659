"""A live page compared with the build's content (SPEC "Live means the build's content"), one
check at a time against a real local site: the build's content is live, the previous one is a
stale copy (not live yet: code ``stale``, never sent early), anything else is sent with a
warning. From the mutation run of issue 21 (``checks._by_content``)."""

from __future__ import annotations

import pytest

from indexnow_sync.checks import Candidate, Expected, PageVerdict, check_pages
from indexnow_sync.content import Rules, compile_rules, fingerprint
from indexnow_sync.indexnow import RetryPolicy
from indexnow_sync.robots import DEFAULT_AGENTS, make_agents
from indexnow_sync.web import WebClient
from tests.siteserver import SiteServer

AGENTS = make_agents(DEFAULT_AGENTS)


def page(text: str, *, extra: str = "", head: str = "") -> str:
    return (
        f"<!doctype html><html><head><title>Post</title>{head}</head>"
        f"<body><main><p>{text}</p>{extra}</main></body></html>"
    )


def check(
    site: SiteServer,
    served: str,
    *,
    build: str,
    before: str | None,
    rules: Rules | None = None,
    path: str = "/post/",
) -> PageVerdict:
    rules = rules or compile_rules([])
    url = site.url(path)
    site.route(path, served, content_type="text/html")

    def fp(html: str) -> str:
        return fingerprint(html.encode(), url, html=True, rules=rules)

    expected = Expected(fp(build), None if before is None else fp(before), rules, 1 << 20)
    with WebClient(timeout=5) as client:
        (found,) = check_pages(
            client, [Candidate(url, "changed", expected)], AGENTS, policy=RetryPolicy()
        )
    return found


def test_the_builds_content_is_live_and_sent_without_a_warning(site_server: SiteServer) -> None:
    found = check(site_server, page("new"), build=page("new"), before=page("old"))
    assert (found.send, found.code, found.warnings) == (True, None, ())


def test_the_ignored_parts_are_left_out_of_the_live_page_too(site_server: SiteServer) -> None:
    # --ignore '.built-at': the live page's timestamp differs from the build's, and that is
    # what --ignore is for; compared without the rules, the page would be "rewritten".
    rules = compile_rules([".built-at"])
    found = check(
        site_server,
        page("new", extra='<p class="built-at">built 10:02</p>'),
        build=page("new", extra='<p class="built-at">built 10:01</p>'),
        before=page("old"),
        rules=rules,
    )
    assert (found.send, found.code, found.warnings) == (True, None, ())


def test_a_stale_copy_is_not_sent_and_says_so_without_the_pages_warnings(
    site_server: SiteServer,
) -> None:
    # The page's own warning (canonicals that disagree) is about the copy the server still
    # holds, not the page that will be sent: it goes with the verdict.
    old = page("old", head='<link rel="canonical" href="/a/"><link rel="canonical" href="/b/">')
    assert check(site_server, old, build=old, before=None).warnings  # (as a live page: warned)
    found = check(site_server, old, build=page("new"), before=old)
    assert found.send is False and found.code == "stale"
    assert found.reason == "HTTP 200 with the previous content (a cached copy?)"
    assert found.warnings == ()


@pytest.mark.parametrize(
    ("before", "seen"),
    [
        (page("old"), "neither the build's nor the previous one"),
        (None, "not the build's (and the previous content is not known)"),
    ],
    ids=["previous-known", "previous-unknown"],
)
def test_a_rewritten_page_is_sent_with_a_warning_that_says_what_was_known(
    site_server: SiteServer, before: str | None, seen: str
) -> None:
    url = site_server.url("/post/")
    found = check(site_server, page("rewritten by a CDN"), build=page("new"), before=before)
    assert (found.send, found.code) == (True, None)
    assert found.warnings == (
        f"{url}: the live page's content is {seen} (does the server or a CDN rewrite pages, "
        "e.g. e-mail obfuscation or injected markup?): sent anyway; --ignore SELECTOR leaves "
        "such parts out",
    )


def test_a_stale_copy_longer_than_256_kib_is_still_read_whole(site_server: SiteServer) -> None:
    # The checks read 256 KiB of a page; one whose content is compared is read whole (up to
    # the build's page size), or a long stale copy would pass as live.
    long_text = "word " * 70_000  # 350 KB
    old = page(f"old {long_text}")
    found = check(site_server, old, build=page(f"new {long_text}"), before=old)
    assert (found.send, found.code) == (False, "stale")
