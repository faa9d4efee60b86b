"""Token attributions for the exported signatures: one method per module behind one interface (as in captum).

Every method is a function ``attribute(classifier, ids) -> Attribution`` over ids int [B, T] that
explains the predicted class of each example. ``saliency`` is the non-negative mass per token that the
audit's shares are computed on; methods with signed attributions also return them, and approximate
methods return their convergence check.
"""

import dataclasses

import tensorflow as tf


@dataclasses.dataclass
class Attribution:
    probabilities: tf.Tensor  # float [B, C]
    saliency: tf.Tensor  # float [B, T], >= 0, 0 on padding
    attributions: tf.Tensor = None  # float [B, T], signed (methods that have a sign)
    completeness_gap: tf.Tensor = None  # float [B], sum_t attributions - (f(x) - f(baseline))
