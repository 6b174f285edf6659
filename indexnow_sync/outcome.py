"""What a command found and did (:class:`Outcome`, the one value :mod:`report` renders), the
callbacks a command reports through while it runs, how a submitting run ends (:func:`finish`:
with URLs deferred, the error that says what to do about them), and what it knew so far when
Ctrl-C stops it (:class:`Journal`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import DeferredError, InterruptedRun, NotDeployedError, SubmissionError
from .models import Deferred, Delta, KeyCheck, RequestRecord, Skipped, SubmitResult

# One human line as it happens (a batch sent, a look while waiting); the CLI prints it.
Progress = Callable[[str], None]
# Called once with what the run found (delta, key check) right before the first POST, so the
# CLI can show it before the per-request progress lines.
Ready = Callable[["Outcome"], None]


@dataclass(frozen=True)
class Outcome:
    """Everything a command found and did, for the report."""

    command: str
    site: str | None
    dry_run: bool
    delta: Delta | None = None
    key_check: KeyCheck | None = None
    result: SubmitResult | None = None
    warnings: tuple[str, ...] = ()
    plan_file: str | None = None
    extra_skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    checks: dict[str, Any] | None = None  # what the checks before submitting did
    build_checks: tuple[Skipped, ...] = ()  # problems found in the build (warnings only)
    deferred: tuple[Deferred, ...] = ()  # not live yet: not sent, kept for a later run
    waiting: dict[str, Any] | None = None  # what waiting for the deploy did (--wait)
    content: dict[str, Any] | None = None  # what content fingerprints did (--changed-by)
    lastmod_fix: dict[str, Any] | None = None  # what --fix-lastmod did to the build's sitemaps


def finish(
    outcome: Outcome,
    *,
    not_deployed: bool,
    mode: str,
    wait: float,
    plan: Path | None = None,
    report: Path | None = None,
    carry: str = "",
) -> Outcome:
    """The end of a submitting run: ``outcome``, or the :class:`DeferredError` (exit 1,
    keeping the outcome) when URLs were deferred, its message saying what to do in this
    ``mode`` (``live`` or ``baseline`` sync, ``plan``, ``urls``); ``wait``: ``--wait``;
    ``report``: the run's ``--report FILE``, if it has one (a fix may read it); ``carry``:
    the run's options every ``submit`` a fix suggests must repeat (`` --endpoint URL``)."""
    error = _deferred_error(
        outcome,
        not_deployed=not_deployed,
        mode=mode,
        wait=wait,
        plan=plan,
        report=report,
        carry=carry,
    )
    if error is not None:
        raise error
    return outcome


def _deferred_error(
    outcome: Outcome,
    *,
    not_deployed: bool,
    mode: str,
    wait: float,
    plan: Path | None,
    report: Path | None,
    carry: str,
) -> DeferredError | None:
    count = len(outcome.deferred)
    if not count:
        return None
    sent = len(outcome.result.submitted) if outcome.result is not None else 0
    error: DeferredError
    if not_deployed:
        cause = f"the {count} checked URL(s) are deferred (or the deploy has not propagated yet)"
        if mode == "live":
            cause += (
                "\nthis 'sync' took its delta from the live site: it must run before the new "
                "build is live (a re-run after the deploy finds nothing to send)"
            )
            fix = (
                "run 'indexnow-sync plan --out PLAN' before the deploy and 'indexnow-sync "
                f"submit --plan PLAN{carry}' after it\nor diff against the previous build with "
                "--baseline; or, when the platform deploys beside this job, add --wait 900"
            )
        elif mode == "plan":
            fix = (
                f"the plan keeps them pending: re-run 'indexnow-sync submit --plan {plan}{carry}' "
                "after the deploy, or add --wait SECONDS to wait for it"
            )
        else:
            fix = "re-run after the deploy, or add --wait SECONDS to wait for it"
        which = "listed" if mode == "urls" else "added"
        error = NotDeployedError(
            f"every {which} URL answered 404 or 410: the deploy has not happened yet; nothing "
            "was sent",
            cause=cause,
            fix=fix,
        )
    elif outcome.dry_run:
        error = DeferredError(
            f"dry run: {count} URL(s) are not live yet",
            cause=f"a real run would wait up to --wait {wait:g} s for them and defer (not send) "
            "those still not live",
        )
    else:
        cause = f"not sent; {sent} URL(s) were sent"
        if mode == "plan":
            fix = (
                f"the plan keeps them pending: re-run 'indexnow-sync submit --plan {plan}{carry}' "
                "to check and send them"
            )
        elif mode == "urls":
            fix = "re-run the same 'submit' once they are live to send them"
        else:
            cause += (
                "; a re-run of 'sync' against the live site will not find them again"
                if mode == "live"
                else "; a re-run of 'sync' would send the whole delta again"
            )
            fix = _send_deferred_later(outcome.site, report, carry)
        if wait <= 0:
            cause += (
                "\ntheir pages still serve the previous content, and such a page is never sent "
                "early; --wait SECONDS waits for the deploy"
            )
        waited = f"after waiting up to {wait:g} s" if wait > 0 else "yet"
        error = DeferredError(
            f"{count} URL(s) were not live {waited} and were deferred",
            cause=cause,
            fix=fix,
        )
    error.outcome = outcome  # type: ignore[attr-defined]
    return error


