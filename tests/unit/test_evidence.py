"""The audit's evidence on the fake backend: manifest.json binds every output and input, the DSSE signature binds
the manifest, and verify names the first file that differs, whatever was tampered with."""

import base64
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from audit_cli.main import main
from audit_engine import outputs
from audit_engine.backends.fake import FakeBackend
from audit_engine.evaluations import AuditInputs
from audit_engine.manifest import (
    ENVELOPE_JSON,
    MANIFEST_JSON,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    EvidenceSettings,
    ModelSource,
)
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus
from audit_engine.signing import (
    PAYLOAD_TYPE,
    generate_key_pair,
    load_public_key,
    load_signing_key,
    open_envelope,
    pae,
    SignatureInvalid,
)
from audit_engine.verification import verify_bundle
from saliency_core.lexicon import load_lexicon

WEIGHTS = {"video": 3.0}
TEXTS = [f"a plain video number {i}" for i in range(20)] + [f"a plain clip number {i}" for i in range(10)]


def test_pae_is_the_dsse_specifications_encoding():
    # protocol.md, "Test Vectors" (DSSE v1.0.2)
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    generate_key_pair(str(folder / "k.pem"), str(folder / "k.pem.pub"))
    generate_key_pair(str(folder / "other.pem"), str(folder / "other.pem.pub"))
    return folder


def signed_audit(tmp_path, keys, name="audit", texts=TEXTS, model=None):
    corpus = tmp_path / f"{name}.csv"
    corpus.write_text("id,text\n" + "".join(f"d{i},{t}\n" for i, t in enumerate(texts)), encoding="utf-8")
    lexicon_path = tmp_path / "forbidden.txt"
    lexicon_path.write_text("video\nclip\n", encoding="utf-8")
    out = tmp_path / name
    evidence = EvidenceSettings(
        "test", (), ModelSource(model), {"max_flip_fraction": 0.5}, load_signing_key(str(keys / "k.pem"))
    )
    audit_corpus(
        str(corpus),
        FakeBackend(WEIGHTS, bias=-0.5),
        str(out),
        AuditOptions(id_column="id"),
        AuditInputs(load_lexicon(str(lexicon_path))),
        {"max_flip_fraction": 0.5},
        evidence=evidence,
    )
    return out


def public(keys, name="k"):
    return load_public_key(str(keys / f"{name}.pem.pub"))


def test_the_manifest_lists_every_output_and_input_and_verifies(tmp_path, keys):
    out = signed_audit(tmp_path, keys)
    statement = json.loads((out / MANIFEST_JSON).read_text())
    assert statement["_type"] == STATEMENT_TYPE and statement["predicateType"] == PREDICATE_TYPE
    assert [s["name"] for s in statement["subject"]] == sorted(outputs.FINAL_OUTPUTS)
    inputs = {d["name"]: d for d in statement["predicate"]["inputs"]}
    assert inputs["corpus"]["uri"] == str(tmp_path / "audit.csv") and inputs["lexicon"]["annotations"]["terms"] == 2
    assert statement["predicate"]["gate_limits"] == {"max_flip_fraction": 0.5}
    assert statement["predicate"]["model"]["source"] == "not recorded"
    verification = verify_bundle(str(out), public(keys))
    assert verification.passed and verification.signed_by
    assert {c.what for c in verification.checks if c.outcome == "ok"} >= {*outputs.FINAL_OUTPUTS, ENVELOPE_JSON}
    # The envelope's payload is the manifest's exact bytes, under the in-toto payload type.
    envelope = json.loads((out / ENVELOPE_JSON).read_text())
    assert envelope["payloadType"] == PAYLOAD_TYPE
    assert base64.b64decode(envelope["payload"]) == (out / MANIFEST_JSON).read_bytes()


def test_the_private_key_is_never_written_into_the_outputs(tmp_path, keys):
    out = signed_audit(tmp_path, keys)
    secret = (keys / "k.pem").read_bytes()
    body = b"".join(secret.splitlines()[1:-1])
    for name in os.listdir(out):
        data = (out / name).read_bytes()
        assert b"PRIVATE KEY" not in data and body not in data


@pytest.mark.parametrize("name", [*outputs.FINAL_OUTPUTS])
def test_an_edited_output_fails_and_is_named(tmp_path, keys, name):
    out = signed_audit(tmp_path, keys)
    with open(out / name, "ab") as f:
        f.write(b" ")
    failure = verify_bundle(str(out), public(keys)).failure
    assert failure is not None and failure.what == name and "differs" in failure.detail


def edit_manifest(out, change):
    statement = json.loads((out / MANIFEST_JSON).read_text())
    change(statement)
    (out / MANIFEST_JSON).write_text(json.dumps(statement, indent=2, sort_keys=True) + "\n")


