"""Deterministic generator of a large two-sided site for the performance bench (issue 5).

Writes ``OUT/live/`` (the before-state, served over loopback by ``run.py``) and ``OUT/build/``
(the new build, read from disk), each a ``sitemap-index.xml`` plus children of at most
50,000 URLs, and ``OUT/expected.json``: the delta ``indexnow-sync plan`` must find (counts and
a SHA-256 of each sorted URL list), so a fast but wrong run cannot pass the bench.

Every URL (pages and child sitemaps, on both sides) is on one base, ``http://127.0.0.1:PORT``:
the live index must name its children on its own host (SPEC skips children on another host),
and pages must be on the ``--site`` host to count, so the port is part of what is generated.

The mix between live and build follows the issue: ~2 % added, ~1 % removed, ~3 % lastmod
changed (a few of them "no lastmod before, one now", which SPEC counts as changed), ~0.5 %
lastmod rewritten in another representation of the same instant (not changed), ~0.1 %
lastmod dropped by the build (not changed), the rest byte-identical; a few URLs move to
another child. Same seed and arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"
XHTML_NS = "http://www.w3.org/1999/xhtml"
PER_FILE = 50_000
GENERATOR_VERSION = 2  # bump when the output changes, so run.py's cache is rebuilt

_WORDS = tuple(
    [
        "alpine",
        "anchor",
        "atlas",
        "autumn",
        "basalt",
        "beacon",
        "birch",
        "bramble",
        "breeze",
        "bronze",
        "canyon",
        "cedar",
        "chalk",
        "cinder",
        "cobalt",
        "comet",
        "copper",
        "coral",
        "crimson",
        "crystal",
        "delta",
        "dune",
        "ember",
        "falcon",
        "fern",
        "fjord",
        "flint",
        "forest",
        "garnet",
        "glacier",
        "granite",
        "harbor",
        "hazel",
        "heron",
        "indigo",
        "iris",
        "ivory",
        "jasper",
        "juniper",
        "kelp",
        "lagoon",
        "lantern",
        "lava",
        "linen",
        "lotus",
        "maple",
        "marble",
        "meadow",
        "meteor",
        "mist",
        "moss",
        "nebula",
        "nickel",
        "oak",
        "obsidian",
        "olive",
        "onyx",
        "orchid",
        "pebble",
        "pine",
        "plume",
        "prairie",
        "quartz",
        "quill",
        "raven",
        "reef",
        "ridge",
        "river",
        "saffron",
        "sage",
        "sierra",
        "silver",
        "slate",
        "spruce",
        "storm",
        "summit",
        "thistle",
        "timber",
        "topaz",
        "tundra",
        "umber",
        "valley",
        "velvet",
        "willow",
        "winter",
        "zephyr",
    ]
)
_LANGS = ("en", "de", "fr", "es", "it", "nl", "pl", "ja")
_CATEGORIES = (
    "outdoor-equipment",
    "kitchen",
    "garden-tools",
    "home-office",
    "lighting",
    "bags-and-travel",
    "climbing",
    "running-shoes",
)
_DOC_SECTIONS = ("getting-started", "reference", "guides", "api", "tutorials", "changelog")
_OFFSETS = (0, 60, 120, -300, 330, -480, 540, 60, 120, 0)  # minutes; repeats weight them

# lastmod representations (what real generators emit)
_K_OFFSET = 0  # 2024-05-01T14:22:31+02:00 (most CMSs)
_K_ZULU = 1  # 2024-05-01T12:22:31Z
_K_JS = 2  # 2024-05-01T12:22:31.000Z (JavaScript toISOString)
_K_DATE = 3  # 2024-05-01 (static site generators)
_K_MINUTES = 4  # 2024-05-01T14:22+02:00
_K_NONE = 5  # no <lastmod>

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(slots=True)
class _Page:
    url: str  # decoded <loc> text
    kind: int  # lastmod representation
    instant: int  # seconds since the epoch, UTC; midnight for _K_DATE
    offset: int  # minutes east of UTC used to print the instant
    millis: int  # only printed by _K_JS
    extra: int  # 0 none, 1 image:image, 2 xhtml:link alternates


def format_lastmod(kind: int, instant: int, offset: int, millis: int) -> str:
    """The W3C datetime text of an instant in one of the representations above."""
    if kind == _K_NONE:
        return ""
    if kind == _K_DATE:
        return (_EPOCH + timedelta(seconds=instant)).strftime("%Y-%m-%d")
    if kind in (_K_ZULU, _K_JS):
        text = (_EPOCH + timedelta(seconds=instant)).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{text}.{millis:03d}Z" if kind == _K_JS else f"{text}Z"
    local = _EPOCH + timedelta(seconds=instant + offset * 60)
    sign = "+" if offset >= 0 else "-"
    tz = f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    if kind == _K_MINUTES:
        return local.strftime("%Y-%m-%dT%H:%M") + tz
    return local.strftime("%Y-%m-%dT%H:%M:%S") + tz


def _make_url(rng: random.Random, base: str, ident: int) -> str:
    w = _WORDS
    pick = rng.random()
    if pick < 0.45:
        lang = _LANGS[ident % len(_LANGS)]
        cat = _CATEGORIES[rng.randrange(len(_CATEGORIES))]
        path = f"/{lang}/products/{cat}/{rng.choice(w)}-{rng.choice(w)}-{rng.choice(w)}-{ident}"
    elif pick < 0.75:
        year = 2015 + ident % 10
        path = (
            f"/blog/{year}/{1 + ident % 12:02d}/"
            f"{rng.choice(w)}-{rng.choice(w)}-{rng.choice(w)}-{ident}"
        )
    elif pick < 0.90:
        section = _DOC_SECTIONS[rng.randrange(len(_DOC_SECTIONS))]
        path = f"/docs/v{1 + ident % 4}/{section}/{rng.choice(w)}-{rng.choice(w)}-{ident}.html"
    else:
        # query strings with '&' (written as &amp;) are common on listing pages
        lang = _LANGS[ident % len(_LANGS)]
        path = f"/{lang}/search?q={rng.choice(w)}+{rng.choice(w)}&page={ident}&sort=price"
    return base + path


def _new_page(rng: random.Random, base: str, ident: int, t_lo: int, t_hi: int) -> _Page:
    url = _make_url(rng, base, ident)
    r = rng.random()
    kind = (
        _K_OFFSET
        if r < 0.55
        else _K_ZULU
        if r < 0.70
        else _K_JS
        if r < 0.78
        else _K_DATE
        if r < 0.93
        else _K_MINUTES
        if r < 0.99
        else _K_NONE
    )
    instant = rng.randrange(t_lo, t_hi)
    if kind == _K_DATE:
        instant -= instant % 86_400
    elif kind == _K_MINUTES:
        instant -= instant % 60
    millis = rng.randrange(1000) if kind == _K_JS else 0
    e = rng.random()
    extra = 1 if e < 0.10 else 2 if e < 0.15 else 0
    return _Page(url, kind, instant, _OFFSETS[rng.randrange(len(_OFFSETS))], millis, extra)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;")


def _url_xml(page: _Page) -> str:
    loc = _escape(page.url)
    parts = ["<url><loc>", loc, "</loc>"]
    lastmod = format_lastmod(page.kind, page.instant, page.offset, page.millis)
    if lastmod:
        parts += ["<lastmod>", lastmod, "</lastmod>"]
    if page.extra == 1:
        parts += [
            "<image:image><image:loc>",
            loc.split("?")[0],
            ".jpg</image:loc><image:title>Picture of this page</image:title></image:image>",
        ]
    elif page.extra == 2:
        parts += [
            '<xhtml:link rel="alternate" hreflang="de" href="',
            loc,
            '?hl=de"/><xhtml:link rel="alternate" hreflang="fr" href="',
            loc,
            '?hl=fr"/>',
        ]
    if len(loc) % 2:
        parts.append("<changefreq>weekly</changefreq><priority>0.5</priority>")
    parts.append("</url>\n")
    return "".join(parts)


def _write(path: Path, text: str, gz: bool) -> None:
    data = text.encode("utf-8")
    if gz:
        # mtime=0 keeps the bytes reproducible
        data = gzip.compress(data, compresslevel=6, mtime=0)
    path.write_bytes(data)


def _write_side(
    folder: Path, base: str, pages: list[_Page], gz: bool, per_file: int, stamp: str
) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".xml.gz" if gz else ".xml"
    children = []
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:image="{IMAGE_NS}" xmlns:xhtml="{XHTML_NS}">\n'
    )
    for k, start in enumerate(range(0, len(pages), per_file)):
        name = f"sitemap-{k}{suffix}"
        body = "".join(_url_xml(p) for p in pages[start : start + per_file])
        _write(folder / name, head + body + "</urlset>\n", gz)
        children.append(name)
    index = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<sitemapindex xmlns="{SITEMAP_NS}">\n',
    ]
    for name in children:
        index.append(f"<sitemap><loc>{base}/{name}</loc><lastmod>{stamp}</lastmod></sitemap>\n")
    index.append("</sitemapindex>\n")
    # the index itself stays plain XML, as Astro/Yoast/Next.js emit it
    _write(folder / "sitemap-index.xml", "".join(index), False)
    return len(children)


def _digest(urls: list[str]) -> dict[str, object]:
    ordered = sorted(urls)
    return {
        "count": len(ordered),
        "sha256": hashlib.sha256("\n".join(ordered).encode("utf-8")).hexdigest(),
        "sample": ordered[:3],
    }


def url_list_digest(urls: list[str]) -> dict[str, object]:
    """Count and hash of a URL list, compared by run.py with what ``plan`` reports."""
    return _digest(urls)


def generate(
    out: Path,
    urls: int,
    *,
    base: str,
    seed: int = 1,
    gz: bool = False,
    per_file: int = PER_FILE,
) -> dict[str, object]:
    """Write OUT/live, OUT/build and OUT/expected.json; return the expected summary."""
    rng = random.Random(f"{seed}:{urls}")
    t_lo = int(datetime(2022, 1, 1, tzinfo=timezone.utc).timestamp())
    t_hi = int(datetime(2025, 6, 1, tzinfo=timezone.utc).timestamp())
    t_build = int(datetime(2025, 7, 1, tzinfo=timezone.utc).timestamp())

    live = [_new_page(rng, base, i, t_lo, t_hi) for i in range(urls)]
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    counts = {"identical": 0, "same_instant_rewritten": 0, "lastmod_dropped": 0, "moved": 0}
    keyed: list[tuple[float, _Page]] = []
    for i, page in enumerate(live):
        r = rng.random()
        if r < 0.01:
            removed.append(page.url)
            continue
        new = _Page(page.url, page.kind, page.instant, page.offset, page.millis, page.extra)
        if r < 0.04:
            step = rng.randrange(1, 60) * 86_400
            if page.kind not in (_K_DATE, _K_NONE):
                step += rng.randrange(1, 86_400)
                if page.kind == _K_MINUTES:
                    step -= step % 60
            new.instant = min(page.instant + step, t_build)
            if page.kind == _K_NONE:
                new.kind = _K_OFFSET
            changed.append(page.url)
        elif r < 0.042:
            # no lastmod before, one now: SPEC counts it as changed
            page.kind = _K_NONE
            new.kind = _K_OFFSET
            changed.append(page.url)
        elif r < 0.047:
            _rewrite_same_instant(page, new, rng)
            counts["same_instant_rewritten"] += 1
        elif r < 0.048:
            # lastmod only in the before-state: not changed
            new.kind = _K_NONE
            counts["lastmod_dropped"] += 1
        else:
            counts["identical"] += 1
        key = float(i)
        if rng.random() < 0.001:
            key = rng.uniform(0, urls)  # moved, usually to another child
            counts["moved"] += 1
        keyed.append((key, new))
    n_added = urls // 50
    for j in range(n_added):
        page = _new_page(rng, base, urls + j, t_hi, t_build)
        # half the new pages are appended (new posts), half land among existing ones
        key = urls + j if j % 2 else rng.uniform(0, urls)
        keyed.append((key, page))
        added.append(page.url)
    keyed.sort(key=lambda item: item[0])
    build = [page for _, page in keyed]

    stamp_live = format_lastmod(_K_OFFSET, t_hi, 120, 0)
    stamp_build = format_lastmod(_K_OFFSET, t_build, 120, 0)
    n_live = _write_side(out / "live", base, live, gz, per_file, stamp_live)
    n_build = _write_side(out / "build", base, build, gz, per_file, stamp_build)
    expected: dict[str, object] = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "urls": urls,
        "base": base,
        "gzip": gz,
        "per_file": per_file,
        "live": {"urls": len(live), "children": n_live},
        "build": {"urls": len(build), "children": n_build},
        "mix": counts,
        "added": _digest(added),
        "changed": _digest(changed),
        "removed": _digest(removed),
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return expected


def generate_first_deploy(
    out: Path, urls: int, *, base: str, seed: int = 1, gz: bool = False
) -> dict[str, object]:
    """Write only OUT/build with exactly ``urls`` pages: against a 404 live side all are added.

    This is the submission bench's input: a delta of exactly ``urls`` added URLs.
    """
    rng = random.Random(f"first:{seed}:{urls}")
    t_lo = int(datetime(2022, 1, 1, tzinfo=timezone.utc).timestamp())
    t_hi = int(datetime(2025, 6, 1, tzinfo=timezone.utc).timestamp())
    pages = [_new_page(rng, base, i, t_lo, t_hi) for i in range(urls)]
    n_children = _write_side(
        out / "build", base, pages, gz, PER_FILE, format_lastmod(_K_OFFSET, t_hi, 120, 0)
    )
    expected: dict[str, object] = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "urls": urls,
        "base": base,
        "gzip": gz,
        "per_file": PER_FILE,
        "live": {"urls": 0, "children": 0},
        "build": {"urls": urls, "children": n_children},
        "added": _digest([p.url for p in pages]),
        "changed": _digest([]),
        "removed": _digest([]),
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return expected


def _rewrite_same_instant(page: _Page, new: _Page, rng: random.Random) -> None:
    """Give the build another text for the same instant (e.g. a date -> midnight Z)."""
    if page.kind == _K_NONE:
        page.kind = _K_DATE
        page.instant -= page.instant % 86_400
    if page.kind == _K_JS:
        page.millis = 0  # so second-precision forms denote the same instant
    choices = [k for k in (_K_OFFSET, _K_ZULU, _K_JS) if k != page.kind]
    new.kind = choices[rng.randrange(len(choices))]
    new.millis = 0 if new.kind == _K_JS else page.millis
    new.offset = _OFFSETS[rng.randrange(len(_OFFSETS))]
    if page.kind == _K_OFFSET and new.kind == _K_OFFSET:
        new.offset = page.offset + 60
    new.instant = page.instant  # page.instant may have been truncated to midnight above


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output folder (gets live/, build/, expected.json)")
    parser.add_argument("--urls", type=int, required=True, help="URLs on the live side")
    parser.add_argument("--port", type=int, default=47813, help="loopback port in every URL")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gzip", action="store_true", help="write children as .xml.gz")
    parser.add_argument("--per-file", type=int, default=PER_FILE)
    parser.add_argument(
        "--first-deploy", action="store_true", help="only a build of exactly --urls pages"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    base = f"http://127.0.0.1:{args.port}"
    if args.first_deploy:
        expected = generate_first_deploy(
            args.out, args.urls, base=base, seed=args.seed, gz=args.gzip
        )
    else:
        expected = generate(
            args.out, args.urls, base=base, seed=args.seed, gz=args.gzip, per_file=args.per_file
        )
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": round(elapsed, 2), **expected}, indent=2), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
