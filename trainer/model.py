"""The plain text classifier and the right-for-the-right-reasons training model that wraps it.

Shapes: B = batch, T = max tokens, E = embedding size, H = LSTM units, C = classes.
"""

import keras
import tensorflow as tf

from saliency_core import text
from trainer.penalties import PADDING_ID, TERMS, PenaltyConfig, term_class
from trainer.penalties.composite import ForbiddenTokenPenalty
from trainer.settings import POOLINGS


class TextClassifier(keras.Model):
    """Raw text -> class probabilities: surface tokens, TextVectorization ids, Embedding, LSTM, softmax.

    The graph is split at the embedding output so that callers can take gradients with respect
    to it: ``encode`` (text -> tokens and ids), ``embed`` (ids [B, T] -> [B, T, E]) and
    ``classify_embeddings`` ([B, T, E] -> [B, C]). ``call`` runs ids -> probabilities.
    """

    def __init__(self, vocabulary, num_classes, max_tokens, embedding_dim=64, hidden_units=64,
                 bidirectional=False, unroll=False, pooling="last", **kwargs):
        super().__init__(**kwargs)
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        self.max_tokens = int(max_tokens)
        self.pooling = pooling
        self.unroll = bool(unroll)  # an unrolled LSTM has a static T: its inputs are never cut shorter
        # Tokens come already standardized and split by saliency_core.text (the signature returns them too),
        # so TextVectorization only maps them to ids: 0 = padding '', 1 = OOV '[UNK]'.
        self.lookup = keras.layers.TextVectorization(
            standardize=None, split=None, output_mode="int", vocabulary=list(vocabulary),
            name="vectorize")
        self.embedding = keras.layers.Embedding(self.lookup.vocabulary_size(), embedding_dim, name="embedding")
        # cuDNN kernels have no second derivative, and double backprop needs one.
        # "last": the final state reads the document; "max" / "attention" pool every position's state, which
        # learns long documents from little data far better (ERASER: an LSTM's last state over 300 tokens of a
        # review stayed near chance on ERASER).
        lstm = keras.layers.LSTM(hidden_units, use_cudnn=False, unroll=unroll, return_sequences=pooling != "last",
                                 name="lstm")
        self.encoder = keras.layers.Bidirectional(lstm, name="bidirectional") if bidirectional else lstm
        # No bias: a softmax does not see it (its gradient is 0).
        self.attention_score = keras.layers.Dense(1, use_bias=False, name="attention_score") \
            if pooling == "attention" else None
        self.output_layer = keras.layers.Dense(num_classes, activation="softmax", name="softmax")

    def encode(self, texts):
        """texts string [B] -> (tokens string [B, T], token_count int32 [B], word_index int32 [B, T], ids int [B, T])."""
        tokens, token_count, word_index = text.tokenize(texts, self.max_tokens)
        return tokens, token_count, word_index, self.lookup(tokens)

    def embed(self, ids):
        """ids int [B, T] -> embeddings float [B, T, E]."""
        return self.embedding(ids)

    def classify_embeddings(self, embeddings, token_mask, training=False):
        """embeddings float [B, T, E], token_mask bool [B, T] -> probabilities float [B, C]."""
        hidden = self.encoder(embeddings, mask=token_mask, training=training)
        if self.pooling != "last":
            hidden = self._pool(hidden, token_mask)
        return self.output_layer(hidden)

    def _pool(self, states, token_mask):
        """states [B, T, H'], token_mask bool [B, T] -> [B, H']: only real (unmasked) positions count, so a
        forbidden position masked out is removed exactly, as with the last state."""
        mask = tf.cast(token_mask, states.dtype)[..., None]
        if self.pooling == "max":
            lowest = tf.stop_gradient(tf.reduce_min(states)) - 1.0
            pooled = tf.reduce_max(states * mask + lowest * (1.0 - mask), axis=1)
            return pooled * tf.cast(tf.reduce_any(token_mask, axis=1), states.dtype)[:, None]  # empty text: zeros
        scores = self.attention_score(states)  # [B, T, 1]
        scores = scores + (mask - 1.0) * 1e9
        weights = tf.nn.softmax(scores, axis=1) * mask
        return tf.reduce_sum(weights * states, axis=1)

    def call(self, ids, training=False):
        return self.classify_embeddings(self.embed(ids), ids != PADDING_ID, training=training)


