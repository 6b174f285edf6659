"""How right is `plan`'s `changed` on real generator builds? (Issue 20's figures.)

Builds the sites of tests/generators.py (MkDocs, Hugo with front-matter and with file-time
lastmods, Sphinx + sphinx-sitemap) for every kind of edit, serves the old build on
127.0.0.1, runs ``indexnow-sync plan`` against the new build and compares its ``changed`` with
the truth (the pages whose indexable content changed): per generator, how many truly changed
pages it found and missed, and how many unchanged pages it called changed. For comparison it
also counts what a byte hash of each page would call changed (the pages whose HTML bytes
differ), the rule of tools that hash raw HTML.

Usage::

    python bench/generators.py                       # this checkout's CLI, steady state
    python bench/generators.py --first-run           # no plan before the old deploy
    python bench/generators.py --cli .venv/bin/indexnow-sync --plan-option=--changed-by \\
        --plan-option=lastmod --label lastmod

Prints a table and writes ``bench/results/generators[-LABEL].json`` (every scenario's sets).
Exits 1 if a plan failed or added/removed were not exact.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from tests.generators import (  # noqa: E402
    EDITS,
    GENERATORS,
    BuildCache,
    GeneratedSite,
    byte_changes,
    site_paths,
)
from tests.siteserver import SiteServer  # noqa: E402


def scenario(
    builds: BuildCache,
    work: Path,
    generator: str,
    edit: str,
    command: list[str],
    options: list[str],
    first_run: bool,
) -> dict[str, Any]:
    truth = GENERATORS[generator].truth((edit,))
    with SiteServer() as server:
        site = GeneratedSite(builds, server, work / f"{generator}-{edit}", command=command)
        old = site.stage(generator)
        if not first_run:
            site.plan(old, *options)
        site.deploy(old)
        run = site.plan(site.stage(generator, (edit,)), *options)
    if run.code != 0:
        raise SystemExit(f"{generator}/{edit}: plan exited {run.code}:\n{run.stderr}")
    changed = run.changed
    exact = run.added == truth.added and run.removed == truth.removed
    old_build, new_build = builds.get(generator), builds.get(generator, (edit,))
    return {
        "generator": generator,
        "edit": edit,
        "pages": len(site_paths(old_build) & site_paths(new_build)),
        "truly_changed": sorted(truth.changed),
        "reported_changed": sorted(changed),
        "found": sorted(truth.changed & changed),
        "missed": sorted(truth.changed - changed),
        "false": sorted(changed - truth.changed),
        "bytes_changed": sorted(byte_changes(old_build, new_build)),
        "added_removed_exact": exact,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", default=None, help="the indexnow-sync command (default: this "
                        "checkout's, as python -m indexnow_sync)")  # fmt: skip
    parser.add_argument("--plan-option", action="append", default=[], help="extra plan option")
    parser.add_argument("--first-run", action="store_true", help="no plan before the old deploy")
    parser.add_argument("--label", default="", help="suffix of the results file")
    args = parser.parse_args(argv)
    command = [args.cli] if args.cli else [sys.executable, "-m", "indexnow_sync"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="generators-bench-") as tmp:
        builds = BuildCache(Path(tmp) / "builds")
        for generator, site in GENERATORS.items():
            if (reason := site.missing()) is not None:
                print(f"skipped {generator}: {reason}")
                continue
            for edit in EDITS:
                where = Path(tmp)
                options = args.plan_option
                rows.append(
                    scenario(builds, where, generator, edit, command, options, args.first_run)
                )
    header = (
        f"{'generator':<14} {'lastmod':<52} {'pages':>5} {'changed':>7} {'found':>5} "
        f"{'missed':>6} {'false':>5} {'bytes':>5} {'bytes-false':>11}"
    )
    print(header)
    totals = dict.fromkeys(("pages", "truly_changed", "found", "missed", "false", "bytes"), 0)
    totals["bytes_false"] = 0
    for generator in dict.fromkeys(row["generator"] for row in rows):
        mine = [row for row in rows if row["generator"] == generator]
        figures = {
            "pages": sum(row["pages"] for row in mine),
            "truly_changed": sum(len(row["truly_changed"]) for row in mine),
            "found": sum(len(row["found"]) for row in mine),
            "missed": sum(len(row["missed"]) for row in mine),
            "false": sum(len(row["false"]) for row in mine),
            "bytes": sum(len(row["bytes_changed"]) for row in mine),
            "bytes_false": sum(
                len(set(row["bytes_changed"]) - set(row["truly_changed"])) for row in mine
            ),
        }
        for key, value in figures.items():
            totals[key] += value
        print(
            f"{generator:<14} {GENERATORS[generator].note:<52} {figures['pages']:>5} "
            f"{figures['truly_changed']:>7} {figures['found']:>5} {figures['missed']:>6} "
            f"{figures['false']:>5} {figures['bytes']:>5} {figures['bytes_false']:>11}"
        )
    print(
        f"{'total':<14} {'':<52} {totals['pages']:>5} {totals['truly_changed']:>7} "
        f"{totals['found']:>5} {totals['missed']:>6} {totals['false']:>5} {totals['bytes']:>5} "
        f"{totals['bytes_false']:>11}"
    )
    print(
        "\npages: URLs in both builds, summed over the edits; changed: truly changed (indexable "
        "content); found/missed: of those, reported changed or not by plan; false: unchanged "
        "pages plan reported changed; bytes: pages whose HTML bytes differ (a raw-HTML hash's "
        "changed), bytes-false: of those, not truly changed"
    )
    inexact = [f"{r['generator']}/{r['edit']}" for r in rows if not r["added_removed_exact"]]
    if inexact:
        print(f"added/removed NOT exact in: {', '.join(inexact)}")
    results = BENCH / "results" / f"generators{'-' + args.label if args.label else ''}.json"
    results.write_text(
        json.dumps(
            {
                "command": [*command, "plan", *args.plan_option],
                "first_run": args.first_run,
                "totals": totals,
                "scenarios": rows,
                "machine": {"python": platform.python_version()},
                "versions": _versions(),
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {results.relative_to(ROOT)}")
    return 1 if inexact else 0


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("mkdocs", "hugo", "sphinx", "sphinx-sitemap", "indexnow-sync"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    found["commit"] = commit.stdout.strip()
    return found


if __name__ == "__main__":
    sys.exit(main())
