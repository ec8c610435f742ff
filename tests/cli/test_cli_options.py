"""Step signatures → CLI options, end to end through the real `flow` CLI and a custom step.

The step in ``_flow.py`` records the keyword arguments it received (type and value) in a JSON file,
so each test checks what arrives in Python, not just what click parsed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import LogFactory

KINDS = '''
import json
from pathlib import Path
from typing import Any, Callable, Literal

import click
from inspect_flow import StepResult, step

RECORD = Path(__file__).parent / "received.json"


def record(**values):
    RECORD.write_text(json.dumps({k: [type(v).__name__, v] for k, v in values.items()}))


@step
def kinds(
    logs,
    *,
    req: str,
    s: str = "a",
    i: int = 1,
    f: float = 0.5,
    b: bool = False,
    t: bool = True,
    mode: Literal["fast", "slow"] = "fast",
    names: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    n: int | None = None,
    ratio: float | None = None,
    fn: Callable[[str], str] | None = None,
):
    """Every kind of option.

    Args:
        req: A required string.
        t: On unless --no-t.
    """
    record(req=req, s=s, i=i, f=f, b=b, t=t, mode=mode, names=names, extra=extra, n=n,
           ratio=ratio, fn=None if fn is None else "given", logs=len(logs))
    return StepResult(logs, modified=False)


@step
def needs_fn(logs, fn: Callable[[str], str], other: Callable[[int], int]):
    """Needs functions."""
    return logs


@step
@click.option("--level", type=click.IntRange(1, 3), default=2, help="Level from a decorator.")
def leveled(logs, level: int = 2):
    """A step with its own click option."""
    record(level=level)
    return StepResult(logs, modified=False)
'''


@pytest.fixture
def logs(work: Path, make_logs: LogFactory) -> Path:
    write_file(work / "_flow.py", KINDS)
    make_logs(work / "logs", n=2)
    return work / "logs"


def received(work: Path) -> dict[str, Any]:
    data: dict[str, list[Any]] = json.loads((work / "received.json").read_text())
    return {name: tuple(pair) for name, pair in data.items()}


def test_defaults_arrive_unchanged(work: Path, logs: Path) -> None:
    result = flow_cli("step", "kinds", "logs", "--req", "r")
    assert result.code == 0, result
    assert received(work) == {
        "req": ("str", "r"),
        "s": ("str", "a"),
        "i": ("int", 1),
        "f": ("float", 0.5),
        "b": ("bool", False),
        "t": ("bool", True),
        "mode": ("str", "fast"),
        "names": ("NoneType", None),
        "extra": ("NoneType", None),  # not {} as in Flow 0.14
        "n": ("NoneType", None),
        "ratio": ("NoneType", None),
        "fn": ("NoneType", None),
        "logs": ("int", 2),
    }
    assert result.err_lines() == ["  kinds(logs=2, req='r')"]
    assert result.out_lines() == ["kinds: 2 unchanged"]


def test_every_option_type_is_converted(work: Path, logs: Path) -> None:
    result = flow_cli(
        "step", "kinds", "logs", "--req", "r", "--s", "x", "--i", "3", "--f", "2.5", "--b",
        "--no-t", "--mode", "slow", "--names", "a", "--names", "b,c", "--extra", "k=1",
        "--extra", 'j={"a": [1]}', "--extra", "w=word", "--n", "7", "--ratio", "0.25",
    )  # fmt: skip
    assert result.code == 0, result
    assert received(work) == {
        "req": ("str", "r"),
        "s": ("str", "x"),
        "i": ("int", 3),
        "f": ("float", 2.5),
        "b": ("bool", True),
        "t": ("bool", False),
        "mode": ("str", "slow"),
        "names": ("list", ["a", "b,c"]),  # a list (not a tuple); a comma is not a separator
        "extra": ("dict", {"k": 1, "j": {"a": [1]}, "w": "word"}),
        "n": ("int", 7),  # int | None is converted (Flow 0.14 passed the raw string)
        "ratio": ("float", 0.25),
        "fn": ("NoneType", None),
        "logs": ("int", 2),
    }


def test_dict_values_follow_the_maybe_json_rules(work: Path, logs: Path) -> None:
    items = ["n=42", "t=True", "fl=false", "nul=null", 'q="quoted"', "eq=a=b", "e=", "bad=[1,2"]
    args = [arg for item in items for arg in ("--extra", item)]
    assert flow_cli("step", "kinds", "logs", "--req", "r", *args).code == 0
    assert received(work)["extra"] == (
        "dict",
        {"n": 42, "t": True, "fl": False, "nul": None, "q": "quoted", "eq": "a=b", "e": "",
         "bad": "[1,2"},
    )  # fmt: skip


def test_call_line_lists_options_in_command_line_order(work: Path, logs: Path) -> None:
    result = flow_cli("step", "kinds", "logs", "--mode", "slow", "--req", "r", "--names", "z")
    assert result.code == 0, result
    assert result.err_lines() == ["  kinds(logs=2, mode='slow', req='r', names=['z'])"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "✗ Error: Missing option '--req'. (see 'flow step kinds --help')"),
        (
            ["--req", "r", "--i", "abc"],
            "✗ Error: Invalid value for '--i': 'abc' is not a valid integer. "
            "(see 'flow step kinds --help')",
        ),
        (
            ["--req", "r", "--f", "x"],
            "✗ Error: Invalid value for '--f': 'x' is not a valid float. "
            "(see 'flow step kinds --help')",
        ),
        (
            ["--req", "r", "--n", "1.5"],
            "✗ Error: Invalid value for '--n': '1.5' is not a valid integer. "
            "(see 'flow step kinds --help')",
        ),
        (
            ["--req", "r", "--mode", "medium"],
            "✗ Error: Invalid value for '--mode': 'medium' is not one of 'fast', 'slow'. "
            "(see 'flow step kinds --help')",
        ),
        (
            ["--req", "r", "--extra", "novalue"],
            "✗ Error: Invalid value: Expected key=value format, got: novalue "
            "(see 'flow step kinds --help')",
        ),
        (
            ["--req", "r", "--nosuch", "1"],
            "✗ Error: No such option '--nosuch'. (see 'flow step kinds --help')",
        ),
        (["--req"], "✗ Error: Option '--req' requires an argument."),
    ],
)
def test_bad_values_are_one_line_usage_errors(
    work: Path, logs: Path, args: list[str], message: str
) -> None:
    result = flow_cli("step", "kinds", "logs", *args)
    assert (result.code, result.err_lines(), result.stdout) == (2, [message], "")
    assert not (work / "received.json").exists()


def test_required_python_only_parameters_refuse_to_run(work: Path, logs: Path) -> None:
    result = flow_cli("step", "needs_fn", "logs")
    assert result.code == 2
    assert result.err_lines() == [
        "✗ Error: Step 'needs_fn' has required Python-only parameter(s) (fn, other) and cannot "
        "be run from the CLI. (see 'flow step needs_fn --help')"
    ]
    # Its help still works and offers no option for them.
    helped = flow_cli("step", "needs_fn", "--help")
    assert helped.code == 0 and "--fn" not in helped.stdout and "--other" not in helped.stdout


def test_click_option_decorators_are_honoured(work: Path, logs: Path) -> None:
    assert (
        "--level INTEGER RANGE  Level from a decorator."
        in flow_cli("step", "leveled", "--help").stdout
    )
    assert flow_cli("step", "leveled", "logs", "--level", "3").code == 0
    assert received(work) == {"level": ("int", 3)}
    bad = flow_cli("step", "leveled", "logs", "--level", "5")
    assert bad.code == 2
    assert bad.err_lines() == [
        "✗ Error: Invalid value for '--level': 5 is not in the range 1<=x<=3. "
        "(see 'flow step leveled --help')"
    ]


def test_options_can_come_from_the_environment_and_dotenv(
    work: Path, logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = flow_cli("step", "kinds", "logs", env={"INSPECT_FLOW_STEP_KINDS_REQ": "fromenv"})
    assert result.code == 0, result
    assert received(work)["req"] == ("str", "fromenv")
    # The command line wins over the environment.
    flow_cli("step", "kinds", "logs", "--req", "cli", env={"INSPECT_FLOW_STEP_KINDS_REQ": "env"})
    assert received(work)["req"] == ("str", "cli")
    # A .env file in the CWD (or a parent) is loaded and never overrides the environment.
    monkeypatch.setenv("INSPECT_FLOW_STEP_KINDS_S", "placeholder")
    monkeypatch.delenv("INSPECT_FLOW_STEP_KINDS_S")  # restored to "unset" after the test
    monkeypatch.setenv("INSPECT_FLOW_STEP_KINDS_I", "9")
    (work / ".env").write_text("INSPECT_FLOW_STEP_KINDS_S=dotenv\nINSPECT_FLOW_STEP_KINDS_I=5\n")
    assert flow_cli("step", "kinds", "logs", "--req", "r").code == 0
    assert received(work)["s"] == ("str", "dotenv")
    assert received(work)["i"] == ("int", 9)


@pytest.mark.parametrize(
    ("annotation", "shown"), [("set[int]", "set[int]"), ("tuple[int, str]", "tuple[int, str]")]
)
def test_unsupported_annotation_is_rejected_naming_the_parameter(
    work: Path, logs: Path, annotation: str, shown: str
) -> None:
    write_file(
        work / "odd.py",
        f"""
        from inspect_flow import step

        @step
        def odd(logs, *, weird: {annotation} = None):
            return logs
        """,
    )
    result = flow_cli("step", "odd.py@odd", "logs")
    assert result.code == 4
    [line] = result.err_lines()
    assert line.startswith(
        f"✗ Error: Error loading {work / 'odd.py'}:4: step 'odd': parameter 'weird' "
    )
    assert f"unsupported type {shown}" in line
