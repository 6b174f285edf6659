"""The floors of the bench: what reading the same bytes with lxml costs at the least.

Run as its own process by ``run.py`` over every child file of both sides (the same bytes
``plan`` reads). Each file is read from disk into memory and, if gzipped, decompressed,
inside the timed run (``plan`` has to do both too). Then, by ``--mode``:

- ``c`` (the C floor, the default): lxml's feed parser (``etree.XMLParser``, the options
  ``plan`` uses: no entities, no network, comments and PIs dropped) is fed the file in
  256 KiB pieces and builds the file's whole tree in C; no Python runs per element. This
  is the physical limit of reading both sides with lxml: ``plan`` must build the same trees
  (a piece at a time) and on top extract the values and diff them.
- ``iterparse``: ``lxml.etree.iterparse(BytesIO(data), tag="{ns}loc")`` with lxml's defaults,
  counting events (a Python step per ``<loc>``; the floor of issue 5).

Prints one JSON object: the count (entries or locs) and the seconds spent reading,
decompressing and parsing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from io import BytesIO
from pathlib import Path

from lxml import etree

LOC_TAG = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
PIECE = 256 * 1024


def build_trees(data: bytes) -> int:
    """The C floor for one file: its tree built by the feed parser; the number of entries."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    for start in range(0, len(data), PIECE):
        parser.feed(data[start : start + PIECE])
    return len(parser.close())


def iterparse_locs(data: bytes) -> int:
    count = 0
    for _event, _elem in etree.iterparse(BytesIO(data), tag=LOC_TAG):
        count += 1
    return count


def run(paths: list[Path], mode: str) -> dict[str, float | int]:
    """Read, decompress and parse every file, timing each step."""
    parse = build_trees if mode == "c" else iterparse_locs
    count = 0
    read_s = unzip_s = parse_s = 0.0
    for path in paths:
        t0 = time.perf_counter()
        data = path.read_bytes()
        t1 = time.perf_counter()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        t2 = time.perf_counter()
        count += parse(data)
        t3 = time.perf_counter()
        read_s += t1 - t0
        unzip_s += t2 - t1
        parse_s += t3 - t2
    return {"count": count, "read_s": read_s, "decompress_s": unzip_s, "parse_s": parse_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["c", "iterparse"], default="c")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.files, args.mode)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
