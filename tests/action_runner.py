"""A local runner for composite actions: runs ``action.yml`` the way GitHub's runner does.

It owns just enough of the runner to test our action offline: the ``inputs`` context (with
the defaults from ``action.yml``), the expression subset the action uses (contexts
``inputs``, ``steps``, ``github``, ``runner``, ``env``; literals; ``== != && || !`` and
parentheses; ``success() failure() always() cancelled()``), ``if:`` with its implicit
``success() &&``, each ``run`` step executed with its ``shell`` and ``env``, fresh
``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` / ``GITHUB_ENV`` / ``GITHUB_PATH`` files per step
(``GITHUB_ENV`` and ``GITHUB_PATH`` applied to the later steps), workflow commands read from
the step's output (``::add-mask::`` hides a value from that line on, annotations are
collected), and the action's ``outputs`` evaluated at the end.

``uses:`` steps cannot run offline: a handler given per action name stands in for them (by
default they do nothing and are only recorded). The runner also notes every step that got a
secret in its environment before the secret was masked: the action must mask the key first.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SHELLS = {
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
    "python": [sys.executable, "{0}"],
}
SCRIPT_SUFFIX = {"bash": ".sh", "sh": ".sh", "python": ".py"}

UsesHandler = Callable[[Mapping[str, str]], Mapping[str, str]]


class ActionError(Exception):
    """The action itself is malformed, or uses what this runner does not support."""


# --- expressions ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\.\*)*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ActionError(f"unsupported expression syntax at {text[pos:]!r} in {text!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return not (value == 0 or math.isnan(value))
    return True


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return math.nan


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()  # GitHub compares strings ignoring case
    if type(left) is type(right):
        return bool(left == right)
    return _number(left) == _number(right)


def as_string(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any], status: Mapping[str, bool]):
        self.tokens = _tokens(text)
        self.pos = 0
        self.context = context
        self.status = status
        self.text = text

    def parse(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise ActionError(f"unexpected {self.tokens[self.pos][1]!r} in {self.text!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ActionError(f"unexpected end of expression {self.text!r}")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            value = right if truthy(value) else value
        return value

    def _compare(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._unary()
            value = _equal(value, right) if op == "==" else not _equal(value, right)
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, text = self._take()
        if text == "(" and kind == "op":
            inner = self._or()
            if self._take()[1] != ")":
                raise ActionError(f"missing ')' in {self.text!r}")
            return inner
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind != "name":
            raise ActionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            self._take()
            if self._take()[1] != ")":
                raise ActionError(f"function arguments are not supported: {self.text!r}")
            if text not in self.status:
                raise ActionError(f"unsupported function {text}() in {self.text!r}")
            return self.status[text]
        value: Any = self.context
        for part in text.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return value


def evaluate(text: str, context: Mapping[str, Any], status: Mapping[str, bool]) -> Any:
    """Evaluate one expression (the inside of ``${{ }}``)."""
    return _Parser(text, context, status).parse()


def substitute(text: str, context: Mapping[str, Any], status: Mapping[str, bool]) -> str:
    """Replace every ``${{ expr }}`` in a string with its value, as a string."""
    return re.sub(
        r"\$\{\{(.*?)\}\}",
        lambda m: as_string(evaluate(m.group(1), context, status)),
        text,
        flags=re.DOTALL,
    )


# --- workflow commands ----------------------------------------------------------------------


def _unescape_data(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(value: str) -> str:
    return _unescape_data(value.replace("%3A", ":").replace("%2C", ","))


@dataclass(frozen=True)
class Command:
    """A workflow command (``::kind props::message``) as the runner reads it."""

    kind: str
    properties: dict[str, str]
    message: str
    step: int


def parse_command(line: str, step: int) -> Command | None:
    # Like the runner: the header runs to the first "::" after the opening one.
    line = line.rstrip("\r")
    end = line.find("::", 2)
    if not line.startswith("::") or end == -1:
        return None
    kind, _, props = line[2:end].partition(" ")
    if not re.fullmatch(r"[A-Za-z-]+", kind):
        return None
    properties = {}
    for item in filter(None, props.split(",")):
        name, _, value = item.partition("=")
        properties[name.strip()] = _unescape_property(value)
    return Command(kind, properties, _unescape_data(line[end + 2 :]), step)


def _read_key_values(path: Path) -> dict[str, str]:
    """A GITHUB_OUTPUT / GITHUB_ENV file: ``name=value`` lines and ``name<<DELIM`` blocks."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    lines = path.read_text(encoding="utf-8").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index].rstrip("\r")
        index += 1
        if not line:
            continue
        equals = line.find("=")
        heredoc = line.find("<<")
        if heredoc != -1 and (equals == -1 or heredoc < equals):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            body: list[str] = []
            while True:
                if index >= len(lines):
                    raise ActionError(f"{path}: no closing delimiter {delimiter!r} for {name}")
                current = lines[index].rstrip("\r")
                index += 1
                if current == delimiter:
                    break
                body.append(current)
            values[name] = "\n".join(body)
        elif equals != -1:
            values[line[:equals]] = line[equals + 1 :]
        else:
            raise ActionError(f"{path}: invalid line {line!r}")
    return values


