"""audit-cli compare: two audits side by side, with change thresholds."""

import os

import click

from cli_common.errors import exit_on_input_error
from saliency_core.errors import EXIT_GATE_FAILED


def parse_changes(values, option):
    """METRIC=AMOUNT values -> (metric, amount) pairs; a usage error names the values allowed."""
    from audit_engine.compare import METRICS as COMPARISON_METRICS

    pairs = []
    for value in values:
        name, separator, amount = value.partition("=")
        try:
            limit = float(amount)
        except ValueError:
            limit = float("nan")
        if not separator or name not in COMPARISON_METRICS or not (limit >= 0 and limit != float("inf")):
            raise click.BadParameter(
                f"expected METRIC=AMOUNT with METRIC in {sorted(COMPARISON_METRICS)} and a "
                f"finite AMOUNT >= 0, got {value!r}",
                param_hint=option,
            )
        pairs.append((name, limit))
    return tuple(pairs)


@click.command()
@click.argument("baseline", type=click.Path(file_okay=False))
@click.argument("candidate", type=click.Path(file_okay=False))
@click.option("--out", "out_dir", default="audit-compare", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--max-increase",
    multiple=True,
    metavar="METRIC=AMOUNT",
    help="Fail (exit 1) when the candidate's METRIC exceeds the baseline's by more than AMOUNT, a fraction "
    "(flip_fraction=0.01: one percentage point; mean_drop=0.01: one point of probability). Repeatable.",
)
@click.option(
    "--max-decrease",
    multiple=True,
    metavar="METRIC=AMOUNT",
    help="Fail (exit 1) when the candidate's METRIC falls below the baseline's by more than AMOUNT, a fraction "
    "(accuracy=0.01: one percentage point). Repeatable.",
)
@exit_on_input_error
def compare(baseline, candidate, out_dir, max_increase, max_decrease):
    """Compare two audit folders, BASELINE and CANDIDATE: reliance first, deltas with the better direction,
    and change thresholds (exit 1 when one fails). Writes compare.md and compare.html.

    \b
    Example:
      audit-cli compare audit-current/ audit-new/ --max-increase flip_fraction=0.01 --max-decrease accuracy=0.01
    """
    from audit_engine.compare import compare as compare_folders

    comparison = compare_folders(
        baseline,
        candidate,
        out_dir,
        parse_changes(max_increase, "--max-increase"),
        parse_changes(max_decrease, "--max-decrease"),
    )
    for warning in comparison.warnings:
        click.echo(f"warning: {warning}")
    click.echo(f"verdicts: baseline {comparison.verdicts[0]}, candidate {comparison.verdicts[1]}")
    rows = comparison.rows + comparison.term_rows
    width = max(len(row.label) for row in rows) if rows else 10
    click.echo(f"{'':<{width}}  {comparison.baseline_title:>24}  {comparison.candidate_title:>24}  change")
    for row in rows:
        click.echo(
            f"{row.label:<{width}}  {row.shown('baseline'):>24}  {row.shown('candidate'):>24}  "
            f"{row.change} ({row.verdict})"
        )
    for text, passed in comparison.threshold_results:
        click.echo(f"{'pass' if passed else 'FAIL'}: {text}")
    click.echo(f"written to {os.path.join(out_dir, 'compare.md')} and compare.html")
    if not comparison.passed:
        raise SystemExit(EXIT_GATE_FAILED)
