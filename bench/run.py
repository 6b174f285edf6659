"""Performance bench runner (issues 5 and 11): ``plan`` against the C floor, the network
latency ``plan`` exposes, start-up, submission.

Plan mode (default): for each N, generate (or reuse from ``bench/.cache/``) a live/build
pair with ``gen.py``, serve the live side from a loopback server (``server.py``, its own
process), and time, each as its own process, ``--runs`` times interleaved:

- the C floor: ``floor.py``, lxml's feed parser building each file's tree in C over the same
  bytes of both sides (read and decompressed inside the timing);
- ``indexnow-sync plan --live http://127.0.0.1:PORT/sitemap-index.xml --build OUT/build
  --out PLAN --json --site http://127.0.0.1:PORT``, whose delta is checked against the
  generator's ``expected.json``;
- with ``--latency``, the same ``plan`` while the server delays each sitemap's first byte by
  ``--ttfb`` seconds and sends at most ``--rate-mb`` MB/s per connection: the latency
  ``plan`` exposes is its wall time minus the plain run's, as a share of the sequential
  network time (what reading the live files one after the other costs in waiting alone:
  the sum over them of TTFB + size / rate);
- ``indexnow-sync --version`` (start-up).

Submit mode (``--submit``): a first deploy of exactly N pages (live sitemap 404) is planned
once, then ``indexnow-sync submit --plan`` is timed against the server's IndexNow endpoint,
from a fresh copy of the plan on every run; the server reports the time it spent, so the
client's own overhead is wall minus server time.

Wall time is ``time.perf_counter`` around the process; CPU time (user + system) and peak
RSS come from ``os.wait4`` on that process alone. Figures are medians of the runs. Results
are printed as a table and written to ``--results`` (default ``bench/.cache/results``, which
git ignores, so a run never dirties the work tree; ``--results bench/results`` publishes them).
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
# Where results go: untracked by default, so a run never dirties the work tree; the figures
# the README quotes are published with --results bench/results.
RESULTS = [CACHE / "results"]
BENCH_KEY = "b3nch0000000000000000000000000000key"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
# issue 11, at 1M URLs per side: (aim, must)
TARGET_RATIO = (2.0, 2.5)  # plan wall / C floor wall, same run
TARGET_RSS_MB = (250.0, 300.0)  # plan peak RSS
TARGET_EXPOSED = (0.25, 0.40)  # exposed latency / sequential network time
TARGET_GROWTH_5M = 5.5  # 5M wall / 1M wall
TARGET_GROWTH = 11.0  # 1M wall / 100k wall (issue 5)
TARGET_STARTUP_S = 0.3
TARGET_SUBMIT_S = 15.0
TARGET_SUBMIT_RSS_MB = 300.0


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


CLI_OVERRIDE: list[str] = []


def cli_command() -> list[str]:
    """``--cli``, else the installed console script next to this interpreter (what users
    run)."""
    if CLI_OVERRIDE:
        return CLI_OVERRIDE
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
        self._post("/__reset")

    def shape(self, ttfb: float, rate: float) -> None:
        """Delay each sitemap's first byte by ``ttfb`` s and cap each connection at ``rate``
        bytes/s (0, 0: no shaping)."""
        self._post(f"/__shape?ttfb={ttfb}&rate={rate}")

    def _post(self, path: str) -> None:
        req = urllib.request.Request(self.url(path), data=b"", method="POST")
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


def sequential_network_s(live: Path, ttfb: float, rate: float) -> float:
    """What reading every live sitemap file one after the other costs in waiting alone."""
    files = [live / "sitemap-index.xml", *child_files(live)]
    return sum(ttfb + p.stat().st_size / rate for p in files)


def bench_plan(urls: int, args: argparse.Namespace) -> dict[str, Any]:
    folder = dataset("site", urls, port=args.port, seed=args.seed, gz=args.gzip)
    expected = json.loads((folder / "expected.json").read_text())
    files = child_files(folder / "live") + child_files(folder / "build")
    cli = cli_command()
    server = BenchServer(folder / "live", args.port)
    rate = args.rate_mb * 1_000_000
    floor_runs: list[Measurement] = []
    iterparse_runs: list[Measurement] = []
    plan_runs: list[Measurement] = []
    latency_runs: list[Measurement] = []
    # --also-cli: another install, timed in the same runs (alternated with this one)
    also_runs: list[Measurement] = []
    also_latency_runs: list[Measurement] = []
    problems: list[str] = []
    error: str | None = None
    loads: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="indexnow-bench-") as work:
            plan_file = Path(work) / "plan.json"
            plan_args = [
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
            plan_cmd = [*cli, *plan_args]

            def run_plan(into: list[Measurement], command: list[str] = plan_cmd) -> bool:
                nonlocal error, problems
                plan_file.unlink(missing_ok=True)
                plan = measure(command, cwd=Path(work))
                if plan.returncode != 0:
                    error = f"plan exited {plan.returncode}: {plan.stderr.strip()[-2000:]}"
                    return False
                problems = check_delta(plan.stdout, plan_file, expected)
                into.append(plan)
                return not problems

            for _ in range(args.runs):
                # alternated, so drift in the machine's speed hits every figure alike
                loads.append(os.getloadavg()[0])
                floor = measure([sys.executable, str(BENCH / "floor.py"), *map(str, files)])
                if floor.returncode != 0:
                    raise SystemExit(f"floor failed:\n{floor.stderr}")
                floor_runs.append(floor)
                if not run_plan(plan_runs):
                    break
                if args.latency:
                    server.shape(args.ttfb, rate)
                    try:
                        if not run_plan(latency_runs):
                            break
                    finally:
                        server.shape(0, 0)
                if args.also_cli:
                    also_cmd = [*args.also_cli.split(), *plan_args]
                    if not run_plan(also_runs, also_cmd):
                        break
                    if args.latency:
                        server.shape(args.ttfb, rate)
                        try:
                            if not run_plan(also_latency_runs, also_cmd):
                                break
                        finally:
                            server.shape(0, 0)
                if args.iterparse_floor:
                    cmd = [sys.executable, str(BENCH / "floor.py"), "--mode", "iterparse"]
                    iterparse_runs.append(measure([*cmd, *map(str, files)]))
            version_runs = [measure([*cli, "--version"]) for _ in range(max(5, args.runs))]
    finally:
        server.close()
    result: dict[str, Any] = {
        "mode": "plan",
        "urls": urls,
        "gzip": args.gzip,
        "runs": args.runs,
        "label": args.label,
        "load_average_1m": loads,
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
            "entries": json.loads(floor_runs[0].stdout)["count"],
            "parse_s": statistics.median(json.loads(m.stdout)["parse_s"] for m in floor_runs),
        },
        "iterparse_floor": summarize(iterparse_runs) if iterparse_runs else None,
        "plan": summarize(plan_runs) if plan_runs else None,
        "plan_latency": summarize(latency_runs) if latency_runs else None,
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
        "cli": " ".join(cli),
        "machine": machine_info(),
    }
    result.update(
        _plan_figures(plan_runs, latency_runs, floor_runs, folder / "live", args.ttfb, rate)
    )
    if also_runs:
        result["also"] = {
            "label": args.also_label,
            "cli": args.also_cli,
            "plan": summarize(also_runs),
            "plan_latency": summarize(also_latency_runs) if also_latency_runs else None,
            **_plan_figures(
                also_runs, also_latency_runs, floor_runs, folder / "live", args.ttfb, rate
            ),
        }
    return result


def _plan_figures(
    plan_runs: list[Measurement],
    latency_runs: list[Measurement],
    floor_runs: list[Measurement],
    live: Path,
    ttfb: float,
    rate: float,
) -> dict[str, Any]:
    """Ratio to the C floor and exposed latency, each per alternated run, then the median:
    the two runs of a pair saw the same moment's machine."""
    figures: dict[str, Any] = {}
    if plan_runs:
        pairs = zip(plan_runs, floor_runs, strict=False)
        figures["ratio_to_floor"] = statistics.median(p.wall_s / f.wall_s for p, f in pairs)
    if latency_runs:
        sequential = sequential_network_s(live, ttfb, rate)
        exposed = statistics.median(
            lat.wall_s - plain.wall_s for lat, plain in zip(latency_runs, plan_runs, strict=False)
        )
        figures["latency"] = {
            "ttfb_s": ttfb,
            "rate_mb_s": rate / 1_000_000,
            "live_files": len(child_files(live)) + 1,
            "sequential_network_s": sequential,
            "exposed_s": exposed,
            "exposed_share": exposed / sequential,
        }
    return figures


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
        f"median of {result['runs']}{', ' + result['label'] if result.get('label') else ''} =="
    )
    print(f"{'':<22}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'x floor':>9}")
    floor = result["floor"]
    rows: list[tuple[str, dict[str, Any] | None]] = [
        ("C floor", floor),
        ("plan", result["plan"]),
        ("plan, slow network", result.get("plan_latency")),
        ("iterparse floor", result.get("iterparse_floor")),
        ("--version", result["version"]),
    ]
    for label, row in rows:
        if row is None:
            if label in ("plan", "--version"):
                print(f"{label:<22}{'failed':>9}")
            continue
        ratio = result.get("ratio_to_floor") if label == "plan" else None
        print(
            f"{label:<22}{row['wall_s']:>9.2f}{row['cpu_s']:>9.2f}{row['rss_mb']:>9.0f}"
            f"{_fmt(ratio, '.2f'):>9}"
        )
    also = result.get("also")
    if also:
        for label, key in ((f"plan ({also['label']})", "plan"), ("  slow network", "plan_latency")):
            row = also.get(key)
            if row:
                ratio = also.get("ratio_to_floor") if key == "plan" else None
                print(
                    f"{label:<22}{row['wall_s']:>9.2f}{row['cpu_s']:>9.2f}{row['rss_mb']:>9.0f}"
                    f"{_fmt(ratio, '.2f'):>9}"
                )
    for name, holder in (("", result), (f" ({also['label']})" if also else "", also or {})):
        latency = holder.get("latency")
        if latency:
            print(
                f"slow network{name} ({latency['live_files']} live files, {latency['ttfb_s']:g} s "
                f"to first byte, {latency['rate_mb_s']:g} MB/s per connection): sequential "
                f"network time {latency['sequential_network_s']:.1f} s, exposed "
                f"{latency['exposed_s']:.2f} s = {latency['exposed_share']:.0%}"
            )
    loads = ", ".join(f"{x:.1f}" for x in result.get("load_average_1m", []))
    print(f"delta correct: {result['delta_correct']}; load average before each run: {loads}")
    for problem in result["delta_problems"]:
        print(f"  DELTA WRONG: {problem}")
    if result["plan_error"]:
        print(f"  plan failed: {result['plan_error']}")
    if result["version_error"]:
        print(f"  --version failed: {result['version_error']}")


