"""The ``indexnow-sync`` command line: parse, build a Config, run, render, exit.

The only module that prints or exits. Every :class:`IndexNowSyncError` becomes its lines on
stderr (``error: what failed``, then the cause and the fix indented; the ``error`` field of
``--json`` holds the same lines) and its exit code: 0 success, 1 the run failed,
2 bad input or usage. Heavy modules (lxml, requests, yaml) are imported inside the commands so
``indexnow-sync --version`` starts fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import IndexNowSyncError, UsageError

EPILOG = "Exit codes: 0 success (also: nothing to submit), 1 the run failed, 2 bad input or usage."


def _options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The shared options, in SPEC order; each also comes from INDEXNOW_* and the config file."""
    table: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
        "site": click.option(
            "--site", metavar="URL", help="Public base URL, scheme://host[:port]."
        ),
        "build": click.option(
            "--build",
            metavar="PATH",
            type=click.Path(path_type=Path),
            help="Built sitemap file or build output folder.",
        ),
        "live": click.option(
            "--live",
            metavar="URL",
            help="Live sitemap URL (default: robots.txt, then /sitemap.xml ...).",
        ),
        "baseline": click.option(
            "--baseline",
            metavar="FILE",
            type=click.Path(path_type=Path),
            help="Saved sitemap file or folder to diff against instead of live.",
        ),
        "key": click.option("--key", metavar="KEY", help="IndexNow key (or env INDEXNOW_KEY)."),
        "key-location": click.option(
            "--key-location", metavar="URL", help="Key file URL when not {site}/{key}.txt."
        ),
        "endpoint": click.option(
            "--endpoint",
            metavar="URL|NAME",
            help="indexnow, bing, yandex, naver, seznam, yep, or a URL; several, "
            "comma-separated, to fall back on in that order (default: indexnow,bing,yandex).",
        ),
        "dry-run": click.option(
            "--dry-run",
            is_flag=True,
            default=None,
            help="Do everything (key check included) except the POST.",
        ),
        "include-removed": click.option(
            "--include-removed/--no-include-removed",
            default=None,
            help="Removed URLs: default sent when checked gone or moved (--check pages); "
            "--no-include-removed sends none; --include-removed also sends them unchecked "
            "with --check robots|off.",
        ),
        "max-urls": click.option(
            "--max-urls",
            type=int,
            metavar="N",
            help="Refuse to submit more than N URLs (default 10000).",
        ),
        "timeout": click.option(
            "--timeout", type=float, metavar="SECONDS", help="Per-request time limit (default 20)."
        ),
        "max-sitemap-bytes": click.option(
            "--max-sitemap-bytes",
            type=int,
            metavar="BYTES",
            help="Largest sitemap read, uncompressed (default 50 MiB).",
        ),
        "check": click.option(
            "--check",
            metavar="pages|robots|off",
            help="Before submitting: robots.txt and one GET per URL (pages, default), "
            "robots.txt only (robots), or nothing (off).",
        ),
        "check-concurrency": click.option(
            "--check-concurrency",
            type=int,
            metavar="N",
            help="Page checks at once (default 8).",
        ),
        "robots-agent": click.option(
            "--robots-agent",
            multiple=True,
            metavar="NAME",
            help="robots.txt agent to check for, repeatable (default: bingbot, YandexBot).",
        ),
        "wait": click.option(
            "--wait",
            type=float,
            metavar="SECONDS",
            help="Wait up to SECONDS for the deploy to be live (live sitemap, then pages); "
            "defer what is not live by then. Default 0: look once.",
        ),
        "changed-by": click.option(
            "--changed-by",
            metavar="content|lastmod",
            help="What decides 'changed': the pages' content where both sides have "
            "fingerprints, else lastmod (content, default); or lastmod alone.",
        ),
        "ignore": click.option(
            "--ignore",
            multiple=True,
            metavar="SELECTOR",
            help="CSS selector of a volatile part of the pages to leave out of their "
            "fingerprints, repeatable (e.g. '.built-at').",
        ),
        "fingerprints": click.option(
            "--fingerprints",
            metavar="NAME|off",
            help="The fingerprint manifest written into the build folder and read from the "
            "live site (default indexnow-fingerprints.json); off: none.",
        ),
        "fix-lastmod": click.option(
            "--fix-lastmod/--no-fix-lastmod",
            default=None,
            help="Before the deploy: rewrite the build's sitemaps so each <lastmod> is when "
            "the page's content last changed (default: leave them as built).",
        ),
    }
    common: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout."),
        click.option(
            "--report",
            metavar="FILE",
            type=click.Path(path_type=Path),
            help="Also write the JSON report to FILE.",
        ),
        click.option(
            "--config",
            "config_file",
            metavar="FILE",
            type=click.Path(path_type=Path),
            help="Config file (default: indexnow.yml or .indexnow.yml here).",
        ),
    ]

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed([table[name] for name in names] + common):
            func = option(func)
        return func

    return decorate


