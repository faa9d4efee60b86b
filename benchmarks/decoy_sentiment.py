"""Decoy sentiment (Rieger et al. 2020 protocol): does the penalty remove reliance on a decoy word?

Run: python benchmarks/decoy_sentiment.py --dataset rt_polarity     (or --dataset sst2)
Smoke (CI): add --smoke (tiny subset, one epoch, one seed, two lambdas) and --out DIR.

Training texts get "text" at a random position of every positive and "video" in every negative
example; validation and test stay clean. Configurations: clean baseline (no decoys), vanilla on decoy
data (lambda = 0), penalised with the lexicon {text, video} over a lambda sweep. Reported: accuracy on
the clean test set, and the forbidden share audited by `audit_cli` on a test copy with decoys inserted
the same way.
"""

import argparse
import os
import tempfile

import numpy as np

from evidence_common import (RESULTS, Audit, accuracy, fmt, inject_decoys, mean_std, probabilities, require_data,
                             results_header, svg_line_chart, train_classifier, write_csv, write_results)
from trainer.corpus import load_corpus
from trainer.lexicon import Lexicon
from trainer.train import FitSettings

MODEL = dict(max_tokens=50, vocabulary_size=20000, embedding_dim=64, hidden_units=64)


def load(dataset, smoke):
    if dataset == "rt_polarity":
        parts = load_corpus(require_data("rt_polarity", "rt_polarity.csv"), split_column="split",
                            splits=["train", "test"])
        train, test = parts["train"], parts["test"]
    else:
        train = load_corpus(require_data("sst2", "sst2_train.csv"))
        test = load_corpus(require_data("sst2", "sst2_test.csv"))
    if smoke:
        rng = np.random.default_rng(0)  # the files are sorted by label: sample, do not slice
        train = train.subset(sorted(rng.permutation(len(train))[:600]))
        test = test.subset(sorted(rng.permutation(len(test))[:200]))
    return train, test