def _verdict(value: float, aim: float, must: float) -> str:
    if value <= aim:
        return "PASS"
    return "PASS (must; aim missed)" if value <= must else "FAIL"


def _growth(big: dict[str, Any], small: dict[str, Any] | None, limit: float) -> list[str]:
    """The verdict on how ``plan``'s wall time grew from the smaller run to the bigger."""
    if not small or not small.get("plan"):
        return []
    growth = big["plan"]["wall_s"] / small["plan"]["wall_s"]
    return [
        f"{big['urls']:,} vs {small['urls']:,}: wall x{growth:.2f} (<= {limit:g}): "
        f"{'PASS' if growth <= limit else 'FAIL'}"
    ]


def check_targets(results: list[dict[str, Any]], label: str | None = None) -> list[str]:
    """The issues' targets, judged on what this run measured (and earlier result files)."""
    verdicts = []
    by_n = {r["urls"]: r for r in results if r["mode"] == "plan"}
    for r in results:
        if r["mode"] == "plan" and r.get("plan") and r["urls"] == 1_000_000:
            n = f"{r['urls']:,}{' gzip' if r['gzip'] else ''}"
            ratio = r["ratio_to_floor"]
            aim, must = TARGET_RATIO
            verdicts.append(
                f"{n}: plan {ratio:.2f}x the C floor (aim <= {aim}, must <= {must}): "
                + _verdict(ratio, aim, must)
            )
            rss = r["plan"]["rss_mb"]
            aim, must = TARGET_RSS_MB
            verdicts.append(
                f"{n}: plan peak RSS {rss:.0f} MB (aim <= {aim:.0f}, must <= {must:.0f}): "
                + _verdict(rss, aim, must)
            )
            if r.get("latency"):
                share = r["latency"]["exposed_share"]
                aim, must = TARGET_EXPOSED
                verdicts.append(
                    f"{n}: exposed latency {share:.0%} of the sequential network time "
                    f"(aim <= {aim:.0%}, must <= {must:.0%}): " + _verdict(share, aim, must)
                )
                rss = r["plan_latency"]["rss_mb"]
                aim, must = TARGET_RSS_MB
                verdicts.append(
                    f"{n}: plan peak RSS on the slow network {rss:.0f} MB "
                    f"(aim <= {aim:.0f}, must <= {must:.0f}): " + _verdict(rss, aim, must)
                )
            small = by_n.get(100_000) or _load_result(100_000, r["gzip"], label)
            verdicts += _growth(r, small, TARGET_GROWTH)
        if r["mode"] == "plan" and r.get("plan"):
            ok = "PASS" if r["delta_correct"] else "FAIL"
            verdicts.append(f"{r['urls']:,}: delta correct: {ok}")
        if r["mode"] == "plan" and r.get("plan") and r["urls"] == 5_000_000:
            one = by_n.get(1_000_000) or _load_result(1_000_000, r["gzip"], label)
            verdicts += _growth(r, one, TARGET_GROWTH_5M)
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
            ok = s["wall_s"] <= TARGET_SUBMIT_S and s["rss_mb"] <= TARGET_SUBMIT_RSS_MB
            verdicts.append(
                f"submit {r['urls']:,}: {s['wall_s']:.2f} s, {s['rss_mb']:.0f} MB, "
                f"{r['requests']} requests (<= {TARGET_SUBMIT_S:.0f} s, <= "
                f"{TARGET_SUBMIT_RSS_MB:.0f} MB): {'PASS' if ok else 'FAIL'}"
            )
    return verdicts