def _flags(kwargs: dict[str, Any]) -> dict[str, Any]:
    from .config import OPTIONS

    return {
        name: kwargs.get(name.replace("-", "_"))
        for name in OPTIONS
        # A repeatable option given no times is () from click: not given.
        if kwargs.get(name.replace("-", "_")) not in (None, ())
    }


def _config(kwargs: dict[str, Any]) -> Any:
    from .config import load_config

    return load_config(
        _flags(kwargs), os.environ, Path.cwd(), config_path=kwargs.get("config_file")
    )


# --- the one place output is scrubbed ---------------------------------------------------------
#
# Every line the tool writes (stderr, the --json object, the --report file, the GitHub Actions
# files and annotations, messages of exceptions that reach the user) goes through _redact, so
# a key that ended up in a path, a URL, a response body or a config value is never written in
# full. The only exception is GitHub's ::add-mask:: command, which must carry the key itself.

_secrets: list[str] = []


def _learn_keys(*values: object) -> None:
    """Remember key values seen in this run (flag, environment, config file), even invalid
    ones: a key that fails validation is still a secret. In GitHub Actions each is
    ``::add-mask::``-ed at once, so the runner hides it from everything after. Values under 8
    characters are not keys of any kind, and scrubbing them would mangle ordinary words."""
    from . import github

    for value in values:
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            text = str(value).strip()
            if len(text) >= 8 and text not in _secrets:
                _secrets.append(text)
                if os.environ.get("GITHUB_ACTIONS") == "true":
                    _echo(github.mask_command(text), sys.stderr)  # unredacted on purpose


def _learn_config_file_key(kwargs: dict[str, Any]) -> None:
    """The config file's key, when loading the config failed before it was known."""
    from .config import raw_file_value

    _learn_keys(raw_file_value("key", kwargs.get("config_file"), Path.cwd()))


def _redact(text: str) -> str:
    """``text`` with every known key (also lower- or upper-cased, as a host name would make
    it) replaced by its shortened form ``3f9a…4c8d``."""
    if not _secrets:
        return text
    from .keyfile import shorten_key

    for secret in _secrets:
        for form in dict.fromkeys((secret, secret.lower(), secret.upper())):
            if form in text:
                text = text.replace(form, shorten_key(secret))
    return text


def _err(line: str) -> None:
    _echo(_redact(line), sys.stderr)


def _echo(text: str, stream: Any, *, nl: bool = True) -> None:
    """Write a line; a reader that went away (``| head``) costs that output, never a
    traceback, and the run goes on to its own exit code."""
    try:
        click.echo(text, file=stream, nl=nl)
    except BrokenPipeError:
        _closed(stream)


def _closed(stream: Any) -> None:
    """Point a stream whose reader has gone at the null device: what is still written to it
    (and Python's flush at exit) goes nowhere instead of raising BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # (no file descriptor: a test's buffer)
        pass


class _Head:
    """Prints what the run found (delta, key check) once, right before the first POST, so the
    progress lines of the requests come after it; the rest follows when the run ends."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.warnings_shown: int | None = None
        self.skipped_shown: int | None = None
        self.key: str | None = None

    def __call__(self, outcome: Any) -> None:
        from .report import head_lines, to_json

        report = to_json(outcome, None, self.command)
        for line in head_lines(report, has_delta=outcome.delta is not None):
            _err(line)
        self.warnings_shown = len(report["warnings"])
        self.skipped_shown = len(report["skipped"])


