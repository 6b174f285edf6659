"""The action's install step, timed in the simulated runner (tests/action_runner.py).

Cold: an empty Actions cache and no pip cache (PIP_NO_CACHE_DIR=1): a venv without pip, then
``pip --python ... --require-hashes -r action/requirements.txt`` from PyPI (downloads
included). Warm: the venv the cold run saved is restored by the (simulated) cache, and the
install step only recognises it. Each figure is the runner's wall time of the step, median
of ``--runs``. Also shown: the steps before it (finding Python, the cache key) and the
simulated restore (a local copy; GitHub's own restore of a ~50 MB venv is not measured here).

    python bench/action_install.py --runs 5 [--results bench/results]

The samples go to ``RESULTS/action-install.json`` (``--results``, default
``bench/.cache/results``, which git ignores: a run never dirties the work tree).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.action_runner import run_action  # noqa: E402
from tests.test_action import Cache  # noqa: E402

DEMO = ROOT / "fixtures" / "demo"


def one_run(temp: Path, cache: Cache, env: dict[str, str]) -> dict[str, float]:
    workspace = temp / "workspace"
    workspace.mkdir(exist_ok=True)
    result = run_action(
        ROOT,
        {
            "command": "plan",
            "baseline": str(DEMO / "live"),
            "build": str(DEMO / "build"),
            "plan-file": str(temp / "plan.json"),
        },
        workspace=workspace,
        runner_temp=temp / "runner-temp",
        env={"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env},
        uses=cache.handlers(workspace),
    )
    assert result.success, result.log
    seconds = {step.id: step.seconds for step in result.steps}
    return {
        "find python + key": seconds["python"] + seconds["venv"],
        "restore (simulated)": seconds["restore"],
        "install step": seconds["install"],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--results",
        type=Path,
        default=ROOT / "bench" / ".cache" / "results",
        help="folder for the JSON samples (bench/results to publish them)",
    )
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    figures: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            temp = Path(folder)
            cache = Cache(temp / "store", warm=False)
            figures["cold"].append(one_run(temp, cache, {"PIP_NO_CACHE_DIR": "1"}))
            shutil.rmtree(temp / "runner-temp")  # the next job: a fresh machine
            figures["warm"].append(one_run(temp, cache, {}))
    summary = {
        kind: {name: round(statistics.median(r[name] for r in runs), 2) for name in runs[0]}
        for kind, runs in figures.items()
    }
    print(json.dumps({"runs": args.runs, "median_seconds": summary}, indent=1))
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / "action-install.json"
    out.write_text(json.dumps({"runs": args.runs, "samples": figures, "median_seconds": summary},
                              indent=1) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
