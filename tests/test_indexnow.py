"""The IndexNow client against the strict local endpoint and a real local site."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexnow_sync.errors import FetchError, KeyFormatError, UsageError
from indexnow_sync.indexnow import (
    ENDPOINTS,
    Batch,
    RetryPolicy,
    make_batches,
    parse_retry_after,
    resolve_endpoint,
    submit,
)
from indexnow_sync.models import RequestRecord, SubmitResult
from indexnow_sync.web import HttpResponse, WebClient
from tests.indexnow_server import Answer, IndexNowServer, indexnow_server  # noqa: F401
from tests.siteserver import SiteServer

KEY = "3f9a0b1c2d3e4f5a6b7c8d9e0f1a4c8d"
FAST = RetryPolicy(max_attempts=3, max_wait_total=3.0, base_delay=0.05, max_delay=0.2)


class FakeTime:
    """An injected clock: ``sleep`` only advances it (by the delay plus ``oversleep``), and
    the jitter is its upper bound, so every wait a policy asks for is exact and instant."""

    def __init__(self, oversleep: float = 0.0) -> None:
        self.now = 1000.0
        self.oversleep = oversleep
        self.sleeps: list[float] = []
        self.jitter_ranges: list[tuple[float, float]] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds + self.oversleep

    def clock(self) -> float:
        return self.now

    def jitter(self, low: float, high: float) -> float:
        self.jitter_ranges.append((low, high))
        return high

    def policy(self, **overrides: Any) -> RetryPolicy:
        return RetryPolicy(jitter=self.jitter, sleep=self.sleep, clock=self.clock, **overrides)


@pytest.fixture
def site() -> Iterator[SiteServer]:
    """A site serving the correct key file at its root."""
    with SiteServer() as server:
        server.route(f"/{KEY}.txt", KEY)
        yield server


@pytest.fixture
def client() -> Iterator[WebClient]:
    with WebClient(timeout=2.0) as web:
        yield web


@pytest.fixture
def send_one(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> Callable[..., SubmitResult]:
    """Submit one page of the site to the strict endpoint under a retry policy."""

    def send(policy: RetryPolicy | None = FAST) -> SubmitResult:
        return submit(client, indexnow_server.endpoint, KEY, None, pages(site, 1), policy=policy)

    return send


def pages(site: SiteServer, count: int, prefix: str = "/page/") -> list[str]:
    return [site.url(f"{prefix}{i}") for i in range(count)]


def assert_key_hidden(result: SubmitResult) -> None:
    assert KEY not in repr(result)


# --- the happy path --------------------------------------------------------------------------


def test_only_the_given_urls_are_accepted_each_once(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    urls = pages(site, 5)
    result = submit(client, indexnow_server.endpoint, KEY, None, [*urls, urls[0]], policy=FAST)
    assert result.submitted == tuple(urls)
    assert result.failed == ()
    assert indexnow_server.accepted_counts() == dict.fromkeys(urls, 1)
    (record,) = result.requests
    assert (record.status, record.count, record.attempts, record.outcome) == (200, 5, 1, "accepted")
    assert record.host == f"127.0.0.1:{site.port}"
    assert_key_hidden(result)


def test_25000_urls_go_in_three_requests_reported_as_each_completes(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    urls = pages(site, 25_000)
    done: list[tuple[Batch, RequestRecord]] = []
    result = submit(
        client,
        indexnow_server.endpoint,
        KEY,
        None,
        urls,
        policy=FAST,
        on_batch_done=lambda batch, record: done.append((batch, record)),
    )
    assert [r.count for r in indexnow_server.requests] == [10_000, 10_000, 5_000]
    assert [r.count for r in result.requests] == [10_000, 10_000, 5_000]
    assert [list(batch.urls) for batch, _ in done] == [
        urls[:10_000],
        urls[10_000:20_000],
        urls[20_000:],
    ]
    assert result.submitted == tuple(urls)
    counts = indexnow_server.accepted_counts()
    assert len(counts) == 25_000
    assert set(counts.values()) == {1}
    # Like a real engine, the key file is fetched once for the run, not per request.
    assert site.hits(f"/{KEY}.txt") == 1


def test_key_location_is_sent_and_used_by_the_engine(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    site.route("/blog/key.txt", KEY)
    urls = pages(site, 3, prefix="/blog/post-")
    result = submit(client, indexnow_server.endpoint, KEY, site.url("/blog/key.txt"), urls)
    assert result.submitted == tuple(urls)
    assert site.hits("/blog/key.txt") == 1
    assert site.hits(f"/{KEY}.txt") == 0


def test_mixed_hosts_are_split_one_request_per_host(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    # localhost and 127.0.0.1 are two hosts served by the same site server.
    urls = [site.url("/a"), site.url("/b", host="localhost"), site.url("/c")]
    result = submit(client, indexnow_server.endpoint, KEY, None, urls, policy=FAST)
    assert [(r.host, r.count) for r in indexnow_server.requests] == [
        (f"127.0.0.1:{site.port}", 2),
        (f"localhost:{site.port}", 1),
    ]
    assert sorted(result.submitted) == sorted(urls)
    assert [r.outcome for r in result.requests] == ["accepted", "accepted"]


@pytest.mark.parametrize(("status", "outcome"), [(203, "accepted"), (202, "pending")])
def test_203_and_202_are_accepted(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
    status: int,
    outcome: str,
) -> None:
    indexnow_server.script(Answer(status=status))
    urls = pages(site, 2)
    result = submit(client, indexnow_server.endpoint, KEY, None, urls, policy=FAST)
    assert result.submitted == tuple(urls)
    assert result.failed == ()
    assert [(r.status, r.outcome) for r in result.requests] == [(status, outcome)]
    assert bool(result.warnings) == (status == 202)


def test_403_site_verification_not_completed_is_pending_not_a_wrong_key(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    indexnow_server.script(Answer(status=403, body='{"code":"SiteVerificationNotCompleted"}'))
    urls = pages(site, 2)
    done: list[RequestRecord] = []
    result = submit(
        client,
        indexnow_server.endpoint,
        KEY,
        None,
        urls,
        policy=FAST,
        on_batch_done=lambda _batch, record: done.append(record),
    )
    assert result.submitted == tuple(urls)
    assert [(r.status, r.outcome) for r in result.requests] == [(403, "pending")]
    assert len(done) == 1
    (warning,) = result.warnings
    # The warning quotes the answer, not the explanation that follows it in the record.
    assert '(HTTP 403: {"code":"SiteVerificationNotCompleted"})' in warning
    assert "a new key" not in warning


def test_dry_run_sends_nothing(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    result = submit(client, indexnow_server.endpoint, KEY, None, pages(site, 12_000), dry_run=True)
    assert indexnow_server.requests == []
    assert [(r.count, r.outcome, r.status) for r in result.requests] == [
        (10_000, "dry_run", None),
        (2_000, "dry_run", None),
    ]
    assert result.submitted == ()
    assert result.failed == ()


# --- refusals: stop at once -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "cause"),
    [
        (400, "Bad request", "invalid format"),
        (403, f"Key {KEY} not valid", "key file"),
        (422, "Url list cannot be empty", "not on the host"),
    ],
)
def test_refusals_stop_at_once_and_fail_every_later_batch(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
    status: int,
    body: str,
    cause: str,
) -> None:
    indexnow_server.script(Answer(status=status, body=body))
    urls = pages(site, 4)
    result = submit(
        client, indexnow_server.endpoint, KEY, None, urls, policy=FAST, max_per_request=2
    )
    assert len(indexnow_server.requests) == 1  # no retry, no later batch
    assert result.submitted == ()
    assert result.failed == tuple(urls)
    first, second = result.requests
    assert (first.status, first.attempts, first.outcome) == (status, 1, "refused")
    assert (first.endpoint, first.host, first.count) == (
        indexnow_server.endpoint,
        f"127.0.0.1:{site.port}",
        2,
    )
    assert f"HTTP {status}" in first.detail
    assert body.replace(KEY, "3f9a…4c8d") in first.detail
    assert cause in first.detail
    assert (second.outcome, second.attempts, second.status) == ("not_sent", 0, None)
    assert_key_hidden(result)


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_transient_statuses_are_retried(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
    status: int,
) -> None:
    # SPEC: 429 and 5xx (and a timeout: 408, 425 "too early") are retried.
    indexnow_server.script(Answer(status=status))
    urls = pages(site, 2)
    waits = FakeTime()
    result = submit(client, indexnow_server.endpoint, KEY, None, urls, policy=waits.policy())
    assert indexnow_server.statuses() == [status, 200]
    assert len(waits.sleeps) == 1
    assert result.submitted == tuple(urls)
    assert [(r.outcome, r.attempts) for r in result.requests] == [("accepted", 2)]


@pytest.mark.parametrize(
    ("status", "cause"),
    [
        (300, "redirects"),
        (301, "redirects"),
        (399, "redirects"),
        (404, "no IndexNow endpoint"),
        (405, "no IndexNow endpoint"),
        (409, "unexpected answer"),
        (413, "too large"),
        (499, "unexpected answer"),
    ],
)
def test_other_statuses_stop_without_retry(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
    status: int,
    cause: str,
) -> None:
    indexnow_server.script(Answer(status=status))
    waits = FakeTime()
    result = submit(
        client, indexnow_server.endpoint, KEY, None, pages(site, 2), policy=waits.policy()
    )
    assert indexnow_server.statuses() == [status]
    assert waits.sleeps == []
    (record,) = result.requests
    assert (record.status, record.outcome, record.attempts) == (status, "refused", 1)
    assert cause in record.detail


def test_403_names_the_key_file_the_engine_looked_for(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(Answer(status=403), Answer(status=403))
    result = send_one(FAST)
    assert f"http(s)://127.0.0.1:{site.port}/3f9a…4c8d.txt" in result.requests[0].detail
    location = site.url(f"/k/{KEY}.txt")
    result = submit(client, indexnow_server.endpoint, KEY, location, [site.url("/k/a")])
    assert f"{site.url('/k/')}3f9a…4c8d.txt" in result.requests[0].detail
    assert_key_hidden(result)


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (403, "SiteVerificationNotCompleted", "pending"),
        (403, "Site verification pending", "pending"),
        (403, "PENDING VERIFICATION of the site", "pending"),
        (403, "Forbidden", "refused"),
        (422, "SiteVerificationNotCompleted", "refused"),
        (403, "x" * 5000 + "SiteVerificationNotCompleted", "refused"),
    ],
)
def test_only_a_403_saying_verification_is_pending_counts_as_received(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
    status: int,
    body: str,
    outcome: str,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(Answer(status=status, body=body))
    result = send_one(FAST)
    assert [r.outcome for r in result.requests] == [outcome]
    assert bool(result.submitted) == (outcome == "pending")


def test_a_long_answer_is_shown_on_one_line_and_cut(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(Answer(status=400, body="bad\n  request " + "y" * 1000))
    result = send_one(FAST)
    detail = result.requests[0].detail
    shown = "bad request " + "y" * (300 - len("bad request "))
    assert detail.startswith(f"HTTP 400: {shown}…; likely cause: ")
    indexnow_server.script(Answer(status=400, body=""))
    result = send_one(FAST)
    assert result.requests[0].detail.startswith("HTTP 400: (empty body); likely cause: ")


def test_an_answer_of_exactly_300_characters_is_not_cut(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(Answer(status=400, body="y" * 300))
    result = send_one(FAST)
    assert result.requests[0].detail.startswith("HTTP 400: " + "y" * 300 + "; likely cause")


def test_verification_pending_is_looked_for_in_the_first_4_kib(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    marker = "SiteVerificationNotCompleted"
    indexnow_server.script(
        Answer(status=403, body="x" * (4096 - len(marker)) + marker),
        Answer(status=403, body="x" * (4097 - len(marker)) + marker),
    )
    first = send_one(FAST)
    second = send_one(FAST)
    assert [r.outcome for r in (*first.requests, *second.requests)] == ["pending", "refused"]


def test_every_record_names_the_endpoint_the_host_and_the_count(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    # The endpoint URL carries the key here: records show it shortened.
    endpoint = f"{indexnow_server.endpoint}?key={KEY}"
    shown = f"{indexnow_server.endpoint}?key=3f9a…4c8d"
    host = f"127.0.0.1:{site.port}"
    urls = pages(site, 5)
    indexnow_server.script(Answer(), Answer(status=503), Answer(status=503))
    waits = FakeTime()
    policy = waits.policy(max_attempts=2)
    result = submit(client, endpoint, KEY, None, urls, policy=policy, max_per_request=2)
    assert [
        (r.endpoint, r.host, r.count, r.status, r.attempts, r.outcome) for r in result.requests
    ] == [
        (shown, host, 2, 200, 1, "accepted"),
        (shown, host, 2, 503, 2, "exhausted"),
        (shown, host, 1, None, 0, "not_sent"),
    ]
    assert result.requests[0].detail == "HTTP 200"
    assert result.requests[2].detail == "not sent: an earlier batch failed"
    planned = submit(client, endpoint, KEY, None, urls, dry_run=True, max_per_request=2)
    assert [
        (r.endpoint, r.host, r.count, r.status, r.attempts, r.outcome, r.detail)
        for r in planned.requests
    ] == [(shown, host, 2, None, 0, "dry_run", "not sent")] * 2 + [
        (shown, host, 1, None, 0, "dry_run", "not sent")
    ]
    assert_key_hidden(result)
    assert_key_hidden(planned)


def test_a_pending_batch_warns_with_its_host_and_count(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    indexnow_server.script(Answer(status=202))
    result = submit(client, indexnow_server.endpoint, KEY, None, pages(site, 3), policy=FAST)
    (warning,) = result.warnings
    assert warning.startswith(
        f"127.0.0.1:{site.port}: 3 URLs received, key verification pending (HTTP 202: received, "
        "key validation pending)"
    )


def test_an_answer_that_is_not_utf_8_is_shown_not_fatal(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(
        Answer(status=400, body=b"bad \xff\xfe request"),
        Answer(status=403, body=b"\xff SiteVerificationNotCompleted"),
    )
    first = send_one(FAST)
    assert first.requests[0].detail.startswith("HTTP 400: bad \ufffd\ufffd request; likely")
    second = send_one(FAST)
    assert [r.outcome for r in second.requests] == ["pending"]


def test_retry_after_as_a_date_is_read_on_the_injected_wall_clock(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(
        Answer(status=503, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:50 GMT"})
    )
    waits = FakeTime()
    policy = RetryPolicy(
        jitter=waits.jitter,
        sleep=waits.sleep,
        clock=waits.clock,
        wall_clock=lambda: 1_700_000_000.0,
    )
    result = send_one(policy)
    assert waits.sleeps == [30.0]
    assert [(r.outcome, r.attempts) for r in result.requests] == [("accepted", 2)]


def test_the_waiting_left_is_shown_exactly_and_never_below_zero(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(Answer(status=429, headers={"Retry-After": "1"}))
    half = FakeTime().policy(max_wait_total=0.5)
    result = send_one(half)
    assert "Retry-After 1 s is more than the 0.5 s of waiting left" in result.requests[0].detail
    # Oversleeping the first 1 s wait by 5 s leaves -5 s of a 1 s budget: shown as 0.
    indexnow_server.script(Answer(status=503), Answer(status=429, headers={"Retry-After": "2"}))
    over = FakeTime(oversleep=5.0).policy(max_wait_total=1.0)
    result = send_one(over)
    assert "Retry-After 2 s is more than the 0 s of waiting left" in result.requests[0].detail


def test_the_last_second_of_the_budget_is_used(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(*[Answer(status=503)] * 6)
    waits = FakeTime()
    policy = waits.policy(max_wait_total=4.0, max_attempts=10)
    result = send_one(policy)
    assert waits.sleeps == [1.0, 2.0, 1.0]
    assert [(r.outcome, r.attempts) for r in result.requests] == [("exhausted", 4)]


def test_a_body_of_exactly_the_budget_is_one_request() -> None:
    urls = [f"https://example.com/page/{i}" for i in range(50)]
    exact = len(json.dumps(urls)) + 8 * 1024  # the budget is the limit less 8 KiB
    assert [len(b.urls) for b in make_batches(urls, max_body_bytes=exact)] == [50]
    assert len(make_batches(urls, max_body_bytes=exact - 1)) == 2


def test_the_default_body_limit_is_4_mib_with_8_kib_kept_for_the_envelope() -> None:
    # README: at most 4 MiB per request. 2,048 URLs of 2,040 characters make a urlList of
    # exactly 4 MiB - 8 KiB: one request; one character more: two.
    head = "https://example.com/"
    urls = [f"{head}{i:04d}" + "x" * (2040 - len(head) - 4) for i in range(2048)]
    assert len(json.dumps(urls)) == 4 * 1024 * 1024 - 8 * 1024
    assert [len(b.urls) for b in make_batches(urls)] == [2048]
    urls[-1] += "x"
    assert len(make_batches(urls)) == 2


def test_submit_splits_by_the_body_size_it_is_given(
    site: SiteServer,
    client: WebClient,
) -> None:
    urls = pages(site, 50)
    planned = submit(
        client,
        "http://127.0.0.1:9/indexnow",
        KEY,
        None,
        urls,
        dry_run=True,
        max_body_bytes=len(json.dumps(urls)) // 2 + 8 * 1024,
    )
    assert len(planned.requests) > 1
    assert sum(r.count for r in planned.requests) == 50


class FailingClient(WebClient):
    """A client whose every POST fails in our own transport layer with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(timeout=1.0)
        self.reason = reason
        self.posts = 0

    def post_json(self, url: str, body: bytes, *, timeout: float | None = None) -> HttpResponse:
        self.posts += 1
        raise FetchError(url, self.reason, f"{url}: failed ({self.reason})")


