"""``flow config``: print the spec ``flow run`` would use (YAML, or JSON with ``--json``)."""

from __future__ import annotations

import click

from inspect_flow._cli.check import load_spec_from_cli, spec_options
from inspect_flow._cli.common import apply_display_options, display_options
from inspect_flow._cli.runopts import run_option


@click.command("config")
@click.argument("config_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the spec as JSON instead of YAML.")
@run_option("log_dir_allow_dirty", as_for_run=True)
@run_option("log_dir_create_unique", as_for_run=True)
@run_option("store_write", as_for_run=True)
@run_option("store_read", as_for_run=True)
@run_option("store_filter", as_for_run=True)
@run_option("store", as_for_run=True)
@run_option("venv", as_for_run=True)
@spec_options
@display_options
def config_command(
    config_file: str,
    as_json: bool,
    log_dir_allow_dirty: bool | None,
    log_dir_create_unique: bool | None,
    store_write: bool | None,
    store_read: bool | None,
    store_filter: tuple[str, ...],
    store: str | None,
    venv: bool,
    limit: int | None,
    log_dir: str | None,
    args: tuple[str, ...],
    sets: tuple[str, ...],
    display: str,
    log_level: str,
) -> None:
    """Output config."""
    from inspect_flow._cli.output import print_json
    from inspect_flow._spec.dump import dump_spec, spec_yaml
    from inspect_flow._spec.runopts import apply_run_options

    apply_display_options(display, log_level)
    spec = load_spec_from_cli(config_file, args, sets, limit, log_dir)
    apply_run_options(
        spec,
        log_dir_allow_dirty=log_dir_allow_dirty,
        log_dir_create_unique=log_dir_create_unique,
        store=store,
        store_read=store_read,
        store_write=store_write,
        store_filter=store_filter,
        venv=venv,
    )
    if as_json:
        print_json(dump_spec(spec))
    else:
        click.echo(spec_yaml(spec), nl=False)