def _send_deferred_later(site: str | None, report: Path | None, carry: str) -> str:
    """How to send a sync's deferred URLs once they are live: from the run's --report FILE
    when it has one; else from the URLs shown, saying to add --report next time."""
    submit = f"indexnow-sync submit --urls-file - --site {site}{carry} --wait 600"
    if report is not None:
        return f"send them once they are live: jq -r '.deferred[].url' {report} | {submit}"
    return (
        f"send them once they are live: indexnow-sync submit --site {site}{carry} --wait 600 "
        "followed by the deferred URLs shown above\n"
        f"or add --report FILE to this command to keep them: jq -r '.deferred[].url' FILE | "
        f"{submit}"
    )


def failed_submission(outcome: Outcome, key_location: str = "") -> SubmissionError | None:
    """The error of a run whose POSTs did not all go through (None when they did): the first
    failing request's answer as the cause, and a fix that fits it. A refusal (400/403/422)
    comes again on a re-run as it is: fix its cause first (a 403: the key file, checked by
    verify-key, ``key_location`` its ``--key-location`` option); retries that ran out may
    succeed later. ``key_location``: `` --key-location WORD`` when the run had one."""
    result = outcome.result
    if result is None or not result.failed:
        return None
    failing = [
        r
        for r in result.requests
        if r.outcome not in ("accepted", "pending", "dry_run", "passed_on")
    ]
    first = failing[0] if failing else None
    detail = first.detail if first else ""
    # (a request's detail is one line everywhere else: "HTTP 422: body; likely cause: ...")
    cause = detail.replace("; likely cause: ", "\nlikely cause: ")
    if first is None or first.outcome != "refused":
        fix = "re-run to send them"
    elif first.status == 403:
        fix = (
            f"check the hosted key file: indexnow-sync verify-key --site {outcome.site}"
            f"{key_location}; fix it, then re-run"
        )
    else:
        fix = "fix the cause above, then re-run (the endpoint refuses it again as it is)"
    return SubmissionError(
        f"{len(result.failed)} URL(s) were not submitted",
        cause=f"{first.endpoint}: {cause}" if first and detail else cause,
        fix=fix,
    )


@dataclass(frozen=True)
class Resume:
    """How a submitting command sends what it did not: ``mode`` (``live`` or ``baseline``
    sync, ``plan``, ``urls``), its plan, ``--state`` and ``--report`` files, and ``carry``
    (the options every suggested ``submit`` repeats, `` --endpoint URL``)."""

    mode: str
    plan: Path | None = None
    state: Path | None = None
    report: Path | None = None
    carry: str = ""


