"""Our DSSE envelopes against the reference implementation (securesystemslib, the Secure Systems Lab's own, in the
test extra): an envelope we sign verifies there, and one it signs verifies here; a changed payload fails both."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

from audit_engine.signing import PAYLOAD_TYPE, SignatureInvalid, SigningKey, key_id, open_envelope, pae

STATEMENT = json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicate": {}}).encode()


def test_the_reference_verifies_our_envelope_and_its_encoding_matches():
    private = Ed25519PrivateKey.generate()
    ours = SigningKey(private, key_id(private.public_key())).sign(STATEMENT)
    reference_key = SSlibKey.from_crypto(private.public_key(), keyid=key_id(private.public_key()))
    envelope = Envelope.from_dict(ours)
    assert envelope.pae() == pae(PAYLOAD_TYPE, STATEMENT)
    assert list(envelope.verify([reference_key], 1)) == [reference_key.keyid]
    envelope.payload = STATEMENT + b" "
    with pytest.raises(VerificationError):
        envelope.verify([reference_key], 1)


def test_we_verify_the_references_envelope():
    private = Ed25519PrivateKey.generate()
    signer = CryptoSigner(private, SSlibKey.from_crypto(private.public_key(), keyid=key_id(private.public_key())))
    envelope = Envelope(STATEMENT, PAYLOAD_TYPE, {})
    envelope.sign(signer)
    assert open_envelope(envelope.to_dict(), private.public_key()) == STATEMENT
    changed = dict(envelope.to_dict(), payload=base64.b64encode(STATEMENT + b" ").decode())
    with pytest.raises(SignatureInvalid):
        open_envelope(changed, private.public_key())
