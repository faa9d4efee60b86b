import os
import subprocess
import sys

from conftest import ROOT


def test_checked_in_proto_code_is_fresh(tmp_path):
    """protos/audit_pb2.py must be what protoc generates from protos/audit.proto today."""
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{ROOT}", f"--python_out={tmp_path}",
                    f"--pyi_out={tmp_path}", os.path.join(ROOT, "protos", "audit.proto")], check=True)
    for name in ("audit_pb2.py", "audit_pb2.pyi"):
        with open(os.path.join(ROOT, "protos", name)) as checked_in, open(tmp_path / "protos" / name) as fresh:
            assert checked_in.read() == fresh.read(), f"protos/{name} is stale: regenerate it (see README)"


def test_enums_start_unspecified():
    from protos import audit_pb2
    for enum in audit_pb2.DESCRIPTOR.enum_types_by_name.values():
        assert enum.values[0].number == 0 and enum.values[0].name.endswith("_UNSPECIFIED")