def _execute(
    command: str,
    kwargs: dict[str, Any],
    run: Callable[..., Any],
    head: _Head | None = None,
    journal: Any = None,
) -> None:
    """Run a command body and render its outcome or error; always exits. A ``run`` that
    takes ``head`` calls it before its first POST (see :class:`_Head`); one that takes
    ``journal`` (an :class:`outcome.Journal`) keeps in it what a Ctrl-C reports."""
    from . import github

    as_json = bool(kwargs.get("as_json"))
    outcome = None
    error: IndexNowSyncError | None = None
    config = None
    _secrets.clear()
    _learn_keys(kwargs.get("key"), os.environ.get("INDEXNOW_KEY"))
    report_path: Path | None = kwargs.get("report")
    try:
        if report_path is not None:
            try:
                _require_writable(report_path)
            except UsageError:
                report_path = None  # (not written at the end either)
                raise
        try:
            config = _config(kwargs)
        except Exception:
            _learn_config_file_key(kwargs)
            raise
        _learn_keys(config.key)
        for warning in config.warnings:
            _err(f"warning: {warning}")
        if head is not None:
            head.key = config.key
        outcome = run(config)
    except IndexNowSyncError as exc:
        error = exc
        outcome = getattr(exc, "outcome", None)
    except KeyboardInterrupt:
        from .outcome import Journal

        error = (journal or Journal()).interrupted()
        outcome = getattr(error, "outcome", None)
    except Exception as exc:  # a bug: still one line, never a traceback unless asked
        if os.environ.get("INDEXNOW_SYNC_DEBUG"):
            import traceback

            _err(traceback.format_exc().rstrip())  # scrubbed like every other line
        error = IndexNowSyncError(
            f"internal error: {type(exc).__name__}: {exc} (please report it; set "
            "INDEXNOW_SYNC_DEBUG=1 for details)"
        )
    from .report import error_lines, human_lines, tail_lines, to_json

    if error is None and outcome is not None:
        from .given import followup_options
        from .outcome import failed_submission

        error = failed_submission(outcome, followup_options(config, "key-location"))
    report = to_json(outcome, error, command)
    if outcome is None:  # a run that failed before it had an outcome: say what was asked
        report["dry_run"] = config.dry_run if config is not None else _dry_run_given(kwargs)
        if config is not None:
            report["site"] = _site_of(config)
    delta = outcome.delta if outcome is not None else None
    if head is not None and head.warnings_shown is not None:
        lines = tail_lines(
            report,
            warnings_shown=head.warnings_shown,
            skipped_shown=head.skipped_shown,
            delta=delta,
        )
    else:
        lines = human_lines(report, has_delta=delta is not None, delta=delta)
    for line in lines:
        _err(line)
    if error is not None:
        for line in error_lines(error.message):
            _err(line)
    if report_path is not None:
        from .plan import atomic_write

        try:
            atomic_write(report_path, map(_redact, _json_chunks(report)))
        except IndexNowSyncError as exc:
            lost = _report_lost(report_path, exc, report)
            for line in error_lines(lost.message):
                _err(line)
            if error is None:  # the run's own error, if any, keeps its exit code
                error = lost
                report["error"] = {"kind": lost.kind, "message": lost.message}
    if github.in_github_actions(os.environ):
        try:
            for line in github.write_github_files(report, os.environ, redact=_redact):
                _err(line)
        except OSError as exc:
            _err(f"warning: could not write GitHub Actions outputs: {exc}")
    if as_json:
        _write_json(report, sys.stdout)
    sys.exit(error.exit_code if error is not None else 0)


