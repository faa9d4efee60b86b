"""Bad input never loses data, overwrites input or ends in a traceback.

A table of bad inputs to score, explain, compare and audit-train: each case writes its input, runs the command
and checks the exit code, the one-line message (file and line where there is one), that no traceback reaches the
user, that the input is unchanged and that nothing in the output folder looks complete. Cases that need more
than one run (a held lock, a previous run's outputs, a full disk) follow as tests of their own.
"""

import bz2
import dataclasses
import fcntl
import gzip
import io
import json
import lzma
import re
import zipfile

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_cli.main import main as audit_cli
from trainer.cli import main as audit_train

LEXICON = "text\nvideo\n"
COMPLETE_OUTPUTS = ("summary.json", "records.jsonl", "records.csv", "report.html", "report.md", "compare.md",
                    "compare.html", "saved_model.pb")


def write(path, content, binary=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content) if binary else path.write_text(content, encoding="utf-8")
    return str(path)


@dataclasses.dataclass
class Case:
    """One bad input. ``args`` may use {inp} (the input folder), {out}, {model}, {lexicon} and {good} (a finished
    audit); ``files`` are written under {inp} (bytes as they are). ``message`` is a regex searched in the output;
    ``line`` the 'file:line' the message must name. ``code`` 0 means the input is accepted (with ``message`` as
    its warning or summary) and the outputs must be complete; otherwise nothing in {out} may look complete."""
    args: list
    files: dict = dataclasses.field(default_factory=dict)
    code: int = 2
    message: str = ""
    line: str | None = None
    command: str = "audit-cli"


def score(corpus, content, *extra, **expect):
    files = {corpus: content} if content is not None else {}
    return Case(["score", "{inp}/" + corpus, "--model", "{model}", "--forbidden", "{lexicon}", "--out", "{out}",
                 "--quiet", *extra], files, **expect)


def train(content, *extra, **expect):
    files = {"t.csv": content} if content is not None else {}
    return Case(["train", "{inp}/t.csv", "--export-dir", "{out}", "--epochs", "1", "--verbose", "0", *extra], files,
                command="audit-train", **expect)


def compare(*args, files=None, **expect):
    return Case(["compare", *args, "--out", "{out}"], files or {}, **expect)


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("c.csv", "text\nfine text\n")
    return buffer.getvalue()


