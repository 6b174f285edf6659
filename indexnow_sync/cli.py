"""The ``indexnow-sync`` command line: parse, build a Config, run, render, exit.

The only module that prints or exits. Every :class:`IndexNowSyncError` becomes one line on
stderr (and the ``error`` field of ``--json``) and its exit code: 0 success, 1 the run failed,
2 bad input or usage. Heavy modules (lxml, requests, yaml) are imported inside the commands so
``indexnow-sync --version`` starts fast.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import IndexNowSyncError, SubmissionError, UsageError

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
                    click.echo(github.mask_command(text), err=True)  # unredacted on purpose


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
    click.echo(_redact(line), err=True)


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
) -> None:
    """Run a command body and render its outcome or error; always exits. A ``run`` that
    takes ``head`` calls it before its first POST (see :class:`_Head`)."""
    from . import github

    as_json = bool(kwargs.get("as_json"))
    outcome = None
    error: IndexNowSyncError | None = None
    config = None
    _secrets.clear()
    _learn_keys(kwargs.get("key"), os.environ.get("INDEXNOW_KEY"))
    try:
        try:
            config = _config(kwargs)
        except Exception:
            _learn_config_file_key(kwargs)
            raise
        _learn_keys(config.key)
        if head is not None:
            head.key = config.key
        outcome = run(config)
    except IndexNowSyncError as exc:
        error = exc
        outcome = getattr(exc, "outcome", None)
    except KeyboardInterrupt:
        _err("indexnow-sync: interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: still one line, never a traceback unless asked
        if os.environ.get("INDEXNOW_SYNC_DEBUG"):
            import traceback

            _err(traceback.format_exc().rstrip())  # scrubbed like every other line
        error = IndexNowSyncError(
            f"internal error: {type(exc).__name__}: {exc} (please report it; set "
            "INDEXNOW_SYNC_DEBUG=1 for details)"
        )
    from .report import human_lines, tail_lines, to_json

    if (
        error is None
        and outcome is not None
        and outcome.result is not None
        and outcome.result.failed
    ):
        failing = [
            r
            for r in outcome.result.requests
            if r.outcome not in ("accepted", "pending", "dry_run", "passed_on")
        ]
        detail = failing[0].detail if failing else ""
        error = SubmissionError(
            f"{len(outcome.result.failed)} URL(s) were not submitted"
            + (f": {detail}" if detail else "")
            + "; re-run to send them"
        )
    report = to_json(outcome, error, command)
    if report["site"] is None and config is not None:
        report["site"] = _site_of(config)  # a run that failed before it had an outcome
    has_delta = outcome is not None and outcome.delta is not None
    if head is not None and head.warnings_shown is not None:
        lines = tail_lines(
            report, warnings_shown=head.warnings_shown, skipped_shown=head.skipped_shown
        )
    else:
        lines = human_lines(report, has_delta=has_delta)
    for line in lines:
        _err(line)
    if error is not None:
        _err(f"error: {error.message}")
    report_path = kwargs.get("report")
    if report_path is not None:
        from .plan import atomic_write

        try:
            atomic_write(Path(report_path), map(_redact, _json_chunks(report)))
        except IndexNowSyncError as exc:
            _err(f"error: --report {exc.message}")
    if github.in_github_actions(os.environ):
        try:
            for line in github.write_github_files(report, os.environ, redact=_redact):
                _err(line)
        except OSError as exc:
            _err(f"warning: could not write GitHub Actions outputs: {exc}")
    if as_json:
        _write_json(report, sys.stdout)
    sys.exit(error.exit_code if error is not None else 0)


def _site_of(config: Any) -> str | None:
    """The site a config names, for the report of a run that failed before it had one; None
    when it names none or an invalid one (that is then the error being reported)."""
    from .errors import UsageError
    from .sync import configured_site

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
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
)
def sync(**kwargs: Any) -> None:
    """Diff, check the key, and submit the delta in one go."""
    from .sync import run_sync

    head = _Head("sync")
    _execute("sync", kwargs, lambda config: run_sync(config, progress=_err, ready=head), head)


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
    from .sync import run_submit_plan, run_submit_urls

    given = sum(bool(x) for x in (plan_file, urls, urls_file))
    if given != 1:

        def refuse(_config: Any) -> Any:
            raise UsageError(
                "submit needs exactly one of: --plan FILE, URLs, or --urls-file FILE|-"
            )

        _execute("submit", kwargs, refuse)
    head = _Head("submit")
    if plan_file is not None:
        _execute(
            "submit",
            kwargs,
            lambda config: run_submit_plan(config, plan_file, _err, head),
            head,
        )

    def from_list(config: Any) -> Any:
        listed = list(urls) or _read_urls(urls_file or "-")
        return run_submit_urls(config, listed, state, _err, head)

    _execute("submit", kwargs, from_list, head)


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
    from .sync import generate_key, write_key_file

    key = generate_key()
    if folder is not None:
        try:
            path = write_key_file(folder, key)
        except IndexNowSyncError as exc:
            _err(f"error: {exc.message}")
            sys.exit(exc.exit_code)
        from .keyfile import scrub

        _err(f"wrote {scrub(str(path), key)} ({len(key)} bytes, no newline)")
    click.echo(key)


def _console_safe() -> None:
    """Never crash on a character the console cannot show (Windows' cp1252, a C locale):
    human text gets a backslash escape instead; JSON is written as UTF-8 (``_write_json``)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _usage_report(exc: click.ClickException, argv: list[str]) -> None:
    """A usage error click caught before any command ran, rendered like every other error:
    the full report object under ``--json``, the GitHub Actions outputs and annotations."""
    from . import github
    from .report import to_json

    command = next((arg for arg in argv if arg in cli.commands), "")
    report = to_json(None, UsageError(_redact(exc.format_message())), command)
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
        shown = io.StringIO()
        exc.show(file=shown)
        click.echo(_redact(shown.getvalue()), err=True, nl=False)
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