def _result_path(mode: str, urls: int, gz: bool, label: str | None = None) -> Path:
    return RESULTS[0] / f"{mode}-{urls}{'-gz' if gz else ''}{'-' + label if label else ''}.json"


def _load_result(urls: int, gz: bool, label: str | None = None) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(_result_path("plan", urls, gz, label).read_text())
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
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS[0],
        help="folder for the JSON results (default bench/.cache/results, git-ignored; "
        "bench/results to publish them)",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write any result file")
    parser.add_argument(
        "--latency", action="store_true", help="also time plan on a slow network (see --ttfb)"
    )
    parser.add_argument("--ttfb", type=float, default=0.5, help="slow network: s to first byte")
    parser.add_argument(
        "--rate-mb", type=float, default=20.0, help="slow network: MB/s per connection"
    )
    parser.add_argument(
        "--iterparse-floor", action="store_true", help="also time issue 5's iterparse floor"
    )
    parser.add_argument("--cli", help="the indexnow-sync command to measure (another install)")
    parser.add_argument("--label", help="name for this install in results files (e.g. before)")
    parser.add_argument(
        "--also-cli", help="another install's indexnow-sync, timed alternately in the same runs"
    )
    parser.add_argument("--also-label", default="other", help="its name in the output")
    args = parser.parse_args(argv)
    if args.cli:
        CLI_OVERRIDE[:] = args.cli.split()
    RESULTS[:] = [args.results]
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
            RESULTS[0].mkdir(parents=True, exist_ok=True)
            path = _result_path(result["mode"], urls, args.gzip, args.label)
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(f"written to {path}")
    verdicts = check_targets(results, args.label)
    if verdicts:
        print("\n== targets (issue 11; start-up and submit: issue 5) ==")
        for line in verdicts:
            print(line)
    failed = any(
        r.get("plan_error") or r.get("submit_error") or r.get("delta_problems") or r.get("problems")
        for r in results
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