GOOD = "text\nfine text\n"
CASES = {
    # Corpus structure.
    "unclosed quote": score("c.csv", 'id,text\n1,fine text\n2,"opens here\n3,swallowed video\n4,also swallowed\n',
                            message="never closed", line="c.csv:3"),
    "text after a closing quote": score("c.csv", 'id,text\n1,"abc"def text\n', message="unreadable CSV",
                                        line="c.csv:2"),
    "duplicate header": score("c.csv", "id,text,text\n1,a text,b video\n", message="duplicate column name 'text'",
                              line="c.csv:1"),
    "row with more fields than the header": score("c.csv", "id,text\n1,fine text,extra\n",
                                                  message="expected 2 fields as in the header, found 3",
                                                  line="c.csv:2"),
    "row with fewer fields than the header": score("c.csv", "id,text\n1\n", message="found 1", line="c.csv:2"),
    "missing text column": score("c.csv", "body\nfine text\n", message="missing column 'text'", line="c.csv:1"),
    "missing --id-column": score("c.csv", GOOD, "--id-column", "id", message="missing column 'id'",
                                 line="c.csv:1"),
    "missing --label-column": score("c.csv", GOOD, "--label-column", "label", message="missing column 'label'",
                                    line="c.csv:1"),
    "missing --rationale-column": score("c.csv", GOOD, "--rationale-column", "r", message="missing column 'r'",
                                        line="c.csv:1"),
    "empty id": score("c.csv", "id,text\n,fine text\n", "--id-column", "id", message="empty id", line="c.csv:2"),
    "duplicate id": score("c.csv", "id,text\n1,fine text\n1,more video\n", "--id-column", "id",
                          message="duplicate id", line="c.csv:3"),
    "empty file": score("c.csv", "", message="file is empty"),
    "header only": score("c.csv", "text\n", message=r"no data rows \(header only\)"),
    "missing corpus": score("nope.csv", None, message="file not found"),
    "corpus is a directory": score("d", None, message="is a directory"),
    # Encodings and bytes.
    "invalid UTF-8 in a row": score("c.csv", b"text\nfine text\nbad \xff video\n", message="not valid utf-8",
                                    line="c.csv:3"),
    "NUL byte": score("c.csv", "text\nfine\x00 text\n", message="NUL byte", line="c.csv:2"),
    "unknown encoding": score("c.csv", GOOD, "--encoding", "no-such-codec", message="unknown encoding"),
    "UTF-16 encoding": score("c.csv", GOOD, "--encoding", "utf-16", message="only encodings in which a newline"),
    "gzip corpus": score("c.csv.gz", gzip.compress(GOOD.encode()), message="gzip-compressed; decompress it first"),
    "bzip2 corpus": score("c.csv", bz2.compress(GOOD.encode()), message="bzip2-compressed"),
    "xz corpus": score("c.csv", lzma.compress(GOOD.encode()), message="xz-compressed"),
    "zip corpus": score("c.zip", zip_bytes(), message="zip archive"),
    "CR-only line endings": score("c.csv", "text\rfine text\rmore video\r", message="CR-only"),
    # JSON Lines.
    "JSONL text is an object": score("c.jsonl", '{"id": "1", "text": {"a": 1}}\n',
                                     message="JSON dict, expected a string", line="c.jsonl:1"),
    "JSONL text is a list": score("c.jsonl", '{"id": "1", "text": ["text"]}\n', message="JSON list",
                                  line="c.jsonl:1"),
    "JSONL text is a number": score("c.jsonl", '{"id": "1", "text": 12}\n', message="JSON int", line="c.jsonl:1"),
    "JSONL text is NaN": score("c.jsonl", '{"id": "1", "text": NaN}\n', message="JSON float", line="c.jsonl:1"),
    "JSONL text is true": score("c.jsonl", '{"id": "1", "text": true}\n', message="JSON bool", line="c.jsonl:1"),
    "JSONL line without text": score("c.jsonl", '{"id": "1", "text": "fine text"}\n{"id": "2"}\n',
                                     message="missing key 'text'", line="c.jsonl:2"),
    "JSONL line that is not JSON": score("c.jsonl", '{"text": "fine text"}\n{text: oops}\n', message="invalid JSON",
                                         line="c.jsonl:2"),
    "JSONL line that is an array": score("c.jsonl", '["text"]\n', message="must be an object", line="c.jsonl:1"),
    "JSONL line that is a string": score("c.jsonl", '"text"\n', message="must be an object", line="c.jsonl:1"),
    "JSONL lone surrogate": score("c.jsonl", '{"text": "a \\ud800 text"}\n', message=r"lone surrogate \(\\ud800\)",
                                  line="c.jsonl:1"),
    "JSON array in a .json file": score("c.json", '[{"text": "fine text"}]\n', message="a JSON array"),
    "JSONL null text is skipped": score("c.jsonl", '{"text": null}\n{"text": "fine text"}\n', code=0,
                                        message="1 scored, 1 skipped"),
    # Per-word marks.
    "rationale with too many marks": score("c.csv", "text,r\nfine text,1 0 1\n", "--rationale-column", "r",
                                           message="3 marks for 2 whitespace-separated words", line="c.csv:2"),
    "rationale mark that is not 0/1": score("c.csv", "text,r\nfine text,1 2\n", "--rationale-column", "r",
                                            message="expected a string of 0/1", line="c.csv:2"),
    "rationale span outside the text": score("c.csv", 'text,r\nfine text,"[[0, 5]]"\n', "--rationale-column", "r",
                                             message=r"span \[0, 5\) outside", line="c.csv:2"),
    # Lexicon, substitutions, labels.
    "lexicon missing": Case(["score", "{inp}/c.csv", "--model", "{model}", "--forbidden", "{inp}/none.txt", "--out",
                             "{out}"], {"c.csv": GOOD}, message="none.txt: file not found"),
    "lexicon empty": Case(["score", "{inp}/c.csv", "--model", "{model}", "--forbidden", "{inp}/l.txt", "--out",
                           "{out}"], {"c.csv": GOOD, "l.txt": ""}, message="l.txt: file is empty"),
    "lexicon whose entries all vanish": Case(
        ["score", "{inp}/c.csv", "--model", "{model}", "--forbidden", "{inp}/l.txt", "--out", "{out}"],
        {"c.csv": GOOD, "l.txt": ".*\n!!!\n"}, message="no entries the model can match"),
    "lexicon not UTF-8": Case(["score", "{inp}/c.csv", "--model", "{model}", "--forbidden", "{inp}/l.txt", "--out",
                               "{out}"], {"c.csv": GOOD, "l.txt": b"text\n\xff\xfe\n"}, message="not valid utf-8"),
    "lexicon entry changed, --strict-lexicon": Case(
        ["score", "{inp}/c.csv", "--model", "{model}", "--forbidden", "{inp}/l.txt", "--out", "{out}",
         "--strict-lexicon"], {"c.csv": GOOD, "l.txt": "text\nU.S.\n"}, message="--strict-lexicon"),
    "substitutions missing": score("c.csv", GOOD, "--substitutions", "{inp}/none.txt", message="file not found"),
    "substitution group of one": Case(
        ["score", "{inp}/c.csv", "--model", "{model}", "--forbidden", "{lexicon}", "--out", "{out}", "--substitutions",
         "{inp}/s.txt"], {"c.csv": GOOD, "s.txt": "he\n"}, message="at least two different terms", line="s.txt:1"),
    "label map without '='": score("c.csv", "text,label\nfine,1\n", "--label-column", "label", "--label-map", "1",
                                   message="expected LABEL=CLASS pairs"),
    "label map to an unknown class": score("c.csv", "text,label\nfine,1\n", "--label-column", "label",
                                           "--label-map", "1=zebra", message="must map every label to a class"),
    "labels that are not classes": score("c.csv", "text,label\nfine text,cat\n", "--label-column", "label", code=0,
                                         message="1 scored"),
    # Options.
    "nan threshold": score("c.csv", GOOD, "--threshold", "nan", message="is not a fraction from 0 to 1"),
    "threshold above 1": score("c.csv", GOOD, "--threshold", "1.5", message="is not a fraction from 0 to 1"),
    "negative threshold": score("c.csv", GOOD, "--threshold", "-0.1", message="is not a fraction from 0 to 1"),
    "nan gate": score("c.csv", GOOD, "--max-flip-fraction", "nan", message="is not a fraction from 0 to 1"),
    "inf gate": score("c.csv", GOOD, "--fail-above", "inf", message="is not a fraction from 0 to 1"),
    "nan mean-drop gate": score("c.csv", GOOD, "--max-mean-drop", "nan", message="is not a fraction from 0 to 1"),
    "flagged-fraction gate above 1": score("c.csv", GOOD, "--max-flagged-fraction", "2",
                                           message="is not a fraction from 0 to 1"),
    "inf checkpoint": score("c.csv", GOOD, "--checkpoint-seconds", "inf", message="not a finite number"),
    "batch size 0": score("c.csv", GOOD, "--batch-size", "0", message="not in the range"),
    "unknown attribution": score("c.csv", GOOD, "--attribution", "lime", message="'lime' is not one of"),
    "empty --out": Case(["score", "{inp}/c.csv", "--model", "{model}", "--forbidden", "{lexicon}", "--out", ""],
                        {"c.csv": GOOD}, message="--out is empty"),
    "--out is a file": Case(["score", "{inp}/c.csv", "--model", "{model}", "--forbidden", "{lexicon}", "--out",
                             "{inp}/f.txt"], {"c.csv": GOOD, "f.txt": "x"}, message="is a file"),
    "empty --text-column": score("c.csv", GOOD, "--text-column", "", message="must name a column"),
    "--resume with nothing to resume": score("c.csv", GOOD, "--resume", message="nothing to resume"),
    # Model and server.
    "model path missing": Case(["score", "{inp}/c.csv", "--model", "{inp}/none", "--forbidden", "{lexicon}", "--out",
                                "{out}"], {"c.csv": GOOD}, message="does not exist"),
    "model folder without a SavedModel": Case(
        ["score", "{inp}/c.csv", "--model", "{inp}/m", "--forbidden", "{lexicon}", "--out", "{out}"],
        {"c.csv": GOOD, "m/notes.txt": "x"}, message="no SavedModel here"),
    "both --model and --server": score("c.csv", GOOD, "--server", "localhost:1", message="not both"),
    "neither --model nor --server": Case(["score", "{inp}/c.csv", "--forbidden", "{lexicon}", "--out", "{out}"],
                                         {"c.csv": GOOD}, message="give --server HOST:PORT or --model PATH"),
    "server address without a port": Case(["score", "{inp}/c.csv", "--server", "no port here", "--forbidden",
                                           "{lexicon}", "--out", "{out}"], {"c.csv": GOOD},
                                          message="expected HOST:PORT"),
    "server port out of range": Case(["score", "{inp}/c.csv", "--server", "localhost:70000", "--forbidden",
                                      "{lexicon}", "--out", "{out}"], {"c.csv": GOOD}, message="port in 1-65535"),
    # compare.
    "compare: summary is {}": compare("{inp}/a", "{good}", files={"a/summary.json": "{}"},
                                      message="not a complete audit summary"),
    "compare: summary is not JSON": compare("{inp}/a", "{good}", files={"a/summary.json": "not json"},
                                            message="not an audit summary"),
    "compare: summary is a list": compare("{inp}/a", "{good}", files={"a/summary.json": "[1, 2]"},
                                          message="not an audit summary: expected a JSON object"),
    "compare: folder without a summary": compare("{inp}/none", "{good}", message="no summary.json"),
    "compare: unknown metric": compare("{good}", "{good}", "--max-increase", "speed=1",
                                       message="expected METRIC=AMOUNT"),
    "compare: amount not a number": compare("{good}", "{good}", "--max-increase", "flip_fraction=abc",
                                            message="expected METRIC=AMOUNT"),
    "compare: nan amount": compare("{good}", "{good}", "--max-decrease", "accuracy=nan",
                                   message="a finite AMOUNT"),
    # explain.
    "score: window stride with --no-windows": score("c.csv", "text\nfine\n", "--no-windows", "--window-stride", "4",
                                                    message="has no effect with --no-windows"),
    "explain: lexicon missing": Case(["explain", "fine text", "--model", "{model}", "--forbidden", "{inp}/none.txt"],
                                     message="none.txt: file not found"),
    # audit-train.
    "train: file missing": train(None, message="t.csv: file not found"),
    "train: single class": train("text,label\na b,x\nc d,x\n", message="single class"),
    "train: nan penalty weight": train("text,label\na b,x\nc d,y\n", "--penalty-weight", "nan",
                                       message="not a finite number"),
    "train: missing label column": train("text\na b\n", message="missing column 'label'", line="t.csv:1"),
    "train: mask of the wrong length": train("text,label,m\na b,x,1\nc d,y,0 0\n", "--mask-column", "m",
                                             "--penalty-weight", "1", message="1 marks for 2", line="t.csv:2"),
    "train: validation file missing": train("text,label\na b,x\nc d,y\n", "--validation", "{inp}/v.csv",
                                            message="v.csv: file not found"),
    "train: unclosed quote": train('text,label\n"a b,x\nc d,y\n', message="never closed", line="t.csv:2"),
    "train: duplicate header": train("text,label,label\na b,x,y\n", message="duplicate column name 'label'",
                                     line="t.csv:1"),
    "train: empty label": train("text,label\na b,\nc d,y\ne f,x\n", message="empty label", line="t.csv:2"),
    "train: subspace weight given twice": train("text,label\na b,x\nc d,y\n", "--penalty", "subspace",
                                                "--subspace-weight", "1", message="--penalty-weight is its lambda"),
    "train: subspace penalty without a lexicon": train("text,label\na b,x\nc d,y\n", "--subspace-weight", "1",
                                                       message="needs a mask source"),
    "train: window stride beyond T": train("text,label\na b,x\nc d,y\n", "--max-tokens", "8", "--window-stride",
                                           "9", message="--window-stride 9 must be between 1 and --max-tokens 8"),
}


