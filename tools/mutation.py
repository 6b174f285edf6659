"""Mutation testing of the core (issue 12) and of the checks before submitting (issue 21)
beyond what mutmut does, and the scores as docs/mutation.md reports them.

mutmut 3 mutates the bodies of undecorated functions only: module constants, class-level
defaults (``RetryPolicy``'s), and decorated functions (``lastmod.instant`` is ``lru_cache``d)
are never mutated. ``constants`` mutates exactly those with the same kinds of operators, runs
the module's tests against each mutant in a scratch copy of the repository, and lists what
survived. ``report`` reads the results of ``mutmut run`` and counts, per module, behavioural
mutants apart from message-text mutants (a mutation of a user-facing message string only).

    python tools/mutation.py constants [MODULE...]   # about 5 minutes for the core six
    python tools/mutation.py report [--survivors] [MODULE...]   # after `mutmut run`

Run from the repository root, in an environment with the test extra (and mutmut for
``report``).
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORE = ("diff", "lastmod", "keyfile", "indexnow", "plan", "urls")
CHECKS = ("checks", "robots", "wait")  # the modules of the checks and the waiting (issue 21)
MODULES = CORE + CHECKS
# The tests that exercise each module, the module's own first (pytest -x stops at the first
# failure, so a killed mutant costs little).
TESTS = {
    "diff": ["test_diff.py", "test_sources_disk.py", "test_live.py", "test_cli_e2e.py"],
    "lastmod": ["test_lastmod.py", "test_diff.py"],
    "keyfile": [
        "test_keyfile.py",
        "test_key_checks.py",
        "test_offline_dry_run.py",
        "test_cli_e2e.py",
    ],
    "indexnow": ["test_indexnow.py", "test_cli_e2e.py"],
    "plan": ["test_plan.py", "test_plan_lock.py", "test_plan_rerun.py", "test_cli_e2e.py"],
    "urls": [
        "test_urls.py",
        "test_ipv6.py",
        "test_bad_input.py",
        "test_diff.py",
        "test_keyfile.py",
        "test_indexnow.py",
    ],
    "checks": ["test_checks.py", "test_checks_hostile.py", "test_checks_e2e.py"],
    "robots": ["test_robots.py", "test_checks.py", "test_checks_e2e.py"],
    "wait": ["test_wait.py", "test_wait_e2e.py"],
}
# Module constants that are only words shown to a user (their mutants are message-text).
MESSAGE_CONSTANTS = {("keyfile", "_CHAR_NAMES")}
# Names that are not behaviour: the module's export list.
SKIPPED_NAMES = {"__all__"}
TIMEOUT = 300


# --- mutants ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    module: str
    target: str  # the constant, class default or function mutated
    line: int
    description: str
    source: str  # the whole mutated module
    message_text: bool


_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Div,
    ast.Pow: ast.Mult,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
}


def _atom_length(pattern: str, at: int) -> int:
    """Length of the character (or escape: \\n, \\x7f, \\u00a0) at ``at`` in a class."""
    if pattern[at] != "\\":
        return 1
    return {"x": 4, "u": 6}.get(pattern[at + 1 : at + 2], 2)


def regex_mutations(pattern: str) -> Iterator[tuple[str, str]]:
    """(description, mutated pattern): narrow a character class by one member, make an
    optional part required, make a repeated part single, change a counted repeat by one."""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            end = i + 1
            if end < len(pattern) and pattern[end] == "^":
                end += 1
            members: list[tuple[int, int]] = []
            while end < len(pattern) and pattern[end] != "]":
                start = end
                end += _atom_length(pattern, end)
                if end + 1 < len(pattern) and pattern[end] == "-" and pattern[end + 1] != "]":
                    end += 1
                    end += _atom_length(pattern, end)
                members.append((start, end))
            if len(members) > 1:
                for start, stop in members:
                    yield (
                        f"[...] without {pattern[start:stop]!r}",
                        pattern[:start] + pattern[stop:],
                    )
            i = end + 1
            continue
        if char == "?" and i > 0 and pattern[i - 1] not in "(*+?}":
            yield f"'?' at {i} removed", pattern[:i] + pattern[i + 1 :]
        if char == "+" and i > 0:
            yield f"'+' at {i} removed", pattern[:i] + pattern[i + 1 :]
        if char == "{":
            close = pattern.find("}", i)
            counts = pattern[i + 1 : close]
            if re.fullmatch(r"[0-9]+(,[0-9]+)?", counts):
                parts = counts.split(",")
                for index in range(len(parts)):
                    for delta in (1, -1):
                        changed = list(parts)
                        changed[index] = str(int(parts[index]) + delta)
                        if int(changed[index]) >= 0:
                            yield (
                                f"{{{counts}}} -> {{{','.join(changed)}}}",
                                pattern[: i + 1] + ",".join(changed) + pattern[close:],
                            )
        i += 1


def _is_regex_constant(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    call = parents.get(node)
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in ("compile", "fullmatch", "match", "search")
        and bool(call.args)
        and call.args[0] is node
    )


def _node_mutations(
    node: ast.AST, parents: dict[ast.AST, ast.AST], at_top: bool
) -> Iterator[tuple[str, ast.AST | None]]:
    """(description, replacement node) for one node; None as replacement deletes an element
    of a literal collection (only for ``at_top`` targets: constants and class defaults)."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield f"{value} -> {not value}", ast.Constant(not value)
        elif isinstance(value, int):
            yield f"{value} -> {value + 1}", ast.Constant(value + 1)
            if value > 0:
                yield f"{value} -> {value - 1}", ast.Constant(value - 1)
        elif isinstance(value, float):
            yield f"{value} -> {value + 1}", ast.Constant(value + 1)
            if value:
                yield f"{value} -> {value / 2}", ast.Constant(value / 2)
        elif isinstance(value, str):
            if _is_regex_constant(node, parents):
                for description, pattern in regex_mutations(value):
                    yield f"regex {description}", ast.Constant(pattern)
            else:
                yield f"{value!r} -> 'XX...XX'", ast.Constant(f"XX{value}XX")
        elif isinstance(value, bytes):
            yield f"{value!r} -> b'XX...XX'", ast.Constant(b"XX" + value + b"XX")
    elif isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            swap = _COMPARE_SWAPS.get(type(op))
            if swap is not None:
                new = copy.deepcopy(node)
                new.ops[index] = swap()
                yield f"{type(op).__name__} -> {swap.__name__}", new
    elif isinstance(node, ast.BinOp):
        binop = _BINOP_SWAPS.get(type(node.op))
        if binop is not None:
            new_binop = copy.deepcopy(node)
            new_binop.op = binop()
            yield f"{type(node.op).__name__} -> {binop.__name__}", new_binop
    elif isinstance(node, ast.BoolOp):
        new_bool = copy.deepcopy(node)
        new_bool.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield f"{type(node.op).__name__} -> {type(new_bool.op).__name__}", new_bool
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not x -> x", node.operand
    elif isinstance(node, ast.Return) and node.value is not None:
        is_none = isinstance(node.value, ast.Constant) and node.value.value is None
        if not is_none:
            yield "return x -> return None", ast.Return(ast.Constant(None))
    elif isinstance(node, ast.Continue):
        yield "continue -> break", ast.Break()
    elif isinstance(node, ast.Break):
        yield "break -> continue", ast.Continue()
    if at_top and isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) > 1:
        for index in range(len(node.elts)):
            shorter = copy.deepcopy(node)
            del shorter.elts[index]
            yield f"element {index} dropped", shorter
    if at_top and isinstance(node, ast.Dict) and len(node.keys) > 1:
        for index in range(len(node.keys)):
            smaller = copy.deepcopy(node)
            del smaller.keys[index]
            del smaller.values[index]
            yield f"entry {index} dropped", smaller


