"""Long documents in windows: is the audit's cost linear in length, and is a 10 MB document audited in bounded
memory? (issue 11; audit_engine.backends.windowed)

Run: python benchmarks/long_documents.py [--tokens 1600000] [--big-mb 10]

Side by side in one run, embedded model (untrained TextClassifier, T = 64, LSTM 64; speed does not depend on the
weights), reliance on (the default), every document holding one forbidden word:
- the same number of tokens as 64-token documents and as 800-token documents; the goal is
  docs/s(800) >= 0.8 x docs/s(64) x 64 / 800, i.e. tokens/s within 80 % of the short-document rate;
- one document of 1 MB and one of --big-mb MB: seconds and the audit process's peak RSS.
Each audit runs in its own `audit-cli` process (benchmarks/audit_throughput.py's run_audit), start-up included.
"""

import argparse
import csv
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audit_throughput import WORDS, export_bench_model, run_audit  # noqa: E402

T = 64


def write_documents(path, documents, tokens_per_document, seed, forbidden_every=None):
    """Documents of exactly ``tokens_per_document`` synthetic words, one 'video' (a forbidden word) each at a
    random position, or one every ``forbidden_every`` tokens."""
    rng = np.random.default_rng(seed)
    vocabulary = np.asarray(WORDS[:-2])
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for n in range(documents):
            words = list(rng.choice(vocabulary, tokens_per_document))
            positions = range(0, tokens_per_document, forbidden_every) if forbidden_every \
                else [int(rng.integers(tokens_per_document))]
            for position in positions:
                words[position] = "video"
            writer.writerow([f"d{n}", " ".join(words)])
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=1_600_000, help="tokens per corpus (short and long)")
    parser.add_argument("--long", type=int, default=800, help="tokens per long document")
    parser.add_argument("--big-mb", type=float, default=10.0)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="long-documents-")
    export_bench_model(work, max_tokens=T)
    lexicon = os.path.join(work, "lexicon.txt")
    with open(lexicon, "w") as f:
        f.write("video\n")
    model = ["--model", os.path.join(work, "bench"), "--forbidden", lexicon, "--id-column", "id"]
    short_docs, long_docs = args.tokens // T, args.tokens // args.long
    short = write_documents(os.path.join(work, "short.csv"), short_docs, T, seed=1)
    long = write_documents(os.path.join(work, "long.csv"), long_docs, args.long, seed=2)
    short_seconds, _ = run_audit([short, *model, "--batch-size", "256", "--out", os.path.join(work, "short-out")])
    long_seconds, _ = run_audit([long, *model, "--batch-size", "32", "--out", os.path.join(work, "long-out")])
    short_rate, long_rate = short_docs / short_seconds, long_docs / long_seconds
    linear = short_rate * T / args.long
    print(f"{args.tokens:,} tokens each, T {T}, default stride {T - T // 8}, reliance on, embedded, process start "
          "included:")
    print(f"  {T}-token documents:  {short_docs:,} in {short_seconds:.1f} s = {short_rate:,.0f} docs/s "
          f"({short_rate * T:,.0f} tokens/s)")
    print(f"  {args.long}-token documents: {long_docs:,} in {long_seconds:.1f} s = {long_rate:,.0f} docs/s "
          f"({long_rate * args.long:,.0f} tokens/s)")
    print(f"  ratio to linear cost (docs/s({args.long}) / (docs/s({T}) x {T}/{args.long})): {long_rate / linear:.2f} "
          "(goal >= 0.8)")

    # Words of WORDS average ~5 characters plus a space: about 5.7 characters per token.
    for megabytes in (1.0, args.big_mb):
        tokens = int(megabytes * 1_000_000 / 5.7)
        path = write_documents(os.path.join(work, f"doc-{megabytes:g}mb.csv"), 1, tokens, seed=3,
                               forbidden_every=tokens // 10)
        size = os.path.getsize(path) / 1e6
        seconds, rss = run_audit([path, *model, "--out", os.path.join(work, f"out-{megabytes:g}")])
        print(f"one document of {size:.1f} MB ({tokens:,} tokens, 10 forbidden words): {seconds:.1f} s, peak RSS "
              f"{rss:,.0f} MiB")
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