@pytest.fixture(scope="module")
def finished_audit(tmp_path_factory):
    """A folder holding a complete audit summary (what compare reads), written without running an audit."""
    from google.protobuf import json_format

    from protos import audit_pb2
    folder = tmp_path_factory.mktemp("finished")
    summary = audit_pb2.AuditSummary(complete=True, documents=2, accuracy=0.5)
    (folder / "summary.json").write_text(json_format.MessageToJson(summary), encoding="utf-8")
    return str(folder)


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_table_holds_at_least_sixty_bad_inputs():
    assert sum(case.code != 0 for case in CASES.values()) >= 60


# Errors found while reading rows come after the model has loaded (about a second each): the full suite runs them,
# the fast loop runs the rest (every check that needs no model).
FOUND_AFTER_THE_MODEL_LOADS = {'unclosed quote', 'text after a closing quote', 'row with more fields than the header', 'row with fewer fields than the header', 'empty id', 'duplicate id', 'header only', 'invalid UTF-8 in a row', 'NUL byte', 'JSONL text is an object', 'JSONL text is a list', 'JSONL text is a number', 'JSONL text is NaN', 'JSONL text is true', 'JSONL line without text', 'JSONL line that is not JSON', 'JSONL lone surrogate', 'JSONL null text is skipped', 'rationale with too many marks', 'rationale mark that is not 0/1', 'rationale span outside the text', 'label map to an unknown class', 'labels that are not classes', '--resume with nothing to resume', 'model folder without a SavedModel'}


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in FOUND_AFTER_THE_MODEL_LOADS
                                  else name for name in sorted(CASES)])
