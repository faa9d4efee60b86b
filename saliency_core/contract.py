"""The export contract between the trainer, the servers and the audit client.

Every signature, tensor and file name of the SavedModel layout is defined here and only here
(DESIGN.md, "The export contract"). Changing a value changes the wire format: bump
``CONTRACT_VERSION`` and say so in the README.
"""

# 2: adds the integrated_gradients signature, and the exported tokenizer splits on every Unicode whitespace
# character and drops default-ignorable ones (saliency_core.text.normalize). Version-1 models (no such
# signature, ASCII-whitespace splitting baked into their graph) stay auditable with the gradient attribution.
# 3: the exported tokenizer folds every word to NFKC (saliency_core.fold: fullwidth letters, ligatures, decomposed
# accents and compatibility forms become the word they stand for). Version-2 models keep their graph and so their
# behaviour; the audit client's Python tokenizer folds, so it finds forbidden words in such text for every model.
CONTRACT_VERSION = 3

SERVE_TAG = "serve"
PREDICT_METHOD = "tensorflow/serving/predict"

# Signatures.
SALIENCY_SIGNATURE = "serving_default"  # text -> probabilities, saliency, tokens, ...
PROBABILITIES_SIGNATURE = "predict"  # text -> probabilities (the cheap path)
METADATA_SIGNATURE = "metadata"  # text -> metadata_json, one copy per input row
INTEGRATED_GRADIENTS_SIGNATURE = "integrated_gradients"  # serving_default's outputs + attributions, gap

# Tensors.
TEXT_INPUT = "text"  # string [batch]
PROBABILITIES = "probabilities"  # float32 [batch, C]
SALIENCY = "saliency"  # float32 [batch, T], >= 0, 0 on padding
TOKENS = "tokens"  # string [batch, T], standardized surface tokens, '' on padding
PREDICTED_LABEL = "predicted_label"  # string [batch]
TOKEN_COUNT = "token_count"  # int32 [batch], tokens in the text before truncation to T
METADATA_JSON = "metadata_json"  # string [batch], the training metadata as JSON
ATTRIBUTIONS = "attributions"  # float32 [batch, T], signed integrated gradients, 0 on padding
COMPLETENESS_GAP = "completeness_gap"  # float32 [batch], sum of attributions - (f(x) - f(baseline))

SALIENCY_OUTPUTS = (PROBABILITIES, SALIENCY, TOKENS, PREDICTED_LABEL, TOKEN_COUNT)
PROBABILITY_OUTPUTS = (PROBABILITIES,)
INTEGRATED_GRADIENTS_OUTPUTS = SALIENCY_OUTPUTS + (ATTRIBUTIONS, COMPLETENESS_GAP)

# --attribution NAME -> the signature that computes it (saliency = its non-negative per-token mass).
ATTRIBUTION_SIGNATURES = {"gradient": SALIENCY_SIGNATURE, "integrated-gradients": INTEGRATED_GRADIENTS_SIGNATURE}

# audit-serve ends a NOT_FOUND for a model it does not serve with this and the names it serves, so that a client
# can tell a wrong model name from a model still loading (stock TF Serving names none).
SERVED_MODELS = "models served here:"

# A model's name is also its folder under the export base: one path component of letters, digits, '.', '_', '-'
# (not '.' or '..'), so that an export never lands outside that base.
MODEL_NAME = r"(?!\.\.?$)[A-Za-z0-9._-]+"

# A version folder's name: the version number in ASCII digits without leading zeros, so that a number names exactly
# one folder ('7'; not '007', '٧').
VERSION_FOLDER = r"0|[1-9][0-9]*"

# Files under <version>/assets.extra/.
ASSETS_EXTRA_DIR = "assets.extra"
METADATA_FILENAME = "training_metadata.json"
WARMUP_FILENAME = "tf_serving_warmup_requests"
