"""Every failure a user can act on, as one exception class each.

The library raises these and never prints or exits; only ``cli.py`` turns them into lines on
stderr and an exit code. Each message names the file, URL or config key involved and says
what to do about it. ``exit_code`` follows SPEC.md: 1 = the run failed, 2 = bad input or usage.

A message is a short first line saying what failed, then, each on a line of its own, the
cause and the fix (``fix: ...``): ``IndexNowSyncError(what, cause=..., fix=...)``. Every line
stays under about 160 characters (a URL may make one longer). ``message`` holds the lines
joined by newlines (the JSON ``error.message``); :attr:`~IndexNowSyncError.inline` is the
same on one line, for a message quoted inside another (a page's skip reason).
"""

from __future__ import annotations


class IndexNowSyncError(Exception):
    """Root of all indexnow-sync errors. ``kind`` is the stable name used in JSON output."""

    exit_code: int = 1
    kind: str = "error"

    def __init__(self, message: str, *, cause: str = "", fix: str = "") -> None:
        self.what = message
        self.cause = cause
        self.fix = fix
        self.message = join_message(message, cause, fix)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    @property
    def inline(self) -> str:
        """The message on one line (its lines joined by "; ")."""
        return "; ".join(line.strip() for line in self.message.splitlines() if line.strip())


def join_message(what: str, cause: str = "", fix: str = "") -> str:
    """What failed, the cause and the fix, one to a line (empty parts left out)."""
    return "\n".join(part for part in (what, cause, f"fix: {fix}" if fix else "") if part)


# --- exit 2: bad input or usage -------------------------------------------------------------


class UsageError(IndexNowSyncError):
    """A bad flag, argument or combination of them."""

    exit_code = 2
    kind = "usage"


class ConfigError(UsageError):
    """A config file, environment variable or flag value is invalid (names the key and file)."""

    kind = "config"


class KeyFormatError(UsageError):
    """The IndexNow key is not 8-128 characters of a-z, A-Z, 0-9 and '-'."""

    kind = "key_format"


class SitemapParseError(IndexNowSyncError):
    """Bytes that are not a readable sitemap. Raised by the pure parser, which does not know
    whether the bytes came from the build (exit 2) or the live site (exit 1); ``sources``
    re-raises it as :class:`BuildSitemapError` or :class:`LiveSitemapError`."""

    kind = "sitemap"

    def __init__(
        self, source: str, problem: str, *, cause: str = "", fix: str = "", wrong_file: bool = False
    ) -> None:
        super().__init__(f"{source}: {problem}", cause=cause, fix=fix)
        self.source = source
        self.problem = problem
        self.wrong_file = wrong_file  # another kind of file (HTML, a feed, other XML)


class BuildSitemapError(UsageError):
    """The built sitemap (or a baseline) is missing, malformed or not a sitemap."""

    kind = "build_sitemap"


class PlanFileError(UsageError):
    """A plan file that cannot be read, is of another format version, or cannot be written."""

    kind = "plan_file"


# --- exit 1: the run failed -----------------------------------------------------------------


class SitemapWriteError(IndexNowSyncError):
    """``--fix-lastmod`` could not rewrite the build's sitemap files (read-only, disk full, a
    document it will not change): none of them was replaced."""

    kind = "sitemap_write"


class RewriteError(SitemapWriteError):
    """A sitemap document ``--fix-lastmod`` will not rewrite (an encoding other than UTF-8,
    UTF-16 or a single-byte one, a DTD internal subset, or a result that would not read back
    exactly as intended)."""

    def __init__(self, source: str, problem: str, *, cause: str = "", fix: str = "") -> None:
        fix = fix or "make the generator write a plain UTF-8 sitemap, or run without --fix-lastmod"
        super().__init__(
            f"{source}: {problem}",
            cause=cause or "--fix-lastmod left it as it was, and changed no sitemap file",
            fix=fix,
        )
        self.source = source
        self.problem = problem


class LiveSitemapError(IndexNowSyncError):
    """The live sitemap could not be read (5xx, timeout, HTML, broken child): never treated
    as an empty site."""

    kind = "live_sitemap"


class FetchError(IndexNowSyncError):
    """An HTTP request failed at the transport level, was too large, or redirected off-host.

    ``reason`` is one of: ``timeout``, ``connection``, ``plain_http`` (an https:// URL on a
    port that answers plain HTTP), ``too_large``, ``redirect_off_host``,
    ``too_many_redirects``, ``bad_url``, ``bad_encoding``.
    """

    kind = "fetch"

    def __init__(
        self,
        url: str,
        reason: str,
        message: str,
        *,
        target: str = "",
        cause: str = "",
        fix: str = "",
    ) -> None:
        super().__init__(message, cause=cause, fix=fix)
        self.url = url
        self.reason = reason
        self.target = target  # for redirect_off_host: where the redirect pointed


class KeyCheckError(IndexNowSyncError):
    """The hosted (or built) key file does not match the key exactly."""

    kind = "key_check"


class SubmissionError(IndexNowSyncError):
    """An endpoint refused the submission (400/403/422) or retries were exhausted."""

    kind = "submission"


class TooManyUrlsError(IndexNowSyncError):
    """The delta is larger than ``--max-urls``; nothing was sent."""

    kind = "max_urls"


class ReportFileError(IndexNowSyncError):
    """``--report FILE`` could not be written when the run ended (its folder was checked
    before any request): the run's report is lost, so the run fails, whatever it did."""

    kind = "report_file"


class InterruptedRun(IndexNowSyncError):
    """Ctrl-C (SIGINT): the run stopped where it was. Exit 130, as shells report it."""

    exit_code = 130
    kind = "interrupted"


class PlanBusyError(IndexNowSyncError):
    """Another ``submit --plan`` holds the plan's lock; nothing was sent."""

    kind = "plan_busy"


class RobotsError(IndexNowSyncError):
    """robots.txt answered 5xx/429 or could not be reached: engines then assume the whole
    site is disallowed (RFC 9309), so nothing is submitted."""

    kind = "robots"


class CheckGuardError(IndexNowSyncError):
    """The page checks found the whole site unsubmittable: every page noindex (a preview or
    staging deploy), or every page refused to the checker (bot protection)."""

    kind = "checks"


class DeferredError(IndexNowSyncError):
    """Some URLs were not live by the end of ``--wait``: they were deferred (not sent, kept
    pending in a plan); the rest was sent. A re-run sends the deferred ones."""

    kind = "deferred"


class NotDeployedError(DeferredError):
    """Every added URL answered 404/410: the deploy has not happened (or not propagated) yet,
    so nothing was sent and every checked URL was deferred."""

    kind = "not_deployed"


class ManifestError(IndexNowSyncError):
    """The fingerprint manifest could not be written into the build folder (a live manifest
    that cannot be read is only a warning, never this)."""

    kind = "manifest"
