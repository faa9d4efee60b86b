"""Why does gradient saliency miss a decoy the vanilla model relies on? Per-token diagnostics.

Run: python benchmarks/decoy_diagnosis.py [--epochs 4] [--seed 0]
Trains the vanilla decoy model of decoy_sentiment.py (rt_polarity) and, on the test set with decoys,
compares decoy and ordinary tokens: input-gradient norm ||g|| (our saliency), embedding norm ||e||,
gradient x input |g . e|, and the share of each that falls on the decoy.
"""

import argparse

import numpy as np
import tensorflow as tf
from decoy_sentiment import MODEL
from evidence_common import inject_decoys, require_data, results_header, train_classifier, write_results

from saliency_core.lexicon import Lexicon
from trainer.corpus import load_corpus
from trainer.penalties import PenaltyConfig, input_gradient
from trainer.penalties.input_gradient import probabilities_and_input_gradients
from trainer.train import FitSettings, encode_examples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lambdas", type=float, nargs="+", default=[0.0, 100.0])
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    parts = load_corpus(require_data("rt_polarity", "rt_polarity.csv"), split_column="split", splits=["train", "test"])
    train, test = parts["train"], parts["test"]
    lexicon = Lexicon.from_entries(["text", "video"])
    decoy_train = inject_decoys(train.texts, train.labels, seed=args.seed)
    decoy_test = inject_decoys(test.texts, test.labels, seed=99)
    lines = [results_header("Decoy diagnosis: gradient saliency vs the decoy's real influence (rt_polarity)",
                            [args.seed], [f"model as in decoy_sentiment.py, {args.epochs} epochs, target `all`"]), "",
             "| λ | ‖g‖ decoy / other (mean) | ‖e‖ decoy / other (mean) | share of ‖g‖ on decoy % | "
             "share of abs(g·e) on decoy % | decoy position from the end (mean) |", "|---|---|---|---|---|---|"]
    for weight in args.lambdas:
        settings = FitSettings(PenaltyConfig(input_gradient_weight=weight, target="all"), epochs=args.epochs, batch_size=64,
                               learning_rate=2e-3, seed=args.seed)
        classifier = train_classifier(decoy_train, [int(v) for v in train.labels], 2, MODEL, settings, lexicon)
        examples = encode_examples(classifier, decoy_test, [int(v) for v in test.labels], lexicon)
        ids = tf.constant(examples.ids)
        _, gradients, token_mask = probabilities_and_input_gradients(classifier, ids, "predicted")
        embeddings = classifier.embed(ids).numpy()
        g_norm = input_gradient.saliency(gradients, token_mask, "l2").numpy()
        e_norm = np.linalg.norm(embeddings, axis=-1)
        g_dot_e = np.abs(np.sum(gradients.numpy() * embeddings, axis=-1)) * token_mask.numpy()
        decoy = examples.forbidden_mask > 0
        other = (token_mask.numpy() > 0) & ~decoy
        lengths = token_mask.numpy().sum(1)
        positions = np.argmax(decoy, axis=1)
        share = lambda v: np.mean((v * decoy).sum(1) / np.maximum(v.sum(1), 1e-30))
        lines.append(f"| {weight:g} | {g_norm[decoy].mean():.2e} / {g_norm[other].mean():.2e} | "
                     f"{e_norm[decoy].mean():.2f} / {e_norm[other].mean():.2f} | {share(g_norm) * 100:.1f} | "
                     f"{share(g_dot_e) * 100:.1f} | {np.mean(lengths - 1 - positions):.1f} |")
        print(lines[-1], flush=True)
    lines.append("")
    write_results("decoy_diagnosis.md", "\n".join(lines), args.out)


if __name__ == "__main__":
    main()
