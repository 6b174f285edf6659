"""The floor of the bench: a bare lxml iterparse that only counts sitemap ``<loc>`` elements.

Run as its own process by ``run.py`` over every child file of both sides (the same bytes
``plan`` reads). Each file is read from disk into memory and, if gzipped, decompressed,
inside the timed run (``plan`` has to do both too); then
``lxml.etree.iterparse(BytesIO(data), tag="{ns}loc")`` runs with lxml's defaults and
nothing is done per event but counting. Prints one JSON object: the count and the seconds
spent reading, decompressing and parsing.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from io import BytesIO
from pathlib import Path

from lxml import etree

LOC_TAG = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"


def count_locs(paths: list[Path]) -> dict[str, float | int]:
    """Count <loc> elements over the files, timing the read, decompress and parse steps."""
    count = 0
    read_s = unzip_s = parse_s = 0.0
    for path in paths:
        t0 = time.perf_counter()
        data = path.read_bytes()
        t1 = time.perf_counter()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        t2 = time.perf_counter()
        for _event, _elem in etree.iterparse(BytesIO(data), tag=LOC_TAG):
            count += 1
        t3 = time.perf_counter()
        read_s += t1 - t0
        unzip_s += t2 - t1
        parse_s += t3 - t2
    return {"locs": count, "read_s": read_s, "decompress_s": unzip_s, "parse_s": parse_s}


def main(argv: list[str]) -> int:
    print(json.dumps(count_locs([Path(arg) for arg in argv])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
