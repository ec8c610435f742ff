"""Every public name of Inspect Flow 0.14 exists here with a compatible signature or fields.

``tests/data/flow_0_14_surface.json`` lists 0.14's public names (``inspect_flow`` and
``inspect_flow.api``) with their signatures, and every spec model field with its type and
default, as 0.14's interface declares them. Each name must import from the same module and accept
every call 0.14 accepts; each model must have 0.14's fields, in 0.14's order, with compatible
defaults and types.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest

SURFACE = json.loads((Path(__file__).parents[1] / "data" / "flow_0_14_surface.json").read_text())

# Names other branches add (the Flow Store, flow run, flow list log). Emptied when they merge;
# any other missing name fails.
PENDING_OTHER_BRANCHES: set[tuple[str, str]] = set()

NAMES = [
    (module, name) for module in ("inspect_flow", "inspect_flow.api") for name in SURFACE[module]
]


def _parameters(signature: str) -> list[inspect.Parameter]:
    """Parse a signature as 0.14's interface prints it (annotations are kept as text)."""
    source = "def f" + signature.replace("~", "").split(" -> ")[0] + ": pass"
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    args = function.args
    params: list[inspect.Parameter] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[Any] = [inspect.Parameter.empty] * (len(positional) - len(args.defaults))
    defaults += [_literal(d) for d in args.defaults]
    for arg, default in zip(positional, defaults, strict=True):
        params.append(_param(arg, inspect.Parameter.POSITIONAL_OR_KEYWORD, default))
    if args.vararg:
        params.append(_param(args.vararg, inspect.Parameter.VAR_POSITIONAL))
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        default = inspect.Parameter.empty if kw_default is None else _literal(kw_default)
        params.append(_param(arg, inspect.Parameter.KEYWORD_ONLY, default))
    if args.kwarg:
        params.append(_param(args.kwarg, inspect.Parameter.VAR_KEYWORD))
    return params


class _Unknown:
    """A default that is not a literal (compared only for presence)."""


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _Unknown()


