"""Discovery on the numpy fake backend (no TensorFlow): a word the model relies on that the lexicon does not list
is found and ranked beside the listed terms, with drops in closed form; sampling and the per-document cap are
fixed by the ids; accumulators merge to the same summary; candidates restrict what is measured."""

import json
import math

import pytest

from audit_engine import outputs
from audit_engine.backends.fake import FakeBackend
from audit_engine.evaluations import AuditInputs, Discovery
from audit_engine.evaluations.discovery import STRONG, sampled
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus
from protos import audit_pb2
from saliency_core.lexicon import Lexicon

# 'video' is listed; 'zeta' is not, and the model leans on it as hard; 'great' weighs little.
WEIGHTS = {"video": 3.0, "zeta": -3.0, "great": 0.4}
LEXICON = Lexicon.from_entries(["video"])


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def corpus(path, n=60):
    texts = []
    for i in range(n):
        words = ["plain", "words", f"w{i % 7}"]
        if i % 2:
            words.append("video")
        if i % 2 == 0 and i % 8 != 4:  # never beside 'video', where it would only weaken the prediction
            words.append("zeta")
        if i % 4 == 0:
            words.append("great")
        texts.append(" ".join(words))
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,text\n" + "".join(f"d{i},{t}\n" for i, t in enumerate(texts)))
    return str(path), texts


def discover(tmp_path, name, sample=1.0, words=16, inputs=AuditInputs(LEXICON), n=60):
    path, texts = corpus(tmp_path / f"{name}.csv", n)
    options = AuditOptions(id_column="id", examples=0, evaluation_options=(
        ("discover", True), ("discover_sample", sample), ("discover_words", words)))
    summary, _ = audit_corpus(path, FakeBackend(WEIGHTS, bias=0.5), str(tmp_path / name), options, inputs)
    records = [json.loads(line) for line in open(tmp_path / name / outputs.RECORDS_JSONL)]
    return summary, records, texts


def test_an_unlisted_word_relied_on_as_hard_as_the_listed_one_is_found(tmp_path):
    summary, records, texts = discover(tmp_path, "all")
    ranked = {w.word: w for w in summary.discovered_words}
    assert ranked["video"].listed and ranked["video"].finding == "listed"
    assert ranked["zeta"].finding == STRONG and not ranked["zeta"].listed
    assert ranked["great"].finding == "weaker" and ranked["plain"].finding == "weaker"
    assert summary.discovery_documents == 60 and summary.discovery_reference_terms == 1
    assert summary.discovery_reference_drop == pytest.approx(ranked["video"].mean_drop)
    # Every word of every document removed alone: the drop is the closed form of the logistic model.
    for record, text in zip(records, texts):
        logit = 0.5 + sum(WEIGHTS.get(w, 0.0) for w in text.split())
        p1 = sigmoid(logit)
        predicted_p = max(p1, 1 - p1)
        measured = {item["term"]: item for item in record["word_reliance"]}
        assert set(measured) == set(text.split())
        for word in text.split():
            without = sigmoid(logit - WEIGHTS.get(word, 0.0))
            p_after = without if p1 >= 0.5 else 1 - without
            assert measured[word]["drop"] == pytest.approx(predicted_p - p_after, abs=1e-6)
            assert bool(measured[word].get("flips")) == ((without >= 0.5) != (p1 >= 0.5))
    # Ranked by mean drop, words under the minimum support left out ('w0'..'w6' occur 8-9 times).
    drops = [w.mean_drop for w in summary.discovered_words]
    assert drops == sorted(drops, reverse=True)
    assert not any(w.word.startswith("w") and w.word[1:].isdigit() for w in summary.discovered_words)
    # Per predicted class, unlisted words only; 'zeta' pushes toward class 0.
    classes = {c.label: c for c in summary.discovery_classes}
    assert classes["0"].words[0].word == "zeta" and all(not w.listed for c in classes.values() for w in c.words)
    report = open(tmp_path / "all" / outputs.REPORT_MD).read()
    assert "## Words the lexicon may have missed" in report and "zeta" in report.split("missed")[1]
    assert summary.discovery_candidates == 0 and "Each word in 60 sampled documents" in report
    csv_header = open(tmp_path / "all" / outputs.RECORDS_CSV).readline()
    assert "word_reliance" in csv_header


def test_the_sample_and_the_cap_are_fixed_by_the_ids(tmp_path):
    summary, records, _ = discover(tmp_path, "half", sample=0.5, words=2, n=200)
    chosen = [r["id"] for r in records if r.get("discovery_measured")]
    assert chosen == [f"d{i}" for i in range(200) if sampled(f"d{i}", 0.5)]
    assert 70 < len(chosen) < 130 and summary.discovery_documents == len(chosen)
    assert all(len(r["word_reliance"]) == 2 for r in records if r.get("discovery_measured"))
    again, records_again, _ = discover(tmp_path, "again", sample=0.5, words=2, n=200)
    assert records_again == records and again.discovered_words == summary.discovered_words


def test_accumulators_merge_to_the_same_summary(tmp_path):
    _, records, _ = discover(tmp_path, "merge")
    from google.protobuf import json_format
    parsed = [json_format.ParseDict(r, audit_pb2.AuditRecord()) for r in records]
    whole, first, second = (Discovery(LEXICON, sample=1.0) for _ in range(3))
    for record in parsed:
        whole.add(record)
    for n, record in enumerate(parsed):
        (first if n % 3 else second).add(record)
    second.merge(first)
    summaries = []
    for accumulator in (whole, second):
        summary = audit_pb2.AuditSummary()
        accumulator.summarise(summary)
        summaries.append(summary)
    assert summaries[0] == summaries[1] and summaries[0].discovered_words


def test_candidates_restrict_what_is_measured(tmp_path):
    inputs = AuditInputs(LEXICON, candidates=Lexicon.from_entries(["zeta", "plain words"]))
    summary, records, _ = discover(tmp_path, "candidates", inputs=inputs)
    measured = {item["term"] for r in records for item in r.get("word_reliance", [])}
    assert measured == {"video", "zeta", "plain words"}
    order = [w.word for w in summary.discovered_words]
    assert set(order) == measured and order.index("zeta") < order.index("plain words")
    assert summary.discovery_candidates == 2
    report = open(tmp_path / "candidates" / outputs.REPORT_MD).read()
    assert "Each of the 2 candidates given (--discover-candidates) and each listed term in 60 sampled" in report


def test_without_a_lexicon_the_ranking_stands_alone(tmp_path):
    summary, _, _ = discover(tmp_path, "alone", inputs=AuditInputs())
    assert summary.discovered_words and not summary.HasField("discovery_reference_drop")
    assert all(w.finding == "" for w in summary.discovered_words)
    assert "ranking alone" in open(tmp_path / "alone" / outputs.REPORT_MD).read()
