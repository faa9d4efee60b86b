"""audit-cli keygen: a new Ed25519 key pair for signing audits."""

import click

from cli_common.errors import exit_on_input_error


@click.command()
@click.argument("private_key", type=click.Path(dir_okay=False), metavar="KEY.pem")
@exit_on_input_error
def keygen(private_key):
    """A new Ed25519 key pair for signing audits: the private key in KEY.pem (mode 0600), its public key in
    KEY.pem.pub. Never overwrites a file. The same keys as `openssl genpkey -algorithm ed25519` (PKCS#8 /
    SubjectPublicKeyInfo PEM).

    \b
    Example:
      audit-cli keygen team.pem && audit-cli score corpus.csv --model m --forbidden f.txt --sign-key team.pem
      audit-cli verify audit-output --public-key team.pem.pub
    """
    from audit_engine.signing import generate_key_pair

    identity = generate_key_pair(private_key, private_key + ".pub")
    click.echo(f"private key: {private_key} (keep it secret)\npublic key: {private_key}.pub\nkey id: {identity}")
