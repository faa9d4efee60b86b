"""Unicode compatibility folding of words: NFKC, word by word, one definition for Python and the model's graph.

Why: the same word written with fullwidth letters (ｔｅｘｔ), a ligature (ﬁne), decomposed accents (e + U+0301) or
compatibility forms (①, ²) is a different token unless it is folded, so a lexicon term written one way never
matched text written the other. NFKC (not NFC) because those compatibility forms are exactly the ones
that hide a word from a lexicon; it is what identifier and confusable matching use (UAX #31, UTS #39).

How: ``fold_word`` maps each character to its NFKC form (a table), then composes adjacent pairs that NFKC
composes (another table, plus the algorithmic Hangul L+V and LV+T pairs) in ``COMPOSE_ROUNDS`` parallel rounds.
The graph does the same with the same tables (``fold_tensor``), so Python and the exported model
agree by construction; tests/test_fold.py checks it on every code point. Folding is per word (after splitting on
whitespace) and whitespace that NFKC produces inside a word (``¨`` -> ``" ̈"``) is dropped, so a word stays one
word and per-word rationales and masks stay aligned.

Where it differs from NFKC: it does not reorder combining marks given out of canonical order and does not
compose a mark with a base across another mark (``a`` + U+0316 + U+0301). Such text is rare; tests/test_fold.py
shows the difference on an example and checks that there is none on every character and every canonical
decomposition. The tables are generated from Python's ``unicodedata`` and checked in (``unicode_fold.json``,
``scripts/generate_unicode_fold.py``), so a model exported with one Python and audited with another fold alike.
"""

import functools
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).with_name("unicode_fold.json")
# The longest canonical composition chain in Unicode 14 (e.g. U+1FA7 = ω + 3 marks) needs 3 rounds; one spare.
COMPOSE_ROUNDS = 4
# A pair's key in the graph's sorted composition table: first * KEY_BASE + second (fits int64).
KEY_BASE = sys.maxunicode + 1

# Hangul: syllables compose algorithmically (Unicode ch. 3.12). Python enumerates these pairs into its table; the
# graph computes them (11,172 pairs would be 180 KB of constants in every signature).
L_BASE, V_BASE, T_BASE, S_BASE = 0x1100, 0x1161, 0x11A7, 0xAC00
L_COUNT, V_COUNT, T_COUNT = 19, 21, 28
S_COUNT = L_COUNT * V_COUNT * T_COUNT


@dataclass(frozen=True)
class FoldTables:
    unicode_version: str
    characters: dict[str, str]  # character -> its NFKC form without whitespace or ignorables (only where it differs)
    canonical_pairs: dict[tuple[int, int], int]  # (first, second) -> composed code point, from the table
    compose: dict[tuple[int, int], int]  # canonical_pairs and the Hangul pairs


def hangul_pairs() -> dict[tuple[int, int], int]:
    pairs = {}
    for l_index in range(L_COUNT):
        for v_index in range(V_COUNT):
            lv = S_BASE + (l_index * V_COUNT + v_index) * T_COUNT
            pairs[(L_BASE + l_index, V_BASE + v_index)] = lv
            for t_index in range(1, T_COUNT):
                pairs[(lv, T_BASE + t_index)] = lv + t_index
    return pairs


def generate_tables(drop: re.Pattern) -> dict:
    """The tables from this Python's ``unicodedata``; ``drop`` matches what folding removes (whitespace, ignorables)."""
    characters, compose = {}, {}
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        if drop.fullmatch(char):
            continue  # never inside a word: split on or removed before folding
        folded = drop.sub("", unicodedata.normalize("NFKC", char))
        if folded != char:
            characters[f"{code:04X}"] = folded
        decomposition = unicodedata.decomposition(char)
        if decomposition and not decomposition.startswith("<"):
            parts = [int(part, 16) for part in decomposition.split()]
            # Primary composites only: composition exclusions and singletons do not compose back.
            if len(parts) == 2 and unicodedata.normalize("NFC", chr(parts[0]) + chr(parts[1])) == char:
                compose[f"{parts[0]:04X} {parts[1]:04X}"] = f"{code:04X}"
    return {"unicode_version": unicodedata.unidata_version, "characters": characters, "compose": compose}


@functools.lru_cache(maxsize=1)
def tables() -> FoldTables:
    raw = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
    canonical: dict[tuple[int, int], int] = {}
    for pair, value in raw["compose"].items():
        first, second = (int(part, 16) for part in pair.split())
        canonical[(first, second)] = int(value, 16)
    characters = {chr(int(code, 16)): folded for code, folded in raw["characters"].items()}
    return FoldTables(raw["unicode_version"], characters, canonical, {**canonical, **hangul_pairs()})


def _compose_once(codes: list[int], compose: dict) -> list[int] | None:
    """One parallel round, the graph's rule exactly: pair i composes when it is composable and pair i-1 is not."""
    found = [compose.get((codes[i], codes[i + 1]), -1) for i in range(len(codes) - 1)]
    if not any(f >= 0 for f in found):
        return None
    found.append(-1)
    result = []
    for i, code in enumerate(codes):
        previous = found[i - 1] >= 0 if i else False
        if previous and not (i >= 2 and found[i - 2] >= 0):
            continue  # consumed by the pair (i-1, i)
        result.append(found[i] if found[i] >= 0 and not previous else code)
    return result


