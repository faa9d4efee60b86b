"""The training penalties on forbidden tokens: one module per term (input_gradient, counterfactual) behind
``PenaltyTerm``, registered by name; the composite that runs them over one shared forward pass; their config.

A new penalty: its module here defining a PenaltyTerm subclass, its entry in ``registry.TERMS``, and the weight
field it names in PenaltyConfig (recorded in the export metadata); its tracker, --penalty choice and name in the
logs follow from the registry.
"""

from trainer.penalties.base import PADDING_ID, ForwardPass, PenaltyTerm
from trainer.penalties.composite import ForbiddenTokenPenalty
from trainer.penalties.config import BOTH, PENALTIES, PenaltyConfig
from trainer.penalties.counterfactual import DIVERGENCES
from trainer.penalties.input_gradient import REDUCTIONS, TARGETS, probabilities_and_input_gradients
from trainer.penalties.registry import TERMS


def get(name: str) -> type[PenaltyTerm]:
    """The penalty term class registered under ``name`` (as keras.losses.get)."""
    try:
        return TERMS[name]
    except KeyError:
        raise ValueError(f"unknown penalty {name!r}; known: {sorted(TERMS)}") from None


__all__ = ["BOTH", "DIVERGENCES", "PADDING_ID", "PENALTIES", "REDUCTIONS", "TARGETS", "TERMS", "ForbiddenTokenPenalty",
           "ForwardPass", "PenaltyConfig", "PenaltyTerm", "get", "probabilities_and_input_gradients"]
