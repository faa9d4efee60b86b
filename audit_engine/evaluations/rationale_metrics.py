"""ERASER rationale metrics (DeYoung et al. 2020) for soft token scores against a human rationale.

Shapes: n = explained tokens of one document. All functions are pure numpy.
"""

from collections.abc import Callable, Sequence

import numpy as np

AOPC_FRACTIONS = (0.01, 0.05, 0.10, 0.20, 0.50)  # ERASER's bins for comprehensiveness / sufficiency


def top_k_mask(scores: np.ndarray, k: int) -> np.ndarray:
    """bool [n]: the k highest scores (ties by position)."""
    mask = np.zeros(len(scores), dtype=bool)
    if k > 0:
        mask[np.argsort(-np.asarray(scores), kind="stable")[:k]] = True
    return mask


def token_f1(scores: np.ndarray, rationale: np.ndarray, k: int) -> tuple[float, float, float]:
    """Token-level F1 of the top-k scored tokens against the rationale (bool [n]). Returns (P, R, F1)."""
    predicted = top_k_mask(scores, k)
    rationale = np.asarray(rationale, dtype=bool)
    hits = np.sum(predicted & rationale)
    precision = hits / predicted.sum() if predicted.sum() else 0.0
    recall = hits / rationale.sum() if rationale.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)


def auprc(scores: np.ndarray, rationale: np.ndarray) -> float:
    """Area under the precision-recall curve (average precision) of scores against the rationale.

    NaN when the document has no rationale token.
    """
    rationale = np.asarray(rationale, dtype=bool)
    positives = rationale.sum()
    if positives == 0:
        return float("nan")
    order = np.argsort(-np.asarray(scores), kind="stable")
    hits = np.cumsum(rationale[order])
    precision_at = hits / np.arange(1, len(order) + 1)
    return float(np.sum(precision_at[rationale[order]]) / positives)


def aopc(
    predict_probability: Callable[[list[str]], np.ndarray],
    tokens: Sequence[str],
    scores: np.ndarray,
    predicted_class: int,
    fractions: Sequence[float] = AOPC_FRACTIONS,
) -> tuple[float, float]:
    """Comprehensiveness and sufficiency, averaged over the fractions (ERASER's AOPC form).

    predict_probability(list of texts) -> float [len, C]; tokens: list of str [n].
    comprehensiveness = p(y|x) - p(y|x without the top k%); sufficiency = p(y|x) - p(y|only the top k%).
    """
    n = len(tokens)
    texts = [" ".join(tokens)]
    for fraction in fractions:
        keep = top_k_mask(scores, max(1, int(round(fraction * n))))
        texts.append(" ".join(t for t, k in zip(tokens, keep) if not k))
        texts.append(" ".join(t for t, k in zip(tokens, keep) if k))
    p = predict_probability(texts)[:, predicted_class]
    full = p[0]
    comprehensiveness = float(np.mean([full - p[1 + 2 * i] for i in range(len(fractions))]))
    sufficiency = float(np.mean([full - p[2 + 2 * i] for i in range(len(fractions))]))
    return comprehensiveness, sufficiency
