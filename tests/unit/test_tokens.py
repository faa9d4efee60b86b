"""The Python tokenizer's ASCII fast path gives what the word-by-word rule gives (the rule itself is checked against
the graph in tests/test_text.py)."""

import random
import string

from saliency_core import text
from saliency_core.words import Words

# Every ASCII character, weighted towards what splits and strips: whitespace (with the separators str.split knows),
# punctuation, letters of both cases. (Plain random, not hypothesis: this tier runs in the light client's venv.)
POOLS = [" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f", string.punctuation, "aBcXyZ09", "".join(map(chr, range(128)))]


def ascii_texts(seed, count=3000):
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(rng.choice(POOLS)) for _ in range(rng.randint(0, 40)))


def test_ascii_text_tokenizes_as_word_by_word():
    for raw in ascii_texts(1):
        assert text.words_and_surface_tokens(raw) == text._words_and_surface_tokens_by_word(raw), repr(raw)


def test_words_keep_punctuation_only_words_out_of_the_tokens():
    words = Words.of("It 's , a FILM -- not.")
    assert words.words == ["It", "'s", ",", "a", "FILM", "--", "not."]
    assert words.tokens == ["it", "s", "a", "film", "not"]
    assert words.word_of_token == [0, 1, 3, 4, 6]
    assert words.without([False, False, False, True, False]) == "It 's , a -- not."


def test_an_uncut_ascii_text_counts_its_words_and_tokens_as_the_rule_does():
    for raw in ascii_texts(2):
        words, tokens, _ = text._words_and_surface_tokens_by_word(raw)
        capped = text.cap_text(raw, 1000)
        assert (capped.text, capped.cut, capped.token_count, capped.word_count) == (raw, False, len(tokens), len(words))