def test_an_edited_input_digest_breaks_the_signature_and_is_caught_without_it(tmp_path, keys):
    out = signed_audit(tmp_path, keys)

    def corpus_digest(statement):
        corpus = next(d for d in statement["predicate"]["inputs"] if d["name"] == "corpus")
        corpus["digest"]["sha256"] = "0" * 64

    edit_manifest(out, corpus_digest)
    failure = verify_bundle(str(out), public(keys)).failure
    assert failure.what == MANIFEST_JSON and "signed manifest" in failure.detail
    # Unsigned (no key to check with): the corpus itself is hashed again where the audit read it.
    failure = verify_bundle(str(out)).failure
    assert failure is not None and failure.what.startswith("corpus ") and "differs" in failure.detail


def test_a_manifest_rewritten_for_edited_outputs_fails_the_signature(tmp_path, keys):
    out = signed_audit(tmp_path, keys)
    (out / outputs.REPORT_MD).write_text("# all good\n")
    from saliency_core.hashing import file_sha256

    def rehash(statement):
        for subject in statement["subject"]:
            subject["digest"]["sha256"] = file_sha256(str(out / subject["name"]))

    edit_manifest(out, rehash)
    assert verify_bundle(str(out)).passed  # without the key, a consistent forgery is all a manifest can show
    failure = verify_bundle(str(out), public(keys)).failure
    assert failure.what == MANIFEST_JSON


@pytest.mark.parametrize(
    "tamper, expected",
    [
        (lambda e: e["signatures"][0].update(sig=base64.b64encode(b"\0" * 64).decode()), "no signature"),
        (lambda e: e.update(payloadType="application/json"), "payloadType"),
        (lambda e: e.update(payload="not base64!"), "base64"),
        (lambda e: e.update(signatures=[]), "no signature"),
    ],
)
def test_a_tampered_envelope_fails(tmp_path, keys, tamper, expected):
    out = signed_audit(tmp_path, keys)
    envelope = json.loads((out / ENVELOPE_JSON).read_text())
    tamper(envelope)
    (out / ENVELOPE_JSON).write_text(json.dumps(envelope))
    failure = verify_bundle(str(out), public(keys)).failure
    assert failure.what == ENVELOPE_JSON and expected in failure.detail


def test_another_key_or_no_signature_fails_when_a_key_is_given(tmp_path, keys):
    out = signed_audit(tmp_path, keys)
    assert verify_bundle(str(out), public(keys, "other")).failure.what == ENVELOPE_JSON
    os.unlink(out / ENVELOPE_JSON)
    assert "without --sign-key" in verify_bundle(str(out), public(keys)).failure.detail
    assert verify_bundle(str(out)).passed  # unsigned is reported, not failed, when no key is asked for
    with pytest.raises(SignatureInvalid):
        open_envelope({"payloadType": PAYLOAD_TYPE, "payload": "", "signatures": "x"}, public(keys))


def test_missing_extra_and_linked_files(tmp_path, keys):
    out = signed_audit(tmp_path, keys)
    (out / "notes.txt").write_text("mine")
    verification = verify_bundle(str(out), public(keys))
    assert verification.passed and any(
        c.what == "notes.txt" and c.outcome == "not covered" for c in verification.checks
    )
    (out / "records-00000-of-00001.jsonl").write_text("{}\n")
    assert verify_bundle(str(out), public(keys)).failure.what == "records-00000-of-00001.jsonl"
    os.unlink(out / "records-00000-of-00001.jsonl")
    real = tmp_path / "elsewhere.html"
    shutil.move(out / outputs.REPORT_HTML, real)
    assert verify_bundle(str(out), public(keys)).failure.detail == "missing"
    os.symlink(real, out / outputs.REPORT_HTML)
    assert "symbolic link" in verify_bundle(str(out), public(keys)).failure.detail
    os.unlink(out / MANIFEST_JSON)
    assert "nothing binds" in verify_bundle(str(out), public(keys)).failure.detail


@pytest.mark.parametrize("bad", ["../escape.txt", "/etc/passwd", "a/../../b", "", 7])
def test_a_manifest_naming_files_outside_the_folder_fails(tmp_path, keys, bad):
    out = signed_audit(tmp_path, keys)
    edit_manifest(out, lambda s: s["subject"].append({"name": bad, "digest": {"sha256": "0" * 64}}))
    failure = verify_bundle(str(out)).failure
    assert failure is not None and "outside the folder" in failure.detail


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b"\xff\xfe", json.dumps({"_type": "x"}).encode()])
def test_a_malformed_manifest_fails_without_an_error(tmp_path, keys, content):
    out = signed_audit(tmp_path, keys)
    (out / MANIFEST_JSON).write_bytes(content)
    assert verify_bundle(str(out)).failure.what == MANIFEST_JSON


