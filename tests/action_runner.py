"""A local runner for composite actions and workflow jobs, the way GitHub's runner runs them.

It owns just enough of the runner to test our action offline: the ``inputs`` context (with
the defaults from ``action.yml``), the expression subset the action and the README's
workflows use (contexts ``inputs``, ``steps``, ``github``, ``runner``, ``env``, ``secrets``;
literals; ``== != && || !`` and parentheses; ``success() failure() always() cancelled()``),
``if:`` with its implicit ``success() &&``, each ``run`` step executed with its ``shell`` and
``env``, fresh ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` / ``GITHUB_ENV`` / ``GITHUB_PATH``
files per step (``GITHUB_ENV`` and ``GITHUB_PATH`` applied to the later steps), workflow
commands read from the step's output (``::add-mask::`` hides a value from that line on,
annotations are collected), post steps (run in reverse order at the end), and the action's
``outputs`` evaluated at the end.

The log is what GitHub's log shows, in its order: before a step runs, the runner prints its
header, with the ``with:`` inputs of a ``uses:`` step and the ``env:`` of every step. Only
``secrets`` (values the runner knows as secrets) are masked there from the start; a value an
action masks with ``::add-mask::`` is hidden only from that line on, so a key passed as a
plain value shows in the header of the step that receives it. That is why the README says to
pass the key from a secret.

``uses:`` steps cannot run offline: a handler given per action name stands in for them (by
default they do nothing and are only recorded). A handler returns the step's outputs, or a
:class:`UsesResult` with an outcome and a post step (``actions/cache`` saves in its post
step, only when the job succeeded).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
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


@dataclass
class UsesResult:
    """What a stand-in for a ``uses:`` step did: outputs, outcome, and an optional post step
    (run after every step, in reverse order; ``post_if`` as in an action's ``post-if``)."""

    outputs: Mapping[str, str] = field(default_factory=dict)
    outcome: str = "success"
    post: Callable[[], None] | None = None
    post_if: str = "success()"


UsesHandler = Callable[[Mapping[str, str]], "Mapping[str, str] | UsesResult"]


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
    seconds: float = 0.0  # the step's wall time, as the runner's log shows it


@dataclass
class ActionRun:
    """What a run of the action (or a job) left behind, as a workflow (and its reader) sees it."""

    outputs: dict[str, str]
    steps: list[StepResult]
    log: str  # headers and step output, masked values replaced by ***, like the runner's log
    commands: list[Command]
    masks: list[str]
    summary: str
    # Post steps not run yet (run_action(run_posts=False)): the job runs them at its end.
    posts: list[tuple[str, Callable[[], None]]] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(step.outcome != "failure" for step in self.steps)

    def step(self, step_id: str) -> StepResult:
        return next(step for step in self.steps if step.id == step_id)

    def annotations(self, kind: str) -> list[Command]:
        return [command for command in self.commands if command.kind == kind]


class _Steps:
    """Runs a list of steps (a composite action's or a job's) with the runner's rules."""

    def __init__(
        self,
        context: dict[str, Any],
        base_env: dict[str, str],
        *,
        workspace: Path,
        runner_temp: Path,
        secrets: tuple[str, ...],
        uses: Mapping[str, UsesHandler] | None,
        timeout: float,
    ) -> None:
        self.context = context
        self.base_env = base_env
        self.workspace = workspace
        self.runner_temp = runner_temp
        self.uses = uses or {}
        self.timeout = timeout
        self.files_dir = runner_temp / "_runner_file_commands"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.extra_path: list[str] = []
        self.results: list[StepResult] = []
        self.log_lines: list[str] = []
        self.commands: list[Command] = []
        self.masks: list[str] = [secret for secret in secrets if secret]
        self.summaries: list[str] = []
        self.posts: list[tuple[str, Callable[[], None]]] = []
        self.failed = False
        self.counter = 0

    def status(self) -> dict[str, bool]:
        return {
            "success": not self.failed,
            "failure": self.failed,
            "always": True,
            "cancelled": False,
        }

    def log(self, line: str) -> None:
        for secret in self.masks:
            if secret:
                line = line.replace(secret, "***")
        self.log_lines.append(line)

    def header(self, title: str, block: str, values: Mapping[str, str]) -> None:
        """What the runner prints before a step runs: its title, ``with:`` or ``env:``."""
        self.log(f"##[group]{title}")
        if values:
            self.log(f"  {block}:")
            for name, value in values.items():
                self.log(f"    {name}: {value}")
        self.log("##[endgroup]")

    def run(self, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            self.run_step(step)

    def run_step(self, step: dict[str, Any]) -> None:
        index = self.counter
        self.counter += 1
        context = self.context
        steps_context = context["steps"]
        step_id = str(step.get("id") or f"__step_{index}")
        name = str(
            step.get("name")
            or step.get("id")
            or step.get("uses")
            or "Run " + str(step.get("run", "")).strip().split("\n")[0]
        )
        status = self.status()
        condition = step.get("if")
        if condition is None:
            run_it = not self.failed
        else:
            text = str(condition).strip()
            if text.startswith("${{") and text.endswith("}}"):
                text = text[3:-2]
            if not re.search(r"\b(success|failure|always|cancelled)\(", text):
                text = f"success() && ({text})"
            run_it = truthy(evaluate(text, context, status))
        if not run_it:
            self.results.append(StepResult(index, step_id, name, "skipped"))
            steps_context[step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            return

        step_env = dict(self.base_env)
        if self.extra_path:
            step_env["PATH"] = os.pathsep.join(
                [*reversed(self.extra_path), self.base_env.get("PATH", "")]
            )
        declared_env = {
            str(key): substitute(as_string(value), context, status)
            for key, value in (step.get("env") or {}).items()
        }
        step_env.update(declared_env)
        continue_on_error = truthy(step.get("continue-on-error", False))
        started = time.monotonic()

        if "uses" in step:
            action_name = str(step["uses"]).split("@", 1)[0]
            with_ = {
                str(k): substitute(as_string(v), context, status)
                for k, v in (step.get("with") or {}).items()
            }
            self.header(f"Run {step['uses']}", "with", with_)
            if declared_env:
                self.header("", "env", declared_env)
            handler = self.uses.get(action_name)
            answer = handler(with_) if handler else {}
            result = answer if isinstance(answer, UsesResult) else UsesResult(dict(answer))
            if result.post is not None:
                self.posts.append((result.post_if, result.post))
            self.results.append(
                StepResult(
                    index,
                    step_id,
                    name,
                    result.outcome,
                    0 if result.outcome == "success" else 1,
                    dict(result.outputs),
                    uses=action_name,
                    with_=with_,
                    seconds=time.monotonic() - started,
                )
            )
            steps_context[step_id] = {
                "outputs": dict(result.outputs),
                "outcome": result.outcome,
                "conclusion": "success" if continue_on_error else result.outcome,
            }
            if result.outcome == "failure" and not continue_on_error:
                self.failed = True
            return

        if "run" not in step:
            raise ActionError(f"step {name!r} has neither run nor uses")
        shell = step.get("shell") or context.get("_default_shell")
        if shell is None:
            raise ActionError(f"step {name!r}: composite run steps need a shell")
        script_text = substitute(str(step["run"]), context, status)
        self.header("Run " + script_text.strip().split("\n")[0], "env", declared_env)

        files = {
            kind: self.files_dir / f"{kind.lower()}_{id(self)}_{index}"
            for kind in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH")
        }
        for kind, path in files.items():
            path.write_text("", encoding="utf-8")
            step_env[kind] = str(path)
        script = self.runner_temp / f"step_{id(self)}_{index}{SCRIPT_SUFFIX.get(str(shell), '')}"
        script.write_text(script_text, encoding="utf-8")
        template = SHELLS.get(str(shell)) or str(shell).split()
        argv = [str(script) if part == "{0}" else part for part in template]
        cwd = self.workspace
        if step.get("working-directory"):
            cwd = self.workspace / substitute(str(step["working-directory"]), context, status)
        completed = subprocess.run(
            argv,
            cwd=cwd,
            env=step_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one ordered stream, as the runner's log shows it
            timeout=self.timeout,
            check=False,
        )
        seconds = time.monotonic() - started
        for line in completed.stdout.decode("utf-8", errors="replace").splitlines():
            command = parse_command(line, index)
            if command and command.kind == "add-mask":
                self.masks.append(command.message)
            elif command:
                self.commands.append(command)
            self.log(line)

        step_outputs = _read_key_values(files["GITHUB_OUTPUT"])
        summary = files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")
        self.summaries.append(summary)
        self.base_env.update(_read_key_values(files["GITHUB_ENV"]))
        self.extra_path.extend(
            line.strip()
            for line in files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines()
            if line.strip()
        )
        outcome = "success" if completed.returncode == 0 else "failure"
        self.results.append(
            StepResult(
                index,
                step_id,
                name,
                outcome,
                completed.returncode,
                step_outputs,
                summary,
                env=step_env,
                seconds=seconds,
            )
        )
        steps_context[step_id] = {
            "outputs": step_outputs,
            "outcome": outcome,
            "conclusion": "success" if continue_on_error else outcome,
        }
        if outcome == "failure" and not continue_on_error:
            self.failed = True

    def run_posts(self) -> None:
        for post_if, post in reversed(self.posts):
            if truthy(evaluate(post_if.replace("${{", "").replace("}}", ""), {}, self.status())):
                post()

    def finish(self, outputs: dict[str, str]) -> ActionRun:
        return ActionRun(
            outputs=outputs,
            steps=self.results,
            log="\n".join(self.log_lines),
            commands=self.commands,
            masks=self.masks,
            summary="".join(self.summaries),
            posts=list(self.posts),
        )


def _base_env(workspace: Path, runner_temp: Path, env: Mapping[str, str] | None) -> dict[str, str]:
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
            "RUNNER_TEMP": str(runner_temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
        }
    )
    base_env.update(env or {})
    return base_env


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
    run_posts: bool = True,
) -> ActionRun:
    """Run the composite action in ``action_dir`` with ``inputs``, like a ``uses:`` step.

    ``env`` is the job's environment (added to a minimal copy of this process's); ``secrets``
    are the values the runner knows as secrets (masked everywhere from the start); ``uses``
    maps an action name (``actions/cache``, without ``@ref``) to a stand-in. Post steps run
    at the end unless ``run_posts`` is false (a job runs them after its last step).
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
    base_env = _base_env(workspace, runner_temp, env)
    base_env["GITHUB_ACTION_PATH"] = str(action_dir)
    context: dict[str, Any] = {
        "inputs": input_values,
        "steps": {},
        "github": {"action_path": str(action_dir), "workspace": str(workspace)},
        "runner": {"temp": str(runner_temp), "os": "Linux", "arch": "X64"},
        "env": base_env,
    }
    runner = _Steps(
        context,
        base_env,
        workspace=workspace,
        runner_temp=runner_temp,
        secrets=secrets,
        uses=uses,
        timeout=timeout,
    )
    # The uses: step's own header comes first: every input given, and the job's env.
    runner.header(f"Run {action_dir.name}", "with", dict(inputs))
    runner.header("", "env", dict(env or {}))
    runner.run(list(runs.get("steps") or []))
    if run_posts:
        runner.run_posts()
    outputs = {
        str(name): substitute(as_string(spec.get("value", "")), context, runner.status())
        for name, spec in (action.get("outputs") or {}).items()
    }
    if run_posts:
        runner.posts.clear()
    return runner.finish(outputs)


def run_job(
    workflow: str,
    job_id: str,
    *,
    workspace: Path,
    runner_temp: Path,
    github: Mapping[str, Any],
    secrets: Mapping[str, str],
    uses: Mapping[str, UsesHandler],
    env: Mapping[str, str] | None = None,
    timeout: float = 300.0,
) -> ActionRun:
    """Run one job of a workflow (its steps in ``workspace``), like one attempt of it.

    ``github`` is the github context (``sha``, ``run_attempt``, ...), ``secrets`` the
    repository's secrets, ``uses`` the stand-ins for every action the job uses (a stand-in
    for a composite action can call :func:`run_action`). Post steps run after the last step.
    """
    document = yaml.safe_load(workflow)
    job = document["jobs"][job_id]
    workspace.mkdir(parents=True, exist_ok=True)
    runner_temp.mkdir(parents=True, exist_ok=True)
    base_env = _base_env(workspace, runner_temp, env)
    for scope in (document.get("env") or {}, job.get("env") or {}):
        base_env.update({str(k): as_string(v) for k, v in scope.items()})
    context: dict[str, Any] = {
        "steps": {},
        "github": {"workspace": str(workspace), **github},
        "runner": {"temp": str(runner_temp), "os": "Linux", "arch": "X64"},
        "env": base_env,
        "secrets": dict(secrets),
        "_default_shell": "bash",
    }
    runner = _Steps(
        context,
        base_env,
        workspace=workspace,
        runner_temp=runner_temp,
        secrets=tuple(secrets.values()),
        uses=uses,
        timeout=timeout,
    )
    runner.run(list(job.get("steps") or []))
    runner.run_posts()
    return runner.finish({})
