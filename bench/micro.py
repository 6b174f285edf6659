"""Micro-benchmarks on one 50,000-URL child, to choose how ``sitemap.py`` should parse.

Times, on the same bytes (median of ``--repeat`` runs, wall and process CPU):
(a) iterparse counting ``<loc>`` (the floor's per-file cost);
(b) ``etree.fromstring`` + XPath extracting loc and lastmod strings, three ways;
(c) an XSLT with ``method="text"`` printing ``loc\\nlastmod\\n`` per url, then ``split``;
(d) ``etree.fromstring`` alone;
(e) ``dict(zip(locs, lastmods))`` from those lists;
(f) iterparse on ``</url>`` with ``findtext`` and ``clear()`` (the streaming way);
and whether lxml releases the GIL while parsing: two threads parsing two children, wall
time against doing them one after the other.

Usage: ``python bench/micro.py FILE [FILE2] [--repeat 5]`` (FILE2 defaults to FILE).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import threading
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

from lxml import etree

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NSMAP = {"s": NS}
LOC = f"{{{NS}}}loc"
LASTMOD = f"{{{NS}}}lastmod"
URL = f"{{{NS}}}url"

# normalize-space also trims the whitespace real sitemaps put around values; an empty
# line for a missing lastmod keeps the two lists aligned
XSLT_TEXT = f"""<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:s="{NS}">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/">
<xsl:for-each select="s:urlset/s:url"><xsl:value-of select="normalize-space(s:loc)"/>
<xsl:text>&#10;</xsl:text><xsl:value-of select="normalize-space(s:lastmod)"/>
<xsl:text>&#10;</xsl:text></xsl:for-each>
</xsl:template>
</xsl:stylesheet>"""


def _parser() -> etree.XMLParser:
    # the settings sitemap.py must use anyway (SPEC: Limits and safety)
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _time(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        fn()  # the result is dropped inside the timing: freeing a tree is part of the cost
        w1, c1 = time.perf_counter(), time.process_time()
        walls.append(w1 - w0)
        cpus.append(c1 - c0)
    return {"wall_ms": statistics.median(walls) * 1e3, "cpu_ms": statistics.median(cpus) * 1e3}


def a_iterparse_count(data: bytes) -> int:
    n = 0
    for _ in etree.iterparse(BytesIO(data), tag=LOC):
        n += 1
    return n


def b1_xpath_two_lists(data: bytes) -> tuple[list[Any], list[Any]]:
    # not aligned when some url has no lastmod: shown for its speed only
    root = etree.fromstring(data, _parser())
    locs = root.xpath("/s:urlset/s:url/s:loc/text()", namespaces=NSMAP)
    lastmods = root.xpath("/s:urlset/s:url/s:lastmod/text()", namespaces=NSMAP)
    assert isinstance(locs, list) and isinstance(lastmods, list)
    return locs, lastmods


def b2_findtext_per_url(data: bytes) -> tuple[list[str], list[str]]:
    root = etree.fromstring(data, _parser())
    locs, lastmods = [], []
    for url in root.iterchildren(URL):
        locs.append((url.findtext(LOC) or "").strip())
        lastmods.append((url.findtext(LASTMOD) or "").strip())
    return locs, lastmods


_URLS = etree.XPath("/s:urlset/s:url", namespaces=NSMAP)
_LOC_OF = etree.XPath("string(s:loc)", namespaces=NSMAP)
_LASTMOD_OF = etree.XPath("string(s:lastmod)", namespaces=NSMAP)


def b3_compiled_xpath_per_url(data: bytes) -> tuple[list[str], list[str]]:
    root = etree.fromstring(data, _parser())
    urls = _URLS(root)
    assert isinstance(urls, list)
    elements = [u for u in urls if isinstance(u, etree._Element)]
    locs = [str(_LOC_OF(u)).strip() for u in elements]
    lastmods = [str(_LASTMOD_OF(u)).strip() for u in elements]
    return locs, lastmods


_TRANSFORM = etree.XSLT(etree.XML(XSLT_TEXT.encode()))


def c_xslt_text(data: bytes) -> tuple[list[str], list[str]]:
    root = etree.fromstring(data, _parser())
    lines = str(_TRANSFORM(root)).split("\n")
    return lines[0:-1:2], lines[1::2]


def d_fromstring(data: bytes) -> object:
    return etree.fromstring(data, _parser())


def f_iterparse_url_clear(data: bytes) -> tuple[list[str], list[str]]:
    locs, lastmods = [], []
    for _, url in etree.iterparse(BytesIO(data), tag=URL, resolve_entities=False):
        locs.append((url.findtext(LOC) or "").strip())
        lastmods.append((url.findtext(LASTMOD) or "").strip())
        url.clear()
        while url.getprevious() is not None:
            del url.getparent()[0]
    return locs, lastmods


def _threads(fn: Callable[[bytes], object], first: bytes, second: bytes) -> float:
    results: list[object] = []
    workers = [threading.Thread(target=lambda d=d: results.append(fn(d))) for d in (first, second)]
    w0 = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return time.perf_counter() - w0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="lxml micro-benchmarks on one child")
    parser.add_argument("file", type=Path)
    parser.add_argument("file2", type=Path, nargs="?")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    data = args.file.read_bytes()
    data2 = args.file2.read_bytes() if args.file2 else data
    repeat: int = args.repeat

    out: dict[str, Any] = {
        "file": str(args.file),
        "bytes": len(data),
        "lxml": ".".join(map(str, etree.LXML_VERSION)),
        "libxml2": ".".join(map(str, etree.LIBXML_VERSION)),
    }
    locs, lastmods = c_xslt_text(data)
    out["urls"] = len(locs)
    assert b2_findtext_per_url(data) == (locs, lastmods), "XSLT and findtext disagree"
    cases: dict[str, Callable[[], object]] = {
        "a_iterparse_count_loc": lambda: a_iterparse_count(data),
        "b1_fromstring_xpath_two_text_lists": lambda: b1_xpath_two_lists(data),
        "b2_fromstring_findtext_per_url": lambda: b2_findtext_per_url(data),
        "b3_fromstring_compiled_xpath_per_url": lambda: b3_compiled_xpath_per_url(data),
        "c_fromstring_xslt_text_split": lambda: c_xslt_text(data),
        "d_fromstring_only": lambda: d_fromstring(data),
        "e_dict_zip": lambda: dict(zip(locs, lastmods, strict=True)),
        "f_iterparse_url_findtext_clear": lambda: f_iterparse_url_clear(data),
    }
    for name, fn in cases.items():
        out[name] = _time(fn, repeat)

    gil: dict[str, dict[str, float]] = {}
    parsers: tuple[tuple[str, Callable[[bytes], object]], ...] = (
        ("fromstring", d_fromstring),
        ("xslt_text", c_xslt_text),
        ("iterparse_count", a_iterparse_count),
    )
    for name, one in parsers:

        def both(one: Callable[[bytes], object] = one) -> object:
            return one(data), one(data2)

        sequential = statistics.median(_time(both, 1)["wall_ms"] for _ in range(repeat))
        threaded = statistics.median(_threads(one, data, data2) * 1e3 for _ in range(repeat))
        gil[name] = {
            "sequential_ms": sequential,
            "two_threads_ms": threaded,
            "speedup": sequential / threaded,
        }
    out["two_threads_vs_sequential"] = gil
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
