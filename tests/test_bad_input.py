"""Bad input never loses data, overwrites input or ends in a traceback (issue 15, the cases fixed so far).

Each case writes its input here, runs `audit-cli score`, and checks the exit code, the one-line message and
that no summary.json claims a finished audit.
"""

import fcntl
import json
import os

import pytest
from click.testing import CliRunner

from audit_cli.cli import main as audit_cli

LEXICON = "text\nvideo\n"


def write(path, content, binary=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content) if binary else path.write_text(content, encoding="utf-8")
    return str(path)


CASES = {
    # name: (corpus file name, corpus content, extra options, message fragment, line named or None)
    "unclosed quote": ("c.csv", 'id,text\n1,fine text\n2,"opens here\n3,swallowed video\n4,also swallowed\n', [],
                       "never closed", ":3"),
    "text after a closing quote": ("c.csv", 'id,text\n1,"abc"def text\n', [], "unreadable CSV", ":2"),
    "duplicate header": ("c.csv", "id,text,text\n1,a text,b video\n", [], "duplicate column name 'text'", ":1"),
    "JSONL text is an object": ("c.jsonl", '{"id": "1", "text": {"a": 1}}\n', [], "JSON dict, expected a string", ":1"),
    "JSONL text is a list": ("c.jsonl", '{"id": "1", "text": ["text"]}\n', [], "JSON list", ":1"),
    "JSONL text is a number": ("c.jsonl", '{"id": "1", "text": 12}\n', [], "JSON int", ":1"),
    "JSONL text is NaN": ("c.jsonl", '{"id": "1", "text": NaN}\n', [], "JSON float", ":1"),
    "JSONL text is true": ("c.jsonl", '{"id": "1", "text": true}\n', [], "JSON bool", ":1"),
    "JSONL line without text": ("c.jsonl", '{"id": "1", "text": "fine text"}\n{"id": "2"}\n', [],
                                "missing key 'text'", ":2"),
    "nan threshold": ("c.csv", "text\nfine text\n", ["--threshold", "nan"], "not a finite number", None),
    "nan gate": ("c.csv", "text\nfine text\n", ["--max-flip-fraction", "nan"], "not a finite number", None),
    "inf checkpoint": ("c.csv", "text\nfine text\n", ["--checkpoint-seconds", "inf"], "not a finite number", None),
    "unknown encoding": ("c.csv", "text\nfine text\n", ["--encoding", "no-such-codec"], "unknown encoding", None),
    "empty --out": ("c.csv", "text\nfine text\n", ["--out", ""], "--out is empty", None),
    "missing column": ("c.csv", "body\nfine text\n", [], "missing column 'text'", ":1"),
    "gzip corpus": ("c.csv.gz", None, [], "the file is gzip-compressed; decompress it first", None),
    "CR-only line endings": ("c.csv", "text\rfine text\rmore video\r", [], "CR-only", None),
    "JSON array in a .json file": ("c.json", '[{"text": "fine text"}]\n', [], "a JSON array", None),
    "UTF-16 encoding": ("c.csv", "text\nfine text\n", ["--encoding", "utf-16"], "only encodings in which a newline",
                        None),
    "empty --text-column": ("c.csv", "text\nfine text\n", ["--text-column", ""], "must name a column", None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_corpus_or_option(name, tiny_export, tmp_path):
    filename, content, extra, message, line = CASES[name]
    if content is None:  # a compressed copy of a valid corpus
        import gzip
        corpus = write(tmp_path / "in" / filename, gzip.compress(b"text\nfine text\n"), binary=True)
    else:
        corpus = write(tmp_path / "in" / filename, content)
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)
    out = tmp_path / "out"
    args = ["score", corpus, "--model", tiny_export.export_path, "--forbidden", lexicon, "--quiet"]
    args += extra if "--out" in extra else ["--out", str(out), *extra]
    result = CliRunner().invoke(audit_cli, args)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    if lines[0].startswith("error:"):
        assert len(lines) == 1  # input errors: one line naming file, line and column
    else:
        assert lines[0].startswith("Usage:") and lines[-1].startswith("Error: Invalid value")  # click usage error
    assert message in result.output and "Traceback" not in result.output
    if line:
        assert f"{filename}{line}" in result.output
    assert not (out / "summary.json").exists()


def test_an_early_failure_removes_the_previous_runs_outputs(tiny_export, tmp_path):
    corpus = write(tmp_path / "in" / "c.csv", "text\nfine text\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)
    base = ["score", corpus, "--model", tiny_export.export_path, "--forbidden", lexicon, "--out", str(tmp_path / "o"),
            "--quiet"]
    assert CliRunner().invoke(audit_cli, base).exit_code == 0
    assert (tmp_path / "o" / "summary.json").exists()
    failed = CliRunner().invoke(audit_cli, base + ["--text-column", "body"])
    assert failed.exit_code == 2
    assert not any((tmp_path / "o" / name).exists() for name in ("summary.json", "records.jsonl", "report.html"))


def test_out_folder_holding_the_corpus_is_refused(tiny_export, tmp_path):
    corpus = write(tmp_path / "records.csv", "text\nfine text\n")
    lexicon = write(tmp_path / "lex" / "lexicon.txt", LEXICON)
    result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 2 and "is inside --out" in result.output
    assert (tmp_path / "records.csv").read_text() == "text\nfine text\n"  # the input is untouched


def test_a_second_run_into_the_same_folder_fails_at_once(tiny_export, tmp_path):
    corpus = write(tmp_path / "in" / "c.csv", "text\nfine text\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)
    (tmp_path / "o").mkdir()
    with open(tmp_path / "o" / ".audit.lock", "w") as held:  # another run holds the folder
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                                lexicon, "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 2 and "another audit is writing to this folder" in result.output


def test_lexicon_bom_and_normalisation_notes(tiny_export, tmp_path):
    corpus = write(tmp_path / "in" / "c.csv", "text\nthe plot is text\nus and them\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", "\ufefftext\nU.S.\n.*\n".encode("utf-8"), binary=True)
    result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "'U.S.' is matched as 'us'" in result.output and "'.*' is dropped" in result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert {t["term"] for t in summary["terms"]} == {"text", "us"}  # the BOM did not hide the first entry
    strict = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--out", str(tmp_path / "s"), "--quiet", "--strict-lexicon"])
    assert strict.exit_code == 2 and "--strict-lexicon" in strict.output


@pytest.mark.slow
def test_every_data_row_becomes_one_record_in_order(tiny_export, tmp_path):
    """Quotes, commas, newlines inside fields and unicode: one record per data row, in order."""
    import csv
    import random
    rng = random.Random(5)
    pieces = ["text", "video", "plot", ",", '"', "\n", "é", "日本", "🙂", " ", "\r\n", "''"]
    rows = [(f"id{n}", "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) + " x") for n in range(200)]
    path = tmp_path / "in" / "c.csv"
    path.parent.mkdir()
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("id", "text"), *rows])
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)
    result = CliRunner().invoke(audit_cli, ["score", str(path), "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--id-column", "id", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "o" / "records.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [r[0] for r in rows]
    assert [r["text"] for r in records] == [r[1] for r in rows]
    assert os.path.exists(tmp_path / "o" / "summary.json")


def test_a_corrupt_saved_model_is_a_one_line_error(tiny_export, tmp_path):
    import shutil
    model = tmp_path / "m" / "1"
    shutil.copytree(tiny_export.export_path, model)
    (model / "saved_model.pb").write_bytes(b"not a saved model")
    corpus = write(tmp_path / "in" / "c.csv", "text\nfine text\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)
    result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", str(model), "--forbidden", lexicon,
                                            "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 2 and "cannot load the SavedModel" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_invalid_utf8_in_an_explain_argument(tiny_export):
    text = b"dull \xff text".decode("utf-8", "surrogateescape")  # what a shell argument with bad bytes becomes
    result = CliRunner().invoke(audit_cli, ["explain", text, "--model", tiny_export.export_path])
    assert result.exit_code == 2 and "not valid Unicode" in result.output and "Traceback" not in result.output


def test_disk_full_marks_the_run_incomplete_and_exits_4(tiny_export, tmp_path, monkeypatch):
    import errno

    from audit_cli import outputs
    corpus = write(tmp_path / "in" / "c.csv", "text\nfine text\nmore video\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)

    def full(self, record):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "o" / "records.jsonl.partial"))

    monkeypatch.setattr(outputs.RecordWriter, "write", full)  # a full disk cannot be made here: simulated
    result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 4 and "No space left on device" in result.output
    assert (tmp_path / "o" / "INCOMPLETE").exists() and not (tmp_path / "o" / "summary.json").exists()


def test_an_input_error_mid_file_does_not_recommend_resume(tiny_export, tmp_path):
    corpus = write(tmp_path / "in" / "c.csv", "id,text\n1,fine text\n1,duplicate id video\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)
    result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--id-column", "id", "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 2
    note = (tmp_path / "o" / "INCOMPLETE").read_text()
    assert "fix the input and rerun without --resume" in note


def test_an_unexpected_error_is_one_line_with_exit_70_and_debug_shows_it(tiny_export, tmp_path, monkeypatch):
    from audit_cli import score
    corpus = write(tmp_path / "in" / "c.csv", "text\nfine text\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(score, "score_corpus", broken)
    args = ["score", corpus, "--model", tiny_export.export_path, "--forbidden", lexicon, "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(audit_cli, args)
    assert result.exit_code == 70 and "internal error: ZeroDivisionError: a bug" in result.output
    assert "--debug" in result.output and "Traceback" not in result.output
    monkeypatch.delenv("SALIENCY_AUDIT_DEBUG", raising=False)
    debug = CliRunner().invoke(audit_cli, ["--debug", *args])
    assert isinstance(debug.exception, ZeroDivisionError)  # --debug lets the traceback through
    monkeypatch.delenv("SALIENCY_AUDIT_DEBUG", raising=False)


def test_standard_input_is_refused_with_a_reason(tiny_export, tmp_path):
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)
    result = CliRunner().invoke(audit_cli, ["score", "-", "--model", tiny_export.export_path, "--forbidden", lexicon,
                                            "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "reading standard input is not supported" in result.output


def test_a_json_lines_file_named_json_is_read_as_json_lines(tiny_export, tmp_path):
    corpus = write(tmp_path / "in" / "c.json", '{"text": "fine text"}\n{"text": "more video"}\n')
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)
    result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "o" / "records.jsonl").read_text().splitlines()) == 2
