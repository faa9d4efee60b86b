"""Labelled training corpora and the three sources of the forbidden mask.

Mask sources (combinable; a token is forbidden if any source says so):
  lexicon      forbidden words and phrases, matched on surface tokens;
  mask column  per-word 0/1 over the words of ``saliency_core.text.split_words`` (text.split() after
               whitespace normalisation): a string of 0/1 (spaces optional) or a JSON list
               of [start, end) word spans;
  rationale    per-word Z in the same formats, 1 = important; the penalty covers the other real tokens. An
               empty cell, or a rationale with no 1 at all, means "no rationale for this row": that row gets no
               rationale penalty (all zeros would otherwise penalise every token).
"""

import dataclasses
import re

from saliency_core.errors import InputError
from saliency_core.hashing import file_sha256
from saliency_core.marks import parse_optional_word_marks, parse_word_marks
from saliency_core.table import RowReader
from saliency_core.text import split_words
from saliency_core.windows import cut_windows


@dataclasses.dataclass
class Corpus:
    texts: list
    labels: list  # raw label strings
    word_masks: list = None  # per-word forbidden marks, or None
    rationales: list = None  # per-word rationale Z, or None
    source: str = None
    sha256: str = None

    def __len__(self):
        return len(self.texts)

    def subset(self, indices):
        pick = lambda values: None if values is None else [values[i] for i in indices]
        return Corpus([self.texts[i] for i in indices], [self.labels[i] for i in indices],
                      pick(self.word_masks), pick(self.rationales), self.source, self.sha256)


def load_corpus(path, text_column="text", label_column="label", mask_column=None,
                rationale_column=None, split_column=None, splits=None, encoding="utf-8"):
    """Read a labelled CSV/JSONL corpus. With ``split_column``, keep rows whose split is in ``splits``.

    Returns a dict {split value: Corpus} when ``splits`` is given, else one Corpus.
    """
    required = [text_column, label_column, mask_column, rationale_column, split_column]
    by_split = {name: Corpus([], [], [] if mask_column else None, [] if rationale_column else None,
                             str(path)) for name in (splits or [None])}
    with RowReader(path, required, encoding) as rows:
        for line, row in rows:
            key = None
            if split_column:
                key = str(row[split_column]).strip()
                if key not in by_split:
                    continue
            corpus = by_split[key]
            text_value = row[text_column]
            text_value = "" if text_value is None else str(text_value)
            label = str(row[label_column]).strip()
            if not label:
                raise InputError("empty label", path, line, label_column)
            word_count = len(split_words(text_value))
            corpus.texts.append(text_value)
            corpus.labels.append(label)
            if mask_column:
                corpus.word_masks.append(parse_word_marks(row[mask_column], word_count, path, line, mask_column))
            if rationale_column:
                corpus.rationales.append(  # None where the cell is empty: no rationale for this row
                    parse_optional_word_marks(row[rationale_column], word_count, path, line, rationale_column))
    digest = file_sha256(path)
    for corpus in by_split.values():
        corpus.sha256 = digest
    if splits is None:
        corpus = by_split[None]
        if not corpus.texts:
            raise InputError("no data rows (header only)", path)
        return corpus
    return by_split


def window_corpus(corpus: Corpus, max_tokens: int, stride: int) -> Corpus:
    """Every text longer than ``max_tokens`` tokens replaced by its windows (saliency_core.windows: the same cut
    as the audit's), each with the text's label and its slice of the per-word masks and rationale; shorter texts
    are kept as they are. A window whose rationale slice marks no word has no rationale (see the module
    docstring), so a rationale penalty never covers a window that holds none of the human evidence."""
    texts, labels = [], []
    masks = [] if corpus.word_masks is not None else None
    rationales = [] if corpus.rationales is not None else None
    for index, text in enumerate(corpus.texts):
        windows = cut_windows(text, max_tokens, stride)
        spans = [(0, None)] if windows is None else windows.word_spans
        for number, (first, end) in enumerate(spans):
            texts.append(text if windows is None else windows.texts[number])
            labels.append(corpus.labels[index])
            if masks is not None:
                masks.append(corpus.word_masks[index][first:end])
            if rationales is not None:
                rationale = corpus.rationales[index]
                rationales.append(None if rationale is None or not rationale[first:end].any()
                                  else rationale[first:end])
    return Corpus(texts, labels, masks, rationales, corpus.source, corpus.sha256)


def class_names_of(labels, path=None, column=None):
    """Stable class order: numeric order when every label is an integer, else sorted strings."""
    unique = set(labels)
    if len(unique) < 2:
        raise InputError(f"the label column has a single class ({sorted(unique)}); need at least two",
                         path, None, column)
    if all(re.fullmatch(r"-?\d+", label) for label in unique):
        return sorted(unique, key=int)
    return sorted(unique)
