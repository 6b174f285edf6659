"""Endpoint fallback (SPEC "Submitting"): a batch that exhausted its retries on 429, 5xx or
connection errors goes to the next endpoint (by default indexnow, then bing, then yandex),
within the run's one waiting budget; a refusal does not; one named endpoint means no fallback.
The report names the endpoint that accepted each batch. Real local endpoints on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from indexnow_sync.errors import UsageError
from indexnow_sync.indexnow import (
    DEFAULT_ENDPOINTS,
    ENDPOINTS,
    RetryPolicy,
    WaitBudget,
    resolve_endpoints,
    submit,
)
from indexnow_sync.models import RequestRecord
from indexnow_sync.web import WebClient
from tests.indexnow_server import Answer, IndexNowServer
from tests.siteserver import SiteServer

KEY = "3f9a0b1c2d3e4f5a6b7c8d9e0f1a4c8d"


class Waits:
    """Sleeps that only record (the jitter is its upper bound): every wait exact, instant."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def policy(self, **overrides: float) -> RetryPolicy:
        return RetryPolicy(
            sleep=self.sleeps.append,
            jitter=lambda _low, high: high,
            **overrides,  # type: ignore[arg-type]
        )


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        server.route(f"/{KEY}.txt", KEY)
        yield server


@pytest.fixture
def endpoints() -> Iterator[list[IndexNowServer]]:
    with IndexNowServer() as first, IndexNowServer() as second, IndexNowServer() as third:
        yield [first, second, third]


@pytest.fixture
def client() -> Iterator[WebClient]:
    with WebClient(timeout=0.5) as web:
        yield web


def pages(site: SiteServer, count: int) -> list[str]:
    return [site.url(f"/page/{i}") for i in range(count)]


def urls_of(servers: list[IndexNowServer]) -> list[str]:
    return [server.endpoint for server in servers]


def outcomes(records: tuple[RequestRecord, ...]) -> list[tuple[str, str, int]]:
    return [(r.endpoint, r.outcome, r.attempts) for r in records]


# --- which endpoints -------------------------------------------------------------------------


def test_the_default_is_indexnow_then_bing_then_yandex() -> None:
    assert DEFAULT_ENDPOINTS == ("indexnow", "bing", "yandex")
    assert resolve_endpoints(None) == (
        ENDPOINTS["indexnow"],
        ENDPOINTS["bing"],
        ENDPOINTS["yandex"],
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("indexnow", ("https://api.indexnow.org/indexnow",)),  # one named: no fallback
        ("bing", ("https://www.bing.com/indexnow",)),
        (
            "indexnow, Bing",
            ("https://api.indexnow.org/indexnow", "https://www.bing.com/indexnow"),
        ),
        ("yandex,http://127.0.0.1:9/x", ("https://yandex.com/indexnow", "http://127.0.0.1:9/x")),
        ("bing,bing,www.bing.com", None),
        # a comma inside a URL stays in it (a review finding: it made two endpoints)
        ("http://127.0.0.1:9/ep?x=1,2", ("http://127.0.0.1:9/ep?x=1,2",)),
        (
            "http://127.0.0.1:9/ep?x=1,2, bing,https://h.example/?a=1,b=2",
            ("http://127.0.0.1:9/ep?x=1,2", ENDPOINTS["bing"], "https://h.example/?a=1,b=2"),
        ),
        ("bing,2", None),  # (a name holds no comma)
        ("http://127.0.0.1:9/ep?r=a:b,c:d", ("http://127.0.0.1:9/ep?r=a:b,c:d",)),
        ("bing,,yandex", None),
        ("bing,google", None),
        (",", None),
    ],
)
def test_endpoint_lists(value: str, expected: tuple[str, ...] | None) -> None:
    if expected is None:
        with pytest.raises(UsageError) as caught:
            resolve_endpoints(value)
        assert "--endpoint" in caught.value.message
    else:
        assert resolve_endpoints(value) == expected


def test_a_name_after_a_comma_in_a_url_says_how_to_keep_the_comma_in_it() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_endpoints("https://h.example/ep?engines=a,b")
    assert caught.value.message.splitlines()[0] == "--endpoint 'b' is not an endpoint name or URL"
    assert caught.value.message.splitlines()[-1] == (
        "if the comma before it is part of the URL https://h.example/ep?engines=a, write it as %2C"
    )


