"""The ONE mapping from a step's signature + Google docstring to click parameters, and back.

Dict-typed options are parsed by the one `key=value` parser (`inspect_flow._keyvalue`).
"""

from __future__ import annotations

import collections.abc
import inspect
import linecache
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

import click
import docstring_parser

from inspect_flow._errors import FlowUsageError, UserFileError
from inspect_flow._keyvalue import parse_key_values

RESERVED: frozenset[str] = frozenset(
    {"store", "filter", "exclude", "recursive", "dry_run", "display", "log_level", "json", "help"}
)
"""Parameter names owned by the common step options; they never get a step option."""

_SUPPORTED = (
    "str, int, float, bool, Literal, list[...], dict[...], optional forms, Callable (Python only)"
)
# Docstring sections that describe the signature; they are dropped from the long help because
# the options already carry that text.
_SIG_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns?|Yields?|Raises)"
    r":\s*$"
)
_EMPTY = inspect.Parameter.empty
_Kind = Literal["scalar", "any", "bool", "list", "tuple", "dict", "python", "raw"]


@dataclass(frozen=True)
class _Spec:
    """How one step parameter's click value becomes a keyword argument."""

    kind: _Kind
    required: bool
    default: Any = None


@dataclass
class StepSignature:
    """The CLI view of a step function.

    Attributes:
        params: Generated options (signature order) followed by the function's own
            `@click.option` decorators (declaration order).
        python_only_required: Required parameters that the CLI cannot supply (Callables).

    """

    params: list[click.Parameter]
    python_only_required: list[str]
    _specs: dict[str, _Spec] = field(default_factory=dict, repr=False)

    def to_kwargs(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Convert click values (e.g. `ctx.params`) to the step's keyword arguments.

        Keys that are not step parameters (PATH, common options) are ignored. The order of
        `values` (command-line order) is kept for the step-call line. Optional options the
        user did not give are left out, so the function's own default applies.

        Raises:
            click.BadParameter: A dict item without `=`.

        """
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            spec = self._specs.get(name)
            if spec is None or (not spec.required and _absent(spec, value)):
                continue
            kwargs[name] = _convert(spec, value)
        return kwargs


def _absent(spec: _Spec, value: Any) -> bool:
    # Without a click default, an absent option arrives as None, an absent repeatable one
    # as (), and an absent bool as its (function) default, which click was given.
    if value is None:
        return True
    if spec.kind in ("list", "tuple", "dict"):
        return not value
    return spec.kind == "bool" and bool(value == spec.default)


def _convert(spec: _Spec, value: Any) -> Any:
    if spec.kind == "list":
        return list(value)
    if spec.kind == "tuple":
        return tuple(value)
    if spec.kind == "dict":
        try:
            return parse_key_values(value)
        except FlowUsageError as exc:  # a click error, so usage is shown as for other options
            raise click.BadParameter(str(exc).removeprefix("Invalid value: ")) from exc
    if spec.kind == "any":
        return str(value)
    return value


def step_signature(func: Callable[..., Any], step_name: str) -> StepSignature:
    """Build the click options of a step from its signature and Google docstring.

    Args:
        func: The step function (or its `@step` wrapper; `__wrapped__` is followed).
        step_name: The step's CLI name, used in error messages.

    Raises:
        UserFileError: An annotation cannot be resolved or has no CLI form (pointing at the
            function's `def` line).

    """
    raw = inspect.unwrap(func)
    decorated = _decorator_params(func, raw)
    covered = {p.name for p in decorated}
    arg_help = _arg_help(func.__doc__ or raw.__doc__)
    sig_params = list(inspect.signature(func).parameters.values())[1:]  # [0] is the logs

    generated: list[click.Parameter] = []
    python_only: list[str] = []
    specs: dict[str, _Spec] = {}
    for p in sig_params:
        if p.name in RESERVED or p.name in covered:
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue  # *args/**kwargs have no name the CLI could offer
        if p.kind is p.POSITIONAL_ONLY:
            raise _error(raw, f"step '{step_name}': parameter '{p.name}' is positional-only")
        tp = _resolve(raw, p, step_name)
        mapped = _classify(tp)
        if mapped is None:
            raise _error(
                raw,
                f"step '{step_name}': parameter '{p.name}' has unsupported type "
                f"{inspect.formatannotation(tp)}; supported: {_SUPPORTED}",
            )
        kind, ctype = mapped
        required = p.default is _EMPTY
        if kind == "python":
            if required:
                python_only.append(p.name)
            continue
        specs[p.name] = _Spec(kind, required, None if required else p.default)
        generated.append(_option(p, kind, ctype, arg_help.get(p.name)))

    sig_names = {p.name: p for p in sig_params}
    for dp in decorated:
        if dp.name is not None:
            sp = sig_names.get(dp.name)
            specs[dp.name] = _Spec("raw", sp is not None and sp.default is _EMPTY)
    return StepSignature(generated + decorated, python_only, specs)


def _decorator_params(func: Callable[..., Any], raw: Callable[..., Any]) -> list[click.Parameter]:
    # click appends each decorator as it is applied (bottom-up); reverse for source order.
    # The options may sit on the @step wrapper or on the function it wraps.
    found = getattr(func, "__click_params__", None) or getattr(raw, "__click_params__", None)
    return list(reversed(found or []))


def _resolve(raw: Callable[..., Any], p: inspect.Parameter, step_name: str) -> Any:
    """Resolve one (possibly stringized) annotation.

    One parameter at a time, so an unresolvable annotation on the logs parameter or the
    return type (e.g. `EvalLog` imported under TYPE_CHECKING) does not break the command.
    """
    if p.annotation is _EMPTY:
        return _EMPTY
    holder = types.SimpleNamespace(__annotations__={p.name: p.annotation})
    try:
        hints = typing.get_type_hints(
            holder, globalns=getattr(raw, "__globals__", {}), include_extras=False
        )
    except Exception as exc:  # NameError, SyntaxError, TypeError from user code
        raise _error(
            raw,
            f"step '{step_name}': cannot resolve the type of parameter '{p.name}' "
            f"({type(exc).__name__}: {exc})",
        ) from exc
    return hints[p.name]


# Element types of repeatable options (and the scalar int/float types).
_ELEMENT_TYPES: dict[Any, click.ParamType[Any]] = {
    str: click.STRING,
    Any: click.STRING,
    int: click.INT,
    float: click.FLOAT,
    bool: click.BOOL,
}


def _classify(tp: Any) -> tuple[_Kind, click.ParamType[Any] | None] | None:
    """Map an annotation to (kind, click type); None when the CLI cannot express it."""
    if get_origin(tp) in (Union, types.UnionType):
        members = [m for m in get_args(tp) if m is not type(None)]
        if any(_is_callable(m) for m in members):
            # A str member means the CLI can still pass something valid (e.g. a name).
            if str not in members:
                return ("python", None)
            members = [m for m in members if not _is_callable(m)]
        if len(members) != 1:
            return None
        tp = members[0]
    if _is_callable(tp):
        return ("python", None)
    if tp is _EMPTY or tp is str:
        return ("scalar", click.STRING)
    if tp is Any:
        return ("any", click.STRING)
    if tp is bool:
        return ("bool", None)
    if tp in (int, float):
        return ("scalar", _ELEMENT_TYPES[tp])
    if get_origin(tp) is Literal:
        return ("scalar", _choice(tp))
    base, args = get_origin(tp) or tp, get_args(tp)
    if base in (dict, collections.abc.Mapping):
        return ("dict", click.STRING)
    if base is tuple:
        if args and (len(args) != 2 or args[1] is not Ellipsis):
            return None  # fixed-length tuples have no repeatable form
        element = _element(args[0] if args else str)
        return None if element is None else ("tuple", element)
    if base in (list, collections.abc.Sequence):
        element = _element(args[0] if args else str)
        return None if element is None else ("list", element)
    return None


def _element(tp: Any) -> click.ParamType[Any] | None:
    if get_origin(tp) is Literal:
        return _choice(tp)
    return _ELEMENT_TYPES.get(tp)


def _choice(tp: Any) -> click.Choice[Any]:
    # click.Choice returns the original choice object, so Literal[1, 2] yields ints.
    return click.Choice([v for v in get_args(tp) if v is not None])


def _is_callable(tp: Any) -> bool:
    return (get_origin(tp) or tp) is collections.abc.Callable


def _option(p: inspect.Parameter, kind: _Kind, ctype: Any, help: str | None) -> click.Option:
    flag = "--" + p.name.replace("_", "-")
    required = p.default is _EMPTY
    # The explicit name keeps the click name == the Python name whatever the spelling.
    common: dict[str, Any] = {"help": help, "show_default": False, "required": required}
    if kind == "bool":
        if p.default is False:
            return click.Option([p.name, flag], is_flag=True, **common)
        # True/None defaults (and required bools) need a way to say "false"; giving click
        # the function default makes "absent" recognisable. Never a default when required,
        # since a default would silence click's "Missing option" check.
        extra = {} if required else {"default": p.default}
        pair = f"{flag}/--no-{flag[2:]}"
        return click.Option([p.name, pair], **common, **extra)
    multiple = kind in ("list", "tuple", "dict")
    return click.Option([p.name, flag], type=ctype, multiple=multiple, **common)


def _arg_help(doc: str | None) -> dict[str, str]:
    """Parameter name → one-line description from the docstring's `Args:` section."""
    if not doc:
        return {}
    try:
        parsed = docstring_parser.parse(doc, style=docstring_parser.DocstringStyle.GOOGLE)
    except docstring_parser.ParseError:
        return {}  # a malformed docstring costs help text, not the command
    return {a.arg_name: " ".join(a.description.split()) for a in parsed.params if a.description}


def _error(raw: Callable[..., Any], message: str) -> UserFileError:
    code = getattr(raw, "__code__", None)
    if code is None:
        return UserFileError(getattr(raw, "__module__", "<unknown>"), None, message)
    path, line = code.co_filename, code.co_firstlineno
    # co_firstlineno is the first decorator's line; point at the `def` itself.
    for offset in range(50):
        text = linecache.getline(path, line + offset).lstrip()
        if text.startswith(("def ", "async def ")):
            line += offset
            break
    return UserFileError(path, line, message)


def python_only_message(step_name: str, names: list[str]) -> str:
    """Build the usage error for a step whose required parameters only Python can supply."""
    return (
        f"Step '{step_name}' has required Python-only parameter(s) ({', '.join(names)}) "
        "and cannot be run from the CLI."
    )


def first_paragraph(doc: str | None) -> str:
    """Return the short help: the docstring up to its first blank line, on one line."""
    if not doc:
        return ""
    return " ".join(re.split(r"\n\s*\n", inspect.cleandoc(doc), maxsplit=1)[0].split())


def description(doc: str | None) -> str:
    """Return the long help: the docstring without its Args/Returns/Raises sections.

    Other sections (Examples, Notes, ...) are kept, since they help CLI users too.
    """
    if not doc:
        return ""
    kept: list[str] = []
    skipping = False
    for line in inspect.cleandoc(doc).splitlines():
        if line and not line[0].isspace():  # a top-level line starts or ends a section
            skipping = bool(_SIG_SECTION.match(line))
        if not skipping:
            kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