def real_length(ids):
    """ids int [B, T] (padding on the right) -> int32 scalar: the longest row's real tokens, at least 1."""
    return tf.maximum(tf.reduce_max(tf.reduce_sum(tf.cast(ids != PADDING_ID, tf.int32), axis=1)), 1)


def cut_to_longest(classifier, inputs):
    """A batch's [B, T] inputs cut to [B, L], L the batch's longest text (ids or substituted ids): the LSTM then
    steps over L positions, not T. Masked steps leave its state as it is and every pooling ignores them, so the
    outputs are those of the whole T (to float rounding). An unrolled LSTM keeps T (its graph is static)."""
    if classifier.unroll:
        return inputs
    width = classifier.max_tokens
    length = tf.reduce_max(tf.stack([real_length(inputs[k]) for k in ("ids", "substituted_ids") if k in inputs]))
    return {k: v[:, :length] if len(v.shape) == 2 and v.shape[1] == width else v for k, v in inputs.items()}


class RightReasonsModel(keras.Model):
    """Wraps a TextClassifier and adds one loss: the weighted penalty on forbidden tokens.

    Inputs: {"ids": int [B, T], "forbidden_mask": float [B, T], optionally "substituted_ids" and
    "has_substitute"}, labels int [B], optional sample weights float [B] (class weights).
    Metrics passed to ``compile`` are updated on the classifier's probabilities like Keras' own.
    """

    def __init__(self, classifier, penalty=None, listed_ids=(), **kwargs):
        super().__init__(**kwargs)
        self.classifier = classifier
        self.penalty = ForbiddenTokenPenalty(penalty or PenaltyConfig(), listed_ids)
        self.cross_entropy = keras.losses.SparseCategoricalCrossentropy()
        # The model's own trackers; "loss" is Keras' tracker and accuracy comes from compile(metrics=...).
        self.classification_loss_tracker = keras.metrics.Mean(name="classification_loss")
        self.term_trackers = {term_class(name).tracker: keras.metrics.Mean(name=term_class(name).tracker) for name in TERMS}

    def call(self, inputs, training=False):
        return self.classifier(inputs["ids"], training=training)

    def train_step(self, data):
        inputs, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        inputs = cut_to_longest(self.classifier, inputs)
        with tf.GradientTape() as tape:
            probabilities, terms = self.penalty(self.classifier, inputs, training=True)
            classification_loss = self.cross_entropy(labels, probabilities, sample_weight=sample_weight)
            loss = classification_loss + self.penalty.total(terms)
        variables = self.trainable_variables
        gradients = tape.gradient(loss, variables)
        self.optimizer.apply(gradients, variables)
        return self._update_trackers(labels, probabilities, classification_loss, loss, terms, sample_weight)

    def test_step(self, data):
        inputs, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        inputs = cut_to_longest(self.classifier, inputs)
        probabilities, terms = self.penalty(self.classifier, inputs, training=False, measure_all=True)
        classification_loss = self.cross_entropy(labels, probabilities, sample_weight=sample_weight)
        loss = classification_loss + self.penalty.total(terms)
        return self._update_trackers(labels, probabilities, classification_loss, loss, terms, sample_weight)

    def _update_trackers(self, labels, probabilities, classification_loss, loss, terms, sample_weight):
        """Terms with weight 0 are not computed in training steps (lambda = 0 is exactly vanilla training
        and costs nothing extra); validation measures every term, so val_saliency_loss and
        val_counterfactual_loss show how much a model relies on forbidden tokens whatever it trained with."""
        # Weighted by batch size, as Keras' own loss tracker is: an epoch's value is the mean over its examples
        # even when the last batch is smaller.
        batch_size = tf.shape(labels)[0]
        self.classification_loss_tracker.update_state(classification_loss, sample_weight=batch_size)
        trackers = self.term_trackers
        for name, value in terms.items():
            trackers[name].update_state(value, sample_weight=batch_size)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=batch_size)
        # Updates the user's compile() metrics and returns every metric's result.
        logs = self.compute_metrics(None, labels, probabilities, sample_weight)
        return {k: v for k, v in logs.items() if k not in trackers or k in terms}