def test_inputs_moved_elsewhere_are_named_or_required(tmp_path, keys):
    out = signed_audit(tmp_path, keys)
    moved = tmp_path / "moved.csv"
    shutil.move(tmp_path / "audit.csv", moved)
    verification = verify_bundle(str(out), public(keys))
    assert verification.passed and any(
        c.outcome == "not checked" and c.what.startswith("corpus") for c in verification.checks
    )
    assert verify_bundle(str(out), public(keys), require_inputs=True).failure.what.startswith("corpus")
    assert verify_bundle(str(out), public(keys), {"corpus": str(moved)}, require_inputs=True).passed
    moved.write_text("id,text\nd0,other\n")
    assert verify_bundle(str(out), public(keys), {"corpus": str(moved)}).failure.what.startswith("corpus")


def test_the_model_folder_is_hashed_file_by_file(tmp_path, keys):
    model = tmp_path / "model"
    (model / "1" / "variables").mkdir(parents=True)
    (model / "1" / "saved_model.pb").write_bytes(b"graph")
    (model / "1" / "variables" / "variables.index").write_bytes(b"index")
    out = signed_audit(tmp_path, keys, model=str(model))
    statement = json.loads((out / MANIFEST_JSON).read_text())
    assert statement["predicate"]["model"]["path"] == str(model / "1")
    assert [d["name"] for d in statement["predicate"]["inputs"] if d["name"].startswith("model:")] == [
        "model:saved_model.pb",
        "model:variables/variables.index",
    ]
    assert verify_bundle(str(out), public(keys)).passed
    (model / "1" / "variables" / "variables.index").write_bytes(b"retrained")
    assert "variables.index" in verify_bundle(str(out), public(keys)).failure.what


def test_a_failed_manifest_leaves_the_run_unfinished(tmp_path, keys, monkeypatch):
    import audit_engine.run

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device", "manifest.json")

    monkeypatch.setattr(audit_engine.run, "write_manifest", fail)
    with pytest.raises(OSError):
        signed_audit(tmp_path, keys)
    assert not (tmp_path / "audit" / outputs.SUMMARY_JSON).exists()
    assert "manifest" in (tmp_path / "audit" / outputs.INCOMPLETE).read_text()


def test_cli_verify_and_keygen(tmp_path, keys):
    out = signed_audit(tmp_path, keys)
    runner = CliRunner()
    result = runner.invoke(main, ["verify", str(out), "--public-key", str(keys / "k.pem.pub")])
    assert result.exit_code == 0 and result.output.splitlines()[-1].startswith("verified:")
    (out / outputs.SUMMARY_JSON).write_text("{}")
    result = runner.invoke(main, ["verify", str(out), "--public-key", str(keys / "k.pem.pub"), "--quiet"])
    assert result.exit_code == 1 and "summary.json" in result.output and "Traceback" not in result.output
    for args in (
        ["verify", str(tmp_path / "none")],
        ["verify", str(out), "--public-key", str(keys / "k.pem")],
        ["verify", str(out), "--input", "corpse=x"],
        ["keygen", str(keys / "k.pem")],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) <= 4, args
    assert (keys / "k.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY")  # keygen never overwrites


def test_score_refuses_a_bad_signing_key_before_writing_anything(tmp_path, keys):
    corpus = tmp_path / "c.csv"
    corpus.write_text("text\nhello\n")
    (tmp_path / "f.txt").write_text("hello\n")
    for key in (keys / "k.pem.pub", corpus, tmp_path / "missing.pem"):
        result = CliRunner().invoke(
            main,
            [
                "score",
                str(corpus),
                "--server",
                "localhost:1",
                "--sign-key",
                str(key),
                "--out",
                str(tmp_path / "out"),
                "--forbidden",
                str(tmp_path / "f.txt"),
            ],
        )
        assert result.exit_code == 2 and result.output.startswith("error: ") and str(key) in result.output, (
            result.output
        )
        assert not (tmp_path / "out").exists()


def test_an_encrypted_key_needs_its_passphrase_from_the_environment(tmp_path, monkeypatch):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audit_engine.signing import PASSPHRASE_ENV
    from saliency_core.errors import InputError

    path = tmp_path / "locked.pem"
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")))
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    with pytest.raises(InputError, match=PASSPHRASE_ENV):
        load_signing_key(str(path))
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    with pytest.raises(InputError, match="wrong passphrase"):
        load_signing_key(str(path))
    monkeypatch.setenv(PASSPHRASE_ENV, "pw")
    assert load_signing_key(str(path)).key_id
