"""The IndexNow client: endpoints, batching by host, one POST per batch, status handling and
bounded retries (SPEC: Submitting; PROTOCOL: IndexNow).

:func:`submit` raises nothing for what an endpoint answers: refusals (400/403/422 and other
unexpected statuses) and exhausted retries come back in the :class:`SubmitResult` (records with
outcome ``refused`` or ``exhausted``, and ``failed`` URLs), so the caller can record progress,
report, and choose the exit code (SPEC: 1 when anything failed). It raises only for bad input
before any request (:class:`KeyFormatError`, :class:`UsageError`), and lets exceptions from
``on_batch_done`` (e.g. a plan file that cannot be written) propagate.

The key never appears in a record, a warning or an exception built here: response bodies are
scrubbed with :func:`keyfile.scrub` before they are kept.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import partial
from typing import TYPE_CHECKING

from . import urls as urlrules
from .errors import FetchError, UsageError
from .keyfile import display_url, scrub, validate_key
from .models import RequestRecord, SubmitResult

if TYPE_CHECKING:
    from .web import HttpResponse, WebClient

ENDPOINTS = {
    "indexnow": "https://api.indexnow.org/indexnow",
    "bing": "https://www.bing.com/indexnow",
    "yandex": "https://yandex.com/indexnow",
    "naver": "https://searchadvisor.naver.com/indexnow",
    "seznam": "https://search.seznam.cz/indexnow",
    "yep": "https://indexnow.yep.com/indexnow",
}
DEFAULT_ENDPOINT = "indexnow"
# Without --endpoint: a batch that exhausted its retries on one goes to the next (SPEC).
DEFAULT_ENDPOINTS = ("indexnow", "bing", "yandex")

MAX_URLS_PER_REQUEST = 10_000
# No engine documents a body size limit. 10,000 URLs of typical length (~100 bytes) make a
# ~1 MB body; 4 MiB keeps full 10,000-URL batches for URLs averaging up to ~400 bytes and
# splits only unusually long ones, staying far below the ~20 MB that 10,000 URLs of the
# sitemap maximum (2,048 characters) would make.
MAX_BODY_BYTES = 4 * 1024 * 1024
# Room kept in every body for the envelope: host (<= 261), key (<= 128), keyLocation (a URL).
_ENVELOPE_RESERVE = 8 * 1024
_DETAIL_BODY_CHARS = 300
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_RETRY_STATUSES = frozenset({408, 425, 429})
# A Retry-After counts as beyond the waiting left only when it asks for more than this much
# over it: a sleep that woke a few milliseconds late must not turn "Retry-After: 60" with 60 s
# left into "more than the 59.9999 s of waiting left" (SPEC: beyond what is left, not equal).
_SLACK = 0.05
_PENDING_MARKERS = ("siteverificationnotcompleted", "verification pending", "pending verification")


def resolve_endpoint(value: str) -> str:
    """An endpoint name (``bing``) or an http(s) URL, as the URL to POST to."""
    name = value.strip()
    if name.lower() in ENDPOINTS:
        return ENDPOINTS[name.lower()]
    if urlrules.host_key(name) is not None:
        return name
    from difflib import get_close_matches

    close = get_close_matches(name.lower(), ENDPOINTS, n=1)
    raise UsageError(
        f"--endpoint {value!r} is not an endpoint name or URL",
        cause=f"an endpoint is one of {', '.join(ENDPOINTS)}, or an http(s) URL such as "
        "https://api.indexnow.org/indexnow",
        fix=f"did you mean {close[0]}?" if close else "pass one of those names, or a URL",
    )


def resolve_endpoints(value: str | None) -> tuple[str, ...]:
    """The endpoints to try, in order, as URLs: ``--endpoint`` as given (names or URLs,
    separated by commas, :func:`urls.split_url_list`; each once), or without it (None) indexnow,
    then bing, then yandex. One endpoint means no fallback."""
    names = DEFAULT_ENDPOINTS if value is None else tuple(urlrules.split_url_list(value))
    if not all(names):
        raise UsageError(
            "--endpoint lists an empty name",
            cause=f"got {value!r}",
            fix="separate names or URLs with one comma each, e.g. --endpoint indexnow,bing",
        )
    resolved = []
    for at, name in enumerate(names):
        try:
            resolved.append(resolve_endpoint(name))
        except UsageError as exc:
            if at == 0 or urlrules.host_key(names[at - 1]) is None:
                raise
            raise UsageError(
                exc.what,
                cause=exc.cause,
                fix=f"{exc.fix}\nif the comma before it is part of the URL {names[at - 1]}, "
                "write it as %2C",
            ) from None
    return tuple(dict.fromkeys(resolved))


# --- retry policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying: per batch ``max_attempts``, per run ``max_wait_total`` seconds
    of waiting between attempts. Backoff is exponential with full jitter
    (``jitter(0, min(max_delay, base_delay * 2**(n-1)))``); a ``Retry-After`` is honoured
    as given. ``sleep``, ``clock`` (monotonic, measures the waits) and ``wall_clock`` (for
    ``Retry-After`` dates) are injectable for tests."""

    max_attempts: int = 5
    max_wait_total: float = 120.0
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: Callable[[float, float], float] = field(default=random.uniform, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    wall_clock: Callable[[], float] = field(default=time.time, compare=False)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after the ``attempt``-th failed attempt (1-based), no Retry-After."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return max(0.0, self.jitter(0.0, ceiling))


class WaitBudget:
    """The run's waiting time between retries, shared by every request that retries (robots.txt,
    page checks, submitting; from several threads at once): SPEC's "2 minutes of waiting per
    run" is one budget, not one per stage. Concurrent waits are each counted in full, so the
    total can only overstate the time spent."""

    def __init__(self, total: float) -> None:
        self.total = total
        self._waited = 0.0
        self._lock = threading.Lock()

    def left(self) -> float:
        with self._lock:
            return self.total - self._waited

    def wait(self, delay: float, policy: RetryPolicy, *, strict: bool) -> bool:
        """Sleep ``delay`` seconds (under ``policy``'s clock) and return True, or return False
        when no time is left. ``strict`` (a ``Retry-After``): a delay beyond what is left is
        refused rather than shortened, since the server asked for that much."""
        with self._lock:
            left = self.total - self._waited
            if left <= 0 or (strict and beyond(delay, left)):
                return False
            delay = delay if strict else min(delay, left)
            self._waited += delay
        before = policy.clock()
        policy.sleep(delay)
        overrun = policy.clock() - before - delay
        if overrun > 0:
            with self._lock:
                self._waited += overrun
        return True

    def next_wait(
        self, policy: RetryPolicy, attempts: int, retry_after: float | None
    ) -> float | str:
        """After ``attempts`` failed attempts at one request (robots.txt, a page, a POST): the
        seconds to wait before the next one (a ``Retry-After`` as given, else backoff shrunk
        to what is left; wait them with :meth:`wait`, ``strict`` when ``retry_after`` was
        given), or why there is no next attempt. The one rule every retry follows."""
        if attempts >= policy.max_attempts:
            return f"{_counted(attempts, 'attempt')} made"
        left = self.left()
        if retry_after is not None and beyond(retry_after, left):
            return (
                f"Retry-After {_in_seconds(retry_after)} is more than the "
                f"{_in_seconds(max(left, 0.0), down=True)} of waiting left"
            )
        if left <= 0:
            return f"no waiting time left ({self.total:g} s per run)"
        return retry_after if retry_after is not None else min(policy.backoff(attempts), left)


def beyond(delay: float, left: float) -> bool:
    """Whether a ``Retry-After`` of ``delay`` seconds asks for more than the ``left`` seconds
    of waiting (equal, to within a sleep's lateness, is not more)."""
    return delay - left > _SLACK


def retryable_status(status: int) -> bool:
    """A status worth another attempt: 408, 425, 429 and every 5xx."""
    return status in _RETRY_STATUSES or status >= 500


def parse_retry_after(value: str, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date); None if invalid.

    ``now`` is the wall-clock time (``time.time()``) for the date form.
    """
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        # RFC 9110 says whole seconds; some servers send fractions, which are as clear.
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - datetime.fromtimestamp(now, timezone.utc).timestamp())


# --- batching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """The URLs of one request: all on ``host`` (the IndexNow host field)."""

    host: str
    urls: tuple[str, ...]

    def body(self, key: str, key_location: str | None) -> bytes:
        """The POST body: ``{"host", "key", "keyLocation"?, "urlList"}``."""
        url_list = json.dumps(list(self.urls))
        location = "" if key_location is None else f', "keyLocation": {json.dumps(key_location)}'
        envelope = f'{{"host": {json.dumps(self.host)}, "key": {json.dumps(key)}{location}'
        return f'{envelope}, "urlList": {url_list}}}'.encode("ascii")


def _split_by_size(host: str, urls: list[str], budget: int) -> list[Batch]:
    # The encoded list is only measured here, not kept: a million URLs' bodies held at once
    # would be ~80 MB; each body is encoded again when its request is sent.
    size = len(json.dumps(urls))
    if size <= budget or len(urls) == 1:
        return [Batch(host, tuple(urls))]
    middle = len(urls) // 2
    return _split_by_size(host, urls[:middle], budget) + _split_by_size(host, urls[middle:], budget)


def make_batches(
    urls: Iterable[str],
    *,
    max_per_request: int = MAX_URLS_PER_REQUEST,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> list[Batch]:
    """Group URLs into requests: one host per batch (hosts in order of first appearance, URLs
    in their order), each URL once, at most ``max_per_request`` URLs and ``max_body_bytes``
    bytes of body per batch.

    Every URL must be an absolute http(s) URL (filter with ``keyfile.filter_in_scope``
    first); anything else is a UsageError.
    """
    if max_per_request < 1:
        raise UsageError("max_per_request must be at least 1")
    hosts: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    # Runs of URLs share "scheme://authority/": while they do, one startswith per URL
    # places it, so a million URLs cost little more than the de-duplication.
    run_prefix = "\0"
    run_group: list[str] = []
    for url in dict.fromkeys(urls):
        if url.startswith(run_prefix):
            run_group.append(url)
            continue
        prefix = urlrules.authority_prefix(url)
        host = hosts.get(prefix)
        if host is None:
            try:
                host = urlrules.request_host(prefix)
            except ValueError as exc:
                raise UsageError(f"cannot submit {url!r}: not an absolute http(s) URL") from exc
            hosts[prefix] = host
        group = groups.get(host)
        if group is None:
            group = groups[host] = []
        group.append(url)
        if len(prefix) < len(url) and url[len(prefix)] == "/":
            run_prefix, run_group = prefix + "/", group
    budget = max(max_body_bytes - _ENVELOPE_RESERVE, 1)
    batches: list[Batch] = []
    for host, group in groups.items():
        for start in range(0, len(group), max_per_request):
            batches.extend(_split_by_size(host, group[start : start + max_per_request], budget))
    return batches


# --- one attempt ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    verdict: str  # "accepted", "pending", "refused", "retry"
    status: int | None
    detail: str
    retry_after: float | None = None


def _one_line(body: bytes, key: str) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    text = scrub(text, key)
    if len(text) > _DETAIL_BODY_CHARS:
        text = text[:_DETAIL_BODY_CHARS] + "…"
    return text or "(empty body)"


def _likely_cause(status: int, key_file: str) -> str:
    if status == 400:
        return "the request was rejected as invalid format; check the endpoint URL"
    if status == 403:
        return (
            f"the key is not valid: the engine did not find the key file at {key_file} or it "
            "does not hold exactly the key"
        )
    if status == 422:
        return (
            "URLs not on the host or outside the key file's folder, or the key does not match "
            "the key file or the key format"
        )
    if status in (404, 405):
        return "no IndexNow endpoint at this URL; check --endpoint"
    if status == 413:
        return "the request body is too large for this endpoint"
    if 300 <= status < 400:
        return "the endpoint redirects; use the final URL as --endpoint"
    return "unexpected answer from the endpoint; check --endpoint"


def _is_verification_pending(status: int, body: bytes) -> bool:
    if status != 403:
        return False
    text = body[:4096].decode("utf-8", "replace").lower()
    return any(marker in text for marker in _PENDING_MARKERS)


def _classify(response: HttpResponse, key: str, key_file: str, now: float) -> _Attempt:
    status = response.status
    body = _one_line(response.body, key)
    if 200 <= status < 300:
        if status == 202:
            return _Attempt("pending", status, "HTTP 202: received, key validation pending")
        return _Attempt("accepted", status, f"HTTP {status}")
    if _is_verification_pending(status, response.body):
        return _Attempt(
            "pending",
            status,
            f"HTTP 403: {body}; the engine has not verified the key yet (a new key): the URLs "
            "are received, verification is pending",
        )
    if retryable_status(status):
        retry_after = response.header("Retry-After")
        return _Attempt(
            "retry",
            status,
            f"HTTP {status}: {body}",
            retry_after=parse_retry_after(retry_after, now) if retry_after else None,
        )
    return _Attempt(
        "refused", status, f"HTTP {status}: {body}; likely cause: {_likely_cause(status, key_file)}"
    )


def _post(
    client: WebClient,
    endpoint_url: str,
    body: bytes,
    key: str,
    key_file: str,
    policy: RetryPolicy,
) -> _Attempt:
    try:
        response = client.post_json(endpoint_url, body)
    except FetchError as exc:
        detail = scrub(exc.inline, key)
        if exc.reason in ("timeout", "connection"):
            # The site was fine a moment ago (its key file was read): say it is the endpoint.
            detail = (
                f"the IndexNow endpoint {scrub(endpoint_url, key)} could not be reached "
                f"({detail}); check --endpoint, or retry later if the endpoint is down"
            )
            return _Attempt("retry", None, f"{exc.reason}: {detail}")
        return _Attempt("refused", None, f"{exc.reason}: {detail}")
    return _classify(response, key, key_file, policy.wall_clock())


# --- the run --------------------------------------------------------------------------------


def _endpoint_label(url: str, shown: str) -> str:
    """How a progress line names an endpoint: its name when it has one (``bing``), else its
    URL as shown (``shown``: the key scrubbed)."""
    for name, known in ENDPOINTS.items():
        if known == url:
            return name
    return shown


def _what_failed(attempt: _Attempt) -> str:
    """What a retried attempt got, in a progress line: ``answered 429``, ``timed out``, ``could
    not be reached`` (a refused or dropped connection)."""
    if attempt.status is not None:
        return f"answered {attempt.status}"
    return "timed out" if attempt.detail.startswith("timeout:") else "could not be reached"


def _in_seconds(delay: float, *, down: bool = False) -> str:
    """A duration as people write it: ``1.5 s`` (one decimal under 10 s), ``30 s`` (whole
    seconds under 10 minutes), ``15 min``, ``3 h``, ``2 days``. ``down``: rounded down, for
    what is left (``59.9999`` is ``59 s``: it never reads as more than it is)."""
    for limit, unit, size in ((600, "s", 1), (7200, "min", 60), (86400, "h", 3600)):
        if delay < limit:
            value = delay / size
            if unit == "s" and delay < 10:
                value = math.floor(value * 10) / 10 if down else round(value, 1)
            else:
                value = math.floor(value) if down else round(value)
            return f"{value:g} {unit}"
    days = math.floor(delay / 86400) if down else round(delay / 86400)
    return f"{days:,} day{'' if days == 1 else 's'}"


def _counted(count: int, noun: str) -> str:
    """``1 URL``, ``3 URLs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class _Tried:
    """One endpoint's attempts at one batch: the last answer, how many, and why it gave up
    (None when the answer settles the batch: accepted, pending or refused)."""

    attempt: _Attempt
    attempts: int
    gave_up: str | None = None


def _try_endpoint(
    client: WebClient,
    endpoint: str,
    body: bytes,
    key: str,
    key_file: str,
    policy: RetryPolicy,
    budget: WaitBudget,
    on_wait: Callable[[str], None] | None = None,
) -> _Tried:
    """POST one batch to one endpoint, retrying 429/5xx/connection errors under ``policy``
    and the run's ``budget`` (a ``Retry-After`` as given, else backoff shrunk to what is
    left), until it is settled or gives up. ``on_wait`` gets what failed and how long the run
    waits before the next attempt (``answered 429: retrying in 30 s (attempt 2 of 5)``)."""
    attempts = 0
    while True:
        attempts += 1
        attempt = _post(client, endpoint, body, key, key_file, policy)
        if attempt.verdict != "retry":
            return _Tried(attempt, attempts)
        delay = budget.next_wait(policy, attempts, attempt.retry_after)
        if isinstance(delay, str):
            return _Tried(attempt, attempts, delay)
        if on_wait is not None:
            on_wait(
                f"{_what_failed(attempt)}: retrying in {_in_seconds(delay)} "
                f"(attempt {attempts + 1} of {policy.max_attempts})"
            )
        budget.wait(delay, policy, strict=attempt.retry_after is not None)


def _say(progress: Callable[[str], None], label: str, line: str) -> None:
    progress(f"{label} {line}")


def _gave_up_on(tried: _Tried) -> str:
    """The last answer of an endpoint that gave up, and why it stopped when that was not the
    number of attempts (``HTTP 429; Retry-After 300 s is more than the 20 s of waiting
    left``)."""
    attempt = tried.attempt
    got = f"HTTP {attempt.status}" if attempt.status is not None else attempt.detail.split(":")[0]
    if tried.gave_up is None or tried.gave_up.endswith(" made"):
        return got
    return f"{got}; {tried.gave_up}"


def submit(
    client: WebClient,
    endpoint_url: str | Sequence[str],
    key: str,
    key_location: str | None,
    urls: Iterable[str],
    *,
    policy: RetryPolicy | None = None,
    on_batch_done: Callable[[Batch, RequestRecord], None] | None = None,
    on_record: Callable[[RequestRecord], None] | None = None,
    dry_run: bool = False,
    max_per_request: int = MAX_URLS_PER_REQUEST,
    max_body_bytes: int = MAX_BODY_BYTES,
    budget: WaitBudget | None = None,
    progress: Callable[[str], None] | None = None,
) -> SubmitResult:
    """Submit ``urls`` (already filtered to the key's scope) to ``endpoint_url``: one
    endpoint (a name or URL), or several to fall back on, in order (:func:`resolve_endpoints`).

    One POST per :class:`Batch`, in order. Any 2xx is accepted (202 as ``pending``), as is a
    403 that says site verification is pending. 400/403/422 (and other unexpected statuses)
    stop the run at once; 429, 408, 5xx, timeouts and dropped connections are retried under
    ``policy``. A batch that exhausts its retries goes to the next endpoint (its record there
    says ``passed_on``), and so do the batches after it: an endpoint that gave up is not asked
    again in this run. All of them wait on the run's one ``budget``; a first attempt at the
    next endpoint needs no wait. When a batch is refused, or exhausts the last endpoint, it
    and every later batch are ``failed`` (later ones recorded as ``not_sent``).
    ``on_batch_done`` runs right after each accepted batch, ``on_record`` after every record
    (progress lines, in order). ``dry_run`` sends nothing: records have outcome ``dry_run``
    and name the first endpoint, nothing is submitted or failed. ``budget`` is the run's
    waiting budget when earlier stages (the checks) already drew on it; by default a fresh
    one of ``policy.max_wait_total``. ``progress`` gets a line before each wait for a retry
    (``indexnow answered 429: retrying in 30 s (attempt 2 of 5)``) and each time a batch goes
    on to the next endpoint (``indexnow gave up after 5 attempts (HTTP 429): sending batch 1
    of 2 to bing``), so a run that waits for minutes says why.
    """
    validate_key(key)
    chain = (endpoint_url,) if isinstance(endpoint_url, str) else tuple(endpoint_url)
    endpoints = tuple(dict.fromkeys(resolve_endpoint(e) for e in chain))
    if not endpoints:
        raise UsageError("no IndexNow endpoint to submit to")
    policy = policy or RetryPolicy()
    budget = budget or WaitBudget(policy.max_wait_total)
    batches = make_batches(urls, max_per_request=max_per_request, max_body_bytes=max_body_bytes)
    shown = [scrub(endpoint, key) for endpoint in endpoints]
    labels = [_endpoint_label(url, text) for url, text in zip(endpoints, shown, strict=True)]
    records: list[RequestRecord] = []

    def record(
        batch: Batch, at: int, status: int | None, attempts: int, outcome: str, detail: str
    ) -> RequestRecord:
        made = RequestRecord(
            shown[at], batch.host, len(batch.urls), status, attempts, outcome, detail
        )
        records.append(made)
        if on_record is not None:
            on_record(made)
        return made

    if dry_run:
        for batch in batches:
            record(batch, 0, None, 0, "dry_run", "not sent")
        return SubmitResult(requests=tuple(records))

    submitted: list[str] = []
    failed: list[str] = []
    warnings: list[str] = []
    current = 0  # the endpoint each batch starts with: those that gave up are not asked again
    stopped = False
    for number, batch in enumerate(batches, start=1):
        if stopped:
            failed.extend(batch.urls)
            record(batch, current, None, 0, "not_sent", "not sent: an earlier batch failed")
            continue
        key_file = display_url(key_location or f"http(s)://{batch.host}/{key}.txt", key)
        body = batch.body(key, key_location)
        while True:
            on_wait = None
            if progress is not None:
                on_wait = partial(_say, progress, labels[current])
            tried = _try_endpoint(
                client, endpoints[current], body, key, key_file, policy, budget, on_wait
            )
            attempt = tried.attempt
            if attempt.verdict in ("accepted", "pending"):
                outcome = "pending" if attempt.verdict == "pending" else "accepted"
                done = record(
                    batch, current, attempt.status, tried.attempts, outcome, attempt.detail
                )
                if outcome == "pending":
                    warnings.append(
                        f"{batch.host}: {_counted(len(batch.urls), 'URL')} received, key "
                        "verification "
                        f"pending ({attempt.detail.split(';')[0]}); the engine checks the key "
                        "file later"
                    )
                submitted.extend(batch.urls)
                if on_batch_done is not None:
                    on_batch_done(batch, done)
                break
            if attempt.verdict == "refused":
                record(batch, current, attempt.status, tried.attempts, "refused", attempt.detail)
                failed.extend(batch.urls)
                stopped = True
                break
            gave_up = f"{attempt.detail}; gave up: {tried.gave_up}"
            if current + 1 < len(endpoints):
                if progress is not None:  # (before the request's own line, as it says why)
                    progress(
                        f"{labels[current]} gave up after {_counted(tried.attempts, 'attempt')} "
                        f"({_gave_up_on(tried)}): sending batch {number} of {len(batches)} to "
                        f"{labels[current + 1]}"
                    )
                record(
                    batch,
                    current,
                    attempt.status,
                    tried.attempts,
                    "passed_on",
                    f"{gave_up}; passed on to {shown[current + 1]}",
                )
                warnings.append(
                    f"{shown[current]} gave up on {_counted(len(batch.urls), 'URL')} "
                    f"({tried.gave_up}; {attempt.detail.split(';')[0]}): they and the rest go to "
                    f"{shown[current + 1]} instead (engines share what any endpoint accepts)"
                )
                current += 1
                continue
            record(batch, current, attempt.status, tried.attempts, "exhausted", gave_up)
            failed.extend(batch.urls)
            stopped = True
            break
    return SubmitResult(
        submitted=tuple(submitted),
        failed=tuple(failed),
        requests=tuple(records),
        warnings=tuple(warnings),
    )
