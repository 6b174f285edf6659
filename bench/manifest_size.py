"""Bench for the fingerprint manifest on large sites with few pages (issue 20, finding 4).

Not part of the test suite. A site whose sitemap lists many URLs the build has no file for
(pages another app serves on the same host: a sitemap index of 50,000-URL children) and a
few HTML pages. Generates (cached in ``bench/.cache/``) two builds of it, ``a`` and ``b``
(``b``'s first page edited), then runs ``indexnow-sync plan`` as its own process:

- ``first``: ``plan --baseline a --build b`` with no manifest in ``a``: a first run (it
  writes ``b``'s manifest);
- ``next``: the same with ``a``'s own manifest in it (written by a plan of ``a`` first): a
  run that reads an earlier manifest;
- ``lastmod``: ``--changed-by lastmod`` (no fingerprints, no manifest): the floor.

Each is timed from outside (wall clock, process start included) and its peak RSS taken from
``os.wait4``; figures are medians over ``--runs``. The manifest's size is reported. Results
are printed and written to ``--results`` (default ``bench/.cache/results``, git-ignored).

    python bench/manifest_size.py --urls 350000 --pages 1
    python bench/manifest_size.py --urls 1000000 --pages 10 --runs 1
    python bench/manifest_size.py --urls 350000 --pages 1 --cli OLD/bin/indexnow-sync --label before
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SITE = "https://bench.example"
PER_CHILD = 50_000
PAD = "x" * 90  # URLs of about 130 characters, as in the review that found the problem
MANIFEST = "indexnow-fingerprints.json"


def generate(folder: Path, urls: int, pages: int, *, edited: bool) -> None:
    """A build: ``sitemap-index.xml`` naming children of at most 50,000 URLs, and an HTML
    page for the first ``pages`` of them (the first one edited when ``edited``)."""
    folder.mkdir(parents=True)
    children = []
    for child in range((urls + PER_CHILD - 1) // PER_CHILD):
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        ]
        for n in range(child * PER_CHILD, min(urls, (child + 1) * PER_CHILD)):
            lines.append(
                f"<url><loc>{SITE}/docs/{PAD}/{n}/</loc>"
                "<lastmod>2026-01-01T10:00:00+00:00</lastmod></url>\n"
            )
        lines.append("</urlset>\n")
        (folder / f"sitemap-{child}.xml").write_text("".join(lines), encoding="utf-8")
        children.append(f"<sitemap><loc>{SITE}/sitemap-{child}.xml</loc></sitemap>")
    (folder / "sitemap-index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex '
        'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(children)
        + "\n</sitemapindex>\n",
        encoding="utf-8",
    )
    for n in range(pages):
        page = folder / "docs" / PAD / str(n) / "index.html"
        page.parent.mkdir(parents=True)
        text = f"Page {n}" + (" edited" if edited and n == 0 else "")
        page.write_text(
            f"<!doctype html><html><head><title>P{n}</title></head><body><main><p>{text}</p>"
            "</main></body></html>",
            encoding="utf-8",
        )


def sites(urls: int, pages: int) -> Path:
    base = CACHE / f"manifest-{urls}-{pages}"
    if not (base / "done").exists():
        shutil.rmtree(base, ignore_errors=True)
        generate(base / "a", urls, pages, edited=False)
        generate(base / "b", urls, pages, edited=True)
        (base / "done").write_text("ok", encoding="utf-8")
    return base


def measure(cli: list[str], base: Path, mode: str, work: Path) -> dict[str, Any]:
    build = work / "b"
    baseline = work / "a"
    for name in ("a", "b"):
        shutil.rmtree(work / name, ignore_errors=True)
        shutil.copytree(base / name, work / name, symlinks=True)
    plan = ["plan", "--site", SITE, "--out", str(work / "plan.json")]
    if mode == "next":  # a's manifest, as a plan of a would have written it
        _check(run_rss(cli, [*plan, "--baseline", str(baseline), "--build", str(baseline)])[2])
    extra = ["--changed-by", "lastmod"] if mode == "lastmod" else []
    seconds, rss, done = run_rss(
        cli, [*plan, "--baseline", str(baseline), "--build", str(build), "--json", *extra]
    )
    _check(done)
    report = json.loads(done.stdout)
    manifest = build / MANIFEST
    return {
        "seconds": seconds,
        "peak_rss_mb": rss / 1e6,
        "manifest_bytes": manifest.stat().st_size if manifest.exists() else None,
        "changed": len(report["changed"]),
        "warnings": report["warnings"],
    }


def run_rss(cli: list[str], args: list[str]) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """One CLI run: (seconds, the child's own peak RSS in bytes from ``os.wait4``, the
    finished process with its output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INDEXNOW_", "GITHUB_"))}
    stem = Path(args[args.index("--out") + 1])
    with stem.with_suffix(".stdout").open("w") as out, stem.with_suffix(".stderr").open("w") as err:
        start = time.perf_counter()
        process = subprocess.Popen([*cli, *args], stdout=out, stderr=err, env=env)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    done = subprocess.CompletedProcess(
        process.args,
        process.returncode,
        stem.with_suffix(".stdout").read_text(encoding="utf-8"),
        stem.with_suffix(".stderr").read_text(encoding="utf-8"),
    )
    return seconds, usage.ru_maxrss * 1024, done


def _check(done: subprocess.CompletedProcess[str]) -> None:
    if done.returncode != 0:
        raise SystemExit(f"plan failed ({done.returncode}):\n{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=350_000)
    parser.add_argument("--pages", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cli", default=str(Path(sys.executable).parent / "indexnow-sync"))
    parser.add_argument("--label", default="")
    parser.add_argument("--results", type=Path, default=CACHE / "results")
    options = parser.parse_args()
    base = sites(options.urls, options.pages)
    work = CACHE / f"manifest-work-{os.getpid()}"
    figures: dict[str, Any] = {}
    try:
        for mode in ("lastmod", "first", "next"):
            samples = [measure([options.cli], base, mode, work) for _ in range(options.runs)]
            figures[mode] = {
                "seconds": statistics.median(s["seconds"] for s in samples),
                "peak_rss_mb": statistics.median(s["peak_rss_mb"] for s in samples),
                "manifest_bytes": samples[-1]["manifest_bytes"],
                "changed": samples[-1]["changed"],
                "warnings": samples[-1]["warnings"],
                "samples": samples,
            }
            shown = figures[mode]
            print(
                f"{mode:8} {shown['seconds']:7.2f} s  {shown['peak_rss_mb']:7.1f} MB RSS  "
                f"manifest {shown['manifest_bytes']} bytes  changed {shown['changed']}"
                + (f"  warnings {shown['warnings']}" if shown["warnings"] else "")
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    options.results.mkdir(parents=True, exist_ok=True)
    label = f"-{options.label}" if options.label else ""
    out = options.results / f"manifest-{options.urls}-{options.pages}{label}.json"
    out.write_text(
        json.dumps({"urls": options.urls, "pages": options.pages, **figures}, indent=1),
        encoding="utf-8",
    )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
