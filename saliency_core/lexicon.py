"""Forbidden-word lexicons: loading, normalisation, and matching on surface tokens.

Entries are standardized with the model's own tokenizer (``saliency_core.text``), so a lexicon line
"African-American" and the text "african american" only match when the model would see the same
tokens. Phrases match as token sequences; a position is forbidden if any match covers it.
"""

import hashlib
from collections.abc import Iterable

import numpy as np

from saliency_core import text
from saliency_core.errors import InputError
from saliency_core.table import check_known_encoding, check_readable


class Lexicon:
    """A set of forbidden phrases, each a tuple of surface tokens."""

    def __init__(self, phrases, source=None, notes=()):
        self.notes = list(notes)  # entries the model's normalisation changed or dropped (see load_lexicon)
        self.phrases = tuple(sorted(set(phrases)))
        if not self.phrases:
            raise InputError("the lexicon has no entries", source)
        self.source = source
        self._by_first_token: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self.phrases:
            self._by_first_token.setdefault(phrase[0], []).append(phrase)
        # sha256 of the normalised phrases: formatting, comments and order do not change it.
        self.sha256 = hashlib.sha256("\n".join(" ".join(p) for p in self.phrases).encode()).hexdigest()

    @classmethod
    def from_entries(cls, entries: list[str], source: str | None = None) -> "Lexicon":
        return cls([tuple(tokens) for tokens in text.tokenize_all(list(entries)) if tokens], source)

    def matches(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        """tokens: list of str. Returns [(start, end, phrase string)] for every match, end exclusive."""
        found = []
        for start, token in enumerate(tokens):
            for phrase in self._by_first_token.get(token, ()):
                end = start + len(phrase)
                if tuple(tokens[start:end]) == phrase:
                    found.append((start, end, " ".join(phrase)))
        return found

    def without(self, tokens: list[str], term: str | None = None) -> list[str]:
        """tokens with every match removed (only matches of ``term`` when given): the counterfactual text."""
        mask = covered(
            ((start, end) for start, end, matched in self.matches(tokens) if term is None or matched == term),
            len(tokens),
        )
        return [token for token, hidden in zip(tokens, mask) if not hidden]

    def position_mask(self, tokens: list[str], length: int | None = None) -> np.ndarray:
        """Bool [length or len(tokens)]: True where a forbidden phrase covers the token."""
        return covered(
            ((start, end) for start, end, _ in self.matches(tokens)), len(tokens) if length is None else length
        )


def covered(spans: Iterable[tuple[int, int]], length: int) -> np.ndarray:
    """Bool [length]: True on every position that a [start, end) span covers (spans may run past ``length``)."""
    mask = np.zeros(length, dtype=bool)
    for start, end in spans:
        mask[start : min(end, length)] = True
    return mask


def load_lexicon(path: str, encoding: str = "utf-8", strict: bool = False) -> Lexicon:
    """One entry per line; blank lines and lines starting with '#' are ignored; case and punctuation are
    normalised by the tokenizer and duplicates collapse. Entries that the normalisation changes beyond case and
    spacing (e.g. 'U.S.' -> 'us') or drops (e.g. '.*') are listed in ``Lexicon.notes``; with ``strict`` they are
    an error instead."""
    check_readable(path)
    check_known_encoding(encoding, path)
    try:
        with open(path, encoding=encoding) as f:
            lines = f.read().lstrip("\ufeff").splitlines()  # a BOM would hide the first entry
    except UnicodeDecodeError as error:
        raise InputError(f"lexicon is not valid {encoding}: {error.reason}", path) from None
    entries = [line.strip() for line in lines]
    entries = [e for e in entries if e and not e.startswith("#")]
    if not entries:
        raise InputError("the lexicon has no entries (only blank lines or comments)", path)
    phrases, notes = [], []
    for entry, tokens in zip(entries, text.tokenize_all(entries)):
        if not tokens:
            notes.append(f"{entry!r} is dropped (nothing left after the model's normalisation)")
            continue
        normalised = " ".join(tokens)
        if normalised != " ".join(entry.lower().split()):
            notes.append(f"{entry!r} is matched as {normalised!r}")
        phrases.append(tuple(tokens))
    if strict and notes:
        raise InputError(
            f"--strict-lexicon: {notes[0]}" + (f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""), path
        )
    if not phrases:
        raise InputError("the lexicon has no entries the model can match: " + "; ".join(notes[:3]), path)
    return Lexicon(phrases, source=str(path), notes=notes)
