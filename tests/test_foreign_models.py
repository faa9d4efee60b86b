"""Auditing models this project did not train, on real servers on loopback: a Keras text classifier exported as a
plain SavedModel (its own signature names, no saliency, no metadata) in process and behind audit-serve's TF Serving
API, and the same classifier in numpy behind MLServer's Open Inference Protocol (KServe v2). Each audit's reliance
figures equal a computation in this process with the same model (tests/foreign_models.probabilities)."""

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from audit_cli.beam import main as audit_beam
from audit_cli.main import main as audit_cli
from foreign_models import export_foreign_model, probabilities
from server_process import AuditServeProcess, MLServerProcess

pytestmark = pytest.mark.slow  # servers start: MLServer from .venv-kserve, audit-serve
WORDS = ["video", "dull", "film", "plot", "Great", "a", "the", "Video", "clip", "of"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("foreign")
    rng = np.random.default_rng(3)
    path = folder / "corpus.csv"
    rows = [f"d{i},{' '.join(rng.choice(WORDS, 5))}.\n" for i in range(120)]
    path.write_text("id,text\n" + "".join(rows), encoding="utf-8")
    (folder / "forbidden.txt").write_text("video\n", encoding="utf-8")
    return str(path), str(folder / "forbidden.txt")


@pytest.fixture(scope="module")
def foreign_export(tmp_path_factory):
    """The model base path of the classifier (probabilities, a [batch] input); its twin with logits and a [batch, 1]
    input sits beside it in ``logits``."""
    folder = tmp_path_factory.mktemp("models")
    export_foreign_model(str(folder / "sentiment" / "1"))
    export_foreign_model(str(folder / "logits" / "1"), logits=True, column=True)
    return str(folder / "sentiment")


@pytest.fixture(scope="module")
def foreign_server(foreign_export):
    server = AuditServeProcess("sentiment", foreign_export)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mlserver():
    server = MLServerProcess()
    yield server
    server.stop()


def score(args, out, runner=audit_cli):
    result = CliRunner().invoke(runner, ["score", *args, "--out", str(out), *(["--quiet"] if runner is audit_cli
                                                                                else [])])
    assert result.exit_code in (0, 1), result.output
    return result


def records(folder, pattern="records.jsonl"):
    import glob

    lines = [line for path in sorted(glob.glob(os.path.join(folder, pattern))) for line in open(path)]
    return sorted((json.loads(line) for line in lines), key=lambda r: int(r["row"]))


def assert_reliance_is_the_models(found, corpus_path):
    """Each record's reliance equals the numpy model's: p(predicted) with and without the words 'video' (the
    lexicon matches 'Video' too: tokens are lower-cased), removed whole from the text as written."""
    import csv

    with open(corpus_path, newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert len(found) == len(texts)
    measured = 0
    for record, text in zip(found, texts):
        full = probabilities([text])[0]
        predicted = int(np.argmax(full))
        assert record["predicted_label"] == ["neg", "pos"][predicted]
        if not record.get("reliance_measured"):
            assert "video" not in text.lower()
            continue
        without = " ".join(word for word in text.split() if word.lower().strip(".") != "video")
        drop = full[predicted] - probabilities([without])[0][predicted]
        assert record["reliance_drop"] == pytest.approx(drop, abs=2e-6)
        assert bool(record.get("reliance_flips")) == (int(np.argmax(probabilities([without])[0])) != predicted)
        measured += 1
    assert measured > 30


def test_a_foreign_savedmodel_in_process_and_behind_tf_serving_gives_the_models_reliance(
    corpus, foreign_export, foreign_server, tmp_path
):
    corpus_path, forbidden = corpus
    common = [corpus_path, "--forbidden", forbidden, "--id-column", "id", "--class-names", "neg,pos"]
    embedded = score([*common, "--model", foreign_export], tmp_path / "embedded")
    served = score([*common, "--server", foreign_server.address, "--model-name", "sentiment"], tmp_path / "served")
    assert records(tmp_path / "embedded") == records(tmp_path / "served")
    assert_reliance_is_the_models(records(tmp_path / "served"), corpus_path)
    summary = json.loads((tmp_path / "served" / "summary.json").read_text())
    assert summary["attribution"] == "occlusion" and summary["model_name"] == "sentiment"
    notes = json.loads(summary["model_metadata_json"])["foreign_model"]["notes"]
    assert notes[0].startswith("input 'sentence' (discovered") and "class names from --class-names" in notes
    for output in (embedded.output, served.output):
        assert "Note: a model this project did not export, read through input 'sentence'" in output
    # Occlusion: a token's saliency is how far p(predicted) moves without its word.
    record = next(r for r in records(tmp_path / "served") if r.get("reliance_measured"))
    top = record["top_tokens"][0]
    assert top["saliency"] > 0 and top["position"] < 64


def test_the_same_model_behind_kserve_v2_from_the_light_protocol_client(corpus, mlserver, foreign_export, tmp_path):
    corpus_path, forbidden = corpus
    common = [corpus_path, "--forbidden", forbidden, "--id-column", "id", "--class-names", "neg,pos"]
    score([*common, "--server", mlserver.address, "--protocol", "kserve-v2", "--model-name", "sentiment"],
          tmp_path / "kserve")
    found = records(tmp_path / "kserve")
    assert_reliance_is_the_models(found, corpus_path)
    # The same figures as the Keras SavedModel audited in process (float32 outputs either way).
    score([*common, "--model", foreign_export], tmp_path / "embedded")
    for served, local in zip(found, records(tmp_path / "embedded")):
        for field in ("reliance_measured", "reliance_flips", "control_flips", "predicted_label"):
            assert served.get(field) == local.get(field), field
        assert served.get("reliance_drop", 0) == pytest.approx(local.get("reliance_drop", 0), abs=1e-6)
    summary = json.loads((tmp_path / "kserve" / "summary.json").read_text())
    assert summary["backend"] == f"kserve-v2:{mlserver.address}" and int(summary["reliance_documents"]) > 30
    # Predict-only: no saliency, and the reports say so instead of showing zeros.
    score([*common, "--server", mlserver.address, "--protocol", "kserve-v2", "--model-name", "sentiment",
           "--attribution", "none"], tmp_path / "none")
    assert "Saliency is not available for this model" in (tmp_path / "none" / "report.md").read_text()
    assert "Saliency is not available for this model" in (tmp_path / "none" / "report.html").read_text()
    assert records(tmp_path / "none")[0]["top_tokens"][0]["saliency"] == 0


def test_audit_beam_workers_are_clients_of_the_kserve_server(corpus, mlserver, tmp_path):
    corpus_path, forbidden = corpus
    args = [corpus_path, "--forbidden", forbidden, "--id-column", "id", "--server", mlserver.address,
            "--protocol", "kserve-v2", "--model-name", "sentiment", "--attribution", "none"]
    score(args, tmp_path / "cli")
    score([*args, "--direct-running-mode", "multi_processing", "--direct-num-workers", "2"], tmp_path / "beam",
          runner=audit_beam)
    assert records(tmp_path / "beam", "records-*-of-*.jsonl") == records(tmp_path / "cli")


@pytest.mark.parametrize("extra, message", [
    ([], "is not a probability distribution"),  # the logits model, read as probabilities
    (["--logits", "--class-names", "a,b,c"], "--class-names gives 3 names"),
    (["--logits", "--attribution", "gradient"], "has none: use --attribution occlusion or none"),
    (["--logits", "--output-name", "nothing"], "--output-name 'nothing'"),
    (["--logits", "--output-name", "label_id"], "not [batch, classes"),
])
def test_a_foreign_model_misread_is_one_line_exit_2(corpus, foreign_export, extra, message, tmp_path):
    corpus_path, forbidden = corpus
    model = os.path.join(os.path.dirname(foreign_export), "logits")
    result = CliRunner().invoke(audit_cli, ["score", corpus_path, "--model", model, "--forbidden", forbidden,
                                            *extra, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output


def test_kserve_errors_are_one_line(corpus, mlserver, tmp_path):
    corpus_path, forbidden = corpus
    runner = CliRunner()
    wrong = runner.invoke(audit_cli, ["score", corpus_path, "--forbidden", forbidden, "--server", mlserver.address,
                                      "--protocol", "kserve-v2", "--model-name", "nope", "--wait-for-server", "2",
                                      "--out", str(tmp_path / "a")])
    assert wrong.exit_code == 2 and "nope" in wrong.output and "Traceback" not in wrong.output, wrong.output
    usage = runner.invoke(audit_cli, ["score", corpus_path, "--forbidden", forbidden, "--model", ".",
                                      "--protocol", "kserve-v2"])
    assert usage.exit_code == 2 and "needs --server" in usage.output


def test_the_protocols_messages_are_what_mlserver_generates():
    """audit_engine/serving_api/kserve_descriptors.py is what scripts/generate_kserve_api.py writes from the
    installed MLServer (regenerate it after an MLServer upgrade)."""
    import subprocess

    from server_process import KSERVE_VENV, PROJECT_ROOT

    done = subprocess.run([os.path.join(KSERVE_VENV, "bin", "python"), "scripts/generate_kserve_api.py", "--check"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
