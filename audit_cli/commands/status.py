"""audit-cli status: the model's versions, signatures and training metadata."""

import json

import click

from audit_cli.console import say_waiting
from audit_cli.model_options import backend_options
from cli_common.errors import exit_on_input_error
from saliency_core.errors import EXIT_SERVER_FAILED


@click.command()
@backend_options
@click.option(
    "--forbidden",
    "forbidden_path",
    type=click.Path(dir_okay=False),
    help="A lexicon to check against the one the model was trained with (same normalised terms or not).",
)
@click.option("--json", "as_json", is_flag=True, help="Print everything as one JSON object instead.")
@exit_on_input_error
def status(backend, attribution, forbidden_path, as_json):
    """Model status, signatures and training metadata from the server (or the embedded model)."""
    from audit_engine.backends import ServerError, open_backend
    from saliency_core.lexicon import load_lexicon

    lexicon = load_lexicon(forbidden_path) if forbidden_path else None
    backend = open_backend(backend, on_wait=say_waiting)
    try:
        model_status = backend.model_status()
        metadata = backend.metadata()
    except ServerError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(EXIT_SERVER_FAILED) from None
    finally:
        backend.close()
    trained_with = (metadata.get("mask_sources") or {}).get("lexicon_sha256")
    matches = None if lexicon is None or trained_with is None else lexicon.sha256 == trained_with
    if as_json:
        report = {
            "model_name": backend.model_name,
            "location": model_status.location or None,
            "versions": [{"version": version, "state": state} for version, state in model_status.versions],
            "signatures": [
                {"name": s.name, "inputs": list(s.inputs), "outputs": list(s.outputs)} for s in model_status.signatures
            ],
            "metadata": {key: value for key, value in metadata.items() if key != "vocabulary"},
            "training_lexicon_sha256": trained_with,
            "lexicon": None
            if lexicon is None
            else {"path": forbidden_path, "sha256": lexicon.sha256, "matches_training_lexicon": matches},
        }
        click.echo(json.dumps(report, sort_keys=True))
        return
    for version, state in model_status.versions:
        where = f": loaded in process from {model_status.location}" if model_status.location else f": {state}"
        click.echo(f"model {backend.model_name} version {version}{where}")
    for signature in model_status.signatures:
        click.echo(f"signature {signature.name}: ({', '.join(signature.inputs)}) -> ({', '.join(signature.outputs)})")
    if foreign := metadata.get("foreign_model"):
        click.echo(f"class_names: {metadata.get('class_names')}")
        for note in foreign["notes"]:
            click.echo(f"a model this project did not export: {note}")
        return
    for key in ("class_names", "max_tokens", "contract_version", "penalty", "created_at"):
        click.echo(f"{key}: {metadata.get(key)}")
    click.echo(f"training data sha256: {metadata.get('training_data', {}).get('sha256')}")
    click.echo(f"training lexicon sha256: {trained_with or 'none (trained without a lexicon)'}")
    if lexicon is not None:
        verdict = {True: "matches", False: "differs from", None: "cannot be checked against"}[matches]
        click.echo(f"lexicon {forbidden_path} (sha256 {lexicon.sha256[:16]}…) {verdict} the training lexicon")
    click.echo(f"metrics: {metadata.get('metrics')}")
