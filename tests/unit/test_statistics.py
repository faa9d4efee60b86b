"""Coverage of the interval methods by simulation (numpy only): on data with a known truth, each 95 % interval
covers it in 93-97 % of 2,000 seeded simulations; and the bootstrap sketch merges exactly, in any order."""

from statistics import NormalDist

import numpy as np
import pytest

from audit_engine import statistics
from audit_engine.evaluations import bias_metrics
from audit_engine.statistics import MeanSketch, bootstrap_weights, bootstrap_weights_of


@pytest.mark.parametrize("n, p", [(87, 0.023), (200, 0.1), (1000, 0.02), (40, 0.3)])
def test_wilson_covers_the_true_rate_about_95_percent_of_the_time(n, p):
    rng = np.random.default_rng(1)
    draws = rng.binomial(n, p, 2_000)
    covered = sum(statistics.wilson(int(k), n).holds(p) for k in draws)
    assert 0.93 <= covered / 2_000 <= 0.97, covered


def sketch_of(values, ids):
    sketch = MeanSketch()
    for key, value in zip(ids, values):
        sketch.add(bootstrap_weights(key), value)
    return sketch


@pytest.mark.parametrize("kind", ["drops", "excess flips"])
def test_the_poisson_bootstrap_covers_the_true_mean_about_95_percent_of_the_time(kind):
    rng = np.random.default_rng(2)
    # Drops of p(predicted): mostly near 0, a few large (skewed, as real drops are); the paired excess of the
    # forbidden words' flips over the control's: -1, 0 or +1 per document.
    n, truth = (100, 0.3 * 2 / (2 + 8)) if kind == "drops" else (150, 0.08 - 0.03)
    simulations, covered = 1_000, 0
    for s in range(simulations):
        if kind == "drops":
            values = 0.3 * rng.beta(2, 8, n)
        else:
            values = rng.binomial(1, 0.08, n) - rng.binomial(1, 0.03, n)
        sketch = MeanSketch()
        sketch.add_many(bootstrap_weights_of([f"{s}-{i}" for i in range(n)]), values)
        covered += sketch.interval().holds(truth)
    assert 0.93 <= covered / simulations <= 0.97, covered


def test_bootstrap_weights_are_poisson_1_and_fixed_by_the_id():
    weights = np.concatenate([bootstrap_weights(str(i)) for i in range(500)])
    assert abs(weights.mean() - 1) < 0.01 and abs(weights.var() - 1) < 0.02
    assert (np.bincount(weights)[:3] / len(weights)).round(2).tolist() == [0.37, 0.37, 0.18]
    assert (bootstrap_weights("a") == bootstrap_weights("a")).all()
    assert (bootstrap_weights("a") != bootstrap_weights("b")).any()


def test_bootstrap_sketches_merge_exactly_in_any_order():
    rng = np.random.default_rng(3)
    values, ids = rng.uniform(-1, 1, 300), [str(i) for i in range(300)]
    whole = sketch_of(values, ids)
    parts = [sketch_of(values[i::3], ids[i::3]) for i in (2, 0, 1)]
    merged = MeanSketch()
    for part in parts:
        merged.merge(part)
    assert merged.interval() == whole.interval() and (merged.sums == whole.sums).all()
    at_once = MeanSketch()
    at_once.add_many(bootstrap_weights_of(ids), values)
    assert (at_once.sums == whole.sums).all() and (at_once.weights == whole.weights).all()
    assert whole.interval().holds(float(values.mean()))


def test_documents_to_decide_shrinks_as_the_rate_moves_from_the_limit():
    assert statistics.documents_to_decide(0.023, 0.02) > statistics.documents_to_decide(0.05, 0.02) > 0
    n = statistics.documents_to_decide(0.05, 0.02)  # where a rate of 5 % starts to clear a limit of 2 %
    assert statistics.wilson(0.05 * n, n).low > 0.02 >= statistics.wilson(0.05 * (n - 1), n - 1).low
    assert statistics.documents_to_decide(0.02, 0.02) == 0


def delong_by_definition(labels, scores):
    """DeLong's variance from the O(m n) definition of the placements: an independent reference."""
    positives, negatives = scores[labels], scores[~labels]
    psi = (positives[:, None] > negatives[None, :]) + 0.5 * (positives[:, None] == negatives[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return psi.mean(), v10.var(ddof=1) / len(positives) + v01.var(ddof=1) / len(negatives)


def test_delong_interval_matches_its_definition_with_ties():
    rng = np.random.default_rng(4)
    labels = rng.random(300) < 0.3
    scores = np.round(rng.normal(labels * 0.8, 1.0), 1)  # rounded: many ties
    value, variance = delong_by_definition(labels, scores)
    interval = bias_metrics.auc_interval(labels, scores, 0.95)
    half = statistics.z_value(0.95) * np.sqrt(variance)
    assert interval.low == pytest.approx(value - half, abs=1e-12)
    assert interval.high == pytest.approx(value + half, abs=1e-12)
    assert bias_metrics.auc(labels, scores) == pytest.approx(value, abs=1e-12)


def test_delong_covers_the_true_auc_about_95_percent_of_the_time():
    # Binormal scores: positives N(1, 1), negatives N(0, 1); the true AUC is Phi(1 / sqrt 2).
    rng = np.random.default_rng(5)
    truth = NormalDist().cdf(1 / np.sqrt(2))
    labels = np.r_[np.ones(60, bool), np.zeros(140, bool)]
    covered = sum(bias_metrics.auc_interval(labels, rng.normal(labels * 1.0, 1.0), 0.95).holds(truth)
                  for _ in range(2_000))
    assert 0.93 <= covered / 2_000 <= 0.97, covered


@pytest.mark.parametrize("n", [10, 30, 200])
def test_the_t_interval_of_a_mean_covers_the_true_mean_about_95_percent_of_the_time(n):
    """Discovery's per-word interval, from three sums, on skewed drops (mostly near 0, some large; as a word's
    drops are) down to its minimum support of 10 documents."""
    rng = np.random.default_rng(3)
    truth = 0.5 * 0.3 + 0.5 * 0.02
    simulations, covered = 2_000, 0
    for _ in range(simulations):
        values = np.where(rng.random(n) < 0.5, rng.normal(0.3, 0.1, n), rng.normal(0.02, 0.02, n))
        interval = statistics.mean_interval(n, float(values.sum()), float((values**2).sum()))
        covered += interval.holds(truth)
    assert 0.93 <= covered / simulations <= 0.97, covered
