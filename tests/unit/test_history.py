"""audit-cli history on the fake backend: versions of one model audited on one corpus. The regression flag fires
on a constructed regression (the decoy's weight raised) and stays quiet on noise (the same model audited on fresh
samples of documents: every difference is sampling noise)."""

import numpy as np
import pytest
from click.testing import CliRunner

from audit_cli.main import main
from audit_engine.backends.fake import FakeBackend
from audit_engine.evaluations import AuditInputs
from audit_engine.history import build_history, write_history
from audit_engine.model_card import build_model_card, write_model_card
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus
from saliency_core.lexicon import Lexicon

LEXICON = Lexicon.from_entries(["video"])
FILLERS = [f"w{i}" for i in range(60)]


def corpus(path, seed=0, documents=240):
    rng = np.random.default_rng(seed)
    lines = [f"d{i},{' '.join(rng.choice(FILLERS, 4))}{' video' if i % 2 else ''}\n" for i in range(documents)]
    path.write_text("id,text\n" + "".join(lines), encoding="utf-8")
    return str(path)


def version(tmp_path, corpus_path, number, seed, decoy=0.6, name="model"):
    """A retrained version: the decoy's weight ``decoy``, every other word's drawn afresh from ``seed``."""
    rng = np.random.default_rng(seed)
    weights = dict(zip(FILLERS, rng.normal(0, 0.5, len(FILLERS)))) | {"video": decoy}
    out = tmp_path / f"{name}-v{number}-{seed}"
    audit_corpus(
        corpus_path,
        FakeBackend(weights, version=number, model_name=name),
        str(out),
        AuditOptions(id_column="id"),
        AuditInputs(LEXICON),
    )
    return str(out)


def test_a_constructed_regression_is_flagged_and_fails_the_gate(tmp_path):
    path = corpus(tmp_path / "c.csv")
    folders = [version(tmp_path, path, n, seed=n) for n in (1, 2, 3)]
    folders.append(version(tmp_path, path, 4, seed=4, decoy=2.5))
    history = build_history(list(reversed(folders)))  # ordered by version, whatever the order given
    assert [a.summary.model_version for a in history.audits] == [1, 2, 3, 4]
    flagged = {(r.metric, r.before, r.after) for r in history.regressions}
    assert ("flip_fraction", "model v3", "model v4") in flagged
    assert all(r.after == "model v4" for r in history.regressions)  # the noise steps stay quiet
    assert all(r.paired for r in history.regressions)
    result = CliRunner().invoke(main, ["history", *folders, "--out", str(tmp_path / "h"), "--fail-on-regression"])
    assert result.exit_code == 1 and "REGRESSION: predictions that change" in result.output
    html = (tmp_path / "h" / "history.html").read_text()
    assert "<svg" in html and "REGRESSION" in html and "model v4" in html
    assert CliRunner().invoke(main, ["history", *folders, "--out", str(tmp_path / "h2")]).exit_code == 0


@pytest.mark.slow  # sixty audits: a simulation, not a unit check
def test_sampling_noise_raises_no_false_alarm(tmp_path):
    """Twenty histories of three audits of one model, each on a fresh sample of documents (unpaired changes,
    rescaled to the Bonferroni level): 2 steps × 5 figures a history. At the family's 95 % a history raises a
    false alarm with chance at most 5 %; twenty histories with more than three would be a 1.6 % event."""
    alarms = 0
    for history_number in range(20):
        folders = [
            version(tmp_path, corpus(tmp_path / f"c{history_number}-{n}.csv", seed=100 * history_number + n), n, seed=7)
            for n in (1, 2, 3)
        ]
        alarms += bool(build_history(folders).regressions)
    assert alarms <= 3


def test_history_across_corpora_is_unpaired_and_says_so(tmp_path):
    folders = [
        version(tmp_path, corpus(tmp_path / f"c{n}.csv", seed=n), n, seed=n, decoy=0.6 + 2 * (n == 2)) for n in (1, 2)
    ]
    history = build_history(folders)
    assert history.regressions and not history.regressions[0].paired
    assert "unpaired" in history.regressions[0].describe()
    assert any("Different corpora" in w for w in history.warnings)


def test_history_refuses_fewer_than_two_audits_and_unknown_figures(tmp_path):
    path = corpus(tmp_path / "c.csv")
    one = version(tmp_path, path, 1, seed=1)
    runner = CliRunner()
    assert runner.invoke(main, ["history", one]).exit_code == 2
    result = runner.invoke(main, ["history", one, one + "x", "--out", str(tmp_path / "h")])
    assert result.exit_code == 2 and result.output.startswith("error: ")
    with pytest.raises(Exception, match="cannot watch"):
        build_history([one, version(tmp_path, path, 2, seed=2)], watched=("mean_share",))


def test_the_model_card_carries_the_audits_figures_and_limitations(tmp_path):
    path = corpus(tmp_path / "c.csv")
    reliant = version(tmp_path, path, 1, seed=1, decoy=2.5)
    card = build_model_card([reliant], owners=["ML team"], licenses=["Apache-2.0"])
    # The Model Card Toolkit schema v0.0.2's top level (additionalProperties false there) and the fields used.
    assert set(card) <= {
        "schema_version",
        "model_details",
        "model_parameters",
        "quantitative_analysis",
        "considerations",
    }
    assert card["model_details"]["licenses"] == [{"identifier": "Apache-2.0"}]
    metrics = {m["type"]: m for m in card["quantitative_analysis"]["performance_metrics"]}
    flips = metrics["reliance: flip fraction without the forbidden words"]
    assert (
        0
        <= flips["confidence_interval"]["lower_bound"]
        <= flips["value"]
        <= flips["confidence_interval"]["upper_bound"]
        <= 1
    )
    assert any("relies on words it must not" in item["description"] for item in card["considerations"]["limitations"])
    write_model_card(str(tmp_path / "card"), card)
    html = (tmp_path / "card" / "model_card.html").read_text()
    assert "<table>" in html and "relies on words it must not" in html
    other = version(tmp_path, path, 2, seed=2, name="other")
    with pytest.raises(Exception, match="different models"):
        build_model_card([reliant, other])
    write_history(str(tmp_path / "h"), build_history([reliant, version(tmp_path, path, 2, seed=2)]))
