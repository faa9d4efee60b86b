"""An MLServer runtime: the foreign text classifier of tests/foreign_models.py (whitespace words, case kept, the
decoy 'video' towards class 1) in numpy, served over the Open Inference Protocol. It runs in .venv-kserve, which
has MLServer and not this project."""

import numpy as np
from mlserver import MLModel
from mlserver.codecs import StringCodec
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput

WEIGHTS = {"video": 1.5, "dull": -1.0, "Great": 0.4}


def probabilities(texts):
    logits = np.asarray([-0.6 + 2 * sum(WEIGHTS.get(w, 0.0) for w in t.split()) for t in texts])
    positive = 1 / (1 + np.exp(-logits))
    return np.stack([1 - positive, positive], axis=1)


class BagOfWords(MLModel):
    async def load(self) -> bool:
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        texts = StringCodec.decode_input(payload.inputs[0])
        scores = probabilities(texts).astype(np.float32)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[ResponseOutput(name="probabilities", shape=list(scores.shape), datatype="FP32",
                                    data=scores.ravel().tolist())],
        )
