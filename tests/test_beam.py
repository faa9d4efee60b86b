"""audit-beam: the audit as an Apache Beam pipeline on the DirectRunner gives the records of
audit-cli score on the same corpus and model, byte for byte, and the same summary."""

import glob
import json
import math
import os
import shutil

import pytest
from click.testing import CliRunner

from audit_cli.beam import main as audit_beam
from audit_cli.main import main as audit_cli

pytestmark = pytest.mark.slow  # each run starts a pipeline (and, multi-processing, worker processes)

# Fields that say when, where and how fast, not what was found.
RUN_FIELDS = {"seconds", "documents_per_second", "started_at", "finished_at", "backend", "input_path"}


def records(pattern):
    lines = [line for path in sorted(glob.glob(pattern)) for line in open(path, encoding="utf-8").read().splitlines()]
    return sorted(lines, key=lambda line: json.loads(line)["id"])


def assert_same_summary(cli, beam):
    assert set(cli) - RUN_FIELDS == set(beam) - RUN_FIELDS
    for key in set(cli) - RUN_FIELDS:
        assert same(cli[key], beam[key]), (key, cli[key], beam[key])


def same(a, b):
    """Equal, floats up to summation order (the pipeline adds per-worker sums)."""
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory):
    from audit_engine.signing import generate_key_pair
    key = str(tmp_path_factory.mktemp("key") / "k.pem")
    generate_key_pair(key, key + ".pub")
    return key


def assert_verified(folder, key, tamper=None):
    """audit-cli verify passes on the untouched folder (local or testfs://), and fails naming ``tamper``'s file
    once a byte is appended to it."""
    result = CliRunner().invoke(audit_cli, ["verify", folder, "--public-key", key + ".pub", "--quiet"])
    assert result.exit_code == 0 and result.output.startswith("verified:"), result.output
    if tamper:
        with open(tamper, "ab") as f:
            f.write(b"\n")
        result = CliRunner().invoke(audit_cli, ["verify", folder, "--public-key", key + ".pub", "--quiet"])
        assert result.exit_code == 1 and os.path.basename(tamper) in result.output, result.output


