"""audit-cli history: a model's audits over its versions, with regressions flagged."""

import os

import click

from audit_cli.options import audit_folders
from cli_common.console import printable
from cli_common.errors import exit_on_input_error
from saliency_core.errors import EXIT_GATE_FAILED


@click.command()
@audit_folders("audit-history", "history.md and history.html")
@click.option(
    "--watch",
    multiple=True,
    metavar="METRIC",
    help="A figure whose regressions are flagged (repeatable; default: every figure with a better direction: "
    "flip_fraction, mean_drop, substitution_gap, flagged_fraction, accuracy).",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 0.999),
    default=0.95,
    show_default=True,
    help="Chance of no false alarm over all the changes tested (each change's interval is at the Bonferroni level).",
)
@click.option("--fail-on-regression", is_flag=True, help="Exit 1 when a regression is flagged (a CI gate over time).")
@exit_on_input_error
def history(audits, out_dir, watch, confidence, fail_on_regression):
    """Audits of one model over its versions: the AUDITS (folders, or quoted globs such as 'audits/*') ordered by
    model version, then time; each headline figure with its interval as a trend; a regression flagged where the
    change between consecutive audits lies wholly on the worse side (paired when both read the same corpus; each
    interval at the Bonferroni level for --confidence over all the changes tested). Writes history.md and
    history.html (a table and inline SVG trends).

    \b
    Example:
      audit-cli history 'audits/model-v*' --fail-on-regression

    Exit codes: 0 no regression (or not asked to fail), 1 a regression with --fail-on-regression, 2 usage or
    input error.
    """
    from audit_engine.history import WATCHED, build_history, expand_folders, shown_value, write_history

    built = build_history(expand_folders(audits), tuple(watch) or WATCHED, confidence)
    for warning in built.warnings:
        click.echo(printable(f"warning: {warning}"))
    for metric in built.metrics:
        if metric.name in built.watched:
            values = "; ".join(f"{a.title} {shown_value(metric, a.summary)}" for a in built.audits)
            click.echo(printable(f"{metric.label}: {values}"))
    for regression in built.regressions:
        click.echo(printable(f"REGRESSION: {regression.describe()}"))
    if not built.regressions:
        click.echo(f"no significant regression over {len(built.audits)} audits")
    write_history(out_dir, built)
    click.echo(f"written to {os.path.join(out_dir, 'history.md')} and history.html")
    if built.regressions and fail_on_regression:
        raise SystemExit(EXIT_GATE_FAILED)
