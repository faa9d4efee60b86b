"""audit-cli on bad or hostile input: one-line errors with exit 2, skipped rows, redaction."""

import json
import os

import pytest
from click.testing import CliRunner

from audit_cli.main import main as audit_cli


@pytest.fixture()
def lexicon(tmp_path):
    path = tmp_path / "lex.txt"
    path.write_text("text\nvideo\n")
    return str(path)


def score(corpus, model, lexicon, out, *extra):
    return CliRunner().invoke(audit_cli, ["score", str(corpus), "--model", model, "--forbidden", lexicon,
                                          "--out", str(out), "--quiet", *extra])


def one_line_error(result):
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    return result.output


def test_header_only(tiny_export, lexicon, tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,text\n")
    assert "header only" in one_line_error(score(corpus, tiny_export.export_path, lexicon, tmp_path / "o"))
    assert not (tmp_path / "o" / "summary.json").exists()


def test_duplicate_ids_name_both_rows(tiny_export, lexicon, tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,text\na,one text\nb,two\na,three\n")
    output = one_line_error(score(corpus, tiny_export.export_path, lexicon, tmp_path / "o", "--id-column", "id"))
    assert f"{corpus}:4" in output and "duplicate id 'a' (first at row 1)" in output


@pytest.mark.slow
def test_ten_megabyte_row_is_explained_in_windows_to_its_last_token(tiny_export, lexicon, tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,text\nbig," + "word text " * 1_000_000 + "video\nsmall,a video\n")
    result = score(corpus, tiny_export.export_path, lexicon, tmp_path / "o", "--id-column", "id",
                   "--no-occlusion", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in open(tmp_path / "o" / "records.jsonl")]
    assert not records[0]["truncated"] and int(records[0]["token_count"]) == 2_000_001
    assert records[0]["explained_tokens"] == 2_000_001 and records[0]["windows"] == 181_819
    hits = records[0]["forbidden_terms"]
    assert len(hits) == 1_000_001 and hits[-1]["term"] == "video" and hits[-1]["start"] == 2_000_000
    assert not records[1]["truncated"] and "windows" not in records[1]
    assert len(json.load(open(tmp_path / "o" / "summary.json"))["terms"]) == 2


@pytest.mark.parametrize("option, value, message", [("--model-name", "nope", "model 'nope' is not served"),
                                                    ("--model-version", "7", "NOT_FOUND"),
                                                    ("--signature", "nope", "NOT_FOUND")])
@pytest.mark.slow
def test_unknown_model_version_signature_on_server(tiny_server, example_paths, lexicon, tmp_path, option, value,
                                                   message):
    args = ["score", example_paths["test_clean"], "--server", tiny_server.address, "--model-name", "tiny",
            "--forbidden", lexicon, "--out", str(tmp_path / "o"), "--wait-for-server", "1", option, value]
    output = one_line_error(CliRunner().invoke(audit_cli, args))
    assert message in output


def test_unknown_signature_embedded(tiny_export, lexicon, tmp_path, example_paths):
    output = one_line_error(score(example_paths["test_clean"], tiny_export.export_path, lexicon, tmp_path / "o",
                                  "--signature", "nope"))
    assert "signature 'nope' not found" in output


def test_redact_keeps_text_out_of_every_output(tiny_export, lexicon, tmp_path):
    texts = ["Confidential memo about the merger text", "Private diagnosis of patient video",
             "Secret launch plans wonderful"]
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,text\n" + "".join(f"d{i},{t}\n" for i, t in enumerate(texts)))
    result = score(corpus, tiny_export.export_path, lexicon, tmp_path / "o", "--id-column", "id", "--redact")
    assert result.exit_code == 0, result.output
    files = os.listdir(tmp_path / "o")
    assert {"records.jsonl", "records.csv", "summary.json", "report.md", "report.html"} <= set(files)
    for name in files:
        content = (tmp_path / "o" / name).read_text().lower()
        for text in texts:
            assert text.lower() not in content, name
            for word in ("confidential", "merger", "diagnosis", "patient", "secret", "launch"):
                assert word not in content, (name, word)
    assert "d0" in (tmp_path / "o" / "records.csv").read_text()


def test_non_utf8_corpus_and_encoding_option(tiny_export, lexicon, tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_bytes("id,text\na,caf\xe9 text\n".encode("latin-1"))
    output = one_line_error(score(corpus, tiny_export.export_path, lexicon, tmp_path / "o"))
    assert f"{corpus}:2" in output and "--encoding" in output
    assert score(corpus, tiny_export.export_path, lexicon, tmp_path / "o", "--encoding", "latin-1").exit_code == 0
