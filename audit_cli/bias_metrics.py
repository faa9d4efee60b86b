"""Per-identity-term bias metrics for a binary score (Dixon et al. 2018; Borkan et al. 2019).

labels: bool [N] (True = toxic); scores: float [N] (higher = more toxic); in_subgroup: bool [N].
"""

import numpy as np


def auc(labels, scores):
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


def subgroup_auc(labels, scores, in_subgroup):
    return auc(labels[in_subgroup], scores[in_subgroup])


def bpsn_auc(labels, scores, in_subgroup):
    """Background positive, subgroup negative: low when non-toxic subgroup texts score high."""
    pick = (~in_subgroup & labels) | (in_subgroup & ~labels)
    return auc(labels[pick], scores[pick])


def bnsp_auc(labels, scores, in_subgroup):
    """Background negative, subgroup positive: low when toxic subgroup texts score low."""
    pick = (~in_subgroup & ~labels) | (in_subgroup & labels)
    return auc(labels[pick], scores[pick])


def pinned_auc(labels, scores, in_subgroup, seed=0):
    """AUC on the subgroup plus an equal-size random sample of all data (Dixon et al. 2018)."""
    subgroup = np.flatnonzero(in_subgroup)
    if len(subgroup) == 0:
        return float("nan")
    background = np.random.default_rng(seed).choice(len(labels), size=min(len(subgroup), len(labels)), replace=False)
    pick = np.r_[subgroup, background]
    return auc(labels[pick], scores[pick])


def bias_table(labels, scores, subgroups, seed=0):
    """subgroups: {term: bool [N]}. Returns (rows, pinned AUC equality difference).

    rows: [(term, documents, subgroup AUC, BPSN AUC, BNSP AUC, pinned AUC)]; the equality difference is
    sum over terms of |overall AUC - pinned AUC| (terms with a defined pinned AUC).
    """
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    overall = auc(labels, scores)
    rows, difference = [], 0.0
    for term, mask in sorted(subgroups.items()):
        mask = np.asarray(mask, dtype=bool)
        pinned = pinned_auc(labels, scores, mask, seed)
        rows.append((term, int(mask.sum()), subgroup_auc(labels, scores, mask), bpsn_auc(labels, scores, mask),
                     bnsp_auc(labels, scores, mask), pinned))
        if not np.isnan(pinned):
            difference += abs(overall - pinned)
    return rows, difference
