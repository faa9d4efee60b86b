"""The audit engine on the numpy fake backend (no TensorFlow): runs, reliance in closed form, windows, resume,
the evaluation registry and the backend interface."""

import csv
import json
import math
import threading

import numpy as np
import pytest
from conftest import encode_in_a_child

from audit_engine import outputs, record_encoding, record_lines
from audit_engine.backends import Backend
from audit_engine.backends.fake import FakeBackend
from audit_engine.backends.windowed import WindowedBackend, combine_probabilities, windowed
from audit_engine.document import CorpusRow
from audit_engine.evaluations import EVALUATIONS, AuditInputs, Reliance
from audit_engine.explaining import build_records, explain_batch
from audit_engine.options import AuditOptions, WindowConfig
from audit_engine.run import AuditInterrupted, audit_corpus
from audit_engine.session import AuditSession
from saliency_core.errors import InputError
from saliency_core.lexicon import Lexicon
from saliency_core.substitutions import SubstitutionGroups

WEIGHTS = {"video": 3.0, "great": 1.0, "awful": -2.0}
LEXICON = Lexicon.from_entries(["video"])


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def write_corpus(path, texts, labels=None):
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,text,label\n")
        for i, text in enumerate(texts):
            f.write(f"d{i},{text},{(labels or ['1'] * len(texts))[i]}\n")
    return str(path)


def test_every_backend_declares_the_interface():
    fake = FakeBackend(WEIGHTS)
    assert isinstance(fake, Backend)
    assert isinstance(WindowedBackend(fake, WindowConfig(), fake.metadata()), Backend)


def test_reliance_on_the_fake_model_is_the_closed_form(tmp_path):
    texts = ["a great video", "an awful video", "great plain words", "awful great"]
    corpus = write_corpus(tmp_path / "c.csv", texts)
    summary, passed = audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "out"),
                                   AuditOptions(id_column="id", label_column="label"), AuditInputs(LEXICON),
                                   {"max_flip_fraction": 0.4})
    records = [json.loads(line) for line in open(tmp_path / "out" / outputs.RECORDS_JSONL)]
    assert [r["id"] for r in records] == ["d0", "d1", "d2", "d3"]
    # 'a great video': logit 4 -> p1 = sigmoid(4); without 'video' logit 1: drop sigmoid(4) - sigmoid(1), no flip
    assert records[0]["reliance_drop"] == pytest.approx(sigmoid(4) - sigmoid(1), abs=1e-6)
    assert not records[0]["reliance_flips"]
    # 'an awful video': logit 1 -> class 1; without 'video' logit -2 -> class 0: a flip
    assert records[1]["reliance_drop"] == pytest.approx(sigmoid(1) - sigmoid(-2), abs=1e-6)
    assert records[1]["reliance_flips"]
    assert not records[2]["reliance_measured"] and not records[3]["reliance_measured"]
    assert summary.reliance_documents == 2 and summary.reliance_flipped == 1
    # 1 of 2 documents: the interval of the flip fraction holds the limit, so the gate is INCONCLUSIVE, which
    # fails closed by default.
    assert summary.reliance_flip_fraction == 0.5 and not passed and summary.verdict == "INCONCLUSIVE"
    assert summary.gates[0].outcome == "inconclusive" and summary.gates[0].interval.low < 0.4 < summary.gates[0].interval.high
    assert summary.labelled == 4 and summary.accuracy == pytest.approx(3 / 4)
    # The saliency is |weight| * (1 - p(predicted)): video's share of 'a great video' is 3 / 4.
    assert records[0]["forbidden_share"] == pytest.approx(0.75, abs=1e-6)
    for name in (outputs.RECORDS_CSV, outputs.SUMMARY_JSON, outputs.REPORT_MD, outputs.REPORT_HTML):
        assert (tmp_path / "out" / name).is_file()
    assert not (tmp_path / "out" / outputs.INCOMPLETE).exists()


