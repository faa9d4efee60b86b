"""How long a user waits for the CLI before it does anything: `audit-cli --help` and `audit-cli compare`.

Run: python benchmarks/cli_startup.py [--runs 7]
Medians of interleaved runs of fresh processes (the installed console script), on two audit folders this
script makes by hand (summary.json only, as `compare` needs nothing else). Goals (issue 9): --help < 1 s,
compare < 1.5 s. TensorFlow is installed here; the commands must not import it.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def audit_folder(base, name, flips):
    from google.protobuf import json_format

    from protos import audit_pb2
    summary = audit_pb2.AuditSummary(complete=True, model_name=name, model_version=1, reliance_documents=100,
                                     reliance_flip_fraction=flips, scored=100, attribution="gradient")
    folder = os.path.join(base, name)
    os.makedirs(folder)
    with open(os.path.join(folder, "summary.json"), "w") as f:
        f.write(json_format.MessageToJson(summary, preserving_proto_field_name=True))
    return folder


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    cli = os.path.join(os.path.dirname(sys.executable), "audit-cli")
    base = tempfile.mkdtemp(prefix="cli-startup-")
    a, b = audit_folder(base, "baseline", 0.3), audit_folder(base, "candidate", 0.01)
    commands = {"--help": [cli, "--help"], "score --help": [cli, "score", "--help"],
                "compare": [cli, "compare", a, b, "--out", os.path.join(base, "out")]}
    seconds = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():  # interleaved, so drift hits all alike
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seconds[name].append(time.perf_counter() - start)
    probe = subprocess.run([sys.executable, "-c", "import sys, audit_cli.main; print('tensorflow' in sys.modules)"],
                           capture_output=True, text=True, cwd=ROOT)
    print(f"audit-cli start-up, median of {args.runs} interleaved runs (fresh processes):")
    for name, values in seconds.items():
        goal = {"--help": 1.0, "score --help": 1.0, "compare": 1.5}[name]
        print(f"  {name:<14} {statistics.median(values):.2f} s  (goal < {goal:g} s)")
    print(f"  tensorflow imported by `import audit_cli.main`: {probe.stdout.strip()}")


if __name__ == "__main__":
    main()
