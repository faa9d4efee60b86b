"""A text as words and tokens together: what removal and substitution rebuild texts from.

Every surface token comes from one whitespace word of the text (saliency_core.text), so a text without some tokens
is the text's own words without the words those tokens came from: the rest keeps its case, punctuation and
spelling. A model that tokenizes as this project does sees exactly the remaining tokens (a word of punctuation
alone makes no token); any other model (a transformer behind TF Serving or KServe) sees the words as written,
which is what removing a word should mean for it. Words are joined by one space.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np

from saliency_core.text import words_and_surface_tokens


@dataclasses.dataclass(frozen=True)
class Words:
    words: list[str]  # split_words(text)
    tokens: list[str]  # the surface tokens
    word_of_token: list[int]  # the index in ``words`` of each token's word

    @classmethod
    def of(cls, text: str) -> Words:
        return cls(*words_and_surface_tokens(text))

    def _join(self, dropped: set[int], inserted: dict[int, str] | None = None) -> str:
        inserted = inserted or {}
        return " ".join(inserted.get(i, word) for i, word in enumerate(self.words) if i not in dropped or i in inserted)

    def without(self, hidden: np.ndarray | Sequence[bool]) -> str:
        """The text without the words of the tokens where ``hidden`` (bool [tokens]) is True."""
        return self._join({self.word_of_token[i] for i in np.flatnonzero(np.asarray(hidden, dtype=bool))})

    def substituted(self, spans: Iterable[tuple[int, int]], substitute: str) -> str:
        """The text with the words of each token span [start, end) replaced by ``substitute`` (overlapping spans
        after the first are left as they are)."""
        dropped: set[int] = set()
        inserted: dict[int, str] = {}
        cursor = 0
        for start, end in sorted(spans):
            if start < cursor:
                continue
            covered = range(self.word_of_token[start], self.word_of_token[end - 1] + 1)
            dropped.update(covered)
            inserted[covered[0]] = substitute
            cursor = end
        return self._join(dropped, inserted)