def test_a_word_past_T_is_found_and_measured_through_windows(tmp_path):
    fake = FakeBackend(WEIGHTS, max_tokens=8)
    text = " ".join(["plain"] * 20 + ["video"])  # 21 tokens, T = 8: 'video' is the last token
    corpus = write_corpus(tmp_path / "c.csv", [text])
    summary, _ = audit_corpus(corpus, fake, str(tmp_path / "w"), AuditOptions(id_column="id"), AuditInputs(LEXICON))
    record = json.loads(open(tmp_path / "w" / outputs.RECORDS_JSONL).readline())
    assert record["windows"] >= 3 and record["explained_tokens"] == 21 and not record["truncated"]
    assert [t["term"] for t in record["forbidden_terms"]] == ["video"] and record["reliance_measured"]
    # The document's prediction is the windows' softmax of mean log p; only the last window holds 'video'.
    session = AuditSession.open(fake, AuditOptions(), AuditInputs(LEXICON))
    plan = session.backend._long_text(text)
    window_p = fake.probabilities(plan.windows.texts)
    assert record["probabilities"]["1"] == pytest.approx(float(combine_probabilities(window_p)[1]), abs=1e-6)
    without = audit_corpus(corpus, fake, str(tmp_path / "n"), AuditOptions(id_column="id", windows=False),
                           AuditInputs(LEXICON))[0]
    assert without.truncated == 1 and without.with_forbidden_terms == 0 and summary.windowed == 1


@pytest.mark.parametrize("redact", [False, True])
def test_records_encoded_by_a_child_process_are_the_same_bytes(tmp_path, monkeypatch, redact):
    corpus = str(tmp_path / "c.csv")
    with open(corpus, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [["id", "text"]] + [[f"d{i}", f"=great video {i}, \"quoted\"" if i % 3 else f"vidéo 🙂 {i}"] for i in range(100)]
        )
    options = AuditOptions(id_column="id", batch_size=4, redact=redact)
    audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "here"), options, AuditInputs(LEXICON))
    started = encode_in_a_child(monkeypatch)
    audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "child"), options, AuditInputs(LEXICON))
    assert [child.redact for child in started] == [redact]
    for name in (outputs.RECORDS_JSONL, outputs.RECORDS_CSV):
        assert (tmp_path / "child" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_a_child_started_before_the_audit_encodes_the_same_bytes_and_is_closed(tmp_path):
    texts = [f"{'great ' * (i % 3)}video number {i}" if i % 2 else f"plain text {i}" for i in range(60)]
    corpus = write_corpus(tmp_path / "c.csv", texts)
    options = AuditOptions(id_column="id", batch_size=4)
    audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "here"), options, AuditInputs(LEXICON))
    early = record_encoding.EncoderProcess(False)
    audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "early"), options, AuditInputs(LEXICON),
                 record_encoder=early)
    assert early._process.poll() is not None  # the audit closed it
    for name in (outputs.RECORDS_JSONL, outputs.RECORDS_CSV):
        assert (tmp_path / "early" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()
    # An audit that fails before its first record closes the child it was given, too.
    bad = tmp_path / "bad.csv"
    bad.write_text("name,words\nx,y\n")
    early = record_encoding.EncoderProcess(False)
    with pytest.raises(InputError):
        audit_corpus(str(bad), FakeBackend(WEIGHTS), str(tmp_path / "bad"), options, AuditInputs(LEXICON),
                     record_encoder=early)
    assert early._process.wait(timeout=10) is not None


@pytest.mark.parametrize("child", [False, True])
def test_an_interrupted_run_resumes_to_the_same_outputs(tmp_path, monkeypatch, child):
    if child:
        encode_in_a_child(monkeypatch)
    texts = [f"{'great ' * (i % 3)}video number {i}" if i % 2 else f"plain text {i}" for i in range(40)]
    corpus = write_corpus(tmp_path / "c.csv", texts)
    options = AuditOptions(id_column="id", batch_size=4, max_in_flight=1, checkpoint_seconds=0.0,
                           evaluation_options=(("discover", True), ("discover_sample", 1.0)))
    whole, _ = audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "whole"), options, AuditInputs(LEXICON))

    class StopAfterTwoBatches(FakeBackend):
        def explain(self, texts):
            if self.calls["explain"] == 2:
                stop.set()
            return super().explain(texts)

    stop = threading.Event()
    stop.signal_number = 15
    with pytest.raises(AuditInterrupted):
        audit_corpus(corpus, StopAfterTwoBatches(WEIGHTS), str(tmp_path / "part"), options, AuditInputs(LEXICON),
                     stop=stop)
    assert (tmp_path / "part" / outputs.INCOMPLETE).exists()
    assert not (tmp_path / "part" / outputs.MANIFEST_JSON).exists()  # an unfinished run has no manifest
    resumed, _ = audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "part"), options, AuditInputs(LEXICON),
                              resume=True)
    for name in (outputs.RECORDS_JSONL, outputs.RECORDS_CSV):
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    # The statistics replayed from the committed records give the same intervals (bootstrap sums merge exactly).
    for field in ("reliance_flip_fraction_interval", "mean_reliance_drop_interval", "excess_flip_fraction",
                  "excess_mean_drop", "mean_share_interval", "control_flip_fraction", "term_reliance",
                  "discovered_words", "discovery_classes", "discovery_documents"):
        assert getattr(resumed, field) == getattr(whole, field), field
    assert whole.control_documents > 0 and whole.mean_reliance_drop_interval.high > 0
    assert whole.discovery_documents == 40 and whole.discovered_words
    assert not (tmp_path / "part" / outputs.INCOMPLETE).exists()
    from audit_engine.verification import verify_bundle

    assert verify_bundle(str(tmp_path / "part")).passed  # the resumed run's manifest binds its outputs


