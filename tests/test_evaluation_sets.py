"""Auditing and training with real evaluation sets: rows without rationales, other label spaces,
lexicon terms outside the vocabulary, restoring the best epoch, audits without a forbidden lexicon."""

import csv
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import tiny_model_settings

from audit_cli.main import main as audit_cli
from saliency_core.lexicon import Lexicon
from serving.session_model import SessionModel
from trainer.corpus import Corpus, load_corpus
from trainer.model import TextClassifier
from trainer.penalties import PenaltyConfig
from trainer.train import (
    DataSources,
    ExportSettings,
    FitSettings,
    ModelSettings,
    TrainingData,
    encode_examples,
    prepare,
    train_from_files,
)


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def run(args):
    return CliRunner().invoke(audit_cli, args)


def records_of(folder):
    return [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]


def summary_of(folder):
    return json.loads((folder / "summary.json").read_text())


def test_rows_without_a_rationale_are_audited_without_rationale_metrics(tiny_export, tmp_path):
    corpus = write_csv(tmp_path / "c.csv", ("id", "text", "rationale"), [
        ("a", "the plot is dull text", "0 0 0 1 0"), ("b", "wonderful video", ""), ("c", "dull text", "null")])
    result = run(["score", corpus, "--model", tiny_export.export_path, "--rationale-column", "rationale",
                  "--id-column", "id", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    records = records_of(tmp_path / "o")
    assert [r["rationale_missing"] for r in records] == [False, True, True]
    assert records[0]["has_rationale"] and not records[1]["has_rationale"]
    summary = summary_of(tmp_path / "o")
    assert summary["rationale_documents"] == "1" and summary["rationale_missing_documents"] == "2"
    assert summary["lexicon_terms"] == "0"  # no --forbidden: a rationale-only audit


def test_training_penalises_only_rows_that_have_a_rationale(tmp_path):
    path = write_csv(tmp_path / "t.csv", ("text", "label", "rationale"), [
        ("good plot here", "1", "0 1 0"), ("bad plot here", "0", ""), ("fine plot here", "1", "000")])
    corpus = load_corpus(path, rationale_column="rationale")
    assert corpus.rationales[1] is None
    classifier = TextClassifier(["good", "bad", "fine", "plot", "here"], 2, max_tokens=4, embedding_dim=2,
                                hidden_units=2)
    examples = encode_examples(classifier, corpus.texts, [1, 0, 1], rationales=corpus.rationales)
    # Row 1 penalises everything outside its rationale; rows 2 (empty) and 3 (all zeros) are not penalised.
    np.testing.assert_array_equal(examples.forbidden_mask[:, :3], [[1, 0, 1], [0, 0, 0], [0, 0, 0]])


@pytest.fixture()
def labelled(tmp_path):
    return write_csv(tmp_path / "l.csv", ("id", "text", "label"), [
        ("a", "the plot is dull text", "BAD"), ("b", "wonderful video", "NOT_BAD"), ("c", "dull text", "BAD"),
        ("d", "truly wonderful", "NOT_BAD")])


def test_label_map_to_model_classes_gives_accuracy(tiny_export, example_paths, labelled, tmp_path):
    result = run(["score", labelled, "--model", tiny_export.export_path, "--forbidden", example_paths["forbidden"],
                  "--label-column", "label", "--label-map", "BAD=0,NOT_BAD=1", "--out", str(tmp_path / "o"),
                  "--quiet"])
    assert result.exit_code == 0, result.output
    summary = summary_of(tmp_path / "o")
    records = records_of(tmp_path / "o")
    assert [r["true_label"] for r in records] == ["0", "1", "0", "1"]
    expected = np.mean([r["true_label"] == r["predicted_label"] for r in records])
    assert summary["labelled"] == "4" and summary["accuracy"] == pytest.approx(expected)
    assert summary["label_space"] == "model classes"


def test_binary_label_map_reports_auc_not_accuracy(tiny_export, example_paths, labelled, tmp_path):
    result = run(["score", labelled, "--model", tiny_export.export_path, "--forbidden", example_paths["forbidden"],
                  "--label-column", "label", "--label-map", "BAD=positive,NOT_BAD=negative", "--toxic-classes", "0",
                  "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    summary = summary_of(tmp_path / "o")
    assert summary.get("labelled", "0") == "0" and summary["labels_outside_model_classes"] == "4"
    assert summary["label_space"] == "binary"
    from audit_engine.evaluations import bias_metrics
    records = records_of(tmp_path / "o")
    scores = [r["probabilities"]["0"] for r in records]
    assert summary["toxic_auc"] == pytest.approx(bias_metrics.auc([True, False, True, False], scores))
    assert "no accuracy is computed" in (tmp_path / "o" / "report.md").read_text()


def test_labels_outside_the_model_classes_are_not_counted_as_errors(tiny_export, example_paths, labelled, tmp_path):
    result = run(["score", labelled, "--model", tiny_export.export_path, "--forbidden", example_paths["forbidden"],
                  "--label-column", "label", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0
    summary = summary_of(tmp_path / "o")
    assert summary["labels_outside_model_classes"] == "4" and summary.get("labelled", "0") == "0"
    assert "accuracy is not reported" in result.output


@pytest.mark.parametrize("mapping, message", [
    ("BAD=0", "label 'NOT_BAD' is not in --label-map"),
    ("BAD=0,NOT_BAD=positive", "--label-map must map every label"),
    ("BAD", "expected LABEL=CLASS pairs"),
])
def test_label_map_errors_are_one_line_exit_2(tiny_export, example_paths, labelled, tmp_path, mapping, message):
    result = run(["score", labelled, "--model", tiny_export.export_path, "--forbidden", example_paths["forbidden"],
                  "--label-column", "label", "--label-map", mapping, "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_lexicon_terms_outside_the_vocabulary_are_reported_and_can_be_added(example_paths, tmp_path):
    lexicon = tmp_path / "f.txt"
    lexicon.write_text("text\nvideo\nzorblax\n")  # zorblax never occurs in the training texts
    data_sources = DataSources(forbidden_path=str(lexicon))
    settings = FitSettings(PenaltyConfig(counterfactual_weight=1.0), epochs=1, batch_size=32)
    plain = train_from_files(example_paths["train"], data_sources, tiny_model_settings(), settings,
                             ExportSettings(str(tmp_path / "m"), "plain"), verbose=0)
    assert plain.metadata["vocabulary_coverage"]["out_of_vocabulary_terms"] == ["zorblax"]
    corpus = write_csv(tmp_path / "c.csv", ("text",), [("the zorblax is dull text",)])
    result = run(["score", corpus, "--model", plain.export_path, "--forbidden", str(lexicon),
                  "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0 and "outside the model's vocabulary (zorblax)" in result.output
    assert summary_of(tmp_path / "o")["out_of_vocabulary_terms"] == ["zorblax"]
    assert "vocabulary" not in json.loads(summary_of(tmp_path / "o")["model_metadata_json"])
    added = ModelSettings(**{**tiny_model_settings().__dict__, "lexicon_in_vocabulary": True})
    data = TrainingData(Corpus(["good text", "bad video"], ["1", "0"]), None, ["0", "1"], Lexicon.from_entries(
        ["text", "video", "zorblax"]))
    prepared = prepare(data, added)
    assert "zorblax" in prepared.classifier.lookup.get_vocabulary()
    assert prepared.vocabulary_coverage["out_of_vocabulary_terms"] == []


@pytest.mark.slow
def test_restore_best_exports_the_best_validation_epoch(example_paths, tmp_path):
    result = train_from_files(example_paths["train"], DataSources(validation_path=example_paths["test_clean"]),
                              tiny_model_settings(), FitSettings(epochs=4, batch_size=32, learning_rate=0.03,
                                                      restore_best="val_loss"),
                              ExportSettings(str(tmp_path), "best"), verbose=0)
    restored = result.metadata["restore_best"]
    assert restored["monitor"] == "val_loss" and 1 <= restored["epoch"] <= 4
    # The exported weights are that epoch's: their validation loss is the reported one.
    corpus = load_corpus(example_paths["test_clean"])
    model = SessionModel(result.export_path)
    probabilities = model.run("predict", {"text": np.asarray(corpus.texts, dtype=object)})["probabilities"]
    labels = np.array([int(label) for label in corpus.labels])
    loss = -np.mean(np.log(probabilities[np.arange(len(labels)), labels]))
    assert loss == pytest.approx(result.metrics["val_loss"], rel=1e-3)


def test_nothing_to_audit_is_a_usage_error(tiny_export, example_paths, tmp_path):
    result = run(["score", example_paths["test_clean"], "--model", tiny_export.export_path, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "nothing to audit" in result.output


def test_discovery_candidates_need_discover_and_a_readable_file(tiny_export, example_paths, tmp_path):
    common = ["score", example_paths["test_decoy"], "--model", tiny_export.export_path, "--forbidden",
              example_paths["forbidden"]]
    result = run([*common, "--discover-candidates", example_paths["forbidden"], "--out", str(tmp_path / "a")])
    assert result.exit_code == 2 and "--discover-candidates" in result.output and "needs --discover" in result.output
    missing = str(tmp_path / "nope.txt")
    result = run([*common, "--discover", "--discover-candidates", missing, "--out", str(tmp_path / "b")])
    assert result.exit_code == 2 and "nope.txt" in result.output and "Traceback" not in result.output
    assert not os.path.exists(tmp_path / "b" / "summary.json")
    result = run([*common, "--discover", "--discover-words", "0", "--out", str(tmp_path / "c")])
    assert result.exit_code == 2 and "--discover-words" in result.output
    # Discovery's records name the words of each sampled document: --redact would be broken by them.
    result = run([*common, "--discover", "--redact", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2 and "--redact" in result.output and not os.path.exists(tmp_path / "d")
