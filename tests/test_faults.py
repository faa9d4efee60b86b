"""Faults with real processes: server killed mid-audit, server gone for good, audit-cli signalled."""

import csv
import json
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, ServerProcess, start_command

from audit_engine.backends.tf_serving import GrpcBackend

TIMING_FIELDS = ("started_at", "finished_at", "seconds", "documents_per_second", "backend")

pytestmark = pytest.mark.slow  # real audit-serve processes, killed and restarted


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory):
    from saliency_demo.example_data import generate
    path = tmp_path_factory.mktemp("faults") / "corpus.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for i, (text, _) in enumerate(generate(3000, seed=11, decoy="random")):
            writer.writerow([f"d{i}", text])
    return str(path)


@pytest.fixture()
def server(tiny_export, tmp_path):
    base = tmp_path / "tiny"
    shutil.copytree(tiny_export.export_path, base / "1")
    process = ServerProcess("tiny", str(base))
    yield process
    process.stop()


def audit_command(corpus, server, out, example_paths, *extra):
    return [sys.executable, "-m", "audit_cli", "score", corpus, "--server", server.address, "--model-name",
            "tiny", "--forbidden", example_paths["forbidden"], "--id-column", "id", "--out", str(out),
            "--batch-size", "4", "--max-in-flight", "2", "--checkpoint-seconds", "0.1", "--quiet", *extra]


def start_audit(*args, sigint=signal.SIG_DFL):
    return start_command(args, sigint, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_records(out, count, process, timeout=120):
    partial = out / "records.jsonl.partial"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if partial.exists() and sum(1 for _ in open(partial)) >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("the audit made no progress")


def assert_same_outputs(out, baseline):
    assert (out / "records.jsonl").read_text() == (baseline / "records.jsonl").read_text()
    assert (out / "records.csv").read_text() == (baseline / "records.csv").read_text()
    ours, theirs = (json.loads((d / "summary.json").read_text()) for d in (out, baseline))
    for field in TIMING_FIELDS:
        ours.pop(field), theirs.pop(field)
    assert ours == theirs
    assert not (out / "INCOMPLETE").exists() and not (out / "checkpoint.json").exists()


@pytest.fixture()
def baseline(big_corpus, server, example_paths, tmp_path):
    out = tmp_path / "baseline"
    done = subprocess.run(audit_command(big_corpus, server, out, example_paths), cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert sum(1 for _ in open(out / "records.jsonl")) == 3000
    return out


def test_server_killed_and_restarted_mid_audit(big_corpus, server, baseline, example_paths, tmp_path):
    out = tmp_path / "out"
    audit = start_audit(*audit_command(big_corpus, server, out, example_paths, "--deadline", "60"))
    wait_for_records(out, 200, audit)
    server.kill()
    time.sleep(1.0)
    server.start()
    _, stderr = audit.communicate(timeout=300)
    assert audit.returncode == 0, stderr
    assert_same_outputs(out, baseline)


def test_server_gone_past_retry_budget_then_resume(big_corpus, server, baseline, example_paths, tmp_path):
    out = tmp_path / "out"
    audit = start_audit(*audit_command(big_corpus, server, out, example_paths, "--deadline", "2"))
    wait_for_records(out, 200, audit)
    server.kill()
    _, stderr = audit.communicate(timeout=300)
    assert audit.returncode == 3, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    assert not (out / "summary.json").exists() and (out / "INCOMPLETE").exists()
    committed = json.loads((out / "checkpoint.json").read_text())["records"]
    assert 200 <= committed < 3000
    server.start()
    resumed = subprocess.run(audit_command(big_corpus, server, out, example_paths, "--resume"), cwd=ROOT,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_outputs(out, baseline)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_saves_resume_state(big_corpus, server, baseline, example_paths, tmp_path, signum, code):
    out = tmp_path / "out"
    audit = start_audit(*audit_command(big_corpus, server, out, example_paths))
    wait_for_records(out, 200, audit)
    audit.send_signal(signum)
    _, stderr = audit.communicate(timeout=120)
    assert audit.returncode == code, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    assert not (out / "summary.json").exists() and not (out / "records.jsonl").exists()
    assert (out / "INCOMPLETE").exists()
    resumed = subprocess.run(audit_command(big_corpus, server, out, example_paths, "--resume"), cwd=ROOT,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_outputs(out, baseline)


def test_sigint_ignored_at_start_stays_ignored(big_corpus, server, baseline, example_paths, tmp_path):
    """A background job of a shell without job control starts with SIGINT ignored (the terminal's Ctrl-C is not
    meant for it): the audit leaves it ignored and finishes, with the records of an audit never signalled."""
    out = tmp_path / "out"
    audit = start_audit(*audit_command(big_corpus, server, out, example_paths), sigint=signal.SIG_IGN)
    wait_for_records(out, 200, audit)
    audit.send_signal(signal.SIGINT)
    _, stderr = audit.communicate(timeout=120)
    assert audit.returncode == 0, stderr
    assert_same_outputs(out, baseline)


def test_resume_refuses_a_different_input(big_corpus, server, example_paths, tmp_path):
    out = tmp_path / "out"
    audit = start_audit(*audit_command(big_corpus, server, out, example_paths))
    wait_for_records(out, 100, audit)
    audit.send_signal(signal.SIGTERM)
    audit.communicate(timeout=120)
    done = subprocess.run(audit_command(example_paths["test_clean"], server, out, example_paths, "--resume"),
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "input_sha256 differs" in done.stderr


def test_response_over_the_message_limit_is_split(server, example_paths):
    from saliency_demo.example_data import generate
    texts = [text for text, _ in generate(64, seed=5)]
    whole = GrpcBackend([server.address], "tiny").explain(texts)
    # One response for 64 texts is ~10 KB; a 4 KB limit forces the client to split the batch.
    small = GrpcBackend([server.address], "tiny", message_limit=4096)
    split = small.explain(texts)
    for name in ("probabilities", "saliency", "tokens", "predicted_label", "token_count"):
        np.testing.assert_array_equal(getattr(split, name), getattr(whole, name))