def test_a_header_only_corpus_is_an_input_error_and_leaves_incomplete(tmp_path):
    corpus = write_corpus(tmp_path / "c.csv", [])
    with pytest.raises(InputError, match="no data rows"):
        audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "o"), AuditOptions(), AuditInputs(LEXICON))
    assert (tmp_path / "o" / outputs.INCOMPLETE).exists() and not (tmp_path / "o" / outputs.SUMMARY_JSON).exists()


def test_one_text_gets_every_evaluation_it_supports():
    groups = SubstitutionGroups([("great", "fine")])
    options = AuditOptions(rationale_column="--rationale", toxic_classes=("1",))
    session = AuditSession.open(FakeBackend(WEIGHTS), options, AuditInputs(LEXICON, groups), single_text=True)
    assert [e.name for e in session.evaluations] == ["reliance", "substitution", "rationale"]  # no bias AUCs
    document = CorpusRow(1, "1", "a great video", rationale=np.array([0, 0, 1], np.uint8))
    explained, prepared = explain_batch(session.backend, [document], session.evaluations)
    _, record, _ = next(build_records([document], explained, prepared, session.settings, session.evaluations))
    assert record.reliance_measured and record.substituted and record.has_rationale
    # 'fine' weighs 0 like 'great' weighs 1: the substitution moves p(1) from sigmoid(4) to sigmoid(3).
    assert record.substitution_gap_mean == pytest.approx(sigmoid(4) - sigmoid(3), abs=1e-6)
    assert record.rationale_token_f1 == pytest.approx(1.0)  # 'video' is both the rationale and the most salient


def test_the_registry_describes_every_evaluation():
    assert [kind.name for kind in EVALUATIONS] == ["reliance", "discovery", "substitution", "rationale", "bias"]
    assert [kind for kind in EVALUATIONS if kind.headline] == [Reliance]
    # records.csv keeps its column order: the evaluations' columns sit where the schema has always had them.
    assert record_lines.CSV_COLUMNS == [
        "row", "id", "status", "skip_reason", "predicted_label", "confidence", "reliance_measured", "reliance_drop",
        "reliance_flips", "control_drop", "control_flips", "term_reliance", "substitution_variants", "substitution_gap_mean", "substitution_gap_max",
        "substitution_flips", "forbidden_share", "flagged", "truncated", "token_count", "explained_tokens", "windows",
        "forbidden_terms", "top_tokens", "true_label", "has_rationale", "rationale_missing", "rationale_token_f1",
        "rationale_auprc", "completeness_gap", "word_reliance", "text_sha256", "text"]
    from audit_engine.compare import METRICS
    from audit_engine.summary import GATES
    assert list(GATES) == ["max_flip_fraction", "max_mean_drop", "max_decisive_flip_fraction", "max_excess_flip_fraction",
                           "fail_above", "max_flagged_fraction"]
    assert list(METRICS) == ["flip_fraction", "mean_drop", "substitution_gap", "mean_share", "flagged_fraction",
                             "accuracy"]


