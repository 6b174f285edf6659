"""What a command found and did (:class:`Outcome`, the one value :mod:`report` renders), the
callbacks a command reports through while it runs, and how a submitting run ends
(:func:`finish`: with URLs deferred, the error that says what to do about them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DeferredError, NotDeployedError
from .models import Deferred, Delta, KeyCheck, Skipped, SubmitResult

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


def finish(
    outcome: Outcome, *, not_deployed: bool, mode: str, wait: float, plan: Path | None = None
) -> Outcome:
    """The end of a submitting run: ``outcome``, or the :class:`DeferredError` (exit 1,
    keeping the outcome) when URLs were deferred, its message saying what to do in this
    ``mode`` (``live`` or ``baseline`` sync, ``plan``, ``urls``); ``wait``: ``--wait``."""
    error = _deferred_error(outcome, not_deployed=not_deployed, mode=mode, wait=wait, plan=plan)
    if error is not None:
        raise error
    return outcome


def _deferred_error(
    outcome: Outcome, *, not_deployed: bool, mode: str, wait: float, plan: Path | None
) -> DeferredError | None:
    count = len(outcome.deferred)
    if not count:
        return None
    sent = len(outcome.result.submitted) if outcome.result is not None else 0
    if not_deployed:
        message = (
            f"every added URL answered 404 or 410: the deploy has not happened (or not "
            f"propagated) yet; nothing was sent, and the {count} checked URL(s) are deferred. "
        )
        if mode == "live":
            message += (
                "This 'sync' took its delta from the live site, so it must run before the new "
                "build is live, and a re-run after the deploy finds nothing to send: run "
                "'indexnow-sync plan --out PLAN' before the deploy and 'indexnow-sync submit "
                "--plan PLAN' after it, or diff against the previous build with --baseline; or, "
                "when the platform deploys beside this job, add --wait SECONDS (e.g. --wait "
                "900) to submit once the build is live"
            )
        elif mode == "plan":
            message += (
                f"The plan keeps them pending: re-run 'indexnow-sync submit --plan {plan}' "
                "after the deploy, or add --wait SECONDS to wait for it"
            )
        else:
            message += "Re-run after the deploy, or add --wait SECONDS to wait for it"
        error: DeferredError = NotDeployedError(message)
    else:
        if outcome.dry_run:
            message = (
                f"dry run: {count} URL(s) are not live yet; a real run would wait up to "
                f"--wait {wait:g} s for them and defer (not send) those still not live"
            )
        else:
            message = (
                f"{count} URL(s) were not live after waiting up to {wait:g} s and were "
                f"deferred (not sent; {sent} URL(s) were sent). "
            )
            if mode == "plan":
                message += (
                    f"The plan keeps them pending: re-run 'indexnow-sync submit --plan {plan}' "
                    "to check and send them"
                )
            elif mode == "urls":
                message += "Re-run the same 'submit' once they are live to send them"
            else:
                message += (
                    "They are listed under 'deferred' in the JSON report (--json, --report "
                    "FILE); send them once they are live with: jq -r '.deferred[].url' "
                    f"report.json | indexnow-sync submit --urls-file - --site {outcome.site} "
                    "--wait SECONDS (a re-run of 'sync' "
                    + (
                        "against the live site will not find them again)"
                        if mode == "live"
                        else "would send the whole delta again)"
                    )
                )
        error = DeferredError(message)
    error.outcome = outcome  # type: ignore[attr-defined]
    return error
