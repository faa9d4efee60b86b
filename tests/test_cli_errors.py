"""Bad input: one line naming the problem, exit code 2, no traceback."""

import pytest
from click.testing import CliRunner

from audit_cli.main import main as audit_cli
from trainer.cli import main as audit_train


def one_line_error(result):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    return lines[0]


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("text,label\ngood film,1\nbad film,0\n")
    return path


def train(args):
    return CliRunner().invoke(audit_train, ["train", *args, "--epochs", "1", "--verbose", "0"])


def test_missing_file(tmp_path):
    assert "file not found" in one_line_error(train([str(tmp_path / "nope.csv")]))


def test_empty_and_header_only_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in one_line_error(train([str(empty)]))
    header = tmp_path / "header.csv"
    header.write_text("text,label\n")
    assert "no data rows" in one_line_error(train([str(header)]))


def test_missing_column_lists_columns(corpus):
    line = one_line_error(train([str(corpus), "--label-column", "sentiment"]))
    assert "'sentiment'" in line and "['text', 'label']" in line


def test_single_class(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\na,1\nb,1\nc,1\n")
    assert "single class" in one_line_error(train([str(path)]))


def test_empty_lexicon(corpus, tmp_path):
    lexicon = tmp_path / "lex.txt"
    lexicon.write_text("# only a comment\n\n")
    assert "no entries" in one_line_error(train([str(corpus), "--forbidden", str(lexicon)]))


def test_non_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("text,label\ngood,1\ncaf\xe9 bad,0\n".encode("latin-1"))
    line = one_line_error(train([str(path)]))
    assert f"{path}:3" in line and "--encoding" in line


def test_wrong_delimiter_is_named(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("text;label\ngood;1\nbad;0\n")
    assert "semicolon-delimited" in one_line_error(train([str(path)]))


def test_nul_byte(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"text,label\ngood,1\nb\x00ad,0\n")
    assert ":3" in one_line_error(train([str(path)]))


def test_penalty_without_mask_source(corpus):
    assert "mask source" in one_line_error(train([str(corpus), "--penalty-weight", "1"]))


def test_bad_mask_column_names_row_and_column(tmp_path):
    path = tmp_path / "mask.csv"
    path.write_text("text,label,mask\ngood film,1,01\nbad film,0,011\n")
    line = one_line_error(train([str(path), "--mask-column", "mask", "--penalty-weight", "1"]))
    assert ":3" in line and "'mask'" in line


def test_audit_duplicate_ids_and_model_missing(tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,text\na,x\na,y\n")
    lexicon = tmp_path / "l.txt"
    lexicon.write_text("x\n")
    result = CliRunner().invoke(audit_cli, ["score", str(corpus), "--model", str(tmp_path), "--forbidden",
                                            str(lexicon), "--id-column", "id"])
    assert "no SavedModel" in one_line_error(result)


class FakeStream:
    def __init__(self, tty):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_progress_redraws_on_a_terminal_and_writes_lines_to_a_pipe():
    from audit_cli.console import Progress
    terminal = Progress(True, FakeStream(tty=True))
    terminal(500, 2.0, 0.25)
    assert terminal.stream.text.startswith("\r500 docs, 25 % of the file, 250 docs/s, ETA 0:06")
    terminal.last = 0.0
    terminal(1000, 4.0, 0.5)
    assert terminal.stream.text.count("\r") == 2 and "\n" not in terminal.stream.text
    terminal.finish()
    assert terminal.stream.text.endswith("\n")  # the summary starts on its own line
    pipe = Progress(True, FakeStream(tty=False))
    pipe(500, 2.0, 0.25)
    pipe(600, 2.1, 0.3)  # within 10 s of the last line: nothing
    assert pipe.stream.text == "500 docs, 25 % of the file, 250 docs/s, ETA 0:06\n" and "\r" not in pipe.stream.text
    pipe.finish()
    assert pipe.stream.text.count("\n") == 1


def test_score_help_is_grouped_with_examples():
    result = CliRunner().invoke(audit_cli, ["score", "--help"])
    assert result.exit_code == 0
    sections = ["Model:", "Input:", "Evaluations (reliance first):", "Gates (exit 1 when one fails):", "Output:",
                "Resume:"]
    positions = [result.output.index(section) for section in sections]
    assert positions == sorted(positions) and "Examples:" in result.output
    other = result.output.split("Other options:")[1].strip().splitlines()
    assert len(other) == 1 and "--help" in other[0]  # every real option sits in a section


def test_the_cli_module_does_not_import_tensorflow():
    """--help and compare must start fast: TensorFlow loads only in the commands that need a model."""
    import subprocess
    import sys

    from conftest import ROOT
    probe = subprocess.run([sys.executable, "-c", "import sys, audit_cli.main; print(sorted(m for m in sys.modules "
                            "if m.split('.')[0] in ('tensorflow', 'keras', 'grpc')))"],
                           capture_output=True, text=True, cwd=ROOT, check=True)
    assert probe.stdout.strip() == "[]"
