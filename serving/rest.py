"""TF Serving's REST API (predict, model status and metadata on /v1/models/...) as a WSGI application, served by
waitress, over the same ModelStores as the gRPC API.

Request and response bodies follow TF Serving's REST API: ``{"signature_name", "instances"}`` (row format) or
``{"inputs"}`` (columnar) in; ``{"predictions"}`` or ``{"outputs"}`` out; ``{"error": message}`` with an HTTP status
on failure. String tensors travel as UTF-8 JSON strings (this project's models take and give text).
"""

import json
import re
import threading

import numpy as np
from google.protobuf import json_format

from saliency_core import contract
from serving.server import RequestLimits, run_in_chunks
from serving.session_model import InvalidInput, SignatureNotFound

ROUTE = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[0-9]+))?(?P<call>/metadata|:predict)?$")


class RestError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def _json_value(value):
    """A numpy output as JSON: bytes as UTF-8 text, arrays as nested lists."""
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return [_json_value(v) for v in value]
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value.item() if isinstance(value, np.generic) else value


def _tensor(values):
    array = np.asarray(values, dtype=object)
    if array.size and all(isinstance(v, str) for v in array.flat):
        return np.vectorize(lambda v: v.encode("utf-8"), otypes=[object])(array)
    return np.asarray(values)


class RestApi:
    """The WSGI application: ``stores`` is the server's {model name: ModelStore}."""

    def __init__(self, stores, limits=RequestLimits()):
        self.stores = stores
        self.limits = limits

    def __call__(self, environ, start_response):
        try:
            status, body = self._handle(environ)
        except RestError as error:
            status, body = error.status, {"error": error.message}
        payload = json.dumps(body).encode("utf-8")
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    def _model(self, name, version):
        store = self.stores.get(name)
        if store is None:
            raise RestError("404 Not Found", f"Servable not found for request: Latest({name}); "
                                             f"{contract.SERVED_MODELS} {', '.join(map(repr, sorted(self.stores)))}")
        found = store.get(None if version is None else int(version))
        if found is None:
            raise RestError("404 Not Found", f"Servable not found for request: Specific({name}, {version})")
        return store, found

    def _handle(self, environ):
        match = ROUTE.match(environ.get("PATH_INFO", ""))
        if match is None:
            raise RestError("404 Not Found", "Malformed request: the path is not /v1/models/NAME[/versions/N]"
                                             "[/metadata|:predict]")
        name, version, call = match.group("name"), match.group("version"), match.group("call")
        method = environ.get("REQUEST_METHOD", "GET")
        if call == ":predict":
            if method != "POST":
                raise RestError("405 Method Not Allowed", "predict takes POST")
            return self._predict(name, version, environ)
        if method != "GET":
            raise RestError("405 Method Not Allowed", "model status and metadata take GET")
        store, (loaded, model) = self._model(name, version)
        if call == "/metadata":
            signatures = {"signature_def": {key: json_format.MessageToDict(value)
                                            for key, value in model.signature_defs.items()}}
            return "200 OK", {"model_spec": {"name": name, "signature_name": "", "version": str(loaded)},
                              "metadata": {"signature_def": signatures}}
        versions = [loaded] if version is not None else store.loaded_versions()
        return "200 OK", {"model_version_status": [
            {"version": str(v), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
            for v in versions]}

    def _predict(self, name, version, environ):
        _, (_, model) = self._model(name, version)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise RestError("400 Bad Request", "Content-Length is not a number") from None
        if length > self.limits.max_request_bytes:
            raise RestError("413 Payload Too Large", f"request body over {self.limits.max_request_bytes} bytes "
                                                     "(--max_request_bytes)")
        try:
            request = json.loads(environ["wsgi.input"].read(length) or b"null")
        except (ValueError, UnicodeDecodeError) as error:
            raise RestError("400 Bad Request", f"JSON Parse error: {error}") from None
        if not isinstance(request, dict):
            raise RestError("400 Bad Request", "the request body must be a JSON object")
        signature_name = request.get("signature_name") or contract.SALIENCY_SIGNATURE
        try:
            signature = model.signature(signature_name)
        except SignatureNotFound:
            raise RestError("404 Not Found",
                            f'Serving signature name: "{signature_name}" not found in signature def') from None
        input_names = sorted(signature.inputs)
        row_format = "instances" in request
        if row_format == ("inputs" in request):
            raise RestError("400 Bad Request", 'give exactly one of "instances" (row format) or "inputs" (columnar)')
        data = request["instances" if row_format else "inputs"]
        if row_format and isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
            inputs = {key: _tensor([row.get(key) for row in data]) for key in input_names}
        elif isinstance(data, dict):
            inputs = {key: _tensor(data[key]) for key in data}
        elif len(input_names) == 1:
            inputs = {input_names[0]: _tensor(data)}
        else:
            raise RestError("400 Bad Request", f"name each input: the signature takes {input_names}")
        rows = max((len(value) for value in inputs.values() if getattr(value, "ndim", 0) > 0), default=0)
        if rows > self.limits.max_batch_texts:
            raise RestError("413 Payload Too Large", f"{rows} rows in one request; this server takes at most "
                                                     f"{self.limits.max_batch_texts} (--max_batch_texts)")
        try:
            outputs = run_in_chunks(model, signature_name, inputs, [], self.limits.chunk_texts)
        except InvalidInput as error:
            raise RestError("400 Bad Request", str(error)) from None
        if not row_format:
            values = {key: _json_value(value) for key, value in outputs.items()}
            return "200 OK", {"outputs": next(iter(values.values())) if len(values) == 1 else values}
        rows = len(next(iter(outputs.values())))
        if len(outputs) == 1:
            return "200 OK", {"predictions": _json_value(next(iter(outputs.values())))}
        return "200 OK", {"predictions": [{key: _json_value(value[i]) for key, value in outputs.items()}
                                          for i in range(rows)]}


def start_rest_server(stores, host, port, limits=RequestLimits(), threads=4):
    """Serve RestApi on ``host:port`` in a daemon thread; returns (the waitress server, its bound port)."""
    import waitress

    server = waitress.create_server(RestApi(stores, limits), host=host, port=port, threads=threads,
                                    max_request_body_size=limits.max_request_bytes)
    threading.Thread(target=server.run, name="rest-api", daemon=True).start()
    return server, server.effective_port