def test_an_empty_name_in_the_list_is_an_error_in_three_lines() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_endpoints("bing,,yandex")
    assert caught.value.message.splitlines() == [
        "--endpoint lists an empty name",
        "got 'bing,,yandex'",
        "fix: separate names or URLs with one comma each, e.g. --endpoint indexnow,bing",
    ]


def test_progress_lines_call_a_known_endpoint_by_its_name() -> None:
    from indexnow_sync.indexnow import _endpoint_label

    assert [_endpoint_label(url, "shown") for url in ENDPOINTS.values()] == list(ENDPOINTS)
    assert _endpoint_label("http://127.0.0.1:9/x", "http://127.0.0.1:9/x") == (
        "http://127.0.0.1:9/x"
    )


def test_an_endpoint_named_twice_is_tried_once() -> None:
    assert resolve_endpoints("bing,yandex,bing") == (ENDPOINTS["bing"], ENDPOINTS["yandex"])


# --- falling back ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        Answer(status=429, body="Too Many Requests"),
        Answer(status=503),
        Answer(drop=True),
    ],
    ids=["429", "503", "dropped"],
)
def test_a_batch_that_exhausts_its_retries_goes_to_the_next_endpoint(
    site: SiteServer,
    client: WebClient,
    endpoints: list[IndexNowServer],
    failure: Answer,
) -> None:
    first, second, third = endpoints
    first.script(*[failure] * 3)
    urls = pages(site, 3)
    waits = Waits()
    done: list[RequestRecord] = []
    result = submit(
        client,
        urls_of(endpoints),
        KEY,
        None,
        urls,
        policy=waits.policy(max_attempts=3),
        on_batch_done=lambda _batch, record: done.append(record),
    )
    assert result.submitted == tuple(urls)
    assert result.failed == ()
    assert outcomes(result.requests) == [
        (first.endpoint, "passed_on", 3),
        (second.endpoint, "accepted", 1),
    ]
    assert [r.endpoint for r in done] == [second.endpoint]  # the one that accepted
    assert second.accepted == urls and first.accepted == [] and third.requests == []
    assert len(waits.sleeps) == 2  # between the first endpoint's three attempts only
    (warning,) = result.warnings
    assert first.endpoint in warning and second.endpoint in warning


