import csv
import html.parser
import json
import os
import re
import shutil
import time

import grpc
import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner
from conftest import ServerProcess, count_record_encoders
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from audit_cli.main import main as audit_cli
from saliency_core import contract
from serving.session_model import SessionModel


def run(args):
    result = CliRunner().invoke(audit_cli, args, catch_exceptions=False)
    return result


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.mark.slow
def test_score_via_audit_serve_matches_independent_computation(tiny_server, tiny_export, example_paths, tmp_path):
    out = tmp_path / "out"
    result = run(["score", example_paths["test_decoy"], "--server", tiny_server.address, "--model-name", "tiny",
                  "--forbidden", example_paths["forbidden"], "--id-column", "id", "--label-column", "label",
                  "--out", str(out), "--batch-size", "7", "--max-in-flight", "3", "--quiet", "--no-windows"])
    # --no-windows: one model call per text is what is recomputed here (tests/test_windows.py checks windows).
    assert result.exit_code == 0, result.output
    with open(example_paths["test_decoy"]) as f:
        rows = list(csv.DictReader(f))
    records = read_jsonl(out / "records.jsonl")
    assert len(records) == len(rows)
    assert [r["id"] for r in records] == [row["id"] for row in rows]
    # Independent computation: the SavedModel in process and plain token comparison.
    outputs = SessionModel(tiny_export.export_path).explain([row["text"] for row in rows])
    with_terms = 0
    for index, record in enumerate(records):
        tokens = [t.decode() for t in outputs[contract.TOKENS][index] if t]
        saliency = outputs[contract.SALIENCY][index][:len(tokens)]
        forbidden = np.array([t in ("text", "video") for t in tokens])
        with_terms += bool(forbidden.any())
        assert bool(record.get("forbidden_terms")) == bool(forbidden.any())
        expected_share = saliency[forbidden].sum() / saliency.sum()
        assert record["forbidden_share"] == pytest.approx(expected_share, abs=1e-5)
        assert record["saliency_mass"] == pytest.approx(saliency.sum(), abs=1e-5)
        by_position = {t["position"]: t["saliency"] for t in record["top_tokens"]}
        for position, value in by_position.items():
            assert value == pytest.approx(saliency[position], abs=1e-5)
        assert record["predicted_label"] == outputs[contract.PREDICTED_LABEL][index].decode()
    summary = json.loads((out / "summary.json").read_text())
    # protobuf's JSON mapping writes int64 as strings.
    assert summary["complete"] and int(summary["documents"]) == len(rows) and summary["model_version"] == "1"
    assert int(summary["with_forbidden_terms"]) == with_terms > 0
    assert 0 <= summary["accuracy"] <= 1 and int(summary["labelled"]) == len(rows)
    with open(out / "records.csv") as f:
        assert len(list(csv.DictReader(f))) == len(rows)


@pytest.mark.slow
def test_grpc_and_embedded_paths_give_identical_records(tiny_server, tiny_export, example_paths, tmp_path):
    common = [example_paths["test_clean"], "--forbidden", example_paths["forbidden"], "--quiet", "--batch-size", "16"]
    assert run(["score", *common, "--server", tiny_server.address, "--model-name", "tiny",
                "--out", str(tmp_path / "grpc")]).exit_code == 0
    assert run(["score", *common, "--model", os.path.dirname(tiny_export.export_path),
                "--out", str(tmp_path / "embedded")]).exit_code == 0
    assert (tmp_path / "grpc" / "records.jsonl").read_text() == (tmp_path / "embedded" / "records.jsonl").read_text()


