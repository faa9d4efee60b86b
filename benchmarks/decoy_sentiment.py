"""Decoy sentiment (Rieger et al. 2020 protocol): does a penalty remove reliance on a decoy word?

Run: python benchmarks/decoy_sentiment.py --dataset rt_polarity     (or --dataset sst2)
Smoke (CI): add --smoke (tiny subset, one epoch, one seed, two configurations) and --out DIR.

Training texts get "text" at a random position of every positive and "video" in every negative
example; test texts stay clean. Configurations: clean baseline (no decoys), vanilla on decoy data, and
each penalty (input gradient, counterfactual KL, counterfactual logit pairing) at the weights given by
--configs. Reported, reliance first: accuracy when every test text carries the *other* class's decoy,
the drop of p(predicted) and the flip rate when the decoy is removed from a decoy test text; then the
clean accuracy, and the decoy's share of the gradient saliency (audited by `audit_cli`) and of the
integrated-gradients attribution.
"""

import argparse
import json
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
from evidence_common import (
    RESULTS,
    Audit,
    accuracy,
    fmt,
    inject_decoys,
    mean_std,
    probabilities,
    require_data,
    results_header,
    train_classifier,
    write_csv,
    write_results,
)

from saliency_core.lexicon import Lexicon
from trainer.attributions import integrated_gradients
from trainer.corpus import load_corpus
from trainer.penalties import PenaltyConfig
from trainer.train import FitSettings

PENALTY_KINDS = {
    "ig": lambda w, target: PenaltyConfig(input_gradient_weight=w, target=target),
    "kl": lambda w, target: PenaltyConfig(counterfactual_weight=w, divergence="kl"),
    "lp": lambda w, target: PenaltyConfig(counterfactual_weight=w, divergence="logit-pairing"),
}
PENALTY_NAMES = {"ig": "input gradient", "kl": "counterfactual KL", "lp": "counterfactual logit pairing"}

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


def reliance(classifier, decoy_texts, clean_texts):
    """Removing the decoy (decoy text -> the clean text it was made from): mean drop of p(predicted) and flip rate."""
    with_decoy = probabilities(classifier, decoy_texts)
    predicted = with_decoy.argmax(-1)
    without = probabilities(classifier, clean_texts)
    rows = np.arange(len(predicted))
    drop = float(np.mean(with_decoy[rows, predicted] - without[rows, predicted]))
    return drop, float(np.mean(without.argmax(-1) != predicted))


