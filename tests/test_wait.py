"""wait.py: the decisions of waiting for the deploy, as values: the poll schedule, the
deadline, when the live sitemap shows a URL live, which page answers mean "not live yet", the
progress lines, and the ``wait`` setting's validation."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import pytest

from indexnow_sync.checks import Candidate, PageVerdict
from indexnow_sync.config import load_config
from indexnow_sync.errors import ConfigError
from indexnow_sync.wait import (
    NOT_LISTED,
    Deadline,
    PageSettler,
    PollPolicy,
    duration,
    not_live,
    not_live_reason,
    poll,
    read_live_listing,
    sitemap_gaps,
)
from indexnow_sync.web import WebClient
from tests.faketime import FakeTime
from tests.siteserver import SiteServer


def test_intervals_grow_from_5_s_by_half_up_to_30_s() -> None:
    first = list(itertools.islice(PollPolicy().intervals(), 8))
    assert first == [5.0, 7.5, 11.25, 16.875, 25.3125, 30.0, 30.0, 30.0]


def test_pauses_never_go_past_the_deadline() -> None:
    fake = FakeTime()
    deadline = Deadline(20.0, fake.policy())
    deadline.start()
    fake.now += 1.0  # work done before the first pause counts against the deadline
    assert deadline.pause(5.0) and deadline.pause(7.5)
    assert deadline.pause(11.25)  # cut to what is left
    assert not deadline.pause(5.0)
    assert fake.sleeps == [5.0, 7.5, 6.5]
    assert deadline.left() == 0.0 and deadline.elapsed() == 20.0


def test_the_deadline_is_measured_from_the_first_start() -> None:
    fake = FakeTime()
    deadline = Deadline(10.0, fake.policy())
    deadline.start()
    fake.now += 4.0
    deadline.start()  # a later gate shares the deadline, it does not restart it
    assert deadline.left() == 6.0


def test_a_deadline_of_zero_looks_once_and_never_sleeps() -> None:
    fake = FakeTime()
    looks: list[int] = []
    seen: list[str] = []

    def look() -> int:
        looks.append(1)
        return len(looks)

    result = poll(
        Deadline(0.0, fake.policy()),
        look,
        lambda n: False,
        lambda n: f"look {n}",
        seen.append,
    )
    assert result == 1 and looks == [1] and fake.sleeps == []
    assert seen == ["look 1"]  # a dry run did not wait, so it never "stopped waiting"


def test_the_deadline_counts_its_pauses_and_the_time_slept() -> None:
    fake = FakeTime()
    deadline = Deadline(10.0, fake.policy())
    assert (deadline.slept, deadline.pauses, deadline.elapsed()) == (0.0, 0, 0.0)
    deadline.start()
    assert deadline.pause(5.0) and deadline.pause(7.5)
    assert (deadline.slept, deadline.pauses, deadline.elapsed()) == (10.0, 2, 10.0)


def test_poll_looks_until_settled_with_a_progress_line_per_look() -> None:
    fake = FakeTime()
    seen: list[str] = []
    answers = iter([1, 2, 3])
    result = poll(
        Deadline(300.0, fake.policy()),
        lambda: next(answers),
        lambda n: n == 3,
        lambda n: f"{n} of 3 live",
        seen.append,
    )
    assert result == 3
    assert fake.sleeps == [5.0, 7.5]
    assert seen == [
        "1 of 3 live, waiting up to 5m00s more",
        "2 of 3 live, waiting up to 4m55s more",
        "3 of 3 live",
    ]


def test_poll_with_a_first_look_already_made_pauses_before_looking() -> None:
    fake = FakeTime()
    seen: list[str] = []
    looks = iter(["new"])
    result = poll(
        Deadline(3.0, fake.policy()),
        lambda: next(looks),
        lambda text: text == "new",
        lambda text: text,
        seen.append,
        first="old",
    )
    assert result == "new"
    assert fake.sleeps == [3.0]
    assert seen == ["old, waiting up to 3s more", "new"]


def test_poll_says_when_it_stopped_waiting() -> None:
    fake = FakeTime()
    seen: list[str] = []
    poll(Deadline(12.0, fake.policy()), lambda: "x", lambda _: False, str, seen.append)
    assert seen[-1] == "x; stopped waiting after 12s"
    assert sum(fake.sleeps) == 12.0
    seen.clear()
    poll(Deadline(0.5, fake.policy()), lambda: "y", lambda _: False, str, seen.append)
    assert seen[-1] == "y; stopped waiting after 0.5s"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.4, "0.4s"),
        (5.0, "5s"),
        (9.94, "9.9s"),
        (10.5, "11s"),
        (45.2, "45s"),
        (250, "4m10s"),
        (900, "15m00s"),
        (3725, "1h02m05s"),
    ],
)
def test_durations_read_like_a_clock(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


# --- gate 1: when the live sitemap shows a URL live -----------------------------------------

S = "https://site.example"
SHOWS, BUILD = "live sitemap shows lastmod ", ", the build 2024-03-01"


@pytest.mark.parametrize(
    ("built", "live", "gap"),
    [
        (None, None, NOT_LISTED),  # an added URL not listed yet
        (None, b"", None),  # listed: enough for an added URL
        (None, b"2020-01-01", None),  # an added URL's lastmod is not waited for
        ("2024-03-01", b"2024-03-01", None),
        ("2024-03-01", b"2024-03-01T00:00:00Z", None),  # the same instant, written otherwise
        ("2024-03-01T10:00:00+02:00", b"2024-03-01T08:00:00Z", None),
        ("2024-03-01", b"2024-01-01", SHOWS + "2024-01-01" + BUILD),
        # a later lastmod is another build, not this one (and a rollback must wait too)
        ("2024-03-01", b"2024-04-01", SHOWS + "2024-04-01" + BUILD),
        ("2024-03-01", b"", "live sitemap shows no lastmod, the build 2024-03-01"),
        ("2024-03-01", None, NOT_LISTED),
    ],
)
def test_sitemap_gaps(built: str | None, live: bytes | None, gap: str | None) -> None:
    url = f"{S}/page"
    listing = {} if live is None else {url.encode(): live}
    assert sitemap_gaps({url: built}, listing) == ({} if gap is None else {url: gap})


def test_sitemap_gaps_match_urls_exactly() -> None:
    listing = {f"{S}/a/".encode(): b"", f"{S}/ü".encode(): b""}
    assert sitemap_gaps({f"{S}/a": None, f"{S}/ü": None}, listing) == {f"{S}/a": NOT_LISTED}


def test_sitemap_gaps_look_at_every_url_after_one_whose_lastmod_is_live() -> None:
    listing = {f"{S}/a".encode(): b"2024-03-01", f"{S}/b".encode(): b"2024-01-01"}
    expected: dict[str, str | None] = {f"{S}/a": "2024-03-01", f"{S}/b": "2024-03-01"}
    assert sitemap_gaps(expected, listing) == {f"{S}/b": SHOWS + "2024-01-01" + BUILD}


def test_a_live_lastmod_that_is_not_utf_8_is_shown_not_raised() -> None:
    listing = {f"{S}/a".encode(): b"2024-\xff-01"}
    gaps = sitemap_gaps({f"{S}/a": "2024-03-01"}, listing)
    assert gaps == {f"{S}/a": SHOWS + "2024-\ufffd-01" + BUILD}


def test_sitemap_gaps_look_at_every_url_after_a_live_one() -> None:
    listing = {f"{S}/live".encode(): b"2024-03-01"}
    expected: dict[str, str | None] = {
        f"{S}/live": None,
        f"{S}/same": None,
        f"{S}/missing": None,
        f"{S}/changed": "2024-03-01",
    }
    listing[f"{S}/same".encode()] = b""
    assert sitemap_gaps(expected, listing) == {
        f"{S}/missing": NOT_LISTED,
        f"{S}/changed": NOT_LISTED,
    }


def index_of(*children: str) -> str:
    items = "".join(f"<sitemap><loc>{child}</loc></sitemap>" for child in children)
    return (
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
    )


def urlset_of(entries: dict[str, str]) -> str:
    items = "".join(
        f"<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod></url>"
        for loc, lastmod in entries.items()
    )
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'


def test_the_live_listing_reads_the_configured_sitemap(site_server: SiteServer) -> None:
    # Neither robots.txt nor the usual names lead to it: only --live does.
    page = site_server.url("/p")
    site_server.route("/maps/custom.xml", urlset_of({page: "2024-03-01"}))
    with WebClient(timeout=5) as client:
        found, problem = read_live_listing(
            client,
            site_server.base_url,
            site_server.url("/maps/custom.xml"),
            {page.encode()},
            1024 * 1024,
        )
    assert (found, problem) == ({page.encode(): b"2024-03-01"}, None)


@pytest.mark.parametrize(
    ("first", "second"), [("2024-05-02", "2024-05-01"), ("2024-05-01", "2024-05-02")]
)
def test_a_url_in_two_live_sitemaps_keeps_its_latest_lastmod(
    site_server: SiteServer, first: str, second: str
) -> None:
    page = site_server.url("/p")
    site_server.route(
        "/sitemap.xml", index_of(site_server.url("/s-1.xml"), site_server.url("/s-2.xml"))
    )
    site_server.route("/s-1.xml", urlset_of({page: first}))
    site_server.route("/s-2.xml", urlset_of({page: second}))
    with WebClient(timeout=5) as client:
        found, _problem = read_live_listing(
            client, site_server.base_url, None, {page.encode()}, 1024 * 1024
        )
    assert found == {page.encode(): b"2024-05-02"}


# --- gate 2: which answers mean "not live yet" ----------------------------------------------


def verdict(direction: str, code: str | None, status: int | None) -> PageVerdict:
    return PageVerdict(f"{S}/p", direction, code is None, code, "r", status)


@pytest.mark.parametrize(
    ("direction", "code", "status", "waiting", "reason"),
    [
        ("added", "not_found", 404, True, "answered 404"),
        ("changed", "not_found", 410, True, "answered 410"),
        ("listed", "not_found", 404, True, "answered 404"),
        ("removed", "still_live", 200, True, "still answers 200"),
        ("added", None, 200, False, None),
        ("removed", None, 404, False, None),  # gone: sent
        ("added", "redirect", 301, False, None),  # final at once
        ("added", "noindex", 200, False, None),
        ("added", "status", 500, False, None),
        ("removed", "not_found", 404, False, None),  # gone is what a removed URL should be
        ("changed", "not_found", None, True, "answered no status"),
    ],
)
def test_not_live(
    direction: str, code: str | None, status: int | None, waiting: bool, reason: str | None
) -> None:
    found = verdict(direction, code, status)
    assert not_live(found) is waiting
    if reason is not None:
        assert not_live_reason(found) == reason


# --- the setting ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "0.5", "900", "21600"])
def test_wait_accepts_seconds_up_to_6_hours(value: str, tmp_path: Path) -> None:
    config = load_config({}, {"INDEXNOW_WAIT": value}, tmp_path)
    assert config.wait == float(value)


@pytest.mark.parametrize("value", ["-1", "21601", "nan", "inf", "soon", "1e400"])
def test_wait_refuses_what_is_not_seconds(value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({}, {"INDEXNOW_WAIT": value}, tmp_path)
    assert "INDEXNOW_WAIT" in str(caught.value)
    assert "from 0 to 21600" in str(caught.value) or "seconds" in str(caught.value)
    assert caught.value.exit_code == 2


def test_wait_from_the_config_file_and_the_default(tmp_path: Path) -> None:
    assert load_config({}, {}, tmp_path).wait == 0.0
    (tmp_path / "indexnow.yml").write_text("wait: 900\n", encoding="utf-8")
    assert load_config({}, {}, tmp_path).wait == 900.0
    assert load_config({"wait": 0.0}, {}, tmp_path).wait == 0.0  # the flag wins
    assert load_config({}, {"INDEXNOW_WAIT": " 2.5 "}, tmp_path).wait == 2.5
    (tmp_path / "indexnow.yml").write_text("wait: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="key 'wait'"):
        load_config({}, {}, tmp_path)


# --- from the mutation run --------------------------------------------------------------------


def test_a_live_url_without_a_readable_lastmod_is_listed_as_it_is(
    site_server: SiteServer,
) -> None:
    # Listed once with a lastmod no one can read: the URL is in the live sitemap, and what it
    # shows is named (not "not listed", which would wait for a listing that is there).
    page, bare = site_server.url("/p"), site_server.url("/bare")
    items = f"<url><loc>{page}</loc><lastmod>yesterday</lastmod></url><url><loc>{bare}</loc></url>"
    site_server.route(
        "/sitemap.xml",
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>',
    )
    with WebClient(timeout=5) as client:
        found, problem = read_live_listing(
            client, site_server.base_url, None, {page.encode(), bare.encode()}, 1024 * 1024
        )
    assert problem is None and set(found) == {page.encode(), bare.encode()}
    assert sitemap_gaps({page: None, bare: None}, found) == {}
    assert sitemap_gaps({page: "2024-03-01"}, found) == {
        page: "live sitemap shows lastmod yesterday, the build 2024-03-01"
    }


def settled_at_the_second_look(first: list[PageVerdict]) -> list[str]:
    """The progress lines of waiting for ``first``'s not-live pages, all live when looked at
    again (one recheck, on a fake clock)."""
    lines: list[str] = []

    def recheck(candidates: Sequence[Candidate]) -> list[PageVerdict]:
        return [PageVerdict(c.url, c.direction, True, None, "r", 200) for c in candidates]

    settle = PageSettler(recheck, Deadline(60.0, FakeTime().policy()), lines.append)
    final = settle([Candidate(v.url, v.direction) for v in first], first)
    assert all(v.send for v in final) and settle.rechecks == 1
    return lines


def test_waiting_for_pages_names_each_kind_of_not_live_in_its_progress_lines() -> None:
    # Two pages still serve the previous content, one answers 404, one removed page still
    # answers 200.
    lines = settled_at_the_second_look(
        [
            PageVerdict(f"{S}/a", "changed", False, "stale", "r", 200),
            PageVerdict(f"{S}/b", "changed", False, "stale", "r", 200),
            PageVerdict(f"{S}/c", "added", False, "not_found", "r", 404),
            PageVerdict(f"{S}/d", "removed", False, "still_live", "r", 200),
            PageVerdict(f"{S}/e", "added", True, None, "r", 200),
        ]
    )
    assert lines[0] == (
        "pages: 4 of 5 not live yet (1 answering 404/410, 2 still serving the previous "
        "content, 1 removed but still answering 2xx), waiting up to 1m00s more"
    )
    assert lines[-1] == "pages: all 5 checked pages are live"


def test_waiting_only_for_stale_copies_names_no_removed_page() -> None:
    lines = settled_at_the_second_look(
        [
            PageVerdict(f"{S}/a", "changed", False, "stale", "r", 200),
            PageVerdict(f"{S}/b", "added", True, None, "r", 200),
        ]
    )
    assert lines[0] == (
        "pages: 1 of 2 not live yet (1 still serving the previous content), waiting up to "
        "1m00s more"
    )
