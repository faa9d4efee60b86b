"""The training penalties on forbidden tokens: one module per term (input_gradient, counterfactual) behind
``PenaltyTerm`` (base.py), named in one registry (registry.py); the composite that runs them over one shared forward
pass (composite.py); their recorded configuration (config.py).

A new penalty: its module here defining a PenaltyTerm subclass, its entry in ``registry.TERMS``, and the weight
field it names in PenaltyConfig (recorded in the export metadata); its tracker, --penalty choice and name in the
logs follow from the registry. This package imports no TensorFlow until a term or the composite is imported.
"""

from trainer.penalties.base import PADDING_ID
from trainer.penalties.config import BOTH, DIVERGENCES, PENALTIES, REDUCTIONS, TARGETS, PenaltyConfig
from trainer.penalties.registry import TERMS, term_class

get = term_class  # as keras.losses.get

__all__ = ["BOTH", "DIVERGENCES", "PADDING_ID", "PENALTIES", "REDUCTIONS", "TARGETS", "TERMS", "PenaltyConfig", "get",
           "term_class"]
