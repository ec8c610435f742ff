"""One ``key=value`` parser: ``metadata --set``, dict step options and ``check -A/-s`` agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspect_flow._cli.main import run
from inspect_flow._errors import FlowUsageError
from inspect_flow._keyvalue import parse_pairs, parse_value


def test_values_are_maybe_json() -> None:
    assert parse_value("True") is True
    assert parse_value("False") is False
    assert parse_value("42") == 42
    assert parse_value('"quoted"') == "quoted"
    assert parse_value("[1,2") == "[1,2"
    assert parse_pairs(["eq=a=b", "e="]) == [("eq", "a=b"), ("e", "")]


def test_missing_equals_names_the_option() -> None:
    with pytest.raises(FlowUsageError, match=r"'--arg': Expected key=value format, got: x"):
        parse_pairs(["x"], "--arg")
    with pytest.raises(FlowUsageError, match="non-empty key"):
        parse_pairs(["=1"], "--arg", require_key=True)


def test_check_arg_true_is_a_bool_as_for_metadata_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-A flag=True`` reaches the spec function as the bool True, not the string "True"."""
    spec = tmp_path / "spec.py"
    spec.write_text(
        "from inspect_flow._spec import FlowSpec, FlowTask\n"
        "def spec(flag, n, name):\n"
        "    assert flag is True, repr(flag)\n"
        "    return FlowSpec(log_dir='logs', tasks=[FlowTask(name=name, args={'n': n})])\n"
    )
    code = run(["config", str(spec), "-A", "flag=True", "-A", "n=2", "-A", "name=t.py@a"])
    assert code == 0, capsys.readouterr().err
    assert "n: 2" in capsys.readouterr().out
    assert (
        run(
            [
                "config",
                str(spec),
                "-s",
                "tasks.0.args.n=False",
                "-A",
                "flag=True",
                "-A",
                "n=1",
                "-A",
                "name=x",
            ]
        )
        == 0
    )
    assert "n: false" in capsys.readouterr().out
