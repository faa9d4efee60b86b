"""What a reader sees first: the verdict banner and the reliance headline lead report.md and
report.html for FAIL, PASS, INCONCLUSIVE, ATTENTION and OK, before any saliency figure."""

import re

import pytest

from audit_engine import report
from audit_engine.statistics import wilson
from audit_engine.summary import apply_gates, set_verdict
from protos import audit_pb2


def summary_with(flipped, documents=200, gates=None):
    summary = audit_pb2.AuditSummary(model_name="m", model_version=3, documents=documents, scored=documents,
                                     with_forbidden_terms=documents, reliance_documents=documents,
                                     reliance_flipped=flipped, reliance_flip_fraction=flipped / documents,
                                     mean_reliance_drop=flipped / documents / 2, attribution="gradient")
    summary.share_distribution.documents = documents
    summary.share_distribution.mean = 0.02
    summary.confidence, summary.reliance_decisive_flipped = 0.95, flipped
    summary.reliance_decisive_flip_fraction = flipped / documents
    for field in (summary.reliance_flip_fraction_interval, summary.reliance_decisive_flip_fraction_interval):
        interval = wilson(flipped, documents)
        field.low, field.high = interval.low, interval.high
    summary.mean_reliance_drop_interval.low = summary.mean_reliance_drop * 0.8
    summary.mean_reliance_drop_interval.high = summary.mean_reliance_drop * 1.2
    if gates:
        apply_gates(summary, gates)
    set_verdict(summary)
    return summary


CASES = {
    "FAIL": (summary_with(99, gates={"max_flip_fraction": 0.02}), "must be <= 0.02 (observed 0.495, 95 % CI 42.6 to"),
    "PASS": (summary_with(0, gates={"max_flip_fraction": 0.02}), ""),
    # 2 of 200: a 95 % interval of 0.3-3.6 % holds the limit of 2 %.
    "INCONCLUSIVE": (summary_with(2, gates={"max_flip_fraction": 0.02}),
                     "observed 0.01, but the 95 % CI 0.3 to 3.6 % holds the limit; about "),
    "ATTENTION": (summary_with(99), "removing the forbidden words changes 49.5 % of predictions (95 % CI 42.6 to "
                                    "56.4 %; 99 of 200"),
    "OK": (summary_with(1), ""),
}


@pytest.mark.parametrize("verdict", sorted(CASES))
def test_the_verdict_leads_both_reports(verdict):
    summary, reason = CASES[verdict]
    assert summary.verdict == verdict and reason in summary.verdict_reason
    markdown = report.markdown_report(summary).splitlines()
    assert markdown[0] == "# Audit: m v3"
    assert markdown[2] == f"**Verdict: {verdict}** — {summary.verdict_reason}"
    assert markdown.index("## Reliance on forbidden words") < markdown.index("## Saliency share (gradient; second view)")
    html = report.html_report(summary, [])
    body = html[html.index("<body>"):]
    first = re.search(r"<div class='verdict v-(\w+)'><b>(\w+)</b> — ([^<]*)</div>", body)
    assert first and first.group(1) == first.group(2) == verdict
    assert body.index("verdict v-") < body.index("Reliance on forbidden words") < body.index("Saliency share")


def test_the_under_reporting_note_comes_with_the_headline():
    summary, _ = CASES["ATTENTION"]
    summary.saliency_underreports_reliance = True
    headline = "\n".join(report.headline_lines(summary))
    assert "gradient saliency under-reports reliance on this model" in headline
    assert "hold 2.0 % of the saliency while removing them changes 49.5 % of predictions" in headline


def test_a_gate_judged_on_its_value_alone_shows_no_interval():
    # No documents behind the figure, so no interval: the gate is judged on its value and the reason says only that.
    summary = audit_pb2.AuditSummary(reliance_flip_fraction=0.5, attribution="gradient")
    apply_gates(summary, {"max_flip_fraction": 0.02})
    assert summary.verdict == "FAIL" and summary.verdict_reason.endswith("(observed 0.5)")
    assert not summary.gates[0].HasField("interval")
