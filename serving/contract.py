"""The export contract between the trainer, the servers and the audit client.

Every signature, tensor and file name of the SavedModel layout is defined here and only here
(DESIGN.md, "The export contract"). Changing a value changes the wire format: bump
``CONTRACT_VERSION`` and say so in the README.
"""

CONTRACT_VERSION = 1

SERVE_TAG = "serve"
PREDICT_METHOD = "tensorflow/serving/predict"

# Signatures.
SALIENCY_SIGNATURE = "serving_default"  # text -> probabilities, saliency, tokens, ...
PROBABILITIES_SIGNATURE = "predict"  # text -> probabilities (the cheap path)
METADATA_SIGNATURE = "metadata"  # text -> metadata_json, one copy per input row

# Tensors.
TEXT_INPUT = "text"  # string [batch]
PROBABILITIES = "probabilities"  # float32 [batch, C]
SALIENCY = "saliency"  # float32 [batch, T], >= 0, 0 on padding
TOKENS = "tokens"  # string [batch, T], standardized surface tokens, '' on padding
PREDICTED_LABEL = "predicted_label"  # string [batch]
TOKEN_COUNT = "token_count"  # int32 [batch], tokens in the text before truncation to T
METADATA_JSON = "metadata_json"  # string [batch], the training metadata as JSON

SALIENCY_OUTPUTS = (PROBABILITIES, SALIENCY, TOKENS, PREDICTED_LABEL, TOKEN_COUNT)
PROBABILITY_OUTPUTS = (PROBABILITIES,)

# Files under <version>/assets.extra/.
ASSETS_EXTRA_DIR = "assets.extra"
METADATA_FILENAME = "training_metadata.json"
WARMUP_FILENAME = "tf_serving_warmup_requests"
