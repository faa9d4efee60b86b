"""Every penalty term by name, in the order they are logged and named ('input-gradient+counterfactual')."""

from trainer.penalties.base import PenaltyTerm
from trainer.penalties.counterfactual import CounterfactualPenalty
from trainer.penalties.input_gradient import InputGradientPenalty

TERMS: dict[str, type[PenaltyTerm]] = {kind.name: kind for kind in (InputGradientPenalty, CounterfactualPenalty)}
