"""Signatures on an audit's manifest: a DSSE envelope (the Dead Simple Signing Envelope that in-toto attestations,
Sigstore and SLSA use) around the manifest's bytes, signed with Ed25519 through the ``cryptography`` package.

A DSSE signature covers PAE(payloadType, payload) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, so the
payload's type is part of what is signed. Keys are PEM files as OpenSSL writes them (``openssl genpkey -algorithm
ed25519``; ``audit-cli keygen``): PKCS#8 private keys, SubjectPublicKeyInfo public keys. An encrypted private key
takes its passphrase from the environment variable PASSPHRASE_ENV, never from a flag (a flag shows in ``ps``).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
from typing import Any

from saliency_core.errors import InputError

PAYLOAD_TYPE = "application/vnd.in-toto+json"
PASSPHRASE_ENV = "SALIENCY_AUDIT_KEY_PASSPHRASE"
MAX_KEY_BYTES = 64 * 1024  # a PEM key is a few hundred bytes: anything far larger is not a key


class SignatureInvalid(Exception):
    """The envelope is malformed, signed by another key, or its signature does not cover its payload."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding of ``payload`` (bytes) under ``payload_type``."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public_key: Any) -> str:
    """sha256 of the public key's DER SubjectPublicKeyInfo, in hex: which key signed (a hint, not a trust)."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _read_key_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_KEY_BYTES + 1)
    except FileNotFoundError:
        raise InputError("key file not found", path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a key file", path) from None
    except PermissionError:
        raise InputError("key file is not readable (permission denied)", path) from None
    if len(data) > MAX_KEY_BYTES:
        raise InputError(f"is over {MAX_KEY_BYTES // 1024} KiB: not a PEM key", path)
    return data


@dataclasses.dataclass(frozen=True)
class SigningKey:
    private_key: Any  # cryptography's Ed25519PrivateKey
    key_id: str

    def sign(self, payload: bytes, payload_type: str = PAYLOAD_TYPE) -> dict[str, Any]:
        """The DSSE envelope (as JSON-ready dict) of ``payload`` signed with this key."""
        signature = self.private_key.sign(pae(payload_type, payload))
        return {
            "payload": base64.b64encode(payload).decode("ascii"),
            "payloadType": payload_type,
            "signatures": [{"keyid": self.key_id, "sig": base64.b64encode(signature).decode("ascii")}],
        }


def load_signing_key(path: str) -> SigningKey:
    """The Ed25519 private key in the PEM file at ``path``; InputError (one line) for anything else."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read_key_file(path)
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        key = serialization.load_pem_private_key(data, passphrase.encode("utf-8") if passphrase else None)
    except TypeError:
        raise InputError(f"the private key is encrypted: set {PASSPHRASE_ENV} to its passphrase", path) from None
    except ValueError as error:
        reason = "wrong passphrase or " if passphrase else ""
        raise InputError(f"not a readable PEM private key ({reason}{str(error).splitlines()[0]})", path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"is a {type(key).__name__.removeprefix('_')}; signing needs an Ed25519 key", path)
    return SigningKey(key, key_id(key.public_key()))


def load_public_key(path: str) -> Any:
    """The Ed25519 public key in the PEM file at ``path``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read_key_file(path)
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        hint = " (this is a private key: pass its .pub)" if b"PRIVATE KEY" in data else ""
        raise InputError(f"not a PEM public key{hint}", path) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"is a {type(key).__name__.removeprefix('_')}; verifying needs an Ed25519 key", path)
    return key


def _decoded(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise SignatureInvalid(f"the envelope's {what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid(f"the envelope's {what} is not valid base64") from None


def open_envelope(envelope: Any, public_key: Any) -> bytes:
    """The payload bytes of ``envelope`` (a parsed DSSE envelope) when one of its signatures is ``public_key``'s
    over PAE(payloadType, payload); SignatureInvalid otherwise. The bytes returned are the ones verified."""
    from cryptography.exceptions import InvalidSignature

    if not isinstance(envelope, dict):
        raise SignatureInvalid("the envelope is not a JSON object")
    payload_type = envelope.get("payloadType")
    if payload_type != PAYLOAD_TYPE:
        raise SignatureInvalid(f"the envelope's payloadType is {payload_type!r}, not {PAYLOAD_TYPE!r}")
    payload = _decoded(envelope.get("payload"), "payload")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise SignatureInvalid("the envelope holds no signature")
    wanted = key_id(public_key)
    message = pae(payload_type, payload)
    for entry in signatures:
        if not isinstance(entry, dict):
            raise SignatureInvalid("a signature of the envelope is not a JSON object")
        if entry.get("keyid") not in (None, "", wanted):
            continue
        try:
            public_key.verify(_decoded(entry.get("sig"), "signature"), message)
            return payload
        except InvalidSignature:
            continue
    raise SignatureInvalid("no signature in the envelope verifies with this public key")


def generate_key_pair(private_path: str, public_path: str) -> str:
    """A new Ed25519 key: the private key (mode 0600, never over an existing file) and its public key; returns
    the key's id."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for path in (private_path, public_path):
        if os.path.lexists(path):
            raise InputError("already exists: a key is never overwritten", path)
    for path, data, mode in ((private_path, private, 0o600), (public_path, public, 0o644)):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        except FileExistsError:
            raise InputError("already exists: a key is never overwritten", path) from None
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    return key_id(key.public_key())
