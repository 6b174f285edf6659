"""Performance bench runner for issue 5: ``plan`` against the floor, start-up, submission.

Plan mode (default): for each N, generate (or reuse from ``bench/.cache/``) a live/build
pair with ``gen.py``, serve the live side from a loopback server (``server.py``, its own
process), and time, each as its own process, ``--runs`` times interleaved:

- the floor: ``floor.py``, a bare lxml iterparse counting ``<loc>`` over the same bytes of
  both sides (read and decompressed inside the timing);
- ``indexnow-sync plan --live http://127.0.0.1:PORT/sitemap-index.xml --build OUT/build
  --out PLAN --json --site http://127.0.0.1:PORT``, whose delta is checked against the
  generator's ``expected.json``;
- ``indexnow-sync --version`` (start-up).

Submit mode (``--submit``): a first deploy of exactly N pages (live sitemap 404) is planned
once, then ``indexnow-sync submit --plan`` is timed against the server's IndexNow endpoint,
from a fresh copy of the plan on every run; the server reports the time it spent, so the
client's own overhead is wall minus server time.

Wall time is ``time.perf_counter`` around the process; CPU time (user + system) and peak
RSS come from ``os.wait4`` on that process alone. Figures are medians of the runs. Results
are printed as a table and written to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gen

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"
RESULTS = BENCH / "results"
BENCH_KEY = "b3nch0000000000000000000000000000key"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
TARGET_RATIO_MUST = 1.5
TARGET_RATIO_AIM = 1.2
TARGET_RSS_MB = 300.0
TARGET_GROWTH = 11.0
TARGET_STARTUP_S = 0.3
TARGET_SUBMIT_S = 15.0


@dataclass(frozen=True)
class Measurement:
    """One process run: wall and CPU seconds, peak RSS in MB, exit code and output."""

    wall_s: float
    cpu_s: float
    rss_mb: float
    returncode: int
    stdout: str
    stderr: str


TIME = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)


def measure(cmd: list[str], *, cwd: Path | None = None) -> Measurement:
    """Run ``cmd`` and measure that process alone.

    CPU and peak RSS come from GNU ``time`` when installed, else from ``os.wait4`` here.
    A small launcher matters: Linux carries the parent's peak RSS into a child's
    ``ru_maxrss`` across fork and exec, so a child of a big process reports at least that.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".time") as usage_file,
    ):
        full = [TIME, "-f", "%U %S %M", "-o", usage_file.name, *cmd] if TIME else cmd
        started = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, cwd=cwd, env=_clean_env())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu, rss_kib = usage.ru_utime + usage.ru_stime, float(usage.ru_maxrss)
        if TIME:
            # GNU time writes "Command exited with non-zero status N" first on failure
            fields = usage_file.read().strip().splitlines()[-1].split()
            cpu, rss_kib = float(fields[0]) + float(fields[1]), float(fields[2])
        out.seek(0)
        err.seek(0)
        return Measurement(
            wall_s=wall,
            cpu_s=cpu,
            rss_mb=rss_kib / 1024,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def _clean_env() -> dict[str, str]:
    # a developer's INDEXNOW_* or a CI's GITHUB_* must not change what is measured
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INDEXNOW_", "GITHUB_")) and k != "CI"
    }


def summarize(samples: list[Measurement]) -> dict[str, Any]:
    """Medians over the runs, plus every sample so outliers stay visible."""
    return {
        "wall_s": statistics.median(m.wall_s for m in samples),
        "cpu_s": statistics.median(m.cpu_s for m in samples),
        "rss_mb": statistics.median(m.rss_mb for m in samples),
        "samples": [{"wall_s": m.wall_s, "cpu_s": m.cpu_s, "rss_mb": m.rss_mb} for m in samples],
    }


def cli_command() -> list[str]:
    """The installed console script next to this interpreter (what users run)."""
    script = Path(sys.executable).parent / "indexnow-sync"
    if script.exists():
        return [str(script)]
    found = shutil.which("indexnow-sync")
    if found:
        return [found]
    return [sys.executable, "-c", "from indexnow_sync.cli import main; main()"]


