"""What the penalty on forbidden tokens is, as recorded in the export metadata."""

import dataclasses

from trainer.penalties.registry import TERMS

TARGETS = ("predicted", "all")  # T(p) of the input-gradient penalty
REDUCTIONS = ("l2", "sum")  # r(g) of the input-gradient penalty
DIVERGENCES = ("kl", "logit-pairing")  # D of the counterfactual penalty

BOTH = "both"
PENALTIES = (*TERMS, BOTH)  # --penalty's choices: each term by name, or both


@dataclasses.dataclass(frozen=True)
class PenaltyConfig:
    """What the penalty on forbidden tokens is; recorded in the export metadata.

    input_gradient_weight: lambda of the input-gradient penalty (Ross et al. 2017), mean_n sum_t m_nt ||dT(p)/de_nt||^2.
    counterfactual_weight: lambda_cf of mean_n D(p(x_n), p(x_n without its forbidden tokens)), plus the
        same divergence to a substitute where substitution groups are given.
    target, reduction: T(p) and r(g) of the input-gradient penalty (DESIGN.md).
    divergence: D of the counterfactual penalty, 'kl' or 'logit-pairing' (and of the subspace penalty).
    subspace_weight: lambda of mean_n D(p(x_n), p(x_n with every token projected off the top subspace_rank
        principal directions of the listed tokens' embeddings)): it reaches words the lexicon does not list.
    """
    input_gradient_weight: float = 0.0
    counterfactual_weight: float = 0.0
    target: str = "predicted"
    reduction: str = "l2"
    divergence: str = "logit-pairing"
    subspace_weight: float = 0.0
    subspace_rank: int = 8  # principal directions of the listed terms' embeddings the subspace penalty spans

    def __post_init__(self):
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}")
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}")
        if self.divergence not in DIVERGENCES:
            raise ValueError(f"divergence must be one of {DIVERGENCES}")
        if self.subspace_rank < 1:
            raise ValueError("subspace_rank must be >= 1")
        if not all(getattr(self, entry.weight_field) >= 0 for entry in TERMS.values()):
            raise ValueError("penalty weights must be >= 0")

    @classmethod
    def named(cls, name: str, weight: float, counterfactual_weight: float | None = None, **kwargs) -> "PenaltyConfig":
        """The CLI's form: --penalty NAME --penalty-weight W [--counterfactual-weight W_cf] (with 'both': the
        input gradient at W and the counterfactual at W_cf, default W)."""
        if name not in PENALTIES:
            raise ValueError(f"penalty must be one of {PENALTIES}")
        if name != BOTH:
            return cls(**{TERMS[name].weight_field: weight}, **kwargs)
        return cls(input_gradient_weight=weight,
                   counterfactual_weight=weight if counterfactual_weight is None else counterfactual_weight,
                   **kwargs)

    @property
    def active(self) -> bool:
        return any(getattr(self, entry.weight_field) > 0 for entry in TERMS.values())

    @property
    def name(self) -> str:
        return "+".join(name for name, entry in TERMS.items() if getattr(self, entry.weight_field) > 0) or "none"