def _targets(tree: ast.Module) -> Iterator[tuple[str, ast.AST, bool]]:
    """(name, node, at_top) of everything mutmut leaves alone."""
    for statement in tree.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            names = [
                t.id
                for t in (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
                if isinstance(t, ast.Name)
            ]
            if names and not set(names) & SKIPPED_NAMES:
                yield names[0], statement.value, True
        elif isinstance(statement, ast.ClassDef):
            for item in statement.body:
                if isinstance(item, ast.AnnAssign) and item.value is not None:
                    assert isinstance(item.target, ast.Name)
                    yield f"{statement.name}.{item.target.id}", item.value, True
        elif isinstance(statement, ast.FunctionDef) and any(
            not (isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod"))
            for d in statement.decorator_list
        ):
            for item in statement.body:
                yield f"{statement.name}()", item, False


def _is_docstring(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    return isinstance(parent, ast.Expr) and isinstance(node, ast.Constant)


def mutants_of(module: str) -> list[Mutant]:
    path = ROOT / "indexnow_sync" / f"{module}.py"
    source = path.read_text("utf-8")
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    encoded = source.encode("utf-8")
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found: list[Mutant] = []
    seen: set[str] = set()
    for name, root, at_top in _targets(tree):
        for node in ast.walk(root):
            if _is_docstring(node, parents) or not hasattr(node, "end_lineno"):
                continue
            if isinstance(parents.get(node), ast.JoinedStr):
                continue  # the literal parts of an f-string: handled by the string as a whole
            for description, replacement in _node_mutations(node, parents, at_top):
                start = offsets[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
                end = offsets[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
                assert replacement is not None
                text = ast.unparse(replacement)
                if isinstance(node, ast.expr):
                    text = f"({text})"
                mutated = (encoded[:start] + text.encode("utf-8") + encoded[end:]).decode("utf-8")
                if mutated in seen:
                    continue
                seen.add(mutated)
                try:
                    ast.parse(mutated)
                except SyntaxError:
                    continue
                message = (module, name) in MESSAGE_CONSTANTS
                line = node.lineno  # type: ignore[attr-defined]
                found.append(Mutant(module, name, line, description, mutated, message))
    return found


# --- running ---------------------------------------------------------------------------------


def _scratch() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="indexnow-mutation-"))
    for name in ("indexnow_sync", "tests", "fixtures"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


def _run_tests(folder: Path, module: str) -> tuple[bool, float]:
    """(killed, seconds): killed when the tests fail (or hang past TIMEOUT)."""
    tests = [f"tests/{name}" for name in TESTS[module] if (folder / "tests" / name).exists()]
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=folder, env=env, capture_output=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return True, time.monotonic() - started
    return done.returncode != 0, time.monotonic() - started


def run_constants(modules: list[str]) -> int:
    folder = _scratch()
    survivors: list[Mutant] = []
    try:
        check = subprocess.run(
            [sys.executable, "-c", "import indexnow_sync; print(indexnow_sync.__file__)"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        )
        if not check.stdout.startswith(str(folder)):
            print(f"the scratch copy is not the one imported: {check.stdout}", file=sys.stderr)
            return 2
        for module in modules:
            path = folder / "indexnow_sync" / f"{module}.py"
            original = path.read_text("utf-8")
            failing, _ = _run_tests(folder, module)
            if failing:
                print(f"{module}: the tests fail on the unmutated code", file=sys.stderr)
                return 2
            counts = {"behaviour": [0, 0], "message": [0, 0]}
            for mutant in mutants_of(module):
                path.write_text(mutant.source, "utf-8")
                killed, _ = _run_tests(folder, module)
                kind = "message" if mutant.message_text else "behaviour"
                counts[kind][0] += 1
                counts[kind][1] += killed
                if not killed:
                    survivors.append(mutant)
                    print(
                        f"  survived {module}.py:{mutant.line} {mutant.target}: "
                        f"{mutant.description}",
                        flush=True,
                    )
            path.write_text(original, "utf-8")
            (total, killed_count), (msg_total, msg_killed) = counts["behaviour"], counts["message"]
            score = 100 * killed_count / total if total else 100.0
            print(
                f"{module}: behavioural {killed_count}/{total} killed ({score:.0f}%), "
                f"message-text {msg_killed}/{msg_total}",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


# --- mutmut's results ------------------------------------------------------------------------


def _string_tokens(line: str) -> list[tuple[int, str]]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    return [(t.type, t.string) for t in tokens if t.type not in (tokenize.NEWLINE, tokenize.NL)]


def _string_parts(token: str) -> tuple[list[str], list[str]] | None:
    """(literal text parts, dumped expression parts) of a str or f-string token."""
    try:
        node = ast.parse(token, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value], []
    if isinstance(node, ast.JoinedStr):
        literals = [v.value for v in node.values if isinstance(v, ast.Constant)]
        expressions = [ast.dump(v) for v in node.values if not isinstance(v, ast.Constant)]
        return [str(v) for v in literals], expressions
    return None


def _is_words(text: str) -> bool:
    """Words shown to a user: a sentence, not a name, header, marker or JSON fragment."""
    return " " in text and bool(re.search(r"[A-Za-z]{2,}", text)) and not re.search(r'"\s*:', text)


def is_message_text(diff: str) -> bool:
    """True when the mutant only changes the literal text of strings that are words shown to
    a user (in an f-string: its text, not its expressions)."""
    removed = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    added = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    if len(removed) != len(added) or not removed:
        return False
    for before, after in zip(removed, added, strict=True):
        old, new = _string_tokens(before), _string_tokens(after)
        if not old or len(old) != len(new):
            return False
        for (old_type, old_text), (new_type, new_text) in zip(old, new, strict=True):
            if old_text == new_text:
                continue
            if old_type != tokenize.STRING or new_type != tokenize.STRING:
                return False
            old_parts, new_parts = _string_parts(old_text), _string_parts(new_text)
            if old_parts is None or new_parts is None or old_parts[1] != new_parts[1]:
                return False
            changed = [o for o, n in zip(old_parts[0], new_parts[0], strict=False) if o != n]
            if len(old_parts[0]) != len(new_parts[0]) or not all(map(_is_words, changed)):
                return False
    return True


def run_report(show_survivors: bool, modules: tuple[str, ...] = MODULES) -> int:
    mutation_data: Any = importlib.import_module("mutmut.mutation.data")
    diff_apply: Any = importlib.import_module("mutmut.mutation.diff_apply")
    stats: Any = importlib.import_module("mutmut.stats")
    status_of: Callable[[int | None], str] = stats.status_by_exit_code.__getitem__
    print(
        "| module | mutants | killed | survived | no tests | score | behavioural score | "
        "message-text killed/all |"
    )
    print("|---|---|---|---|---|---|---|---|")
    listing: list[str] = []
    for module in modules:
        path = Path("indexnow_sync") / f"{module}.py"
        data = mutation_data.SourceFileMutationData(path=path)
        data.load()
        if not data.exit_code_by_key:
            continue  # not run (a run restricted to some modules)
        tally = {"killed": 0, "survived": 0, "no tests": 0, "other": 0}
        behaviour = [0, 0]
        message = [0, 0]
        for name, exit_code in sorted(data.exit_code_by_key.items()):
            if exit_code is None:
                continue  # not run yet (a run stopped early, or restricted by name)
            status = status_of(exit_code)
            # "segfault" is a worker killed by a signal: the mutant exhausted memory or time.
            killed = status in ("killed", "timeout", "caught by type check", "segfault")
            tally["killed" if killed else status if status in tally else "other"] += 1
            diff = diff_apply.get_diff_for_mutant(name, path=path)
            bucket = message if is_message_text(diff) else behaviour
            bucket[0] += 1
            bucket[1] += killed
            if not killed and bucket is behaviour and show_survivors:
                listing.append(f"## {name} ({status})\n{diff}\n")
        total = sum(tally.values())
        if not total:
            continue  # generated but none run (a run restricted by name to other modules)
        score = 100 * tally["killed"] / total if total else 100.0
        behavioural = 100 * behaviour[1] / behaviour[0] if behaviour[0] else 100.0
        print(
            f"| {module}.py | {total} | {tally['killed']} | {tally['survived']} | "
            f"{tally['no tests']} | {score:.0f}% | {behavioural:.0f}% ({behaviour[1]}/"
            f"{behaviour[0]}) | {message[1]}/{message[0]} |"
        )
    if listing:
        print("\n" + "\n".join(listing))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    constants = commands.add_parser("constants", help="mutate what mutmut does not")
    constants.add_argument(
        "modules", nargs="*", help=f"some of {', '.join(MODULES)} (default: the core six)"
    )
    constants.add_argument("--list", action="store_true", help="only list the mutants")
    report = commands.add_parser("report", help="score mutmut's results")
    report.add_argument("--survivors", action="store_true", help="show surviving mutants")
    report.add_argument("modules", nargs="*", help="some of the modules (default: all run)")
    args = parser.parse_args(argv)
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"not a module tested by mutation: {', '.join(sorted(unknown))}")
    if args.command == "report":
        return run_report(args.survivors, tuple(args.modules) or MODULES)
    modules = args.modules or list(CORE)
    if args.list:
        for module in modules:
            for mutant in mutants_of(module):
                kind = " (message text)" if mutant.message_text else ""
                print(f"{module}.py:{mutant.line} {mutant.target}: {mutant.description}{kind}")
        return 0
    return run_constants(modules)


if __name__ == "__main__":
    sys.exit(main())
