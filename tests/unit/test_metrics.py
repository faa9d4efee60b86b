import numpy as np
import pytest

from audit_engine.evaluations import bias_metrics, rationale_metrics


def test_token_f1_and_auprc_by_hand():
    scores = np.array([0.9, 0.1, 0.8, 0.3, 0.0])
    rationale = np.array([1, 0, 0, 1, 0], bool)
    # top-2 = positions 0 and 2: one hit; P = 1/2, R = 1/2.
    assert rationale_metrics.token_f1(scores, rationale, 2) == (0.5, 0.5, 0.5)
    # ranking 0 (hit), 2, 3 (hit): AP = (1/1 + 2/3) / 2
    assert rationale_metrics.auprc(scores, rationale) == pytest.approx((1 + 2 / 3) / 2)
    assert np.isnan(rationale_metrics.auprc(scores, np.zeros(5, bool)))


def test_aopc_removes_and_keeps_the_top_tokens():
    tokens = ["good", "plot", "bad", "acting", "fine"] * 20
    scores = np.array([1.0 if t == "good" else 0.0 for t in tokens])

    def probability(texts):  # p(class 1) = share of "good" among the words
        shares = [t.split().count("good") / max(len(t.split()), 1) for t in texts]
        return np.array([[1 - s, s] for s in shares])

    comprehensiveness, sufficiency = rationale_metrics.aopc(probability, tokens, scores, 1)
    assert comprehensiveness > 0  # removing the most salient words lowers p
    assert sufficiency < 0  # the salient words alone give a higher p than the whole text


def test_auc_matches_pairwise_definition():
    rng = np.random.default_rng(0)
    labels = rng.random(200) < 0.4
    scores = np.round(rng.random(200), 1)  # with ties
    pairs = [(1.0 if p > n else 0.5 if p == n else 0.0) for p in scores[labels] for n in scores[~labels]]
    assert bias_metrics.auc(labels, scores) == pytest.approx(np.mean(pairs))


def test_bias_metrics_detect_a_subgroup_scored_as_toxic():
    rng = np.random.default_rng(1)
    n = 2000
    labels = rng.random(n) < 0.5
    in_subgroup = rng.random(n) < 0.2
    scores = labels * 1.0 + rng.normal(0, 0.5, n)
    biased = scores + 1.5 * in_subgroup  # non-toxic subgroup texts look toxic
    fair_rows, fair_gap, _ = bias_metrics.bias_table(labels, scores, {"term": in_subgroup})
    biased_rows, biased_gap, _ = bias_metrics.bias_table(labels, biased, {"term": in_subgroup})
    assert biased_rows[0][3] < fair_rows[0][3] - 0.2  # BPSN AUC drops
    assert biased_rows[0][4] > fair_rows[0][4]  # BNSP AUC rises
    assert abs(biased_rows[0][2] - fair_rows[0][2]) < 0.02  # within-subgroup ranking unchanged


def test_pinned_auc_draws_are_independent_across_terms_and_averaged():
    """The shared-sample bug: two terms of the same size used to get the very same background sample."""
    rng = np.random.default_rng(2)
    n = 3000
    labels = rng.random(n) < 0.5
    scores = labels * 1.0 + rng.normal(0, 1.0, n)
    first = np.zeros(n, bool)
    first[:40] = True
    second = np.zeros(n, bool)
    second[40:80] = True
    scores_same_subgroups = scores.copy()
    scores_same_subgroups[40:80] = scores[:40]  # identical subgroup scores...
    labels[40:80] = labels[:40]  # ...and labels: only the background draws can differ
    draws_a = bias_metrics.pinned_auc(labels, scores_same_subgroups, first, np.random.default_rng(0), 20)
    assert len(draws_a) == 20 and draws_a.std() > 0  # the draws differ from each other
    rows, difference, spread = bias_metrics.bias_table(labels, scores_same_subgroups, {"a": first, "b": second},
                                                       draws=20)
    assert rows[0][5] != rows[1][5]  # independent backgrounds per term
    assert spread > 0 and difference > 0


def test_rate_equality_differences():
    labels = np.array([1, 1, 0, 0, 1, 1, 0, 0], bool)
    flagged = np.array([1, 1, 0, 0, 1, 0, 1, 1], bool)
    subgroup = np.array([0, 0, 0, 0, 1, 1, 1, 1], bool)
    fped, fned = bias_metrics.rate_equality_differences(labels, flagged, {"t": subgroup})
    # Overall FPR 2/4, subgroup FPR 2/2; overall FNR 1/4, subgroup FNR 1/2.
    assert fped == pytest.approx(0.5) and fned == pytest.approx(0.25)


def test_percent_never_prints_negative_zero():
    from audit_engine.formatting import percent
    assert [percent(v) for v in (-0.0001, 0.0, 0.1234, -0.25)] == ["0.0", "0.0", "12.3", "-25.0"]


def test_share_sketch_percentiles_are_within_its_stated_error():
    import numpy as np

    from audit_engine.summary import ShareSketch
    rng = np.random.default_rng(0)
    for values in (rng.random(1000), rng.beta(0.5, 5, size=333), np.array([0.0, 1.0]), np.array([0.42])):
        sketch, halves = ShareSketch(), (ShareSketch(), ShareSketch())
        for n, value in enumerate(values):
            sketch.add(float(value))
            halves[n % 2].add(float(value))
        merged = halves[0].merge(halves[1]) or halves[0]
        expected = np.percentile(values, [50, 90, 99])
        assert np.all(np.abs(np.array(sketch.percentiles([50, 90, 99])) - expected) <= ShareSketch.ERROR + 1e-12)
        assert merged.percentiles([50, 90, 99]) == sketch.percentiles([50, 90, 99])
        assert np.array_equal(sketch.histogram(10), np.histogram(values, bins=10, range=(0, 1))[0])


def test_a_nan_share_makes_the_mean_nan_and_stays_out_of_the_percentiles():
    import math

    from audit_engine.summary import ShareSketch
    sketch = ShareSketch()
    for value in (0.2, float("nan"), 0.4):
        sketch.add(value)
    assert math.isnan(sketch.total / sketch.count)
    assert abs(sketch.percentiles([50])[0] - 0.3) <= ShareSketch.ERROR + 1e-12


def test_bias_merged_in_any_order_equals_one_pass():
    """The Beam combiner merges per-file Bias accumulators in any order; the figures (pinned AUC draws
    included) must be those of one pass over the corpus."""
    from audit_engine.evaluations import Bias
    from protos import audit_pb2
    rng = np.random.default_rng(3)
    records = []
    for n in range(400):
        record = audit_pb2.AuditRecord(predicted_label="1", true_label=str(rng.integers(0, 2)))
        record.probabilities["1"] = float(rng.random())
        for term in ("he", "she", "they"):
            if rng.random() < 0.2:
                record.forbidden_terms.add(term=term)
        records.append(record)

    def summary_of(*parts):
        accumulators = []
        for part in parts:
            bias = Bias(["1"])
            for record in part:
                bias.add(record)
            accumulators.append(bias)
        for other in accumulators[1:]:
            accumulators[0].merge(other)
        summary = audit_pb2.AuditSummary()
        accumulators[0].summarise(summary)
        return summary

    one_pass = summary_of(records)
    assert len(one_pass.term_bias) == 3 and one_pass.pinned_auc_equality_difference > 0
    assert summary_of(records[:150], records[150:]) == one_pass
    assert summary_of(records[150:], records[:150]) == one_pass
    assert summary_of(records[300:], records[:70], records[70:300]) == one_pass
