"""What each stage is given: a command's :class:`Config` read into the values and small frozen
parameter objects the stages take (``Sides``, ``KeyFile``, ``Checks``/``Gates``, ``Sending``,
the content stage's settings), the web client, and the two steps of stage delta that the
Config switches on or off (content decides ``changed``; ``--fix-lastmod``).

The commands (:mod:`sync`) call these once, at the top of a run; nothing below them sees the
Config. No printing, no exiting: a value that is no site or a combination that cannot work
raises :class:`UsageError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .delta import DeltaRead, Sides
from .errors import ConfigError, UsageError
from .gates import Checks, Gates, check_build_offline, deadline_for
from .keycheck import KeyFile, require_key
from .send import Sending
from .urls import normalize_site, origin

if TYPE_CHECKING:
    from .changed import ContentResult
    from .models import Skipped
    from .wait import Deadline, PollPolicy
    from .web import PrefixResponse, WebClient


def configured_site(config: Config) -> str | None:
    """The site a config names: ``--site``, else the origin of ``--live``; None when neither.
    Raises :class:`UsageError` for a value that is no site."""
    if config.site:
        try:
            return normalize_site(config.site)
        except ValueError as exc:
            problem, _, fix = str(exc).partition("; ")  # (normalize_site: "problem; how")
            raise UsageError(
                f"{config.blame('site')} {problem} (got {config.site!r})", fix=fix
            ) from None
    if config.live:
        site = origin(config.live)
        if site is None:
            raise UsageError(
                f"{config.blame('live')} must be an absolute http(s) URL (got {config.live!r})"
            )
        return site
    return None


def followup_options(config: Config | None, *names: str) -> str:
    """The run's options among ``names`` (``endpoint``, ``key-location``) that a command a
    message suggests must repeat, as `` --name WORD`` each, ready to paste (the key read
    from the environment): a follow-up that drops --endpoint goes to another endpoint. Only
    those given on the command line: from the environment or the config file they apply to
    the follow-up by themselves, where it runs."""
    from .keyfile import shell_word

    if config is None:
        return ""
    values = {"endpoint": config.endpoint, "key-location": config.key_location}
    key = config.key or ""
    return "".join(
        f" --{name} {shell_word(value, key)}"
        for name in names
        if (value := values[name]) and config.given_as.get(name.replace("-", "_")) == f"--{name}"
    )


def require_site(site: str | None, what: str) -> str:
    if site is None:
        raise UsageError(f"{what} needs --site URL (the public base URL, e.g. https://example.com)")
    return site


def submission_key(config: Config) -> str:
    """The key of a run that may submit; the endpoint is checked too, before any work."""
    from .indexnow import resolve_endpoints

    key = require_key(config.key)
    try:
        resolve_endpoints(config.endpoint)
    except UsageError as exc:  # (its message begins "--endpoint"): name where it came from
        where = config.blame("endpoint")
        if where.startswith("--"):
            raise
        what = f"{where} {exc.what.removeprefix('--endpoint ')}"
        raise ConfigError(what, cause=exc.cause, fix=exc.fix) from None
    return key


def deadline(config: Config, pacing: PollPolicy | None) -> Deadline | None:
    named = (config.source("wait"), config.source("check"))
    return deadline_for(config.wait, config.check, config.dry_run, pacing, named)


def client(config: Config) -> WebClient:
    from .web import WebClient

    return WebClient(
        timeout=config.timeout,
        max_bytes=config.max_sitemap_bytes,
        pool_maxsize=config.check_concurrency,
    )


Clock = Callable[[], datetime]


class Lazy:
    """A web client made on first use (a plan against a baseline may never need one)."""

    def __init__(self, make: Callable[[], WebClient]) -> None:
        self._make = make
        self._client: WebClient | None = None

    def __call__(self) -> WebClient:
        if self._client is None:
            self._client = self._make()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def pages(config: Config, build: Path) -> bool:
    """Whether content decides: --changed-by content and a build with HTML pages (a
    sitemap-only build costs nothing more than finding that out)."""
    from .changed import build_root, has_pages

    return config.by_content and has_pages(build_root(build))


def content_delta(
    config: Config,
    read: DeltaRead,
    site: str | None,
    build: Path,
    client: Callable[[], WebClient],
    robots_read: Mapping[str, PrefixResponse],
    *,
    clock: Clock | None,
) -> ContentResult | None:
    """The delta decided by content (None with --changed-by lastmod)."""
    if not config.by_content:
        return None
    from .changed import ContentSettings, by_content, without_pages

    if read.build is None:  # no HTML pages in the build (see pages)
        return without_pages(read.delta, build)

    settings = ContentSettings(
        ignore=config.ignore,
        manifest_name=config.manifest_name,
        agents=config.robots_agent,
        concurrency=config.check_concurrency,
        max_bytes=config.max_sitemap_bytes,
        now=(clock or utc_now)(),
        fix_lastmod=config.fix_lastmod,
    )
    return by_content(
        read.delta,
        read.build,
        build,
        site=site,
        baseline=config.baseline,
        settings=settings,
        client=client,
        robots_read=robots_read,
        before_lastmods=read.before_lastmods,
        sitemaps=read.after.get("sources", ()),
    )


def require_manifest_for_fix(config: Config) -> None:
    """--fix-lastmod writes when each page's content last changed, which the fingerprint
    manifest carries from deploy to deploy: without it there is nothing true to write."""
    if not config.fix_lastmod:
        return
    if not config.by_content:
        problem = "--changed-by lastmod"
    elif config.manifest_name is None:
        problem = "--fingerprints off"
    else:
        return
    raise UsageError(
        f"--fix-lastmod cannot be used with {problem}",
        cause="the true lastmods come from the fingerprint manifest, which keeps when each "
        "page's content last changed from one deploy to the next",
        fix=f"drop {problem} (or --fix-lastmod)",
    )


def write_build(
    config: Config, build: Path, content: ContentResult | None, *, write: bool
) -> tuple[ContentResult | None, dict[str, Any] | None]:
    """Stage delta, what goes into the build folder before the deploy: the fingerprint
    manifest, and with --fix-lastmod the sitemap files rewritten with the true lastmods
    (:mod:`rewrite`), the manifest replaced with them, all or none. ``write`` False (a dry
    run): only counted. Returns the content result (its report saying where the manifest was
    written, a warning when it was not) and the report's ``lastmod_fix`` section (None
    without --fix-lastmod)."""
    from .manifest import ManifestTooLarge, is_manifest_file, manifest_chunks, write_manifest

    chunks: list[bytes] | None = None
    path = content.manifest_path if content is not None else None
    if content is not None and content.manifest is not None and path is not None:
        try:
            chunks = manifest_chunks(content.manifest, str(path), limit=content.manifest_limit)
        except ManifestTooLarge as exc:
            if write and is_manifest_file(path):
                path.unlink()  # (an earlier run's: it would ship and be taken as this one's)
            warning = f"fingerprint manifest: {exc}"
            content = replace(content, warnings=(*content.warnings, warning))
    manifest = [(path, chunks)] if write and path is not None and chunks is not None else []
    fixed = fix_lastmod(config, build, content, write=write, also=manifest)
    if fixed is None and manifest:
        write_manifest(*manifest[0])
    if content is not None and manifest:
        content = replace(content, report={**content.report, "manifest_written": str(path)})
    return content, fixed


def fix_lastmod(
    config: Config,
    build: Path,
    content: ContentResult | None,
    *,
    write: bool,
    also: list[tuple[Path, list[bytes]]],
) -> dict[str, Any] | None:
    """Stage delta, --fix-lastmod: the build's sitemap files rewritten with the true
    lastmods (:mod:`rewrite`), before the plan or any POST, replaced together with the files
    ``also`` names (the manifest) or not at all; ``write`` False (a dry run): only counted.
    The report's ``lastmod_fix`` section; None without --fix-lastmod."""
    if not config.fix_lastmod:
        return None
    from .rewrite import fix_build_lastmods
    from .sources import Limits

    # ``written``: whether sitemap files were rewritten (none in a dry run, none to rewrite).
    section: dict[str, Any] = {"written": False, "files": [], "corrected": 0}
    section.update(moved_back=0, added=0, moved_forward=0)
    if content is None or content.true_lastmods is None:
        section["skipped"] = (
            "the build has no HTML pages, so when their content changed is not known: the "
            "sitemaps were left as built"
        )
        return section
    limits = Limits(max_sitemap_bytes=config.max_sitemap_bytes)
    done = fix_build_lastmods(build, content.true_lastmods, limits, dry_run=not write, also=also)
    fixes = done.corrections
    section.update(written=write and bool(done.files), files=list(done.files))
    section.update(corrected=fixes.total)
    section.update(moved_back=fixes.back, added=fixes.added, moved_forward=fixes.forward)
    if content.differ_from_before is not None:
        section["differ_from_before"] = content.differ_from_before
        section["before"] = "baseline" if config.baseline is not None else "live"
    return section


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def content_warnings(content: ContentResult | None) -> tuple[str, ...]:
    return content.warnings if content else ()


