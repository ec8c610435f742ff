"""What a run records in its folder: `flow.yaml` (the resolved spec), the installed packages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._run.logdir import user_path

if TYPE_CHECKING:
    from inspect_flow._run.run import RunPlan


def write_records(plan: RunPlan) -> None:
    """Write ``flow.yaml`` (the resolved spec) and ``flow-requirements.txt`` into the run folder.

    Raises:
        FlowError: A record cannot be written (the run does not start).

    """
    from inspect_flow._errors import FlowError
    from inspect_flow._logs import display_path, join, write_text
    from inspect_flow._spec.dump import spec_yaml

    resolved = plan.spec.model_copy(
        update={"log_dir": user_path(plan.log_dir), "log_dir_create_unique": False}
    )
    records = {"flow.yaml": spec_yaml(resolved), "flow-requirements.txt": requirements()}
    for name, text in records.items():
        location = join(plan.log_dir, name)
        try:
            write_text(location, text)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise FlowError(f"Could not write {display_path(location)}: {reason}") from exc


def requirements() -> str:
    """Return the installed distributions as ``name==version`` lines (sorted)."""
    from importlib.metadata import distributions

    found = {
        (d.metadata["Name"] or "").lower(): d.version for d in distributions() if d.metadata["Name"]
    }
    return "".join(f"{name}=={version}\n" for name, version in sorted(found.items()))