def _lxml_versions() -> dict[str, str]:
    # asked of a child: importing lxml here would raise every measured child's RSS floor
    code = (
        "import json; from lxml import etree as e; print(json.dumps({"
        "'lxml': '.'.join(map(str, e.LXML_VERSION)),"
        "'libxml2': '.'.join(map(str, e.LIBXML_VERSION))}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    versions: dict[str, str] = json.loads(done.stdout)
    return versions


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BENCH,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        **_lxml_versions(),
        "commit": commit,
    }


# --- data sets and the server ------------------------------------------------------------


def dataset(kind: str, urls: int, *, port: int, seed: int, gz: bool) -> Path:
    """Folder with the generated site, generated once per (kind, N, seed, port, gzip)."""
    name = f"{kind}-{urls}-s{seed}-p{port}{'-gz' if gz else ''}-v{gen.GENERATOR_VERSION}"
    folder = CACHE / name
    if (folder / "expected.json").exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted generation
    tmp = CACHE / f"{name}.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    print(f"generating {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    # in a child: a million pages held here would inflate every later child's peak RSS
    cmd = [sys.executable, str(BENCH / "gen.py"), str(tmp), "--urls", str(urls)]
    cmd += ["--port", str(port), "--seed", str(seed)]
    cmd += ["--gzip"] * gz + ["--first-deploy"] * (kind != "site")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    (tmp / "live").mkdir(exist_ok=True)
    tmp.rename(folder)
    print(f"  generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return folder


class BenchServer:
    """``server.py`` in its own process, serving a folder on 127.0.0.1:port."""

    def __init__(self, root: Path, port: int, key: str | None = None) -> None:
        cmd = [sys.executable, str(BENCH / "server.py"), "--root", str(root)]
        cmd += ["--port", str(port)]
        if key:
            cmd += ["--key", key]
        self.port = port
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            self.proc.kill()
            raise SystemExit(f"bench server did not start on port {port}: is it in use?")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url("/__stats"), timeout=10) as resp:
            data: dict[str, Any] = json.load(resp)
            return data

    def reset(self) -> None:
        req = urllib.request.Request(self.url("/__reset"), data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# --- checking the delta ------------------------------------------------------------------


def _delta_lists(stdout: str, plan_file: Path) -> dict[str, list[str]] | None:
    """added/changed/removed URL lists from ``--json`` output, else from the plan file."""
    candidates: list[Any] = []
    with contextlib.suppress(ValueError):
        candidates.append(json.loads(stdout))
    with contextlib.suppress(OSError, ValueError):
        candidates.append(json.loads(plan_file.read_text()))
    for doc in candidates:
        if not isinstance(doc, dict):
            continue
        for holder in (doc, doc.get("delta")):
            if isinstance(holder, dict) and all(
                isinstance(holder.get(k), list) for k in ("added", "changed", "removed")
            ):
                return {k: [str(u) for u in holder[k]] for k in ("added", "changed", "removed")}
    return None


def check_delta(stdout: str, plan_file: Path, expected: dict[str, Any]) -> list[str]:
    """Problems with the reported delta; empty when it equals the generator's."""
    lists = _delta_lists(stdout, plan_file)
    if lists is None:
        return ["no added/changed/removed lists in the --json output or the plan file"]
    problems = []
    for kind in ("added", "changed", "removed"):
        got = gen.url_list_digest(lists[kind])
        want = expected[kind]
        if got["count"] != want["count"] or got["sha256"] != want["sha256"]:
            problems.append(f"{kind}: got {got['count']} URLs, expected {want['count']}")
    return problems


# --- plan mode ---------------------------------------------------------------------------


def child_files(side: Path) -> list[Path]:
    return sorted(
        p for p in side.iterdir() if p.name.startswith("sitemap-") and p.name[8].isdigit()
    )


def bench_plan(urls: int, args: argparse.Namespace) -> dict[str, Any]:
    folder = dataset("site", urls, port=args.port, seed=args.seed, gz=args.gzip)
    expected = json.loads((folder / "expected.json").read_text())
    files = child_files(folder / "live") + child_files(folder / "build")
    cli = cli_command()
    server = BenchServer(folder / "live", args.port)
    floor_runs: list[Measurement] = []
    plan_runs: list[Measurement] = []
    problems: list[str] = []
    error: str | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="indexnow-bench-") as work:
            plan_file = Path(work) / "plan.json"
            plan_cmd = [
                *cli,
                "plan",
                "--live",
                server.url("/sitemap-index.xml"),
                "--build",
                str(folder / "build"),
                "--out",
                str(plan_file),
                "--json",
                "--site",
                server.url(""),
            ]
            for _ in range(args.runs):
                # interleaved, so drift in the machine's speed hits both alike
                floor = measure([sys.executable, str(BENCH / "floor.py"), *map(str, files)])
                if floor.returncode != 0:
                    raise SystemExit(f"floor failed:\n{floor.stderr}")
                floor_runs.append(floor)
                plan_file.unlink(missing_ok=True)
                plan = measure(plan_cmd, cwd=Path(work))
                if plan.returncode != 0:
                    error = f"plan exited {plan.returncode}: {plan.stderr.strip()[-2000:]}"
                    break
                problems = check_delta(plan.stdout, plan_file, expected)
                plan_runs.append(plan)
                if problems:
                    break
            version_runs = [measure([*cli, "--version"]) for _ in range(max(5, args.runs))]
    finally:
        server.close()
    floor_locs = json.loads(floor_runs[0].stdout)["locs"]
    result: dict[str, Any] = {
        "mode": "plan",
        "urls": urls,
        "gzip": args.gzip,
        "runs": args.runs,
        "data": {
            "live_urls": expected["live"]["urls"],
            "build_urls": expected["build"]["urls"],
            "children": len(files),
            "bytes_on_disk": sum(p.stat().st_size for p in files),
            "rusage_from": "GNU time" if TIME else "os.wait4",
            "added": expected["added"]["count"],
            "changed": expected["changed"]["count"],
            "removed": expected["removed"]["count"],
        },
        "floor": {
            **summarize(floor_runs),
            "locs": floor_locs,
            "parse_s": statistics.median(json.loads(m.stdout)["parse_s"] for m in floor_runs),
        },
        "plan": summarize(plan_runs) if plan_runs else None,
        "plan_error": error,
        "delta_correct": bool(plan_runs) and not problems,
        "delta_problems": problems,
        "version": summarize(version_runs)
        if all(m.returncode == 0 for m in version_runs)
        else None,
        "version_error": None
        if all(m.returncode == 0 for m in version_runs)
        else version_runs[0].stderr.strip()[-500:],
        "command": " ".join(plan_cmd),
        "machine": machine_info(),
    }
    if result["plan"]:
        result["ratio_to_floor"] = result["plan"]["wall_s"] / result["floor"]["wall_s"]
        result["ratio_to_floor_parse"] = result["plan"]["wall_s"] / result["floor"]["parse_s"]
    return result


# --- submit mode -------------------------------------------------------------------------


def bench_submit(urls: int, args: argparse.Namespace) -> dict[str, Any]:
    folder = dataset("first", urls, port=args.port, seed=args.seed, gz=args.gzip)
    expected = json.loads((folder / "expected.json").read_text())
    cli = cli_command()
    server = BenchServer(folder / "live", args.port, key=BENCH_KEY)
    runs: list[Measurement] = []
    server_stats: list[dict[str, Any]] = []
    problems: list[str] = []
    error: str | None = None
    submit_cmd: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="indexnow-bench-") as work:
            pristine = Path(work) / "plan-pristine.json"
            plan = measure(
                [
                    *cli,
                    "plan",
                    "--live",
                    server.url("/sitemap-index.xml"),
                    "--build",
                    str(folder / "build"),
                    "--out",
                    str(pristine),
                    "--json",
                    "--site",
                    server.url(""),
                ],
                cwd=Path(work),
            )
            if plan.returncode != 0:
                error = f"plan exited {plan.returncode}: {plan.stderr.strip()[-2000:]}"
            else:
                problems = check_delta(plan.stdout, pristine, expected)
            plan_file = Path(work) / "plan.json"
            submit_cmd = [
                *cli,
                "submit",
                "--plan",
                str(plan_file),
                "--site",
                server.url(""),
                "--key",
                BENCH_KEY,
                "--endpoint",
                server.url("/indexnow"),
                "--max-urls",
                str(urls),
                "--json",
            ]
            for _ in range(args.runs if error is None and not problems else 0):
                # submit records progress in the plan: every run starts from a fresh copy
                shutil.copyfile(pristine, plan_file)
                server.reset()
                run = measure(submit_cmd, cwd=Path(work))
                stats = server.stats()
                if run.returncode != 0:
                    error = f"submit exited {run.returncode}: {run.stderr.strip()[-2000:]}"
                    break
                want_requests = math.ceil(urls / 10_000)
                if stats["urls"] != urls or stats["requests"] != want_requests:
                    problems.append(
                        f"endpoint got {stats['urls']} URLs in {stats['requests']} requests"
                        f" ({stats['rejected']} rejected), expected {urls} in {want_requests}"
                    )
                    break
                runs.append(run)
                server_stats.append(stats)
    finally:
        server.close()
    result: dict[str, Any] = {
        "mode": "submit",
        "urls": urls,
        "runs": args.runs,
        "submit": summarize(runs) if runs else None,
        "submit_error": error,
        "problems": problems,
        "command": " ".join(submit_cmd).replace(BENCH_KEY, "KEY"),
        "machine": machine_info(),
    }
    if runs:
        server_s = statistics.median(s["server_s"] for s in server_stats)
        result["requests"] = server_stats[0]["requests"]
        result["server_s"] = server_s
        result["client_overhead_s"] = statistics.median(
            m.wall_s - s["server_s"] for m, s in zip(runs, server_stats, strict=True)
        )
    return result