@pytest.fixture(scope="module")
def audit_inputs(example_paths, tmp_path_factory):
    """The decoy test set with a rationale column (every other row: the first half of its words), so that
    reliance, substitution and rationale all run in the pipeline."""
    import csv
    folder = tmp_path_factory.mktemp("beam-in")
    groups = folder / "groups.txt"
    groups.write_text("text,video\n")
    corpus = folder / "decoy_with_rationale.csv"
    with open(example_paths["test_decoy"], newline="") as source, open(corpus, "w", newline="") as target:
        rows = list(csv.DictReader(source))
        writer = csv.DictWriter(target, [*rows[0].keys(), "rationale"])
        writer.writeheader()
        for n, row in enumerate(rows):
            words = len(row["text"].split())
            marks = "".join("1" if i < words // 2 else "0" for i in range(words)) if n % 2 else ""
            writer.writerow({**row, "rationale": marks})
    return str(corpus), example_paths["forbidden"], str(groups)


def common_args(tiny_export, forbidden, groups):
    return ["--model", tiny_export.export_path, "--forbidden", forbidden, "--substitutions", groups,
            "--label-column", "label", "--rationale-column", "rationale", "--toxic-classes", "1",
            "--batch-size", "16", "--discover", "--discover-sample", "0.5"]


@pytest.mark.parametrize("mode", ["in_memory", "multi_processing"])
def test_pipeline_records_and_summary_equal_audit_cli(mode, tiny_export, audit_inputs, signing_key, tmp_path):
    corpus, forbidden, groups = audit_inputs
    args = [*common_args(tiny_export, forbidden, groups), "--sign-key", signing_key]
    cli = CliRunner().invoke(audit_cli, ["score", corpus, *args, "--out", str(tmp_path / "cli"), "--quiet"])
    assert cli.exit_code in (0, 1), cli.output
    beam = CliRunner().invoke(audit_beam, ["score", corpus, *args, "--out", str(tmp_path / "beam"),
                                           "--direct-running-mode", mode, "--direct-num-workers", "2"])
    assert beam.exit_code == cli.exit_code, beam.output
    expected = records(str(tmp_path / "cli" / "records.jsonl"))
    assert expected and records(str(tmp_path / "beam" / "records-*-of-*.jsonl")) == expected
    summaries = [json.loads((tmp_path / name / "summary.json").read_text()) for name in ("cli", "beam")]
    assert all(summaries[0][key] for key in ("reliance_documents", "substitution_documents", "rationale_documents",
                                             "rationale_missing_documents", "term_bias", "discovered_words"))
    assert_same_summary(*summaries)
    cli_csv = (tmp_path / "cli" / "records.csv").read_bytes().split(b"\r\n")
    beam_csv = [shard.read_bytes().split(b"\r\n") for shard in sorted((tmp_path / "beam").glob("records-*.csv"))]
    assert all(lines[0] == cli_csv[0] for lines in beam_csv)  # each shard starts with the same header
    assert sorted(line for lines in beam_csv for line in lines[1:]) == sorted(cli_csv[1:])
    # The report's highlighted documents: per-file top examples merged give the corpus's top examples.
    shown = [[line for line in (tmp_path / name / "report.html").read_text().splitlines()
              if line.startswith("<div class='doc'>")] for name in ("cli", "beam")]
    assert shown[0] and shown[1] == shown[0]
    assert beam.output.splitlines()[0].startswith("verdict:")
    # Both bundles are signed evidence of the same inputs and model; beam.log is not part of it.
    manifests = [json.loads((tmp_path / name / "manifest.json").read_text())["predicate"] for name in ("cli", "beam")]
    assert manifests[0]["inputs"] == manifests[1]["inputs"] and manifests[1]["model"]["source"] == "files"
    assert_verified(str(tmp_path / "cli"), signing_key)
    assert_verified(str(tmp_path / "beam"), signing_key, str(sorted((tmp_path / "beam").glob("records-*.jsonl"))[0]))


def test_workers_calling_audit_serve_over_grpc_give_audit_cli_records(tiny_server, tiny_export, audit_inputs,
                                                                       tmp_path):
    """The other inference path: each worker is a gRPC client of a real server on loopback (multi-processing
    workers, so the channel is opened in the worker, not pickled from the launcher)."""
    corpus, forbidden, groups = audit_inputs
    args = ["--server", tiny_server.address, "--model-name", "tiny", *common_args(tiny_export, forbidden, groups)[2:]]
    cli = CliRunner().invoke(audit_cli, ["score", corpus, *args, "--out", str(tmp_path / "cli"), "--quiet"])
    assert cli.exit_code in (0, 1), cli.output
    beam = CliRunner().invoke(audit_beam, ["score", corpus, *args, "--out", str(tmp_path / "beam"),
                                           "--direct-running-mode", "multi_processing", "--direct-num-workers", "2"])
    assert beam.exit_code == cli.exit_code, beam.output
    expected = records(str(tmp_path / "cli" / "records.jsonl"))
    assert expected and records(str(tmp_path / "beam" / "records-*-of-*.jsonl")) == expected
    summaries = [json.loads((tmp_path / name / "summary.json").read_text()) for name in ("cli", "beam")]
    assert summaries[1]["backend"].startswith("grpc") and summaries[1]["model_name"] == "tiny"
    assert_same_summary(*summaries)


def test_a_glob_of_files_is_one_audit_with_ids_per_file(tiny_export, audit_inputs, tmp_path):
    corpus, forbidden, groups = audit_inputs
    for name in ("a.csv", "b.csv"):
        shutil.copy(corpus, tmp_path / name)
    result = CliRunner().invoke(audit_beam, ["score", str(tmp_path / "*.csv"), *common_args(tiny_export, forbidden,
                                                                                            groups),
                                             "--out", str(tmp_path / "out"), "--direct-running-mode", "in_memory"])
    assert result.exit_code in (0, 1), result.output
    ids = [json.loads(line)["id"] for line in records(str(tmp_path / "out" / "records-*.jsonl"))]
    rows = sum(1 for _ in open(corpus)) - 1
    assert len(ids) == len(set(ids)) == 2 * rows and {i.split(":")[0] for i in ids} == {"a.csv", "b.csv"}


def test_a_bad_row_is_one_line_exit_2_and_nothing_looks_complete(tiny_export, audit_inputs, tmp_path):
    _, forbidden, groups = audit_inputs
    corpus = tmp_path / "bad.csv"
    corpus.write_text('id,text\n1,fine text\n2,"opens here\n3,more video\n')
    result = CliRunner().invoke(audit_beam, ["score", str(corpus), *common_args(tiny_export, forbidden, groups)[:6],
                                             "--out", str(tmp_path / "out"), "--direct-running-mode", "in_memory"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [f"error: {corpus}:3: a quoted field opens on this line and is never "
                                                  "closed (the rest of the file would be read as one field)"]
    assert (tmp_path / "out" / "INCOMPLETE").exists() and not (tmp_path / "out" / "summary.json").exists()
    assert not glob.glob(str(tmp_path / "out" / "records-*"))


@pytest.mark.parametrize("content, extra, message", [
    ("body\nfine text\n", [], "missing column 'text'"),
    ("id,text,text\n1,a,b\n", [], "duplicate column name 'text'"),
    ("text\nfine text\n", ["--threshold", "nan"], "is not a fraction from 0 to 1"),
    ("text\nfine text\n", ["--out", ""], "--out is empty"),
    (None, [], "no file matches this pattern"),
])
def test_bad_input_before_the_pipeline_starts(content, extra, message, tiny_export, audit_inputs, tmp_path):
    _, forbidden, _ = audit_inputs
    corpus = tmp_path / "in" / "c.csv"
    if content is not None:
        corpus.parent.mkdir()
        corpus.write_text(content)
    pattern = str(corpus) if content is not None else str(tmp_path / "none-*.csv")
    args = ["score", pattern, "--model", tiny_export.export_path, "--forbidden", forbidden]
    args += extra if "--out" in extra else ["--out", str(tmp_path / "out"), *extra]
    result = CliRunner().invoke(audit_beam, args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "out" / "summary.json").exists()


@pytest.fixture
def remote_root(tmp_path):
    """testfs:// (tests/remote_files.py: a Beam FileSystem over a local folder, standing in for gs://)."""
    from remote_files import LocalBackedFileSystem
    LocalBackedFileSystem.root = str(tmp_path / "remote")
    os.makedirs(LocalBackedFileSystem.root)
    yield LocalBackedFileSystem.root
    LocalBackedFileSystem.root = None


def test_corpus_model_and_out_on_a_remote_file_system(tiny_export, audit_inputs, remote_root, signing_key, tmp_path):
    """Dataflow's paths are gs://: the reader, the model and every output go through Beam's FileSystems, and the
    audit equals audit-cli's on the same local files."""
    corpus, forbidden, groups = audit_inputs
    os.makedirs(os.path.join(remote_root, "corpora"))
    shutil.copy(corpus, os.path.join(remote_root, "corpora", "decoy.csv"))
    shutil.copytree(os.path.dirname(tiny_export.export_path), os.path.join(remote_root, "models", "tiny"))
    args = [*common_args(tiny_export, forbidden, groups)[2:], "--direct-running-mode", "in_memory"]
    cli = CliRunner().invoke(audit_cli, ["score", corpus, *common_args(tiny_export, forbidden, groups),
                                         "--out", str(tmp_path / "cli"), "--quiet"])
    assert cli.exit_code in (0, 1), cli.output
    beam = CliRunner().invoke(audit_beam, ["score", "testfs://corpora/*.csv", "--model", "testfs://models/tiny",
                                           *args, "--out", "testfs://audits/run", "--sign-key", signing_key])
    assert beam.exit_code == cli.exit_code, beam.output
    out = os.path.join(remote_root, "audits", "run")
    assert records(os.path.join(out, "records-*-of-*.jsonl")) == records(str(tmp_path / "cli" / "records.jsonl"))
    summaries = [json.loads(open(os.path.join(folder, "summary.json")).read()) for folder in (tmp_path / "cli", out)]
    assert_same_summary(*summaries)
    version = os.path.basename(tiny_export.export_path)
    assert summaries[1]["backend"] == f"embedded:testfs://models/tiny/{version}"
    assert summaries[1]["input_path"] == "testfs://corpora/decoy.csv"
    assert {"report.md", "report.html", "manifest.json", "manifest.dsse.json"} <= set(os.listdir(out))
    model = json.loads(open(os.path.join(out, "manifest.json")).read())["predicate"]["model"]
    assert model["path"] == f"testfs://models/tiny/{os.path.basename(tiny_export.export_path)}"
    assert_verified("testfs://audits/run", signing_key, os.path.join(out, "report.md"))
    assert not [name for name in os.listdir(out) if name.startswith(("_", "beam-temp", "INCOMPLETE"))]
    # A remote --out cannot be locked or cleaned: one that holds files is refused before anything runs.
    again = CliRunner().invoke(audit_beam, ["score", "testfs://corpora/decoy.csv", "--model", "testfs://models/tiny",
                                            *args, "--out", "testfs://audits/run"])
    assert again.exit_code == 2 and "must be a new or empty folder" in again.output
    for corpus_path, message in (("testfs://corpora/*.jsonl", "no file matches"),
                                 ("testfs://corpora/missing.csv", "file not found")):
        missing = CliRunner().invoke(audit_beam, ["score", corpus_path, "--model", "testfs://models/tiny", *args,
                                                  "--out", "testfs://audits/other"])
        assert missing.exit_code == 2 and message in missing.output and "Traceback" not in missing.output
    # A bad row found by a worker: one line naming the remote file and line; INCOMPLETE there, no summary.json.
    with open(os.path.join(remote_root, "corpora", "bad.csv"), "w") as f:
        f.write("id,text,label,rationale\n1,fine text,0,\n2,one,field,too,many\n")
    bad = CliRunner().invoke(audit_beam, ["score", "testfs://corpora/bad.csv", "--model", "testfs://models/tiny",
                                          *args, "--out", "testfs://audits/bad"])
    assert bad.exit_code == 2, bad.output
    assert bad.output.strip() == "error: testfs://corpora/bad.csv:3: expected 4 fields as in the header, found 5"
    written = os.listdir(os.path.join(remote_root, "audits", "bad"))
    assert "INCOMPLETE" in written and "summary.json" not in written


def test_a_corpus_without_data_rows_is_refused_before_the_pipeline(tiny_export, audit_inputs, tmp_path):
    _, forbidden, groups = audit_inputs
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("id,text,label,rationale\n\n")
    result = CliRunner().invoke(audit_beam, ["score", str(tmp_path / "*.csv"),
                                             *common_args(tiny_export, forbidden, groups),
                                             "--out", str(tmp_path / "out"), "--direct-running-mode", "in_memory"])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path / '*.csv'}: no data rows (header only)"
    assert not (tmp_path / "out" / "summary.json").exists() and not glob.glob(str(tmp_path / "out" / "records-*"))


def test_pipeline_equals_audit_cli_with_discovery_candidates(tiny_export, audit_inputs, tmp_path):
    """Only the given candidates measured, in both runners: the same records, and the same discovery summary."""
    corpus, forbidden, groups = audit_inputs
    candidates = tmp_path / "candidates.txt"
    candidates.write_text("# near the listed terms\nvideo\nsoundtrack\nbland\n", encoding="utf-8")
    args = [*common_args(tiny_export, forbidden, groups), "--discover-candidates", str(candidates)]
    cli = CliRunner().invoke(audit_cli, ["score", corpus, *args, "--out", str(tmp_path / "cli"), "--quiet"])
    assert cli.exit_code in (0, 1), cli.output
    beam = CliRunner().invoke(audit_beam, ["score", corpus, *args, "--out", str(tmp_path / "beam"),
                                           "--direct-running-mode", "in_memory"])
    assert beam.exit_code == cli.exit_code, beam.output
    expected = records(str(tmp_path / "cli" / "records.jsonl"))
    assert records(str(tmp_path / "beam" / "records-*-of-*.jsonl")) == expected
    measured = {item["term"] for line in expected for item in json.loads(line).get("word_reliance", [])}
    assert measured and measured <= {"video", "soundtrack", "bland"} | {line.strip() for line in open(forbidden)}
    summaries = [json.loads((tmp_path / name / "summary.json").read_text()) for name in ("cli", "beam")]
    assert int(summaries[0]["discovery_candidates"]) == 3 and summaries[0]["discovered_words"]
    assert_same_summary(*summaries)
