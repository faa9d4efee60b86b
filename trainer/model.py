"""The plain text classifier and the right-for-the-right-reasons training model that wraps it.

Shapes: B = batch, T = max tokens, E = embedding size, H = LSTM units, C = classes.
"""

import keras
import tensorflow as tf

from trainer import penalty, text

PADDING_ID = 0


class TextClassifier(keras.Model):
    """Raw text -> class probabilities: surface tokens, TextVectorization ids, Embedding, LSTM, softmax.

    The graph is split at the embedding output so that callers can take gradients with respect
    to it: ``encode`` (text -> tokens and ids), ``embed`` (ids [B, T] -> [B, T, E]) and
    ``classify_embeddings`` ([B, T, E] -> [B, C]). ``call`` runs ids -> probabilities.
    """

    def __init__(self, vocabulary, num_classes, max_tokens, embedding_dim=64, hidden_units=64,
                 bidirectional=False, unroll=False, **kwargs):
        super().__init__(**kwargs)
        self.max_tokens = int(max_tokens)
        # Tokens come already standardized and split by trainer.text (the signature returns them too),
        # so TextVectorization only maps them to ids: 0 = padding '', 1 = OOV '[UNK]'.
        self.lookup = keras.layers.TextVectorization(
            standardize=None, split=None, output_mode="int", vocabulary=list(vocabulary),
            name="vectorize")
        self.embedding = keras.layers.Embedding(self.lookup.vocabulary_size(), embedding_dim, name="embedding")
        # cuDNN kernels have no second derivative, and double backprop needs one.
        lstm = keras.layers.LSTM(hidden_units, use_cudnn=False, unroll=unroll, name="lstm")
        self.encoder = keras.layers.Bidirectional(lstm, name="bidirectional") if bidirectional else lstm
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
        return self.output_layer(hidden)

    def call(self, ids, training=False):
        return self.classify_embeddings(self.embed(ids), ids != PADDING_ID, training=training)


def probabilities_and_input_gradients(classifier, ids, target, training=False):
    """Forward pass plus g = dT(p)/de, the gradient of the target w.r.t. the embedding output.

    ids int [B, T] -> (probabilities float [B, C], gradients float [B, T, E], token_mask float [B, T]).
    Called inside an outer GradientTape, the gradient computation is itself recorded, which is
    what lets the penalty on g be differentiated (double backprop).
    """
    token_mask = ids != PADDING_ID
    embeddings = classifier.embed(ids)
    with tf.GradientTape() as inner_tape:
        inner_tape.watch(embeddings)
        probabilities = classifier.classify_embeddings(embeddings, token_mask, training=training)
        target_value = penalty.saliency_target(probabilities, target)
    gradients = inner_tape.gradient(target_value, embeddings)
    return probabilities, gradients, tf.cast(token_mask, gradients.dtype)


class RightReasonsModel(keras.Model):
    """Wraps a TextClassifier and adds one loss: lambda * saliency penalty on forbidden tokens.

    Inputs: {"ids": int [B, T], "forbidden_mask": float [B, T]}, labels int [B].
    """

    def __init__(self, classifier, penalty_weight=0.0, target="predicted", reduction="l2", **kwargs):
        super().__init__(**kwargs)
        if target not in penalty.TARGETS:
            raise ValueError(f"target must be one of {penalty.TARGETS}")
        if reduction not in penalty.REDUCTIONS:
            raise ValueError(f"reduction must be one of {penalty.REDUCTIONS}")
        if penalty_weight < 0:
            raise ValueError("penalty_weight must be >= 0")
        self.classifier = classifier
        self.penalty_weight = float(penalty_weight)
        self.target = target
        self.reduction = reduction
        self.cross_entropy = keras.losses.SparseCategoricalCrossentropy()
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.classification_loss_tracker = keras.metrics.Mean(name="classification_loss")
        self.saliency_loss_tracker = keras.metrics.Mean(name="saliency_loss")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    @property
    def metrics(self):
        return [self.loss_tracker, self.classification_loss_tracker,
                self.saliency_loss_tracker, self.accuracy_tracker]

    def call(self, inputs, training=False):
        return self.classifier(inputs["ids"], training=training)

    def _loss_terms(self, inputs, labels, training):
        probabilities, gradients, token_mask = probabilities_and_input_gradients(
            self.classifier, inputs["ids"], self.target, training=training)
        classification_loss = self.cross_entropy(labels, probabilities)
        saliency_loss = penalty.saliency_penalty(
            gradients, inputs["forbidden_mask"], token_mask, self.reduction)
        return probabilities, classification_loss, saliency_loss

    def _update_trackers(self, labels, probabilities, classification_loss, saliency_loss):
        self.loss_tracker.update_state(classification_loss + self.penalty_weight * saliency_loss)
        self.classification_loss_tracker.update_state(classification_loss)
        self.saliency_loss_tracker.update_state(saliency_loss)
        self.accuracy_tracker.update_state(labels, probabilities)
        return {metric.name: metric.result() for metric in self.metrics}

    def train_step(self, data):
        inputs, labels = data
        if self.penalty_weight > 0:
            with tf.GradientTape() as tape:
                probabilities, classification_loss, saliency_loss = self._loss_terms(inputs, labels, True)
                loss = classification_loss + self.penalty_weight * saliency_loss
        else:
            # lambda = 0 is exactly vanilla training: the penalty is only measured, outside the tape.
            with tf.GradientTape() as tape:
                probabilities = self.classifier(inputs["ids"], training=True)
                classification_loss = self.cross_entropy(labels, probabilities)
                loss = classification_loss
            _, _, saliency_loss = self._loss_terms(inputs, labels, False)
        variables = self.trainable_variables
        gradients = tape.gradient(loss, variables)
        self.optimizer.apply(gradients, variables)
        return self._update_trackers(labels, probabilities, classification_loss, saliency_loss)

    def test_step(self, data):
        inputs, labels = data
        probabilities, classification_loss, saliency_loss = self._loss_terms(inputs, labels, False)
        return self._update_trackers(labels, probabilities, classification_loss, saliency_loss)