def test_later_batches_start_at_the_endpoint_that_accepted(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    first, second, _third = endpoints
    first.script(*[Answer(status=429)] * 3)
    urls = pages(site, 6)
    result = submit(
        client,
        urls_of(endpoints),
        KEY,
        None,
        urls,
        policy=Waits().policy(max_attempts=3),
        max_per_request=2,
    )
    assert result.submitted == tuple(urls)
    assert outcomes(result.requests) == [
        (first.endpoint, "passed_on", 3),
        (second.endpoint, "accepted", 1),
        (second.endpoint, "accepted", 1),
        (second.endpoint, "accepted", 1),
    ]
    assert len(first.requests) == 3


def test_a_refusal_does_not_fall_back(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    # 403 says the key file is wrong: every engine shares that verdict, so it stops the run.
    first, second, _third = endpoints
    first.script(Answer(status=403, body="Forbidden"))
    urls = pages(site, 2)
    result = submit(client, urls_of(endpoints), KEY, None, urls, policy=Waits().policy())
    assert result.failed == tuple(urls)
    assert outcomes(result.requests) == [(first.endpoint, "refused", 1)]
    assert second.requests == []


def test_every_endpoint_exhausted_fails_the_batch_and_the_rest(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    for server in endpoints:
        server.script(*[Answer(status=503)] * 2)
    urls = pages(site, 4)
    result = submit(
        client,
        urls_of(endpoints),
        KEY,
        None,
        urls,
        policy=Waits().policy(max_attempts=2),
        max_per_request=2,
    )
    assert result.submitted == ()
    assert result.failed == tuple(urls)
    assert [r.outcome for r in result.requests] == [
        "passed_on",
        "passed_on",
        "exhausted",
        "not_sent",
    ]
    assert [len(server.requests) for server in endpoints] == [2, 2, 2]


def test_the_endpoints_share_the_runs_one_waiting_budget(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    # 3 s for the run: the first endpoint's Retry-After 2 is waited out, its second one is
    # more than what is left (passed on at once), and so is the second endpoint's.
    first, second, third = endpoints
    first.script(*[Answer(status=429, headers={"Retry-After": "2"})] * 2)
    second.script(Answer(status=429, headers={"Retry-After": "2"}))
    waits = Waits()
    result = submit(
        client,
        urls_of(endpoints),
        KEY,
        None,
        pages(site, 1),
        policy=waits.policy(),
        budget=WaitBudget(3),
    )
    assert waits.sleeps == [2.0]
    assert outcomes(result.requests) == [
        (first.endpoint, "passed_on", 2),
        (second.endpoint, "passed_on", 1),
        (third.endpoint, "accepted", 1),
    ]
    assert "Retry-After 2 s is more than the 1 s of waiting left" in result.requests[1].detail


def test_a_retry_after_beyond_the_budget_falls_back_without_waiting(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    first, second, _third = endpoints
    first.script(Answer(status=429, headers={"Retry-After": "3600"}))
    waits = Waits()
    result = submit(client, urls_of(endpoints), KEY, None, pages(site, 2), policy=waits.policy())
    assert waits.sleeps == []
    assert outcomes(result.requests) == [
        (first.endpoint, "passed_on", 1),
        (second.endpoint, "accepted", 1),
    ]


def test_one_endpoint_means_no_fallback(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    first, second, _third = endpoints
    first.script(*[Answer(status=429)] * 3)
    result = submit(
        client, first.endpoint, KEY, None, pages(site, 2), policy=Waits().policy(max_attempts=3)
    )
    assert outcomes(result.requests) == [(first.endpoint, "exhausted", 3)]
    assert second.requests == []


def test_a_dry_run_names_the_first_endpoint(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    result = submit(client, urls_of(endpoints), KEY, None, pages(site, 2), dry_run=True)
    assert outcomes(result.requests) == [(endpoints[0].endpoint, "dry_run", 0)]
    assert all(server.requests == [] for server in endpoints)


# --- what the lines say ----------------------------------------------------------------------


def test_a_retry_after_date_far_off_reads_in_days_and_one_url_is_singular(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    # A review finding: "Retry-After 2.29967e+09 s", "gave up on 1 URLs".
    from datetime import datetime, timezone

    first, second, _third = endpoints
    first.script(Answer(status=429, headers={"Retry-After": "Fri, 02 Jan 2099 00:00:00 GMT"}))
    now = datetime(2099, 1, 1, tzinfo=timezone.utc).timestamp()
    policy = RetryPolicy(sleep=Waits().sleeps.append, wall_clock=lambda: now)
    lines: list[str] = []
    result = submit(
        client, urls_of(endpoints), KEY, None, pages(site, 1), policy=policy, progress=lines.append
    )
    gave_up = "Retry-After 1 day is more than the 120 s of waiting left"
    assert lines == [
        f"{first.endpoint} gave up after 1 attempt (HTTP 429; {gave_up}): sending batch 1 of 1 "
        f"to {second.endpoint}"
    ]
    assert result.warnings[0].startswith(f"{first.endpoint} gave up on 1 URL ({gave_up}; HTTP 429")


def test_the_waiting_left_never_reads_as_more_than_it_is(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    # A review finding: "49.9999 s of waiting left" after a wait that woke late.
    from tests.faketime import FakeTime

    fake = FakeTime()

    def wakes_late(seconds: float) -> None:
        fake.sleep(seconds + 0.0001)

    first, _second, _third = endpoints
    first.script(*(Answer(status=429, headers={"Retry-After": after}) for after in ("50", "60")))
    policy = RetryPolicy(sleep=wakes_late, clock=fake.clock)
    result = submit(
        client, urls_of(endpoints), KEY, None, pages(site, 1), policy=policy, budget=WaitBudget(100)
    )
    assert "gave up: Retry-After 60 s is more than the 49 s of waiting left" in (
        result.requests[0].detail
    )


def test_a_fallback_says_why_before_the_line_of_the_request_that_gave_up(
    site: SiteServer, client: WebClient, endpoints: list[IndexNowServer]
) -> None:
    # README: "... sending batch 1 of 2 to bing"; then the request's own line (POST ...).
    first, second, _third = endpoints
    first.script(Answer(status=503))
    lines: list[str] = []
    submit(
        client,
        urls_of(endpoints),
        KEY,
        None,
        pages(site, 1),
        policy=Waits().policy(max_attempts=1),
        progress=lines.append,
        on_record=lambda record: lines.append(f"{record.endpoint}: {record.outcome}"),
    )
    assert lines == [
        f"{first.endpoint} gave up after 1 attempt (HTTP 503): sending batch 1 of 1 to "
        f"{second.endpoint}",
        f"{first.endpoint}: passed_on",
        f"{second.endpoint}: accepted",
    ]
