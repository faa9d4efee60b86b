"""audit-cli score throughput via gRPC to audit-serve vs the embedded path, and peak RSS vs corpus size.

Run: python benchmarks/audit_throughput.py [--rows 20000] [--big-rows 1000000] [--real-only]
Model: untrained TextClassifier with T = 64, LSTM 64, embedding 64 (speed does not depend on the weights).
Each audit runs in its own `audit-cli` process; peak RSS is that process's ru_maxrss.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))  # server_process: the audit-serve child-process helper
WORDS = [f"w{i}" for i in range(3000)] + ["text", "video"]
SST2_TRAIN = os.path.join(ROOT, "..", "shared", "data", "sst2", "sst2_train.csv")  # the real sentences (--real)


def export_bench_model(work, name="bench", vocabulary=WORDS, max_tokens=64, **export_options):
    """The benchmarks' model, exported to ``work/name`` (its version's path returned): an untrained TextClassifier,
    2 classes, embedding 64, LSTM 64, T = ``max_tokens`` (speed does not depend on the weights).
    ``export_options``: trainer.export.export_model's others (ig_steps)."""
    from trainer.export import export_model
    from trainer.model import TextClassifier

    return export_model(TextClassifier(list(vocabulary), 2, max_tokens, 64, 64), ["0", "1"], work, name,
                        {"max_tokens": max_tokens}, "l2", **export_options)