@pytest.mark.parametrize(
    ("reason", "attempts", "outcome"),
    [
        ("timeout", 5, "exhausted"),
        ("connection", 5, "exhausted"),
        # Not transient: retrying an off-host redirect, an oversized answer or a bad URL
        # gives the same answer, so the run stops at once.
        ("redirect_off_host", 1, "refused"),
        ("too_large", 1, "refused"),
        ("too_many_redirects", 1, "refused"),
        ("bad_url", 1, "refused"),
        ("bad_encoding", 1, "refused"),
    ],
)
def test_only_timeouts_and_dropped_connections_are_retried(
    reason: str, attempts: int, outcome: str
) -> None:
    failing = FailingClient(reason)
    waits = FakeTime()
    urls = ["https://example.com/a", "https://www.example.com/b"]
    endpoint = f"http://127.0.0.1:9/indexnow?key={KEY}"
    result = submit(failing, endpoint, KEY, None, urls, policy=waits.policy())
    assert failing.posts == attempts
    assert len(waits.sleeps) == attempts - 1
    assert [(r.outcome, r.attempts, r.status) for r in result.requests] == [
        (outcome, attempts, None),
        ("not_sent", 0, None),
    ]
    shown = "http://127.0.0.1:9/indexnow?key=3f9a…4c8d"
    assert result.requests[0].detail.startswith(f"{reason}: ")
    assert f"{shown}: failed ({reason})" in result.requests[0].detail
    assert result.failed == tuple(urls)
    assert_key_hidden(result)


