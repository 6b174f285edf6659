"""Bench for issue 13: checking N URLs before submitting, against a loopback site.

Not part of the test suite. Starts a site in its own process (``--serve``: its CPU time is
never counted as the client's) that answers every ``/p/N`` with a realistic HTML page (a 4 KB
head with robots meta, a self canonical and scripts, a 30 KB body), ``/robots.txt`` with a few
rules and the key file. Then times, each as its own process, ``--runs`` times interleaved:

- ``indexnow-sync submit --urls-file URLS --dry-run --check pages --check-concurrency C``:
  robots.txt once, then one GET per URL (256 KiB read at most), no POST;
- the same with ``--check off`` (everything but the checks: start-up, reading the list, the
  key check), so the checks' own cost is the difference.

Wall time is ``time.perf_counter`` around the process; CPU time (user + system) and peak RSS
come from ``os.wait4`` on that process alone; figures are medians. Every URL must pass (the
JSON report's ``would_submit`` holds all N), else the bench fails. Results are printed and
written to ``RESULTS/checks-N.json`` (``--results``, default ``bench/.cache/results``, which
git ignores; ``--results bench/results`` publishes them).

    python bench/checks.py                       # 10,000 URLs, concurrency 8, 3 runs
    python bench/checks.py --urls 10000 --concurrency 8 16 32
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KEY = "0bench0checks0key0000000000000000"
HEAD = (
    '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
    '<meta name="robots" content="index, follow, max-image-preview:large">'
    '<meta name="description" content="{desc}">'
    '<link rel="canonical" href="{url}">'
    '<link rel="stylesheet" href="/assets/site.css">'
    "<script>window.dataLayer=window.dataLayer||[];{script}</script>"
)
SCRIPT = "function gtag(){dataLayer.push(arguments)};" * 60  # ~2.7 KB of inline script
BODY = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 500 + "</p>"


class _Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    port = 0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; with Nagle on, the body would wait for the
        # client's delayed ACK (40 ms per page). Real servers do not pay that.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/robots.txt":
            body = b"User-agent: *\nDisallow: /admin/\nDisallow: /*?session=\n\nSitemap: /x\n"
            kind = "text/plain"
        elif path == f"/{KEY}.txt":
            body, kind = KEY.encode(), "text/plain"
        elif path.startswith("/p/"):
            url = f"http://127.0.0.1:{self.port}{path}"
            head = HEAD.format(desc="A page " * 20, url=url, script=SCRIPT)
            page = f"<!doctype html><html><head><title>{path}</title>{head}</head>"
            body, kind = f"{page}<body>{BODY}</body></html>".encode(), "text/html; charset=utf-8"
        else:
            body, kind = b"not found", "text/plain"
            self.send_response(404)
            self._finish(body, kind)
            return
        self.send_response(200)
        self._finish(body, kind)

    def _finish(self, body: bytes, kind: str) -> None:
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.daemon_threads = True
    _Site.port = server.server_address[1]
    print(f"READY {_Site.port}", flush=True)
    server.serve_forever()


def run_once(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a process and measure it alone with wait4: wall, CPU, peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        pid = os.posix_spawn(
            command[0],
            command,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
            ],
        )
        _pid, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return {
            "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "exit": os.waitstatus_to_exitcode(status),
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--urls", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--results",
        type=Path,
        default=ROOT / "bench" / ".cache" / "results",
        help="folder for the JSON results (bench/results to publish them)",
    )
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0

    site = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert site.stdout is not None
        port = int(site.stdout.readline().split()[1])
        base = f"http://127.0.0.1:{port}"
        cli = str(Path(sys.executable).parent / "indexnow-sync")
        env = {**os.environ, "INDEXNOW_KEY": KEY, "NO_PROXY": "127.0.0.1"}
        with tempfile.TemporaryDirectory() as folder:
            urls_file = Path(folder) / "urls.txt"
            urls_file.write_text("".join(f"{base}/p/{i}\n" for i in range(args.urls)))
            common = [cli, "submit", "--urls-file", str(urls_file), "--site", base]
            common += ["--dry-run", "--json", "--max-urls", str(args.urls)]
            cases = {"off": [*common, "--check", "off"]}
            for c in args.concurrency:
                cases[f"pages-c{c}"] = [*common, "--check", "pages", "--check-concurrency", str(c)]
            samples: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
            for _ in range(args.runs):
                for name, command in cases.items():
                    result = run_once(command, env)
                    if result["exit"] != 0:
                        print(result["stderr"][-2000:], file=sys.stderr)
                        raise SystemExit(f"{name}: exit {result['exit']}")
                    report = json.loads(result["stdout"])
                    if len(report["would_submit"]) != args.urls:
                        raise SystemExit(f"{name}: {len(report['would_submit'])} URLs passed")
                    del result["stdout"], result["stderr"]
                    samples[name].append(result)
    finally:
        site.terminate()
        site.wait()

    figures = {
        name: {
            key: statistics.median(s[key] for s in runs)
            for key in ("wall_s", "cpu_s", "peak_rss_mb")
        }
        for name, runs in samples.items()
    }
    print(f"{args.urls} URLs, median of {args.runs} runs")
    print(f"{'case':14} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'checks s':>9} {'URLs/s':>8}")
    for name, fig in figures.items():
        extra = fig["wall_s"] - figures["off"]["wall_s"]
        rate = args.urls / extra if name != "off" and extra > 0 else float("nan")
        print(
            f"{name:14} {fig['wall_s']:8.2f} {fig['cpu_s']:8.2f} {fig['peak_rss_mb']:8.1f} "
            f"{extra if name != 'off' else 0:9.2f} {rate:8.0f}"
        )
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"checks-{args.urls}.json"
    out.write_text(
        json.dumps(
            {
                "urls": args.urls,
                "runs": args.runs,
                "figures": figures,
                "samples": samples,
                "command": " ".join(cases[f"pages-c{args.concurrency[0]}"][1:]),
                "machine": {
                    "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(),
                    "python": platform.python_version(),
                },
                "commit": subprocess.run(
                    ["git", "rev-parse", "--short", "HEAD"],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                ).stdout.strip(),
                "date": time.strftime("%Y-%m-%d"),
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
