"""Substitution groups: terms that should be interchangeable for the model (Garg et al. 2019).

File format: one group per line, members separated by commas (e.g. ``gay, straight, bisexual``);
blank lines and lines starting with '#' are ignored. Members are standardized with the model's
tokenizer like lexicon entries and may be phrases. A term is paired with every other member of its
group(s): in training as a counterfactual to the original, in the audit for the counterfactual token
fairness gap (|p(x) - p(x with the term replaced)|).
"""

from saliency_core.errors import InputError
from saliency_core.lexicon import Lexicon
from saliency_core.table import check_readable
from saliency_core.text import tokenize_all


class SubstitutionGroups:
    def __init__(self, groups: list[list[str]], source: str | None = None):
        """groups: list of lists of standardized terms (str, tokens joined by one space)."""
        self.groups = [sorted(set(group)) for group in groups]
        self.source = source
        self._substitutes: dict[str, set[str]] = {}
        for group in self.groups:
            for term in group:
                self._substitutes.setdefault(term, set()).update(t for t in group if t != term)
        self.lexicon = Lexicon([tuple(term.split()) for term in self._substitutes], source)
        self.sha256 = self.lexicon.sha256

    def substitutes(self, term: str) -> list[str]:
        """Every other member of the groups that hold ``term`` (sorted)."""
        return sorted(self._substitutes.get(term, ()))

    def variant_spans(self, tokens: list[str]) -> list[tuple[str, str, list[tuple[int, int]]]]:
        """[(term, substitute, the term's token spans [start, end))] for the terms in tokens."""
        matches = self.lexicon.matches(tokens)
        out = []
        for term in sorted({term for _, _, term in matches}):
            spans = [(start, end) for start, end, matched in matches if matched == term]
            out += [(term, substitute, spans) for substitute in self.substitutes(term)]
        return out

    def variants(self, tokens: list[str]) -> list[tuple[str, str, list[str]]]:
        """[(term, substitute, tokens with every match of term replaced by substitute)] for the terms in tokens."""
        out = []
        for term, substitute, spans in self.variant_spans(tokens):
            replaced, cursor = [], 0
            for start, end in spans:
                if start < cursor:  # overlapping matches of the same phrase
                    continue
                replaced += tokens[cursor:start] + substitute.split()
                cursor = end
            out.append((term, substitute, replaced + tokens[cursor:]))
        return out


def load_substitutions(path: str, encoding: str = "utf-8") -> SubstitutionGroups:
    check_readable(path)
    try:
        with open(path, encoding=encoding) as f:
            lines = f.read().lstrip("\ufeff").splitlines()
    except UnicodeDecodeError as error:
        raise InputError(f"substitution file is not valid {encoding}: {error.reason}", path) from None
    groups = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        members = [m.strip() for m in line.split(",") if m.strip()]
        terms = sorted({" ".join(tokens) for tokens in tokenize_all(members) if tokens})
        if len(terms) < 2:
            raise InputError(
                "a substitution group needs at least two different terms, separated by commas", path, number
            )
        groups.append(terms)
    if not groups:
        raise InputError("no substitution groups (only blank lines or comments)", path)
    return SubstitutionGroups(groups, source=str(path))
