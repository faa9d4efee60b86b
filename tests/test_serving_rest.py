"""audit-serve at parity where users script against TF Serving: the REST API (predict, status, metadata) answers as
the gRPC API does, and --model_config_file serves several models with their version policies. Real servers on
loopback, an ordinary HTTP client (urllib)."""

import json
import shutil
import urllib.error
import urllib.request

import numpy as np
import pytest

from audit_engine.backends.tf_serving import GrpcBackend
from conftest import ServerProcess, free_port
from saliency_core import contract

TEXTS = ["the plot is dull text", "a wonderful video", "plain words"]


def http(url, body=None):
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def rest_server(tiny_export):
    import os
    server = ServerProcess("tiny", os.path.dirname(tiny_export.export_path),
                           extra=["--rest_api_port", str(free_port())])
    yield server
    server.stop()


@pytest.mark.slow
def test_rest_predict_equals_grpc_predict(rest_server):
    base = f"http://127.0.0.1:{rest_server.rest_port}/v1/models/tiny"
    grpc_outputs = GrpcBackend([rest_server.address], "tiny").predict(contract.SALIENCY_SIGNATURE, TEXTS)
    status, rows = http(base + ":predict", {"instances": TEXTS})
    assert status == 200 and len(rows["predictions"]) == len(TEXTS)
    for i, row in enumerate(rows["predictions"]):
        np.testing.assert_allclose(row["probabilities"], grpc_outputs["probabilities"][i], rtol=1e-6)
        np.testing.assert_allclose(row["saliency"], grpc_outputs["saliency"][i], rtol=1e-6, atol=1e-9)
        assert row["tokens"] == [t.decode() for t in grpc_outputs["tokens"][i]]
        assert row["predicted_label"] == grpc_outputs["predicted_label"][i].decode()
    status, columns = http(base + "/versions/1:predict", {"signature_name": "predict", "inputs": {"text": TEXTS}})
    assert status == 200
    np.testing.assert_allclose(columns["outputs"], grpc_outputs["probabilities"], rtol=1e-6)


@pytest.mark.slow
def test_rest_status_metadata_and_errors(rest_server):
    base = f"http://127.0.0.1:{rest_server.rest_port}/v1/models"
    status, body = http(base + "/tiny")
    assert status == 200 and body == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    status, body = http(base + "/tiny/metadata")
    signature = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert status == 200 and body["model_spec"]["version"] == "1" and "text" in signature["inputs"]
    status, body = http(base + "/nope:predict", {"instances": TEXTS})
    assert status == 404 and "'tiny'" in body["error"]
    status, body = http(base + "/tiny/versions/7")
    assert status == 404 and "Specific(tiny, 7)" in body["error"]
    status, body = http(base + "/tiny:predict", {"instances": TEXTS, "signature_name": "nope"})
    assert status == 404 and "nope" in body["error"]
    request = urllib.request.Request(base + "/tiny:predict", data=b"{not json")
    try:
        urllib.request.urlopen(request, timeout=60)
        raise AssertionError("a malformed body was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 400 and "JSON" in json.loads(error.read())["error"]


@pytest.mark.slow
def test_a_model_config_file_serves_several_models_with_their_policies(tiny_export, tmp_path):
    import grpc

    from audit_engine import serving_api
    for name, versions in (("first", (1,)), ("second", (1, 2, 3))):
        for version in versions:
            shutil.copytree(tiny_export.export_path, tmp_path / name / str(version))
    config = tmp_path / "models.config"
    config.write_text('model_config_list {\n'
                      '  config { name: "first" base_path: "first" model_platform: "tensorflow" }\n'
                      '  config { name: "second" base_path: "%s" model_platform: "tensorflow"\n'
                      '           model_version_policy { specific { versions: 1 versions: 3 } } }\n'
                      '}\n' % (tmp_path / "second"), encoding="utf-8")
    server = ServerProcess(None, None, extra=["--model_config_file", str(config)])
    try:
        channel = grpc.insecure_channel(server.address)
        models = serving_api.ModelServiceStub(channel)

        def versions(name):
            request = serving_api.GetModelStatusRequest(model_spec=serving_api.ModelSpec(name=name))
            return sorted(v.version for v in models.GetModelStatus(request, timeout=30).model_version_status)

        assert versions("first") == [1] and versions("second") == [1, 3]
        assert GrpcBackend([server.address], "second", version=3).probabilities(TEXTS).shape == (3, 2)
        channel.close()
    finally:
        server.stop()
