"""Tests for inspect_flow._cli.params: signature + docstring -> click options -> step kwargs.

This module uses `from __future__ import annotations`, so every step below has stringized
annotations and exercises the resolution path.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

import click
import pytest
from click.testing import CliRunner, Result

from inspect_flow._cli.params import (
    RESERVED,
    StepSignature,
    description,
    first_paragraph,
    python_only_message,
    step_signature,
)
from inspect_flow._errors import FlowUsageError, UserFileError
from inspect_flow._keyvalue import parse_key_values
from inspect_flow._keyvalue import parse_value as parse_maybe_json

if TYPE_CHECKING:
    from decimal import Decimal as OnlyForTyping

    from inspect_ai.log import EvalLog


# --------------------------------------------------------------------------- harness


def build(func: Callable[..., Any], name: str = "annotate") -> tuple[click.Command, dict[str, Any]]:
    """A tiny step-like command: [PATH]... + generated params; records to_kwargs(ctx.params)."""
    sig = step_signature(func, name)
    got: dict[str, Any] = {}

    def callback(**_: Any) -> None:
        if sig.python_only_required:
            raise click.UsageError(python_only_message(name, sig.python_only_required))
        got["kwargs"] = sig.to_kwargs(click.get_current_context().params)

    cmd = click.Command(
        name,
        params=[click.Argument(["path"], nargs=-1), *sig.params],
        callback=callback,
        help=description(func.__doc__),
        short_help=first_paragraph(func.__doc__),
    )
    return cmd, got


def run(func: Callable[..., Any], *args: str, **env: str) -> tuple[Result, dict[str, Any] | None]:
    cmd, got = build(func)
    result = CliRunner().invoke(cmd, ["logs", *args], env=env or None, auto_envvar_prefix="T")
    return result, got.get("kwargs")


def ok(func: Callable[..., Any], *args: str) -> dict[str, Any]:
    result, kwargs = run(func, *args)
    assert result.exit_code == 0, result.output
    assert kwargs is not None
    return kwargs


def usage_error(func: Callable[..., Any], *args: str) -> str:
    result, kwargs = run(func, *args)
    assert result.exit_code == 2, result.output
    assert kwargs is None
    return result.output


def names(func: Callable[..., Any]) -> list[str | None]:
    return [p.name for p in step_signature(func, "s").params]


# --------------------------------------------------------------------------- steps


def annotate(
    logs: list[EvalLog],
    label: str,
    count: int = 1,
    ratio: float = 0.5,
    flag: bool = False,
    names: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    anything=None,  # deliberately unannotated
    fn: Callable[[str], str] | None = None,
) -> list[EvalLog]:
    """Annotate logs with a label.

    Adds the label to every log, with
    some more words.

    Args:
        logs: The logs.
        label: A label
            to apply.
        count: How many times.
        ratio: A ratio value.
        flag: A boolean flag.
        names: Some names.
        extra: Extra key-value pairs.
        fn: A function (Python only).

    Returns:
        The logs.

    Examples:
        flow step annotate logs --label x
    """
    return logs


def scalars(
    logs: list[EvalLog],
    text: str = "d",
    num: int = 7,
    real: float = 0.25,
    any_: Any = None,
) -> None:
    """Scalars."""


def optionals(
    logs: list[EvalLog],
    a: int | None = None,
    b: Optional[float] = None,  # noqa: UP045 - the Optional spelling is under test
    c: Union[int, None] = 3,  # noqa: UP007 - the Union spelling is under test
    d: str | None = None,
    e: Any | None = None,
) -> None:
    """Optional forms."""


def bools(
    logs: list[EvalLog],
    off: bool = False,
    on: bool = True,
    maybe: bool | None = None,
) -> None:
    """Bools."""


def must_bool(logs: list[EvalLog], must: bool) -> None:
    """A required bool."""


def literals(
    logs: list[EvalLog],
    mode: Literal["fast", "slow"] = "fast",
    level: Literal[1, 2, 3] | None = None,
) -> None:
    """Literals."""


def lists(
    logs: list[EvalLog],
    strs: list[str] | None = None,
    ints: list[int] | None = None,
    floats: list[float] | None = None,
    seq: Sequence[str] = (),
    tup: tuple[str, ...] | None = None,
    picks: list[Literal["x", "y"]] | None = None,
) -> None:
    """Lists."""


def dicts(logs: list[EvalLog], kv: dict[str, Any] | None = None, plain: dict = {}) -> None:  # noqa: B006
    """Dicts."""


def required(logs: list[EvalLog], label: str, tags: list[str], n: int) -> None:
    """Required."""


def tag_like(
    logs: list[EvalLog],
    add: list[str] | None = None,
    remove: list[str] | None = None,
    author: str | None = None,
    reason: str | None = None,
) -> None:
    """Tag-like."""


def reserved(
    logs: list[EvalLog],
    store: str | None = None,
    filter: list[str] | None = None,
    exclude: list[str] | None = None,
    recursive: bool = True,
    dry_run: bool = False,
    display: str = "full",
    log_level: str = "warning",
    json: bool = False,
    keep: str | None = None,
) -> None:
    """Reserved names."""


def python_only(
    logs: list[EvalLog],
    fn: Callable[[str], str],
    opt_fn: Callable[..., Any] | None = None,
    mixed: int | Callable[..., Any] = 0,
    name_or_fn: str | Callable[[str], str] = "x",
    hook: Callable = print,  # noqa: UP006
) -> None:
    """Python only."""


def python_only_required(
    logs: list[EvalLog], fn: Callable[[str], str], g: int | Callable[[], int]
) -> None:
    """Needs functions."""


@click.option("--alpha", help="Alpha from the decorator.")
@click.option("--beta", type=int)
def decorated(
    logs: list[EvalLog],
    gamma: int = 1,
    alpha: str = "a",
    beta: int = 0,
    delta: str | None = None,
) -> None:
    """Decorated.

    Args:
        logs: Logs.
        gamma: Gamma from the docstring.
        alpha: Not used: the decorator's help wins.
        delta: Delta.
    """


def variadic(logs: list[EvalLog], *args: Any, x: int = 0, **kwargs: Any) -> None:
    """Variadic."""


class Custom:
    pass


def bad_custom(logs: list[EvalLog], good: int = 0, thing: Custom | None = None) -> None:
    """Bad."""


def bad_set(logs: list[EvalLog], ids: set[int] | None = None) -> None:
    """Bad."""


def bad_union(logs: list[EvalLog], value: int | str = 0) -> None:
    """Bad."""


def bad_nested(logs: list[EvalLog], rows: list[dict[str, int]] | None = None) -> None:
    """Bad."""


def bad_fixed_tuple(logs: list[EvalLog], pair: tuple[str, str] | None = None) -> None:
    """Bad."""


@click.option("--other")
def bad_decorated(logs: list[EvalLog], other: str = "", when: complex = 0j) -> None:
    """Bad, with a decorator above the def."""


def type_checking_only(logs: list[EvalLog], amount: OnlyForTyping | None = None) -> None:
    """Uses a name imported only under TYPE_CHECKING."""


def positional_only(logs: list[EvalLog], x: int, /) -> None:
    """Positional-only."""


# --------------------------------------------------------------------------- types


def test_scalar_types_convert() -> None:
    kwargs = ok(scalars, "--text", "t", "--num", "3", "--real", "1.5", "--any-", "5")
    assert kwargs == {"text": "t", "num": 3, "real": 1.5, "any_": "5"}
    assert type(kwargs["num"]) is int and type(kwargs["real"]) is float
    assert type(kwargs["any_"]) is str


def test_unannotated_is_text() -> None:
    kwargs = ok(annotate, "--label", "L", "--anything", "42")
    assert kwargs == {"label": "L", "anything": "42"}


def test_bad_int_is_usage_error() -> None:
    out = usage_error(scalars, "--num", "abc")
    assert "Invalid value for '--num': 'abc' is not a valid integer." in out


def test_absent_optionals_are_not_passed() -> None:
    assert ok(scalars) == {}
    assert ok(optionals) == {}
    assert ok(lists) == {}
    assert ok(dicts) == {}


def test_optional_forms_convert() -> None:
    kwargs = ok(optionals, "--a", "4", "--b", "2.5", "--c", "9", "--d", "s", "--e", "7")
    assert kwargs == {"a": 4, "b": 2.5, "c": 9, "d": "s", "e": "7"}
    assert type(kwargs["a"]) is int and type(kwargs["c"]) is int
    assert "is not a valid integer" in usage_error(optionals, "--a", "x")
    assert "is not a valid float" in usage_error(optionals, "--b", "x")


def test_option_values_from_environment_are_passed() -> None:
    result, kwargs = run(optionals, T_A="5")
    assert result.exit_code == 0, result.output
    assert kwargs == {"a": 5}


def test_bool_flags() -> None:
    assert ok(bools) == {}
    assert ok(bools, "--off") == {"off": True}
    assert ok(bools, "--no-on") == {"on": False}
    assert ok(bools, "--maybe") == {"maybe": True}
    assert ok(bools, "--no-maybe") == {"maybe": False}
    # Giving a bool its default changes nothing for the step.
    assert ok(bools, "--on").get("on", True) is True


def test_bool_help_shapes() -> None:
    cmd, _ = build(bools)
    out = CliRunner().invoke(cmd, ["--help"]).output
    assert "  --off\n" in out and "--no-off" not in out
    assert "--on / --no-on" in out
    assert "--maybe / --no-maybe" in out


def test_required_bool_is_enforced_and_switchable() -> None:
    assert "Missing option '--must'." in usage_error(must_bool)
    assert ok(must_bool, "--no-must") == {"must": False}
    assert ok(must_bool, "--must") == {"must": True}


def test_literal_is_a_choice_converted_to_literal_type() -> None:
    assert ok(literals, "--mode", "slow", "--level", "2") == {"mode": "slow", "level": 2}
    assert type(ok(literals, "--level", "3")["level"]) is int
    assert ok(literals) == {}
    out = usage_error(literals, "--mode", "medium")
    assert "Invalid value for '--mode': 'medium' is not one of 'fast', 'slow'." in out
    assert "Invalid value for '--level'" in usage_error(literals, "--level", "4")
    cmd, _ = build(literals)
    assert "--mode [fast|slow]" in CliRunner().invoke(cmd, ["--help"]).output


def test_lists_arrive_as_lists_of_converted_values() -> None:
    kwargs = ok(
        lists,
        *("--strs", "a", "--strs", "b"),
        *("--ints", "1", "--ints", "2"),
        *("--floats", "0.5"),
        *("--seq", "s"),
        *("--tup", "t1", "--tup", "t2"),
        *("--picks", "y"),
    )
    assert kwargs == {
        "strs": ["a", "b"],
        "ints": [1, 2],
        "floats": [0.5],
        "seq": ["s"],
        "tup": ("t1", "t2"),  # a tuple annotation gets a tuple
        "picks": ["y"],
    }
    assert type(kwargs["strs"]) is list
    assert "is not a valid integer" in usage_error(lists, "--ints", "one")
    assert "is not one of 'x', 'y'" in usage_error(lists, "--picks", "z")


def test_dict_values_use_maybe_json_table() -> None:
    items = [
        "n=42",
        "f=1.5",
        "s=hello",
        'd={"a": {"b": [1,2]}}',
        "t=True",
        "fl=false",
        "nul=null",
        'q="quoted"',
        'l=[1,"x"]',
        "eq=a=b",
        "e=",
        "bad=[1,2",
    ]
    args = [a for item in items for a in ("--kv", item)]
    kwargs = ok(dicts, *args)
    assert kwargs == {
        "kv": {
            "n": 42,
            "f": 1.5,
            "s": "hello",
            "d": {"a": {"b": [1, 2]}},
            "t": True,
            "fl": False,
            "nul": None,
            "q": "quoted",
            "l": [1, "x"],
            "eq": "a=b",
            "e": "",
            "bad": "[1,2",
        }
    }
    assert kwargs["kv"]["t"] is True and kwargs["kv"]["fl"] is False


def test_dict_repeated_key_keeps_last_and_bare_dict_works() -> None:
    assert ok(dicts, "--kv", "k=1", "--kv", "k=2", "--plain", "p=x") == {
        "kv": {"k": 2},
        "plain": {"p": "x"},
    }


def test_dict_item_without_equals_is_usage_error() -> None:
    out = usage_error(dicts, "--kv", "foo")
    assert "Invalid value: Expected key=value format, got: foo" in out


def test_dict_absent_stays_none_not_empty() -> None:
    kwargs = ok(dicts)
    assert "kv" not in kwargs  # the function's own None default applies


# --------------------------------------------------------------------------- required


def test_required_options_are_enforced() -> None:
    assert "Missing option '--label'." in usage_error(annotate)
    assert "Missing option '--label'." in usage_error(required, "--tags", "a", "--n", "1")
    assert "Missing option '--tags'." in usage_error(required, "--label", "x", "--n", "1")
    assert "Missing option '--n'." in usage_error(required, "--label", "x", "--tags", "a")
    assert ok(required, "--label", "x", "--tags", "a", "--n", "1") == {
        "label": "x",
        "tags": ["a"],
        "n": 1,
    }


def test_required_marked_in_help_and_defaults_not_shown() -> None:
    cmd, _ = build(annotate)
    out = CliRunner().invoke(cmd, ["--help"], terminal_width=80).output
    assert "A label to apply.  [required]" in out
    assert "default" not in out.lower()


# --------------------------------------------------------------------------- order


def test_kwargs_follow_command_line_order() -> None:
    kwargs = ok(tag_like, "--reason", "R", "--add", "x", "--remove", "y")
    assert list(kwargs.items()) == [("reason", "R"), ("add", ["x"]), ("remove", ["y"])]


def test_to_kwargs_ignores_unknown_keys_and_keeps_order() -> None:
    sig = step_signature(tag_like, "tag")
    values = {"path": ("a",), "remove": ("y",), "store": "s", "add": ("x",), "author": None}
    assert list(sig.to_kwargs(values)) == ["remove", "add"]


# --------------------------------------------------------------------------- skipping


def test_first_parameter_and_reserved_names_are_skipped() -> None:
    assert RESERVED == {
        "store",
        "filter",
        "exclude",
        "recursive",
        "dry_run",
        "display",
        "log_level",
        "json",
        "shard",
        "batch_size",
        "help",
    }
    assert names(reserved) == ["keep"]
    assert names(annotate)[0] == "label"  # `logs` is supplied by PATH
    sig = step_signature(reserved, "r")
    assert sig.to_kwargs({"store": "x", "dry_run": True, "keep": "k"}) == {"keep": "k"}


def test_variadic_parameters_are_skipped() -> None:
    assert names(variadic) == ["x"]


def test_click_option_decorators_are_honoured_after_generated() -> None:
    assert names(decorated) == ["gamma", "delta", "alpha", "beta"]
    kwargs = ok(decorated, "--beta", "5", "--delta", "d", "--alpha", "A")
    assert kwargs == {"beta": 5, "delta": "d", "alpha": "A"}
    assert ok(decorated) == {}  # absent decorator options leave the function defaults
    cmd, _ = build(decorated)
    out = CliRunner().invoke(cmd, ["--help"]).output
    assert "Alpha from the decorator." in out
    assert "Not used" not in out
    assert "Gamma from the docstring." in out


def test_options_on_a_wrapper_function_are_found() -> None:
    @functools.wraps(decorated)
    def wrapper(logs: Any, *args: Any, **kwargs: Any) -> Any:
        return decorated(logs, *args, **kwargs)

    assert names(wrapper) == ["gamma", "delta", "alpha", "beta"]


# --------------------------------------------------------------------------- python-only


def test_callable_parameters_are_python_only() -> None:
    sig = step_signature(python_only, "p")
    assert [p.name for p in sig.params] == ["name_or_fn"]
    assert sig.python_only_required == ["fn"]
    assert step_signature(annotate, "a").python_only_required == []
    assert "fn" not in names(annotate)


def test_required_python_only_reported_and_help_still_works() -> None:
    sig = step_signature(python_only_required, "needs_fn")
    assert sig.python_only_required == ["fn", "g"]
    assert python_only_message("needs_fn", sig.python_only_required) == (
        "Step 'needs_fn' has required Python-only parameter(s) (fn, g) "
        "and cannot be run from the CLI."
    )
    cmd, got = build(python_only_required, "needs_fn")
    assert CliRunner().invoke(cmd, ["--help"]).exit_code == 0
    result = CliRunner().invoke(cmd, ["logs"])
    assert result.exit_code == 2
    assert "cannot be run from the CLI" in result.output
    assert got == {}


# --------------------------------------------------------------------------- rejection


def _def_line(func: Callable[..., Any]) -> int:
    lines, start = inspect.getsourcelines(func)
    return start + next(i for i, text in enumerate(lines) if text.lstrip().startswith("def "))


@pytest.mark.parametrize(
    ("func", "param", "shown"),
    [
        (bad_custom, "thing", "Custom"),
        (bad_set, "ids", "set[int]"),
        (bad_union, "value", "int | str"),
        (bad_nested, "rows", "dict[str, int]"),
        (bad_fixed_tuple, "pair", "tuple[str, str]"),
        (bad_decorated, "when", "complex"),
    ],
)
def test_unsupported_annotations_rejected_at_build(
    func: Callable[..., Any], param: str, shown: str
) -> None:
    with pytest.raises(UserFileError) as info:
        step_signature(func, "bad")
    err = info.value
    assert err.path == __file__
    assert err.line == _def_line(func)
    message = str(err)
    assert f"step 'bad': parameter '{param}' has unsupported type" in message
    assert shown in message
    assert "supported: str, int, float, bool, Literal, list[...], dict[...]" in message


def test_type_checking_only_annotation_is_rejected_not_texted() -> None:
    with pytest.raises(UserFileError) as info:
        step_signature(type_checking_only, "tc")
    assert info.value.line == _def_line(type_checking_only)
    assert "parameter 'amount'" in str(info.value)
    assert "OnlyForTyping" in str(info.value)


def test_unresolvable_logs_annotation_does_not_matter() -> None:
    # Every step here annotates `logs` with EvalLog imported only under TYPE_CHECKING.
    assert names(scalars) == ["text", "num", "real", "any_"]


def test_positional_only_parameter_rejected() -> None:
    with pytest.raises(UserFileError, match="'x' is positional-only"):
        step_signature(positional_only, "po")


# --------------------------------------------------------------------------- help


def test_help_texts_come_from_the_docstring() -> None:
    group = click.Group("step")
    cmd, _ = build(annotate)
    group.add_command(cmd)
    runner = CliRunner()
    out = runner.invoke(group, ["annotate", "--help"], terminal_width=80).output
    assert "Annotate logs with a label." in out
    assert "Adds the label to every log, with some more words." in out
    assert "flow step annotate logs --label x" in out  # Examples are kept
    assert "Returns" not in out and "The logs." not in out
    for text in (
        "--label TEXT",
        "--count INTEGER  How many times.",
        "--ratio FLOAT    A ratio value.",
        "--flag           A boolean flag.",
        "--names TEXT     Some names.",
        "--extra TEXT     Extra key-value pairs.",
        "--anything TEXT\n",
    ):
        assert text in out
    assert "--fn" not in out
    listing = runner.invoke(group, ["--help"]).output
    assert "annotate  Annotate logs with a label." in listing


def test_first_paragraph_and_description() -> None:
    doc = """
        Set or delete
        metadata fields.

        Longer text.

        Args:
            x: An x.
                Continued.

        Returns:
            Nothing.

        Raises:
            ValueError: Never.

        Note:
            Keep me.
        """
    assert first_paragraph(doc) == "Set or delete metadata fields."
    assert description(doc) == (
        "Set or delete\nmetadata fields.\n\nLonger text.\n\nNote:\n    Keep me."
    )
    assert first_paragraph(None) == description(None) == ""
    assert first_paragraph("One line.") == "One line."


# --------------------------------------------------------------------------- helpers


def test_parse_maybe_json_edge_cases() -> None:
    assert math.isnan(parse_maybe_json("NaN"))
    assert parse_maybe_json("Infinity") == math.inf
    assert parse_maybe_json("true") is True
    assert parse_maybe_json("True") is True
    assert parse_maybe_json("TRUE") == "TRUE"
    assert parse_maybe_json(" 3 ") == 3


def test_parse_key_values_errors_are_usage_errors() -> None:
    assert parse_key_values(["a=1", "a=x", "b=a=b"]) == {"a": "x", "b": "a=b"}
    with pytest.raises(FlowUsageError) as info:
        parse_key_values(["ok=1", "nope"])
    assert str(info.value) == "Invalid value: Expected key=value format, got: nope"


def test_step_signature_is_a_dataclass_with_public_fields() -> None:
    sig = step_signature(scalars, "s")
    assert isinstance(sig, StepSignature)
    assert all(isinstance(p, click.Option) for p in sig.params)
    assert sig.python_only_required == []