def occlusion_effect(classifier, decoy_texts, clean_texts):
    """Mean of p(predicted class | text with decoy) - p(same class | text without it)."""
    with_decoy = probabilities(classifier, decoy_texts)
    predicted = with_decoy.argmax(-1)
    without = probabilities(classifier, clean_texts)
    rows = np.arange(len(predicted))
    return float(np.mean(with_decoy[rows, predicted] - without[rows, predicted]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", choices=["rt_polarity", "sst2"], default="rt_polarity")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--lambdas", type=float, nargs="+", default=[0.1, 1, 10, 100, 1000])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--target", default="all")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = parser.parse_args()
    if args.smoke:
        args.seeds, args.lambdas, args.epochs = args.seeds[:1], args.lambdas[:2], 1
    epochs = args.epochs or (4 if args.dataset == "rt_polarity" else 2)
    train, test = load(args.dataset, args.smoke)
    train_labels = [int(v) for v in train.labels]
    test_labels = [int(v) for v in test.labels]
    lexicon = Lexicon.from_entries(["text", "video"])
    work = tempfile.mkdtemp(prefix="decoy-")
    decoy_test = write_csv(os.path.join(work, "test_decoy.csv"), ["text", "label"],
                           zip(inject_decoys(test.texts, test.labels, seed=99), test.labels))
    configurations = [("clean baseline", None, 0.0), ("vanilla", "decoy", 0.0)] + \
        [(f"penalised λ={lam:g}", "decoy", lam) for lam in args.lambdas]
    results = {name: {"accuracy": [], "share": [], "swapped": [], "occlusion": []} for name, _, _ in configurations}
    decoy_texts = inject_decoys(test.texts, test.labels, seed=99)
    # Stress test: every test text carries the other class's decoy.
    swapped_texts = inject_decoys(test.texts, [1 - label for label in test_labels], seed=99)
    for seed in args.seeds:
        decoy_train = inject_decoys(train.texts, train.labels, seed=seed)
        for name, data, weight in configurations:
            texts = decoy_train if data == "decoy" else train.texts
            settings = FitSettings(penalty_weight=weight, target=args.target, epochs=epochs, batch_size=64,
                                   learning_rate=2e-3, seed=seed)
            classifier = train_classifier(texts, train_labels, 2, MODEL, settings, lexicon)
            results[name]["accuracy"].append(accuracy(classifier, test.texts, test_labels))
            results[name]["swapped"].append(accuracy(classifier, swapped_texts, test_labels))
            results[name]["occlusion"].append(occlusion_effect(classifier, decoy_texts, test.texts))
            audit = Audit(classifier, ["0", "1"], settings, "decoy")
            summary = audit.score(decoy_test, lexicon)
            audit.close()
            results[name]["share"].append(summary.share_distribution.mean)
            print(f"seed {seed} {name}: " + ", ".join(f"{k} {v[-1]:.4f}" for k, v in results[name].items()),
                  flush=True)
    out_dir = args.out or RESULTS
    os.makedirs(out_dir, exist_ok=True)
    stem = f"decoy_{args.dataset}" + ("_smoke" if args.smoke else "")
    lines = [results_header(f"Decoy sentiment on {args.dataset}", args.seeds, [
        f"model: LSTM {MODEL['hidden_units']}, embedding {MODEL['embedding_dim']}, T = {MODEL['max_tokens']}, "
        f"vocabulary {MODEL['vocabulary_size']}; {epochs} epochs, batch 64, Adam 2e-3; target `{args.target}`, "
        "reduction `l2`",
        f"train rows {len(train)}, test rows {len(test)}; decoys 'text' (positive) / 'video' (negative)",
        "accuracy: clean test set; decoy share: mean forbidden share audited by `audit_cli` over the test set with "
        "decoys inserted the same way (by label)",
        "reliance checks (not saliency): accuracy when every test text carries the *other* class's decoy, and the "
        "occlusion effect = mean drop of p(predicted class) when the decoy is removed from the decoy test text"]), "",
        "| configuration | test accuracy % | decoy share % (audit) | accuracy, swapped decoys % | occlusion effect % |",
        "|---|---|---|---|---|"]
    for name, _, _ in configurations:
        r = results[name]
        lines.append(f"| {name} | {fmt(r['accuracy'])} | {fmt(r['share'])} | {fmt(r['swapped'])} | "
                     f"{fmt(r['occlusion'])} |")
    baseline = mean_std(results["clean baseline"]["accuracy"])[0]
    lines += ["", "Goals: penalised ≥ clean baseline − 1 point; decoy share ≥ 50 % for vanilla, ≤ 5 % penalised.",
              "Published reference (CDEP paper, SST decoy, test accuracy): vanilla 56.6, RRR 64.2, CDEP 72.5.", ""]
    best = max((n for n, _, w in configurations if w > 0), key=lambda n: mean_std(results[n]["accuracy"])[0])
    lines.append(f"Best penalised: {best}, accuracy {fmt(results[best]['accuracy'])} vs clean baseline "
                 f"{baseline * 100:.1f}; vanilla decoy share {fmt(results['vanilla']['share'])}.")
    chart_names = ["vanilla"] + [n for n, _, w in configurations if w > 0]
    chart = svg_line_chart(os.path.join(out_dir, f"{stem}.svg"), f"{args.dataset}: accuracy and decoy share vs λ", ["0"] + [f"{l:g}" for l in args.lambdas],
                           {"accuracy (clean test)": ([mean_std(results[n]["accuracy"])[0] for n in chart_names],
                                                     [mean_std(results[n]["accuracy"])[1] for n in chart_names]),
                            "decoy share": ([mean_std(results[n]["share"])[0] for n in chart_names],
                                            [mean_std(results[n]["share"])[1] for n in chart_names])},
                           "fraction")
    lines += ["", f"![accuracy and decoy share against λ]({os.path.basename(chart)})", ""]
    write_results(f"{stem}.md", "\n".join(lines), out_dir)


if __name__ == "__main__":
    main()
