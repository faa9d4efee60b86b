"""Training step time with the saliency penalty vs without, and saliency-signature vs predict-only cost.

Run: python benchmarks/train_step.py [--steps 30]
Measured side by side in one process on synthetic ids (batch 64, T = 60, LSTM 64, embedding 64), with
the LSTM as a while loop (default) and unrolled.
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

from saliency_core import contract
from serving.session_model import SessionModel
from trainer.attributions.integrated_gradients import DEFAULT_STEPS
from trainer.export import export_model
from trainer.model import RightReasonsModel, TextClassifier
from trainer.penalties import PenaltyConfig

PENALTIES = {"input gradient": PenaltyConfig(input_gradient_weight=1.0),
             "counterfactual KL": PenaltyConfig(counterfactual_weight=1.0),
             "counterfactual logit pairing": PenaltyConfig(counterfactual_weight=1.0, divergence="logit-pairing")}

VOCABULARY = [f"w{i}" for i in range(5000)]


def median_step_seconds(models, steps, repeats):
    """models: {name: (model, batch)}. Warm each up, then time them interleaved; median seconds per step."""
    datasets = {name: tf.data.Dataset.from_tensors(batch).repeat(steps) for name, (_, batch) in models.items()}
    for name, (model, _) in models.items():
        model.fit(datasets[name].take(5), epochs=1, verbose=0)  # trace and warm up
    timings = {name: [] for name in models}
    for _ in range(repeats):
        for name, (model, _) in models.items():
            start = time.perf_counter()
            model.fit(datasets[name], epochs=1, verbose=0)
            timings[name].append((time.perf_counter() - start) / steps)
    return {name: float(np.median(values)) for name, values in timings.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=60)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    T = args.max_tokens
    ids = rng.integers(2, len(VOCABULARY) + 2, size=(args.batch, T)).astype(np.int64)
    ids[:, T - 10:] = 0  # some padding, as in real text
    labels = rng.integers(0, 2, size=args.batch).astype(np.int32)
    forbidden = (rng.random((args.batch, T)) < 0.1).astype(np.float32)
    # XLA is not an option: Keras refuses jit_compile for models holding a TextVectorization layer.
    models = {}
    for unroll in (False, True):
        keras.utils.set_random_seed(0)
        plain = TextClassifier(VOCABULARY, 2, T, 64, 64, unroll=unroll)
        plain.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        models[("vanilla", unroll)] = (plain, (ids, labels))
        for name, config in PENALTIES.items():
            keras.utils.set_random_seed(0)
            wrapped = RightReasonsModel(TextClassifier(VOCABULARY, 2, T, 64, 64, unroll=unroll), config)
            wrapped.compile(optimizer="adam")
            models[(name, unroll)] = (wrapped, ({"ids": ids, "forbidden_mask": forbidden}, labels))
    seconds = median_step_seconds(models, args.steps, args.repeats)
    print(f"train step, batch {args.batch}, T {T}, LSTM 64: median of {args.repeats} interleaved runs of "
          f"{args.steps} steps (plain Keras fit vs RightReasonsModel with each penalty)")
    print(f"{'penalty':>30}{'LSTM unroll':>12}{'vanilla ms':>12}{'penalised ms':>14}{'ratio':>8}")
    for unroll in (False, True):
        vanilla = seconds[("vanilla", unroll)]
        for name in PENALTIES:
            penalised = seconds[(name, unroll)]
            goal = "goal <= 1.5" if name.startswith("counterfactual") else "goal <= 2.0"
            print(f"{name:>30}{str(unroll):>12}{vanilla * 1e3:>12.1f}{penalised * 1e3:>14.1f}"
                  f"{penalised / vanilla:>8.2f}  ({goal})")

    texts = np.asarray([" ".join(rng.choice(VOCABULARY, size=40)) for _ in range(256)], dtype=object)
    for unroll in (False, True):
        costs = serving_seconds(TextClassifier(VOCABULARY, 2, 64, 64, 64, unroll=unroll), texts, 5 * args.repeats)
        saliency, predict, ig = (costs[s] for s in (contract.SALIENCY_SIGNATURE, contract.PROBABILITIES_SIGNATURE,
                                                    contract.INTEGRATED_GRADIENTS_SIGNATURE))
        print(f"serving, batch 256, T 64, LSTM unroll {unroll}, session loader path, median of {5 * args.repeats} "
              f"interleaved calls: saliency {saliency * 1e6:.0f} us/doc, predict {predict * 1e6:.0f} us/doc, "
              f"ratio {saliency / predict:.2f} (goal <= 2.0); integrated gradients ({DEFAULT_STEPS} steps) "
              f"{ig * 1e6:.0f} us/doc = {ig / saliency:.2f} x gradient = {ig / saliency / DEFAULT_STEPS:.2f} x m x "
              "gradient (goal <= 0.8)")


def serving_seconds(classifier, texts, repeats):
    """Median seconds per document of the saliency and the predict signatures, timed interleaved."""
    with tempfile.TemporaryDirectory() as base:
        model = SessionModel(export_model(classifier, ["0", "1"], base, "bench", {}, "l2"))
        signatures = (contract.SALIENCY_SIGNATURE, contract.PROBABILITIES_SIGNATURE,
                      contract.INTEGRATED_GRADIENTS_SIGNATURE)
        samples = {signature: [] for signature in signatures}
        for signature in signatures:
            model.run(signature, {contract.TEXT_INPUT: texts})
        for _ in range(repeats):  # interleaved, so drift hits both alike
            for signature in signatures:
                start = time.perf_counter()
                model.run(signature, {contract.TEXT_INPUT: texts})
                samples[signature].append((time.perf_counter() - start) / len(texts))
        model.close()
    return {signature: float(np.median(values)) for signature, values in samples.items()}


if __name__ == "__main__":
    main()
