"""Bench for issue 20: content fingerprints of a build's pages against lxml parsing them.

Not part of the test suite. Generates (once, cached in ``bench/.cache/``) a build folder of N
realistic ~15 KB HTML pages (a head with assets, meta tags, JSON-LD and an inline script; a
header with site navigation; a main article with paragraphs, inline links, headings with
anchors, a highlighted code block and a table; a table-of-contents aside; a footer; scripts)
at ``/p/NNNNN/index.html``. Then runs each of these as its own process, ``--runs`` times,
alternated so drift in the machine's speed hits them alike:

- ``parse`` (the floor): for every page, read its file (by a list made before the clock
  starts) and let lxml's HTML parser build its tree (the options the fingerprint uses);
- ``fingerprint``: ``manifest.fingerprint_folder`` for every URL with no earlier manifest
  (map the URL to its file, read it, hash its bytes, parse, extract, hash): a first run;
- ``rebuild``: the same with the manifest of an identical build (every file's bytes as
  recorded: every fingerprint reused, nothing parsed): a rebuild that changed nothing;
- ``hash`` (the rebuild's floor): read every file and SHA-256 its bytes;
- ``manifest``: ``fingerprint``, then build the manifest and write it (what ``plan`` adds).

With ``--also-path CHECKOUT`` (another work tree of this repository, e.g. main's made by
``git worktree add /tmp/fp-before main``), ``fingerprint`` and ``rebuild`` also run from that
checkout's code, as ``fingerprint@also`` and ``rebuild@also``, in the same alternation: a
before/after comparison under the same load.

``--hostile`` instead times one page of each shape libxml2's XPath (or text merged one
dropped element at a time) handles in quadratic time (about 4 MB each: navigation nested in
headers with no ``<main>``; 55,000 role attributes before a ``<main>``; the same with
``role=main``; 330,000 ``<nav>`` each followed by text in a ``<main>``; asides nested 250
deep), each in its own process with a time limit (``--limit``, default 300 s), for this
checkout and ``--also-path``'s: a page checked live is hostile input, and its cost must
stay linear.

Each child times its own loop (``time.perf_counter``, imports excluded) and reports it; the
parent takes the child's peak RSS from ``os.wait4``. Figures are medians over the runs;
every sample is kept. Results are printed and written to ``--out`` (default
``bench/.cache/results/fingerprints-N.json``, git-ignored: a bench run never dirties the
work tree).

    python bench/fingerprints.py                     # 10,000 pages, 3 runs
    python bench/fingerprints.py --pages 2000 --runs 5 --out /tmp/fp.json
    python bench/fingerprints.py --runs 5 --also-path /tmp/fp-before   # before/after
    python bench/fingerprints.py --hostile --also-path /tmp/fp-before

Targets (issue 20): ``fingerprint`` ≤ 2× ``parse`` at 10,000 pages of ~15 KB, peak RSS
≤ 150 MB, and ``rebuild`` close to ``hash``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SITE = "https://bench.example"
MODES = ("parse", "fingerprint", "rebuild", "hash", "manifest")
ALSO = "@also"  # suffix of a mode run from --also-path's code
_WORDS = [
    "the",
    "build",
    "deploy",
    "page",
    "engine",
    "index",
    "sitemap",
    "content",
    "change",
    "search",
    "crawl",
    "static",
    "site",
    "generator",
    "markdown",
    "theme",
    "layout",
    "section",
    "article",
    "release",
    "version",
    "update",
    "guide",
    "install",
    "configure",
    "example",
    "reference",
    "api",
    "function",
    "value",
    "option",
    "default",
    "output",
    "folder",
    "file",
]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def page(index: int, pages: int, rng: random.Random) -> str:
    """One realistic page of the generated site (~15 KB)."""
    url = f"{SITE}/p/{index:05d}/"
    nav = "".join(
        f'<li class="nav-item"><a class="nav-link" href="/p/{(index + k * 37) % pages:05d}/">'
        f"{rng.choice(_WORDS).title()} {k}</a></li>"
        for k in range(25)
    )
    toc = "".join(f'<li><a href="#section-{k}">Section {k}</a></li>' for k in range(8))
    body = []
    for section in range(4):
        body.append(
            f'<h2 id="section-{section}">{_sentence(rng, 4)}<a class="headerlink" '
            f'href="#section-{section}" title="Permanent link">&para;</a></h2>'
        )
        for _ in range(4):
            text = " ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(4))
            target = f"/p/{rng.randrange(pages):05d}/"
            body.append(
                f'<p>{text} See <a href="{target}">{rng.choice(_WORDS)}</a> and '
                f'<a href="../{rng.randrange(pages):05d}/#section-1">the reference</a>.</p>'
            )
    code = "".join(
        f'<span class="n">{rng.choice(_WORDS)}</span><span class="o">=</span>'
        f'<span class="s2">"{rng.choice(_WORDS)}"</span>\n'
        for _ in range(12)
    )
    table = "".join(
        f"<tr><td><code>{rng.choice(_WORDS)}</code></td><td>{_sentence(rng, 6)}</td></tr>"
        for _ in range(6)
    )
    footer = "".join(f'<a href="/about/{k}/">About {k}</a> ' for k in range(10))
    head = (
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_sentence(rng, 5)} - Bench Docs</title>"
        f'<meta name="description" content="{_sentence(rng, 14)}">'
        f'<link rel="canonical" href="{url}">'
        f'<link rel="alternate" hreflang="de" href="{SITE}/de/p/{index:05d}/">'
        f'<link rel="alternate" hreflang="en" href="{url}">'
        '<meta property="og:type" content="article"><meta property="og:image" '
        'content="/assets/og.3f9a1c.png">'
        '<link rel="stylesheet" href="/assets/main.8e2b4f1a.css">'
        '<link rel="stylesheet" href="/assets/palette.06af60db.css">'
        '<link rel="preload" href="/assets/font.woff2" as="font" crossorigin>'
        '<script type="application/ld+json">'
        + json.dumps({"@context": "https://schema.org", "@type": "Article", "headline": url})
        + "</script><script>window.dataLayer=window.dataLayer||[];"
        + "function gtag(){dataLayer.push(arguments)}" * 20
        + "</script>"
    )
    return (
        f'<!doctype html><html lang="en"><head>{head}</head><body class="md-body">'
        '<header class="md-header"><a class="logo" href="/"><svg viewBox="0 0 24 24">'
        + '<path d="M12 8a3 3 0 0 0 3-3 3 3 0 0 0-3-3 3 3 0 0 0-3 3 3 3 0 0 0 3 3m0 3.54"/>'
        * 4
        + "</svg>Bench Docs</a>"
        f'<nav class="md-nav" aria-label="Main"><ul>{nav}</ul></nav></header>'
        f'<div class="md-container"><main class="md-main"><article class="md-content">'
        f"<h1>{_sentence(rng, 5)}</h1>{''.join(body)}"
        f'<pre class="highlight"><code>{code}</code></pre>'
        f"<table><thead><tr><th>Option</th><th>Meaning</th></tr></thead>{table}</table>"
        f'</article></main><aside class="md-sidebar"><nav class="toc"><ul>{toc}</ul></nav>'
        f'</aside></div><footer class="md-footer">{footer}</footer>'
        '<script src="/assets/bundle.5d1e0c2b.min.js"></script></body></html>'
    )


def generate(pages: int) -> Path:
    folder = CACHE / f"fingerprints-{pages}-v2"
    done = folder / "done"
    if done.exists():
        return folder
    build = folder / "build"
    rng = random.Random(20)
    for index in range(pages):
        target = build / "p" / f"{index:05d}" / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page(index, pages, rng), encoding="utf-8")
    done.write_text("ok")
    return folder


def _urls(pages: int) -> list[str]:
    return [f"{SITE}/p/{index:05d}/" for index in range(pages)]


def child(mode: str, folder: Path, pages: int, code: Path = ROOT) -> dict[str, Any]:
    """One measured run, in this process: the loop's time and what it produced.
    ``code``: the checkout whose indexnow_sync is measured."""
    sys.path.insert(0, str(code))
    from lxml import etree

    import indexnow_sync
    from indexnow_sync.buildfiles import BuildFiles
    from indexnow_sync.manifest import (
        build_manifest,
        fingerprint_folder,
        parse_manifest,
        write_manifest,
    )

    build = folder / "build"
    urls = _urls(pages)
    previous = None
    if mode == "rebuild":
        data = (folder / "manifest.json").read_bytes()
        previous = parse_manifest(data, "bench", site=SITE, max_bytes=1 << 30)
    out: dict[str, Any] = {}
    # The floors read the files by a list made before the clock starts: mapping URLs to
    # files is part of fingerprinting, not of parsing.
    paths = [build / "p" / f"{index:05d}" / "index.html" for index in range(pages)]
    start = time.perf_counter()
    if mode == "parse":
        parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        for path in paths:
            etree.fromstring(path.read_bytes(), parser)
    elif mode == "hash":
        for path in paths:
            hashlib.sha256(path.read_bytes()).digest()
    else:
        found = fingerprint_folder(BuildFiles(build, urls), urls, previous=previous)
        out = {"files": found.files, "parsed": found.parsed, "reused": found.reused}
        if mode == "manifest":
            manifest = build_manifest(
                ((url, "") for url in urls),
                found,
                previous=None,
                now=datetime(2025, 1, 1, tzinfo=timezone.utc),
                site=SITE,
            )
            write_manifest(folder / "manifest.json", manifest)
    out["seconds"] = time.perf_counter() - start
    out["code"] = str(Path(indexnow_sync.__file__).parent.parent)
    return out


def hostile_page(shape: str) -> bytes:
    """About 4 MB of one hostile shape (see the module's docstring)."""
    if shape == "nested-nav":
        block = "<header><nav>" * 120 + "x" + "</nav></header>" * 120
        body = block * 1200
    elif shape in ("roles-before-main", "role-mains-before-main"):
        value = "main" if shape == "role-mains-before-main" else "x"
        roles = f'<div role="{value}"><a href="/a">t</a></div>' * 55_000
        body = roles + "<main><p>m</p></main>" + roles
    elif shape == "tailed-navs":
        body = "<main><p>a</p>" + "<nav></nav>x" * 330_000 + "</main>"
    else:  # deep-aside
        body = ("<aside>" * 250 + "x" + "</aside>" * 250) * 1200
    return f"<!doctype html><html><head><title>t</title></head><body>{body}</body></html>".encode()


HOSTILE = (
    "nested-nav",
    "roles-before-main",
    "role-mains-before-main",
    "tailed-navs",
    "deep-aside",
)


def hostile_child(shape: str, code: Path) -> dict[str, Any]:
    sys.path.insert(0, str(code))
    from indexnow_sync.content import html_fingerprint

    page = hostile_page(shape)
    start = time.perf_counter()
    found = html_fingerprint(page, f"{SITE}/hostile/")
    return {"seconds": time.perf_counter() - start, "bytes": len(page), "fingerprint": found}


def hostile(codes: list[Path], limit: float) -> int:
    """Each hostile shape, fingerprinted by each checkout's code in its own process."""
    for shape in HOSTILE:
        for code in codes:
            command = [sys.executable, __file__, "--child", "hostile", "--shape", shape]
            command += ["--code", str(code)]
            try:
                done = subprocess.run(command, capture_output=True, timeout=limit, check=True)
            except subprocess.TimeoutExpired:
                print(f"{shape:<22} {_commit(code):>8}  > {limit:.0f} s (stopped)")
                continue
            report = json.loads(done.stdout)
            print(
                f"{shape:<22} {_commit(code):>8}  {report['seconds']:8.2f} s for "
                f"{report['bytes'] / 1e6:.1f} MB  {report['fingerprint']}"
            )
    return 0


def run_child(mode: str, folder: Path, pages: int, also: Path | None = None) -> dict[str, Any]:
    name = mode
    command = [sys.executable, __file__, "--folder", str(folder), "--pages", str(pages)]
    if mode.endswith(ALSO):
        mode = mode[: -len(ALSO)]
        command += ["--code", str(also)]
    command += ["--child", mode]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert process.stdout is not None
    report: dict[str, Any] = json.loads(process.stdout.read() or b"{}")
    process.stdout.close()
    if status != 0:
        raise SystemExit(f"{name}: the child failed (status {status})")
    report.update(
        {
            "process_wall": wall,
            "cpu": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "load_1m": os.getloadavg()[0],
        }
    )
    return report


def _commit(checkout: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _ratio(samples: dict[str, list[dict[str, Any]]], mode: str, floor: str) -> float:
    """The median of ``mode``'s time over ``floor``'s, run by run."""
    return float(
        statistics.median(
            m["seconds"] / f["seconds"] for m, f in zip(samples[mode], samples[floor], strict=True)
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--also-path",
        type=Path,
        default=None,
        help="another checkout: its fingerprint and rebuild run too (before/after)",
    )
    parser.add_argument(
        "--hostile", action="store_true", help="time the hostile page shapes instead"
    )
    parser.add_argument("--limit", type=float, default=300.0, help="--hostile: seconds each")
    parser.add_argument("--child", choices=(*MODES, "hostile"))
    parser.add_argument("--shape", choices=HOSTILE)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--code", type=Path, default=ROOT)
    args = parser.parse_args()
    if args.child == "hostile":
        print(json.dumps(hostile_child(args.shape, args.code.resolve())))
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.pages, args.code.resolve())))
        return 0
    if args.hostile:
        return hostile([ROOT, *([args.also_path] if args.also_path else [])], args.limit)
    modes: tuple[str, ...] = MODES
    if args.also_path is not None:
        if not (args.also_path / "indexnow_sync").is_dir():
            raise SystemExit(f"--also-path {args.also_path}: no indexnow_sync/ there")
        modes = (*MODES, "fingerprint" + ALSO, "rebuild" + ALSO)

    folder = generate(args.pages)
    files = list((folder / "build").rglob("*.html"))
    mean_kb = sum(f.stat().st_size for f in files) / len(files) / 1024
    print(f"{len(files)} pages, {mean_kb:.1f} KB on average, in {folder}")
    run_child("manifest", folder, args.pages)  # the earlier build's manifest, for "rebuild"
    samples: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    for run in range(args.runs):
        for mode in modes:
            samples[mode].append(run_child(mode, folder, args.pages, args.also_path))
        line = "  ".join(f"{m} {samples[m][-1]['seconds']:.2f}s" for m in modes)
        print(f"run {run + 1}: {line}  (load {samples['parse'][-1]['load_1m']:.2f})")

    def median(mode: str, key: str) -> float:
        return float(statistics.median(sample[key] for sample in samples[mode]))

    figures = {
        mode: {
            "seconds": median(mode, "seconds"),
            "per_page_us": median(mode, "seconds") / args.pages * 1e6,
            "peak_rss_mb": median(mode, "peak_rss_mb"),
        }
        for mode in modes
    }
    ratio = _ratio(samples, "fingerprint", "parse")
    rebuild_ratio = _ratio(samples, "rebuild", "hash")
    also: dict[str, Any] | None = None
    if args.also_path is not None:
        also = {
            "path": str(args.also_path),
            "commit": _commit(args.also_path),
            "fingerprint_over_parse": _ratio(samples, "fingerprint" + ALSO, "parse"),
            "rebuild_over_hash": _ratio(samples, "rebuild" + ALSO, "hash"),
        }
    rss = max(s["peak_rss_mb"] for s in samples["fingerprint"] + samples["manifest"])
    print(f"\n{'':<18} {'median s':>9} {'µs/page':>9} {'peak RSS':>9}")
    for mode, figure in figures.items():
        print(
            f"{mode:<18} {figure['seconds']:>9.3f} {figure['per_page_us']:>9.1f} "
            f"{figure['peak_rss_mb']:>7.1f}MB"
        )
    verdicts = {
        "fingerprint / parse <= 2x": ratio <= 2.0,
        "peak RSS <= 150 MB": rss <= 150,
        "rebuild / hash <= 1.5x": rebuild_ratio <= 1.5,
    }
    print(f"\nfingerprint / parse: {ratio:.2f}x (same runs, median)")
    print(f"rebuild / hash:      {rebuild_ratio:.2f}x")
    if also is not None:
        print(
            f"{args.also_path} ({also['commit']}): fingerprint / parse "
            f"{also['fingerprint_over_parse']:.2f}x, "
            f"rebuild / hash {also['rebuild_over_hash']:.2f}x"
        )
    print(f"peak RSS (fingerprint, manifest): {rss:.1f} MB")
    for name, ok in verdicts.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")

    from lxml import etree

    out = args.out or CACHE / "results" / f"fingerprints-{args.pages}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    commit = _commit(ROOT)
    result = {
        "command": " ".join(sys.argv),
        "pages": args.pages,
        "mean_page_kb": mean_kb,
        "figures": figures,
        "fingerprint_over_parse": ratio,
        "rebuild_over_hash": rebuild_ratio,
        "peak_rss_mb": rss,
        "verdicts": verdicts,
        "also": also,
        "samples": samples,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "lxml": ".".join(map(str, etree.LXML_VERSION)),
            "libxml2": ".".join(map(str, etree.LIBXML_VERSION)),
        },
        "commit": commit,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"results: {out}")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
