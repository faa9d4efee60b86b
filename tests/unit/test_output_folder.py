"""The output folder is the audit's alone: links planted in --out are never followed, an input is never removed,
and a full or read-only disk leaves INCOMPLETE and a one-line error naming the file (real tmpfs mounts)."""

import errno
import os
import subprocess

import pytest

from audit_engine import outputs
from audit_engine.backends.fake import FakeBackend
from audit_engine.evaluations import AuditInputs
from audit_engine.options import AuditOptions
from audit_engine.run import audit_corpus
from saliency_core.errors import InputError
from saliency_core.lexicon import Lexicon

LEXICON = Lexicon.from_entries(["video"])


def corpus(path, rows=3):
    path.write_text("id,text\n" + "".join(f"d{i},a great video number {i}\n" for i in range(rows)), encoding="utf-8")
    return str(path)


def audit(source, out, **options):
    return audit_corpus(source, FakeBackend({"video": 3.0}), str(out), AuditOptions(id_column="id", **options),
                        AuditInputs(LEXICON))


def test_a_link_named_like_the_lock_never_reaches_its_target(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(target, out / outputs.LOCK)
    with pytest.raises(InputError, match="is a symbolic link"):
        outputs.claim_out_dir(str(out), [])
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("name", [outputs.RECORDS_JSONL + ".partial", outputs.SUMMARY_JSON, outputs.INCOMPLETE,
                                  outputs.CHECKPOINT])
def test_a_link_where_an_output_goes_is_refused_and_nothing_outside_is_touched(tmp_path, name):
    outside = tmp_path / "outside.txt"
    outside.write_text("outside")
    dangling = tmp_path / "nowhere.txt"
    out = tmp_path / "out"
    out.mkdir()
    for link, target in ((out / name, outside), (out / "report.md", dangling)):
        os.symlink(target, link)
    with pytest.raises(InputError, match="symbolic link"):
        outputs.claim_out_dir(str(out), [])
    assert outside.read_text() == "outside" and not dangling.exists()
    assert os.path.islink(out / name)  # refused, not removed: the folder is as it was


def test_an_input_named_through_a_link_inside_out_is_refused_not_removed(tmp_path):
    source = corpus(tmp_path / "c.csv")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(source, out / outputs.RECORDS_CSV)
    with pytest.raises(InputError, match="is inside --out"):
        outputs.claim_out_dir(str(out), [str(out / outputs.RECORDS_CSV)])
    assert os.path.islink(out / outputs.RECORDS_CSV) and open(source).read().startswith("id,text")


def test_outputs_have_the_same_mode(tmp_path):
    audit(corpus(tmp_path / "c.csv"), tmp_path / "out")
    modes = {name: os.stat(tmp_path / "out" / name).st_mode & 0o777 for name in outputs.FINAL_OUTPUTS}
    assert set(modes.values()) == {outputs.FILE_MODE}, modes


def test_a_full_disk_leaves_incomplete_and_names_the_file(tmp_path, small_disk):
    source = corpus(tmp_path / "c.csv", rows=3000)  # far more records than 64 KiB hold
    with pytest.raises(OSError) as error:
        audit(source, small_disk / "out", checkpoint_seconds=1000.0)
    assert error.value.errno == errno.ENOSPC and str(small_disk / "out") in str(error.value.filename)
    assert (small_disk / "out" / outputs.INCOMPLETE).exists()
    assert not (small_disk / "out" / outputs.SUMMARY_JSON).exists()


def test_a_read_only_out_is_the_machine_refusing(tmp_path, small_disk):
    (small_disk / "out").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(OSError) as error:
        outputs.claim_out_dir(str(small_disk / "out"), [])
    assert error.value.errno == errno.EROFS and error.value.filename == str(small_disk / "out")


def test_an_out_that_cannot_be_created_on_a_read_only_disk_is_the_machine_refusing(tmp_path, small_disk):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(OSError) as error:
        outputs.claim_out_dir(str(small_disk / "new"), [])
    assert error.value.errno == errno.EROFS
