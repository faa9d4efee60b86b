"""audit-serve with server TLS and mutual TLS; certificates made here by a throwaway CA."""

import datetime
import ipaddress
import shutil

import pytest
from click.testing import CliRunner
from conftest import ServerProcess
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from audit_cli.main import main as audit_cli

pytestmark = pytest.mark.slow  # real audit-serve processes with certificates made here


def make_certificate(name, issuer_key=None, issuer_name=None, is_ca=False, server=False):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    certificate = builder.sign(issuer_key or key, hashes.SHA256())
    return key, certificate


def write_pair(directory, stem, key, certificate):
    key_path, cert_path = directory / f"{stem}.key", directory / f"{stem}.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = make_certificate("test CA", is_ca=True)
    paths = {"ca": write_pair(directory, "ca", ca_key, ca_cert)[1]}
    paths["server"] = write_pair(directory, "server", *make_certificate("localhost", ca_key, ca_cert.subject, server=True))
    paths["client"] = write_pair(directory, "client", *make_certificate("auditor", ca_key, ca_cert.subject))
    other_key, other_cert = make_certificate("other CA", is_ca=True)
    paths["stranger"] = write_pair(directory, "stranger", *make_certificate("stranger", other_key, other_cert.subject))
    return paths


def status(address, *tls):
    return CliRunner().invoke(audit_cli, ["status", "--server", address, "--model-name", "tiny", "--deadline", "3",
                                          *tls])


@pytest.fixture()
def base(tiny_export, tmp_path):
    path = tmp_path / "tiny"
    shutil.copytree(tiny_export.export_path, path / "1")
    return str(path)


def test_server_tls(pki, base):
    key, cert = pki["server"]
    server = ServerProcess("tiny", base, ["--tls-cert", cert, "--tls-key", key])
    try:
        address = f"localhost:{server.port}"
        assert status(address, "--tls-ca", pki["ca"]).exit_code == 0
        plaintext = status(address, "--wait-for-server", "2")
        assert plaintext.exit_code == 2 and "server unreachable" in plaintext.output
    finally:
        server.stop()


def test_mutual_tls(pki, base):
    key, cert = pki["server"]
    server = ServerProcess("tiny", base, ["--tls-cert", cert, "--tls-key", key, "--tls-client-ca", pki["ca"]])
    try:
        address = f"localhost:{server.port}"
        client_key, client_cert = pki["client"]
        ok = status(address, "--tls-ca", pki["ca"], "--tls-cert", client_cert, "--tls-key", client_key)
        assert ok.exit_code == 0, ok.output
        assert "AVAILABLE" in ok.output
        # Refused handshakes look like a server that is not up yet: a short wait keeps the test quick.
        no_certificate = status(address, "--tls-ca", pki["ca"], "--wait-for-server", "2")
        assert no_certificate.exit_code == 2 and "server unreachable" in no_certificate.output
        stranger_key, stranger_cert = pki["stranger"]
        stranger = status(address, "--tls-ca", pki["ca"], "--tls-cert", stranger_cert, "--tls-key", stranger_key,
                          "--wait-for-server", "2")
        assert stranger.exit_code == 2 and "server unreachable" in stranger.output
    finally:
        server.stop()
