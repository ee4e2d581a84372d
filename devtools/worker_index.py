"""Indexes a function app with the Azure Functions Python worker's own code, and prints the result as JSON.

Runs under .venv-worker (Python 3.13, azure-functions-runtime; see devtools/setup.sh), not the app's
virtualenv: `.venv-worker/bin/python devtools/worker_index.py APP_ROOT`. devtools/local_host.py runs it at
start-up and loads nothing when it fails, as the real host does ("Worker failed to index functions").

It does what the worker does when the host asks for the function metadata: imports function_app from the
app root (`loader.index_function_app`), then checks each function's Python signature against its bindings
(`loader.process_indexed_function` -> `Registry.add_indexed_function`).

Output, on stdout: {"ok": true, "functions": [...]} with each function's name, raw bindings, trigger type,
route, methods, authLevel and schedule; or {"ok": false, "error": {"type": ..., "message": ...}}.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
import types
from pathlib import Path
from typing import Any


class _Message:
    """A protobuf message: keeps the fields it is built with as attributes."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class BindingInfo(_Message):
    """`message BindingInfo` of FunctionRpc.proto (azure-functions-language-worker-protobuf).

    As in generated protobuf code, the values of the nested enums are also attributes of the message class;
    the worker compares with them (`protos.BindingInfo.out`, `protos.BindingInfo.undefined`).
    """

    class Direction:
        # enum Direction { in = 0; out = 1; inout = 2; }
        out = 1
        inout = 2

    class DataType:
        # enum DataType { undefined = 0; string = 1; binary = 2; stream = 3; }
        undefined = 0
        string = 1
        binary = 2
        stream = 3

    out = Direction.out
    inout = Direction.inout
    undefined = DataType.undefined
    string = DataType.string
    binary = DataType.binary
    stream = DataType.stream


# `in` is a Python keyword, so it can only be set by name.
setattr(BindingInfo.Direction, "in", 0)
setattr(BindingInfo, "in", 0)


class RpcFunctionMetadata(_Message):
    """`message RpcFunctionMetadata` of FunctionRpc.proto: what the worker sends the host for each function."""

    # The fields read here; the worker sets them and more.
    name: str
    raw_bindings: list[str]


class RpcRetryOptions(_Message):
    """`message RpcRetryOptions` of FunctionRpc.proto."""


# The `protos` module the worker is handed (the gRPC classes generated from FunctionRpc.proto), reduced to
# what indexing uses.
protos = types.SimpleNamespace(BindingInfo=BindingInfo, RpcFunctionMetadata=RpcFunctionMetadata, RpcRetryOptions=RpcRetryOptions)


def _describe(metadata: RpcFunctionMetadata) -> dict[str, Any]:
    bindings = [json.loads(raw) for raw in metadata.raw_bindings]
    trigger: dict[str, Any] = next((b for b in bindings if str(b.get("type", "")).lower().endswith("trigger")), {})
    return {
        "name": metadata.name,
        "bindings": bindings,
        "trigger": trigger.get("type"),
        "route": trigger.get("route"),
        "methods": trigger.get("methods"),
        "authLevel": trigger.get("authLevel"),
        "schedule": trigger.get("schedule"),
    }


def index(app_root: Path) -> list[dict[str, Any]]:
    """The worker's indexing of the app in app_root; raises what the worker would raise."""
    # The worker runs in the app's folder with it on sys.path; this script's own folder must not shadow it.
    script_dir = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(script_dir)]
    sys.path.insert(0, str(app_root))
    os.chdir(app_root)

    from azure_functions_runtime.bindings.meta import load_binding_registry
    from azure_functions_runtime.functions import Registry
    from azure_functions_runtime.loader import index_function_app, process_indexed_function

    # What the worker does on WorkerInitRequest (handle_event.worker_init_request and index_functions).
    load_binding_registry()
    functions = index_function_app(str(app_root / "function_app.py"))
    metadata, _ = process_indexed_function(protos, Registry(), functions, str(app_root))
    return [_describe(m) for m in metadata]


def main() -> None:
    app_root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    out = sys.stdout
    try:
        # Anything the app prints while it is imported goes to stderr, so stdout holds only the JSON.
        with contextlib.redirect_stdout(sys.stderr):
            result: dict[str, Any] = {"ok": True, "functions": index(app_root)}
    except Exception as exc:  # noqa: BLE001 - any failure of indexing is the answer, reported as the worker reports it
        traceback.print_exc(file=sys.stderr)
        result = {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc)}}
    json.dump(result, out)
    out.write("\n")


if __name__ == "__main__":
    main()
