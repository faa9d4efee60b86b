import os

import pytest
import tensorflow as tf
import yaml
from conftest import ROOT
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format, wrappers_pb2
from tensorflow_serving.config import model_server_config_pb2

CONFIG = os.path.join(ROOT, "serving", "config")


def parse(name, message):
    with open(os.path.join(CONFIG, name)) as f:
        return text_format.Parse(f.read(), message)


def compose():
    with open(os.path.join(ROOT, "docker-compose.yml")) as f:
        return yaml.safe_load(f)


def test_models_config_names_the_paths_compose_mounts():
    config = parse("models.config", model_server_config_pb2.ModelServerConfig())
    models = config.model_config_list.config
    assert [m.name for m in models] == ["saliency_classifier"]
    serving = compose()["services"]["serving"]
    mounts = dict(volume.split(":")[:2][::-1] for volume in serving["volumes"])
    assert mounts["/models"] == "./models" and mounts["/config"] == "./serving/config"
    for model in models:
        assert model.base_path == f"/models/{model.name}"
        assert model.model_platform == "tensorflow"
    flags = dict(arg.split("=", 1) for arg in serving["command"])
    assert flags["--model_config_file"] == "/config/models.config"
    assert flags["--port"] == "8500" and flags["--rest_api_port"] == "8501"
    for flag in ("--batching_parameters_file", "--monitoring_config_file"):
        assert os.path.isfile(os.path.join(CONFIG, os.path.basename(flags[flag])))


def test_serving_image_is_pinned_to_the_exporting_tensorflow():
    image = compose()["services"]["serving"]["image"]
    assert image == f"tensorflow/serving:{tf.__version__}"


def server_config_messages():
    """The tensorflow-serving-api wheel ships no MonitoringConfig, SSLConfig or BatchingParameters
    classes, so their documented schemas (field names and types) are declared here to check the files."""
    F = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="serving_config_check.proto", package="check",
                                              dependency=["google/protobuf/wrappers.proto"])
    schemas = {
        "PrometheusConfig": [("enable", F.TYPE_BOOL, None), ("path", F.TYPE_STRING, None)],
        "MonitoringConfig": [("prometheus_config", F.TYPE_MESSAGE, ".check.PrometheusConfig")],
        "SSLConfig": [("server_key", F.TYPE_STRING, None), ("server_cert", F.TYPE_STRING, None),
                      ("custom_ca", F.TYPE_STRING, None), ("client_verify", F.TYPE_BOOL, None)],
        "BatchingParameters": [(name, F.TYPE_MESSAGE, ".google.protobuf.Int64Value") for name in (
            "max_batch_size", "batch_timeout_micros", "max_enqueued_batches", "num_batch_threads")],
    }
    for message_name, fields in schemas.items():
        message = file.message_type.add(name=message_name)
        for number, (name, kind, type_name) in enumerate(fields, start=1):
            field = message.field.add(name=name, number=number, type=kind, label=F.LABEL_OPTIONAL)
            if type_name:
                field.type_name = type_name
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"check.{name}"))
            for name in schemas}


def test_batching_monitoring_and_ssl_configs_parse():
    messages = server_config_messages()
    batching = parse("batching.config", messages["BatchingParameters"]())
    assert batching.max_batch_size.value >= 1 and batching.num_batch_threads.value >= 1
    monitoring = parse("monitoring.config", messages["MonitoringConfig"]())
    assert monitoring.prometheus_config.enable
    ssl = parse("ssl.config", messages["SSLConfig"]())
    assert not ssl.client_verify


def test_compose_jobs_use_the_project_commands():
    services = compose()["services"]
    assert services["train"]["command"][:2] == ["audit-train", "train"]
    assert services["audit"]["command"][:2] == ["audit-cli", "score"]
    assert "serving:8500" in services["audit"]["command"]
    assert services["audit"]["depends_on"]["serving"]["condition"] == "service_healthy"


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.beam"])
def test_the_images_copy_every_package_the_project_installs(dockerfile):
    import re
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        packages = re.search(r"packages = \[(.*?)\]", f.read(), re.S).group(1)
    top_level = {name.strip().strip('"').split(".")[0] for name in packages.split(",")}
    with open(os.path.join(ROOT, dockerfile)) as f:
        copied = set(re.findall(r"^COPY (\w+) \1$", f.read(), re.M))
    assert top_level <= copied, top_level - copied


def test_the_beam_worker_image_is_the_sdk_of_the_installed_beam_and_python():
    """Dataflow and portable runners need the workers' Beam and Python to be the launcher's."""
    import re
    import sys
    apache_beam = pytest.importorskip("apache_beam")
    with open(os.path.join(ROOT, "Dockerfile.beam")) as f:
        python, beam = re.search(r"^FROM apache/beam_python(\d+\.\d+)_sdk:(\S+)$", f.read(), re.M).groups()
    assert (python, beam) == (f"{sys.version_info.major}.{sys.version_info.minor}", apache_beam.__version__)
