"""manifest.json: what an audit wrote and what decided it, as an in-toto Statement (v1), optionally signed.

- ``subject``: every output file of the audit (records, summary, reports; audit-beam's record shards) with its
  sha256, as in-toto ResourceDescriptors named by their path inside the folder.
- ``predicate`` (type PREDICATE_TYPE): the inputs that decided the result (corpus files, lexicon, substitutions,
  and the model: the files of its version folder when it was loaded from disk, or the name and version a server
  reported, said as such, since a server's files cannot be read from here), every option and gate limit, the tool
  and library versions, and when the audit ran.

With a signing key the manifest's exact bytes are also signed as a DSSE envelope (audit_engine.signing) in
ENVELOPE_JSON. audit_engine.verification checks it all back and names the first file that differs.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import importlib.metadata
import json
import os
import platform
from typing import Any

from audit_engine import outputs
from audit_engine.evaluations import AuditInputs
from audit_engine.formatting import utc_now
from audit_engine.options import AuditOptions
from audit_engine.signing import SigningKey
from protos import audit_pb2
from saliency_core.table import LOCAL_FILES, LocalFiles

MANIFEST_JSON, ENVELOPE_JSON = outputs.MANIFEST_JSON, outputs.ENVELOPE_JSON
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:saliency-audit:audit-manifest:v1"
# The audit's own outputs (audit-beam's record shards included): what a manifest binds, and what verify expects
# to find listed when it finds it in the folder.
OUTPUT_PATTERNS = (*outputs.FINAL_OUTPUTS, outputs.SHARDED_RECORDS + ".jsonl", outputs.SHARDED_RECORDS + ".csv")
LIBRARIES = ("saliency-audit", "numpy", "protobuf", "grpcio", "cryptography", "tensorflow", "keras", "apache-beam")


@dataclasses.dataclass(frozen=True)
class ModelSource:
    """Where the audited model came from: a folder on disk (its version folder's files are hashed) or servers
    (only what they report about themselves can be recorded)."""

    path: str | None = None
    servers: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class EvidenceSettings:
    """What the runner knows beyond the summary, for the manifest."""

    command: str  # e.g. "audit-cli score"
    corpus_files: tuple[tuple[str, str], ...]  # (path, sha256) of every corpus file, in reading order
    model: ModelSource
    gate_limits: dict[str, float | None]
    sign_key: SigningKey | None = None
    files: LocalFiles = LOCAL_FILES  # how the outputs, the model and the inputs are reached (audit-beam: Beam's)


def is_output(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in OUTPUT_PATTERNS)


def _descriptor(name: str, uri: str, sha256: str, **annotations: Any) -> dict[str, Any]:
    described: dict[str, Any] = {"name": name, "digest": {"sha256": sha256}}
    if uri:
        described["uri"] = uri
    if annotations:
        described["annotations"] = annotations
    return described


def _where(path: str, files: LocalFiles) -> str:
    return path if files.is_remote(path) else os.path.abspath(path)


def model_folder(source: ModelSource, version: int, files: LocalFiles = LOCAL_FILES) -> str | None:
    """The folder whose files were loaded: the version folder under a model's base path, or the path itself."""
    if not source.path:
        return None
    versioned = files.join(source.path, str(version))
    return versioned if version and files.exists(versioned) else source.path


def _model(summary: audit_pb2.AuditSummary, settings: EvidenceSettings) -> tuple[dict[str, Any], list[dict]]:
    files = settings.files
    folder = model_folder(settings.model, summary.model_version, files)
    described = {
        "name": summary.model_name,
        "version": summary.model_version,
        "signature": summary.signature_name,
        "backend": summary.backend,
    }
    if folder is None:
        if settings.model.servers:
            described["servers"] = list(settings.model.servers)
            described["source"] = "server"
            described["note"] = "name and version as the server reported them; its files were not read from here"
        else:
            described["source"] = "not recorded"
        return described, []
    described["source"] = "files"
    described["path"] = _where(folder, files)
    model_files = [
        _descriptor("model:" + name, "", files.sha256(files.join(folder, name))) for name in files.files_under(folder)
    ]
    return described, model_files


def _inputs(inputs: AuditInputs, settings: EvidenceSettings) -> list[dict[str, Any]]:
    files = settings.files
    described = [_descriptor("corpus", _where(path, files), digest) for path, digest in settings.corpus_files]

    def lexicon_facts(lexicon: Any) -> dict[str, Any]:
        return {"normalised_sha256": lexicon.sha256, "terms": len(lexicon.phrases)}

    for name, loaded, extra in (
        ("lexicon", inputs.lexicon, lexicon_facts),
        ("substitutions", inputs.substitutions, lambda x: {}),
        ("candidates", inputs.candidates, lexicon_facts),
    ):
        if loaded is not None and loaded.source:
            digest = files.sha256(loaded.source)
            described.append(_descriptor(name, _where(loaded.source, files), digest, **extra(loaded)))
    return described


def _libraries() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def output_subjects(out_dir: str, files: LocalFiles = LOCAL_FILES) -> list[dict[str, Any]]:
    """The audit's output files in ``out_dir`` with their sha256, sorted by name."""
    return [
        _descriptor(name, "", files.sha256(files.join(out_dir, name)))
        for name in files.files_under(out_dir)
        if "/" not in name and is_output(name)
    ]


def build_statement(
    out_dir: str,
    summary: audit_pb2.AuditSummary,
    options: AuditOptions,
    inputs: AuditInputs,
    settings: EvidenceSettings,
) -> dict[str, Any]:
    """The in-toto Statement of a finished audit in ``out_dir`` (module docstring)."""
    model, model_files = _model(summary, settings)
    return {
        "_type": STATEMENT_TYPE,
        "subject": output_subjects(out_dir, settings.files),
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "tool": {"name": "saliency-audit", "command": settings.command},
            "model": model,
            "inputs": _inputs(inputs, settings) + model_files,
            "options": json.loads(json.dumps(dataclasses.asdict(options))),
            "gate_limits": {name: limit for name, limit in sorted(settings.gate_limits.items()) if limit is not None},
            "verdict": summary.verdict,
            "environment": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "libraries": _libraries(),
            },
            "started_at": summary.started_at,
            "finished_at": summary.finished_at,
            "manifest_written_at": utc_now(),
        },
    }


def manifest_files(
    out_dir: str,
    summary: audit_pb2.AuditSummary,
    options: AuditOptions,
    inputs: AuditInputs,
    settings: EvidenceSettings,
) -> list[tuple[str, str]]:
    """(file name, content) to write into ``out_dir`` after every output: manifest.json, and its signed envelope
    when the settings hold a key (written in this order, so that a signed folder is never without its manifest)."""
    statement = build_statement(out_dir, summary, options, inputs, settings)
    payload = json.dumps(statement, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    written = [(MANIFEST_JSON, payload)]
    if settings.sign_key is not None:
        envelope = settings.sign_key.sign(payload.encode("utf-8"))
        written.append((ENVELOPE_JSON, json.dumps(envelope, indent=2, sort_keys=True) + "\n"))
    return written


def write_manifest(
    out_dir: str,
    summary: audit_pb2.AuditSummary,
    options: AuditOptions,
    inputs: AuditInputs,
    settings: EvidenceSettings,
) -> None:
    """Write the manifest (and envelope) into a local ``out_dir``."""
    for name, content in manifest_files(out_dir, summary, options, inputs, settings):
        outputs.write_atomic(os.path.join(out_dir, name), content)