def test_bad_input(name, tiny_export, finished_audit, tmp_path):
    case = CASES[name]
    inp, out = tmp_path / "in", tmp_path / "out"
    for filename, content in case.files.items():
        write(inp / filename, content, binary=isinstance(content, bytes))
    write(inp / "lexicon.txt", LEXICON)
    (inp / "d").mkdir(exist_ok=True)
    before = snapshot(inp)
    args = [a.format(inp=inp, out=out, model=tiny_export.export_path, lexicon=inp / "lexicon.txt",
                     good=finished_audit) for a in case.args]
    command = audit_train if case.command == "audit-train" else audit_cli
    result = CliRunner().invoke(command, args)
    assert result.exit_code == case.code, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (KeyError, TypeError, ValueError))
    assert re.search(case.message, result.output), result.output
    assert snapshot(inp) == before  # the input is never changed
    if case.code == 0:
        assert (out / "summary.json").exists()
        return
    errors = [line for line in result.output.splitlines() if line.startswith(("error:", "Error:"))]
    assert len(errors) == 1 and re.search(case.message, errors[0]), result.output  # one line says it all
    if case.line:
        assert case.line in errors[0]
    if out.exists():
        assert not [p for p in out.rglob("*") if p.name in COMPLETE_OUTPUTS]  # nothing looks complete


