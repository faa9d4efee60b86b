"""audit-serve: the command line of the TF Serving stand-in (serving.server). TensorFlow loads only once the
command runs, so --help is instant and TensorFlow's start-up lines stay off the terminal unless --verbose."""

import sys
import threading

import click

from cli_common.console import quiet_tensorflow, set_verbosity
from cli_common.errors import exit_on_input_error
from cli_common.extras import require_extra
from cli_common.signals import handle_stop_signals
from saliency_core.errors import InputError


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--port", type=int, default=8500, show_default=True, help="gRPC port (0 = any free port).")
@click.option("--rest_api_port", "--rest-api-port", "rest_port", type=click.IntRange(min=0), default=0,
              show_default=True, help="Port of TF Serving's REST API (/v1/models/...); 0 = no REST API.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (both APIs).")
@click.option("--model_name", "--model-name", "model_name", help="Name clients put in ModelSpec (one model).")
@click.option("--model_base_path", "--model-base-path", "model_base_path", type=click.Path(file_okay=False),
              help="Directory of integer version directories (one model).")
@click.option("--model_config_file", "--model-config-file", "model_config_file",
              type=click.Path(exists=True, dir_okay=False),
              help="TF Serving's ModelServerConfig (text proto): several models, each with its base path and version "
                   "policy (latest, all, specific); instead of --model_name and --model_base_path.")
@click.option("--file_system_poll_wait_seconds", "poll_seconds", type=float, default=1.0, show_default=True,
              help="How often to look for a new version.")
@click.option("--max-workers", type=int, default=8, show_default=True, help="Concurrent RPCs.")
@click.option("--max_batch_texts", "--max-batch-texts", "max_batch_texts", type=click.IntRange(min=1), default=4096,
              show_default=True, help="Most texts (rows) one request may carry; more: RESOURCE_EXHAUSTED, before any "
                                      "tensor is expanded. Rows run through the model 256 at a time.")
@click.option("--max_request_bytes", "--max-request-bytes", "max_request_bytes", type=click.IntRange(min=1024),
              default=64 * 1024 * 1024, show_default=True,
              help="Largest request message (gRPC and REST bodies); larger: RESOURCE_EXHAUSTED / HTTP 413.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="Server certificate (PEM).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="Server private key (PEM).")
@click.option("--tls-client-ca", type=click.Path(exists=True, dir_okay=False),
              help="CA for client certificates: enables mutual TLS (gRPC).")
@click.option("--verbose", is_flag=True, help="Show TensorFlow's start-up logging and warnings.")
@exit_on_input_error
def main(port, rest_port, host, model_name, model_base_path, model_config_file, poll_seconds, max_workers,
         max_batch_texts, max_request_bytes, tls_cert, tls_key, tls_client_ca, verbose):
    """Serve SavedModel versions over TF Serving's gRPC API, and its REST API with --rest_api_port (a stand-in
    for tensorflow_model_server where Docker is missing)."""
    set_verbosity(verbose, False)
    if bool(tls_cert) != bool(tls_key):
        raise click.BadParameter("--tls-cert and --tls-key go together", param_hint="--tls-cert")
    if tls_client_ca and not tls_cert:
        raise click.BadParameter("--tls-client-ca needs --tls-cert and --tls-key", param_hint="--tls-client-ca")
    if model_config_file and (model_name or model_base_path):
        raise click.BadParameter("give either --model_config_file or --model_name with --model_base_path",
                                 param_hint="--model_config_file")
    if not model_config_file and not (model_name and model_base_path):
        raise click.BadParameter("give --model_name and --model_base_path, or --model_config_file",
                                 param_hint="--model_name")
    quiet_tensorflow()
    from serving.server import RequestLimits, ServedModel, build_server, read_model_config

    models = read_model_config(model_config_file) if model_config_file else [ServedModel(model_name,
                                                                                         model_base_path)]
    limits = RequestLimits(max_batch_texts, max_request_bytes)
    server, bound, stores = build_server(models, port, host, max_workers, poll_seconds, tls_cert, tls_key,
                                         tls_client_ca, limits=limits)
    if bound == 0:
        raise InputError(f"cannot bind {host}:{port}")
    rest = None
    if rest_port:
        from serving.rest import start_rest_server

        try:
            rest, rest_bound = start_rest_server(stores, host, rest_port, limits)
        except OSError as error:
            raise InputError(f"cannot bind the REST API to {host}:{rest_port}: {error.strerror}") from None
    stopped = threading.Event()

    def shutdown(signum, frame):
        # Finish in-flight RPCs (up to 10 s), refuse new ones, then exit.
        click.echo("audit-serve: shutting down", err=True)
        for store in stores.values():
            store.stop()
        if rest is not None:
            rest.close()
        server.stop(grace=10).wait()
        stopped.set()

    handle_stop_signals(shutdown)
    for name, store in stores.items():
        click.echo(f"audit-serve: model {name!r} versions {store.loaded_versions()} from {store.base_path}", err=True)
    # As tensorflow_model_server says it.
    click.echo(f"Running gRPC ModelServer at {host}:{bound} ...", err=True)
    if rest is not None:
        click.echo(f"Exporting HTTP/REST API at:{host}:{rest_bound} ...", err=True)
    # Machine-readable lines for scripts and tests that start the server on port 0.
    if rest is not None:
        click.echo(f"REST_PORT {rest_bound}")
    click.echo(f"PORT {bound}")
    sys.stdout.flush()
    stopped.wait()


def run():
    """The audit-serve script: in an install without TensorFlow, one line naming the extra, for --help too."""
    require_extra("audit-serve", "tensorflow", "model")
    main()


if __name__ == "__main__":
    run()