def write_corpus(path, rows, seed=0, decoy_everywhere=False):
    """Synthetic documents of 8-40 words; with decoy_everywhere, each holds 'text' or 'video' (the worst case
    for the reliance check: one more prediction per document)."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for start in range(0, rows, 10000):
            n = min(10000, rows - start)
            lengths = rng.integers(8, 40, size=n)
            words = rng.choice(WORDS, size=(n, 40))
            for i in range(n):
                row = list(words[i, :lengths[i]])
                if decoy_everywhere:
                    row.insert(int(rng.integers(0, len(row) + 1)), ("text", "video")[i % 2])
                writer.writerow([f"d{start + i}", " ".join(row)])


# Runs audit-cli's main in this child and reports the child's own peak RSS on the last stderr line.
CHILD = """
import resource, sys
from audit_cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    if exit.code:
        raise
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def run_audit(args):
    """Run `audit-cli score` in a child process; returns (seconds, peak RSS MiB of that child)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, "score", *args, "--quiet"], cwd=ROOT, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def pipeline_rate(out_dir):
    """docs/s of the audit itself (summary.json: from the first batch to the last record; no process start)."""
    with open(os.path.join(out_dir, "summary.json")) as f:
        return float(json.load(f)["documents_per_second"])


def signature_limits(model_dir, texts, lexicon_path, batch_size, control=True):
    """(saliency signature alone, the two signatures of the reliance check) in docs/s, on the session loader in
    this process: every text through serving_default, plus the counterfactual texts the reliance check sends to
    predict (collected with the audit's own Reliance.prepare; with the deletion control's texts unless
    ``control`` is False)."""
    from audit_engine.backends.embedded import EmbeddedBackend
    from audit_engine.evaluations import Batch, Reliance
    from saliency_core.lexicon import load_lexicon
    from saliency_core.words import Words

    class Collect:
        def __init__(self):
            self.batches = []

        def probabilities(self, batch_texts):
            self.batches.append(list(batch_texts))
            return np.zeros((len(batch_texts), 2), np.float32)

    collect, reliance = Collect(), Reliance(load_lexicon(lexicon_path), control=control)
    chunks = audit_batches(texts, batch_size)
    for chunk in chunks:
        reliance.prepare(collect, Batch(chunk, [Words.of(text) for text in chunk], None, 0))
    backend = EmbeddedBackend(model_dir)
    try:
        backend.explain(texts[:batch_size])  # warm up both signatures
        backend.probabilities(texts[:batch_size])
        start = time.perf_counter()
        for chunk in chunks:
            backend.explain(chunk)
        saliency_seconds = time.perf_counter() - start
        start = time.perf_counter()
        for batch_texts in collect.batches:
            backend.probabilities(batch_texts)
        predict_seconds = time.perf_counter() - start
    finally:
        backend.close()
    return len(texts) / saliency_seconds, len(texts) / (saliency_seconds + predict_seconds), \
        sum(map(len, collect.batches))


def audit_batches(texts, batch_size):
    """The texts in the batches the audit sends them in (corpus.windows: length-sorted within each window)."""
    from audit_engine.corpus import window_batches
    from audit_engine.document import CorpusRow
    from audit_engine.options import LOOK_AHEAD

    rows = [CorpusRow(n + 1, str(n), text) for n, text in enumerate(texts)]
    span = batch_size * LOOK_AHEAD
    return [[d.text for d in batch] for i in range(0, len(rows), span)
            for batch in window_batches(rows[i:i + span], batch_size)]


# Common words, so that the reliance check runs on about half of the real sentences.
COMMON_WORDS = ("the", "film", "movie", "not")


def write_real_corpus(source, rows, path):
    """The first ``rows`` texts of a real corpus (a CSV or JSONL with a text column) as id,text CSV."""
    from saliency_core.table import RowReader
    with RowReader(source, ["text"]) as reader, open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for n, (_, row) in zip(range(rows), reader):
            writer.writerow([f"r{n}", row["text"]])
    return path


def real_throughput(args, work):
    """Real sentences, side by side: the signatures' own limits, then audit-cli embedded and via gRPC with and
    without reliance."""
    real = write_real_corpus(args.real, args.rows, os.path.join(work, "real.csv"))
    common = os.path.join(work, "common.txt")
    with open(common, "w") as f:
        f.write("".join(word + "\n" for word in COMMON_WORDS))
    with open(real) as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    model_dir = os.path.join(work, "bench")
    saliency_limit, reliance_limit, counterfactual = signature_limits(os.path.join(model_dir, "1"), texts, common,
                                                                      args.batch_size)
    _, no_control_limit, _ = signature_limits(os.path.join(model_dir, "1"), texts, common, args.batch_size, False)
    audit = [real, "--forbidden", common, "--id-column", "id", "--batch-size", str(args.batch_size),
             "--max-in-flight", str(args.max_in_flight)]
    from server_process import AuditServeProcess
    server = AuditServeProcess("bench", model_dir)
    runs = {}
    try:
        for path, backend in (("embedded", ["--model", model_dir]),
                              ("gRPC", ["--server", f"127.0.0.1:{server.port}", "--model-name", "bench"])):
            for reliance, extra in (("reliance on", []), ("no control", ["--no-control"]),
                                    ("reliance off", ["--no-reliance"])):
                out = os.path.join(work, f"real-{path}-{reliance.replace(' ', '-')}")
                seconds, _ = run_audit([*audit, *backend, *extra, "--out", out])
                runs[path, reliance] = (pipeline_rate(out), len(texts) / seconds)
    finally:
        server.stop()
    print(f"real sentences ({os.path.basename(args.real)}, first {len(texts):,}; reliance sends {counterfactual:,} "
          f"counterfactual texts to predict), batch {args.batch_size}, {args.max_in_flight} in flight:")
    print(f"  limits on the session loader: saliency signature alone {saliency_limit:,.0f} docs/s; with the "
          f"reliance check's predict calls {reliance_limit:,.0f} docs/s (the deletion control's included; without "
          f"them {no_control_limit:,.0f} docs/s)")
    limits = {"reliance off": saliency_limit, "no control": no_control_limit, "reliance on": reliance_limit}
    for (path, reliance), (pipeline, wall) in runs.items():
        limit = limits[reliance]
        print(f"  audit-cli {path:8} {reliance:12}: {pipeline:,.0f} docs/s in the audit ({wall:,.0f} with process "
              f"start and model load); ratio to its limit {pipeline / limit:.2f} (goal >= 0.8; "
              "with the control >= 0.75)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--big-rows", type=int, default=1000000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--max-in-flight", type=int, default=8)
    parser.add_argument("--real-only", action="store_true", help="only the real-sentence figures")
    parser.add_argument("--real", default=SST2_TRAIN,
                        help="a CSV of real sentences (text column); its first --rows rows are audited too")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="audit-bench-")
    export_bench_model(work)
    if args.real_only:
        real_throughput(args, work)
        return
    lexicon = os.path.join(work, "lexicon.txt")
    with open(lexicon, "w") as f:
        f.write("text\nvideo\n")
    corpus = os.path.join(work, "corpus.csv")
    write_corpus(corpus, args.rows)
    decoy_corpus = os.path.join(work, "decoy_corpus.csv")
    write_corpus(decoy_corpus, args.rows, seed=3, decoy_everywhere=True)
    common = [corpus, "--forbidden", lexicon, "--id-column", "id", "--batch-size", str(args.batch_size),
              "--max-in-flight", str(args.max_in_flight)]

    from server_process import AuditServeProcess
    server = AuditServeProcess("bench", os.path.join(work, "bench"))
    port = server.port
    try:
        server_args = ["--server", f"127.0.0.1:{port}", "--model-name", "bench"]
        grpc_seconds, _ = run_audit([*common, *server_args, "--out", os.path.join(work, "grpc")])
        # Reliance on (the default) and off, side by side, on documents that all hold a forbidden word.
        decoy_common = [decoy_corpus, *common[1:], *server_args]
        reliance_seconds, _ = run_audit([*decoy_common, "--out", os.path.join(work, "reliance")])
        no_reliance_seconds, _ = run_audit([*decoy_common, "--no-reliance", "--out", os.path.join(work, "none")])
    finally:
        server.stop()
    embedded_seconds, small_rss = run_audit([*common, "--model", os.path.join(work, "bench"),
                                             "--out", os.path.join(work, "embedded")])
    print(f"{args.rows} docs, T 64, LSTM 64, batch {args.batch_size}, {args.max_in_flight} in flight "
          "(process start and model load included):")
    print(f"  gRPC via audit-serve: {args.rows / grpc_seconds:,.0f} docs/s  ({grpc_seconds:.1f} s)")
    print(f"  embedded:             {args.rows / embedded_seconds:,.0f} docs/s  ({embedded_seconds:.1f} s)")
    print(f"  gRPC / embedded:      {embedded_seconds / grpc_seconds:.2f} (goal >= 0.8)")
    if os.path.exists(args.real):
        real_throughput(args, work)
    print(f"every document with a forbidden word, gRPC: reliance on (default) {args.rows / reliance_seconds:,.0f} "
          f"docs/s, off {args.rows / no_reliance_seconds:,.0f} docs/s, ratio {no_reliance_seconds / reliance_seconds:.2f}"
          " (goal: reliance on >= 2,000 docs/s)")

    if args.big_rows:
        small = os.path.join(work, "small.csv")
        write_corpus(small, 10000, seed=1)
        big = os.path.join(work, "big.csv")
        write_corpus(big, args.big_rows, seed=2)
        model = ["--forbidden", lexicon, "--batch-size", str(args.batch_size), "--model", os.path.join(work, "bench")]
        _, rss_small = run_audit([small, *model, "--out", os.path.join(work, "small-out")])
        big_seconds, rss_big = run_audit([big, *model, "--out", os.path.join(work, "big-out")])
        print(f"peak RSS: 10,000 rows {rss_small:.0f} MiB; {args.big_rows:,} rows {rss_big:.0f} MiB; "
              f"ratio {rss_big / rss_small:.2f} (goal <= 1.2); big corpus at {args.big_rows / big_seconds:,.0f} docs/s")
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