def _param(arg: ast.arg, kind: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    annotation = ast.unparse(arg.annotation) if arg.annotation else inspect.Parameter.empty
    return inspect.Parameter(arg.arg, kind, default=default, annotation=annotation)


def _incompatibilities(theirs: list[inspect.Parameter], ours: inspect.Signature) -> list[str]:
    """Return how a call valid for 0.14's signature could fail against ours (empty: none)."""
    problems: list[str] = []
    mine = list(ours.parameters.values())
    by_name = {p.name: p for p in mine}
    var_pos = any(p.kind is p.VAR_POSITIONAL for p in mine)
    var_kw = any(p.kind is p.VAR_KEYWORD for p in mine)
    positional = [p for p in mine if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for index, param in enumerate(theirs):
        if param.kind is param.VAR_POSITIONAL:
            # A step's ``*args: P.args`` are the step's own options: checked by name elsewhere.
            if not var_pos and "P.args" not in str(param.annotation):
                problems.append("*args not accepted")
            continue
        if param.kind is param.VAR_KEYWORD:
            if not var_kw and "P.kwargs" not in str(param.annotation):
                problems.append("**kwargs not accepted")
            continue
        own = by_name.get(param.name)
        if own is None and not var_kw:
            problems.append(f"no parameter {param.name}")
            continue
        if param.kind is param.POSITIONAL_OR_KEYWORD:
            if index < len(positional) and positional[index].name != param.name:
                problems.append(f"position {index} is {positional[index].name}, not {param.name}")
            elif index >= len(positional) and not var_pos:
                problems.append(f"{param.name} cannot be passed by position")
        if own is not None and param.default is not inspect.Parameter.empty:
            if own.default is inspect.Parameter.empty:
                problems.append(f"{param.name} is required here but optional in 0.14")
            elif not isinstance(param.default, _Unknown) and own.default != param.default:
                problems.append(f"{param.name} defaults to {own.default!r}, not {param.default!r}")
    names = {p.name for p in theirs}
    if any("P.kwargs" in str(p.annotation) for p in theirs):
        return problems  # a step: its own options are checked by name elsewhere
    for own in mine:
        required = own.default is inspect.Parameter.empty and own.kind not in (
            own.VAR_POSITIONAL,
            own.VAR_KEYWORD,
        )
        if required and own.name not in names:
            problems.append(f"{own.name} is required here but not a 0.14 parameter")
    return problems


@pytest.mark.parametrize(("module", "name"), NAMES, ids=[f"{m}:{n}" for m, n in NAMES])
def test_public_name_exists_with_a_compatible_signature(module: str, name: str) -> None:
    entry = SURFACE[module][name]
    imported = importlib.import_module(module)
    if (module, name) in PENDING_OTHER_BRANCHES:
        pytest.xfail(f"{name} comes with another branch")  # noqa: PT015
    assert name in dir(imported), f"{module}.{name} missing from dir()"
    value = getattr(imported, name)
    signature = entry["signature"]
    if entry["kind"] == "str":
        assert isinstance(value, str)
        return
    if signature == "(pydantic model, fields below)":
        assert name in SURFACE["models"]
        return
    if signature in ("(*args, **kwargs)", "()"):
        assert value is not None  # a type alias, or an abstract class (checked by its branch)
        return
    ours = inspect.signature(value)
    problems = _incompatibilities(_parameters(signature), ours)
    assert not problems, f"{module}.{name}{ours} vs 0.14 {signature}: {problems}"


def test_pending_names_are_really_missing() -> None:
    """The pending list shrinks as branches merge: a name that now exists must leave it."""
    for module, name in PENDING_OTHER_BRANCHES:
        assert name in SURFACE[module]
        present = hasattr(importlib.import_module(module), name)
        assert not present, f"{module}.{name} exists now: remove it from PENDING_OTHER_BRANCHES"


def test_steps_take_logs_or_paths_and_their_options() -> None:
    from inspect_flow.api import copy, metadata, tag

    expected = {
        tag: ["add", "remove", "author", "reason"],
        metadata: ["set", "remove", "author", "reason"],
        copy: ["dest", "source_prefix", "suffix", "rename", "overwrite", "store"],
    }
    for function, options in expected.items():
        params = inspect.signature(function).parameters
        assert next(iter(params)) == "logs_or_paths"
        assert set(options) | {"dry_run", "store"} <= set(params)


# ------------------------------------------------------------------------------------ models

REQUIRED = {"FlowEpochs": {"epochs": 1}, "FlowFactory": {"factory": "x", "args": {}}}

_SAMPLES: dict[str, list[Any]] = {
    "bool": [True, False],
    "int": [3],
    "float": [0.5],
    "str": ["x"],
    "NoneType": [None],
    "dict[str, Any]": [{"k": 1}],
    "Mapping[str, Any]": [{"k": 1}],
    "dict[str, str]": [{"k": "v"}],
    "Sequence[str]": [["a", "b"]],
    "tuple[int, int]": [(0, 2)],
    "tuple[str, str]": [("docker", "compose.yaml")],
}


def _members(type_text: str) -> list[str]:
    """Split a type into its union members (``A | B``, ``Union[A, B]``, ``Optional[A]``)."""
    text = type_text.strip()
    for wrapper in ("Union[", "Optional["):
        if text.startswith(wrapper) and text.endswith("]"):
            inner = _split(text[len(wrapper) : -1], ",")
            members = [m for part in inner for m in _members(part)]
            return [*members, "NoneType"] if wrapper == "Optional[" else members
    parts = _split(text, "|")
    return parts if len(parts) > 1 else [text]


def _split(text: str, separator: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[(" and 1 or (char in "])" and -1 or 0)
        if char == separator and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [p for p in parts if p]


def _samples(type_text: str) -> list[Any]:
    values: list[Any] = []
    for member in _members(type_text):
        if member.startswith("Literal["):
            values.extend(ast.literal_eval(f"[{member[len('Literal[') : -1]}]"))
        else:
            values.extend(_SAMPLES.get(member, []))
    return values


MODELS = sorted(SURFACE["models"])


@pytest.mark.parametrize("model", MODELS)
def test_model_has_014_fields_in_014_order_with_compatible_defaults(model: str) -> None:
    import inspect_flow

    cls = getattr(inspect_flow, model)
    fields = SURFACE["models"][model]["fields"]
    ours = list(cls.model_fields)
    names = [f["name"] for f in fields]
    missing = [n for n in names if n not in ours]
    assert not missing, f"{model} lacks {missing}"
    assert [n for n in ours if n in names] == names, f"{model} fields are not in 0.14's order"
    extra_required = [n for n, f in cls.model_fields.items() if f.is_required() and n not in names]
    assert not extra_required, f"{model} requires fields 0.14 does not have: {extra_required}"
    for field in fields:
        info = cls.model_fields[field["name"]]
        default = field["default"]
        if default == "NOT_GIVEN":  # not set: ours must be unset too (None)
            assert info.default is None, f"{model}.{field['name']} defaults to {info.default!r}"
        elif default != "required":
            assert info.default == ast.literal_eval(default), f"{model}.{field['name']}"
    assert cls.model_config.get("extra") == "forbid"  # a typo is an error (0.14: forbid too)


@pytest.mark.parametrize("model", MODELS)
def test_model_fields_accept_014_values(model: str) -> None:
    import inspect_flow

    cls = getattr(inspect_flow, model)
    required = REQUIRED.get(model, {})
    assert cls.model_validate(required).model_fields_set == set(required)
    for field in SURFACE["models"][model]["fields"]:
        for value in _samples(field["type"]):
            data = {**REQUIRED.get(model, {}), field["name"]: value}
            instance = cls.model_validate(data)
            assert getattr(instance, field["name"]) is not None or value is None


def test_every_flow_options_field_is_an_eval_set_parameter() -> None:
    """FlowOptions is carried to inspect_ai.eval_set: each field is one of its parameters."""
    from inspect_ai import eval_set

    from inspect_flow import FlowOptions
    from inspect_flow._spec.options import NOT_EVAL_SET, eval_set_options

    parameters = set(inspect.signature(eval_set).parameters)
    assert set(FlowOptions.model_fields) - NOT_EVAL_SET <= parameters
    options = FlowOptions(max_dataset_memory=5, display="plain", bundle_url_mappings={"a": "b"})
    assert eval_set_options(options) == {"max_dataset_memory": 5, "display": "plain"}


def test_every_task_with_field_of_flow_task_is_a_task_with_parameter() -> None:
    from inspect_ai import task_with

    from inspect_flow import FlowTask
    from inspect_flow._spec.instantiate import _PASSED

    parameters = set(inspect.signature(task_with).parameters)
    assert set(_PASSED) <= parameters
    not_passed = {"factory", "args", "extra_args", "sample_id", "flow_metadata"}
    handled = {"name", "model", "config", "model_roles", "solver", "scorer", "epochs"}
    assert set(FlowTask.model_fields) == set(_PASSED) | not_passed | handled


def test_dir_lists_the_lazy_names() -> None:
    import inspect_flow
    import inspect_flow.api

    for module in (inspect_flow, inspect_flow.api):
        listed = dir(module)
        assert set(module.__all__) <= set(listed)
        assert "TYPE_CHECKING" not in listed


def test_scan_is_a_one_line_not_supported_error() -> None:
    from inspect_flow.api import scan, scan_step

    for function in (scan, scan_step):
        with pytest.raises(ValueError, match=r"^scan(_step)? \(Inspect Scout scanners\) is not"):
            function([], [])


def test_surface_file_is_complete_and_the_version_is_014() -> None:
    import inspect_flow

    assert len(NAMES) == 59
    assert len(SURFACE["models"]) == 14
    assert re.fullmatch(r"0\.14\.\d+", inspect_flow.__version__)
