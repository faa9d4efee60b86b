"""Reliance first: the counterfactual penalty removes reliance that the input-gradient penalty hides, and the
audit measures it (per document, per term, by substitution) and leads with it."""

import json

import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner

from audit_cli.main import main as audit_cli
from saliency_core.lexicon import Lexicon
from saliency_demo import example_data
from trainer.corpus import Corpus
from trainer.penalties import PenaltyConfig
from trainer.train import FitSettings, ModelSettings, TrainingData, train_in_memory

DECOYS = Lexicon.from_entries(["text", "video"])


def run(args):
    return CliRunner().invoke(audit_cli, args, catch_exceptions=False)


def reliance_flips(classifier, rows):
    """Fraction of predictions on decoy texts that change when the decoy is removed."""
    texts = [text for text, _ in rows]
    removed = [" ".join(DECOYS.without(text.split())) for text in texts]
    with_decoy = classifier(classifier.encode(tf.constant(texts))[3]).numpy().argmax(-1)
    without = classifier(classifier.encode(tf.constant(removed))[3]).numpy().argmax(-1)
    return float(np.mean(with_decoy != without))


@pytest.mark.slow
def test_counterfactual_penalty_removes_decoy_reliance_that_the_input_gradient_penalty_keeps():
    rows = example_data.generate(1200, seed=11, decoy="label", label_noise=0.3)
    test = example_data.generate(300, seed=12, decoy="random")
    data = TrainingData(Corpus([t for t, _ in rows], [label for _, label in rows]), None, ["0", "1"], DECOYS)
    model = ModelSettings(max_tokens=16, vocabulary_size=100, embedding_dim=16, hidden_units=16)
    flips = {}
    for name, penalty in (("vanilla", PenaltyConfig()),
                          ("input-gradient", PenaltyConfig(input_gradient_weight=100.0, target="all")),
                          ("counterfactual", PenaltyConfig(counterfactual_weight=10.0))):
        prepared, _ = train_in_memory(data, model, FitSettings(penalty, epochs=4, batch_size=32, learning_rate=3e-3,
                                                               seed=0))
        flips[name] = reliance_flips(prepared.classifier, test)
    print(flips)
    # The decoy decides for the vanilla model and, despite its near-zero gradient, for the input-gradient one.
    assert flips["vanilla"] > 0.3 and flips["input-gradient"] > 0.2
    assert flips["counterfactual"] < 0.05


@pytest.fixture(scope="module")
def groups_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("groups") / "groups.txt"
    path.write_text("# decoys are interchangeable\ntext, video\n")
    return str(path)