def content_report(content: ContentResult | None) -> dict[str, Any]:
    """The report's ``content`` section: what decided ``changed`` and how."""
    return content.report if content is not None else {"changed_by": "lastmod"}


def sides(config: Config, site: str | None, build: Path) -> Sides:
    return Sides(
        site,
        build,
        config.baseline,
        config.live,
        config.max_sitemap_bytes,
        guessed=config.build is None,
        live_named=config.named("live"),
        site_named=config.source("site"),
        build_named=config.blame("build"),
        baseline_named=config.blame("baseline"),
    )


def key_file(config: Config, key: str, site: str | None, build: Path | None) -> KeyFile:
    offline_ok = config.dry_run and config.baseline is not None
    return KeyFile(
        key,
        config.key_location,
        site,
        build,
        offline_ok=offline_ok,
        key_location_named=config.blame("key_location"),
    )


def checks(config: Config) -> Checks:
    return Checks(config.check, config.robots_agent, config.check_concurrency)


def removed_not_sent(config: Config, removed: int) -> tuple[str, ...]:
    """The note for ``removed`` URLs left out because nothing verifies they are gone
    (``--check robots|off`` without ``--include-removed``); empty when none were, or when
    the user said ``--no-include-removed`` (not sending them is then what was asked)."""
    if not removed or config.include_removed is not None or config.check == "pages":
        return ()
    return (
        f"{removed} removed URL(s) not sent: with --check {config.check} their removal "
        "cannot be verified (add --include-removed to send them)",
    )


def check_build(
    config: Config, build: Path | None, urls: list[str]
) -> tuple[tuple[Skipped, ...], tuple[str, ...]]:
    return check_build_offline(build, urls, checks(config), config.max_urls)


def gates(config: Config) -> Gates:
    return Gates(checks(config), config.wait, config.live, config.max_sitemap_bytes)


def sending(config: Config, key: str) -> Sending:
    return Sending(config.endpoint, key, config.key_location, config.dry_run)
