"""audit-serve's memory under hostile load: RSS of the server before and after 8 concurrent clients each send the
largest request the default limits allow (--max_batch_texts 4096) to the saliency signature, three rounds; and what
an over-limit request costs (refused before any tensor is expanded).

    python benchmarks/server_memory.py --model demo-output/models/decoy_counterfactual
"""

import argparse
import concurrent.futures
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import grpc  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc  # noqa: E402

from server_process import AuditServeProcess  # noqa: E402


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="a model base path (e.g. the demo's decoy_counterfactual)")
    parser.add_argument("--texts", type=int, default=4096)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    name = os.path.basename(os.path.normpath(args.model))
    server = AuditServeProcess(name, args.model)
    channel = grpc.insecure_channel(server.address, options=[("grpc.max_send_message_length", 256 << 20),
                                                             ("grpc.max_receive_message_length", 256 << 20)])
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

    def request(n):
        message = predict_pb2.PredictRequest()
        message.model_spec.name = name
        message.inputs["text"].CopyFrom(tf.make_tensor_proto(
            [f"the plot is truly wonderful text number {i} overall" for i in range(n)]))
        return message

    try:
        print(f"started: {rss_mib(server.pid):,.0f} MiB")
        clock = time.monotonic()
        reply = stub.Predict(request(args.texts), timeout=600)
        rows = tf.make_ndarray(reply.outputs["saliency"]).shape
        print(f"after one request of {args.texts} texts (saliency {rows}, {time.monotonic() - clock:.1f} s): "
              f"{rss_mib(server.pid):,.0f} MiB")
        for round_ in range(3):
            clock = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
                list(pool.map(lambda _: stub.Predict(request(args.texts), timeout=600), range(args.clients)))
            print(f"after round {round_ + 1} ({args.clients} concurrent x {args.texts} texts, "
                  f"{time.monotonic() - clock:.1f} s): {rss_mib(server.pid):,.0f} MiB")
        try:
            stub.Predict(request(100_000), timeout=600)
        except grpc.RpcError as error:
            print(f"100,000 texts in one request: {error.code().name} ({error.details()[:80]}); "
                  f"RSS {rss_mib(server.pid):,.0f} MiB")
    finally:
        channel.close()
        server.stop()


if __name__ == "__main__":
    main()
