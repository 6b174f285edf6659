"""The send: the ``--max-urls`` cap, the POSTs, and what a URL list remembers between runs.

- :func:`cap` refuses a run with more URLs than ``--max-urls`` before any page is fetched.
- :func:`send` POSTs through :mod:`indexnow` (batches, host split, retries under the run's
  budget) with one progress line per request, per wait for a retry and per fallback to the
  next endpoint; a dry run lists what would have gone out.
- :class:`SentRecently` is ``submit --state FILE``: the URLs of a list accepted in the last 10
  minutes, not sent again (the engines ask not to resubmit a URL sooner).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PlanFileError, TooManyUrlsError
from .models import RequestRecord, SubmitResult

if TYPE_CHECKING:
    from .indexnow import WaitBudget
    from .outcome import Journal, Outcome, Progress
    from .web import WebClient

RESUBMIT_PAUSE = 600.0  # seconds: the engines ask not to resubmit a URL sooner


def cap(urls: list[str], max_urls: int, outcome: Outcome) -> None:
    """Raises :class:`TooManyUrlsError` (keeping the outcome) for more than ``max_urls``."""
    if len(urls) > max_urls:
        # (a dry run is the check a real run's fix suggests: it lists the delta instead)
        check = "list the delta with --json" if outcome.dry_run else "check the diff with --dry-run"
        error = TooManyUrlsError(
            f"{len(urls)} URLs to submit, more than --max-urls {max_urls}; nothing was sent",
            fix="if this is expected (first run, big release), raise --max-urls; if not, "
            f"{check} (a generator stamping every lastmod?)",
        )
        error.outcome = outcome  # type: ignore[attr-defined]
        raise error


@dataclass(frozen=True)
class Sending:
    """Where and how the POSTs go: ``--endpoint`` (None: the default chain, indexnow then
    bing then yandex), the key and ``--key-location``, ``--dry-run``."""

    endpoint: str | None
    key: str
    key_location: str | None
    dry_run: bool


def send(
    sending: Sending,
    urls: list[str],
    client: WebClient,
    *,
    on_batch: Callable[[list[str], RequestRecord], None] | None,
    progress: Progress | None,
    budget: WaitBudget | None = None,
    journal: Journal | None = None,
) -> SubmitResult:
    """POST ``urls`` to the first endpoint of ``--endpoint``, falling back on the next ones;
    ``on_batch`` runs after each accepted batch (a plan's journal, the state file),
    ``progress`` gets one line per request, as it ends, and one before each wait for a retry
    and each fallback to the next endpoint; ``journal`` keeps every request and the URLs
    accepted as they come (what a run stopped by Ctrl-C reports)."""
    from .indexnow import resolve_endpoints, submit
    from .keyfile import scrub

    endpoints = resolve_endpoints(sending.endpoint)
    if journal is not None:
        journal.sending(urls, [scrub(endpoint, sending.key) for endpoint in endpoints])

    def batch_done(batch: Any, record: RequestRecord) -> None:
        if record.outcome not in ("accepted", "pending"):
            return
        if journal is not None:
            journal.accepted(batch.urls)
        if on_batch is not None:
            on_batch(list(batch.urls), record)

    def on_record(record: RequestRecord) -> None:
        if journal is not None:
            journal.request(record)
        if progress is not None:
            progress(_request_line(record))

    result = submit(
        client,
        endpoints,
        sending.key,
        sending.key_location,
        urls,
        dry_run=sending.dry_run,
        on_batch_done=batch_done,
        on_record=on_record,
        budget=budget,
        progress=progress,
    )
    if sending.dry_run:  # the report lists what would have gone out
        result = replace(result, submitted=tuple(urls))
    return result


def _request_line(record: RequestRecord) -> str:
    if record.outcome == "dry_run":
        return f"dry run: would POST {record.count} URL(s) to {record.endpoint}"
    status = "-" if record.status is None else str(record.status)
    line = (
        f"POST {record.endpoint} host={record.host} urls={record.count} status={status} "
        f"attempts={record.attempts}: {record.outcome}"
    )
    return f"{line} ({record.detail})" if record.detail else line


class SentRecently:
    """``--state FILE`` of a URL-list submission: URL -> when it was accepted, for the last
    :data:`RESUBMIT_PAUSE` seconds. Without a file, or in a dry run, nothing is recorded."""

    def __init__(self, path: Path | None, *, dry_run: bool) -> None:
        self.path = path
        self.dry_run = dry_run
        self.recent: dict[str, float] = _read_state(path) if path else {}

    def fresh(self, urls: list[str]) -> tuple[list[str], tuple[str, ...]]:
        """``urls`` (each once) without those accepted less than 10 minutes ago, and the
        note that says how many were left out."""
        now = time.time()
        unique = dict.fromkeys(urls)
        fresh = [u for u in unique if now - self.recent.get(u, 0.0) >= RESUBMIT_PAUSE]
        notes: tuple[str, ...] = ()
        if len(fresh) < len(unique):
            notes = (
                f"{len(unique) - len(fresh)} URL(s) were accepted less than 10 "
                f"minutes ago (per {self.path}); not resubmitted",
            )
        return fresh, notes

    def remember(self, batch: list[str], _record: RequestRecord) -> None:
        """After an accepted batch: its URLs, accepted now (the file is rewritten)."""
        if self.path is not None and not self.dry_run:
            stamp = time.time()
            self.recent.update((u, stamp) for u in batch)
            _write_state(self.path, self.recent)


def _read_state(path: Path) -> dict[str, float]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as exc:
        raise PlanFileError(f"--state {path}: cannot be read as JSON ({exc})") from exc
    accepted = raw.get("accepted", {}) if isinstance(raw, dict) else {}
    if not isinstance(accepted, dict):
        raise PlanFileError(f"--state {path}: 'accepted' must map URL -> time")
    now = time.time()
    return {
        str(u): float(t)
        for u, t in accepted.items()
        if isinstance(t, (int, float))
        and not isinstance(t, bool)
        and -1e12 < t < 1e12  # a time stamp; JSON may hold any number
        and now - float(t) < RESUBMIT_PAUSE
    }


def _write_state(path: Path, accepted: dict[str, float]) -> None:
    from .plan import atomic_write

    now = time.time()
    live = {u: t for u, t in accepted.items() if now - t < RESUBMIT_PAUSE}
    atomic_write(path, [json.dumps({"version": 1, "accepted": live}, indent=1), "\n"])