def test_windowed_is_off_for_models_before_contract_3():
    fake = FakeBackend(WEIGHTS)
    old = {**fake.metadata(), "contract_version": 2}
    assert windowed(fake, WindowConfig(), old) == (fake, 0)
    wrapped, stride = windowed(fake, WindowConfig(), fake.metadata())
    assert isinstance(wrapped, WindowedBackend) and stride == 14  # 7/8 of T = 16


def test_summaries_written_before_the_reliance_rename_are_read_and_compared(tmp_path):
    from audit_engine.compare import build_comparison
    corpus = write_corpus(tmp_path / "c.csv", ["a great video", "an awful video", "plain"])
    summary, _ = audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "new"), AuditOptions(id_column="id"),
                              AuditInputs(LEXICON))
    assert summary.record_schema_version == outputs.RECORD_SCHEMA_VERSION == 2
    fields = json.loads((tmp_path / "new" / outputs.SUMMARY_JSON).read_text())
    renamed_back = {new: old for old, new in outputs.SUMMARY_FIELDS_BEFORE_VERSION_2.items()}
    old = {renamed_back.get(name, name): value for name, value in fields.items() if name != "record_schema_version"}
    assert "occlusion_flip_fraction" in old and "reliance_flip_fraction" not in old
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / outputs.SUMMARY_JSON).write_text(json.dumps(old))
    read = outputs.read_summary(str(tmp_path / "old"))
    assert read.reliance_documents == summary.reliance_documents == 2
    assert read.reliance_flip_fraction == summary.reliance_flip_fraction == 0.5
    comparison = build_comparison(str(tmp_path / "old"), str(tmp_path / "new"), max_increase=[("flip_fraction", 1.0)])
    flip = next(row for row in comparison.rows if row.name == "flip_fraction")
    assert (flip.baseline, flip.candidate, flip.verdict) == (0.5, 0.5, "same") and comparison.passed


