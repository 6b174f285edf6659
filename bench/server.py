"""The bench's loopback web server: the live site, its key file and a fast IndexNow endpoint.

Run as its own process by ``run.py`` (so its CPU time is never counted as the client's):

- ``GET /...`` serves files under ``--root`` (the generated live side); anything else is 404,
  which for the submission bench means "no live sitemap yet";
- ``GET /{key}.txt`` serves exactly the key when ``--key`` is given;
- ``POST /indexnow`` checks what the protocol requires (JSON body, ``host`` equal to this
  site's host, the key, 1 to 10,000 URLs, all on the host) and answers 200, else 422/400;
  it counts requests and URLs and sums the time it spent on each request (from the handler
  being called to the response being flushed), so the client's own overhead is the
  client's wall time minus this;
- ``GET /__stats`` returns those counters as JSON; ``POST /__reset`` zeroes them;
- ``POST /__shape?ttfb=S&rate=B`` shapes every later answer for a sitemap file (``.xml``,
  ``.xml.gz``) like a slow CMS behind a CDN: its first byte waits ``S`` seconds (the
  sitemap is generated on request) and each connection sends at most ``B`` bytes per second;
  ``ttfb=0&rate=0`` turns shaping off (the default).

Prints ``READY <port>`` on stdout once listening.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.urls = 0
        self.rejected = 0
        self.server_s = 0.0

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "urls": self.urls,
                "rejected": self.rejected,
                "server_s": self.server_s,
            }

    def reset(self) -> None:
        with self.lock:
            self.requests = self.urls = self.rejected = 0
            self.server_s = 0.0


class BenchHandler(SimpleHTTPRequestHandler):
    """Static files + key file + IndexNow endpoint; quiet, keep-alive."""

    protocol_version = "HTTP/1.1"
    key: str | None = None
    host: str = ""
    stats: _Stats = _Stats()
    ttfb: float = 0.0  # seconds before a sitemap file's first byte
    rate: float = 0.0  # bytes per second per connection for sitemap files; 0: unlimited

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/__stats":
            self._reply(200, json.dumps(self.stats.snapshot()).encode(), "application/json")
        elif self.key is not None and path == f"/{self.key}.txt":
            self._reply(200, self.key.encode(), "text/plain; charset=utf-8")
        else:
            super().do_GET()

    def send_head(self) -> Any:
        # never list folders: a directory URL is a 404 like on a static host
        if Path(self.translate_path(self.path)).is_dir():
            self.send_error(404)
            return None
        if self.ttfb and self._shaped():
            time.sleep(self.ttfb)
        return super().send_head()

    def _shaped(self) -> bool:
        return self.path.split("?", 1)[0].endswith((".xml", ".xml.gz"))

    def copyfile(self, source: Any, outputfile: Any) -> None:
        if not self.rate or not self._shaped():
            super().copyfile(source, outputfile)
            return
        # At most `rate` bytes per second on this connection, sent in small slices.
        started = time.perf_counter()
        sent = 0
        while block := source.read(16 * 1024):
            outputfile.write(block)
            sent += len(block)
            ahead = sent / self.rate - (time.perf_counter() - started)
            if ahead > 0:
                time.sleep(ahead)

    def do_POST(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/__reset":
            self.stats.reset()
            self._reply(200, b"ok")
            return
        if self.path.startswith("/__shape?"):
            query = dict(pair.split("=", 1) for pair in self.path.split("?", 1)[1].split("&"))
            BenchHandler.ttfb = float(query.get("ttfb", 0))
            BenchHandler.rate = float(query.get("rate", 0))
            self._reply(200, b"ok")
            return
        if self.path != "/indexnow":
            self._reply(404, b"not found")
            return
        status, count, message = self._check_submission(body)
        self._reply(status, message.encode())
        self.wfile.flush()
        elapsed = time.perf_counter() - started
        with self.stats.lock:
            self.stats.requests += 1
            self.stats.server_s += elapsed
            if status == 200:
                self.stats.urls += count
            else:
                self.stats.rejected += 1

    def _check_submission(self, body: bytes) -> tuple[int, int, str]:
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return 400, 0, "Content-Type must be application/json"
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, 0, "invalid JSON"
        if not isinstance(payload, dict):
            return 400, 0, "not a JSON object"
        if payload.get("key") != self.key:
            return 403, 0, "key not valid"
        if payload.get("host") != self.host:
            return 422, 0, f"host must be {self.host}"
        urls = payload.get("urlList")
        if not isinstance(urls, list) or not urls:
            return 422, 0, "Url list cannot be empty"
        if len(urls) > 10_000:
            return 422, 0, "No more than 10000 urls allowed"
        prefixes = (f"http://{self.host}/", f"https://{self.host}/")
        if not all(isinstance(u, str) and u.startswith(prefixes) for u in urls):
            return 422, 0, "URLs not on the host"
        return 200, len(urls), ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="loopback site + IndexNow endpoint")
    parser.add_argument("--root", type=Path, required=True, help="folder served at /")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", default=None)
    args = parser.parse_args(argv)
    BenchHandler.key = args.key
    BenchHandler.host = f"127.0.0.1:{args.port}"
    handler = partial(BenchHandler, directory=str(args.root))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
