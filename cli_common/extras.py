"""Commands that need an optional extra say so in one line when it is missing, --help included."""

import importlib.util

import click

from saliency_core.errors import EXIT_INPUT


def require_extra(command: str, module: str, extra: str) -> None:
    """Exit with one line (code 2) when ``module`` cannot be imported: the light install has no TensorFlow."""
    if importlib.util.find_spec(module) is None:
        click.echo(
            f"error: {command} needs {module}, which this install lacks: pip install 'saliency-audit[{extra}]'",
            err=True,
        )
        raise SystemExit(EXIT_INPUT)
