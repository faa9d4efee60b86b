"""What a penalty term is: one module per term behind ``PenaltyTerm``, chosen by name from the registry (as
``keras.losses.get`` and Model Remediation's counterfactual losses are), and the forward pass the terms share.

Shapes: B = batch, T = max tokens, E = embedding size, C = classes.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import tensorflow as tf

PADDING_ID = 0
UNKNOWN_ID = 1  # TextVectorization's id of every word outside the vocabulary

@dataclasses.dataclass(frozen=True)
class ForwardPass:
    """One batch's passes through the classifier, computed once by the composite and read by every term.

    probabilities float [B, C]; forbidden float [B, T] (1 on forbidden tokens); real float [B, T] (1 on real
    tokens); has_forbidden float [B]; gradients float [B, T, E] of the input-gradient target (only when a term
    needs them); removed float [B, C]: the prediction without the forbidden tokens (only when a term needs it).
    """

    classifier: Any
    inputs: dict[str, tf.Tensor]
    training: bool
    probabilities: tf.Tensor
    forbidden: tf.Tensor
    real: tf.Tensor
    has_forbidden: tf.Tensor
    gradients: tf.Tensor | None = None
    removed: tf.Tensor | None = None


class PenaltyTerm(abc.ABC):
    """One penalty on forbidden tokens: its name (``--penalty NAME``), the loss it logs (``tracker``), the
    PenaltyConfig field holding its weight, and what of the shared forward pass it reads."""

    name: ClassVar[str]
    tracker: ClassVar[str]
    weight_field: ClassVar[str]
    needs_gradients: ClassVar[bool] = False  # the input gradient of the target (double backprop)
    needs_removal: ClassVar[bool] = False  # the prediction without the forbidden tokens

    def __init__(self, config, listed_ids=()):
        self.config = config
        # The vocabulary ids of the tokens the forbidden mask covers in the training data (terms that reach beyond
        # the masked positions read them).
        self.listed_ids = tuple(int(i) for i in listed_ids)

    @property
    def weight(self) -> float:
        return float(getattr(self.config, self.weight_field))

    @abc.abstractmethod
    def call(self, forward: ForwardPass) -> tf.Tensor:
        """The term's value, a float scalar (unweighted)."""
