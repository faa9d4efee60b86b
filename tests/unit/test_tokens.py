"""The Python tokenizer's ASCII fast path gives what the word-by-word rule gives (the rule itself is checked against
the graph in tests/test_text.py)."""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from saliency_core import text
from saliency_core.words import Words

# Every ASCII character, weighted towards what splits and strips: whitespace (with the separators str.split knows),
# punctuation, letters of both cases.
ASCII_TEXT = st.text(
    st.one_of(
        st.sampled_from(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"),
        st.sampled_from(string.punctuation),
        st.sampled_from("aBcXyZ09"),
        st.characters(max_codepoint=127),
    ),
    max_size=40,
)


@settings(max_examples=500, deadline=None)
@given(ASCII_TEXT)
def test_ascii_text_tokenizes_as_word_by_word(raw):
    assert text.words_and_surface_tokens(raw) == text._words_and_surface_tokens_by_word(raw)


def test_words_keep_punctuation_only_words_out_of_the_tokens():
    words = Words.of("It 's , a FILM -- not.")
    assert words.words == ["It", "'s", ",", "a", "FILM", "--", "not."]
    assert words.tokens == ["it", "s", "a", "film", "not"]
    assert words.word_of_token == [0, 1, 3, 4, 6]
    assert words.without([False, False, False, True, False]) == "It 's , a -- not."


@settings(max_examples=300, deadline=None)
@given(ASCII_TEXT)
def test_an_uncut_ascii_text_counts_its_words_and_tokens_as_the_rule_does(raw):
    words, tokens, _ = text._words_and_surface_tokens_by_word(raw)
    capped = text.cap_text(raw, 1000)
    assert (capped.text, capped.cut, capped.token_count, capped.word_count) == (raw, False, len(tokens), len(words))