@pytest.mark.slow
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


@pytest.mark.slow
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


# Any Unicode text but what a valid file cannot hold (surrogates) or what the reader refuses on purpose (NUL).
CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=30)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(texts=st.lists(CELL, min_size=1, max_size=12))
def test_every_data_row_becomes_one_record_in_order(texts, tiny_export, tmp_path_factory):
    """Property: any CSV that Python's csv module writes (quotes, commas, CR/LF inside fields, any Unicode)
    gives records.jsonl with exactly one record per data row, in order, with the text unchanged; rows whose text
    is blank are records that say why they were skipped, never silently missing."""
    import csv
    folder = tmp_path_factory.mktemp("property")
    rows = [(f"id{n}", text) for n, text in enumerate(texts)]
    path = folder / "c.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("id", "text"), *rows])
    lexicon = write(folder / "lexicon.txt", LEXICON)
    result = CliRunner().invoke(audit_cli, ["score", str(path), "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--id-column", "id", "--out", str(folder / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (folder / "o" / "records.jsonl").read_text().splitlines()]
    assert [(r["id"], r.get("text", "")) for r in records] == rows
    blank = [row_id for row_id, text in rows if not text.strip()]
    assert [r["id"] for r in records if r.get("skip_reason")] == blank
    summary = json.loads((folder / "o" / "summary.json").read_text())
    assert int(summary.get("skipped", 0)) == len(blank)


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


@pytest.mark.slow
def test_disk_full_marks_the_run_incomplete_and_exits_4(tiny_export, tmp_path, monkeypatch):
    import errno

    from audit_engine import outputs
    corpus = write(tmp_path / "in" / "c.csv", "text\nfine text\nmore video\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)

    def full(self, records, *estimate):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "o" / "records.jsonl.partial"))

    monkeypatch.setattr(outputs.RecordWriter, "write_many", full)  # a full disk cannot be made here: simulated
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


@pytest.mark.slow
def test_an_unexpected_error_is_one_line_with_exit_70_and_debug_shows_it(tiny_export, tmp_path, monkeypatch):
    from audit_engine import run
    corpus = write(tmp_path / "in" / "c.csv", "text\nfine text\n")
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(run, "audit_corpus", broken)
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


@pytest.mark.slow
def test_a_json_lines_file_named_json_is_read_as_json_lines(tiny_export, tmp_path):
    corpus = write(tmp_path / "in" / "c.json", '{"text": "fine text"}\n{"text": "more video"}\n')
    lexicon = write(tmp_path / "in" / "lexicon.txt", LEXICON)
    result = CliRunner().invoke(audit_cli, ["score", corpus, "--model", tiny_export.export_path, "--forbidden",
                                            lexicon, "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "o" / "records.jsonl").read_text().splitlines()) == 2
