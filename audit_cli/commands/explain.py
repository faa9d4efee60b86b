"""audit-cli explain: one text, each token's share of the saliency, and every evaluation one text supports."""

import sys

import click

from audit_cli.console import say_waiting
from audit_cli.model_options import backend_options
from cli_common.console import printable
from cli_common.errors import exit_on_input_error
from saliency_core.errors import EXIT_SERVER_FAILED


@click.command()
@click.argument("text")
@backend_options
@click.option("--forbidden", "forbidden_path", type=click.Path(dir_okay=False), help="Lexicon to match.")
@click.option(
    "--substitutions",
    "substitutions_path",
    type=click.Path(dir_okay=False),
    help="Substitution groups: the move of p(predicted) when a group term is replaced by a substitute.",
)
@click.option(
    "--rationale",
    metavar="MARKS",
    help="The text's human rationale, one 0/1 per word (e.g. '0 1 1 0') or JSON [start, end) spans: token "
    "F1 and AUPRC of the saliency against it.",
)
@click.option("--color/--no-color", default=None, help="Colour tokens by saliency (default: on a terminal).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the text's AuditRecord as one JSON line (the records.jsonl format) instead.",
)
@exit_on_input_error
def explain(text, backend, attribution, forbidden_path, substitutions_path, rationale, color, as_json):
    """Explain one TEXT: each token's share of the saliency, what removing each forbidden term does, and the
    substitution and rationale checks when their inputs are given."""
    from audit_engine.backends import ServerError, open_backend
    from audit_engine.document import CorpusRow
    from audit_engine.evaluations import AuditInputs
    from audit_engine.explaining import build_records, explain_batch
    from audit_engine.formatting import count, percent
    from audit_engine.options import NO_ATTRIBUTION, AuditOptions
    from audit_engine.session import AuditSession
    from saliency_core.lexicon import load_lexicon
    from saliency_core.marks import parse_optional_word_marks
    from saliency_core.substitutions import load_substitutions
    from saliency_core.text import split_words

    inputs = AuditInputs(
        load_lexicon(forbidden_path) if forbidden_path else None,
        load_substitutions(substitutions_path) if substitutions_path else None,
    )
    marks = (
        parse_optional_word_marks(rationale, len(split_words(text)), "--rationale", None, None) if rationale else None
    )
    options = AuditOptions(
        attribution=attribution, rationale_column="--rationale" if rationale else None, top_k=1 << 30
    )
    document = CorpusRow(1, "1", text, rationale=marks)
    model = open_backend(backend, on_wait=say_waiting)
    try:
        session = AuditSession.open(model, options, inputs, single_text=True)
        explained, prepared = explain_batch(session.backend, [document], session.evaluations)
    except ServerError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(EXIT_SERVER_FAILED) from None
    finally:
        model.close()
    _, record, _ = next(build_records([document], explained, prepared, session.settings, session.evaluations))
    attribution = session.options.attribution  # the one the model allowed (occlusion for a foreign model)
    shares = attribution != NO_ATTRIBUTION
    if as_json:
        from audit_engine.record_lines import record_json

        click.echo(record_json(record))
        return
    by_position = {t.position: t for t in record.top_tokens}
    total = record.saliency_mass or 1.0
    top = max((t.saliency for t in record.top_tokens), default=0.0) or 1.0
    use_color = sys.stdout.isatty() if color is None else color
    pieces = []
    for position in range(record.explained_tokens):
        token = by_position[position]
        label = printable(token.token) + (f"({token.saliency / total * 100:.1f}%)" if shares else "")
        if use_color:
            level = token.saliency / top
            label = click.style(
                label, fg="red" if token.forbidden else None, bold=level > 0.5, bg="yellow" if level > 0.75 else None
            )
        elif token.forbidden:
            label = f"[{label}]"
        pieces.append(label)
    click.echo(" ".join(pieces))
    held = (
        f"forbidden words hold {record.forbidden_share * 100:.1f} % of the {attribution} saliency"
        if shares
        else "saliency not available for this model (--attribution none)"
    )
    click.echo(
        f"predicted {printable(record.predicted_label)} (p = {record.confidence:.3f}); {held}"
        + (f"; explained in {count(record.windows, 'window')}" if record.windows else "")
        + ("; truncated: tokens beyond the cap not explained" if record.truncated else "")
    )
    if record.reliance_measured:
        click.echo(
            f"without every forbidden word: p({printable(record.predicted_label)}) drops by "
            f"{percent(record.reliance_drop)} points"
            + ("; the prediction changes" if record.reliance_flips else "; the prediction stays")
        )
        for item in record.term_reliance:
            click.echo(
                f"  without {printable(repr(item.term))}: drop {percent(item.drop)} points"
                + (", prediction changes" if item.flips else "")
            )
        if record.control_measured:
            click.echo(
                f"control, without as many other words (chosen at random): drop {percent(record.control_drop)} "
                "points" + ("; the prediction changes" if record.control_flips else "; the prediction stays")
            )
    if record.substituted:
        click.echo(
            f"substitution: over {count(record.substitution_variants, 'variant')}, "
            f"p({printable(record.predicted_label)}) moves by "
            f"{percent(record.substitution_gap_mean)} points on average (at most "
            f"{percent(record.substitution_gap_max)})"
            + ("; the prediction changes in one or more" if record.substitution_flips else "")
        )
    if record.has_rationale:
        click.echo(
            f"rationale: token F1 {record.rationale_token_f1 * 100:.1f} %, AUPRC {record.rationale_auprc * 100:.1f} %"
        )
    elif rationale:
        click.echo("rationale: no rationale word among the explained tokens")
