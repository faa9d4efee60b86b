"""Per-identity-term bias metrics for a binary score (Dixon et al. 2018; Borkan et al. 2019).

labels: bool [N] (True = toxic); scores: float [N] (higher = more toxic); in_subgroup: bool [N].
"""

import math

import numpy as np

from audit_engine.statistics import Interval, z_value


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney rank statistic (ties count half). NaN without both classes."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    positives, negatives = labels.sum(), (~labels).sum()
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties.
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return float((ranks[labels].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def auc_interval(labels: np.ndarray, scores: np.ndarray, confidence: float) -> Interval | None:
    """DeLong's interval of the AUC (DeLong, DeLong and Clarke-Pearson 1988): the AUC's variance from each
    positive's and each negative's placement (the fraction of the other class it outranks, ties half), the normal
    interval clipped to [0, 1]. None with fewer than two of either class."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    positives, negatives = scores[labels], scores[~labels]
    m, n = len(positives), len(negatives)
    if m < 2 or n < 2:
        return None
    below, above = np.sort(negatives), np.sort(positives)
    v10 = (np.searchsorted(below, positives, "left") + np.searchsorted(below, positives, "right")) / (2 * n)
    v01 = 1 - (np.searchsorted(above, negatives, "left") + np.searchsorted(above, negatives, "right")) / (2 * m)
    value = float(v10.mean())
    half = z_value(confidence) * math.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n)
    return Interval(max(0.0, value - half), min(1.0, value + half))


def bpsn_pick(labels: np.ndarray, in_subgroup: np.ndarray) -> np.ndarray:
    """Background positive, subgroup negative (its AUC is low when non-toxic subgroup texts score high)."""
    return (~in_subgroup & labels) | (in_subgroup & ~labels)


def bnsp_pick(labels: np.ndarray, in_subgroup: np.ndarray) -> np.ndarray:
    """Background negative, subgroup positive (its AUC is low when toxic subgroup texts score low)."""
    return (~in_subgroup & ~labels) | (in_subgroup & labels)


def subgroup_auc(labels: np.ndarray, scores: np.ndarray, in_subgroup: np.ndarray) -> float:
    return auc(labels[in_subgroup], scores[in_subgroup])


def bpsn_auc(labels: np.ndarray, scores: np.ndarray, in_subgroup: np.ndarray) -> float:
    pick = bpsn_pick(labels, in_subgroup)
    return auc(labels[pick], scores[pick])


def bnsp_auc(labels: np.ndarray, scores: np.ndarray, in_subgroup: np.ndarray) -> float:
    pick = bnsp_pick(labels, in_subgroup)
    return auc(labels[pick], scores[pick])


PINNED_DRAWS = 20


def pinned_auc(
    labels: np.ndarray, scores: np.ndarray, in_subgroup: np.ndarray, rng: np.random.Generator, draws: int = PINNED_DRAWS
) -> np.ndarray:
    """AUC on the subgroup plus an equal-size random background sample of all data (Dixon et al. 2018), for
    ``draws`` independent background samples from ``rng``. Returns float [draws] (empty without a subgroup).

    One shared sample is noisier than the effects it is used to compare (Davidson: sd 0.04 across draws), so
    callers average over draws and report the spread.
    """
    subgroup = np.flatnonzero(in_subgroup)
    if len(subgroup) == 0:
        return np.zeros(0)
    size = min(len(subgroup), len(labels))
    values = []
    for _ in range(draws):
        pick = np.r_[subgroup, rng.choice(len(labels), size=size, replace=False)]
        values.append(auc(labels[pick], scores[pick]))
    return np.asarray(values)


def bias_table(
    labels: np.ndarray, scores: np.ndarray, subgroups: dict[str, np.ndarray], seed: int = 0, draws: int = PINNED_DRAWS
) -> tuple[list[tuple[str, int, float, float, float, float]], float, float]:
    """subgroups: {term: bool [N]}. Returns (rows, equality difference mean, its sd over draws).

    rows: [(term, documents, subgroup AUC, BPSN AUC, BNSP AUC, pinned AUC mean over draws)]. Every term gets its
    own independent background draws from one generator. The pinned AUC equality difference of draw d is
    sum over terms of |overall AUC - pinned AUC of the term in draw d| (terms with a defined pinned AUC); its
    mean and standard deviation over the draws are returned.
    """
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    overall = auc(labels, scores)
    rng = np.random.default_rng(seed)
    rows, differences = [], np.zeros(draws)
    for term, mask in sorted(subgroups.items()):
        mask = np.asarray(mask, dtype=bool)
        pinned = pinned_auc(labels, scores, mask, rng, draws)
        defined = len(pinned) and not np.any(np.isnan(pinned))
        rows.append(
            (
                term,
                int(mask.sum()),
                subgroup_auc(labels, scores, mask),
                bpsn_auc(labels, scores, mask),
                bnsp_auc(labels, scores, mask),
                float(pinned.mean()) if defined else float("nan"),
            )
        )
        if defined:
            differences += np.abs(overall - pinned)
    return rows, float(differences.mean()), float(differences.std())


def rate_equality_differences(
    labels: np.ndarray, flagged: np.ndarray, subgroups: dict[str, np.ndarray]
) -> tuple[float, float]:
    """False positive / negative rate equality differences (Dixon et al. 2018) at one decision threshold.

    flagged: bool [N] (score above the threshold). Returns (sum over terms of |FPR - FPR_term|, same for FNR),
    over terms whose subgroup holds both classes.
    """
    labels = np.asarray(labels, dtype=bool)
    flagged = np.asarray(flagged, dtype=bool)
    fpr = lambda pick: np.mean(flagged[pick & ~labels])
    fnr = lambda pick: np.mean(~flagged[pick & labels])
    everyone = np.ones(len(labels), bool)
    fped = fned = 0.0
    for mask in subgroups.values():
        mask = np.asarray(mask, dtype=bool)
        if (mask & labels).any() and (mask & ~labels).any():
            fped += abs(fpr(everyone) - fpr(mask))
            fned += abs(fnr(everyone) - fnr(mask))
    return float(fped), float(fned)