def test_reports_show_only_evaluations_that_ran_and_count_in_words(tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,text,rationale\nd0,a great video,0 0 1\nd1,plain words here,\n", encoding="utf-8")
    summary, _ = audit_corpus(str(corpus), FakeBackend(WEIGHTS), str(tmp_path / "o"),
                              AuditOptions(id_column="id", rationale_column="rationale"), AuditInputs(LEXICON))
    assert list(summary.evaluations) == ["reliance", "rationale"]
    report = (tmp_path / "o" / outputs.REPORT_MD).read_text()
    assert "Substitution" not in report and "Human rationale (1 document with" in report
    assert "(1 term, sha256" in report
    records = [json.loads(line) for line in open(tmp_path / "o" / outputs.RECORDS_JSONL)]
    assert records[0]["rationale_token_f1"] == 1.0 and "rationale_token_f1" not in records[1]
    assert "rationale_auprc" not in records[1] and records[1]["rationale_missing"]


def test_progress_shows_no_share_of_a_file_read_ahead_whole():
    import io
    from audit_cli.console import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    progress = Progress(True, Terminal())
    progress(64, 0.5, 1.0)
    assert progress.stream.getvalue().strip() == "64 docs, 128 docs/s"


def test_compare_shows_verdicts_units_per_term_rows_and_escapes_markdown(tmp_path):
    from click.testing import CliRunner

    from audit_cli.main import main as audit_cli
    corpus = write_corpus(tmp_path / "c.csv", ["a great video", "an awful video", "great plain"])
    for name, weights in (("a", WEIGHTS), ("b", {**WEIGHTS, "video": 0.1})):
        audit_corpus(corpus, FakeBackend(weights, model_name="<script>m</script>|x"), str(tmp_path / name),
                     AuditOptions(id_column="id"), AuditInputs(LEXICON))
    result = CliRunner().invoke(audit_cli, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out",
                                            str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    assert "verdicts: baseline ATTENTION, candidate " in result.output
    drop = next(line for line in result.output.splitlines() if line.startswith("mean drop"))
    assert drop.count(" points") == 3 and "(better)" in drop  # values and change in points of probability
    share = next(line for line in result.output.splitlines() if line.startswith("mean forbidden share"))
    assert share.endswith("(changed)")  # a share has no better direction
    assert "video: predictions that change without it" in result.output
    markdown = (tmp_path / "cmp" / "compare.md").read_text()
    assert "<script>" not in markdown and "&lt;script&gt;m&lt;/script&gt;\\|x" in markdown
    assert "no better direction" in markdown and "Per term" in markdown


def test_names_labels_and_paths_are_inert_in_report_md_and_shown_as_written_in_report_html(tmp_path):
    hostile = "<img src=x onerror=alert(1)>|`*"
    folder = tmp_path / "in<b>put"
    folder.mkdir()
    corpus = write_corpus(folder / "c.csv", ["a great video", "awful plain words"])
    audit_corpus(corpus, FakeBackend(WEIGHTS, class_names=("0", hostile), model_name=hostile), str(tmp_path / "o"),
                 AuditOptions(id_column="id"), AuditInputs(LEXICON))
    report_md = (tmp_path / "o" / outputs.REPORT_MD).read_text()
    assert "<img" not in report_md and "<b>" not in report_md
    assert "&lt;img src=x onerror=alert(1)&gt;\\|\\`\\*" in report_md  # in the title and the class table
    report_html = (tmp_path / "o" / outputs.REPORT_HTML).read_text()
    assert "<img" not in report_html and "&lt;img src=x onerror=alert(1)&gt;|`*" in report_html


def test_compare_cannot_be_gamed_by_an_audit_that_measured_less(tmp_path):
    """A candidate audited without the reliance check and with another threshold: gates on what it did not measure
    fail with a reason, the differing settings are listed first, and nothing is compared as 0."""
    from audit_engine.compare import build_comparison
    corpus = write_corpus(tmp_path / "c.csv", ["a great video", "an awful video", "plain"], ["1", "0", "1"])
    audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "base"),
                 AuditOptions(id_column="id", label_column="label"), AuditInputs(LEXICON))
    audit_corpus(corpus, FakeBackend(WEIGHTS), str(tmp_path / "gamed"),
                 AuditOptions(id_column="id", reliance=False, threshold=0.9), AuditInputs(LEXICON))
    comparison = build_comparison(str(tmp_path / "base"), str(tmp_path / "gamed"),
                                  max_increase=[("flip_fraction", 0.0), ("mean_drop", 0.0), ("flagged_fraction", 1.0)],
                                  max_decrease=[("accuracy", 1.0)])
    assert not comparison.passed
    results = dict((text.split(":")[0], (text, passed)) for text, passed in comparison.threshold_results)
    assert "cannot be judged (not measured by the candidate)" in results["flip_fraction may increase by at most 0"][0]
    assert "cannot be judged (the audits' threshold differ)" in results["flagged_fraction may increase by at most 1"][0]
    assert "not measured by the candidate" in results["accuracy may decrease by at most 1"][0]
    assert not any(passed for _, passed in results.values())
    settings = [w for w in comparison.warnings if w.startswith("Settings differ")]
    assert any("threshold: 0.5 (baseline) vs 0.9 (candidate)" in w for w in settings)
    assert "Settings differ: evaluations: reliance (baseline) vs none (candidate)" in settings
    flip = next(row for row in comparison.rows if row.name == "flip_fraction")
    assert flip.shown("candidate") == "not measured" and flip.verdict == "not comparable"


