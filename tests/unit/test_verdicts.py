"""Verdicts on the fake backend (closed form): the deletion control, decisive flips, per-term findings with Holm,
gates judged by their intervals (PASS / FAIL / INCONCLUSIVE and the exit policy), and compare paired on one
corpus, unpaired across corpora."""

import json
import math

import pytest

from audit_engine import outputs
from audit_engine.backends.fake import FakeBackend
from audit_engine.compare import build_comparison
from audit_engine.evaluations import AuditInputs
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus
from audit_engine.statistics import mcnemar_exact
from saliency_core.lexicon import Lexicon

LEXICON = Lexicon.from_entries(["video", "clip"])


def write(path, texts):
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,text\n" + "".join(f"d{i},{text}\n" for i, text in enumerate(texts)))
    return str(path)


def audit(tmp_path, name, texts, weights, gates=None, bias=-0.5, **options):
    corpus = texts if isinstance(texts, str) else write(tmp_path / f"{name}.csv", texts)
    out = tmp_path / name
    summary, passed = audit_corpus(corpus, FakeBackend(weights, bias=bias), str(out),
                                   AuditOptions(id_column="id", **options), AuditInputs(LEXICON), gates or {})
    records = [json.loads(line) for line in open(out / outputs.RECORDS_JSONL)]
    return summary, passed, records, str(out)


# 'video' decides (weight 3 against a bias of -0.5); 'clip' and every other word weigh nothing.
WEIGHTS = {"video": 3.0}
RELIANT = [f"a plain video number {i}" for i in range(30)] + [f"a plain clip number {i}" for i in range(12)]


def test_the_control_removes_as_many_other_words_and_only_the_forbidden_ones_flip(tmp_path):
    summary, _, records, _ = audit(tmp_path, "a", RELIANT, WEIGHTS)
    # Other words weigh 0: removing any of them changes nothing, so the control never flips and never drops.
    assert all(r["control_measured"] and r["control_drop"] == 0 and not r["control_flips"] for r in records)
    assert summary.reliance_flipped == 30 and summary.control_flipped == 0 and summary.control_documents == 42
    assert summary.excess_flip_fraction.value == pytest.approx(30 / 42)
    assert summary.excess_flip_p_value == pytest.approx(mcnemar_exact(30, 0))
    assert summary.excess_flip_fraction.interval.low > 0.5  # the bootstrap interval of the paired excess
    # Every flip drops p(predicted) from sigmoid(2.5) to 1 - sigmoid(-0.5): decisive at the default margin of 0.1.
    assert summary.reliance_decisive_flipped == 30
    again = audit(tmp_path, "again", RELIANT, WEIGHTS)
    assert again[0].excess_flip_fraction == summary.excess_flip_fraction  # seeded by ids: the same intervals


def test_the_control_counts_when_other_words_matter(tmp_path):
    # logit 0.3: without 'video' -0.7 (a flip); without 'good' or 'fine' -0.1 (a flip too); without the number, none.
    texts = [f"good fine video {i}" for i in range(20)]
    summary, _, records, _ = audit(tmp_path, "a", texts, {"video": 1.0, "good": 0.4, "fine": 0.4}, bias=-1.5)
    assert summary.control_flipped > 0 and summary.excess_flip_fraction.value < summary.reliance_flip_fraction
    # One forbidden word, so one other word goes: 'good' or 'fine' (a drop of sigmoid(0.3) - sigmoid(-0.1)) or
    # the number (no drop); never two words, never 'video'.
    one_word = 1 / (1 + math.exp(-0.3)) - 1 / (1 + math.exp(0.1))
    assert {round(r["control_drop"], 5) for r in records} <= {0.0, round(one_word, 5)}
    assert summary.reliance_flipped == 20 and 0 < summary.control_flipped < 20
    assert sum(r["control_flips"] for r in records) == summary.control_flipped


def test_terms_are_tested_against_the_control_with_holm_and_small_terms_are_not_concluded(tmp_path):
    texts = RELIANT + [f"a rare clip {i}" for i in range(3)]
    summary, _, _, _ = audit(tmp_path, "a", texts, WEIGHTS)
    terms = {t.term: t for t in summary.term_reliance}
    assert terms["video"].finding == "relies" and terms["video"].adjusted_p_value < 0.05
    assert terms["clip"].finding == "no evidence" and terms["clip"].documents == 15
    few = audit(tmp_path, "few", [f"a plain video {i}" for i in range(6)], WEIGHTS)[0]
    assert few.term_reliance[0].finding == "too few to conclude" and few.term_reliance[0].flipped == 6


