"""The audit's per-record Python cost, without the model: what the thread that writes records spends on each.

Run: python benchmarks/record_cost.py [--rows 20000]

The model's outputs for the first --rows SST-2 sentences (untrained TextClassifier, T = 64, LSTM 64; reliance on,
lexicon "the, film, movie, not") are computed first; then, timed, best of 3: building the records
(explaining.build_records: audit_document and the evaluations' annotate), their JSON lines, their CSV rows and the
summary's accumulation. Issue 13: this is the work that competes with the model's threads for the CPU.
"""

import argparse
import csv
import io
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audit_throughput import COMMON_WORDS, SST2_TRAIN, export_bench_model, write_real_corpus  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--real", default=SST2_TRAIN)
    args = parser.parse_args()
    from audit_engine import corpus as corpus_reading
    from audit_engine import explaining, record_lines
    from audit_engine.backends.embedded import EmbeddedBackend
    from audit_engine.evaluations import AuditInputs, build_evaluations
    from audit_engine.options import AuditOptions
    from audit_engine.session import ModelFacts
    from audit_engine.summary import SummaryBuilder
    from saliency_core.lexicon import Lexicon
    from saliency_core.table import RowReader

    work = tempfile.mkdtemp(prefix="record-cost-")
    export_path = export_bench_model(work)
    corpus = write_real_corpus(args.real, args.rows, os.path.join(work, "real.csv"))
    backend = EmbeddedBackend(export_path)
    lexicon = Lexicon.from_entries(list(COMMON_WORDS))
    options = AuditOptions(id_column="id", batch_size=256)
    settings = ModelFacts.of(backend, lexicon, options).record_settings(lexicon, options)
    evaluations = build_evaluations(options, AuditInputs(lexicon))
    explained = []
    with RowReader(corpus, options.required_columns) as reader:
        for batch in (batch for window in corpus_reading.windows(reader, options) for batch in window):
            explained.append((batch, *explaining.explain_batch(backend, batch, evaluations)))
    backend.close()
    best = {}
    for _ in range(3):
        clock = time.perf_counter()
        records = [record for batch, batch_outputs, prepared in explained
                   for _, record, _ in explaining.build_records(batch, batch_outputs, prepared, settings, evaluations)]
        times = {"build": time.perf_counter() - clock}
        clock = time.perf_counter()
        lines = "".join(record_lines.record_json(record) + "\n" for record in records)
        times["json"] = time.perf_counter() - clock
        clock = time.perf_counter()
        csv.writer(io.StringIO()).writerows([record_lines.record_csv_cells(record, False) for record in records])
        times["csv"] = time.perf_counter() - clock
        clock = time.perf_counter()
        builder = SummaryBuilder(evaluations, "gradient", settings.class_names)
        for record in records:
            builder.add(record)
        times["summary"] = time.perf_counter() - clock
        for name, seconds in times.items():
            best[name] = min(best.get(name, seconds), seconds)
    count = len(records)
    print(f"{count:,} records ({len(lines) / count:.0f} JSON bytes each), µs per record, best of 3: "
          + ", ".join(f"{name} {seconds / count * 1e6:.1f}" for name, seconds in best.items())
          + f"; total {sum(best.values()) / count * 1e6:.1f}")


if __name__ == "__main__":
    main()
