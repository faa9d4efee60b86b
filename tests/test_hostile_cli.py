"""Hostile cases through the command line, beside the bad-input table: each asserts the exit code, the one-line
error, that nothing outside --out (nor the input) is touched, and that nothing in --out looks complete."""

import dataclasses
import os
import re
import subprocess
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from audit_cli.beam import main as audit_beam
from audit_cli.main import main as audit_cli
from conftest import encode_in_a_child
from test_bad_input import COMPLETE_OUTPUTS, snapshot, write

pytestmark = pytest.mark.slow  # CLI runs on the embedded model, tmpfs mounts


@dataclasses.dataclass
class Hostile:
    plant: Callable  # (inp, out, outside) -> None: what the attacker prepared
    code: int
    message: str
    corpus: str = "text\nfine text\na video text\n"
    corpus_name: str = "c.csv"
    extra: tuple = ()
    args: tuple = ()
    command: object = None  # audit-cli score, or this click command (audit-beam)


def link(target, name):
    os.makedirs(os.path.dirname(name), exist_ok=True)
    os.symlink(target, name)


CASES = {
    "lock file is a link to a file outside": Hostile(
        lambda inp, out, outside: link(outside / "precious.txt", out / ".audit.lock"), 2, "is a symbolic link"),
    "partial records are a dangling link": Hostile(
        lambda inp, out, outside: link(outside / "created.txt", out / "records.jsonl.partial"), 2,
        "is a symbolic link"),
    "summary.json is a link to a file outside": Hostile(
        lambda inp, out, outside: link(outside / "precious.txt", out / "summary.json"), 2, "is a symbolic link"),
    "a previous report is a directory": Hostile(
        lambda inp, out, outside: os.makedirs(out / "report.md"), 2, "not a regular file"),
    "the input is named through a link inside --out": Hostile(
        lambda inp, out, outside: link(inp / "c.csv", out / "records.csv"), 2, "is inside --out",
        extra=("{out}/records.csv",)),
    "deeply nested JSONL": Hostile(lambda inp, out, outside: None, 2, r"c\.jsonl:2: .*nested too deeply",
                                   corpus='{"text": "fine"}\n{"text": ' + "[" * 50_000 + "]" * 50_000 + "}\n",
                                   corpus_name="c.jsonl"),
    "a header of 100,000 columns with a duplicate": Hostile(
        lambda inp, out, outside: None, 2, "duplicate column name 'c7'",
        corpus="text," + ",".join(f"c{i}" for i in range(100_000)) + ",c7\n"),
    "a 3 MB field besides the text": Hostile(
        lambda inp, out, outside: None, 2, r"c\.csv:3: column 'note': the row's fields besides its text hold more",
        corpus="text,note\nfine,short\nfine," + "n" * 3_000_000 + "\n", args=("--max-document-tokens", "10")),
    "audit-beam: its log is a link to a file outside": Hostile(
        lambda inp, out, outside: link(outside / "precious.txt", out / "beam.log"), 2, "is a symbolic link",
        command="beam"),
    "audit-beam: its tally part is a link to a folder outside": Hostile(
        lambda inp, out, outside: link(outside, out / "_tally"), 2, "is a symbolic link", command="beam"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case(name, tiny_export, tmp_path):
    case = CASES[name]
    inp, out, outside = tmp_path / "in", tmp_path / "out", tmp_path / "outside"
    write(inp / case.corpus_name, case.corpus)
    lexicon = write(inp / "lexicon.txt", "text\nvideo\n")
    write(outside / "precious.txt", "keep me")
    case.plant(inp, out, outside)
    before_inp, before_outside = snapshot(inp), snapshot(outside)
    corpus = case.extra[0].format(out=out) if case.extra else str(inp / case.corpus_name)
    arguments = [corpus, "--model", tiny_export.export_path, "--forbidden", lexicon, "--out", str(out), *case.args]
    if case.command == "beam":
        result = CliRunner().invoke(audit_beam, ["score", *arguments])
    else:
        result = CliRunner().invoke(audit_cli, ["score", *arguments, "--quiet"])
    assert result.exit_code == case.code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith(("error:", "Error:"))]
    assert len(errors) == 1 and re.search(case.message, errors[0]), result.output
    assert "Traceback" not in result.output
    assert snapshot(inp) == before_inp and snapshot(outside) == before_outside  # nothing outside --out touched
    assert not (outside / "created.txt").exists()
    assert not [p for p in out.rglob("*") if p.name in COMPLETE_OUTPUTS and not p.is_symlink() and p.is_file()]


@pytest.mark.parametrize("child", [False, True])
def test_a_full_disk_is_exit_4_naming_the_file_and_leaves_incomplete(tiny_export, tmp_path, small_disk, monkeypatch,
                                                                     child):
    started = encode_in_a_child(monkeypatch) if child else []
    corpus = write(tmp_path / "in" / "c.csv", "text\n" + "a fine video text\n" * 3000)
    lexicon = write(tmp_path / "in" / "lexicon.txt", "video\n")
    # Small windows with the child, so that the disk fills after it has started.
    result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--out", str(small_disk / "out"), "--quiet",
                                            *(["--batch-size", "2"] if child else [])])
    assert result.exit_code == 4, result.output
    assert f"error: {small_disk / 'out'}" in result.output and "No space left" in result.output
    assert (small_disk / "out" / "INCOMPLETE").exists() and not (small_disk / "out" / "summary.json").exists()
    assert len(started) == child


def test_a_read_only_out_is_exit_4(tiny_export, tmp_path, small_disk):
    corpus = write(tmp_path / "in" / "c.csv", "text\nfine text\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", "text\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--out", str(small_disk / "out"), "--quiet"])
    assert result.exit_code == 4 and "Read-only file system" in result.output, result.output


def test_compare_of_an_audit_that_measured_less_fails_with_a_reason(tiny_export, tmp_path):
    corpus = write(tmp_path / "in" / "c.csv", "text\nfine text\na video text\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", "text\nvideo\n")
    for name, extra in (("base", []), ("gamed", ["--no-reliance", "--threshold", "0.9"])):
        assert CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                              lexicon, "--out", str(tmp_path / name), "--quiet", *extra]).exit_code == 0
    result = CliRunner().invoke(audit_cli, ["compare", str(tmp_path / "base"), str(tmp_path / "gamed"), "--out",
                                            str(tmp_path / "cmp"), "--max-increase", "flip_fraction=0",
                                            "--max-increase", "mean_drop=0"])
    assert result.exit_code == 1, result.output
    assert result.output.count("cannot be judged (not measured by the candidate)") == 2
    assert "Settings differ: threshold: 0.5 (baseline) vs 0.9 (candidate)" in result.output