def test_key_file_with_newline_is_refused_by_the_strict_engine(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    site.route(f"/{KEY}.txt", KEY + "\n")
    result = submit(client, indexnow_server.endpoint, KEY, None, pages(site, 2), policy=FAST)
    (record,) = result.requests
    assert (record.status, record.outcome) == (403, "refused")
    # (the CLI's fix names verify-key: tests/test_first_hour_review.py)
    assert "likely cause: the key is not valid" in record.detail
    assert indexnow_server.accepted == []
    assert_key_hidden(result)


def test_urls_outside_the_key_folder_are_refused_by_the_strict_engine(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    site.route("/blog/key.txt", KEY)
    result = submit(
        client, indexnow_server.endpoint, KEY, site.url("/blog/key.txt"), [site.url("/help/x")]
    )
    (record,) = result.requests
    assert (record.status, record.outcome) == (422, "refused")
    assert "outside the key location folder" in record.detail


# --- transient failures: retry within bounds -------------------------------------------------


def test_429_with_retry_after_waits_that_long_then_succeeds(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    indexnow_server.script(Answer(status=429, headers={"Retry-After": "7"}))
    urls = pages(site, 3)
    waits = FakeTime()
    result = submit(client, indexnow_server.endpoint, KEY, None, urls, policy=waits.policy())
    assert waits.sleeps == [7.0]
    assert indexnow_server.statuses() == [429, 200]
    (record,) = result.requests
    assert (record.status, record.attempts, record.outcome) == (200, 2, "accepted")
    assert indexnow_server.accepted_counts() == dict.fromkeys(urls, 1)


def test_the_default_sleep_really_waits_out_a_retry_after(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    # The one test on the real clock: a lower bound only, which load cannot break.
    indexnow_server.script(Answer(status=429, headers={"Retry-After": "0.3"}))
    start = time.monotonic()
    result = send_one(None)
    assert time.monotonic() - start >= 0.3
    assert [r.outcome for r in result.requests] == ["accepted"]


def test_429_without_retry_after_backs_off_exponentially(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    policy = RetryPolicy(
        max_attempts=4, base_delay=0.05, max_delay=1.0, jitter=lambda low, high: high, sleep=sleep
    )
    indexnow_server.script(Answer(status=429), Answer(status=429))
    result = submit(client, indexnow_server.endpoint, KEY, None, pages(site, 2), policy=policy)
    assert waits == [0.05, 0.1]
    assert indexnow_server.statuses() == [429, 429, 200]
    assert result.requests[0].attempts == 3
    assert result.failed == ()


def test_full_jitter_stays_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        delays = [policy.backoff(attempt) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jittered over the range, not stuck at zero


def test_dropped_connection_and_timeout_are_retried(
    site: SiteServer,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    # The slow answer comes 10x after the client's timeout: no load makes that a success.
    indexnow_server.script(Answer(drop=True), Answer(delay=3.0))
    urls = pages(site, 2)
    waits = FakeTime()
    with WebClient(timeout=0.3) as client:
        result = submit(client, indexnow_server.endpoint, KEY, None, urls, policy=waits.policy())
    assert result.submitted == tuple(urls)
    assert result.requests[0].attempts == 3
    assert len(waits.sleeps) == 2


def test_persistent_503_gives_up_after_its_attempts_with_every_url_failed(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    indexnow_server.script(*[Answer(status=503, body="Service Unavailable")] * 10)
    urls = pages(site, 6)
    waits = FakeTime()
    policy = waits.policy(max_attempts=3)
    result = submit(
        client, indexnow_server.endpoint, KEY, None, urls, policy=policy, max_per_request=2
    )
    assert len(indexnow_server.requests) == 3
    assert len(waits.sleeps) == 2
    assert result.submitted == ()
    assert result.failed == tuple(urls)
    assert [(r.outcome, r.attempts) for r in result.requests] == [
        ("exhausted", 3),
        ("not_sent", 0),
        ("not_sent", 0),
    ]
    assert "HTTP 503: Service Unavailable" in result.requests[0].detail
    assert "3 attempts" in result.requests[0].detail


def test_retry_after_beyond_the_budget_left_counts_as_exhausted(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    # SPEC: a Retry-After beyond what is left of the 2 minutes counts as exhausted at once.
    indexnow_server.script(Answer(status=429, headers={"Retry-After": "121"}))
    waits = FakeTime()
    result = submit(
        client, indexnow_server.endpoint, KEY, None, pages(site, 2), policy=waits.policy()
    )
    assert waits.sleeps == []
    (record,) = result.requests
    assert (record.status, record.attempts, record.outcome) == (429, 1, "exhausted")
    assert "Retry-After 121 s" in record.detail
    assert "120 s of waiting left" in record.detail


def test_retry_after_of_exactly_the_budget_left_is_waited_out(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    indexnow_server.script(Answer(status=429, headers={"Retry-After": "120"}))
    waits = FakeTime()
    result = submit(
        client, indexnow_server.endpoint, KEY, None, pages(site, 2), policy=waits.policy()
    )
    assert waits.sleeps == [120.0]
    assert [(r.outcome, r.attempts) for r in result.requests] == [("accepted", 2)]


def test_wait_budget_is_shared_by_the_whole_run(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    # 60 s budget: the first batch spends 50 s; the second batch's Retry-After 40 no
    # longer fits, although it would within a budget of its own.
    waits = FakeTime()
    policy = waits.policy(max_attempts=5, max_wait_total=60.0)
    indexnow_server.script(
        Answer(status=429, headers={"Retry-After": "50"}),
        Answer(),
        Answer(status=429, headers={"Retry-After": "0"}),
        Answer(status=429, headers={"Retry-After": "40"}),
    )
    urls = pages(site, 4)
    result = submit(
        client, indexnow_server.endpoint, KEY, None, urls, policy=policy, max_per_request=2
    )
    assert waits.sleeps == [50.0, 0.0]
    assert [r.outcome for r in result.requests] == ["accepted", "exhausted"]
    assert [r.attempts for r in result.requests] == [2, 2]
    assert "Retry-After 40 s is more than the 10 s of waiting left" in result.requests[1].detail
    assert result.submitted == tuple(urls[:2])
    assert result.failed == tuple(urls[2:])


def test_time_spent_asleep_counts_even_beyond_the_delay_asked_for(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    # A machine that oversleeps each wait by 10 s uses up the budget by the clock, not by
    # the delays asked for: after 1 + 10 and 2 + 10 s, 23 s of a 20 s budget are gone.
    waits = FakeTime(oversleep=10.0)
    policy = waits.policy(max_wait_total=20.0)
    indexnow_server.script(*[Answer(status=503)] * 5)
    result = send_one(policy)
    assert waits.sleeps == [1.0, 2.0]
    (record,) = result.requests
    assert (record.outcome, record.attempts) == ("exhausted", 3)
    assert "no waiting time left (20 s per run)" in record.detail


# --- the retry policy's defaults (SPEC: at most 5 attempts per batch, 2 minutes of waiting
# per run), pinned with an injected clock ---------------------------------------------------


def test_default_policy_makes_5_attempts_doubling_from_1_s(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(*[Answer(status=503)] * 10)
    waits = FakeTime()
    result = send_one(waits.policy())
    assert waits.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert waits.jitter_ranges == [(0.0, 1.0), (0.0, 2.0), (0.0, 4.0), (0.0, 8.0)]
    assert len(indexnow_server.requests) == 5
    (record,) = result.requests
    assert (record.outcome, record.attempts) == ("exhausted", 5)
    assert "5 attempts made" in record.detail


def test_default_policy_caps_each_wait_at_60_s(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(*[Answer(status=503)] * 10)
    waits = FakeTime()
    policy = waits.policy(max_attempts=9, max_wait_total=1000.0)
    send_one(policy)
    assert waits.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


def test_default_policy_waits_at_most_2_minutes_per_run(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811,
    send_one: Callable[..., SubmitResult],
) -> None:
    indexnow_server.script(*[Answer(status=503)] * 20)
    waits = FakeTime()
    policy = waits.policy(max_attempts=100)
    result = send_one(policy)
    # The last backoff shrinks to what is left of the 120 s, then nothing is left.
    assert waits.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 57.0]
    assert sum(waits.sleeps) == 120.0
    (record,) = result.requests
    assert (record.outcome, record.attempts) == ("exhausted", 8)
    assert "no waiting time left (120 s per run)" in record.detail


def test_default_policy_values() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.max_wait_total) == (5, 120.0)
    assert (policy.base_delay, policy.max_delay) == (1.0, 60.0)


def test_full_jitter_starts_at_zero() -> None:
    asked: list[tuple[float, float]] = []

    def lowest(low: float, high: float) -> float:
        asked.append((low, high))
        return low

    policy = RetryPolicy(jitter=lowest)
    assert [policy.backoff(n) for n in (1, 2, 3)] == [0.0, 0.0, 0.0]
    assert asked == [(0.0, 1.0), (0.0, 2.0), (0.0, 4.0)]
    assert RetryPolicy(jitter=lambda low, high: -1.0).backoff(1) == 0.0


def test_retry_after_as_an_http_date() -> None:
    now = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now) == 30.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 -0000", now) == 30.0  # no zone: UTC
    assert parse_retry_after("Tue, 14 Nov 2023 23:13:50 +0100", now) == 30.0
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(" 1.5 ", now) == 1.5
    assert parse_retry_after("12.25", now) == 12.25
    assert parse_retry_after("0", now) == 0.0
    for invalid in ("soon", "", "  ", "-5", "1e3", "7 s", "Tue, 99 Nov 2023"):
        assert parse_retry_after(invalid, now) is None


# --- input checks and batching ---------------------------------------------------------------


def test_bad_key_is_refused_before_any_request(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    with pytest.raises(KeyFormatError) as caught:
        submit(client, indexnow_server.endpoint, "short", None, pages(site, 1))
    assert "short" not in str(caught.value)
    assert indexnow_server.requests == []


@pytest.mark.parametrize(
    ("name", "url"),
    [
        # PROTOCOL: the endpoints, path /indexnow on each.
        ("indexnow", "https://api.indexnow.org/indexnow"),
        ("bing", "https://www.bing.com/indexnow"),
        ("yandex", "https://yandex.com/indexnow"),
        ("naver", "https://searchadvisor.naver.com/indexnow"),
        ("seznam", "https://search.seznam.cz/indexnow"),
        ("yep", "https://indexnow.yep.com/indexnow"),
        (" Yandex ", "https://yandex.com/indexnow"),
    ],
)
def test_endpoint_names_give_the_documented_urls(name: str, url: str) -> None:
    assert resolve_endpoint(name) == url


def test_the_default_endpoint_is_api_indexnow_org() -> None:
    from indexnow_sync.indexnow import DEFAULT_ENDPOINT

    assert resolve_endpoint(DEFAULT_ENDPOINT) == "https://api.indexnow.org/indexnow"
    assert len(ENDPOINTS) == 6


def test_endpoints_by_name_or_url() -> None:
    assert resolve_endpoint("bing") == "https://www.bing.com/indexnow"
    assert resolve_endpoint("IndexNow") == "https://api.indexnow.org/indexnow"
    assert resolve_endpoint("http://127.0.0.1:9/indexnow") == "http://127.0.0.1:9/indexnow"
    with pytest.raises(UsageError) as caught:
        resolve_endpoint("google")
    assert "indexnow, bing, yandex, naver, seznam, yep" in str(caught.value)
    for not_a_url in ("ftp://example.com/indexnow", "api.indexnow.org/indexnow", ""):
        with pytest.raises(UsageError):
            resolve_endpoint(not_a_url)


def test_batches_need_room_for_at_least_one_url() -> None:
    with pytest.raises(UsageError, match="max_per_request must be at least 1"):
        make_batches(["https://example.com/a"], max_per_request=0)
    batches = make_batches([f"https://example.com/{i}" for i in range(3)], max_per_request=1)
    assert [b.urls for b in batches] == [(f"https://example.com/{i}",) for i in range(3)]


def test_a_url_longer_than_the_body_budget_goes_alone() -> None:
    long = "https://example.com/" + "x" * 3000
    urls = ["https://example.com/a", long, "https://example.com/b"]
    batches = make_batches(urls, max_body_bytes=8 * 1024 + 1000)
    assert [u for b in batches for u in b.urls] == urls
    assert (long,) in [b.urls for b in batches]


def test_body_carries_the_key_location_when_given() -> None:
    (batch,) = make_batches(["https://example.com/blog/a"])
    body = batch.body(KEY, "https://example.com/blog/key.txt")
    assert json.loads(body) == {
        "host": "example.com",
        "key": KEY,
        "keyLocation": "https://example.com/blog/key.txt",
        "urlList": ["https://example.com/blog/a"],
    }
    assert "keyLocation" not in json.loads(batch.body(KEY, None))


def test_batches_respect_the_body_size_limit_and_keep_order() -> None:
    urls = [f"https://example.com/{'x' * 90}/{i}" for i in range(300)]
    batches = make_batches(urls, max_body_bytes=8 * 1024 + 5_000)
    assert len(batches) > 1
    assert [u for b in batches for u in b.urls] == urls
    for batch in batches:
        assert len(json.dumps(list(batch.urls))) <= 5_000
        body = json.loads(batch.body(KEY, None))
        assert body == {"host": "example.com", "key": KEY, "urlList": list(batch.urls)}


def test_batches_refuse_relative_urls() -> None:
    with pytest.raises(UsageError, match=r"cannot submit '/b': not an absolute http\(s\) URL"):
        make_batches(["https://example.com/a", "/b"])


def test_batches_group_by_host_whatever_the_spelling() -> None:
    urls = [
        "https://example.com/a",
        "http://example.com/b",
        "https://www.example.com/c",
        "https://EXAMPLE.com:443/d",
        "https://example.com",
        "https://example.com:8443/e",
        "https://example.com/a",
    ]
    assert [(b.host, b.urls) for b in make_batches(urls)] == [
        (
            "example.com",
            (
                "https://example.com/a",
                "http://example.com/b",
                "https://EXAMPLE.com:443/d",
                "https://example.com",
            ),
        ),
        ("www.example.com", ("https://www.example.com/c",)),
        ("example.com:8443", ("https://example.com:8443/e",)),
    ]


# Each URL's IndexNow host field, written out by hand (SPEC: the hostname, with :port only
# for a port that is not the scheme's default).
HOST_FIELDS = {
    "https://example.com/a": "example.com",
    "http://example.com/b": "example.com",
    "https://EXAMPLE.com:443/c": "example.com",
    "https://example.com": "example.com",
    "https://example.com?q=1": "example.com",
    "https://example.com/a/b": "example.com",
    "https://www.example.com/d": "www.example.com",
    "https://example.com:8443/e": "example.com:8443",
    "http://example.com:443/f": "example.com:443",
    "http://127.0.0.1:8000/g": "127.0.0.1:8000",
}


@settings(max_examples=200, deadline=None)
@given(
    urls=st.lists(st.sampled_from(sorted(HOST_FIELDS)), max_size=14),
    per_request=st.integers(min_value=1, max_value=4),
)
def test_batches_are_one_host_each_in_order_each_url_once(
    urls: list[str], per_request: int
) -> None:
    groups: dict[str, list[str]] = {}
    for url in dict.fromkeys(urls):
        groups.setdefault(HOST_FIELDS[url], []).append(url)
    expected = [
        (host, tuple(group[i : i + per_request]))
        for host, group in groups.items()
        for i in range(0, len(group), per_request)
    ]
    batches = make_batches(urls, max_per_request=per_request)
    assert [(b.host, b.urls) for b in batches] == expected


# --- the strict endpoint itself refuses what engines refuse ---------------------------------


def raw_request(
    url: str, body: bytes | None = None, content_type: str = "application/json; charset=utf-8"
) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize(
    ("change", "content_type", "status", "message"),
    [
        ({}, "text/plain", 400, "application/json"),
        ({}, "application/json", 400, "charset"),
        ({"key": "not a key!"}, None, 422, "Key must consist of a-Z0-9 or '-'"),
        ({"urlList": []}, None, 422, "Url list cannot be empty"),
        ({"urlList": "10001 site URLs"}, None, 422, "No more than 10000 urls allowed"),
        ({"urlList": ["https://example.org/x"]}, None, 422, "does not belong to host"),
        ({"urlList": "https://example.org/x"}, None, 400, "urlList"),
        ({"key": "aaaabbbbccccdddd"}, None, 403, "Key file not found"),
    ],
)
def test_strict_endpoint_refuses_like_the_protocol_documents(
    site: SiteServer,
    indexnow_server: IndexNowServer,  # noqa: F811
    change: dict[str, object],
    content_type: str | None,
    status: int,
    message: str,
) -> None:
    host = f"127.0.0.1:{site.port}"
    payload: dict[str, object] = {"host": host, "key": KEY, "urlList": [site.url("/a")]}
    payload.update(change)
    if payload["urlList"] == "10001 site URLs":
        payload["urlList"] = [site.url(f"/p{i}") for i in range(10_001)]
    body = json.dumps(payload).encode()
    args = (content_type,) if content_type else ()
    answer = raw_request(indexnow_server.endpoint, body, *args)
    assert answer[0] == status
    assert message in answer[1]
    assert indexnow_server.accepted == []


def test_strict_endpoint_rejects_malformed_json(
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    assert raw_request(indexnow_server.endpoint, b'{"host": ')[0] == 400


def test_strict_endpoint_takes_one_url_by_get(
    site: SiteServer,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    query = urllib.parse.urlencode({"url": site.url("/a"), "key": KEY})
    assert raw_request(f"{indexnow_server.endpoint}?{query}")[0] == 200
    assert indexnow_server.accepted == [site.url("/a")]


def test_strict_endpoint_can_fetch_the_key_file_on_every_request(site: SiteServer) -> None:
    body = json.dumps({"host": f"127.0.0.1:{site.port}", "key": KEY, "urlList": [site.url("/a")]})
    with IndexNowServer(cache_key_files=False) as server:
        for _ in range(3):
            assert raw_request(server.endpoint, body.encode())[0] == 200
    assert site.hits(f"/{KEY}.txt") == 3
