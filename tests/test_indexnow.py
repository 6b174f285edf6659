"""The IndexNow client against the strict local endpoint and a real local site."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from indexnow_sync.errors import KeyFormatError, UsageError
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
from indexnow_sync.web import WebClient
from tests.indexnow_server import Answer, IndexNowServer, indexnow_server  # noqa: F401
from tests.siteserver import SiteServer

KEY = "3f9a0b1c2d3e4f5a6b7c8d9e0f1a4c8d"
FAST = RetryPolicy(max_attempts=3, max_wait_total=3.0, base_delay=0.05, max_delay=0.2)


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
    assert "verification" in result.warnings[0]


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
    assert f"HTTP {status}" in first.detail
    assert body.replace(KEY, "3f9a…4c8d") in first.detail
    assert cause in first.detail
    assert (second.outcome, second.attempts, second.status) == ("not_sent", 0, None)
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
    assert "verify-key" in record.detail
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
    indexnow_server.script(Answer(status=429, headers={"Retry-After": "1"}))
    urls = pages(site, 3)
    start = time.monotonic()
    result = submit(client, indexnow_server.endpoint, KEY, None, urls, policy=FAST)
    assert time.monotonic() - start >= 1.0
    assert indexnow_server.statuses() == [429, 200]
    (record,) = result.requests
    assert (record.status, record.attempts, record.outcome) == (200, 2, "accepted")
    assert indexnow_server.accepted_counts() == dict.fromkeys(urls, 1)


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
    indexnow_server.script(Answer(drop=True), Answer(delay=0.6))
    urls = pages(site, 2)
    with WebClient(timeout=0.3) as client:
        result = submit(client, indexnow_server.endpoint, KEY, None, urls, policy=FAST)
    assert result.submitted == tuple(urls)
    assert result.requests[0].attempts == 3


def test_persistent_503_gives_up_in_bounded_time_with_every_url_failed(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    indexnow_server.script(*[Answer(status=503, body="Service Unavailable")] * 10)
    urls = pages(site, 6)
    start = time.monotonic()
    result = submit(
        client, indexnow_server.endpoint, KEY, None, urls, policy=FAST, max_per_request=2
    )
    assert time.monotonic() - start < 3.0
    assert len(indexnow_server.requests) == FAST.max_attempts
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
    indexnow_server.script(Answer(status=429, headers={"Retry-After": "60"}))
    start = time.monotonic()
    result = submit(client, indexnow_server.endpoint, KEY, None, pages(site, 2), policy=FAST)
    assert time.monotonic() - start < 1.0
    (record,) = result.requests
    assert (record.status, record.attempts, record.outcome) == (429, 1, "exhausted")
    assert "Retry-After 60 s" in record.detail


def test_wait_budget_is_shared_by_the_whole_run(
    site: SiteServer,
    client: WebClient,
    indexnow_server: IndexNowServer,  # noqa: F811
) -> None:
    # 0.6 s budget: the first batch spends 0.5 s; the second batch's Retry-After 0.4 no
    # longer fits, although it would within a budget of its own.
    policy = RetryPolicy(max_attempts=5, max_wait_total=0.6)
    indexnow_server.script(
        Answer(status=429, headers={"Retry-After": "0.5"}),
        Answer(),
        Answer(status=429, headers={"Retry-After": "0"}),
        Answer(status=429, headers={"Retry-After": "0.4"}),
    )
    urls = pages(site, 4)
    result = submit(
        client, indexnow_server.endpoint, KEY, None, urls, policy=policy, max_per_request=2
    )
    assert [r.outcome for r in result.requests] == ["accepted", "exhausted"]
    assert [r.attempts for r in result.requests] == [2, 2]
    assert "Retry-After 0.4 s" in result.requests[1].detail
    assert result.submitted == tuple(urls[:2])
    assert result.failed == tuple(urls[2:])


def test_retry_after_as_an_http_date() -> None:
    now = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now) == 30.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0.0
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("soon", now) is None


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


def test_endpoints_by_name_or_url() -> None:
    assert resolve_endpoint("bing") == "https://www.bing.com/indexnow"
    assert resolve_endpoint("IndexNow") == ENDPOINTS["indexnow"]
    assert resolve_endpoint("http://127.0.0.1:9/indexnow") == "http://127.0.0.1:9/indexnow"
    with pytest.raises(UsageError) as caught:
        resolve_endpoint("google")
    assert "indexnow, bing, yandex, naver, seznam, yep" in str(caught.value)


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
    with pytest.raises(UsageError):
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
