"""audit-cli status: the model's versions, signatures and training metadata."""

import click

from audit_cli.console import say_waiting
from audit_cli.options import backend_options
from cli_common.errors import exit_on_input_error
from saliency_core.errors import EXIT_SERVER_FAILED


@click.command()
@backend_options
@exit_on_input_error
def status(backend, attribution):
    """Model status, signatures and training metadata from the server (or the embedded model)."""
    from audit_engine.backends import ServerError, open_backend

    backend = open_backend(backend, on_wait=say_waiting)
    try:
        model_status = backend.model_status()
        for version, state in model_status.versions:
            where = f": loaded in process from {model_status.location}" if model_status.location else f": {state}"
            click.echo(f"model {backend.model_name} version {version}{where}")
        for signature in model_status.signatures:
            click.echo(
                f"signature {signature.name}: ({', '.join(signature.inputs)}) -> ({', '.join(signature.outputs)})"
            )
        metadata = backend.metadata()
    except ServerError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(EXIT_SERVER_FAILED) from None
    finally:
        backend.close()
    for key in ("class_names", "max_tokens", "contract_version", "penalty", "created_at"):
        click.echo(f"{key}: {metadata.get(key)}")
    click.echo(f"training data sha256: {metadata.get('training_data', {}).get('sha256')}")
    click.echo(f"metrics: {metadata.get('metrics')}")