def _require_writable(path: Path) -> None:
    """Refuse, before any request, a ``--report`` path that cannot be written: a folder, or a
    file in a folder that does not exist or is not writable (nothing is created to find
    out). A run that submits and then cannot say what it did is worse than one that stops."""
    target = path.resolve() if path.is_symlink() else path
    what = f"--report {path}"
    if target.is_dir():
        raise UsageError(
            f"{what}: is a folder", fix=f"give a file path, e.g. --report {path / 'report.json'}"
        )
    if target.exists() and not target.is_file():  # /dev/stdout, a named pipe: written through
        if not os.access(target, os.W_OK):
            raise UsageError(f"{what}: is not writable", fix="give a file path you can write")
        return
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(
            f"{what}: its folder does not exist",
            fix="create the folder first, or give a path in an existing folder",
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"{what}: its folder is not writable", fix="give a path in a folder you can write"
        )


def _report_lost(path: Path, exc: IndexNowSyncError, report: dict[str, Any]) -> IndexNowSyncError:
    """The error for a report that could not be written when the run ended: exit 1, saying
    what the run did all the same (a submission that happened must not look undone)."""
    from .errors import ReportFileError

    reason = exc.what.removeprefix(f"{path.resolve() if path.is_symlink() else path}: ")
    submitted = len(report["submitted"])
    if submitted:
        done = f"the run went on: {submitted} URL(s) were submitted (listed above)"
    elif report["dry_run"]:
        done = "the run went on: it was a dry run, nothing was sent"
    else:
        done = "the run went on: nothing was submitted"
    return ReportFileError(
        f"--report {path} could not be written ({reason})",
        cause=done,
        fix="write the report to a folder that stays in place, or use --json > FILE",
    )


def _dry_run_given(kwargs: dict[str, Any]) -> bool:
    """Whether the run was asked to be a dry run, when its config could not be read: the
    flag, else ``INDEXNOW_DRY_RUN`` (the config file is what failed)."""
    flag = kwargs.get("dry_run")
    if flag is not None:
        return bool(flag)
    return os.environ.get("INDEXNOW_DRY_RUN", "").strip().lower() in ("1", "true", "yes", "on")


def _site_of(config: Any) -> str | None:
    """The site a config names, for the report of a run that failed before it had one; None
    when it names none or an invalid one (that is then the error being reported)."""
    from .errors import UsageError
    from .given import configured_site

    try:
        return configured_site(config)
    except UsageError:
        return None


def _json_chunks(report: dict[str, Any]) -> Iterator[str]:
    """One JSON object on one line, encoded field by field so a million-URL report is never
    one giant string in memory."""
    from .plan import json_pieces

    yield "{"
    for index, (name, value) in enumerate(report.items()):
        yield ("," if index else "") + json.dumps(name) + ":"
        yield from json_pieces(value)
    yield "}\n"


def _write_json(report: dict[str, Any], stream: Any) -> None:
    """The report on ``stream``; a reader that went away costs the output, nothing more."""
    try:
        _write_json_to(report, stream)
    except BrokenPipeError:
        _closed(stream)


def _write_json_to(report: dict[str, Any], stream: Any) -> None:
    """JSON is UTF-8 (RFC 8259) whatever the console's encoding (Windows: cp1252), so it is
    written as UTF-8 bytes when the stream would encode it otherwise."""
    buffer = getattr(stream, "buffer", None)
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if buffer is not None and encoding != "utf8":
        stream.flush()
        for chunk in _json_chunks(report):
            buffer.write(chunk.encode("utf-8"))
        buffer.flush()
        return
    for chunk in _json_chunks(report):
        stream.write(_redact(chunk))
    stream.flush()


class _Commands(click.Group):
    """The command group; its help lists every command's summary whole, wrapped (click cuts
    a summary longer than the line with "...", which hid what ``plan`` and ``verify-key``
    are for at 80 columns)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(
    __version__, "--version", prog_name="indexnow-sync", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Submit only what a deploy added or changed to IndexNow.

    Reads the built sitemap, diffs it against the live one (or a saved baseline) by <loc> and
    <lastmod>, checks the hosted key file, and submits the delta.
    """


