"""The Functions host's rules for which functions it loads and which function a request reaches.

Used by devtools/local_host.py. The rules and the host source files they come from are described in
shared/reference/functions-host.md (sections 0-2); each rule below names its source file.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

# Utility.cs FunctionNameValidationRegex: `^[a-z][a-z0-9_\-]{0,127}$(?<!^host$)` with RegexOptions.IgnoreCase.
FUNCTION_NAME = re.compile(r"[a-z][a-z0-9_\-]{0,127}", re.IGNORECASE)
# Utility.cs BindingNameValidationRegex: `^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$`.
BINDING_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9]{0,127}|\$return")
# ScriptHost.cs ValidateHttpFunction: routes in the host's own route space.
RESERVED_ROUTE_PREFIXES = ("admin", "runtime")
HTTP_TRIGGER = "httptrigger"


class FunctionError(Exception):
    """One function is in error: the host logs it and skips that function; the others still run."""


class HostError(Exception):
    """The host cannot start its routes at all (no per-function catch): nothing is served."""


@dataclass(frozen=True)
class FunctionMetadata:
    """A function as the worker reports it to the host (devtools/worker_index.py's JSON)."""

    name: str
    bindings: tuple[Mapping[str, Any], ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FunctionMetadata:
        return cls(str(data["name"]), tuple(data.get("bindings") or ()))

    @property
    def trigger(self) -> Mapping[str, Any]:
        return next((b for b in self.bindings if str(b.get("type", "")).lower().endswith("trigger")), {})

    @property
    def trigger_type(self) -> str:
        return str(self.trigger.get("type", ""))

    @property
    def is_http(self) -> bool:
        return self.trigger_type.lower() == HTTP_TRIGGER

    @property
    def methods(self) -> frozenset[str] | None:
        """The HTTP methods listed, upper-cased; None when none are listed, which allows every method."""
        listed = self.trigger.get("methods")
        return frozenset(str(m).upper() for m in listed) if listed else None


# -- route templates ------------------------------------------------------------------------------


def _int_between(low: int, high: int) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        text = value.strip()
        return bool(re.fullmatch(r"[+-]?\d+", text)) and low <= int(text) <= high

    return check


def _number(value: str) -> bool:
    try:
        Decimal(value.strip())
    except InvalidOperation:
        return False
    return value.strip().lower() not in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity")


def _guid(value: str) -> bool:
    try:
        uuid.UUID(value.strip())
    except ValueError:
        return False
    return True


def _datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def _file_name(value: str) -> bool:
    """FileNameRouteConstraint: the last path segment has a '.' before its last character."""
    last = value.rsplit("/", 1)[-1]
    return "." in last[:-1]


def _args(args: str | None, count: int) -> list[int]:
    parts = [] if args is None else [a.strip() for a in args.split(",")]
    if len(parts) != count or not all(re.fullmatch(r"-?\d+", a) for a in parts):
        raise ValueError(f"expects {count} integer argument(s)")
    return [int(a) for a in parts]


def _constraint(name: str, args: str | None) -> Callable[[str], bool]:
    """ASP.NET Core's inline route constraints (RouteOptions' constraint map); others fail at host start."""
    simple: dict[str, Callable[[str], bool]] = {
        "int": _int_between(-(2**31), 2**31 - 1),
        "long": _int_between(-(2**63), 2**63 - 1),
        "bool": lambda v: v.strip().lower() in ("true", "false"),
        "guid": _guid,
        "alpha": lambda v: bool(re.fullmatch(r"[a-z]*", v, re.IGNORECASE)),
        "decimal": _number,
        "double": _number,
        "float": _number,
        "datetime": _datetime,
        "required": lambda v: v != "",
        "file": _file_name,
        "nonfile": lambda v: not _file_name(v),
    }
    key = name.lower()
    if key in simple:
        if args is not None:
            raise ValueError("takes no arguments")
        return simple[key]
    if key in ("min", "max", "minlength", "maxlength"):
        (limit,) = _args(args, 1)
        return {
            "min": lambda v: _int_between(limit, 2**63 - 1)(v),
            "max": lambda v: _int_between(-(2**63), limit)(v),
            "minlength": lambda v: len(v) >= limit,
            "maxlength": lambda v: len(v) <= limit,
        }[key]
    if key == "range":
        low, high = _args(args, 2)
        return _int_between(low, high)
    if key == "length":
        parts = _args(args, 1) if args is not None and "," not in args else _args(args, 2)
        low, high = (parts[0], parts[0]) if len(parts) == 1 else (parts[0], parts[1])
        return lambda v: low <= len(v) <= high
    if key == "regex":
        if args is None:
            raise ValueError("needs a pattern")
        pattern = re.compile(args, re.IGNORECASE)  # RegexRouteConstraint: IgnoreCase, not anchored for you
        return lambda v: bool(pattern.search(v))
    raise ValueError("is not a known constraint")


@dataclass(frozen=True)
class Parameter:
    name: str
    catch_all: bool = False
    optional: bool = False
    default: str | None = None
    constraints: tuple[Callable[[str], bool], ...] = ()

    def accepts(self, value: str) -> bool:
        return all(check(value) for check in self.constraints)


Part = str | Parameter


def _parse_parameter(text: str, template: str) -> Parameter:
    catch_all = text.startswith("*")
    body = text.lstrip("*")
    optional = body.endswith("?")
    if optional:
        body = body[:-1]
    default = None
    # The name runs up to the first ':' or '='; a default follows '=' after any constraints.
    name_match = re.match(r"[^:=]*", body)
    name = name_match.group(0) if name_match else ""
    rest = body[len(name) :]
    constraints: list[Callable[[str], bool]] = []
    while rest.startswith(":"):
        # A constraint's argument runs to the ')' that ends it, so a regex(...) may hold ':' and '('.
        found = re.match(r":([A-Za-z]+)(?:\((.*?)\))?(?=:|=|$)", rest)
        if not found:
            raise FunctionError(f"The route template '{template}' has an invalid constraint in '{{{text}}}'.")
        try:
            constraints.append(_constraint(found.group(1), found.group(2)))
        except ValueError as exc:
            # WebScriptHostHttpRoutesManager resolves constraints when the routes are built, with no
            # per-function catch. Assumption: like the real host, a bad constraint stops all HTTP functions.
            raise HostError(f"The constraint reference '{found.group(1)}' in route '{template}' could not be resolved: {exc}") from None
        rest = rest[found.end() :]
    if rest.startswith("="):
        default = rest[1:]
        rest = ""
    if rest or not re.fullmatch(r"[^{}/\\?*:=\s][^{}/\\?*:=]*", name or "/"):
        raise FunctionError(f"The route template '{template}' has an invalid parameter '{{{text}}}'.")
    if optional and default is not None:
        raise FunctionError(f"The route template '{template}': an optional parameter cannot have a default value.")
    if catch_all and optional:
        raise FunctionError(f"The route template '{template}': a catch-all parameter cannot be marked optional.")
    return Parameter(name, catch_all, optional, default, tuple(constraints))


def _parse_segment(segment: str, template: str) -> list[Part]:
    parts: list[Part] = []
    literal = ""
    i = 0
    while i < len(segment):
        char = segment[i]
        if segment.startswith("{{", i) or segment.startswith("}}", i):
            literal += char
            i += 2
        elif char == "{":
            end = i + 1
            while end < len(segment) and (segment[end] != "}" or segment.startswith("}}", end)):
                end += 2 if segment.startswith("}}", end) else 1
            if end >= len(segment):
                raise FunctionError(f"The route template '{template}' has an unclosed '{{'.")
            if literal:
                parts.append(literal)
                literal = ""
            elif parts:
                raise FunctionError(f"The route template '{template}': a path segment cannot hold two consecutive parameters.")
            parts.append(_parse_parameter(segment[i + 1 : end].replace("}}", "}").replace("{{", "{"), template))
            i = end + 1
        elif char == "}":
            raise FunctionError(f"The route template '{template}' has an unmatched '}}'.")
        else:
            literal += char
            i += 1
    if literal:
        parts.append(literal)
    return parts


@dataclass(frozen=True)
class RouteTemplate:
    """An ASP.NET Core route template (HttpTriggerAttributeBindingProvider parses it as one)."""

    text: str
    segments: tuple[tuple[Part, ...], ...]

    @classmethod
    def parse(cls, text: str) -> RouteTemplate:
        body = text.removeprefix("~").strip("/")
        segments: list[tuple[Part, ...]] = []
        for number, raw in enumerate(body.split("/") if body else []):
            if raw == "":
                raise FunctionError(f"The route template '{text}' has an empty path segment.")
            parts = _parse_segment(raw, text)
            params = [p for p in parts if isinstance(p, Parameter)]
            if any(p.catch_all for p in params) and (len(parts) > 1 or number != len(body.split("/")) - 1):
                raise FunctionError(f"The route template '{text}': a catch-all parameter must be the whole last segment.")
            if len(parts) > 1 and any(p.optional for p in params[:-1] if isinstance(p, Parameter)):
                raise FunctionError(f"The route template '{text}': only the last parameter of a segment can be optional.")
            segments.append(tuple(parts))
        names = [p.name.lower() for s in segments for p in s if isinstance(p, Parameter)]
        if len(names) != len(set(names)):
            raise FunctionError(f"The route template '{text}' uses a parameter name more than once.")
        return cls(text, tuple(segments))

    def match(self, path: str) -> dict[str, str] | None:
        """Route values for a decoded path (leading and one trailing '/' ignored), or None if it doesn't match."""
        body = path.strip("/") if path.endswith("/") else path.lstrip("/")
        request = body.split("/") if body else []
        values: dict[str, str] = {}
        for index, parts in enumerate(self.segments):
            first = parts[0]
            if len(parts) == 1 and isinstance(first, Parameter) and first.catch_all:
                value = "/".join(request[index:])
                if value or first.default is not None:
                    value = value or str(first.default)
                    if not first.accepts(value):
                        return None
                    values[first.name] = value
                return values
            if index >= len(request):
                if len(parts) == 1 and isinstance(first, Parameter) and (first.optional or first.default is not None):
                    if first.default is not None:
                        values[first.name] = first.default
                    continue
                return None
            found = _match_segment(parts, request[index])
            if found is None:
                return None
            values.update(found)
        return values if len(request) <= len(self.segments) else None


def _match_segment(parts: tuple[Part, ...], text: str) -> dict[str, str] | None:
    if len(parts) == 1 and isinstance(parts[0], str):
        return {} if parts[0].lower() == text.lower() else None  # literals ignore case
    if len(parts) == 1 and isinstance(parts[0], Parameter):
        return {parts[0].name: text} if text and parts[0].accepts(text) else None
    # A complex segment such as {a}.{b} or file.{ext?}: greedy from the left, as ASP.NET matches it from the right.
    attempts = [parts]
    last = parts[-1]
    if isinstance(last, Parameter) and last.optional and len(parts) >= 2 and isinstance(parts[-2], str):
        attempts.append(parts[:-2])
    for attempt in attempts:
        pattern = "".join(re.escape(p) if isinstance(p, str) else f"(?P<p{i}>.+)" for i, p in enumerate(attempt))
        found = re.fullmatch(pattern, text, re.IGNORECASE)
        if not found:
            continue
        params = {i: p for i, p in enumerate(attempt) if isinstance(p, Parameter)}
        if all(params[i].accepts(found.group(f"p{i}")) for i in params):
            return {params[i].name: found.group(f"p{i}") for i in params}
    return None


def decode_path(raw_path: str) -> str:
    """The request path as the host routes it: percent-decoded, except that %2F stays encoded (Kestrel)."""
    pieces = re.split(r"(%2[fF])", raw_path)
    return "".join(piece if re.fullmatch(r"%2[fF]", piece) else unquote(piece, errors="replace") for piece in pieces)


# -- loading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRoute:
    function: str
    route: str  # as declared, without routePrefix
    template: RouteTemplate  # with routePrefix
    methods: frozenset[str] | None  # None: every method
    binding: str  # the trigger's parameter name

    def allows(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods


@dataclass
class LoadedFunctions:
    routes: list[HttpRoute] = field(default_factory=list)  # in the order requests try them
    others: dict[str, FunctionMetadata] = field(default_factory=dict)  # non-HTTP functions by name
    errors: dict[str, str] = field(default_factory=dict)  # function name -> why the host skipped it


def check_metadata(function: FunctionMetadata) -> None:
    """Utility.cs ValidateFunctionName / ValidateBinding, WorkerFunctionMetadataProvider.cs."""
    if not FUNCTION_NAME.fullmatch(function.name) or function.name.lower() == "host":
        raise FunctionError(f"'{function.name}' is not a valid function name.")
    names = [str(b.get("name", "")) for b in function.bindings]
    for name in names:
        if not BINDING_NAME.fullmatch(name):
            raise FunctionError(f"The binding name {name} is invalid. Please assign a valid name to the binding.")
    if len({n.lower() for n in names}) != len(names):
        raise FunctionError("Multiple bindings with the same name are not allowed.")
    triggers = [b for b in function.bindings if str(b.get("type", "")).lower().endswith("trigger")]
    if len(triggers) != 1:
        raise FunctionError("A function must have exactly one trigger binding." if triggers else "No trigger binding specified.")


def http_route(function: FunctionMetadata) -> str:
    """ScriptHost.cs ValidateHttpFunction: an empty route becomes the function name; reserved prefixes fail."""
    route = str(function.trigger.get("route") or "").strip() or function.name
    if route.strip("/").lower().startswith(RESERVED_ROUTE_PREFIXES):
        raise FunctionError("The specified route conflicts with one or more built in routes.")
    return route


def routes_conflict(route: str, methods: frozenset[str] | None, other_route: str, other_methods: frozenset[str] | None) -> bool:
    """ScriptHost.cs HttpRoutesConflict: the same text ignoring case, with methods in common (none listed = all)."""
    if route.strip("/").lower() != other_route.strip("/").lower():
        return False
    return methods is None or other_methods is None or bool(methods & other_methods)


def load_functions(functions: Iterable[FunctionMetadata], route_prefix: str) -> LoadedFunctions:
    """What the host loads from the worker's metadata; raises HostError when it would load no HTTP function.

    FunctionMetadataManager orders the functions by name (ignoring case); the route table keeps that order and
    the first match wins, with no ranking by specificity (WebJobsRouteBuilder). A function in error is logged
    and skipped, the rest run (ScriptHost.cs GetFunctionDescriptorsAsync).
    """
    loaded = LoadedFunctions()
    prefix = route_prefix.strip("/")
    for function in sorted(functions, key=lambda f: f.name.lower()):
        try:
            check_metadata(function)
            if not function.is_http:
                loaded.others[function.name] = function
                continue
            route = http_route(function)
            methods = function.methods
            for other in loaded.routes:
                if routes_conflict(route, methods, other.route, other.methods):
                    raise FunctionError(f"The route specified conflicts with the route defined by function '{other.function}'.")
            template = RouteTemplate.parse(f"{prefix}/{route.strip('/')}" if prefix else route)
            loaded.routes.append(HttpRoute(function.name, route, template, methods, str(function.trigger.get("name", "req"))))
        except FunctionError as exc:
            loaded.errors[function.name] = str(exc)
    return loaded


def find_route(routes: Iterable[HttpRoute], method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
    """The first route whose template and methods match (a wrong method is simply no match: 404, never 405)."""
    for route in routes:
        if not route.allows(method):
            continue
        values = route.template.match(path)
        if values is not None:
            return route, values
    return None
