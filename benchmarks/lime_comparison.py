"""Cost and agreement against what users would pick instead: our saliency signature vs LIME's text explainer.

Run: python benchmarks/lime_comparison.py            Smoke (CI): --smoke --out DIR
Same model (vanilla LSTM trained on rt_polarity) and the same test documents. Ours: one batched call of
the saliency signature on the session loader path. LIME: LimeTextExplainer with its defaults (5,000
samples), its classifier function being the same model's `predict` signature, batched. Agreement: per
document, Spearman rank correlation between |LIME weight| of each distinct word and our saliency summed
over that word's positions.
"""

import argparse
import time

import numpy as np
from evidence_common import Audit, accuracy, require_data, results_header, train_classifier, write_results

from trainer.corpus import load_corpus
from trainer.train import FitSettings

MODEL = dict(max_tokens=50, vocabulary_size=20000, embedding_dim=64, hidden_units=64)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--samples", type=int, default=5000, help="LIME num_samples (its default is 5000)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    from lime.lime_text import LimeTextExplainer
    from scipy.stats import spearmanr

    parts = load_corpus(require_data("rt_polarity", "rt_polarity.csv"), split_column="split", splits=["train", "test"])
    train, test = parts["train"], parts["test"]
    rng = np.random.default_rng(args.seed)
    if args.smoke:
        train = train.subset(sorted(rng.permutation(len(train))[:600]))
        args.documents, args.samples, args.epochs = 5, 300, 1
    documents = test.subset(sorted(rng.permutation(len(test))[:args.documents]))
    settings = FitSettings(epochs=args.epochs, batch_size=64, learning_rate=2e-3, seed=args.seed)
    classifier = train_classifier(train.texts, [int(v) for v in train.labels], 2, MODEL, settings)
    test_accuracy = accuracy(classifier, test.texts, [int(v) for v in test.labels])
    audit = Audit(classifier, ["0", "1"], settings, "lime")
    texts = np.asarray(documents.texts, dtype=object)
    audit.backend.explain(list(texts))  # warm up
    ours_runs = []
    for _ in range(3):
        start = time.perf_counter()
        ours = audit.backend.explain(list(texts))
        ours_runs.append(time.perf_counter() - start)
    ours_seconds = float(np.median(ours_runs)) / len(texts)

    explainer = LimeTextExplainer(class_names=["0", "1"], random_state=args.seed)
    correlations, lime_seconds = [], 0.0
    for i in range(len(texts)):
        tokens = [t.decode() for t in ours.tokens[i] if t]
        saliency = ours.saliency[i][:len(tokens)]
        # LIME explains the same surface tokens the model explains (punctuation-free, truncated to T).
        text = " ".join(tokens)
        predicted = int(np.argmax(ours.probabilities[i]))
        start = time.perf_counter()
        explanation = explainer.explain_instance(text, audit.backend.probabilities, labels=(predicted,),
                                                 num_features=len(set(tokens)), num_samples=args.samples)
        lime_seconds += time.perf_counter() - start
        lime_weight = {word: abs(weight) for word, weight in explanation.as_list(label=predicted)}
        ours_by_word = {}
        for token, value in zip(tokens, saliency):
            ours_by_word[token] = ours_by_word.get(token, 0.0) + float(value)
        words = [w for w in ours_by_word if w in lime_weight]
        if len(words) >= 3:
            rho = spearmanr([ours_by_word[w] for w in words], [lime_weight[w] for w in words]).correlation
            if not np.isnan(rho):
                correlations.append(rho)
    audit.close()
    lime_per_document = lime_seconds / len(texts)
    ratio = lime_per_document / ours_seconds
    lines = [results_header("Saliency signature vs LIME (cost and rank agreement)", [args.seed], [
        f"model: vanilla LSTM {MODEL['hidden_units']}, embedding {MODEL['embedding_dim']}, T = {MODEL['max_tokens']}, "
        f"trained {args.epochs} epochs on rt_polarity train ({len(train)} rows); test accuracy {test_accuracy * 100:.1f} %",
        f"{len(texts)} test documents; LIME num_samples = {args.samples}, classifier_fn = the model's `predict` "
        "signature on the session loader path, batched",
        "ours: median of 3 timed batched calls of the saliency signature over all documents"]), "",
        "| | seconds per explained document |", "|---|---|",
        f"| saliency signature (ours) | {ours_seconds:.6f} |", f"| LIME text explainer | {lime_per_document:.3f} |",
        f"| ratio LIME / ours | {ratio:,.0f}× (goal ≥ 1,000×) |", "",
        f"Spearman rank correlation, |LIME weight| vs our saliency per distinct word, over {len(correlations)} "
        f"documents: mean {np.mean(correlations):.3f}, median {np.median(correlations):.3f}, "
        f"share > 0: {np.mean(np.asarray(correlations) > 0) * 100:.0f} %.", ""]
    write_results("lime_comparison" + ("_smoke" if args.smoke else "") + ".md", "\n".join(lines), args.out)


if __name__ == "__main__":
    main()
