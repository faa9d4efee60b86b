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
