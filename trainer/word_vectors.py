"""Word vectors learned without labels on the training texts, to start the classifier's embedding.

word2vec (skip-gram with negative sampling; gensim) runs over the training corpus' surface tokens (the tokens
the model sees, saliency_core.text), and its vectors become the initial embedding rows of the words in the
model's vocabulary. The classifier then trains them further with everything else, so they are exported inside
the SavedModel: nothing is downloaded and no vector file is read at run time. Padding, the unknown-word id and
words word2vec did not keep stay at Keras' random initialisation.
"""

import zlib

import numpy as np

from saliency_core.text import tokenize_all

WORD_VECTORS = ("none", "word2vec")


def _stable_hash(text):
    """gensim seeds each word's initial vector from hash(word); Python's str hash changes per process
    (PYTHONHASHSEED), which would make the same --seed give a different model."""
    return zlib.crc32(text.encode("utf-8"))


def word2vec_vectors(texts, dimension, seed, window=5, epochs=5, min_count=2):
    """{token: float32 [dimension]} from skip-gram word2vec over the texts' surface tokens (one worker thread,
    so the same seed gives the same vectors)."""
    from gensim.models import Word2Vec
    sentences = [tokens for tokens in tokenize_all(list(texts)) if tokens]
    model = Word2Vec(sentences=sentences, vector_size=dimension, window=window, min_count=min_count, sg=1,
                     negative=5, epochs=epochs, seed=seed, workers=1, hashfxn=_stable_hash)
    return {word: model.wv[word].astype(np.float32) for word in model.wv.index_to_key}


def initialise_embedding(classifier, vectors):
    """Set the embedding rows of the classifier's vocabulary words that ``vectors`` holds; returns how many."""
    vocabulary = classifier.lookup.get_vocabulary()
    if not classifier.embedding.built:
        classifier.embedding.build((None,))
    matrix = np.array(classifier.embedding.embeddings.numpy())
    rows = 0
    for index, word in enumerate(vocabulary):
        vector = vectors.get(word)
        if vector is not None and index > 1:  # 0: padding, 1: the unknown word
            matrix[index] = vector
            rows += 1
    classifier.embedding.embeddings.assign(matrix)
    return rows