def test_reliance_per_document_and_term_and_substitution_gap(tiny_export, groups_file, tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,text\na,the plot is dull text\nb,wonderful video and text\nc,the plot is dull\n")
    lexicon = tmp_path / "f.txt"
    lexicon.write_text("text\nvideo\n")
    result = run(["score", str(corpus), "--model", tiny_export.export_path, "--forbidden", str(lexicon),
                  "--id-column", "id", "--substitutions", groups_file, "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("verdict: ")
    records = {r["id"]: r for r in map(json.loads, (tmp_path / "o" / "records.jsonl").read_text().splitlines())}
    from serving.session_model import SessionModel
    model = SessionModel(tiny_export.export_path)
    p = lambda texts: model.run("predict", {"text": np.asarray(texts, dtype=object)})["probabilities"]
    original = p(["the plot is dull text", "wonderful video and text"])
    cls = original.argmax(-1)
    # Document a: one term, so its per-term result is the all-terms result.
    without_a = p(["the plot is dull"])[0]
    assert records["a"]["reliance_measured"] and records["a"]["reliance_drop"] == pytest.approx(
        float(original[0, cls[0]] - without_a[cls[0]]), abs=1e-5)
    assert [t["term"] for t in records["a"]["term_reliance"]] == ["text"]
    assert records["a"]["term_reliance"][0]["drop"] == pytest.approx(records["a"]["reliance_drop"], abs=1e-6)
    # Document b: two terms, each removed alone.
    alone = p(["wonderful and text", "wonderful video and"])
    by_term = {t["term"]: t["drop"] for t in records["b"]["term_reliance"]}
    assert by_term["video"] == pytest.approx(float(original[1, cls[1]] - alone[0, cls[1]]), abs=1e-5)
    assert by_term["text"] == pytest.approx(float(original[1, cls[1]] - alone[1, cls[1]]), abs=1e-5)
    # Substitution: a has one variant (text -> video); b has two (video -> text, text -> video).
    variant_a = p(["the plot is dull video"])[0]
    assert records["a"]["substitution_variants"] == 1
    assert records["a"]["substitution_gap_max"] == pytest.approx(abs(float(original[0, cls[0]] - variant_a[cls[0]])),
                                                                 abs=1e-5)
    assert records["b"]["substitution_variants"] == 2
    assert not records["c"].get("reliance_measured") and not records["c"].get("substituted")
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["reliance_documents"] == "2" and summary["substitution_documents"] == "2"
    assert {t["term"] for t in summary["term_reliance"]} == {"text", "video"}
    report = (tmp_path / "o" / "report.md").read_text()
    assert report.index("## Reliance on forbidden words") < report.index("## Saliency share")
    assert report.index("**Verdict: ") < report.index("## Reliance on forbidden words")


@pytest.mark.slow
def test_reliance_gates_verdict_and_usage_errors(tiny_export, example_paths, tmp_path):
    base = ["score", example_paths["test_decoy"], "--model", tiny_export.export_path, "--forbidden",
            example_paths["forbidden"], "--id-column", "id", "--quiet"]
    failing = run(base + ["--out", str(tmp_path / "f"), "--max-flip-fraction", "0"])
    summary = json.loads((tmp_path / "f" / "summary.json").read_text())
    flip_fraction = summary["reliance_flip_fraction"]
    assert flip_fraction > 0  # a one-epoch model on decoy data follows the decoy somewhat
    assert failing.exit_code == 1 and summary["verdict"] == "FAIL"
    assert "gate max_flip_fraction" in failing.output
    passing = run(base + ["--out", str(tmp_path / "p"), "--max-flip-fraction", "1", "--max-mean-drop", "1"])
    assert passing.exit_code == 0
    assert json.loads((tmp_path / "p" / "summary.json").read_text())["verdict"] == "PASS"
    run(base + ["--out", str(tmp_path / "n")])
    verdict = json.loads((tmp_path / "n" / "summary.json").read_text())["verdict"]
    # ATTENTION only for reliance that holds up: an interval's lower end at the attention level (5 %, 5 points)
    # and an excess over the deletion control above 0.
    notable = (summary["reliance_decisive_flip_fraction_interval"]["low"] >= 0.05
               or summary["mean_reliance_drop_interval"]["low"] >= 0.05)
    specific = summary["excess_flip_fraction"]["interval"]["low"] > 0 or summary["excess_mean_drop"]["interval"]["low"] > 0
    assert verdict == ("ATTENTION" if notable and specific else "OK")
    assert int(summary["control_documents"]) == int(summary["reliance_documents"]) > 0
    usage = CliRunner().invoke(audit_cli, base + ["--out", str(tmp_path / "u"), "--no-occlusion",
                                                  "--max-flip-fraction", "0.1"])
    assert usage.exit_code == 2 and "reliance gates need the reliance check" in usage.output


@pytest.mark.slow
def test_integrated_gradients_attribution_in_the_audit(tiny_export, example_paths, tmp_path):
    result = run(["score", example_paths["test_decoy"], "--model", tiny_export.export_path, "--forbidden",
                  example_paths["forbidden"], "--attribution", "integrated-gradients", "--out", str(tmp_path / "o"),
                  "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["signature_name"] == "integrated_gradients" and summary["attribution"] == "integrated-gradients"
    assert 0 < summary["mean_abs_completeness_gap"] < 0.05
    assert "integrated-gradients saliency" in result.output


def test_underreporting_note_when_removal_shows_more_than_the_share():
    from audit_engine.summary import saliency_underreports_reliance
    from protos import audit_pb2
    summary = audit_pb2.AuditSummary(reliance_documents=100, reliance_flipped=49, reliance_flip_fraction=0.49,
                                     mean_reliance_drop=0.3)
    # Reliance that holds up: the intervals' lower ends are above the attention level.
    summary.reliance_decisive_flip_fraction_interval.low = 0.39
    summary.mean_reliance_drop_interval.low = 0.25
    summary.share_distribution.mean = 0.001
    assert saliency_underreports_reliance(summary)
    summary.share_distribution.mean = 0.4
    assert not saliency_underreports_reliance(summary)
    quiet = audit_pb2.AuditSummary(reliance_documents=100, reliance_flip_fraction=0.01, mean_reliance_drop=0.01)
    assert not saliency_underreports_reliance(quiet)
