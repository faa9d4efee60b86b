"""Smoke runs of the evidence scripts (tiny subsets, one epoch) so that they cannot rot."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT, SHARED_DATA

SCRIPTS = {
    "decoy_sentiment.py": ("decoy_rt_polarity_smoke.md", ["| vanilla |", "| clean baseline |", "counterfactual KL λ=10"]),
    "eraser_rationales.py": ("eraser_rationales_smoke.md", ["| vanilla |", "rationale penalty (input-gradient) λ=1"]),
    "eraser_rationales.py --window-stride 50": ("eraser_rationales_windows50_smoke.md",
                                                ["| vanilla |", "in windows 50 tokens apart"]),
    "eraser_bow_baseline.py": ("eraser_bow_baseline_smoke.md", ["| bag of words + logistic regression |",
                                                                "chosen C ="]),
    "identity_bias.py": ("identity_bias_smoke.md", ["| vanilla |", "BPSN", "| white |", "(removal + substitution)", "FPED"]),
    "lexicon_discovery.py": ("lexicon_discovery_smoke.md", ["| penalty on half A |", "half B (held out)",
                                                            "(c) half A + subspace penalty", "with --discover s",
                                                            "| 1, near words |", "(a') half A + near-word candidates",
                                                            "(b'') half A + the near-word candidates"]),
    "lime_comparison.py": ("lime_comparison_smoke.md", ["ratio LIME / ours", "Spearman"]),
    "verdict_evidence.py": ("verdict_evidence_smoke.md", ["| vanilla (decoy data) |", "| 40-document subsample |",
                                                          "McNemar", "too few to conclude"]),
}


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir(SHARED_DATA), reason="../shared/data is absent")
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_evidence_script_smoke(script, tmp_path):
    done = subprocess.run([sys.executable, *script.split(), "--smoke", "--out", str(tmp_path)],
                          cwd=os.path.join(ROOT, "benchmarks"), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    name, expected = SCRIPTS[script]
    text = (tmp_path / name).read_text()
    assert "- command: `python benchmarks/" in text and "- versions:" in text and "- machine:" in text
    for fragment in expected:
        assert fragment in text, fragment