# --- running --------------------------------------------------------------------------------


@dataclass
class StepResult:
    index: int
    id: str
    name: str
    outcome: str  # "success", "failure" or "skipped"
    returncode: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    uses: str = ""
    with_: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    """What a run of the action left behind, as a workflow (and its reader) would see it."""

    outputs: dict[str, str]
    steps: list[StepResult]
    log: str  # the step output with masked values replaced by ***, like the runner's log
    commands: list[Command]
    masks: list[str]
    exposed_before_mask: list[str]  # "step name: VAR" for each secret a step saw unmasked
    summary: str

    @property
    def success(self) -> bool:
        return all(step.outcome != "failure" for step in self.steps)

    def step(self, step_id: str) -> StepResult:
        return next(step for step in self.steps if step.id == step_id)

    def annotations(self, kind: str) -> list[Command]:
        return [command for command in self.commands if command.kind == kind]


def run_action(
    action_dir: Path,
    inputs: Mapping[str, str],
    *,
    workspace: Path,
    runner_temp: Path,
    env: Mapping[str, str] | None = None,
    secrets: tuple[str, ...] = (),
    uses: Mapping[str, UsesHandler] | None = None,
    timeout: float = 120.0,
) -> ActionRun:
    """Run the composite action in ``action_dir`` with ``inputs``, like a ``uses:`` step.

    ``env`` is the job's environment (added to a minimal copy of this process's); ``secrets``
    are values the action must mask before any step sees them; ``uses`` maps an action name
    (``actions/cache``, without ``@ref``) to a stand-in returning that step's outputs.
    """
    action = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    runs = action.get("runs", {})
    if runs.get("using") != "composite":
        raise ActionError("not a composite action")
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        # The real runner only warns; a test passing an unknown input is a test bug.
        raise ActionError(f"unexpected inputs: {sorted(unknown)}")
    input_values = {
        name: as_string(spec.get("default", "")) if spec else "" for name, spec in declared.items()
    }
    input_values.update(inputs)

    runner_temp.mkdir(parents=True, exist_ok=True)
    files_dir = runner_temp / "_runner_file_commands"
    files_dir.mkdir(exist_ok=True)
    base_env = {
        name: os.environ[name]
        for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
        if name in os.environ
    }
    base_env.update(
        {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(action_dir),
            "RUNNER_TEMP": str(runner_temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
        }
    )
    base_env.update(env or {})
    extra_path: list[str] = []

    steps_context: dict[str, Any] = {}
    context: dict[str, Any] = {
        "inputs": input_values,
        "steps": steps_context,
        "github": {"action_path": str(action_dir), "workspace": str(workspace)},
        "runner": {"temp": str(runner_temp), "os": "Linux", "arch": "X64"},
        "env": base_env,
    }
    results: list[StepResult] = []
    log_lines: list[str] = []
    commands: list[Command] = []
    masks: list[str] = []
    exposed: list[str] = []
    summaries: list[str] = []
    failed = False

    for index, step in enumerate(runs.get("steps") or []):
        step_id = str(step.get("id") or f"__step_{index}")
        name = str(
            step.get("name")
            or step.get("id")
            or step.get("uses")
            or "Run " + str(step.get("run", "")).strip().split("\n")[0]
        )
        status = {
            "success": not failed,
            "failure": failed,
            "always": True,
            "cancelled": False,
        }
        condition = step.get("if")
        if condition is None:
            run_it = not failed
        else:
            text = str(condition).strip()
            if text.startswith("${{") and text.endswith("}}"):
                text = text[3:-2]
            if not re.search(r"\b(success|failure|always|cancelled)\(", text):
                text = f"success() && ({text})"
            run_it = truthy(evaluate(text, context, status))
        if not run_it:
            results.append(StepResult(index, step_id, name, "skipped"))
            steps_context[step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            continue

        step_env = dict(base_env)
        if extra_path:
            step_env["PATH"] = os.pathsep.join([*reversed(extra_path), base_env.get("PATH", "")])
        for key, value in (step.get("env") or {}).items():
            step_env[str(key)] = substitute(as_string(value), context, status)

        if "uses" in step:
            action_name = str(step["uses"]).split("@", 1)[0]
            with_ = {
                str(k): substitute(as_string(v), context, status)
                for k, v in (step.get("with") or {}).items()
            }
            handler = (uses or {}).get(action_name)
            step_outputs = dict(handler(with_)) if handler else {}
            result = StepResult(
                index, step_id, name, "success", 0, step_outputs, uses=action_name, with_=with_
            )
            results.append(result)
            steps_context[step_id] = {
                "outputs": step_outputs,
                "outcome": "success",
                "conclusion": "success",
            }
            continue

        if "run" not in step:
            raise ActionError(f"step {name!r} has neither run nor uses")
        shell = step.get("shell")
        if shell is None:
            raise ActionError(f"step {name!r}: composite run steps need a shell")
        # A step may receive a secret it has not seen masked only if masking it is the first
        # thing it prints: anything else could show it first.
        unmasked = {
            secret: [key for key, value in step_env.items() if secret in value]
            for secret in secrets
            if secret not in masks
        }

        files = {
            kind: files_dir / f"{kind.lower()}_{index}"
            for kind in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH")
        }
        for kind, path in files.items():
            path.write_text("", encoding="utf-8")
            step_env[kind] = str(path)
        script = runner_temp / f"step_{index}{SCRIPT_SUFFIX.get(str(shell), '')}"
        script.write_text(substitute(str(step["run"]), context, status), encoding="utf-8")
        template = SHELLS.get(str(shell)) or str(shell).split()
        argv = [str(script) if part == "{0}" else part for part in template]
        cwd = workspace
        if step.get("working-directory"):
            cwd = workspace / substitute(str(step["working-directory"]), context, status)
        completed = subprocess.run(
            argv,
            cwd=cwd,
            env=step_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one ordered stream, as the runner's log shows it
            timeout=timeout,
            check=False,
        )
        lines = completed.stdout.decode("utf-8", errors="replace").splitlines()
        first = parse_command(lines[0], index) if lines else None
        for secret, names in unmasked.items():
            if names and not (first and first.kind == "add-mask" and first.message == secret):
                exposed.extend(f"{name}: {key}" for key in names)
        for line in lines:
            command = parse_command(line, index)
            if command and command.kind == "add-mask":
                masks.append(command.message)
            elif command:
                commands.append(command)
            for secret in masks:
                if secret:
                    line = line.replace(secret, "***")
            log_lines.append(line)

        step_outputs = _read_key_values(files["GITHUB_OUTPUT"])
        summary = files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")
        summaries.append(summary)
        base_env.update(_read_key_values(files["GITHUB_ENV"]))
        extra_path.extend(
            line.strip()
            for line in files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines()
            if line.strip()
        )
        outcome = "success" if completed.returncode == 0 else "failure"
        continue_on_error = truthy(step.get("continue-on-error", False))
        results.append(
            StepResult(
                index,
                step_id,
                name,
                outcome,
                completed.returncode,
                step_outputs,
                summary,
                env=step_env,
            )
        )
        steps_context[step_id] = {
            "outputs": step_outputs,
            "outcome": outcome,
            "conclusion": "success" if continue_on_error else outcome,
        }
        if outcome == "failure" and not continue_on_error:
            failed = True

    final_status = {"success": not failed, "failure": failed, "always": True, "cancelled": False}
    outputs = {
        str(name): substitute(as_string(spec.get("value", "")), context, final_status)
        for name, spec in (action.get("outputs") or {}).items()
    }
    return ActionRun(
        outputs=outputs,
        steps=results,
        log="\n".join(log_lines),
        commands=commands,
        masks=masks,
        exposed_before_mask=exposed,
        summary="".join(summaries),
    )
