"""audit-cli compare: model names as titles, deltas with the better direction, change thresholds and exit codes."""

import json

import pytest
from click.testing import CliRunner

from audit_cli.main import main as audit_cli

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
    # The candidate relies more: edit its summary the way a worse model's audit would read.
    path = base / "candidate" / "summary.json"
    summary = json.loads(path.read_text())
    summary["reliance_flip_fraction"] += 0.2
    summary["accuracy"] -= 0.05
    path.write_text(json.dumps(summary))
    return base


def test_titles_deltas_and_direction(two_audits, tmp_path):
    result = run(["compare", str(two_audits / "baseline"), str(two_audits / "candidate"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "compare.md").read_text()
    assert "tiny v1 (baseline)" in text and "tiny v1 (candidate)" in text
    flips = next(line for line in text.splitlines() if line.startswith("| predictions that change"))
    assert "+20.0" in flips and "worse (lower is better)" in flips
    accuracy = next(line for line in text.splitlines() if line.startswith("| accuracy"))
    assert "-5.0" in accuracy and "worse (higher is better)" in accuracy
    html = (tmp_path / "compare.html").read_text()
    assert "<style>" in html and "tiny v1 (baseline)" in html


def test_change_thresholds_set_the_exit_code(two_audits, tmp_path):
    failing = run(["compare", str(two_audits / "baseline"), str(two_audits / "candidate"), "--out", str(tmp_path),
                   "--max-increase", "flip_fraction=0.1"])
    assert failing.exit_code == 1 and "FAIL: flip_fraction may increase by at most 0.1" in failing.output
    assert "**FAIL**" in (tmp_path / "compare.md").read_text()
    passing = run(["compare", str(two_audits / "baseline"), str(two_audits / "candidate"), "--out", str(tmp_path),
                   "--max-increase", "flip_fraction=0.25", "--max-decrease", "accuracy=0.06"])
    assert passing.exit_code == 0, passing.output
    accuracy = run(["compare", str(two_audits / "baseline"), str(two_audits / "candidate"), "--out", str(tmp_path),
                    "--max-decrease", "accuracy=0.01"])
    assert accuracy.exit_code == 1


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
