"""The fields each JSON request body may have, read from the OpenAPI document the site serves, so a misspelt field
("expiresat") is refused with the fields the request takes instead of being ignored while the rest goes through."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

_SPEC = Path(__file__).parent / "openapi.json"
_ROUTE_PREFIX = "/api"  # host.json extensions.http.routePrefix


@functools.cache
def _operations() -> tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]:
    """(method, path pattern, allowed fields) for each operation whose JSON body lists its properties and says
    `additionalProperties: false`. Read on the first body, not at import: a cold start that needs none doesn't pay for it."""
    spec = json.loads(_SPEC.read_text(encoding="utf-8"))
    schemas = spec.get("components", {}).get("schemas", {})
    found = []
    for path, operations in spec.get("paths", {}).items():
        pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "/?$", re.IGNORECASE)
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if isinstance(schema, dict) and "$ref" in schema:
                schema = schemas.get(str(schema["$ref"]).rsplit("/", 1)[-1])
            if not isinstance(schema, dict) or "properties" not in schema or schema.get("additionalProperties") is not False:
                continue
            found.append((path.count("{"), method.upper(), pattern, frozenset(schema["properties"])))
    # A literal segment before a parameter: PUT /x/order must not be taken for PUT /x/{id}.
    return tuple((method, pattern, fields) for _, method, pattern, fields in sorted(found, key=lambda item: item[0]))


def allowed_fields(method: str, url: str) -> frozenset[str] | None:
    """The fields the request's body may have; None when the document doesn't say (then any are taken)."""
    path = urlsplit(url).path
    if path.lower().startswith(_ROUTE_PREFIX + "/"):
        path = path[len(_ROUTE_PREFIX) :]
    for operation_method, pattern, fields in _operations():
        if operation_method == method.upper() and pattern.match(path):
            return fields
    return None
