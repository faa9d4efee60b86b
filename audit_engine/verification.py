"""Checking an audit folder against its manifest.json (audit_engine.manifest): the signature, every output's
sha256, outputs the manifest does not list, and every input that can be found; the first file that differs is
named. A hostile folder is read, never trusted: names outside the folder, links, malformed JSON and oversized
files are failures, not errors.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
from collections.abc import Sequence
from typing import Any

from audit_engine import outputs
from audit_engine.manifest import ENVELOPE_JSON, MANIFEST_JSON, PREDICATE_TYPE, STATEMENT_TYPE, is_output
from audit_engine.signing import SignatureInvalid, key_id, open_envelope
from saliency_core.table import LOCAL_FILES, LocalFiles

MAX_MANIFEST_BYTES = 64 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclasses.dataclass(frozen=True)
class Check:
    what: str  # the file or input checked, as a reader names it
    outcome: str  # "ok", "FAILED", "not checked" or "not covered"
    detail: str = ""


@dataclasses.dataclass
class Verification:
    checks: list[Check]
    signed_by: str = ""  # the key id whose signature verified ('' when none was checked)
    statement: dict[str, Any] | None = None

    @property
    def failure(self) -> Check | None:
        return next((c for c in self.checks if c.outcome == "FAILED"), None)

    @property
    def passed(self) -> bool:
        return self.failure is None


def _read_limited(path: str, files: LocalFiles) -> bytes:
    with files.open(path) as f:
        data = f.read(MAX_MANIFEST_BYTES + 1)
    if len(data) > MAX_MANIFEST_BYTES:
        raise ValueError(f"over {MAX_MANIFEST_BYTES >> 20} MiB")
    return data


def _safe_name(name: Any) -> bool:
    """A file name a manifest may list: a plain relative path inside the folder."""
    if not isinstance(name, str) or not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _digest_of(described: Any) -> str | None:
    digest = described.get("digest") if isinstance(described, dict) else None
    value = digest.get("sha256") if isinstance(digest, dict) else None
    return value if isinstance(value, str) and _SHA256.match(value) else None


def _regular(path: str, files: LocalFiles) -> str:
    """'' when ``path`` is a regular file (or on a file system without links), else why it is not checked."""
    if files.is_remote(path):
        return "" if files.exists(path) else "missing"
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(status.st_mode):
        return "is a symbolic link, not the file the audit wrote"
    return "" if stat.S_ISREG(status.st_mode) else "is not a regular file"


def _check_file(what: str, path: str, expected: str | None, files: LocalFiles, missing_fails: bool = True) -> Check:
    if expected is None:
        return Check(what, "FAILED", "the manifest gives no sha256 for it")
    problem = _regular(path, files)
    if problem == "missing" and not missing_fails:
        return Check(what, "not checked", f"not found at {path}")
    if problem:
        return Check(what, "FAILED", problem)
    actual = files.sha256(path)
    if actual != expected:
        return Check(what, "FAILED", f"sha256 {actual[:16]}… differs from the manifest's {expected[:16]}…")
    return Check(what, "ok", f"sha256 {actual[:16]}…")


def _statement(folder: str, public_key: Any, files: LocalFiles, checks: list[Check]) -> tuple[dict | None, str]:
    """The manifest's statement (None when it cannot be trusted) and the id of the key that signed it."""
    path = files.join(folder, MANIFEST_JSON)
    problem = _regular(path, files)
    if problem:
        checks.append(
            Check(
                MANIFEST_JSON,
                "FAILED",
                "no manifest: nothing binds this folder's files" if problem == "missing" else problem,
            )
        )
        return None, ""
    try:
        payload = _read_limited(path, files)
        statement = json.loads(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        checks.append(Check(MANIFEST_JSON, "FAILED", f"not a JSON manifest ({str(error).splitlines()[0]})"))
        return None, ""
    if (
        not isinstance(statement, dict)
        or statement.get("_type") != STATEMENT_TYPE
        or statement.get("predicateType") != PREDICATE_TYPE
        or not isinstance(statement.get("subject"), list)
    ):
        checks.append(Check(MANIFEST_JSON, "FAILED", "not an audit manifest (in-toto Statement v1 of this tool)"))
        return None, ""
    signer = ""
    envelope_path = files.join(folder, ENVELOPE_JSON)
    if public_key is None:
        note = "present; give --public-key to check it" if files.exists(envelope_path) else "unsigned"
        checks.append(Check(ENVELOPE_JSON, "not checked", note))
    else:
        problem = _regular(envelope_path, files)
        if problem:
            checks.append(
                Check(
                    ENVELOPE_JSON,
                    "FAILED",
                    "no signature (the audit ran without --sign-key)" if problem == "missing" else problem,
                )
            )
            return None, ""
        try:
            signed = open_envelope(json.loads(_read_limited(envelope_path, files).decode("utf-8")), public_key)
        except (ValueError, UnicodeDecodeError, SignatureInvalid) as error:
            checks.append(Check(ENVELOPE_JSON, "FAILED", str(error).splitlines()[0]))
            return None, ""
        if signed != payload:
            checks.append(Check(MANIFEST_JSON, "FAILED", "differs from the signed manifest in " + ENVELOPE_JSON))
            return None, ""
        signer = key_id(public_key)
        checks.append(Check(ENVELOPE_JSON, "ok", f"signed by key {signer[:16]}…"))
    checks.append(Check(MANIFEST_JSON, "ok", f"{len(statement['subject'])} output files listed"))
    return statement, signer


def verify_bundle(
    folder: str,
    public_key: Any = None,
    input_paths: dict[str, str] | None = None,
    require_inputs: bool = False,
    files: LocalFiles = LOCAL_FILES,
) -> Verification:
    """Check an audit folder against its manifest: the signature (with ``public_key``), every output's sha256,
    outputs the manifest does not list, and every input found (at its recorded place, or at ``input_paths``:
    {"corpus" | "lexicon" | "substitutions" | "candidates" | "model": path}; inputs not found fail only with
    ``require_inputs``)."""
    checks: list[Check] = []
    statement, signer = _statement(folder, public_key, files, checks)
    if statement is None:
        return Verification(checks)
    listed = set()
    for described in statement["subject"]:
        name = described.get("name") if isinstance(described, dict) else None
        if not isinstance(name, str) or not _safe_name(name):
            checks.append(Check(str(name), "FAILED", "the manifest names a file outside the folder"))
            continue
        listed.add(name)
        checks.append(_check_file(name, files.join(folder, name), _digest_of(described), files))
    for name in files.files_under(folder):
        if name not in listed and name not in (MANIFEST_JSON, ENVELOPE_JSON):
            if is_output(name):
                checks.append(Check(name, "FAILED", "an audit output the manifest does not list"))
            elif name != outputs.LOCK:
                checks.append(Check(name, "not covered", "not in the manifest: nothing vouches for it"))
    raw = statement.get("predicate")
    predicate: dict[str, Any] = raw if isinstance(raw, dict) else {}
    checks += _input_checks(predicate, input_paths or {}, require_inputs, files)
    return Verification(checks, signer, statement)


def _input_checks(
    predicate: dict[str, Any], given: dict[str, str], require_inputs: bool, files: LocalFiles
) -> list[Check]:
    checks = []
    described = [d for d in predicate.get("inputs") or () if isinstance(d, dict)]
    raw = predicate.get("model")
    model: dict[str, Any] = raw if isinstance(raw, dict) else {}
    corpus = [d for d in described if d.get("name") == "corpus"]
    if "corpus" in given and len(corpus) > 1:
        checks.append(Check("corpus", "FAILED", f"--input corpus=PATH names one file; the audit read {len(corpus)}"))
        return checks
    for item in described:
        name = str(item.get("name", ""))
        if name.startswith("model:"):
            relative = name[len("model:") :]
            base = given.get("model") or str(model.get("path") or "")
            if not _safe_name(relative) or not base:
                checks.append(Check(name, "FAILED", "the manifest names a model file outside the model's folder"))
                continue
            path = files.join(base, relative)
        else:
            path = given.get(name) or str(item.get("uri") or "")
        what = f"{name} {path}" if not name.startswith("model:") else f"model file {path}"
        checks.append(_check_file(what, path, _digest_of(item), files, missing_fails=require_inputs))
    if model.get("source") == "server":
        checks.append(
            Check(
                f"model {model.get('name')} v{model.get('version')}",
                "not checked",
                "audited through a server: its files were not hashed",
            )
        )
    return checks


def first_failure_line(verification: Verification) -> str:
    failure = verification.failure
    return f"{failure.what}: {failure.detail}" if failure else ""


def summary_lines(verification: Verification) -> Sequence[str]:
    """The checks as a reader sees them: one line each."""
    width = max((len(c.outcome) for c in verification.checks), default=0)
    return [f"{c.outcome.ljust(width)}  {c.what}" + (f": {c.detail}" if c.detail else "") for c in verification.checks]