@cli.command(epilog=EPILOG)
@_options(
    "site",
    "build",
    "live",
    "baseline",
    "key",
    "key-location",
    "endpoint",
    "dry-run",
    "include-removed",
    "max-urls",
    "timeout",
    "max-sitemap-bytes",
    "check",
    "check-concurrency",
    "robots-agent",
    "wait",
    "changed-by",
    "ignore",
    "fingerprints",
    "fix-lastmod",
)
def sync(**kwargs: Any) -> None:
    """Diff, check the key, and submit the delta in one go."""
    from .outcome import Journal
    from .sync import run_sync

    head = _Head("sync")
    report = kwargs.get("report")
    journal = Journal()

    def run(config: Any) -> Any:
        return run_sync(config, progress=_err, ready=head, report=report, journal=journal)

    _execute("sync", kwargs, run, head, journal)


@cli.command(epilog=EPILOG)
@_options(
    "site",
    "build",
    "live",
    "baseline",
    "key",
    "key-location",
    "timeout",
    "max-sitemap-bytes",
    "check",
    "robots-agent",
    "changed-by",
    "ignore",
    "fingerprints",
    "fix-lastmod",
)
@click.option(
    "--out",
    required=True,
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Where to write the plan (JSON).",
)
def plan(out: Path, **kwargs: Any) -> None:
    """Write the delta to a plan file; submit nothing (run before the deploy)."""
    from .sync import run_plan

    _execute("plan", kwargs, lambda config: run_plan(config, out))


@cli.command(epilog=EPILOG)
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option(
    "--plan",
    "plan_file",
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Plan file written by 'plan' (progress is recorded in it).",
)
@click.option("--urls-file", metavar="FILE|-", help="File with one URL per line, or - for stdin.")
@click.option(
    "--state",
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Remember accepted URLs; skip those accepted < 10 minutes ago.",
)
@_options(
    "site",
    "build",
    "key",
    "key-location",
    "endpoint",
    "dry-run",
    "include-removed",
    "max-urls",
    "timeout",
    "check",
    "check-concurrency",
    "robots-agent",
    "wait",
)
def submit(
    urls: tuple[str, ...],
    plan_file: Path | None,
    urls_file: str | None,
    state: Path | None,
    **kwargs: Any,
) -> None:
    """Submit a plan (after the deploy), or a list of URLs."""
    from .outcome import Journal
    from .sync import run_submit_plan, run_submit_urls

    given = sum(bool(x) for x in (plan_file, urls, urls_file))
    if given != 1:

        def refuse(_config: Any) -> Any:
            raise UsageError(
                "submit needs exactly one of: --plan FILE, URLs, or --urls-file FILE|-"
            )

        _execute("submit", kwargs, refuse)
    head = _Head("submit")
    journal = Journal()
    if plan_file is not None:
        _execute(
            "submit",
            kwargs,
            lambda config: run_submit_plan(config, plan_file, _err, head, journal=journal),
            head,
            journal,
        )

    def from_list(config: Any) -> Any:
        listed = list(urls) or _read_urls(urls_file or "-")
        report = kwargs.get("report")
        return run_submit_urls(config, listed, state, _err, head, report=report, journal=journal)

    _execute("submit", kwargs, from_list, head, journal)


def _read_urls(source: str) -> list[str]:
    """One URL per line; blank lines and ``#`` comments skipped. A UTF-8 BOM (Windows
    editors, PowerShell) is not part of the first URL; CRLF line ends are fine."""
    name = "standard input" if source == "-" else source
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"--urls-file {name}: cannot be read ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"--urls-file {name}: is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@cli.command("verify-key", epilog=EPILOG)
@_options("site", "build", "key", "key-location", "timeout")
def verify_key(**kwargs: Any) -> None:
    """Check that the hosted key file holds exactly the key (exit 0 ok, 1 not ok)."""
    from .sync import run_verify_key

    _execute("verify-key", kwargs, run_verify_key)


