"""Names and headers chosen by someone else: a wide header, version folders that are not canonical numbers, model
names that are paths."""

import os

import pytest

from saliency_core.errors import InputError
from saliency_core.table import RowReader


def test_a_header_of_100000_columns_is_read_and_its_duplicate_named(tmp_path):
    # The duplicate check was quadratic in the header's width (100,000 columns: over 300 s); now it is linear.
    path = tmp_path / "wide.csv"
    columns = ["text", *(f"c{i}" for i in range(100_000)), "c5"]
    path.write_text(",".join(columns) + "\n" + ",".join("x" for _ in columns) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate column name 'c5'"):
        with RowReader(str(path), ["text"]):
            pass


def test_only_canonical_version_folders_are_versions(tmp_path):
    from serving.model_store import versions
    for name in ("2", "007", "0002", "\u0667", "10"):
        os.makedirs(tmp_path / name)
        (tmp_path / name / "saved_model.pb").write_bytes(b"")
    assert versions(str(tmp_path)) == [2, 10]


@pytest.mark.parametrize("name", ["../x", "/abs", "a/b", "..", "."])
def test_a_model_name_that_is_a_path_is_refused_before_training(name, tmp_path):
    from click.testing import CliRunner

    from trainer.cli import main as audit_train
    corpus = tmp_path / "t.csv"
    corpus.write_text("text,label\nfine,1\n", encoding="utf-8")
    result = CliRunner().invoke(audit_train, ["train", str(corpus), "--model-name", name, "--export-dir",
                                              str(tmp_path / "models")])
    assert result.exit_code == 2 and "--model-name" in result.output and "one folder name" in result.output
    assert not (tmp_path / "models").exists() and not (tmp_path / "x").exists()


def test_terminal_control_characters_never_reach_the_console(tmp_path):
    from click.testing import CliRunner

    from audit_cli.console import console_summary
    from audit_engine.backends.fake import FakeBackend
    from audit_engine.evaluations import AuditInputs
    from audit_engine.options import AuditOptions
    from audit_engine.run import audit_corpus
    from cli_common.console import printable
    from cli_common.errors import exit_on_input_error
    from saliency_core.lexicon import Lexicon
    assert printable("a\x1b]0;owned\x07b\x9b") == "a\\x1b]0;owned\\x07b\\x9b"
    escape = "vid\x1b[2Jeo"
    corpus = tmp_path / "c.csv"
    corpus.write_text(f"id,text\nd1,a great {escape}\n", encoding="utf-8")
    summary, _ = audit_corpus(str(corpus), FakeBackend({escape: 2.0}), str(tmp_path / "o"),
                              AuditOptions(id_column="id"), AuditInputs(Lexicon.from_entries([escape])))
    lines = console_summary(summary, str(tmp_path / "o"))
    assert any("vid\\x1b2jeo" in line for line in lines) and not any("\x1b" in line for line in lines)
    import click

    @click.command()
    @exit_on_input_error
    def failing():
        raise InputError(f"bad id {escape!s}", "c.csv", 2)

    result = CliRunner().invoke(failing, [])
    assert result.exit_code == 2 and "\x1b" not in result.output and "\\x1b" in result.output


def test_deeply_nested_jsonl_is_an_input_error_at_its_line(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "fine"}\n{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply") as error:
        with RowReader(str(path), ["text"]) as reader:
            list(reader)
    assert error.value.line == 2
