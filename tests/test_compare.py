"""audit-cli compare: model names as titles, deltas with the better direction, change thresholds and exit codes."""

import json

import pytest
from click.testing import CliRunner

from audit_cli.main import main as audit_cli
from audit_engine.statistics import mcnemar_exact, wilson

pytestmark = pytest.mark.slow  # two audits in a fixture, then several compares


def run(args):
    return CliRunner().invoke(audit_cli, args)


@pytest.fixture(scope="module")
def two_audits(tiny_export, example_paths, tmp_path_factory):
    base = tmp_path_factory.mktemp("audits")
    for name in ("baseline", "candidate"):
        result = run(["score", example_paths["test_decoy"], "--model", tiny_export.export_path, "--forbidden",
                      example_paths["forbidden"], "--label-column", "label", "--out", str(base / name), "--quiet"])
        assert result.exit_code == 0, result.output
    # The candidate relies more: edit its records and summary the way a worse model's audit would read (24 more of
    # its 120 documents with a forbidden word flip; accuracy 5 points lower).
    records_path = base / "candidate" / "records.jsonl"
    records = [json.loads(line) for line in records_path.read_text().splitlines()]
    changed = 0
    for record in records:
        if record["reliance_measured"] and not record["reliance_flips"] and changed < 24:
            record["reliance_flips"], changed = True, changed + 1
    records_path.write_text("".join(json.dumps(r) + "\n" for r in records))
    path = base / "candidate" / "summary.json"
    summary = json.loads(path.read_text())
    assert int(summary["reliance_documents"]) == 120 and changed == 24
    summary["reliance_flipped"] = str(int(summary["reliance_flipped"]) + 24)
    summary["reliance_flip_fraction"] += 0.2
    interval = wilson(int(summary["reliance_flipped"]), 120)
    summary["reliance_flip_fraction_interval"] = {"low": interval.low, "high": interval.high}
    summary["accuracy"] -= 0.05
    for end in ("low", "high"):
        summary["accuracy_interval"][end] -= 0.05
    path.write_text(json.dumps(summary))
    return base


def test_titles_deltas_and_direction(two_audits, tmp_path):
    result = run(["compare", str(two_audits / "baseline"), str(two_audits / "candidate"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "compare.md").read_text()
    assert "tiny v1 (baseline)" in text and "tiny v1 (candidate)" in text
    flips = next(line for line in text.splitlines() if line.startswith("| predictions that change"))
    # One corpus: compared document by document (24 documents flip only in the candidate).
    assert "+20.0" in flips and "worse (lower is better)" in flips and "paired over 120 documents" in flips
    assert f"McNemar p = {mcnemar_exact(0, 24):.2g}" in flips
    # Accuracy is not in the records: unpaired, and 5 points on 400 documents is within the noise.
    accuracy = next(line for line in text.splitlines() if line.startswith("| accuracy"))
    assert "-5.0" in accuracy and "unpaired" in accuracy and "no significant change (higher is better)" in accuracy
    html = (tmp_path / "compare.html").read_text()
    assert "<style>" in html and "tiny v1 (baseline)" in html


def test_change_thresholds_set_the_exit_code(two_audits, tmp_path):
    failing = run(["compare", str(two_audits / "baseline"), str(two_audits / "candidate"), "--out", str(tmp_path),
                   "--max-increase", "flip_fraction=0.1"])
    assert failing.exit_code == 1 and "FAIL: flip_fraction may increase by at most 0.1" in failing.output
    assert "**FAIL**" in (tmp_path / "compare.md").read_text()
    passing = run(["compare", str(two_audits / "baseline"), str(two_audits / "candidate"), "--out", str(tmp_path),
                   "--max-increase", "flip_fraction=0.4", "--max-decrease", "accuracy=0.3"])
    assert passing.exit_code == 0, passing.output
    # A limit inside the change's interval cannot be judged: it fails, saying so.
    accuracy = run(["compare", str(two_audits / "baseline"), str(two_audits / "candidate"), "--out", str(tmp_path),
                    "--max-decrease", "accuracy=0.06"])
    assert accuracy.exit_code == 1 and "INCONCLUSIVE" in accuracy.output


def test_a_summary_that_does_not_match_its_records_is_not_compared(two_audits, tmp_path):
    import shutil
    edited = tmp_path / "edited"
    shutil.copytree(two_audits / "baseline", edited)
    summary = json.loads((edited / "summary.json").read_text())
    summary["reliance_flip_fraction"] = 0.0  # claims no flips; its records say otherwise
    (edited / "summary.json").write_text(json.dumps(summary))
    result = run(["compare", str(two_audits / "baseline"), str(edited), "--out", str(tmp_path / "c"),
                  "--max-increase", "flip_fraction=0"])
    assert result.exit_code == 1
    assert "the candidate's summary.json does not match its records" in (tmp_path / "c" / "compare.md").read_text()


@pytest.mark.parametrize("content, message", [
    ("{}", "not a complete audit summary"),
    ("{not json", "not an audit summary"),
    ('{"complete": true, "documents": "x"}', "not an audit summary"),
])
def test_bad_summaries_are_one_line_errors(two_audits, tmp_path, content, message):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "summary.json").write_text(content)
    result = run(["compare", str(two_audits / "baseline"), str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("option", ["nope=0.1", "flip_fraction=nan", "flip_fraction", "accuracy=-1"])
def test_bad_thresholds_are_usage_errors(two_audits, tmp_path, option):
    result = run(["compare", str(two_audits / "baseline"), str(two_audits / "candidate"), "--out", str(tmp_path),
                  "--max-increase", option])
    assert result.exit_code == 2 and "METRIC=AMOUNT" in result.output