def test_the_document_cap_applies_before_tokenization(tmp_path):
    import hashlib
    text = " ".join(["plain"] * 5000 + ["video"] * 10)
    corpus = write_corpus(tmp_path / "c.csv", [text])
    summary, _ = audit_corpus(corpus, FakeBackend(WEIGHTS, max_tokens=8), str(tmp_path / "o"),
                              AuditOptions(id_column="id", max_document_tokens=100), AuditInputs(LEXICON))
    record = json.loads(open(tmp_path / "o" / outputs.RECORDS_JSONL).readline())
    assert record["token_count"] == 5010 and record["explained_tokens"] == 100 and record["truncated"]
    assert record["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()  # the document as read
    assert record["text"] == " ".join(["plain"] * 100)  # what was audited: the first 100 tokens
    assert not record["forbidden_terms"] and summary.truncated == 1  # 'video' lies beyond the cap


def _reference_record_values(explanation, lexicon, top_k):
    """What a record holds, computed the plain NumPy way from the explanation (sum in float64, NumPy's max)."""
    tokens = [t.decode() for t in explanation.tokens[: explanation.token_count] if t]
    saliency = np.asarray(explanation.saliency[: len(tokens)], dtype=np.float32)
    matches = lexicon.matches(tokens)
    forbidden = np.zeros(len(tokens), bool)
    for start, end, _ in matches:
        forbidden[start:end] = True
    mass = float(saliency.sum(dtype=np.float64))
    share = float(saliency[forbidden].sum(dtype=np.float64)) / mass if mass > 0 and forbidden.any() else 0.0
    order = np.argsort(-saliency, kind="stable")[:top_k]
    return {
        "confidence": float(np.asarray(explanation.probabilities, np.float32).max()),
        "probabilities": [float(p) for p in np.asarray(explanation.probabilities, np.float32)],
        "mass": mass,
        "share": share,
        "terms": [(term, start, end, float(saliency[start:end].sum(dtype=np.float64))) for start, end, term in matches],
        "top": [(int(p), float(saliency[p]), bool(forbidden[p])) for p in order],
    }


@pytest.mark.parametrize("seed", range(4))
def test_a_record_holds_its_explanation_computed_the_plain_numpy_way(seed):
    """audit_document reads lists and skips reductions for speed; each field must equal the plain computation
    (float32 as protobuf stores it), with one- and two-word terms, ties, padding, a NaN probability and redaction."""
    from audit_engine.document import Explanation, RecordSettings, audit_document

    rng = np.random.default_rng(seed)
    lexicon = Lexicon.from_entries(["a", "b c", "d"])
    vocabulary = ["a", "b", "c", "d", "e", "f"]
    for case in range(200):
        length, width = int(rng.integers(1, 12)), 12
        tokens = np.asarray([w.encode() for w in rng.choice(vocabulary, length)] + [b""] * (width - length), object)
        saliency = np.zeros(width, np.float32)
        saliency[:length] = rng.choice([0.0, 0.25, rng.random()], length) * 10.0 ** rng.integers(-8, 2)
        probabilities = rng.dirichlet([1.0, 1.0, 1.0]).astype(np.float32)
        if case % 50 == 7:
            probabilities[1] = np.nan
        explanation = Explanation(probabilities, saliency, tokens, b"x", length)
        redact = case % 3 == 0
        settings = RecordSettings(["x", "y", "z"], lexicon, 0.5, 5, redact)
        text = " ".join(t.decode() for t in tokens[:length])
        record = audit_document(CorpusRow(case + 1, f"d{case}", text), explanation, settings)
        expected = _reference_record_values(explanation, lexicon, 5)
        f32 = lambda value: float(np.float32(value))  # noqa: E731  (a float field holds the float32 value)
        if np.isnan(expected["confidence"]):
            assert math.isnan(record.confidence)
        else:
            assert record.confidence == f32(expected["confidence"])
        got = [record.probabilities[name] for name in "xyz"]
        assert [g if g == g else "nan" for g in got] == [f32(p) if p == p else "nan" for p in expected["probabilities"]]
        assert record.saliency_mass == f32(expected["mass"]) and record.forbidden_share == f32(expected["share"])
        assert [(h.term, h.start, h.end, h.saliency) for h in record.forbidden_terms] == [
            (term, start, end, f32(value)) for term, start, end, value in expected["terms"]
        ]
        words = text.split()
        assert [(t.position, t.saliency, t.forbidden, t.token) for t in record.top_tokens] == [
            (p, f32(value), flag, words[p] if flag or not redact else "") for p, value, flag in expected["top"]
        ]
