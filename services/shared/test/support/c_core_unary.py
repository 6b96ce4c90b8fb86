"""Calls unary gRPC methods with gRPC's C-core (Debian python3-grpcio), bytes in and out.

Usage: c_core_unary.py HOST:PORT PATH [PATH ...]; each request is the empty message.
Prints one JSON line per path: {"path", "code" (a grpc.StatusCode name), "details"}.
"""
import json
import sys

import grpc

channel = grpc.insecure_channel(sys.argv[1])
for path in sys.argv[2:]:
    try:
        channel.unary_unary(path)(b"", timeout=5)
        print(json.dumps({"path": path, "code": "OK", "details": ""}))
    except grpc.RpcError as error:
        print(json.dumps({"path": path, "code": error.code().name, "details": error.details()}))