def fold_word(word: str) -> str:
    """NFKC of one whitespace-free word (see the module docstring for the exact rule). ASCII returns unchanged."""
    if word.isascii():
        return word
    table = tables()
    characters = table.characters
    codes = [ord(c) for c in "".join(characters.get(c, c) for c in word)]
    for _ in range(COMPOSE_ROUNDS):
        composed = _compose_once(codes, table.compose)
        if composed is None:
            break
        codes = composed
    return "".join(map(chr, codes))


def _sorted_lookup(keys, values, queries):
    """Look queries up in a sorted constant table (no lookup resource, so the SavedModel needs no initializer).
    Returns (found bool, value) of the queries' shape; value is arbitrary where not found."""
    import tensorflow as tf

    index = tf.minimum(tf.searchsorted(keys, queries), tf.size(keys, out_type=tf.int32) - 1)
    return tf.gather(keys, index) == queries, tf.gather(values, index)


def _compose_once_ops(flat, rows, compose_keys, compose_values):
    """flat int64 [M] code points of words numbered by rows int64 [M] (sorted). One parallel composition round,
    the rule of ``_compose_once``. Plain tensors, not ragged ones: each ragged op adds validation ops, and
    their number is what the session pays for on the first run of every signature."""
    import tensorflow as tf

    following = tf.roll(flat, -1, 0)
    position = tf.range(tf.size(flat))
    has_next = (position < tf.size(flat) - 1) & (tf.roll(rows, -1, 0) == rows)
    found, composed = _sorted_lookup(compose_keys, compose_values, flat * KEY_BASE + following)
    # Hangul L+V and LV+T, computed (Unicode ch. 3.12) rather than looked up.
    leading_vowel = (
        (flat >= L_BASE) & (flat < L_BASE + L_COUNT) & (following >= V_BASE) & (following < V_BASE + V_COUNT)
    )
    syllable_trailing = (
        (flat >= S_BASE)
        & (flat < S_BASE + S_COUNT)
        & ((flat - S_BASE) % T_COUNT == 0)
        & (following > T_BASE)
        & (following < T_BASE + T_COUNT)
    )
    composed = tf.where(
        leading_vowel,
        S_BASE + ((flat - L_BASE) * V_COUNT + following - V_BASE) * T_COUNT,
        tf.where(syllable_trailing, flat + following - T_BASE, composed),
    )
    found = (found | leading_vowel | syllable_trailing) & has_next
    found_before = tf.roll(found, 1, 0) & (position > 0)
    applied = found & ~found_before
    kept = ~(tf.roll(applied, 1, 0) & (position > 0))
    return tf.boolean_mask(tf.where(applied, composed, flat), kept), tf.boolean_mask(rows, kept)


@functools.lru_cache(maxsize=1)
def _fold_function():
    """One tf.function, so every signature that tokenizes calls the same library function: the tables are stored
    once in a SavedModel, not once per signature."""
    import numpy as np
    import tensorflow as tf

    # Not inlined: the session then optimises this body only when a batch with non-ASCII words first runs it,
    # instead of on the first run of every signature (about 0.6 s each, measured).
    @tf.function(
        input_signature=[tf.TensorSpec([None], tf.string)], autograph=False, experimental_attributes={"_noinline": True}
    )
    def fold_non_ascii(words: Any) -> Any:
        table = tables()
        character_codes = sorted(ord(c) for c in table.characters)
        character_keys = tf.constant(np.array(character_codes, dtype=np.int64))
        character_values = tf.constant([table.characters[chr(c)] for c in character_codes], dtype=tf.string)
        pairs = sorted((first * KEY_BASE + second, value) for (first, second), value in table.canonical_pairs.items())
        compose_keys = tf.constant(np.array([key for key, _ in pairs], dtype=np.int64))
        compose_values = tf.constant(np.array([value for _, value in pairs], dtype=np.int64))
        codes = tf.strings.unicode_decode(words, "UTF-8", errors="replace")
        found, replacement = _sorted_lookup(character_keys, character_values, tf.cast(codes.flat_values, tf.int64))
        single = tf.strings.unicode_encode(tf.expand_dims(codes.flat_values, -1), "UTF-8")
        joined = tf.strings.reduce_join(codes.with_flat_values(tf.where(found, replacement, single)), axis=1)
        codes = tf.strings.unicode_decode(joined, "UTF-8")
        flat, rows = tf.cast(codes.flat_values, tf.int64), codes.value_rowids()
        for _ in range(COMPOSE_ROUNDS):
            flat, rows = _compose_once_ops(flat, rows, compose_keys, compose_values)
        composed = tf.RaggedTensor.from_value_rowids(tf.cast(flat, tf.int32), rows, nrows=codes.nrows(), validate=False)
        return tf.strings.unicode_encode(composed, "UTF-8")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)], autograph=False)
    def fold_words(words: Any) -> Any:
        # An ASCII word folds to itself, so only the non-ASCII words go through the folding function: a batch of
        # real text holds a few (about 1 text in 150 of SST-2, yet 4 batches of 256 in 5), and folding every word
        # of the batch cost about a third of the predict signature's time.
        ascii_words = tf.strings.regex_full_match(words, "[\\x00-\\x7f]*")

        def fold_some() -> Any:
            positions = tf.where(~ascii_words)
            return tf.tensor_scatter_nd_update(words, positions, fold_non_ascii(tf.gather_nd(words, positions)))

        return tf.cond(tf.reduce_all(ascii_words), lambda: tf.identity(words), fold_some)

    return fold_words


def fold_tensor(words: Any) -> Any:
    """words: string [N] without whitespace. ``fold_word`` of each, as TF ops: only the non-ASCII words are folded."""
    return _fold_function()(words)