class Journal:
    """What a submitting run knew so far, kept as it goes, so that a run stopped by Ctrl-C
    (KeyboardInterrupt, which the CLI catches) still reports it: the outcome as last found
    and the URLs it was to send (:meth:`found`), then, while sending (:meth:`sending`), every
    request as it ended and the URLs accepted. :meth:`interrupted` is the error that says so.
    The CLI makes one and passes it down; the commands and :func:`send.send` write to it."""

    def __init__(self) -> None:
        self.resume = Resume("")
        self.outcome: Outcome | None = None
        self.urls: Sequence[str] = ()
        self.requests: list[RequestRecord] = []
        self.submitted: list[str] = []
        self.endpoints: Sequence[str] = ()
        self._at = 0  # the endpoint the next batch goes to (one that gave up is not asked again)

    def found(self, outcome: Outcome, urls: Sequence[str]) -> None:
        """What the run found so far, and the URLs it would send (before the checks: all)."""
        self.outcome = outcome
        self.urls = urls

    def sending(self, urls: Sequence[str], endpoints: Sequence[str]) -> None:
        """The POSTs start: these URLs, to these endpoints (as shown, in order)."""
        self.urls = urls
        self.endpoints = endpoints

    def request(self, record: RequestRecord) -> None:
        self.requests.append(record)
        if record.outcome == "passed_on":
            self._at += 1

    def accepted(self, urls: Sequence[str]) -> None:
        self.submitted.extend(urls)

    def interrupted(self) -> InterruptedRun:
        """The error of the run stopped here, keeping the outcome as known: the URLs accepted
        as ``submitted`` (with their requests), the rest as ``failed`` (not sent, each batch a
        ``not_sent`` request), and how many of each, and how to send the rest, in its
        message."""
        outcome = self.outcome
        left: list[str] = []
        if outcome is not None and not outcome.dry_run:
            accepted = set(self.submitted)
            left = [url for url in self.urls if url not in accepted]
            result = SubmitResult(
                submitted=tuple(self.submitted),
                failed=tuple(left),
                requests=(*self.requests, *self._not_sent(left)),
            )
            outcome = replace(outcome, result=result)
        error = _interrupted_error(
            outcome, sent=len(self.submitted), left=len(left), resume=self.resume
        )
        error.outcome = outcome  # type: ignore[attr-defined]
        return error

    def _not_sent(self, urls: list[str]) -> list[RequestRecord]:
        """A ``not_sent`` record for each batch the URLs not sent would have made."""
        if not urls:
            return []
        from .indexnow import make_batches

        endpoint = self.endpoints[min(self._at, len(self.endpoints) - 1)] if self.endpoints else ""
        return [
            RequestRecord(
                endpoint, batch.host, len(batch.urls), None, 0, "not_sent", "not sent: interrupted"
            )
            for batch in make_batches(urls)
        ]


def _interrupted_error(
    outcome: Outcome | None, *, sent: int, left: int, resume: Resume
) -> InterruptedRun:
    """What Ctrl-C stopped, in numbers, and how to send what was not sent."""
    if outcome is None or (not sent and not left):
        return InterruptedRun(
            "interrupted (Ctrl-C)" if outcome is None else "interrupted (Ctrl-C); nothing was sent",
            cause="the run stopped where it was; it sent nothing",
            fix="run the same command again",
        )
    if outcome.dry_run:
        return InterruptedRun(
            "interrupted (Ctrl-C): a dry run; nothing was sent",
            fix="run the same command again",
        )
    were = "was" if left == 1 else "were"
    what = (
        f"interrupted (Ctrl-C): {sent} URL(s) were sent, {left} {were} not"
        if sent
        else f"interrupted (Ctrl-C): none of the {left} URL(s) were sent"
    )
    rest = f"the {left} URL(s) not sent" if sent else "them"
    if resume.mode == "plan":
        recorded = "the plan recorded each accepted batch; " if sent else ""
        return InterruptedRun(
            what,
            cause=f"{recorded}the URLs not sent stay pending in the plan",
            fix=f"re-run 'indexnow-sync submit --plan {resume.plan}{resume.carry}' to send {rest}",
        )
    if resume.mode == "urls" and (resume.state is not None or not sent):
        cause = (
            f"--state {resume.state} recorded each accepted batch"
            if resume.state is not None and sent
            else "the run stopped where it was"
        )
        return InterruptedRun(what, cause=cause, fix=f"re-run the same 'submit' to send {rest}")
    if resume.mode == "urls":
        cause = "nothing recorded what was sent (no --state FILE): the same command would "
        cause += "send every URL again"
    elif sent:
        cause = (
            "nothing records what a 'sync' sent: a re-run would send the whole delta again, "
            "or nothing once the build is live"
        )
    else:
        cause = "a re-run of 'sync' finds nothing to send once the build is live"
    fix = f"send {rest}: {_urls_not_sent(outcome.site, resume)}"
    if resume.mode != "urls":
        fix += (
            "\nnext time, 'plan' before the deploy and 'submit --plan' after it record each "
            "accepted batch, so a re-run sends only what is left"
        )
    return InterruptedRun(what, cause=cause, fix=fix)


def _urls_not_sent(site: str | None, resume: Resume) -> str:
    """The command that sends the URLs a run did not: read from its --report FILE when it
    has one, else from the ``failed`` list of its --json object."""
    submit = f"indexnow-sync submit --urls-file - --site {site}{resume.carry}"
    if resume.report is not None:
        return f"jq -r '.failed[]' {resume.report} | {submit}"
    return (
        f'they are the "failed" list of the --json object (add --report FILE to keep it): '
        f"jq -r '.failed[]' FILE | {submit}"
    )
