"""Per-word marks (forbidden masks, human rationales) over ``saliency_core.text.split_words(text)``: 0/1 or spans."""

import json
import re

import numpy as np

from saliency_core.errors import InputError


def parse_word_marks(
    value: str, word_count: int, path: str | None = None, line: int | None = None, column: str | None = None
) -> np.ndarray:
    """'0110' / '0 1 1 0' / '[[1, 3]]' -> uint8 [word_count]."""
    value = str(value).strip()
    marks = np.zeros(word_count, dtype=np.uint8)
    if value.startswith("["):
        try:
            spans = json.loads(value)
            for start, end in spans:
                if not (0 <= int(start) <= int(end) <= word_count):
                    raise ValueError(f"span [{start}, {end}) outside the text's {word_count} words")
                marks[int(start) : int(end)] = 1
        except (ValueError, TypeError) as error:
            raise InputError(f"invalid span list: {error}", path, line, column) from None
        return marks
    digits = re.sub(r"\s+", "", value)
    if not re.fullmatch(r"[01]*", digits):
        raise InputError("expected a string of 0/1 or a JSON list of [start, end) spans", path, line, column)
    if len(digits) != word_count:
        raise InputError(f"{len(digits)} marks for {word_count} whitespace-separated words", path, line, column)
    marks[:] = np.frombuffer(digits.encode(), dtype=np.uint8) - ord("0")
    return marks


MISSING_VALUES = ("", "null", "none", "nan")


def parse_optional_word_marks(
    value: object, word_count: int, path: str | None = None, line: int | None = None, column: str | None = None
) -> np.ndarray | None:
    """Like parse_word_marks, but an empty cell (or null / none / nan) means "no marks for this row": None.

    Evaluation sets often give rationales only for some rows (e.g. only toxic posts); such rows are audited
    without rationale metrics and trained without a rationale penalty, instead of stopping the run.
    """
    if value is None or str(value).strip().lower() in MISSING_VALUES:
        return None
    return parse_word_marks(str(value), word_count, path, line, column)
