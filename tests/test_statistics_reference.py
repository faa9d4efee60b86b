"""The audit's interval methods and tests against reference implementations (statsmodels, SciPy), to 1e-9."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from audit_engine import statistics


@pytest.mark.parametrize("n", [1, 7, 40, 87, 1000, 100_000])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels(n, confidence):
    for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
        low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
        interval = statistics.wilson(k, n, confidence)
        assert interval.low == pytest.approx(low, abs=1e-9) and interval.high == pytest.approx(high, abs=1e-9)


@pytest.mark.parametrize("b, c", [(0, 0), (0, 1), (1, 7), (8, 2), (30, 45), (400, 380), (3000, 3100)])
def test_mcnemar_exact_matches_statsmodels(b, c):
    reference = mcnemar([[10, b], [c, 10]], exact=True).pvalue
    assert statistics.mcnemar_exact(b, c) == pytest.approx(reference, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("k, n, p", [(0, 5, 0.1), (3, 7, 0.05), (9, 40, 0.098), (50, 200, 0.2), (1, 1, 0.5),
                                     (500, 2000, 0.24), (12, 12, 0.3)])
def test_binomial_upper_tail_matches_scipy(k, n, p):
    assert statistics.binomial_upper_tail(k, n, p) == pytest.approx(stats.binom.sf(k - 1, n, p), rel=1e-9, abs=1e-15)


def test_holm_matches_statsmodels():
    rng = np.random.default_rng(0)
    for m in (1, 2, 5, 30):
        p = rng.uniform(0, 0.2, m).tolist()
        assert statistics.holm(p) == pytest.approx(multipletests(p, method="holm")[1].tolist(), abs=1e-12)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
@pytest.mark.parametrize("df", [9, 10, 19, 50, 1000])
def test_t_value_matches_scipy(confidence, df):
    assert statistics.t_value(confidence, df) == pytest.approx(stats.t.ppf(0.5 + confidence / 2, df), rel=1e-4)


@pytest.mark.parametrize("n", [10, 37, 500])
def test_mean_interval_matches_statsmodels(n):
    from statsmodels.stats.weightstats import DescrStatsW
    values = np.random.default_rng(n).beta(2, 8, n) - 0.1
    interval = statistics.mean_interval(n, float(values.sum()), float((values**2).sum()))
    low, high = DescrStatsW(values).tconfint_mean(alpha=0.05)
    assert interval.low == pytest.approx(low, abs=1e-5) and interval.high == pytest.approx(high, abs=1e-5)
