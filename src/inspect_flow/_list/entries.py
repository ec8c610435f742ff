"""One listed log: what its header says, its sample counts, qualifier and viewer URL."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from inspect_flow._logs import basename, dirname, is_local, local_path

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

EntryState = Literal["ok", "unreadable", "missing"]


@dataclass
class Edit:
    """One ``log_updates`` entry: what changed, who changed it, when and why.

    Attributes:
        changes: ``tags +a, -b`` / ``metadata +k=v, -k`` (one per edit of the update).
        author: The provenance author.
        timestamp: When the edit was made (aware).
        reason: The reason given, if any.
    """

    changes: list[str]
    author: str
    timestamp: datetime
    reason: str | None = None


@dataclass
class LogEntry:
    """A log as listed.

    Attributes:
        location: The log's location (URI).
        state: ``ok``; ``unreadable`` (its header could not be read); ``missing`` (a store path
            that no longer exists).
        error: Why the log could not be read (not ``ok`` only).
        log: The header (``ok`` only).
        samples: Valid samples (``ok`` only).
        total_samples: Samples the run was meant to have, when known.
        qualifier: The model, then what tells this log apart from others of its task in its
            directory (``mockllm/model, n=2``).
        viewer_url: The log's page in a published viewer, when a ``flow.yaml`` says where.
        edits: The log's ``log_updates``, oldest first.
    """

    location: str
    state: EntryState = "ok"
    error: str | None = None
    log: EvalLog | None = None
    samples: int | None = None
    total_samples: int | None = None
    qualifier: str = ""
    viewer_url: str | None = None
    edits: list[Edit] = field(default_factory=list)

    @property
    def task(self) -> str | None:
        """The task name (None when unread)."""
        return self.log.eval.task if self.log is not None else None

    @property
    def model(self) -> str | None:
        """The model (None when unread)."""
        return self.log.eval.model if self.log is not None else None

    @property
    def status(self) -> str:
        """The log's status, or ``unreadable``/``missing``."""
        return str(self.log.status) if self.log is not None else self.state

    @property
    def tags(self) -> list[str]:
        """The log's current tags."""
        return list(self.log.tags or []) if self.log is not None else []

    @property
    def started_at(self) -> datetime | None:
        """When the run started, if the header says."""
        return _time(self.log.stats.started_at) if self.log is not None else None

    @property
    def completed_at(self) -> datetime | None:
        """When the run ended, if the header says."""
        return _time(self.log.stats.completed_at) if self.log is not None else None


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def total_samples(log: EvalLog) -> int | None:
    """Return the samples the run was meant to have (results' total, else dataset × epochs)."""
    if log.results is not None:
        return log.results.total_samples
    size = log.eval.dataset.samples
    if size is None:
        return None
    return size * (log.eval.config.epochs or 1)


def edits_of(log: EvalLog) -> list[Edit]:
    """Describe a log's ``log_updates`` (oldest first)."""
    described = []
    for update in log.log_updates or []:
        changes = []
        for edit in update.edits:
            if edit.type == "tags":
                parts = [f"+{t}" for t in edit.tags_add] + [f"-{t}" for t in edit.tags_remove]
                changes.append("tags " + ", ".join(parts))
            else:
                parts = [f"+{k}={v}" for k, v in edit.metadata_set.items()]
                parts += [f"-{k}" for k in edit.metadata_remove]
                changes.append("metadata " + ", ".join(parts))
        provenance = update.provenance
        described.append(Edit(changes, provenance.author, provenance.timestamp, provenance.reason))
    return described


def qualify(entries: list[LogEntry]) -> None:
    """Fill each entry's ``qualifier`` (its model, then what differs within its directory).

    A field is shown for a log when logs of the same directory, task and model disagree on it.
    """
    from inspect_flow._spec.instantiate import _CONFIG_FIELDS, _LIMITS

    groups: dict[tuple[str, str, str], list[tuple[LogEntry, dict[str, str]]]] = {}
    for entry in entries:
        if entry.log is None:
            continue
        key = (dirname(entry.location), entry.log.eval.task, entry.log.eval.model)
        groups.setdefault(key, []).append((entry, _fields(entry.log, _LIMITS, _CONFIG_FIELDS)))
    for (_, _, model), members in groups.items():
        names = dict.fromkeys(name for _, fields in members for name in fields)
        differing = [n for n in names if len({f.get(n, "") for _, f in members}) > 1]
        for entry, fields in members:
            parts = [] if model == "none/none" else [model]
            parts += [f"{name}={fields.get(name) or None}" for name in differing]
            entry.qualifier = ", ".join(parts)


def _fields(
    log: EvalLog, limits: tuple[str, ...], config_fields: tuple[str, ...]
) -> dict[str, str]:
    spec = log.eval
    args = spec.task_args_passed if spec.task_args_passed is not None else spec.task_args
    values = {k: _text(v) for k, v in sorted((args or {}).items())}
    if spec.model_roles:
        values["model_roles"] = _text(
            {k: getattr(v, "model", v) for k, v in spec.model_roles.items()}
        )
    values["solver"] = _text(spec.solver)
    values["approval"] = _text(spec.config.approval)
    values["version"] = _text(spec.task_version)
    for name in (*limits, "token_limit_type"):
        values[name] = _text(getattr(spec.config, name, None))
    for name in config_fields:
        value = getattr(spec.model_generate_config, name, None)
        values[name] = "..." if name == "system_message" and value is not None else _text(value)
    return values


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class ViewerUrls:
    """Viewer URLs from the ``flow.yaml`` next to logs (each directory's file read once).

    ``options.bundle_url_mappings`` maps a folder prefix to a URL. The viewer folder is the log
    directory itself with ``options.embed_viewer``, else ``options.bundle_dir``; mapped, it gives
    ``<url>/#/logs/<file name>``. Only local directories are looked at.
    """

    def __init__(self) -> None:
        self._bases: dict[str, str | None] = {}

    def url(self, location: str) -> str | None:
        """Return the viewer URL of a log, or None when no ``flow.yaml`` says where it is."""
        directory = dirname(location)
        if directory not in self._bases:
            self._bases[directory] = _viewer_base(directory)
        base = self._bases[directory]
        return f"{base}/#/logs/{basename(location)}" if base else None


def _viewer_base(directory: str) -> str | None:
    if not is_local(directory):
        return None
    folder = local_path(directory)
    try:
        with open(os.path.join(folder, "flow.yaml"), encoding="utf-8") as f:
            import yaml

            data = yaml.safe_load(f)
    except (OSError, ValueError, ImportError):
        return None
    except Exception:  # a malformed flow.yaml (yaml.YAMLError) just means no viewer URL
        return None
    options = data.get("options") if isinstance(data, dict) else None
    if not isinstance(options, dict):
        return None
    mappings = options.get("bundle_url_mappings")
    if not isinstance(mappings, dict) or not mappings:
        return None
    if options.get("embed_viewer"):
        viewer_dir = folder
    elif options.get("bundle_dir"):
        viewer_dir = str(options["bundle_dir"])
        if "://" not in viewer_dir and not os.path.isabs(viewer_dir):
            viewer_dir = os.path.normpath(os.path.join(folder, viewer_dir))
    else:
        return None
    # the longest matching prefix wins
    for prefix in sorted(mappings, key=len, reverse=True):
        key = str(prefix).rstrip("/")
        if viewer_dir == key or viewer_dir.startswith(key + "/"):
            return str(mappings[prefix]).rstrip("/") + viewer_dir[len(key) :]
    return None
