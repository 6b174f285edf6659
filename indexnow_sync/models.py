"""Plain values passed between the layers: frozen dataclasses, no behaviour beyond helpers.

A side of the diff (the build, or the before-state) is a :class:`SitemapSet`: a dict from
``<loc>`` to its raw ``<lastmod>`` text (``""`` when absent). Keeping raw text (not parsed
instants, not one object per URL) is what lets a million-URL side fit in memory and be
compared at C speed; instants are parsed only where two raw texts differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Why a URL is not sent, as a stable code (README "What gets checked before submitting"):
# from the delta and the key's scope, then from the checks before submitting.
SKIP_CODES = (
    "invalid",  # whitespace or control characters, too long, not http(s), unparseable
    "relative",  # a relative <loc>
    "off_host",  # not on the site's host
    "out_of_scope",  # outside the key file's folder
    "robots",  # robots.txt disallows it for every agent checked
    "noindex",  # noindex for every engine checked
    "canonical",  # its canonical is another URL
    "redirect",  # added or changed, but it redirects
    "not_found",  # added or changed, but 404/410
    "status",  # any other status (401/403, a bot challenge, 5xx after retries...)
    "still_live",  # removed from the sitemap, but still answers 2xx
)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A URL that will not be sent: a ``code`` (one of :data:`SKIP_CODES`) and a human
    ``reason`` naming what was found."""

    url: str
    reason: str
    code: str = "invalid"


@dataclass(frozen=True, slots=True)
class Deferred:
    """A URL not live yet when the run stopped waiting: not sent, kept for a later run.
    ``reason`` says what was seen (not in the live sitemap, its lastmod there, the status)."""

    url: str
    reason: str


@dataclass(frozen=True, slots=True)
class SitemapSet:
    """Everything read from one side: the URLs, and what was noticed on the way.

    ``urls`` maps each ``<loc>`` (trimmed, UTF-8 bytes) to its raw lastmod (UTF-8 bytes,
    ``b""`` if none); a URL listed twice keeps its latest lastmod. Bytes, not str: a million
    URLs cost 16 bytes less each, and nothing is validated until it is in the delta.
    ``sources`` lists the files or URLs read,
    in order. ``missing`` is True when there was no before-state at all (live 404, first
    deploy): then everything in the build counts as added.
    """

    urls: dict[bytes, bytes]
    sources: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    missing: bool = False


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """The content fingerprints a delta keeps for its added and changed URLs (SPEC "Live
    means the build's content"): the build's, and for changed URLs the before side's (a live
    page showing it is a stale copy), with the ``--ignore`` selectors they were made with."""

    build: Mapping[str, str] = field(default_factory=dict, hash=False)
    before: Mapping[str, str] = field(default_factory=dict, hash=False)
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delta:
    """What changed between the before-state and the build (SPEC: Delta rules)."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    before_count: int = 0
    after_count: int = 0
    # The build's raw <lastmod> of each added and changed URL that has one: what the live
    # sitemap must show before the deploy counts as live (``--wait``).
    lastmods: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Why each changed URL is changed: "content" (the fingerprints differ) or "lastmod" (no
    # fingerprint on a side: the lastmod rule). Empty with --changed-by lastmod (all lastmod).
    reasons: Mapping[str, str] = field(default_factory=dict, hash=False)
    # In both sides with a new lastmod but the same content: not changed, never sent.
    unchanged_content: tuple[str, ...] = ()
    fingerprints: Fingerprints | None = None
    # The before side's raw <lastmod> of each changed URL ("" when it had none), where the
    # delta was just computed (not kept in a plan): a dry run shows "old → new".
    before_lastmods: Mapping[str, str] = field(default_factory=dict, hash=False)

    def to_submit(self, *, include_removed: bool) -> list[str]:
        """The URLs a submission sends, in a stable order: added, changed, then removed."""
        urls = [*self.added, *self.changed]
        if include_removed:
            urls.extend(self.removed)
        return urls


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """Result of checking a key file. ``url`` is already shortened (never the full key)."""

    ok: bool
    url: str
    problem: str | None = None
    fix: str | None = None
    pending: bool = False
    local_only: bool = False
    kind: str | None = None  # the problem's kind (keyfile.KINDS), None when ok
    cause: str | None = None  # why it may have happened, when that is not plain from problem


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One POST (batch) to an IndexNow endpoint and how it ended."""

    endpoint: str
    host: str
    count: int
    status: int | None
    attempts: int
    # "accepted", "pending", "refused", "exhausted", "passed_on" (exhausted, and the batch
    # went to the next endpoint), "dry_run", "not_sent"
    outcome: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """What a submission did: accepted URLs, URLs not sent (with the error), the requests."""

    submitted: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    requests: tuple[RequestRecord, ...] = field(default_factory=tuple)
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