def ig_share(classifier, texts, lexicon, steps=16, batch=256):
    """Mean over documents of the decoy's share of |integrated gradients|."""
    shares = []
    for start in range(0, len(texts), batch):
        tokens, _, _, ids = classifier.encode(tf.constant(texts[start:start + batch]))
        saliency = integrated_gradients.attribute(classifier, ids, steps).saliency.numpy()
        for row, token_row in zip(saliency, tokens.numpy()):
            words = [t.decode() for t in token_row if t]
            mask = lexicon.position_mask(words, len(row))
            total = row.sum()
            shares.append(row[mask].sum() / total if total > 0 else 0.0)
    return float(np.mean(shares))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", choices=["rt_polarity", "sst2"], default="rt_polarity")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--configs", nargs="+", default=["ig:100", "ig:1000", "kl:1", "kl:10", "lp:1", "lp:10"],
                        help="penalised configurations KIND:WEIGHT, KIND in ig (input gradient), kl, lp (logit pairing)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--target", default="all")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    parser.add_argument("--render-partial", metavar="JSON",
                        help="write the results file from a partial JSON of an interrupted run with the same options "
                             "(only seeds for which every configuration finished)")
    args = parser.parse_args()
    if args.smoke:
        args.seeds, args.configs, args.epochs = args.seeds[:1], ["ig:10", "kl:10"], 1
    epochs = args.epochs or (4 if args.dataset == "rt_polarity" else 2)
    train, test = load(args.dataset, args.smoke)
    train_labels = [int(v) for v in train.labels]
    test_labels = [int(v) for v in test.labels]
    lexicon = Lexicon.from_entries(["text", "video"])
    work = tempfile.mkdtemp(prefix="decoy-")
    decoy_test = write_csv(os.path.join(work, "test_decoy.csv"), ["text", "label"],
                           zip(inject_decoys(test.texts, test.labels, seed=99), test.labels))
    configurations = [("clean baseline", None, PenaltyConfig()), ("vanilla", "decoy", PenaltyConfig())]
    for spec in args.configs:
        kind, weight = spec.split(":")
        configurations.append((f"{PENALTY_NAMES[kind]} λ={float(weight):g}", "decoy",
                               PENALTY_KINDS[kind](float(weight), args.target)))
    keys = ("swapped", "drop", "flips", "accuracy", "share", "ig_share", "seconds")
    results = {name: {key: [] for key in keys} for name, _, _ in configurations}
    decoy_texts = inject_decoys(test.texts, test.labels, seed=99)
    # Stress test: every test text carries the other class's decoy.
    swapped_texts = inject_decoys(test.texts, [1 - label for label in test_labels], seed=99)
    if args.render_partial:
        with open(args.render_partial, encoding="utf-8") as f:
            results = json.load(f)
        finished = min(len(results[name]["accuracy"]) for name, _, _ in configurations)
        results = {name: {key: values[:finished] for key, values in r.items()} for name, r in results.items()}
        args.seeds = args.seeds[:finished]
    for seed in [] if args.render_partial else args.seeds:
        decoy_train = inject_decoys(train.texts, train.labels, seed=seed)
        for name, data, penalty_config in configurations:
            texts = decoy_train if data == "decoy" else train.texts
            settings = FitSettings(penalty_config, epochs=epochs, batch_size=64, learning_rate=2e-3, seed=seed)
            started = time.monotonic()
            classifier = train_classifier(texts, train_labels, 2, MODEL, settings, lexicon)
            results[name]["seconds"].append(time.monotonic() - started)
            results[name]["accuracy"].append(accuracy(classifier, test.texts, test_labels))
            results[name]["swapped"].append(accuracy(classifier, swapped_texts, test_labels))
            drop, flips = reliance(classifier, decoy_texts, test.texts)
            results[name]["drop"].append(drop)
            results[name]["flips"].append(flips)
            results[name]["ig_share"].append(ig_share(classifier, decoy_texts, lexicon))
            audit = Audit(classifier, ["0", "1"], settings, "decoy")
            summary = audit.score(decoy_test, lexicon)
            audit.close()
            results[name]["share"].append(summary.share_distribution.mean)
            print(f"seed {seed} {name}: " + ", ".join(f"{k} {v[-1]:.4f}" for k, v in results[name].items()),
                  flush=True)
            write_results(f"decoy_{args.dataset}_partial.json", json.dumps(results), args.out or RESULTS)
    out_dir = args.out or RESULTS
    os.makedirs(out_dir, exist_ok=True)
    stem = f"decoy_{args.dataset}" + ("_smoke" if args.smoke else "")
    lines = [results_header(f"Decoy sentiment on {args.dataset}", args.seeds, [
        f"model: LSTM {MODEL['hidden_units']}, embedding {MODEL['embedding_dim']}, T = {MODEL['max_tokens']}, "
        f"vocabulary {MODEL['vocabulary_size']}; {epochs} epochs, batch 64, Adam 2e-3; input-gradient target "
        f"`{args.target}`, reduction `l2`",
        f"train rows {len(train)}, test rows {len(test)}; decoys 'text' (positive) / 'video' (negative)",
        "reliance (what happens to the prediction): accuracy when every test text carries the *other* class's "
        "decoy; drop of p(predicted class) and flip rate when the decoy is removed from the test text with decoys "
        "inserted by label",
        "clean accuracy on the test set; decoy share of the gradient saliency (audited by `audit_cli`) and of "
        "integrated gradients (16 steps, zero baseline), both on the test text with decoys; training seconds "
        "on this machine"]), "",
        "| configuration | accuracy, swapped decoys % | drop without decoy % | flips without decoy % | "
        "clean test accuracy % | gradient share % | IG share % | train s |",
        "|---|---|---|---|---|---|---|---|"]
    for name, _, _ in configurations:
        r = results[name]
        lines.append(f"| {name} | {fmt(r['swapped'])} | {fmt(r['drop'])} | {fmt(r['flips'])} | {fmt(r['accuracy'])} | "
                     f"{fmt(r['share'])} | {fmt(r['ig_share'])} | {fmt(r['seconds'], 1.0, 0)} |")
    baseline = mean_std(results["clean baseline"]["accuracy"])[0]
    swapped_baseline = mean_std(results["clean baseline"]["swapped"])[0]
    lines += ["", "Goals (issue 8) for the recommended penalty: swapped-decoy accuracy ≥ clean baseline's − 2 points; "
              "clean accuracy ≥ clean baseline's − 1 point; the audit's reliance tells vanilla (drop ≥ 0.3) from the "
              "fixed model (drop ≤ 0.02).", ""]
    for name, _, config in configurations:
        if not config.active:
            continue
        r = results[name]
        swapped_ok = mean_std(r["swapped"])[0] >= swapped_baseline - 0.02
        clean_ok = mean_std(r["accuracy"])[0] >= baseline - 0.01
        lines.append(f"- {name}: swapped {'met' if swapped_ok else 'missed'} "
                     f"({(mean_std(r['swapped'])[0] - swapped_baseline) * 100:+.1f} points vs baseline), clean "
                     f"{'met' if clean_ok else 'missed'} ({(mean_std(r['accuracy'])[0] - baseline) * 100:+.1f} points), "
                     f"drop {mean_std(r['drop'])[0]:.3f}")
    write_results(f"{stem}.md", "\n".join(lines) + "\n", out_dir)


if __name__ == "__main__":
    main()
