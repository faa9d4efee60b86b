"""NFKC folding of words: the checked-in tables are fresh, Python's fold_word is NFKC on every
character and on every canonically decomposed character, and the graph folds exactly as Python does."""

import random
import re
import sys
import unicodedata

import pytest
import tensorflow as tf

from saliency_core import fold, text

DROP = re.compile(f"{text.WHITESPACE_PATTERN}|{text.IGNORABLE_PATTERN}")
CHARACTERS = [chr(c) for c in range(1, sys.maxunicode + 1)
              if not 0xD800 <= c <= 0xDFFF and not DROP.fullmatch(chr(c))]


def nfkc_word(word):
    return DROP.sub("", unicodedata.normalize("NFKC", word))


def test_the_checked_in_tables_are_fresh():
    if unicodedata.unidata_version != fold.tables().unicode_version:
        pytest.skip(f"this Python has Unicode {unicodedata.unidata_version}; the tables were generated from "
                    f"{fold.tables().unicode_version} (regenerate only on purpose: it changes exported models)")
    import json
    assert fold.generate_tables(DROP) == json.loads(fold.TABLE_PATH.read_text(encoding="utf-8")), \
        "run scripts/generate_unicode_fold.py"


@pytest.mark.slow
def test_fold_is_nfkc_on_every_character_and_every_canonical_decomposition():
    mismatches = [c for c in CHARACTERS if fold.fold_word(c) != nfkc_word(c)]
    decomposed = [unicodedata.normalize("NFD", c) for c in CHARACTERS]
    mismatches += [d for d in decomposed if fold.fold_word(d) != nfkc_word(d)]
    assert mismatches == []


def test_fold_composes_hangul_jamo_and_compatibility_jamo():
    for syllable in map(chr, range(0xAC00, 0xD7A4, 97)):
        assert fold.fold_word(unicodedata.normalize("NFD", syllable)) == syllable
    assert fold.fold_word("ㅎㅏ") == unicodedata.normalize("NFKC", "ㅎㅏ") == "하"
    # A compatibility jamo is a leading consonant: NFKC does not make it a final one, nor does the fold.
    assert fold.fold_word("ㅎㅏㄴ") == unicodedata.normalize("NFKC", "ㅎㅏㄴ") == "하ᄂ"


def test_ascii_words_are_returned_as_they_are():
    word = "Plain-ASCII_word!"
    assert fold.fold_word(word) is word


def test_the_documented_difference_from_nfkc_marks_out_of_canonical_order():
    """DESIGN.md and fold's docstring name this difference; if it goes away, update them."""
    out_of_order = "a\u0301\u0323"  # NFKC reorders the marks, then composes a + U+0323
    assert unicodedata.normalize("NFKC", out_of_order) == "\u1ea1\u0301"
    assert fold.fold_word(out_of_order) == "\u00e1\u0323"


def tricky_words(count, seed):
    """Random words mixing letters, combining marks, compatibility characters and Hangul jamo."""
    rng = random.Random(seed)
    pools = [range(0x41, 0x7B), range(0x300, 0x370), range(0xC0, 0x250), range(0x1F00, 0x1FFF), range(0xFF01, 0xFF5E),
             range(0x1100, 0x1113), range(0x1161, 0x1176), range(0x11A8, 0x11C3), range(0x3131, 0x318F),
             range(0x2460, 0x24FF), range(0xFB00, 0xFB07), range(0x3300, 0x3358), range(0x0900, 0x0980)]
    return ["".join(chr(rng.choice(rng.choice(pools))) for _ in range(rng.randint(1, 8))) for _ in range(count)]


def graph_fold(words):
    return [w.decode("utf-8") for w in fold.fold_tensor(tf.constant(words, dtype=tf.string)).numpy()]


def test_the_graph_folds_exactly_as_python_does():
    words = tricky_words(3000, seed=7) + [unicodedata.normalize("NFD", c) for c in "ǖậᾆÅﬃ각"] + ["", "ascii"]
    assert graph_fold(words) == [fold.fold_word(w) for w in words]
    assert graph_fold(["only", "ascii"]) == ["only", "ascii"]
    assert graph_fold(tf.constant([], dtype=tf.string)) == []


def test_folded_tokens_match_a_lexicon_written_the_other_way():
    from saliency_core.lexicon import Lexicon
    lexicon = Lexicon.from_entries(["fine", "café", "text"])
    for raw in ["ﬁne day", "cafe\u0301 crème", "ｔｅｘｔ", "ＴＥＸＴ!"]:
        assert lexicon.matches(text.tokenize_all([raw])[0]), raw
        assert text.tokenize_all_with_graph_ops([raw]) == text.tokenize_all([raw])
