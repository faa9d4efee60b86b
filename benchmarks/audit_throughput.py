"""audit-cli score throughput via gRPC to audit-serve vs the embedded path, and peak RSS vs corpus size.

Run: python benchmarks/audit_throughput.py [--rows 20000] [--big-rows 1000000]
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
from audit_cli.cli import main
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


def real_throughput(args, work, lexicon_path):
    """Real sentences: the saliency signature alone (session loader, in this process) vs audit-cli via gRPC with
    reliance on, side by side. Forbidden words: common ones, so that reliance runs on many documents."""
    import numpy as np

    from saliency_core.table import RowReader
    from serving.session_model import SessionModel
    real = os.path.join(work, "real.csv")
    with RowReader(args.real, ["text"]) as rows, open(real, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for n, (_, row) in zip(range(args.rows), rows):
            writer.writerow([f"r{n}", row["text"]])
    common = os.path.join(work, "common.txt")
    with open(common, "w") as f:
        f.write("the\nfilm\nmovie\nnot\n")
    with open(real) as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    model = SessionModel(os.path.join(work, "bench", "1"))
    model.explain(texts[:args.batch_size])  # warm up
    start = time.perf_counter()
    for i in range(0, len(texts), args.batch_size):
        model.explain(np.asarray(texts[i:i + args.batch_size], dtype=object))
    signature_seconds = time.perf_counter() - start
    model.close()
    from server_process import AuditServeProcess
    server = AuditServeProcess("bench", os.path.join(work, "bench"))
    try:
        audit_seconds, _ = run_audit([real, "--forbidden", common, "--id-column", "id", "--batch-size",
                                      str(args.batch_size), "--server", f"127.0.0.1:{server.port}", "--model-name",
                                      "bench", "--out", os.path.join(work, "real-out")])
    finally:
        server.stop()
    with open(os.path.join(work, "real-out", "summary.json")) as f:
        occluded = int(json.load(f)["occlusion_documents"])
    print(f"real sentences ({os.path.basename(args.real)}, first {len(texts):,}; {occluded:,} hold a forbidden word): "
          f"saliency signature alone {len(texts) / signature_seconds:,.0f} docs/s; audit-cli via gRPC with reliance "
          f"{len(texts) / audit_seconds:,.0f} docs/s (process start included), ratio "
          f"{signature_seconds / audit_seconds:.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--big-rows", type=int, default=1000000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--max-in-flight", type=int, default=4)
    parser.add_argument("--real", default=os.path.join(ROOT, "..", "shared", "data", "sst2", "sst2_train.csv"),
                        help="a CSV of real sentences (text column); its first --rows rows are audited too")
    args = parser.parse_args()
    from trainer.export import export_model
    from trainer.model import TextClassifier

    work = tempfile.mkdtemp(prefix="audit-bench-")
    export_model(TextClassifier(WORDS, 2, 64, 64, 64), ["0", "1"], work, "bench", {"max_tokens": 64}, "l2")
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
        no_reliance_seconds, _ = run_audit([*decoy_common, "--no-occlusion", "--out", os.path.join(work, "none")])
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
        real_throughput(args, work, lexicon)
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
