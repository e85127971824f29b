"""The Python modules for echo.proto, generated at start by grpc_tools.protoc, for server.py and client.py.

Generated rather than checked in, so that they always match echo.proto and the protobuf runtime installed. Each
process generates into a directory of its own from tempfile.mkdtemp, because several replicas start at once (a shared
output directory would let one import another's half-written file) and the app's folder may be read-only. The
directory is removed once the modules are imported: Python keeps them in sys.modules.
"""

import importlib
import os
import shutil
import sys
import tempfile

from grpc_tools import protoc

PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "echo.proto")


def load():
    """Returns (echo_pb2, echo_pb2_grpc): the messages and the service stubs of echo.proto."""
    out = tempfile.mkdtemp(prefix="sluice-echo-stubs-")
    try:
        # The well-known types (google/protobuf/*.proto) ship inside grpc_tools; the command-line protoc finds them
        # on its own, protoc.main in-process does not.
        well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        status = protoc.main(["grpc_tools.protoc", "-I" + os.path.dirname(PROTO), "-I" + well_known,
                              "--python_out=" + out, "--grpc_python_out=" + out, PROTO])
        if status != 0:
            raise RuntimeError("protoc failed on %s (exit %d)" % (PROTO, status))
        # echo_pb2_grpc imports echo_pb2 by its bare name, so the directory goes on sys.path while both load.
        sys.path.insert(0, out)
        try:
            return importlib.import_module("echo_pb2"), importlib.import_module("echo_pb2_grpc")
        finally:
            sys.path.remove(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