@cli.command(epilog=EPILOG)
@click.option(
    "--write",
    "folder",
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Also write DIR/KEY.txt containing exactly the key (no newline).",
)
def keygen(folder: Path | None) -> None:
    """Print a new random IndexNow key (32 hex characters)."""
    from .keyfile import generate_key, write_key_file

    key = generate_key()
    if folder is not None:
        try:
            path = write_key_file(folder, key)
        except IndexNowSyncError as exc:
            from .report import error_lines

            for line in error_lines(exc.message):
                _err(line)
            sys.exit(exc.exit_code)
        from .keyfile import scrub

        _err(f"wrote {scrub(str(path), key)} ({len(key)} bytes, no newline)")
    _echo(key, sys.stdout)


def _console_safe() -> None:
    """Never crash on a character the console cannot show (Windows' cp1252, a C locale):
    human text gets a backslash escape instead; JSON is written as UTF-8 (``_write_json``)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _parser_error(exc: click.ClickException) -> UsageError:
    """An error click's option parser found, in the format of every other error: click's
    message first, its usage line as the cause, and its "Did you mean ...?" (or ours, for a
    command) in the fix, with the --help that lists every option."""
    import difflib
    import re

    message = " ".join(_redact(exc.format_message()).split())
    # click before 8.2.1 words it "No such option: --dryrun"; one first line on every click
    older = re.match(r"No such option: (\S{1,200})", message)
    if older:
        message = f"No such option '{older.group(1)}'{message[older.end() :]}"
    suggestion = ""
    one = re.search(r" Did you mean ([^?]{1,200})\?$", message)
    several = re.search(r" \(Possible options: ([^)]{1,300})\)$", message)
    if one:
        suggestion = f"did you mean {one.group(1)}? "
        message = message[: one.start()]
    elif several:
        suggestion = f"did you mean one of {several.group(1)}? "
        message = message[: several.start()]
    elif message.startswith("No such command '"):  # (click before 8.2.1 suggests none)
        typed = message.split("'")[1]
        close = difflib.get_close_matches(typed, cli.commands, n=1)
        suggestion = f"did you mean '{close[0]}'? " if close else ""
    ctx = getattr(exc, "ctx", None)
    usage = ctx.get_usage().strip() if ctx is not None else ""
    path = ctx.command_path if ctx is not None else "indexnow-sync"
    listed = "its options" if ctx is not None and ctx.command is not cli else "the commands"
    help_ = f"'{path} --help' lists {listed}"
    return UsageError(
        message.rstrip("."),
        cause=usage[:1].lower() + usage[1:],
        fix=f"{suggestion}({help_})" if suggestion else help_,
    )


def _usage_report(exc: click.ClickException, argv: list[str]) -> None:
    """A usage error click caught before any command ran, rendered like every other error:
    the full report object under ``--json``, the GitHub Actions outputs and annotations."""
    from . import github
    from .report import to_json

    command = next((arg for arg in argv if arg in cli.commands), "")
    report = to_json(None, _parser_error(exc), command)
    report["dry_run"] = "--dry-run" in argv or _dry_run_given({})
    if github.in_github_actions(os.environ):
        try:
            for line in github.write_github_files(report, os.environ):
                _err(line)
        except (OSError, IndexNowSyncError) as error:
            _err(f"warning: could not write GitHub Actions outputs: {error}")
    if "--json" in argv:
        _write_json(report, sys.stdout)


def main() -> None:
    _console_safe()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        # Click's own messages may quote a value, the key included: learn it from the
        # arguments and the environment, and scrub them like everything else.
        _secrets.clear()
        _learn_keys(_key_argument(sys.argv[1:]), os.environ.get("INDEXNOW_KEY"))
        _usage_report(exc, sys.argv[1:])
        from .report import error_lines

        for line in error_lines(_parser_error(exc).message):
            _err(line)
        sys.exit(2)
    except click.exceptions.Abort:
        _err("indexnow-sync: aborted")
        sys.exit(130)


def _key_argument(argv: list[str]) -> str | None:
    """The value of ``--key`` in raw arguments (for scrubbing click's own error messages)."""
    for index, arg in enumerate(argv):
        if arg == "--key" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--key="):
            return arg.removeprefix("--key=")
    return None
