"""The light audit client: this venv has the base install only, without TensorFlow. It audits a model
served by audit-serve from the full install (SALIENCY_AUDIT_FULL_PYTHON), and its records equal those of the
full install's embedded audit of the same model, byte for byte."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from server_process import AuditServeProcess  # noqa: E402 (a plain subprocess helper, no TensorFlow)

from audit_cli.main import main as audit_cli  # noqa: E402

FULL_PYTHON = os.environ.get("SALIENCY_AUDIT_FULL_PYTHON")


def test_this_environment_has_no_tensorflow():
    with pytest.raises(ModuleNotFoundError):
        import tensorflow  # noqa: F401
    assert FULL_PYTHON, "run through scripts/test.sh: SALIENCY_AUDIT_FULL_PYTHON names the full install's python"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    work = tmp_path_factory.mktemp("light")
    done = subprocess.run([FULL_PYTHON, os.path.join(ROOT, "tests_light", "export_tiny_model.py"), str(work)],
                          cwd=ROOT, check=True, capture_output=True, text=True)
    paths = json.loads(done.stdout.strip().splitlines()[-1])
    server = AuditServeProcess("tiny", os.path.dirname(paths["export_path"]), python=FULL_PYTHON)
    yield paths, server, work
    server.stop()


def score(paths, server, out, *extra):
    args = ["score", paths["test_decoy"], "--server", server.address, "--model-name", "tiny", "--forbidden",
            paths["forbidden"], "--label-column", "label", "--out", str(out), "--quiet", *extra]
    return CliRunner().invoke(audit_cli, args)


def test_score_explain_status_and_compare_without_tensorflow(served):
    paths, server, work = served
    result = score(paths, server, work / "light")
    assert result.exit_code in (0, 1), result.output  # 1: a gate may fail on this decoy corpus; that is a result
    summary = json.loads((work / "light" / "summary.json").read_text())
    assert summary["complete"] and int(summary["scored"]) == 60 and int(summary["reliance_documents"]) > 0
    explained = CliRunner().invoke(audit_cli, ["explain", "a fine text about video", "--server", server.address,
                                               "--model-name", "tiny", "--forbidden", paths["forbidden"]])
    assert explained.exit_code == 0 and "%" in explained.output, explained.output
    status = CliRunner().invoke(audit_cli, ["status", "--server", server.address, "--model-name", "tiny"])
    assert status.exit_code == 0 and "AVAILABLE" in status.output, status.output
    ig = score(paths, server, work / "light-ig", "--attribution", "integrated-gradients")
    assert ig.exit_code in (0, 1), ig.output
    compared = CliRunner().invoke(audit_cli, ["compare", str(work / "light"), str(work / "light-ig"), "--out",
                                              str(work / "compare")])
    assert compared.exit_code == 0 and (work / "compare" / "compare.html").exists(), compared.output
    assert not [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tensorflow_serving")]


def test_records_equal_the_full_installs_embedded_audit(served):
    paths, server, work = served
    assert score(paths, server, work / "grpc").exit_code in (0, 1)
    subprocess.run([FULL_PYTHON, "-m", "audit_cli", "score", paths["test_decoy"], "--model",
                    paths["export_path"], "--forbidden", paths["forbidden"], "--label-column", "label", "--out",
                    str(work / "embedded"), "--quiet"], cwd=ROOT, capture_output=True, text=True)
    light = (work / "grpc" / "records.jsonl").read_bytes()
    assert light and light == (work / "embedded" / "records.jsonl").read_bytes()


def test_an_embedded_model_asks_for_the_model_extra(served, tmp_path):
    paths, _, _ = served
    result = CliRunner().invoke(audit_cli, ["score", paths["test_decoy"], "--model", paths["export_path"],
                                            "--forbidden", paths["forbidden"], "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "saliency-audit[model]" in result.output, result.output


@pytest.mark.parametrize("command", ["audit-train", "audit-serve", "audit-demo"])
def test_commands_that_need_tensorflow_say_which_extra_in_one_line(command):
    for args in (["--help"], []):
        done = subprocess.run([os.path.join(os.path.dirname(sys.executable), command), *args], capture_output=True,
                              text=True)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip() == (f"error: {command} needs tensorflow, which this install lacks: pip install "
                                       "'saliency-audit[model]'")


def test_models_this_project_did_not_train_and_signed_evidence_without_tensorflow(tmp_path):
    """A foreign Keras SavedModel behind audit-serve (TF Serving's API) and its numpy twin behind MLServer (the
    Open Inference Protocol), audited by this TensorFlow-free client: the same reliance; the audit signed and
    verified here too."""
    from server_process import MLServerProcess

    model = tmp_path / "models" / "sentiment"
    subprocess.run([FULL_PYTHON, "-c", "import sys; sys.path.insert(0, 'tests'); from foreign_models import "
                    f"export_foreign_model; export_foreign_model({str(model / '1')!r})"], cwd=ROOT, check=True,
                   capture_output=True)
    corpus = tmp_path / "corpus.csv"
    corpus.write_text("id,text\n" + "".join(f"d{i},{t}\n" for i, t in enumerate(
        ["a Great video", "dull film", "the video was dull", "plot of a clip", "Video and plot"] * 4)))
    (tmp_path / "forbidden.txt").write_text("video\n")
    assert CliRunner().invoke(audit_cli, ["keygen", str(tmp_path / "k.pem")]).exit_code == 0
    common = [str(corpus), "--forbidden", str(tmp_path / "forbidden.txt"), "--id-column", "id", "--model-name",
              "sentiment", "--quiet", "--sign-key", str(tmp_path / "k.pem")]
    serve = AuditServeProcess("sentiment", str(model), python=FULL_PYTHON)
    kserve = MLServerProcess()
    try:
        for name, server, protocol in (("tf", serve, "tf-serving"), ("kserve", kserve, "kserve-v2")):
            result = CliRunner().invoke(audit_cli, ["score", *common, "--server", server.address, "--protocol",
                                                    protocol, "--out", str(tmp_path / name)])
            assert result.exit_code in (0, 1), result.output
    finally:
        serve.stop()
        kserve.stop()
    found = [[json.loads(line) for line in open(tmp_path / name / "records.jsonl")] for name in ("tf", "kserve")]
    assert sum(bool(r.get("reliance_flips")) for r in found[0]) > 0
    for a, b in zip(*found):
        assert (a.get("reliance_flips"), a["predicted_label"]) == (b.get("reliance_flips"), b["predicted_label"])
        assert a.get("reliance_drop", 0) == pytest.approx(b.get("reliance_drop", 0), abs=1e-6)
    for name in ("tf", "kserve"):
        verified = CliRunner().invoke(audit_cli, ["verify", str(tmp_path / name), "--public-key",
                                                  str(tmp_path / "k.pem.pub"), "--quiet"])
        assert verified.exit_code == 0, verified.output
