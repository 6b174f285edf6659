"""Issue 20 end to end: content decides "changed" (SPEC "What changed: content, not just
lastmod"), against a real local site serving the previous build, with the strict local IndexNow
endpoint. Runs are in-process with the run's clock injected (the manifest's content-changed
instants are asserted exactly) and, for waiting, the fake monotonic clock of tests/faketime.py.

The site's pages are written by hand so each test says exactly what changed: a body edit whose
lastmod did not move, a lastmod that moved over the same content, both, neither.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from indexnow_sync.config import Config
from indexnow_sync.errors import DeferredError
from indexnow_sync.manifest import DEFAULT_NAME, read_manifest_file
from indexnow_sync.outcome import Outcome
from indexnow_sync.plan import read_plan
from indexnow_sync.sync import run_plan, run_submit_plan, run_sync
from tests.faketime import FakeTime
from tests.indexnow_server import IndexNowServer
from tests.siteserver import SiteServer

KEY = "5e2b8d1f3a7c9e0b4d6f8a1c3e5b7d9f"
NOW = datetime(2025, 6, 1, 9, 30, 15, 500_000, tzinfo=timezone.utc)
NOW_TEXT = "2025-06-01T09:30:15Z"

# path -> (lastmod, main text)
V1 = {
    "/a/": ("2024-01-01", "Alpha, first version."),
    "/b/": ("2024-01-01", "Bravo."),
    "/c/": ("2024-01-01", "Charlie, first version."),
    "/d/": ("2024-01-01", "Delta."),
    "/gone/": ("2024-01-01", "Going."),
}
V2 = {
    "/a/": ("2024-01-01", "Alpha, edited: the lastmod did not move."),  # content only
    "/b/": ("2024-06-01", "Bravo."),  # lastmod only (a rebuild stamping the date)
    "/c/": ("2024-06-01", "Charlie, edited."),  # both
    "/d/": ("2024-01-01", "Delta."),  # neither
    "/new/": ("2024-06-01", "New page."),  # added
}  # /gone/ removed


def page(path: str, text: str, *, built: str = "12:00", head: str = "") -> str:
    return (
        f'<!doctype html><html><head><title>{path}</title><link rel="stylesheet" '
        f'href="/app.{built.replace(":", "")}.css">{head}</head><body><nav><a href="/">Home</a>'
        f'</nav><main><h1>{path}</h1><p>{text}</p><p class="built-at">built at {built}</p>'
        "</main></body></html>"
    )


class World:
    """Builds on disk, the site serving one of them, plan/sync/submit runs."""

    def __init__(self, site: SiteServer, endpoint: IndexNowServer, tmp: Path, fake: FakeTime):
        self.site, self.endpoint, self.tmp, self.fake = site, endpoint, tmp, fake
        self.count = 0
        self.empty = self.folder("empty")
        site.serve_dir(self.empty)

    def u(self, path: str) -> str:
        return self.site.url(path)

    def folder(self, name: str) -> Path:
        self.count += 1
        folder = self.tmp / f"{self.count:02d}-{name}"
        folder.mkdir()
        return folder

    def build(
        self,
        pages: Mapping[str, tuple[str, str]],
        *,
        built: str = "12:00",
        robots: str | None = None,
        html: bool = True,
    ) -> Path:
        root = self.folder("build")
        entries = "".join(
            f"<url><loc>{self.u(path)}</loc><lastmod>{lastmod}</lastmod></url>"
            for path, (lastmod, _text) in pages.items()
        )
        (root / "sitemap.xml").write_text(
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>',
            encoding="utf-8",
        )
        (root / f"{KEY}.txt").write_text(KEY, encoding="ascii")
        if robots is not None:
            (root / "robots.txt").write_text(robots, encoding="utf-8")
        for path, (_lastmod, text) in pages.items() if html else ():
            file = root / path.strip("/") / "index.html"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(page(path, text, built=built), encoding="utf-8")
        return root

    def deploy(self, build: Path) -> Path:
        """The site serves a copy of ``build`` (with what a plan wrote into it) from now on."""
        live = self.folder("live")
        shutil.copytree(build, live, dirs_exist_ok=True)
        self.site.serve_dir(live)
        return live

    def config(self, build: Path, **options: Any) -> Config:
        base = Config(
            site=self.site.base_url, build=build, key=KEY, endpoint=self.endpoint.endpoint
        )
        return replace(base, **options)

    def plan(self, build: Path, **options: Any) -> tuple[Outcome, Path]:
        out = self.folder("plan") / "plan.json"
        return run_plan(self.config(build, **options), out, clock=lambda: NOW), out

    def sync(self, build: Path, **options: Any) -> tuple[Outcome, DeferredError | None]:
        config = self.config(build, **options)
        try:
            return run_sync(config, clock=lambda: NOW, pacing=self.fake.policy()), None
        except DeferredError as error:
            return error.outcome, error  # type: ignore[attr-defined]

    def submit(self, plan: Path, **options: Any) -> tuple[Outcome, DeferredError | None]:
        config = self.config(None, **options)  # type: ignore[arg-type]
        try:
            return run_submit_plan(config, plan, pacing=self.fake.policy()), None
        except DeferredError as error:
            return error.outcome, error  # type: ignore[attr-defined]

    def gets(self, since: int = 0) -> list[str]:
        """The paths the site was asked for (from request number ``since``), but the sitemap
        discovery and the key file."""
        skip = {"/robots.txt", "/sitemap.xml", "/sitemap-index.xml", "/sitemap_index.xml"}
        skip.add(f"/{KEY}.txt")
        return [r.path for r in self.site.requests[since:] if r.path not in skip]

    def paths(self, urls: Any) -> list[str]:
        return [url[len(self.site.base_url) :] for url in urls]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fake = FakeTime(9000.0)
    with SiteServer(clock=fake.clock) as site, IndexNowServer() as endpoint:
        yield World(site, endpoint, tmp_path, fake)


def deployed_v1(world: World) -> Path:
    """The steady state: v1 was planned before its deploy, so its manifest is live."""
    v1 = world.build(V1)
    world.plan(v1)
    world.deploy(v1)
    return v1


# --- the steady state: the live manifest --------------------------------------------------


def test_content_decides_with_the_live_manifest(world: World) -> None:
    deployed_v1(world)
    v2 = world.build(V2)
    seen = len(world.site.requests)
    outcome, plan = world.plan(v2)
    delta = outcome.delta
    assert delta is not None
    assert world.paths(delta.added) == ["/new/"]
    assert world.paths(delta.removed) == ["/gone/"]
    # The body edit is found although its lastmod did not move; the rebuilt page is not.
    assert world.paths(delta.changed) == ["/a/", "/c/"]
    assert world.paths(delta.unchanged_content) == ["/b/"]
    assert dict(delta.reasons) == {world.u("/a/"): "content", world.u("/c/"): "content"}
    # One GET of the manifest, no page.
    assert world.gets(seen) == [f"/{DEFAULT_NAME}"]
    assert outcome.content is not None
    assert outcome.content["before"] == "manifest"
    assert outcome.content["compared"] == 4 and outcome.content["different"] == 2
    # The plan keeps the fingerprints the page checks compare live pages with.
    saved = json.loads(plan.read_text(encoding="utf-8"))
    assert saved["version"] == 3
    assert saved["reasons"] == {world.u("/a/"): "content", world.u("/c/"): "content"}
    assert saved["unchanged_content"] == [world.u("/b/")]
    assert set(saved["fingerprints"]["build"]) == {world.u(p) for p in ("/new/", "/a/", "/c/")}
    assert set(saved["fingerprints"]["before"]) == {world.u("/a/"), world.u("/c/")}
    # /a/ changed without a new lastmod: the live sitemap will show its same lastmod.
    assert saved["lastmods"][world.u("/a/")] == "2024-01-01"


def test_the_manifest_records_when_content_last_changed(world: World) -> None:
    v1 = deployed_v1(world)
    first = read_manifest_file(v1 / DEFAULT_NAME, site=world.site.base_url, max_bytes=1 << 20)
    assert first is not None
    # No earlier manifest: the build's lastmod, as it is.
    assert {world.paths([u])[0]: e.content_changed for u, e in first.entries.items()} == {
        path: lastmod for path, (lastmod, _text) in V1.items()
    }
    v2 = world.build(V2)
    world.plan(v2)
    second = read_manifest_file(v2 / DEFAULT_NAME, site=world.site.base_url, max_bytes=1 << 20)
    assert second is not None
    changed_at = {world.paths([u])[0]: e.content_changed for u, e in second.entries.items()}
    assert changed_at == {
        "/a/": NOW_TEXT,  # content changed: the run's time (UTC, seconds)
        "/b/": "2024-01-01",  # same content: carried over, whatever the new lastmod says
        "/c/": NOW_TEXT,
        "/d/": "2024-01-01",
        "/new/": NOW_TEXT,  # new
    }
    assert second.entries[world.u("/b/")].lastmod == "2024-06-01"  # the build's, as written
    assert second.created == NOW_TEXT and second.site == world.site.base_url


def test_an_unchanged_rebuild_reuses_every_fingerprint(world: World) -> None:
    deployed_v1(world)
    again = world.build(V1)  # the same sources built again: the same bytes
    outcome, _plan = world.plan(again)
    assert outcome.delta is not None and outcome.delta.changed == ()
    assert outcome.content is not None
    assert outcome.content["parsed"] == 0 and outcome.content["reused"] == 5


def test_asset_hashes_and_a_build_time_change_nothing_but_ignore_is_needed_for_text(
    world: World,
) -> None:
    """A theme change rewrites every file (asset hashes) and the build time shows in the
    page text: the asset hashes never count; the "built at" line does until --ignore."""
    v1 = world.build(V1, built="12:00")
    world.plan(v1, ignore=(".built-at",))
    world.deploy(v1)
    rebuilt = world.build(V1, built="13:45")
    plain, _ = world.plan(rebuilt)
    assert plain.delta is not None
    # Without the selector the manifest's fingerprints were made by other rules: unknown,
    # never "different" (lastmod decides: nothing moved).
    assert plain.delta.changed == ()
    ignoring, _ = world.plan(world.build(V1, built="13:45"), ignore=(".built-at",))
    assert ignoring.delta is not None and ignoring.delta.changed == ()
    assert ignoring.content is not None and ignoring.content["same"] == 5


def test_a_volatile_part_without_ignore_is_a_change(world: World) -> None:
    deployed_v1(world)
    outcome, _ = world.plan(world.build(V1, built="13:45"))
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == list(V1)  # "built at 13:45" is page text


def test_the_build_robots_txt_is_part_of_a_page(world: World) -> None:
    deployed_v1(world)
    blocked = world.build(V1, robots="User-agent: *\nDisallow: /b/\n")
    outcome, _ = world.plan(blocked)
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == ["/b/"]
    assert dict(outcome.delta.reasons) == {world.u("/b/"): "content"}


def test_the_churn_warning_says_what_content_did(world: World) -> None:
    many = {f"/p{i}/": ("2024-01-01", f"Page {i}.") for i in range(12)}
    v1 = world.build(many)
    world.plan(v1)
    world.deploy(v1)
    stamped = {path: ("2024-06-01", text) for path, (_day, text) in many.items()}
    stamped["/p3/"] = ("2024-06-01", "Page 3, edited.")
    outcome, _ = world.plan(world.build(stamped))
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == ["/p3/"]
    assert len(outcome.delta.unchanged_content) == 11
    churn = [w for w in outcome.warnings if "have a new <lastmod>" in w]
    assert len(churn) == 1
    assert churn[0].startswith("12 of 12 URLs present in both sitemaps have a new <lastmod>")
    assert "content decided instead: 1 really changed, 11 only got a new lastmod" in churn[0]


# --- the first run: no manifest yet ---------------------------------------------------------


def test_a_first_run_compares_the_live_pages_whose_lastmod_moved(world: World) -> None:
    v1 = world.build(V1)
    world.deploy(v1)  # never planned: no manifest live
    v2 = world.build(V2)
    seen = len(world.site.requests)
    outcome, _plan = world.plan(v2)
    delta = outcome.delta
    assert delta is not None
    # Churn dropped (/b/), /c/ found; the /a/ edit (lastmod unmoved) waits for the next run.
    assert world.paths(delta.changed) == ["/c/"]
    assert world.paths(delta.unchanged_content) == ["/b/"]
    assert dict(delta.reasons) == {world.u("/c/"): "content"}
    assert sorted(world.gets(seen)) == sorted([f"/{DEFAULT_NAME}", "/b/", "/c/"])
    assert outcome.content is not None and outcome.content["before"] == "live-pages"
    assert outcome.content["live_pages_fetched"] == 2
    assert any(
        "2 URL(s) present on both sides could not be compared by content" in note
        and "not fetched" in note
        for note in outcome.notes
    )
    # The next run has the manifest: the /a/ edit shows from then on.
    assert (v2 / DEFAULT_NAME).is_file()


def test_a_broken_live_manifest_is_a_warning_and_live_pages_decide(world: World) -> None:
    v1 = world.build(V1)
    world.deploy(v1)
    world.site.route(f"/{DEFAULT_NAME}", b'{"format": "indexnow-sync-fingerprints", "urls"')
    outcome, _plan = world.plan(world.build(V2))
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == ["/c/"]
    assert any("fingerprint manifest" in w and "not valid JSON" in w for w in outcome.warnings)


def test_live_pages_robots_txt_disallows_are_not_requested(world: World) -> None:
    v1 = world.build(V1, robots="User-agent: *\nDisallow: /c/\n")
    world.deploy(v1)
    seen = len(world.site.requests)
    outcome, _plan = world.plan(world.build(V2, robots="User-agent: *\nDisallow: /c/\n"))
    assert "/c/" not in world.gets(seen)
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == ["/c/"]  # not compared: lastmod decides
    assert outcome.delta.reasons[world.u("/c/")] == "lastmod"


# --- the options ----------------------------------------------------------------------------


def test_changed_by_lastmod_is_the_lastmod_rule_alone(world: World) -> None:
    deployed_v1(world)
    v2 = world.build(V2)
    seen = len(world.site.requests)
    outcome, plan = world.plan(v2, changed_by="lastmod")
    delta = outcome.delta
    assert delta is not None
    assert world.paths(delta.changed) == ["/b/", "/c/"]
    assert delta.unchanged_content == () and delta.fingerprints is None
    assert world.gets(seen) == []  # fetches nothing extra
    assert not (v2 / DEFAULT_NAME).exists()  # writes nothing
    assert outcome.content == {"changed_by": "lastmod"}
    assert json.loads(plan.read_text(encoding="utf-8"))["fingerprints"] is None


def test_fingerprints_off_reads_and_writes_no_manifest(world: World) -> None:
    deployed_v1(world)
    v2 = world.build(V2)
    seen = len(world.site.requests)
    outcome, _plan = world.plan(v2, fingerprints="off")
    assert sorted(world.gets(seen)) == ["/b/", "/c/"]  # the live pages, no manifest
    assert not (v2 / DEFAULT_NAME).exists()
    assert outcome.delta is not None and world.paths(outcome.delta.changed) == ["/c/"]


def test_another_manifest_name(world: World) -> None:
    v1 = world.build(V1)
    world.plan(v1, fingerprints="fp.json.gz")
    assert (v1 / "fp.json.gz").read_bytes()[:2] == b"\x1f\x8b"
    world.deploy(v1)
    v2 = world.build(V2)
    seen = len(world.site.requests)
    outcome, _ = world.plan(v2, fingerprints="fp.json.gz")
    assert world.gets(seen) == ["/fp.json.gz"]
    assert outcome.delta is not None and world.paths(outcome.delta.changed) == ["/a/", "/c/"]


def test_a_sitemap_only_build_costs_nothing_more(world: World) -> None:
    world.deploy(world.build(V1, html=False))
    bare = world.build(V2, html=False)
    seen = len(world.site.requests)
    outcome, _plan = world.plan(bare)
    assert world.gets(seen) == []
    assert sorted(p.name for p in bare.iterdir()) == sorted(["sitemap.xml", f"{KEY}.txt"])
    assert outcome.delta is not None and world.paths(outcome.delta.changed) == ["/b/", "/c/"]
    assert any("has no HTML pages: lastmod decides" in note for note in outcome.notes)


# --- a baseline folder ----------------------------------------------------------------------


def test_a_baseline_folder_is_fingerprinted_from_its_pages(world: World) -> None:
    v1 = world.build(V1)  # never planned: no manifest in it
    outcome, _plan = world.plan(world.build(V2), baseline=v1)
    assert world.site.requests == []  # nothing live is read
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == ["/a/", "/c/"]
    assert outcome.content is not None and outcome.content["before"] == "baseline-pages"


def test_a_baseline_folder_with_its_manifest_uses_it(world: World) -> None:
    v1 = world.build(V1)
    world.plan(v1, baseline=v1)  # writes v1's manifest into v1
    for page_file in v1.rglob("index.html"):
        page_file.unlink()  # a cached baseline: sitemaps and the manifest only
    outcome, _plan = world.plan(world.build(V2), baseline=v1)
    assert outcome.delta is not None
    assert world.paths(outcome.delta.changed) == ["/a/", "/c/"]
    assert outcome.content is not None and outcome.content["before"] == "baseline-manifest"


# --- live means the build's content ---------------------------------------------------------


def planned_v2(world: World) -> tuple[Path, Path]:
    deployed_v1(world)
    v2 = world.build(V2)
    _outcome, plan = world.plan(v2)
    return v2, plan


def test_a_stale_copy_is_waited_for_then_sent_once_it_turns(world: World) -> None:
    v2, plan = planned_v2(world)
    # The deploy reaches everything at once but /a/, served stale for 40 s (a CDN's cache).
    world.site.deploy(v2, paths=[p for p in (*V2, "/gone/", "/sitemap.xml") if p != "/a/"])
    world.site.deploy(v2, paths=["/a/"], after_seconds=40)
    outcome, error = world.submit(plan, wait=600.0)
    assert error is None
    assert sorted(world.paths(world.endpoint.accepted)) == ["/a/", "/c/", "/gone/", "/new/"]
    assert world.endpoint.accepted_counts().most_common(1)[0][1] == 1
    # Pages looked at: at once, then after 5, 7.5, 11.25, 16.875 s (40.6 s): live.
    assert world.fake.sleeps == [5.0, 7.5, 11.25, 16.875]
    assert outcome.waiting is not None and outcome.waiting["page_rechecks"] == 4


def test_a_copy_still_stale_at_the_deadline_is_deferred_never_sent(world: World) -> None:
    v2, plan = planned_v2(world)
    world.site.deploy(v2, paths=[p for p in (*V2, "/gone/", "/sitemap.xml") if p != "/a/"])
    outcome, error = world.submit(plan, wait=60.0)
    assert isinstance(error, DeferredError)
    assert {d.url: d.reason for d in outcome.deferred} == {
        world.u("/a/"): "answers 200 with the previous content (a cached copy?)"
    }
    assert world.u("/a/") not in world.endpoint.accepted
    assert world.u("/a/") in read_plan(plan).pending(include_removed=False)  # kept pending


def test_a_stale_copy_is_deferred_also_without_wait(world: World) -> None:
    v2, plan = planned_v2(world)
    world.site.deploy(v2, paths=[p for p in (*V2, "/gone/", "/sitemap.xml") if p != "/a/"])
    outcome, error = world.submit(plan)
    assert isinstance(error, DeferredError) and error.kind == "deferred"
    assert [d.url for d in outcome.deferred] == [world.u("/a/")]
    assert sorted(world.paths(world.endpoint.accepted)) == ["/c/", "/gone/", "/new/"]
    assert world.fake.sleeps == []


def test_a_page_the_server_rewrites_is_sent_with_a_warning(world: World) -> None:
    v2, plan = planned_v2(world)
    world.deploy(v2)
    # The server injects something into /c/ (e-mail obfuscation, a banner): neither the
    # build's content nor the previous one.
    rewritten = (v2 / "c" / "index.html").read_text(encoding="utf-8")
    world.site.route(
        "/c/",
        rewritten.replace("</main>", "<p>[email protected]</p></main>"),
        content_type="text/html; charset=utf-8",
    )
    outcome, error = world.submit(plan, wait=60.0)
    assert error is None
    assert sorted(world.paths(world.endpoint.accepted)) == ["/a/", "/c/", "/gone/", "/new/"]
    assert world.fake.sleeps == []  # not waited for
    assert any(
        w.startswith(world.u("/c/")) and "neither the build's nor the previous one" in w
        for w in outcome.warnings
    )


def test_a_dry_sync_writes_no_manifest(world: World) -> None:
    deployed_v1(world)
    v2 = world.build(V2)
    world.deploy(v2)
    outcome, _error = world.sync(v2, dry_run=True)
    assert not (v2 / DEFAULT_NAME).exists()
    assert outcome.content is not None and outcome.content["manifest_written"] is None


def test_sync_writes_the_manifest_and_sends_content_changes(world: World) -> None:
    deployed_v1(world)
    v2 = world.build(V2)
    # sync runs beside the platform's deploy: it diffs while v1 is live, then waits.
    world.site.deploy(v2, after_seconds=30)
    outcome, error = world.sync(v2, wait=300.0)
    assert error is None
    assert (v2 / DEFAULT_NAME).is_file()
    assert sorted(world.paths(world.endpoint.accepted)) == ["/a/", "/c/", "/gone/", "/new/"]
    assert outcome.delta is not None and world.paths(outcome.delta.unchanged_content) == ["/b/"]


# --- the CLI: report, human lines, options --------------------------------------------------


def cli(world: World, *args: str) -> Any:
    from click.testing import CliRunner

    from indexnow_sync.cli import cli as command

    cleared: dict[str, str | None] = {"GITHUB_ACTIONS": None, "GITHUB_OUTPUT": None}
    cleared["GITHUB_STEP_SUMMARY"] = None
    return CliRunner().invoke(command, list(args), env={"INDEXNOW_KEY": KEY, **cleared})


def test_the_report_and_the_human_lines(world: World) -> None:
    deployed_v1(world)
    v2 = world.build(V2)
    out = world.folder("plan") / "plan.json"
    result = cli(
        world, "plan", "--site", world.site.base_url, "--build", str(v2), "--out", str(out),
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["changed_reasons"] == {world.u("/a/"): "content", world.u("/c/"): "content"}
    assert report["unchanged_content"] == [world.u("/b/")]
    assert report["counts"]["unchanged_content"] == 1
    assert report["content"]["before"] == "manifest"
    assert report["content"]["manifest_written"] == str(v2 / DEFAULT_NAME)
    line = (
        "unchanged content: 1 URL(s) have a new <lastmod> but the same content: not changed, "
        "not sent (listed in --json as unchanged_content)"
    )
    assert result.stderr.count(line) == 1
    assert f"plan written to {out}" in result.stderr


def test_the_lastmod_rule_reports_lastmod_reasons(world: World) -> None:
    deployed_v1(world)
    v2 = world.build(V2)
    out = world.folder("plan") / "plan.json"
    result = cli(
        world, "plan", "--site", world.site.base_url, "--build", str(v2), "--out", str(out),
        "--json", "--changed-by", "lastmod",
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert report["changed_reasons"] == {world.u("/b/"): "lastmod", world.u("/c/"): "lastmod"}
    assert report["unchanged_content"] == [] and report["content"] == {"changed_by": "lastmod"}
    assert "unchanged content" not in result.stderr


def test_a_bad_ignore_selector_is_a_usage_error_before_any_request(world: World) -> None:
    v2 = world.build(V2)
    out = world.folder("plan") / "plan.json"
    result = cli(
        world, "plan", "--site", world.site.base_url, "--build", str(v2), "--out", str(out),
        "--json", "--ignore", "p::before",
    )  # fmt: skip
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "config" and error["message"].startswith("--ignore: 'p::before'")
    assert world.site.requests == []
