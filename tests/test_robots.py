"""robots.txt: the rules per engine agent (pure, tables of cases over fixtures/robots), and the
RFC 9309 status rules around one fetch (a real site server on 127.0.0.1)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protego import Protego

from indexnow_sync import robots as robots_module
from indexnow_sync.errors import RobotsError
from indexnow_sync.indexnow import RetryPolicy, WaitBudget
from indexnow_sync.robots import (
    DEFAULT_AGENTS,
    ROBOTS_MAX_BYTES,
    FetchedRobots,
    RobotsDecision,
    RobotsRules,
    _path,
    _rule_matches,
    cut_to_limit,
    fetch_robots,
    judge,
    make_agents,
    parse_robots,
    read_robots_file,
    robots_url,
)
from indexnow_sync.web import WebClient, get_prefix
from tests.siteserver import SiteServer, answer

BING, YANDEX = make_agents(DEFAULT_AGENTS)
SITE = "https://site.example"


def rules_of(fixtures_dir: Path, name: str) -> RobotsRules:
    rules, _notes = parse_robots((fixtures_dir / "robots" / name).read_bytes())
    return rules


def _filled(last: bytes, size: int, *, end: bytes = b"\n") -> bytes:
    """A robots.txt of exactly ``size`` bytes: a group, comment filler, then ``last``."""
    head = b"User-agent: *" + end + b"Disallow: /private" + end
    filler = b"#" + b"x" * (size - len(head) - len(last) - 1 - len(end)) + end
    body = head + filler + last
    assert len(body) == size
    return body


# (file, path, allowed for bingbot, allowed for YandexBot)
CASES = [
    # a bingbot group replaces * for Bing (also spelt "Bingbot")
    ("bingbot-overrides-star.txt", "/", False, True),
    ("bingbot-overrides-star.txt", "/typo3/x", False, False),
    # no bingbot group: the legacy msnbot group applies to Bing
    ("msnbot-legacy.txt", "/", False, True),
    ("msnbot-legacy.txt", "/images/a.png", False, False),
    ("msnbot-legacy.txt", "/images/public/a.png", False, True),
    # "Yandex " with a trailing space is the Yandex group
    ("yandex-trailing-space.txt", "/", True, False),
    ("yandex-trailing-space.txt", "/admin/", False, False),
    # YandexBot's own group wins over "Yandex" and *; YandexImages is another robot
    ("yandex-specific-and-generic.txt", "/page?id=1", True, False),
    ("yandex-specific-and-generic.txt", "/private/x", True, True),
    ("yandex-specific-and-generic.txt", "/cgi-bin/x", False, True),
    # "Yandex bot" contains Yandex (Yandex's own rule); "Bing Bot" is no token bingbot obeys
    ("yandex-bot-with-space.txt", "/", True, False),
    # a whitelist: * is kept out, bingbot is listed in a shared group
    ("whitelist-shared-group.txt", "/", True, False),
    ("whitelist-shared-group.txt", "/search?q=x", False, False),
    # "bingbot/2.0" names bingbot; "MSNBot Media" names another robot
    ("bingbot-version-token.txt", "/", True, False),
    ("bingbot-version-token.txt", "/private/x", False, False),
    # BOM and CRLF: the first group still counts
    ("bom-crlf.txt", "/drafts/a", False, False),
    ("bom-crlf.txt", "/", True, False),
    # bare CR line endings
    ("bare-cr.txt", "/old/x", False, False),
    ("bare-cr.txt", "/old/keep", True, True),
    # $ anchors, * wildcards, longest match, Allow wins a tie
    ("wildcards-and-ties.txt", "/doc.pdf", False, False),
    ("wildcards-and-ties.txt", "/doc.pdf?x=1", True, True),
    ("wildcards-and-ties.txt", "/search", False, False),
    ("wildcards-and-ties.txt", "/search/help", True, True),
    ("wildcards-and-ties.txt", "/shop/a/b/cart", False, False),
    ("wildcards-and-ties.txt", "/tie", True, True),
    ("wildcards-and-ties.txt", "/fish/salmon", True, True),
    ("wildcards-and-ties.txt", "/fish/salmon/x", False, False),
    # comments after directives
    ("inline-comments.txt", "/tmp/a", False, False),
    ("inline-comments.txt", "/cgi-bin/a", False, False),
    ("inline-comments.txt", "/a", True, True),
    # "User Agent: *" (a space, no hyphen) is read, as Google and Protego read it
    ("user-agent-typo.txt", "/Account-Show", False, False),
    # no group for these engines and no *: allowed
    ("no-star-group.txt", "/", True, True),
    ("empty.txt", "/", True, True),
    # several * groups merge
    ("star-groups-merged.txt", "/users", False, False),
    ("star-groups-merged.txt", "/users/sign_in", True, True),
    ("star-groups-merged.txt", "/api/v1", False, False),
]


@pytest.mark.parametrize(("name", "path", "bing", "yandex"), CASES)
def test_rules_per_engine(
    fixtures_dir: Path, name: str, path: str, bing: bool, yandex: bool
) -> None:
    rules = rules_of(fixtures_dir, name)
    assert rules.decide(SITE + path, BING).allowed is bing
    assert rules.decide(SITE + path, YANDEX).allowed is yandex


def test_an_html_page_served_as_robots_txt_allows_everything_with_a_warning(
    fixtures_dir: Path,
) -> None:
    rules, notes = parse_robots((fixtures_dir / "robots" / "html-page.txt").read_bytes())
    assert rules.decide(SITE + "/", BING).allowed
    assert rules.decide(SITE + "/", YANDEX).allowed
    assert notes and "HTML page" in notes[0]
    # By its media type too, whatever the body looks like.
    _rules, typed = parse_robots(b"User-agent: *\nDisallow: /\n", "text/html")
    assert typed and "HTML" in typed[0]


def test_the_verdict_names_the_agents_groups_and_rules(fixtures_dir: Path) -> None:
    rules = rules_of(fixtures_dir, "bingbot-overrides-star.txt")
    both = judge(SITE + "/typo3/x", rules, (BING, YANDEX))
    assert both.blocked_for_all
    assert both.url == SITE + "/typo3/x"
    assert both.describe() == (
        "robots.txt disallows it for bingbot (group 'User-agent: bingbot', Disallow: /), "
        "YandexBot (group 'User-agent: *', Disallow: /typo3/)"
    )
    some = judge(SITE + "/", rules, (BING, YANDEX))
    assert not some.blocked_for_all
    assert [agent.name for agent, _ in some.blocked] == ["bingbot"]


def test_robots_agent_names_replace_the_defaults(fixtures_dir: Path) -> None:
    rules = rules_of(fixtures_dir, "whitelist-shared-group.txt")
    (duck,) = make_agents(["DuckDuckBot"])
    (other,) = make_agents(["SomeBot"])
    assert rules.decide(SITE + "/", duck).allowed
    assert not rules.decide(SITE + "/", other).allowed
    assert [a.name for a in make_agents(["bingbot", "BINGBOT", " ", "YandexBot"])] == [
        "bingbot",
        "YandexBot",
    ]


def test_cut_to_limit_keeps_whole_lines() -> None:
    body = b"User-agent: *\nDisallow: /a\nDisallow: /bbbbbbbb\n"
    assert cut_to_limit(body, 1000) == body
    assert cut_to_limit(body, 30) == b"User-agent: *\nDisallow: /a\n"
    assert cut_to_limit(b"x" * 50, 10) == b""


def test_robots_url_is_per_scheme_host_and_port() -> None:
    assert robots_url("https://Site.Example/a/b?c") == "https://site.example/robots.txt"
    assert robots_url("http://site.example:8080/x") == "http://site.example:8080/robots.txt"


# --- fetching with RFC 9309 status rules ----------------------------------------------------


def no_sleep_policy(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps.append, jitter=lambda _a, b: b)


def fetch(
    server: SiteServer, *, budget: float = 120.0, sleeps: list[float] | None = None
) -> FetchedRobots:
    waits: list[float] = [] if sleeps is None else sleeps
    policy = no_sleep_policy(waits)
    with WebClient(timeout=5) as client:
        return fetch_robots(
            client, server.url("/robots.txt"), policy=policy, budget=WaitBudget(budget)
        )


def test_2xx_rules_apply(site_server: SiteServer) -> None:
    site_server.route("/robots.txt", "User-agent: *\nDisallow: /x\n")
    fetched = fetch(site_server)
    assert fetched.status == 200
    assert not fetched.rules.decide(site_server.url("/x"), BING).allowed


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_4xx_allows_everything(site_server: SiteServer, status: int) -> None:
    site_server.route("/robots.txt", "User-agent: *\nDisallow: /\n", status=status)
    fetched = fetch(site_server)
    assert fetched.rules.decide(site_server.url("/x"), BING).allowed


@pytest.mark.parametrize("status", [500, 503, 429])
def test_5xx_and_429_are_an_error_after_retries(site_server: SiteServer, status: int) -> None:
    site_server.route("/robots.txt", "down", status=status)
    sleeps: list[float] = []
    with pytest.raises(RobotsError) as caught:
        fetch(site_server, sleeps=sleeps)
    assert f"answered {status}" in caught.value.message
    assert "disallow everything" in caught.value.message
    assert site_server.hits("/robots.txt") == 5
    assert len(sleeps) == 4


def test_a_5xx_that_recovers_is_retried(site_server: SiteServer) -> None:
    site_server.route(
        "/robots.txt",
        responses=[
            answer("busy", status=503, headers={"Retry-After": "2"}),
            answer("User-agent: *\nDisallow: /x\n"),
        ],
    )
    sleeps: list[float] = []
    fetched = fetch(site_server, sleeps=sleeps)
    assert sleeps == [2.0]
    assert not fetched.rules.decide(site_server.url("/x"), BING).allowed


def test_a_retry_after_beyond_the_budget_gives_up(site_server: SiteServer) -> None:
    site_server.route("/robots.txt", "busy", status=503, headers={"Retry-After": "60"})
    with pytest.raises(RobotsError):
        fetch(site_server, budget=10)
    assert site_server.hits("/robots.txt") == 1


def test_no_connection_is_an_error() -> None:
    with SiteServer() as server:
        url = server.url("/robots.txt")
    with WebClient(timeout=2) as client, pytest.raises(RobotsError) as caught:
        fetch_robots(client, url, policy=no_sleep_policy([]), budget=WaitBudget(0))
    assert "refused" in caught.value.message


def test_a_timeout_is_an_error(site_server: SiteServer) -> None:
    site_server.route("/robots.txt", "User-agent: *\n", delay=1.0)
    with WebClient(timeout=0.3) as client, pytest.raises(RobotsError) as caught:
        fetch_robots(
            client, site_server.url("/robots.txt"), policy=no_sleep_policy([]), budget=WaitBudget(0)
        )
    assert "0.3 s" in caught.value.message


def test_same_host_redirects_are_followed_up_to_five(site_server: SiteServer) -> None:
    for hop in range(5):
        site_server.route(f"/r{hop}", redirect_to=f"/r{hop + 1}")
    site_server.route("/robots.txt", redirect_to="/r0")
    site_server.route("/r5", "User-agent: *\nDisallow: /x\n")
    # robots.txt -> r0 -> ... -> r5 is six redirects: one too many, so unavailable.
    fetched = fetch(site_server)
    assert fetched.rules.decide(site_server.url("/x"), BING).allowed
    assert "counts as unavailable" in fetched.warnings[0]
    site_server.route("/robots.txt", redirect_to="/r1")  # five redirects: followed
    fetched = fetch(site_server)
    assert not fetched.rules.decide(site_server.url("/x"), BING).allowed


def test_a_redirect_to_another_host_is_unavailable(site_server: SiteServer) -> None:
    site_server.route("/robots.txt", redirect_to=site_server.url("/other", host="localhost"))
    site_server.route("/other", "User-agent: *\nDisallow: /\n")
    fetched = fetch(site_server)
    assert fetched.rules.decide(site_server.url("/x"), BING).allowed
    assert "localhost" in fetched.warnings[0]
    assert site_server.hits("/other") == 0


def test_a_redirect_to_no_url_is_unavailable(site_server: SiteServer) -> None:
    site_server.route("/robots.txt", "moved", status=301, headers={"Location": "http://[::1"})
    fetched = fetch(site_server)
    assert fetched.rules.decide(site_server.url("/x"), BING).allowed
    assert "http://[::1" in fetched.warnings[0]


def test_only_500_kib_are_read(site_server: SiteServer) -> None:
    # A rule beyond 500 KiB is never seen, as with engines; the file is not refused.
    filler = b"# " + b"x" * 1000 + b"\n"
    body = b"User-agent: *\nDisallow: /early\n" + filler * 600 + b"Disallow: /late\n"
    site_server.route("/robots.txt", body)
    fetched = fetch(site_server)
    rules = fetched.rules
    assert not rules.decide(site_server.url("/early"), BING).allowed
    assert rules.decide(site_server.url("/late"), BING).allowed
    assert "500 KiB" in fetched.warnings[0]


def test_an_html_page_at_robots_txt_allows_everything(site_server: SiteServer) -> None:
    site_server.route(
        "/robots.txt",
        "<!doctype html><html><body>Disallow: /</body></html>",
        content_type="text/html",
    )
    fetched = fetch(site_server)
    assert fetched.rules.decide(site_server.url("/x"), YANDEX).allowed
    assert "HTML page" in fetched.warnings[0]


# --- linear bounds (issue 21) ---------------------------------------------------------------
# Time bounds here are generous: each input took a minute or more before and takes well under
# a second after. Where a count says more, the count is asserted instead.

GENEROUS = 10.0


class CountingProtego(Protego):
    """Protego, counting how many robots.txt texts it is asked to parse."""

    parsed = 0

    @classmethod
    def parse(cls, content: str) -> CountingProtego:
        cls.parsed += 1
        return super().parse(content)


def test_naming_the_deciding_rule_does_not_parse_the_file_again_per_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 30,000 rules: naming the rule that blocked a URL parsed every Disallow on its own, per
    # URL (38 s for the URLs of one run before).
    monkeypatch.setattr(robots_module, "Protego", CountingProtego)
    CountingProtego.parsed = 0
    text = "User-agent: *\n" + "".join(f"Disallow: /p{i}/\n" for i in range(30_000))
    rules, _notes = parse_robots((text + "Disallow: /\n").encode())
    verdicts = [judge(f"{SITE}/x{i}", rules, (BING, YANDEX)) for i in range(10)]
    assert all(v.blocked_for_all for v in verdicts)
    assert "Disallow: /)" in verdicts[0].describe()
    assert judge(f"{SITE}/p17/a", rules, (BING,)).describe().endswith("Disallow: /p17/)")
    assert CountingProtego.parsed <= 2  # once per set of groups an agent obeys


def test_twenty_thousand_generic_yandex_groups_are_chosen_in_linear_time() -> None:
    # Each group was selected by asking Protego with its own name, and Protego compares every
    # group with the name asked: quadratic (killed at 93 s before).
    text = "".join(f"User-agent: x-yandex-{i}\nDisallow: /a{i}/\n\n" for i in range(20_000))
    started = time.monotonic()
    rules, _notes = parse_robots(text.encode())
    assert not rules.decide(f"{SITE}/a19999/x", YANDEX).allowed
    assert rules.decide(f"{SITE}/b", YANDEX).allowed
    assert rules.decide(f"{SITE}/a1/x", BING).allowed
    assert time.monotonic() - started < GENEROUS


def test_one_group_of_many_agents_and_many_rules_is_parsed_in_linear_time() -> None:
    # 12,000 User-agent lines sharing 12,000 rules: every rule was copied into every agent's
    # group (by Protego, and by the group index), 144 million copies.
    agents = "".join(f"User-agent: bot{i}\n" for i in range(12_000))
    text = agents + "User-agent: *\n" + "".join(f"Disallow: /d{i}/\n" for i in range(12_000))
    started = time.monotonic()
    rules, _notes = parse_robots(text.encode())
    assert not rules.decide(f"{SITE}/d11999/x", BING).allowed
    assert rules.decide(f"{SITE}/e", YANDEX).allowed
    assert time.monotonic() - started < GENEROUS


# --- what the rules must keep doing (issue 21: mutants that no test noticed) ----------------


def test_groups_after_sitemap_crawl_delay_host_and_unknown_lines_still_count() -> None:
    # PROTOCOL: Sitemap lines are independent of the groups; the other lines are records of
    # a group that do not end it early, and no line makes a later group vanish.
    text = (
        "Sitemap: https://site.example/sitemap.xml\n"
        "User-agent: *\n"
        "Crawl-delay: 10\n"
        "Disallow: /a/\n"
        "Host: site.example\n"
        "Unknown-directive: whatever\n"
        "Disallow: /b/\n"
        "\n"
        "Sitemap: https://site.example/news.xml\n"
        "User-agent: bingbot\n"
        "Sitemap: https://site.example/other.xml\n"
        "User-agent: YandexBot\n"
        "Request-rate: 1/5\n"
        "Disallow: /c/\n"
    )
    rules, _notes = parse_robots(text.encode())
    for agent in (BING, YANDEX):  # one group names both, across a Sitemap line
        assert not rules.decide(f"{SITE}/c/x", agent).allowed
        assert rules.decide(f"{SITE}/a/x", agent).allowed  # their group replaces *
    (other,) = make_agents(["SomeBot"])
    assert not rules.decide(f"{SITE}/a/x", other).allowed
    assert not rules.decide(f"{SITE}/b/x", other).allowed
    assert rules.decide(f"{SITE}/c/x", other).allowed


def test_yandexbot_never_obeys_another_yandex_robots_group() -> None:
    text = "User-agent: YandexImages\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"
    rules, _notes = parse_robots(text.encode())
    assert rules.decide(f"{SITE}/page", YANDEX).allowed  # * applies, not YandexImages
    assert not rules.decide(f"{SITE}/private/x", YANDEX).allowed
    assert rules.groups_for(YANDEX) == ("*",)


def test_a_custom_agent_obeys_the_longest_group_token_found_in_its_name() -> None:
    text = (
        "User-agent: acme\nDisallow: /a/\n\n"
        "User-agent: acme-news\nDisallow: /n/\n\n"
        "User-agent: *\nDisallow: /\n"
    )
    rules, _notes = parse_robots(text.encode())
    (agent,) = make_agents(["Acme-News-Crawler/2.1"])
    assert rules.groups_for(agent) == ("acme-news",)
    assert not rules.decide(f"{SITE}/n/x", agent).allowed
    assert rules.decide(f"{SITE}/a/x", agent).allowed
    (unknown,) = make_agents(["Zeta"])
    assert rules.groups_for(unknown) == ("*",)


def test_equally_specific_groups_are_combined() -> None:
    # RFC 9309 2.2.1: the rules of every matching group are combined into one group.
    text = "User-agent: Yandex\nDisallow: /p/\n\nUser-agent: yandex/1.0\nAllow: /p/open/\n"
    rules, _notes = parse_robots(text.encode())
    assert rules.groups_for(YANDEX) == ("yandex", "yandex/1.0")
    assert not rules.decide(f"{SITE}/p/x", YANDEX).allowed
    assert rules.decide(f"{SITE}/p/open/x", YANDEX).allowed


def test_the_cut_at_500_kib_never_leaves_half_a_rule(site_server: SiteServer) -> None:
    # A rule at 400 KiB is read (not cut at 256 KiB, the page limit); a rule crossing the
    # 500 KiB line is dropped whole: "Disallow: /private" cut after its "/" would block all.
    head = b"User-agent: *\n" + b"# " + b"x" * (400 * 1024) + b"\nDisallow: /at-400-kib\n"
    line = b"Disallow: /private\n"
    filler_size = ROBOTS_MAX_BYTES - len(head) - len(b"Disallow: /") - 2
    body = head + b"#" + b"x" * filler_size + b"\n" + line
    assert body.index(line) + len(b"Disallow: /") == ROBOTS_MAX_BYTES
    site_server.route("/robots.txt", body)
    rules = fetch(site_server).rules
    assert not rules.decide(site_server.url("/at-400-kib"), BING).allowed
    assert rules.decide(site_server.url("/"), BING).allowed
    assert rules.decide(site_server.url("/private"), BING).allowed


def test_invalid_utf_8_in_robots_txt_is_read_around() -> None:
    body = b"User-agent: *\n# caf\xe9 \xff\xfe\nDisallow: /a\xff/\nDisallow: /b/\n"
    rules, _notes = parse_robots(body)
    assert not rules.decide(f"{SITE}/b/x", BING).allowed
    assert rules.decide(f"{SITE}/c", BING).allowed


@pytest.mark.parametrize("failure", ["drop", "timeout"])
def test_a_dropped_or_timed_out_robots_txt_is_retried_within_the_budget(
    site_server: SiteServer, failure: str
) -> None:
    first = answer(drop=True) if failure == "drop" else answer("late", delay=2.0)
    site_server.route("/robots.txt", responses=[first, answer("User-agent: *\nDisallow: /x\n")])
    sleeps: list[float] = []
    with WebClient(timeout=0.5) as client:
        fetched = fetch_robots(
            client,
            site_server.url("/robots.txt"),
            policy=no_sleep_policy(sleeps),
            budget=WaitBudget(10),
        )
    assert not fetched.rules.decide(site_server.url("/x"), BING).allowed
    assert len(sleeps) == 1
    assert site_server.hits("/robots.txt") == 2


def test_a_retry_after_date_is_honoured_for_robots_txt(site_server: SiteServer) -> None:
    site_server.route(
        "/robots.txt",
        responses=[
            answer("busy", status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:05 GMT"}),
            answer("User-agent: *\nDisallow: /x\n"),
        ],
    )
    sleeps: list[float] = []
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    policy = RetryPolicy(sleep=sleeps.append, jitter=lambda _a, b: b, wall_clock=lambda: now)
    with WebClient(timeout=5) as client:
        fetch_robots(client, site_server.url("/robots.txt"), policy=policy, budget=WaitBudget(60))
    assert sleeps == [5.0]


# --- how lines are read, and the rule a message names (from the mutation run) ----------------


def decisions(text: str, path: str) -> tuple[bool, bool]:
    rules, _notes = parse_robots(text.encode())
    return rules.decide(SITE + path, BING).allowed, rules.decide(SITE + path, YANDEX).allowed


@pytest.mark.parametrize(
    ("text", "path", "bing", "yandex"),
    [
        # "field value" without a colon, as Protego reads it, and its misspellings of Disallow
        ("User-agent *\nDisallow /x\n", "/x/1", False, False),
        ("User agent bingbot\nDissallow /x\n", "/x/1", False, True),
        ("useragent: yandexbot\ndisalow: /x\n", "/x/1", True, False),
        ("User-agent: *\nDisallow /a:b\n", "/a:b/1", False, False),
        # an unknown "field: value" ends a run of User-agent lines; a line that is no
        # directive at all does not
        ("User-agent: bingbot\nfoo:bar\nUser-agent: YandexBot\nDisallow: /c\n", "/c", True, False),
        (
            "User-agent: bingbot\njust words\nUser-agent: YandexBot\nDisallow: /c\n",
            "/c",
            False,
            False,
        ),
        (
            "User-agent: bingbot\n# note: x\nUser-agent: YandexBot\nDisallow: /c\n",
            "/c",
            False,
            False,
        ),
        # an empty Disallow is no rule but ends the run; an empty User-agent opens nothing
        (
            "User-agent: bingbot\nDisallow:\nUser-agent: YandexBot\nDisallow: /c\n",
            "/c",
            True,
            False,
        ),
        ("User-agent: bingbot\nDisallow: /a\nUser-agent:\nDisallow: /b\n", "/b", True, True),
        # a rule before any User-agent belongs to nobody
        ("Disallow: /a\nUser-agent: *\nDisallow: /b\n", "/a", True, True),
        # a comment ends at its first "#"
        ("User-agent: *\nDisallow: /a # one # two\n", "/a/x", False, False),
        ("User-agent: *\nDisallow: /a#b\n", "/a", False, False),
        ("User-agent: bingbot # Bing # its crawler\nDisallow: /c\n", "/c", False, True),
        # "field value" keeps the value's words (YandexBot, spelt "Yandex Bot")
        ("User-agent Yandex Bot\nDisallow: /c\n", "/c", True, False),
        # "Yandex*" is filed under "yandex" as well (Protego drops the wildcard)
        ("User-agent: Yandex*\nDisallow: /y\n", "/y", True, False),
        # a /version is dropped, however many slashes follow
        ("User-agent: YandexBot/3.0/beta\nDisallow: /v\n", "/v", True, False),
        ("User-agent: bingbot/2.0/beta\nDisallow: /v\n", "/v", False, True),
    ],
)
def test_lines_are_read_as_directives(text: str, path: str, bing: bool, yandex: bool) -> None:
    assert decisions(text, path) == (bing, yandex)


@pytest.mark.parametrize(
    ("rules", "path", "named"),
    [
        ("Disallow: /a\nDisallow: /a/b\nDisallow: /\n", "/a/b/c", "Disallow: /a/b"),
        ("Disallow: /*.pdf$\nDisallow: /x\n", "/doc.pdf", "Disallow: /*.pdf$"),
        ("Disallow: /*?\n", "/p?q=1", "Disallow: /*?"),
        ("Disallow: /a*b*c\n", "/a-b-c-d", "Disallow: /a*b*c"),
        ("Disallow: /caf%C3%A9/\n", "/café/x", "Disallow: /caf%C3%A9/"),
        ("Disallow: /end$\nDisallow: /e\n", "/end", "Disallow: /end$"),
        ("Disallow: /a*\nDisallow: /*b\n", "/ab", "Disallow: /a*"),  # the first of equals
        # (from the mutation run) the query counts; a bare origin's path is '/'
        ("Disallow: /p\nDisallow: /p?x\n", "/p?x=1", "Disallow: /p?x"),
        ("Disallow: /\n", "", "Disallow: /"),
        # each piece found at its first place after the last one, never before it
        ("Disallow: /a*b*c\n", "/a-b-c-b", "Disallow: /a*b*c"),
        ("Disallow: /x*ab*b\nDisallow: /x\n", "/x-ab", "Disallow: /x"),
        ("Disallow: /ab*b$\nDisallow: /a\n", "/ab", "Disallow: /a"),
        ("Disallow: /ab*b\nDisallow: /a\n", "/ab", "Disallow: /a"),
        # a pattern that starts with '*' can match from the path's first character
        ("Disallow: */private\n", "/private", "Disallow: */private"),
        ("Disallow: */private*x\n", "/private/x", "Disallow: */private*x"),
    ],
)
def test_the_message_names_the_longest_rule_that_matched(rules: str, path: str, named: str) -> None:
    found = judge(SITE + path, parse_robots(f"User-agent: *\n{rules}".encode())[0], (BING,))
    assert found.blocked_for_all
    assert (
        found.describe() == f"robots.txt disallows it for bingbot (group 'User-agent: *', {named})"
    )


def test_combined_groups_name_the_group_whose_rule_decided() -> None:
    text = "User-agent: Yandex\nDisallow: /p/\n\nUser-agent: yandex/1.0\nDisallow: /p/deep/\n"
    rules, _notes = parse_robots(text.encode())
    found = judge(f"{SITE}/p/deep/x", rules, (YANDEX,))
    assert "group 'User-agent: yandex/1.0', Disallow: /p/deep/" in found.describe()


@given(
    pattern=st.text(alphabet="ab/.*", max_size=8).map(lambda p: "/" + p)
    | st.text(alphabet="ab/.*", max_size=6).map(lambda p: f"/{p}$"),
    path=st.text(alphabet="ab/.", max_size=10),
    query=st.none() | st.text(alphabet="ab=*", max_size=4),
    fragment=st.none() | st.text(alphabet="ab?", max_size=3),
)
@settings(max_examples=400, deadline=None)
def test_the_rule_named_matches_exactly_where_protego_matches(
    pattern: str, path: str, query: str | None, fragment: str | None
) -> None:
    # The rule named in a message is found by robots.py's own one-pass matcher; Protego,
    # which decides, is the plain reading it must agree with, rule by rule.
    url = f"{SITE}/{path}" + ("" if query is None else f"?{query}")
    url += "" if fragment is None else f"#{fragment}"
    if urlsplit(url).path == "/robots.txt":
        return  # Protego always allows robots.txt itself
    single = Protego.parse(f"User-agent: *\nDisallow: {pattern}\n")
    assert _rule_matches(pattern, _path(url)) is (not single.can_fetch(url, "x"))


def test_a_custom_agent_name_of_two_words_obeys_no_two_word_group() -> None:
    # "Some Bot" is no product token: such a group is for no crawler, as for "Bing Bot".
    text = "User-agent: some bot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"
    rules, _notes = parse_robots(text.encode())
    (agent,) = make_agents(["Some Bot"])
    assert rules.groups_for(agent) == ("*",)
    assert rules.decide(f"{SITE}/page", agent).allowed


@pytest.mark.parametrize(
    "start", ["<html><head><title>x</title>", "  \n<head>", "\n\n<!DOCTYPE html>"]
)
def test_html_is_recognised_by_how_it_starts(start: str) -> None:
    rules, notes = parse_robots(f"{start}User-agent: *\nDisallow: /\n".encode())
    assert rules.decide(f"{SITE}/x", BING).allowed
    assert notes and "HTML page" in notes[0]


def test_a_file_of_exactly_the_limit_is_read_whole() -> None:
    body = b"User-agent: *\nDisallow: /a\nDisallow: /bbbb"
    assert cut_to_limit(body, len(body)) == body


def test_the_last_rule_of_a_whole_file_counts_without_a_final_newline(
    site_server: SiteServer,
) -> None:
    site_server.route("/robots.txt", b"User-agent: *\nDisallow: /last")
    assert not fetch(site_server).rules.decide(site_server.url("/last"), BING).allowed


def test_an_allowed_decision_names_the_group_applied_and_no_rule() -> None:
    rules, _notes = parse_robots(b"User-agent: *\nDisallow: /private/\n")
    assert rules.decide(f"{SITE}/page", BING) == RobotsDecision(True, "*", "")
    empty, _notes = parse_robots(b"User-agent: GPTBot\nDisallow: /\n")
    assert empty.groups_for(BING) == ()
    assert empty.decide(f"{SITE}/page", BING) == RobotsDecision(True, "", "")


def test_a_wildcard_in_a_user_agent_is_dropped_as_protego_drops_it() -> None:
    text = "User-agent: bingbot*\nDisallow: /b\n\nUser-agent: *\nDisallow: /\n"
    rules, _notes = parse_robots(text.encode())
    assert rules.groups_for(BING) == ("bingbot",)
    assert not rules.decide(f"{SITE}/b", BING).allowed
    assert rules.decide(f"{SITE}/other", BING).allowed


@pytest.mark.parametrize(
    ("status", "allowed", "warned"),
    [(300, True, True), (399, True, True), (400, True, False), (404, True, False)],
)
def test_statuses_at_the_edges_of_3xx(
    site_server: SiteServer, status: int, allowed: bool, warned: bool
) -> None:
    site_server.route("/robots.txt", "User-agent: *\nDisallow: /\n", status=status)
    fetched = fetch(site_server)
    assert fetched.status == status and fetched.url == site_server.url("/robots.txt")
    assert fetched.rules.decide(site_server.url("/x"), BING).allowed is allowed
    assert bool(fetched.warnings) is warned
    if warned:
        assert fetched.warnings[0].startswith(
            f"{site_server.url('/robots.txt')} redirects ({status}) to (no Location)"
        )


def test_the_warnings_and_errors_name_the_robots_txt(site_server: SiteServer) -> None:
    url = site_server.url("/robots.txt")
    filler = b"# " + b"x" * (600 * 1024) + b"\n"
    site_server.route("/robots.txt", b"User-agent: *\n" + filler)
    (warning,) = fetch(site_server).warnings
    assert warning == (
        f"{url} is larger than 500 KiB: only its first 500 KiB are read, as engines do; "
        "keep it smaller"
    )
    site_server.route("/robots.txt", "late", delay=2.0)
    with WebClient(timeout=0.3) as client, pytest.raises(RobotsError) as caught:
        fetch_robots(client, url, policy=no_sleep_policy([]), budget=WaitBudget(0))
    assert caught.value.message.startswith(
        f"{url} could not be read: the site did not answer completely within 0.3 s"
    )
    site_server.route("/robots.txt", "down", status=503)
    with pytest.raises(RobotsError) as failed:
        fetch(site_server, budget=0)
    assert failed.value.message.startswith(
        f"{url} answered 503; nothing was submitted\nengines treat an unreachable robots.txt"
    )


def test_an_answer_read_before_is_interpreted_for_its_own_url(site_server: SiteServer) -> None:
    url = site_server.url("/robots.txt")
    site_server.route("/robots.txt", "<html><body>hi</body></html>", content_type="text/html")
    with WebClient(timeout=5) as client:
        known = get_prefix(client, url)
        fetched = fetch_robots(
            client, url, policy=no_sleep_policy([]), budget=WaitBudget(0), known=known
        )
    assert site_server.hits("/robots.txt") == 1
    assert fetched.url == url and fetched.warnings[0].startswith(f"{url} is an HTML page")


# --- the build's robots.txt, read from disk (from the mutation run) --------------------------


def test_a_builds_robots_txt_of_exactly_the_limit_is_read_to_its_last_byte(
    tmp_path: Path,
) -> None:
    # Read one byte short, 'Disallow: /x' would end as 'Disallow: /', blocking the site.
    path = tmp_path / "robots.txt"
    path.write_bytes(_filled(b"Disallow: /x", ROBOTS_MAX_BYTES))
    rules, notes = read_robots_file(path)
    assert notes == []
    assert rules.decide(f"{SITE}/y", BING).allowed
    assert not rules.decide(f"{SITE}/x", BING).allowed
    assert not rules.decide(f"{SITE}/private", BING).allowed


def test_a_builds_robots_txt_over_the_limit_ends_at_its_last_whole_line(tmp_path: Path) -> None:
    path = tmp_path / "robots.txt"
    path.write_bytes(_filled(b"Disallow: /xyz", ROBOTS_MAX_BYTES + 4))  # cut at 'Disallow: /'
    rules, _notes = read_robots_file(path)
    assert rules.decide(f"{SITE}/y", BING).allowed  # the half rule is dropped, not obeyed
    assert not rules.decide(f"{SITE}/private", BING).allowed


def test_a_robots_txt_with_cr_line_ends_cut_at_the_limit_keeps_its_whole_lines(
    tmp_path: Path,
) -> None:
    # Old Mac line ends (CR only) are line ends too (RFC 9309): the cut is at the last CR,
    # not the first, so the rules before it stay.
    path = tmp_path / "robots.txt"
    path.write_bytes(_filled(b"Disallow: /xyz", ROBOTS_MAX_BYTES + 4, end=b"\r"))
    rules, _notes = read_robots_file(path)
    assert not rules.decide(f"{SITE}/private", BING).allowed
    assert rules.decide(f"{SITE}/y", BING).allowed


def test_an_unhealthy_robots_txt_error_says_what_to_do(site_server: SiteServer) -> None:
    url = site_server.url("/robots.txt")
    site_server.route("/robots.txt", "down", status=503)
    with pytest.raises(RobotsError) as failed:
        fetch(site_server, budget=0)
    assert failed.value.message.splitlines() == [
        f"{url} answered 503; nothing was submitted",
        "engines treat an unreachable robots.txt as 'disallow everything' (RFC 9309)",
        "fix: retry when the site is healthy, or use --check off to submit without checking",
    ]


def test_a_robots_txt_that_cannot_be_read_keeps_the_fetch_errors_own_fix(
    site_server: SiteServer,
) -> None:
    # (from the mutation run) https:// on a plain-HTTP port: the fix is the scheme, not
    # "retry when the site is healthy"
    url = "https" + site_server.url("/robots.txt").removeprefix("http")
    plain = site_server.base_url
    with WebClient(timeout=5) as client, pytest.raises(RobotsError) as caught:
        fetch_robots(client, url, policy=no_sleep_policy([]), budget=WaitBudget(0))
    assert caught.value.message.splitlines() == [
        f"{url} could not be read: the TLS handshake failed: it answers plain HTTP; nothing "
        "was submitted",
        "engines treat an unreachable robots.txt as 'disallow everything' (RFC 9309)",
        f"fix: use http:// ({plain}) in --site, --live or --key-location",
    ]
