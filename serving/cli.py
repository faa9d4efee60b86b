"""audit-serve: the command line of the TF Serving stand-in (serving.server). TensorFlow loads only once the
command runs, so --help is instant and TensorFlow's start-up lines stay off the terminal unless --verbose."""

import signal
import sys
import threading

import click

from cli_common.console import quiet_tensorflow, set_verbosity
from cli_common.errors import exit_on_input_error
from cli_common.extras import require_extra
from saliency_core.errors import InputError


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--port", type=int, default=8500, show_default=True, help="gRPC port (0 = any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--model_name", "--model-name", "model_name", required=True, help="Name clients put in ModelSpec.")
@click.option("--model_base_path", "--model-base-path", "model_base_path", required=True,
              type=click.Path(file_okay=False), help="Directory of integer version directories.")
@click.option("--file_system_poll_wait_seconds", "poll_seconds", type=float, default=1.0, show_default=True,
              help="How often to look for a new version.")
@click.option("--max-workers", type=int, default=8, show_default=True, help="Concurrent RPCs.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="Server certificate (PEM).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="Server private key (PEM).")
@click.option("--tls-client-ca", type=click.Path(exists=True, dir_okay=False),
              help="CA for client certificates: enables mutual TLS.")
@click.option("--verbose", is_flag=True, help="Show TensorFlow's start-up logging and warnings.")
@exit_on_input_error
def main(port, host, model_name, model_base_path, poll_seconds, max_workers, tls_cert, tls_key, tls_client_ca,
         verbose):
    """Serve MODEL_BASE_PATH's newest version over TF Serving's gRPC API (a stand-in for tensorflow_model_server)."""
    set_verbosity(verbose, False)
    if bool(tls_cert) != bool(tls_key):
        raise click.BadParameter("--tls-cert and --tls-key go together", param_hint="--tls-cert")
    if tls_client_ca and not tls_cert:
        raise click.BadParameter("--tls-client-ca needs --tls-cert and --tls-key", param_hint="--tls-client-ca")
    quiet_tensorflow()
    from serving.server import build_server

    server, bound, store = build_server(model_name, model_base_path, port, host, max_workers, poll_seconds,
                                        tls_cert, tls_key, tls_client_ca)
    if bound == 0:
        raise InputError(f"cannot bind {host}:{port}")
    stopped = threading.Event()

    def shutdown(signum, frame):
        # Finish in-flight RPCs (up to 10 s), refuse new ones, then exit.
        store.stop()
        server.stop(grace=10).wait()
        stopped.set()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    click.echo(f"audit-serve: model {model_name!r} versions {store.loaded_versions()} on {host}:{bound}", err=True)
    # Machine-readable line for scripts and tests that start the server on port 0.
    click.echo(f"PORT {bound}", err=False)
    sys.stdout.flush()
    stopped.wait()


def run():
    """The audit-serve script: in an install without TensorFlow, one line naming the extra, for --help too."""
    require_extra("audit-serve", "tensorflow", "model")
    main()


if __name__ == "__main__":
    run()