def write_csv(path, rows, header=("id", "text")):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_oov_forbidden_words_and_phrases_are_found(tiny_export, tmp_path):
    corpus = write_csv(tmp_path / "c.csv", [("a", "Zorblax said the Plot is dull"), ("b", "nothing here"),
                                            ("c", "the plot thickens, ZORBLAX!")])
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("# comment\n\nzorblax\nZorblax\nthe plot\n")
    result = run(["score", corpus, "--model", tiny_export.export_path, "--forbidden", str(lexicon),
                  "--id-column", "id", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    records = read_jsonl(tmp_path / "o" / "records.jsonl")
    terms = [[(t["term"], t.get("start", 0), t["end"]) for t in r.get("forbidden_terms", [])] for r in records]
    assert terms[0] == [("zorblax", 0, 1), ("the plot", 2, 4)]
    assert terms[1] == []
    assert terms[2] == [("the plot", 0, 2), ("zorblax", 3, 4)]
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["lexicon_terms"] == "2"  # normalised: comment, blank line and case duplicate dropped
    assert {t["term"]: int(t["documents"]) for t in summary["terms"]} == {"zorblax": 2, "the plot": 2}


def test_score_starts_its_encoding_child_before_the_model_loads(tiny_export, example_paths, tmp_path, monkeypatch):
    from audit_engine import record_encoding

    args = ["score", example_paths["test_decoy"], "--model", tiny_export.export_path, "--forbidden",
            example_paths["forbidden"], "--id-column", "id", "--batch-size", "8", "--quiet"]
    assert run([*args, "--out", str(tmp_path / "here")]).exit_code == 0
    started = count_record_encoders(monkeypatch)
    monkeypatch.setattr(record_encoding, "EARLY_START_BYTES", 0)  # the example corpus is small
    monkeypatch.setattr(record_encoding, "CHILD_MIN_SECONDS_LEFT", float("inf"))  # no child but the early one
    assert run([*args, "--out", str(tmp_path / "early")]).exit_code == 0
    assert len(started) == 1 and started[0]._process.poll() is not None
    assert started[0].windows > 1  # the audit encoded its windows there, the first one too
    for name in ("records.jsonl", "records.csv"):
        assert (tmp_path / "early" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


@pytest.mark.slow
def test_gates_and_exit_codes(tiny_export, example_paths, tmp_path):
    base = ["score", example_paths["test_decoy"], "--model", tiny_export.export_path,
            "--forbidden", example_paths["forbidden"], "--quiet"]
    assert run([*base, "--out", str(tmp_path / "a"), "--max-flagged-fraction", "1", "--fail-above", "1"]).exit_code == 0
    failed = run([*base, "--out", str(tmp_path / "b"), "--fail-above", "0"])
    assert failed.exit_code == 1 and "fail_above" in failed.output and "FAIL" in failed.output
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["gates"][0]["passed"] is False
    assert run([*base, "--out", str(tmp_path / "c"), "--max-flagged-fraction", "1.5"]).exit_code == 2
    missing = run([*base, "--out", str(tmp_path / "d"), "--text-column", "body"])
    assert missing.exit_code == 2
    assert "column 'body'" in missing.output and "columns found" in missing.output
    assert len(missing.output.strip().splitlines()) == 1


class _Checker(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in ("meta", "br", "rect"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()


def test_html_report_is_self_contained_and_escapes_text(tiny_export, tmp_path):
    corpus = write_csv(tmp_path / "c.csv", [("x1", "<script>alert(1)</script> text is dull"),
                                            ("x2", "<img src=x onerror=alert(2)> video wonderful"),
                                            ("x3", "=cmd|' /C calc'!A0 text")])
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("text\nvideo\n")
    assert run(["score", corpus, "--model", tiny_export.export_path, "--forbidden", str(lexicon),
                "--id-column", "id", "--out", str(tmp_path / "o"), "--quiet"]).exit_code == 0
    page = (tmp_path / "o" / "report.html").read_text()
    checker = _Checker()
    checker.feed(page)
    assert checker.stack == [] and checker.tags[0] == "html"
    assert checker.tags.count("svg") >= 3 and "rect" in checker.tags
    assert not re.search(r"(https?:)?//[a-z]", page) and "<script" not in page.lower()
    with open(tmp_path / "o" / "records.csv") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert texts[2].startswith("'=")


@pytest.fixture()
def stub(tiny_server):
    channel = grpc.insecure_channel(tiny_server.address)
    yield prediction_service_pb2_grpc.PredictionServiceStub(channel)
    channel.close()


def predict_request(model="tiny", signature=contract.SALIENCY_SIGNATURE, version=None, tensor=None, name="text"):
    request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(name=model, signature_name=signature))
    if version is not None:
        request.model_spec.version.value = version
    request.inputs[name].CopyFrom(tensor if tensor is not None else tf.make_tensor_proto(["a text"]))
    return request


@pytest.mark.slow  # a real audit-serve process (the slow tier starts servers)
@pytest.mark.parametrize("kwargs", [dict(model="nope"), dict(version=99), dict(signature="nope")])
def test_audit_serve_not_found(stub, kwargs):
    with pytest.raises(grpc.RpcError) as error:
        stub.Predict(predict_request(**kwargs), timeout=30)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.slow  # a real audit-serve process
@pytest.mark.parametrize("kwargs", [dict(name="body"), dict(tensor=tf.make_tensor_proto([1.5, 2.0])),
                                    dict(tensor=tf.make_tensor_proto([["a", "b"]]))])
def test_audit_serve_invalid_argument(stub, kwargs):
    with pytest.raises(grpc.RpcError) as error:
        stub.Predict(predict_request(**kwargs), timeout=30)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.slow
def test_audit_serve_picks_up_a_new_version(tiny_export, tmp_path):
    base = tmp_path / "tiny"
    shutil.copytree(tiny_export.export_path, base / "1")
    server = ServerProcess("tiny", str(base))
    try:
        channel = grpc.insecure_channel(server.address)
        models = model_service_pb2_grpc.ModelServiceStub(channel)
        status = lambda: [s.version for s in models.GetModelStatus(
            get_model_status_pb2.GetModelStatusRequest(model_spec=model_pb2.ModelSpec(name="tiny")),
            timeout=30).model_version_status]
        assert status() == [1]
        shutil.copytree(tiny_export.export_path, tmp_path / "staging")
        os.rename(tmp_path / "staging", base / "2")
        deadline = time.monotonic() + 60
        while status() != [2] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status() == [2]
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(predict_request(), timeout=30)
        assert response.model_spec.version.value == 2
        channel.close()
    finally:
        server.stop()


@pytest.mark.slow
def test_status_and_explain_commands(tiny_server, example_paths):
    status = run(["status", "--server", tiny_server.address, "--model-name", "tiny"])
    assert status.exit_code == 0, status.output
    assert "version 1: AVAILABLE" in status.output and "signature serving_default" in status.output
    explained = run(["explain", "the plot is dull text", "--server", tiny_server.address, "--model-name", "tiny",
                     "--forbidden", example_paths["forbidden"], "--no-color"])
    assert explained.exit_code == 0, explained.output
    first, second = explained.output.splitlines()[:2]
    assert "[text(" in first and "forbidden words hold" in second
    percentages = [float(piece) for piece in re.findall(r"\(([0-9.]+)%\)", first)]
    assert len(percentages) == 5 and abs(sum(percentages) - 100) < 0.5
    assert "without every forbidden word" in explained.output and "without 'text'" in explained.output


@pytest.mark.slow
def test_compare_two_audits(tiny_export, example_paths, tmp_path):
    for name, path in (("a", example_paths["test_clean"]), ("b", example_paths["test_decoy"])):
        assert run(["score", path, "--model", tiny_export.export_path, "--forbidden", example_paths["forbidden"],
                    "--out", str(tmp_path / name), "--quiet"]).exit_code == 0
    result = run(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "cmp" / "compare.md").read_text()
    assert "Settings differ: corpus:" in text and "mean forbidden share of the saliency" in text
    # The clean test set holds no forbidden word: its share is not measured, and says so instead of reading 0.
    assert "| not measured |" in text and "not measured by the baseline" in text


@pytest.mark.slow
def test_server_unreachable_is_a_one_line_error(example_paths, tmp_path):
    from conftest import free_port
    result = run(["score", example_paths["test_clean"], "--server", f"127.0.0.1:{free_port()}",
                  "--forbidden", example_paths["forbidden"], "--out", str(tmp_path / "o"), "--wait-for-server", "2"])
    assert result.exit_code == 2 and "server unreachable" in result.output
    assert "waiting for the server at 127.0.0.1" in result.output  # it said that it waits


@pytest.mark.slow
def test_several_servers_share_one_round_robin_channel(tiny_server, tiny_export, example_paths, tmp_path):
    second = ServerProcess("tiny", os.path.dirname(tiny_export.export_path))
    try:
        common = [example_paths["test_clean"], "--forbidden", example_paths["forbidden"], "--quiet",
                  "--model-name", "tiny", "--batch-size", "8"]
        assert run(["score", *common, "--server", tiny_server.address, "--out", str(tmp_path / "one")]).exit_code == 0
        result = run(["score", *common, "--server", tiny_server.address, "--server", second.address,
                      "--out", str(tmp_path / "two")])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "one" / "records.jsonl").read_text() == (tmp_path / "two" / "records.jsonl").read_text()
        summary = json.loads((tmp_path / "two" / "summary.json").read_text())
        assert summary["backend"] == f"grpc:{tiny_server.address},{second.address}"
    finally:
        second.stop()


@pytest.mark.slow
def test_jsonl_corpus_and_skipped_empty_text(tiny_export, tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "the plot is dull text"}\n{"text": ""}\n{"text": "wonderful video"}\n')
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("text\nvideo\n")
    result = run(["score", str(corpus), "--model", tiny_export.export_path, "--forbidden", str(lexicon),
                  "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    records = read_jsonl(tmp_path / "o" / "records.jsonl")
    assert [r["status"] for r in records] == ["RECORD_STATUS_SCORED", "RECORD_STATUS_SKIPPED", "RECORD_STATUS_SCORED"]
    assert records[1]["skip_reason"] == "empty text"
    strict = run(["score", str(corpus), "--model", tiny_export.export_path, "--forbidden", str(lexicon),
                  "--out", str(tmp_path / "s"), "--strict"])
    assert strict.exit_code == 2 and ":2" in strict.output and "empty text" in strict.output
    assert not (tmp_path / "s" / "summary.json").exists() and (tmp_path / "s" / "INCOMPLETE").exists()


@pytest.mark.slow
def test_rationale_and_bias_evaluations(tiny_export, tmp_path):
    from audit_engine.evaluations import bias_metrics, rationale_metrics
    rows = [("a", "the plot is dull text overall", "1", "0 1 1 1 0 0"), ("b", "wonderful video, truly!", "0", "1 0 0"),
            ("c", "text text wonderful", "1", "[[2, 3]]"), ("d", "dull dull video", "0", "000")]
    corpus = write_csv(tmp_path / "c.csv", rows, header=("id", "text", "label", "rationale"))
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("text\nvideo\n")
    result = run(["score", corpus, "--model", tiny_export.export_path, "--forbidden", str(lexicon), "--id-column",
                  "id", "--label-column", "label", "--rationale-column", "rationale", "--toxic-classes", "1",
                  "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    records = read_jsonl(tmp_path / "o" / "records.jsonl")
    outputs = SessionModel(tiny_export.export_path).explain([r[1] for r in rows])
    marks = [np.array([0, 1, 1, 1, 0, 0], bool), np.array([1, 0, 0], bool), np.array([0, 0, 1], bool)]
    for record, index in zip(records[:3], range(3)):
        saliency = outputs[contract.SALIENCY][index][:record["explained_tokens"]]
        assert record["has_rationale"]
        assert record["rationale_auprc"] == pytest.approx(rationale_metrics.auprc(saliency, marks[index]), abs=1e-6)
        k = int(marks[index].sum())
        assert record["rationale_token_f1"] == pytest.approx(
            rationale_metrics.token_f1(saliency, marks[index], k)[2], abs=1e-6)
    assert not records[3]["has_rationale"]
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert int(summary["rationale_documents"]) == 3
    labels = np.array([True, False, True, False])
    scores = outputs[contract.PROBABILITIES][:, 1]
    assert summary["toxic_auc"] == pytest.approx(bias_metrics.auc(labels, scores), abs=1e-6)
    assert {b["term"] for b in summary["term_bias"]} == {"text", "video"}
    bad = run(["score", corpus, "--model", tiny_export.export_path, "--forbidden", str(lexicon),
               "--toxic-classes", "1", "--out", str(tmp_path / "p")])
    assert bad.exit_code == 2 and "--label-column" in bad.output


@pytest.mark.slow
def test_reliance_matches_predictions_without_the_forbidden_terms(tiny_server, tiny_export, tmp_path):
    rows = [("a", "The plot is dull text overall"), ("b", "nothing forbidden here"), ("c", "text, text and VIDEO!")]
    corpus = write_csv(tmp_path / "c.csv", rows)
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("text\nvideo\n")
    result = run(["score", corpus, "--server", tiny_server.address, "--model-name", "tiny", "--forbidden",
                  str(lexicon), "--id-column", "id", "--reliance", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    records = read_jsonl(tmp_path / "o" / "records.jsonl")
    model = SessionModel(tiny_export.export_path)
    full = model.run(contract.PROBABILITIES_SIGNATURE, {contract.TEXT_INPUT: np.array([r[1] for r in rows], object)})
    reduced = model.run(contract.PROBABILITIES_SIGNATURE,
                        {contract.TEXT_INPUT: np.array(["the plot is dull overall", "and"], object)})
    for record, p, q in ((records[0], full[contract.PROBABILITIES][0], reduced[contract.PROBABILITIES][0]),
                         (records[2], full[contract.PROBABILITIES][2], reduced[contract.PROBABILITIES][1])):
        predicted = int(np.argmax(p))
        assert record["reliance_measured"]
        assert record["reliance_drop"] == pytest.approx(p[predicted] - q[predicted], abs=1e-6)
        assert record["reliance_flips"] == (int(np.argmax(q)) != predicted)
    assert not records[1]["reliance_measured"]
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert int(summary["reliance_documents"]) == 2
    assert "removing the forbidden words changes" in (tmp_path / "o" / "report.md").read_text()


@pytest.mark.slow
def test_a_client_started_before_its_server_waits_for_it(tiny_export, tmp_path):
    """docker compose starts the server and the audit job together: the client waits, and says so."""
    import subprocess
    import sys

    from conftest import ROOT, free_port
    port = free_port()
    client = subprocess.Popen([sys.executable, "-m", "audit_cli", "status", "--server", f"127.0.0.1:{port}",
                               "--model-name", "tiny", "--wait-for-server", "120"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    server = ServerProcess("tiny", os.path.dirname(tiny_export.export_path), port=port)
    try:
        out, err = client.communicate(timeout=120)
    finally:
        server.stop()
    assert client.returncode == 0, err[-2000:]
    assert "waiting for the server at 127.0.0.1" in err and "version 1: AVAILABLE" in out


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.slow  # a real audit-cli process
def test_ctrl_c_before_the_audit_starts_is_exit_130_and_leaves_no_child(example_paths, tmp_path):
    """Ctrl-C while the client waits for its server (before the audit installs its own handler): the documented
    exit code and one line, and the record encoder started early for a large corpus ends with it."""
    import signal
    import subprocess
    import sys

    from conftest import free_port, start_command

    from audit_engine.record_encoding import EARLY_START_BYTES
    corpus = tmp_path / "big.csv"
    with open(corpus, "w") as f:
        f.write("id,text\n" + "".join(f"d{i},a plain sentence about nothing {i}\n" for i in range(12_000)))
    assert corpus.stat().st_size >= EARLY_START_BYTES
    client = start_command([sys.executable, "-m", "audit_cli", "score", str(corpus), "--server",
                            f"127.0.0.1:{free_port()}", "--model-name", "tiny", "--wait-for-server", "120",
                            "--forbidden", example_paths["forbidden"], "--out", str(tmp_path / "o")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "waiting for the server" in client.stderr.readline()
        child = children_of(client.pid)
        assert len(child) == 1  # the record encoder, started before the model (here: the server) is reached
        client.send_signal(signal.SIGINT)
        out, err = client.communicate(timeout=60)
    finally:
        client.kill()
    assert client.returncode == 130, err
    assert err.strip() == "stopped by signal 2 (SIGINT)"
    deadline = time.monotonic() + 30  # the child may still be starting: it ends at the end of its input
    while os.path.exists(f"/proc/{child[0]}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{child[0]}")


def test_explain_offers_every_evaluation_one_text_supports(tiny_export, example_paths, tmp_path):
    groups = tmp_path / "groups.txt"
    groups.write_text("text, video\n", encoding="utf-8")
    explained = run(["explain", "the plot is dull text", "--model", tiny_export.export_path, "--forbidden",
                     example_paths["forbidden"], "--substitutions", str(groups), "--rationale", "0 1 0 0 0",
                     "--no-color"])
    assert explained.exit_code == 0, explained.output
    assert "without every forbidden word" in explained.output
    assert "substitution: over 1 variant, p(" in explained.output
    assert re.search(r"rationale: token F1 [0-9.]+ %, AUPRC [0-9.]+ %", explained.output)
    wrong = CliRunner().invoke(audit_cli, ["explain", "the plot is dull text", "--model", tiny_export.export_path,
                                           "--rationale", "0 1"])
    assert wrong.exit_code == 2 and "--rationale" in wrong.output and "Traceback" not in wrong.output


def test_a_wrong_model_name_fails_at_once_naming_the_served_model(tiny_server):
    # The wait for a model still loading would end in "is not available on ..." after --wait-for-server seconds.
    result = run(["status", "--server", tiny_server.address, "--model-name", "tinny", "--wait-for-server", "600"])
    assert result.exit_code == 2 and "is not available" not in result.output
    assert "model 'tinny' is not served" in result.output and "the server has 'tiny'" in result.output


def test_status_and_explain_speak_json_and_status_checks_the_training_lexicon(tiny_export, example_paths, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("some other words\n", encoding="utf-8")
    plain = run(["status", "--model", tiny_export.export_path, "--forbidden", example_paths["forbidden"]])
    assert plain.exit_code == 0, plain.output
    assert "training lexicon sha256: " in plain.output and "matches the training lexicon" in plain.output
    status = run(["status", "--model", tiny_export.export_path, "--forbidden", str(other), "--json"])
    report = json.loads(status.output)
    assert report["lexicon"]["matches_training_lexicon"] is False and report["versions"] == [
        {"version": 1, "state": "AVAILABLE"}]
    assert report["training_lexicon_sha256"] == report["metadata"]["mask_sources"]["lexicon_sha256"]
    assert "vocabulary" not in report["metadata"]
    explained = run(["explain", "the plot is dull text", "--model", tiny_export.export_path, "--forbidden",
                     example_paths["forbidden"], "--json"])
    record = json.loads(explained.output)
    assert record["reliance_measured"] and [t["term"] for t in record["forbidden_terms"]] == ["text"]
    assert "rationale_token_f1" not in record  # absent, not 0, without a rationale
