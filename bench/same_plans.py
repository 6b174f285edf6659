"""Do two installs of indexnow-sync write the same plans? (A speed change must not change one.)

For every ``NAME.old.xml[.gz]`` / ``NAME.new.xml[.gz]`` pair in ``--pairs`` (default: the team's
real-world pairs in ``../shared/realworld/pairs``), and for each ``--site-folder`` (a
generated bench site: its ``live/`` as the baseline, its ``build/``), runs
``indexnow-sync plan --baseline OLD --build NEW --out PLAN --json`` with both CLIs and
compares the plan files byte for byte, ignoring only the ``created`` timestamp; where
``plan`` fails, the exit code and the error line must be the same instead. With ``--lists``
only the plans' ``added``, ``changed``, ``removed`` and ``skipped`` are compared (for two
installs whose plan formats differ); ``--after-option`` passes an option to the second
install's ``plan`` only (e.g. ``--changed-by lastmod``).

Usage::

    python bench/same_plans.py --before /path/to/old/venv/bin/indexnow-sync \\
        --after .venv/bin/indexnow-sync [--site-folder bench/.cache/site-1000000-...]
    python bench/same_plans.py --before OLD --after NEW --lists \\
        --after-option=--changed-by --after-option=lastmod

Prints one line per pair and a summary; exits 1 if any differs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# The repository sits beside the team's shared folder: <work>/main/bench -> <work>/shared.
DEFAULT_PAIRS = BENCH.parent.parent / "shared" / "realworld" / "pairs"
_CREATED = re.compile(rb'"created": ?"[^"]*"')


_LISTS = ("added", "changed", "removed", "skipped")


def run_plan(
    cli: str, old: Path, new: Path, out: Path, options: list[str], *, lists: bool = False
) -> tuple[int, bytes, str]:
    """(exit code, plan file without its timestamp or b"", the error line or ""). With
    ``lists``, the plan is its four lists, as JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INDEXNOW_", "GITHUB_"))}
    out.unlink(missing_ok=True)
    cmd = [cli, "plan", "--baseline", str(old), "--build", str(new), "--out", str(out), "--json"]
    done = subprocess.run(
        [*cmd, *options], capture_output=True, env=env, cwd=out.parent, check=False
    )
    plan = _CREATED.sub(b'"created": ""', out.read_bytes()) if out.exists() else b""
    if lists and plan:
        saved = json.loads(plan)
        plan = json.dumps({name: saved[name] for name in _LISTS}, sort_keys=True).encode()
    error = ""
    if done.returncode:
        try:
            error = json.loads(done.stdout)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            error = done.stderr.decode("utf-8", "replace").strip()
    return done.returncode, plan, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the indexnow-sync command before")
    parser.add_argument("--after", required=True, help="the indexnow-sync command after")
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--site-folder", type=Path, action="append", default=[])
    parser.add_argument("--lists", action="store_true", help="compare the four lists only")
    parser.add_argument(
        "--after-option", action="append", default=[], help="an option for --after's plan"
    )
    args = parser.parse_args(argv)
    if not args.pairs.is_dir():
        parser.error(f"--pairs {args.pairs}: no such folder (pass the real-world pairs' folder)")
    cases = [
        (old.name.split(".old.")[0], old, old.with_name(old.name.replace(".old.", ".new.")))
        for old in sorted(args.pairs.resolve().glob("*.old.xml*"))
    ]
    cases += [
        (folder.name, folder.resolve() / "live", folder.resolve() / "build")
        for folder in args.site_folder
    ]
    if not any(args.pairs.glob("*.old.xml*")) and not args.site_folder:
        parser.error(f"--pairs {args.pairs}: no NAME.old.xml[.gz] files, nothing to compare")
    same = differ = 0
    with tempfile.TemporaryDirectory(prefix="same-plans-") as work:
        for name, old, new in cases:
            before = run_plan(
                args.before, old, new, Path(work) / "before.json", [], lists=args.lists
            )
            after = run_plan(
                args.after, old, new, Path(work) / "after.json", args.after_option,
                lists=args.lists,
            )  # fmt: skip
            if before == after:
                same += 1
                what = f"exit {before[0]}" + (f", {len(before[1])} bytes" if before[1] else "")
                print(f"same     {name} ({what})")
            else:
                differ += 1
                print(f"DIFFERS  {name}: exit {before[0]} -> {after[0]}")
                for label, result in (("before", before), ("after", after)):
                    print(f"  {label}: {result[2][:300] or f'{len(result[1])} plan bytes'}")
    what = "in added, changed, removed and skipped" if args.lists else "(timestamp aside)"
    print(f"\n{same} of {same + differ} plans identical {what}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