# --- output ------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_plan(result: dict[str, Any]) -> None:
    n = result["urls"]
    print(
        f"\n== plan, {n:,} URLs per side{' (gzip)' if result['gzip'] else ''}, "
        f"median of {result['runs']} =="
    )
    print(f"{'':<18}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'x floor':>9}")
    floor = result["floor"]
    rows: list[tuple[str, dict[str, Any] | None]] = [
        ("floor (iterparse)", floor),
        ("plan", result["plan"]),
        ("--version", result["version"]),
    ]
    for label, row in rows:
        if row is None:
            print(f"{label:<18}{'failed':>9}")
            continue
        ratio = row["wall_s"] / floor["wall_s"] if row is not floor and label == "plan" else None
        print(
            f"{label:<18}{row['wall_s']:>9.2f}{row['cpu_s']:>9.2f}{row['rss_mb']:>9.0f}"
            f"{_fmt(ratio, '.2f'):>9}"
        )
    print(f"floor parse only: {floor['parse_s']:.2f} s; delta correct: {result['delta_correct']}")
    for problem in result["delta_problems"]:
        print(f"  DELTA WRONG: {problem}")
    if result["plan_error"]:
        print(f"  plan failed: {result['plan_error']}")
    if result["version_error"]:
        print(f"  --version failed: {result['version_error']}")