@pytest.mark.parametrize("policy, exit_passes", [("fail", False), ("pass", True)])
def test_a_gate_whose_interval_holds_the_limit_is_inconclusive(tmp_path, policy, exit_passes):
    texts = [f"a plain video {i}" for i in range(3)] + [f"plain words {i}" for i in range(3)]
    summary, passed, _, _ = audit(tmp_path, "a", texts, WEIGHTS, {"max_flip_fraction": 0.5}, inconclusive=policy)
    gate = summary.gates[0]
    assert summary.verdict == "INCONCLUSIVE" and gate.outcome == "inconclusive" and passed is exit_passes
    assert gate.interval.low < 0.5 < gate.interval.high and gate.documents_to_decide > 3
    assert "holds the limit" in summary.verdict_reason


def test_enough_documents_decide_a_gate(tmp_path):
    fail = audit(tmp_path, "f", RELIANT, WEIGHTS, {"max_flip_fraction": 0.2})[0]
    assert fail.verdict == "FAIL" and fail.gates[0].interval.low > 0.2
    clean = [f"a plain clip {i}" for i in range(400)]
    passing = audit(tmp_path, "p", clean, WEIGHTS, {"max_flip_fraction": 0.02, "max_excess_flip_fraction": 0.02})[0]
    assert passing.verdict == "PASS" and all(g.outcome == "pass" for g in passing.gates)


def test_compare_is_paired_on_one_corpus_and_unpaired_across_corpora(tmp_path):
    corpus = write(tmp_path / "c.csv", RELIANT)
    _, _, _, reliant = audit(tmp_path, "reliant", corpus, WEIGHTS)
    _, _, _, freed = audit(tmp_path, "freed", corpus, {"video": 0.2})
    paired = build_comparison(reliant, freed)
    row = next(r for r in paired.rows if r.name == "flip_fraction")
    assert row.change_with_interval.documents == 42 and row.change_with_interval.p_value == pytest.approx(
        mcnemar_exact(30, 0))
    assert row.verdict == "better" and "paired over 42 documents" in row.change
    assert not any("Different corpora" in w for w in paired.warnings)
    share = next(r for r in paired.rows if r.name == "mean_share")  # the saliency share is paired too
    assert share.change_with_interval.documents == 42 and share.change_with_interval.p_value is None
    _, _, _, other = audit(tmp_path, "other", RELIANT[:20], {"video": 0.2})
    unpaired = build_comparison(reliant, other)
    row = next(r for r in unpaired.rows if r.name == "flip_fraction")
    assert row.change_with_interval.documents == 0 and "unpaired" in row.change
    assert any("Different corpora" in w for w in unpaired.warnings)
    # A limit the change's interval holds cannot be judged: it fails, saying so.
    close = build_comparison(reliant, freed, max_increase=[("flip_fraction", -0.7)])
    assert not close.passed and "INCONCLUSIVE" in close.threshold_results[0][0]


def test_an_evaluation_declares_its_own_options_and_receives_them(tmp_path):
    from click.testing import CliRunner

    from audit_cli.main import main as audit_cli
    from audit_engine.evaluations import Reliance, evaluation_options

    assert {option.name for option in evaluation_options()} >= {"control", "flip_margin"}
    help_text = CliRunner().invoke(audit_cli, ["score", "--help"]).output
    assert "--control / --no-control" in help_text and "--flip-margin FRACTION" in help_text
    off = AuditOptions(evaluation_options=(("control", False), ("flip_margin", 0.9)))
    assert Reliance.option(off, "control") is False and Reliance.option(AuditOptions(), "flip_margin") == 0.1
    summary, _, records, _ = audit(tmp_path, "off", RELIANT, WEIGHTS,
                                   evaluation_options=(("control", False), ("flip_margin", 0.9)))
    assert summary.control_documents == 0 and not any(r["control_measured"] for r in records)
    assert summary.reliance_decisive_flipped == 0 and summary.flip_margin == 0.9  # no flip drops 0.9
