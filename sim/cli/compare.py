"""``sim compare``: two configs (or one and overrides) path by path on common random numbers."""

from __future__ import annotations

import click

from sim.cli.common import (
    InputError,
    block_size_option,
    check_json_target,
    check_out_folder,
    check_run_options,
    emit_json,
    json_option,
    load_config,
    paths_option,
    seed_option,
)


@click.command()
@click.argument("config_a", metavar="A")
@click.argument("config_b", metavar="[B]", required=False)
@click.option("--set-b", "overrides_b", multiple=True, metavar="KEY=VALUE", help="Override a value of B (repeatable); without B, B is A with these overrides.")
@paths_option(100_000, "Monte Carlo paths of each run.")
@seed_option(0, "Random seed (both runs).")
@block_size_option(32_768, "Paths per block (both runs).")
@json_option("Write the comparison as JSON to FILE, or stdout with '-'.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write comparison.json, .txt, .png (breach curves, min-cash distributions) and .html into DIR.")
def compare(config_a, config_b, overrides_b, paths, seed, block_size, json_out, out_dir):
    """Compare A and B on the same seed and blocks: every headline number with its paired difference.

    The interval of each difference comes from the per-path differences (common
    random numbers), far narrower than that of two independent runs; the table
    shows both. A and B must share the time grid (start, years, steps per year).

    \b
    Example:
      sim compare pinterest_aws_2031 --set-b cloud.commitment.total=5B --paths 200000
      sim compare my_deal.toml my_other_deal.toml --json -
    """
    from sim.analysis.compare import check_comparable, paired_compare
    from sim.model import ParameterError

    check_run_options(paths, seed, None, block_size)
    if paths < 2:
        raise InputError("--paths: must be at least 2")
    if config_b is None and not overrides_b:
        raise InputError("B: give a second config or --set-b KEY=VALUE (B = A with overrides)")
    check_json_target(json_out)
    check_out_folder(out_dir, swap=False)
    a = load_config(config_a, ())
    b = load_config(config_b or config_a, overrides_b)
    try:
        check_comparable(a, b)
    except ParameterError as e:
        raise InputError(f"B: {e.problem}") from None
    name_a = config_a
    name_b = config_b or config_a
    if overrides_b:
        name_b += " (" + ", ".join(overrides_b) + ")"
    if name_a == name_b:
        name_a, name_b = f"A: {name_a}", f"B: {name_b}"
    result = paired_compare(a, b, names=(name_a, name_b), paths=paths, seed=seed, block_size=block_size)
    if json_out:
        emit_json(json_out, result.to_json())
    if json_out != "-":
        click.echo(result.to_text())
    if out_dir:
        for path in result.write(out_dir):
            click.echo(f"wrote {path}", err=True)
