"""audit-cli model-card: a model card from the model's training metadata and its audits."""

import os

import click

from audit_cli.options import audit_folders
from cli_common.errors import exit_on_input_error


@click.command("model-card")
@audit_folders("model-card", "model_card.json, model_card.md and model_card.html")
@click.option("--owner", "owners", multiple=True, help="An owner of the model (repeatable).")
@click.option("--license", "licenses", multiple=True, metavar="SPDX", help="The model's license (repeatable).")
@click.option("--overview", default="", help="One line on what the model is for (default: from its metadata).")
@exit_on_input_error
def model_card(audits, out_dir, owners, licenses, overview):
    """A model card (Markdown, HTML, JSON) from the model's training metadata and its audits: for the model the
    AUDITS (folders, or quoted globs) measured, what it is and how it was trained (from the training metadata
    every audit carries: data digest, penalty and its weight, training metrics), what each audit measured with
    its interval (reliance, the deletion control, bias AUCs, rationale agreement, accuracy), and the limitations
    the audits found. The JSON follows the Model Card Toolkit's schema.

    \b
    Example:
      audit-cli model-card audit-identity audit-decoy --owner "Trust & Safety ML" --license Apache-2.0

    Exit codes: 0 written, 2 usage or input error (audits of different models included).
    """
    from audit_engine.history import expand_folders
    from audit_engine.model_card import build_model_card, write_model_card

    card = build_model_card(expand_folders(audits), owners, licenses, overview)
    write_model_card(out_dir, card)
    limitations = card["considerations"]["limitations"]
    click.echo(
        f"{card['model_details']['name']} v{card['model_details']['version']['name']}: "
        f"{len(card['quantitative_analysis']['performance_metrics'])} figures, {len(limitations)} limitations"
    )
    click.echo(f"written to {os.path.join(out_dir, 'model_card.md')}, model_card.html and model_card.json")