def check_targets(results: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, judged on what this run measured (and earlier result files)."""
    verdicts = []
    by_n = {r["urls"]: r for r in results if r["mode"] == "plan"}
    for r in results:
        if r["mode"] == "plan" and r.get("plan") and r["urls"] >= 1_000_000:
            ratio = r["ratio_to_floor"]
            verdicts.append(
                f"{r['urls']:,}: wall {ratio:.2f}x floor (must <= {TARGET_RATIO_MUST}, "
                f"aim <= {TARGET_RATIO_AIM}): "
                f"{'PASS' if ratio <= TARGET_RATIO_MUST else 'FAIL'}"
            )
            rss = r["plan"]["rss_mb"]
            verdicts.append(
                f"{r['urls']:,}: peak RSS {rss:.0f} MB (<= {TARGET_RSS_MB:.0f}): "
                f"{'PASS' if rss <= TARGET_RSS_MB else 'FAIL'}"
            )
            verdicts.append(f"{r['urls']:,}: delta correct: {r['delta_correct']}")
            small = by_n.get(r["urls"] // 10) or _load_result(r["urls"] // 10, r["gzip"])
            if small and small.get("plan"):
                growth = r["plan"]["wall_s"] / small["plan"]["wall_s"]
                verdicts.append(
                    f"{r['urls']:,} vs {r['urls'] // 10:,}: wall x{growth:.1f} "
                    f"(<= {TARGET_GROWTH:.0f}): {'PASS' if growth <= TARGET_GROWTH else 'FAIL'}"
                )
        if r["mode"] == "plan" and r.get("version"):
            start = r["version"]["wall_s"]
            verdicts.append(
                f"--version start-up {start:.3f} s (<= {TARGET_STARTUP_S}): "
                f"{'PASS' if start <= TARGET_STARTUP_S else 'FAIL'}"
            )
        if r["mode"] == "submit" and r.get("submit"):
            s = r["submit"]
            smaller = next(
                (x for x in results if x["mode"] == "submit" and x["urls"] * 10 == r["urls"]),
                None,
            )
            if smaller and smaller.get("submit"):
                # recording progress in the plan must not make submission quadratic
                growth = s["wall_s"] / smaller["submit"]["wall_s"]
                verdicts.append(
                    f"submit {r['urls']:,} vs {smaller['urls']:,}: wall x{growth:.1f} "
                    f"(<= {TARGET_GROWTH:.0f}): {'PASS' if growth <= TARGET_GROWTH else 'FAIL'}"
                )
            ok = s["wall_s"] <= TARGET_SUBMIT_S and s["rss_mb"] <= TARGET_RSS_MB
            verdicts.append(
                f"submit {r['urls']:,}: {s['wall_s']:.2f} s, {s['rss_mb']:.0f} MB, "
                f"{r['requests']} requests (<= {TARGET_SUBMIT_S:.0f} s, <= "
                f"{TARGET_RSS_MB:.0f} MB): {'PASS' if ok else 'FAIL'}"
            )
    return verdicts


def _result_path(mode: str, urls: int, gz: bool) -> Path:
    return RESULTS / f"{mode}-{urls}{'-gz' if gz else ''}.json"


def _load_result(urls: int, gz: bool) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(_result_path("plan", urls, gz).read_text())
    except (OSError, ValueError):
        return None
    return data


def print_submit(result: dict[str, Any]) -> None:
    print(f"\n== submit --plan, {result['urls']:,} added URLs, median of {result['runs']} ==")
    s = result["submit"]
    if s is None:
        print(f"  failed: {result['submit_error'] or result['problems']}")
        return
    print(
        f"wall {s['wall_s']:.2f} s, cpu {s['cpu_s']:.2f} s, peak {s['rss_mb']:.0f} MB, "
        f"{result['requests']} requests; server {result['server_s']:.2f} s, "
        f"client overhead {result['client_overhead_s']:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--urls", type=int, action="append", help="URLs per side (repeatable); default 10k 100k 1M"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--gzip", action="store_true", help="children as .xml.gz")
    parser.add_argument("--include-5m", action="store_true", help="also 5,000,000 URLs")
    parser.add_argument("--submit", action="store_true", help="time submit --plan instead")
    parser.add_argument("--port", type=int, default=47813, help="loopback port of the site")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    sizes = list(args.urls or DEFAULT_SIZES)
    if args.include_5m and 5_000_000 not in sizes:
        sizes.append(5_000_000)
    results = []
    for urls in sorted(sizes):
        if args.submit:
            result = bench_submit(urls, args)
            print_submit(result)
        else:
            result = bench_plan(urls, args)
            print_plan(result)
        results.append(result)
        if not args.no_save:
            RESULTS.mkdir(exist_ok=True)
            path = _result_path(result["mode"], urls, args.gzip)
            path.write_text(json.dumps(result, indent=2) + "\n")
    verdicts = check_targets(results)
    if verdicts:
        print("\n== targets (issue 5) ==")
        for line in verdicts:
            print(line)
    failed = any(
        r.get("plan_error") or r.get("submit_error") or r.get("delta_problems") or r.get("problems")
        for r in results
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
