"""The model options every audit command shares (audit-cli score, explain, status; audit-beam score), declared once
and passed to the command as one BackendConfig: where the model is (a server and its protocol, or a SavedModel),
and how it is read (attribution, a foreign model's input, output and classes)."""

import functools

import click

from audit_engine.options import DEFAULT_OCCLUSION_WORDS, KSERVE_V2, PREDICT_ONLY_ATTRIBUTIONS, PROTOCOLS, TF_SERVING
from cli_common.console import quiet_tensorflow
from cli_common.types import FiniteFloatRange
from saliency_core import contract

BACKEND_PARAMETERS = (
    "servers",
    "model_path",
    "model_name",
    "model_version",
    "signature",
    "attribution",
    "protocol",
    "input_name",
    "output_name",
    "class_names",
    "logits",
    "occlusion_words",
    "deadline",
    "wait_for_server",
    "tls_ca",
    "tls_cert",
    "tls_key",
)


MODEL_DIRECTORY = click.Path(exists=True, file_okay=False)


def backend_options(function, model_type=MODEL_DIRECTORY):
    """The model options of every command, passed to the command as one BackendConfig ``backend``.
    ``model_type``: what --model accepts (audit-beam also takes paths on remote file systems)."""
    options = [
        click.option(
            "--server",
            "servers",
            multiple=True,
            metavar="HOST:PORT",
            help="gRPC address of TF Serving, audit-serve or (--protocol kserve-v2) Triton, KServe, MLServer; "
            "repeat for client-side round-robin, or give one dns:/// target. Without it, --model runs in process.",
        ),
        click.option(
            "--protocol",
            type=click.Choice(PROTOCOLS),
            default=TF_SERVING,
            show_default=True,
            help="The server's gRPC API: TF Serving's, or the Open Inference Protocol (KServe v2: Triton, KServe, "
            "MLServer), whose models are audited through their probabilities.",
        ),
        click.option(
            "--model",
            "model_path",
            type=model_type,
            help="SavedModel version directory or model base path (embedded mode).",
        ),
        click.option(
            "--model-name", default="saliency_classifier", show_default=True, help="Model name on the server."
        ),
        click.option("--model-version", type=int, help="Pin a version on the server (default: latest)."),
        click.option(
            "--attribution",
            type=click.Choice([*sorted(contract.ATTRIBUTION_SIGNATURES), *PREDICT_ONLY_ATTRIBUTIONS]),
            help="Attribution behind the saliency shares: the gradient (serving_default) or integrated gradients "
            "(contract 2 models) of a model this project exported; occlusion (leave one word out: one model call "
            "per word, --occlusion-words a document) for any model; none (probabilities only: reliance, bias and "
            "accuracy, no saliency). Default: gradient for this project's models, occlusion for others.",
        ),
        click.option(
            "--occlusion-words",
            type=click.IntRange(1, 100000),
            default=DEFAULT_OCCLUSION_WORDS,
            show_default=True,
            help="Words of a document attributed by occlusion (the record says truncated beyond).",
        ),
        click.option(
            "--signature",
            help="Signature to call (default: the --attribution's signature; serving_default for a model this "
            "project did not export).",
        ),
        click.option("--input-name", help="A foreign model's string input (default: its only string input)."),
        click.option(
            "--output-name", help="A foreign model's [batch, classes] output (default: its only such output)."
        ),
        click.option(
            "--class-names",
            metavar="A,B,...",
            help="A foreign model's class names, in its output's order (default: the indices 0, 1, ...).",
        ),
        click.option("--logits", is_flag=True, help="A foreign model's output holds logits: softmax is applied."),
        click.option(
            "--deadline",
            type=FiniteFloatRange(min=0.1, max=86400),
            default=60.0,
            show_default=True,
            help="Seconds per Predict call, retries included.",
        ),
        click.option(
            "--wait-for-server",
            type=FiniteFloatRange(min=0.0, max=86400),
            default=30.0,
            show_default=True,
            help="Seconds to wait for the server and its model to come up (e.g. started together by "
            "docker compose); says so on stderr while it waits.",
        ),
        click.option("--tls-ca", type=click.Path(exists=True, dir_okay=False), help="CA of the server certificate."),
        click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="Client certificate (mTLS)."),
        click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="Client key (mTLS)."),
    ]

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        values = {name: kwargs.pop(name) for name in BACKEND_PARAMETERS}
        if values["servers"] and values["model_path"]:
            raise click.BadParameter("give either --server or --model, not both", param_hint="--server")
        if not values["servers"] and not values["model_path"]:
            raise click.BadParameter("give --server HOST:PORT or --model PATH", param_hint="--server")
        attribution = values["attribution"] or ""
        values["attribution"] = attribution
        values["signature"] = values["signature"] or contract.ATTRIBUTION_SIGNATURES.get(
            attribution, contract.SALIENCY_SIGNATURE
        )
        values["servers"] = tuple(values["servers"])
        if values["protocol"] == KSERVE_V2 and not values["servers"]:
            raise click.BadParameter("--protocol kserve-v2 needs --server", param_hint="--protocol")
        from audit_engine.backends.foreign import ForeignOptions

        values["foreign"] = ForeignOptions(
            values.pop("input_name"),
            values.pop("output_name"),
            tuple(c.strip() for c in (values.pop("class_names") or "").split(",") if c.strip()),
            values.pop("logits"),
        )
        if values["model_path"]:  # the embedded model runs in TensorFlow; the gRPC client needs none
            try:
                quiet_tensorflow()
            except ImportError:
                raise click.BadParameter(
                    "an embedded model needs TensorFlow: pip install 'saliency-audit[model]', "
                    "or audit through a server with --server",
                    param_hint="--model",
                ) from None
        from audit_engine.backends.base import BackendConfig
        from audit_engine.backends.tf_serving import host_and_port

        for server in values["servers"]:  # a typo is a usage error, not a wait for a server that cannot exist
            try:
                host_and_port(server)
            except ValueError as error:
                raise click.BadParameter(f"{server!r}: {error}", param_hint="--server") from None
        return function(*args, backend=BackendConfig(**values), attribution=attribution or "gradient", **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper
