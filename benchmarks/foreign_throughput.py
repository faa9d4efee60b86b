"""Throughput of auditing a model through its probabilities alone (a model this project did not train), beside the
audit of one of ours through its saliency signature, on the same real sentences in one run.

Run: python benchmarks/foreign_throughput.py [--rows 4000]
Models: this project's exported LSTM (T = 64, untrained: speed does not depend on the weights) behind audit-serve;
a foreign Keras bag-of-words classifier (tests/foreign_models.py) behind audit-serve's TF Serving API; its numpy
twin behind MLServer's Open Inference Protocol (KServe v2; .venv-kserve, scripts/setup_kserve.sh). Every audit
runs `audit-cli score` with reliance (and its deletion control) on; docs/s is the audit's own rate (summary.json).
"""

import argparse
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from audit_throughput import COMMON_WORDS, SST2_TRAIN, export_bench_model, pipeline_rate, run_audit, write_real_corpus  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--real", default=SST2_TRAIN)
    args = parser.parse_args()
    from foreign_models import export_foreign_model
    from server_process import AuditServeProcess, MLServerProcess

    work = tempfile.mkdtemp(prefix="foreign-bench-")
    export_bench_model(work, "ours")
    export_foreign_model(os.path.join(work, "foreign", "1"))
    corpus = write_real_corpus(args.real, args.rows, os.path.join(work, "real.csv"))
    lexicon = os.path.join(work, "common.txt")
    with open(lexicon, "w") as f:
        f.write("".join(word + "\n" for word in COMMON_WORDS))
    common = [corpus, "--forbidden", lexicon, "--id-column", "id", "--batch-size", str(args.batch_size)]
    servers = [AuditServeProcess("ours", os.path.join(work, "ours")),
               AuditServeProcess("foreign", os.path.join(work, "foreign")), MLServerProcess()]
    ours, foreign, kserve = (s.address for s in servers)
    runs = [
        ("ours, TF Serving API, gradient saliency signature", ["--server", ours, "--model-name", "ours"]),
        ("ours, TF Serving API, probabilities only (--attribution none)",
         ["--server", ours, "--model-name", "ours", "--attribution", "none"]),
        ("ours, TF Serving API, occlusion", ["--server", ours, "--model-name", "ours", "--attribution", "occlusion"]),
        ("foreign Keras, TF Serving API, probabilities only",
         ["--server", foreign, "--model-name", "foreign", "--attribution", "none"]),
        ("foreign Keras, TF Serving API, occlusion", ["--server", foreign, "--model-name", "foreign"]),
        ("numpy twin, KServe v2 (MLServer), probabilities only",
         ["--server", kserve, "--protocol", "kserve-v2", "--model-name", "sentiment", "--attribution", "none"]),
        ("numpy twin, KServe v2 (MLServer), occlusion",
         ["--server", kserve, "--protocol", "kserve-v2", "--model-name", "sentiment"]),
    ]
    rates = []
    try:
        for n, (label, extra) in enumerate(runs):
            out = os.path.join(work, f"audit-{n}")
            run_audit([*common, *extra, "--out", out])
            rates.append((label, pipeline_rate(out)))
    finally:
        for server in servers:
            server.stop()
    print(f"{args.rows:,} real sentences ({os.path.basename(args.real)}), reliance and the control on, batch "
          f"{args.batch_size}; docs/s of the audit (summary.json); ratio to the first row")
    for label, rate in rates:
        print(f"  {label:62} {rate:8,.0f} docs/s  {rate / rates[0][1]:5.2f}")


if __name__ == "__main__":
    main()
