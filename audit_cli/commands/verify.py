"""audit-cli verify: check an audit folder against its manifest (and signature)."""

import click

from cli_common.console import printable
from cli_common.errors import exit_on_input_error
from saliency_core.errors import EXIT_GATE_FAILED, InputError

INPUT_KINDS = ("corpus", "lexicon", "substitutions", "candidates", "model")


def parse_inputs(values):
    """KIND=PATH values -> {kind: path}; a usage error names the kinds allowed."""
    given = {}
    for value in values:
        kind, separator, path = value.partition("=")
        if not separator or kind not in INPUT_KINDS or not path:
            raise click.BadParameter(
                f"expected KIND=PATH with KIND in {list(INPUT_KINDS)}, got {value!r}", param_hint="--input"
            )
        given[kind] = path
    return given


@click.command()
@click.argument("folder")
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False),
    metavar="KEY.pub",
    help="Ed25519 public key (PEM) the manifest must be signed with: without it the signature is not checked.",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="KIND=PATH",
    help="Where an input is on this machine when not where the audit read it (KIND: corpus, lexicon, candidates, "
    "substitutions, model: the model's version folder). Repeatable.",
)
@click.option(
    "--require-inputs",
    is_flag=True,
    help="An input that cannot be found here fails the check (default: it is reported as not checked).",
)
@click.option("--quiet", is_flag=True, help="Print only the verdict line.")
@exit_on_input_error
def verify(folder, public_key, inputs, require_inputs, quiet):
    """Check an audit folder against its manifest.json and signature: in FOLDER, the signature (with
    --public-key), the sha256 of every output, outputs the manifest does not list, and every input found (the
    corpus, lexicon, substitutions and candidates where the audit read them, the model's files when it was loaded
    from disk).

    FOLDER may be an audit-beam output on any file system Beam knows (gs://...; needs the beam extra).

    \b
    Examples:
      audit-cli verify audit-output --public-key team.pub
      audit-cli verify audit-output --public-key team.pub --input corpus=/data/corpus.csv --require-inputs

    Exit codes: 0 verified, 1 a file differs from the manifest or the signature does not verify (the first
    such file is named), 2 usage error (no such folder, unreadable key).
    """
    import os

    from audit_engine.signing import load_public_key
    from audit_engine.verification import summary_lines, verify_bundle

    given = parse_inputs(inputs)
    key = load_public_key(public_key) if public_key else None
    files = _files_for(folder)
    if files is None and not os.path.isdir(folder):
        raise InputError("no such folder", folder)
    verification = verify_bundle(folder, key, given, require_inputs, **({"files": files} if files else {}))
    if not quiet:
        for line in summary_lines(verification):
            click.echo(printable(line))
    failure = verification.failure
    if failure is not None:
        click.echo(printable(f"FAILED: {folder}: {failure.what}: {failure.detail}"), err=True)
        raise SystemExit(EXIT_GATE_FAILED)
    signed = f"signed by key {verification.signed_by}" if verification.signed_by else "signature not checked"
    click.echo(printable(f"verified: {folder} ({signed})"))


def _files_for(folder):
    """Beam's file systems for a path with a scheme (gs://, s3://, ...); None for a local folder."""
    from audit_beam.files import BEAM_FILES, is_remote

    if not is_remote(folder):
        return None
    try:
        import apache_beam  # noqa: F401
    except ImportError:
        raise InputError(
            "a folder on a remote file system needs Apache Beam: pip install 'saliency-audit[beam]'", folder
        ) from None
    return BEAM_FILES
