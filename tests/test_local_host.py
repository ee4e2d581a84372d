"""devtools/local_host.py behaves like the real Functions host (shared/reference/functions-host.md).

Small function apps are written to tmp folders and served by real host processes; the real app is indexed
with the Python worker's own code (.venv-worker, built by devtools/setup.sh).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from devtools.host_rules import FunctionMetadata, Parameter, find_route, load_functions
from devtools.local_host import INDEX_CACHE, WORKER_INDEX, WORKER_PYTHON, index_cache_key
from devtools.stack import ROOT, LocalStack, free_port

pytestmark = pytest.mark.integration  # real host processes and the worker's indexing code

NO_WORKER = (
    f"The worker indexing check could not run: {WORKER_PYTHON} is missing. Install Python 3.13 (pyenv install 3.13, "
    "or set PYTHON313=/path/to/python3.13) and run devtools/setup.sh, which builds .venv-worker."
)
HOST_JSON = {
    "version": "2.0",
    "extensions": {"http": {"routePrefix": "api", "customHeaders": {"Cache-Control": "no-store", "X-Custom": "yes"}}},
}

ECHO_APP = """
import json
import os
import time
from pathlib import Path

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def echo(name):
    def handler(req: func.HttpRequest) -> func.HttpResponse:
        data = {
            "function": name,
            "method": req.method,
            "params": dict(req.params),
            "route": dict(req.route_params),
            "headers": dict(req.headers),
            "body": req.get_body().decode("latin-1"),
        }
        return func.HttpResponse(json.dumps(data), mimetype="application/json")

    handler.__name__ = handler.__qualname__ = name
    return handler


app.route(route="items/search", methods=["GET"])(echo("a_search"))
app.route(route="items/{id}", methods=["GET"])(echo("b_item"))
app.route(route="things/{id}", methods=["GET"])(echo("a_thing"))
app.route(route="things/search", methods=["GET"])(echo("b_things_search"))
app.route(route="only-get", methods=["GET"])(echo("only_get"))
app.route(route="any")(echo("any_method"))
app.route(route="users/{identifier}", methods=["GET"])(echo("user"))
app.route(route="opt/{x?}", methods=["GET"])(echo("optional"))
app.route(route="files/{*rest}", methods=["GET"])(echo("files"))
app.route(route="n/{n:int}", methods=["GET"])(echo("number"))
app.route(route="echo")(echo("echo"))


@app.route(route="boom")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("unhandled")


@app.route(route="text")
def text(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("hi")


@app.route(route="own-header")
def own_header(req: func.HttpRequest) -> func.HttpResponse:
    response = func.HttpResponse("{}", mimetype="application/json", headers={"cache-control": "max-age=5"})
    response.headers.add("Set-Cookie", "a=1; Path=/")
    response.headers.add("Set-Cookie", "b=2; Path=/")
    return response


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=False)
def tick(timer: func.TimerRequest) -> None:
    time.sleep(1)
    Path(os.environ["TICK_MARKER"]).write_text("ran")


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=False)
def tick_fails(timer: func.TimerRequest) -> None:
    raise RuntimeError("the timer failed")
"""


def write_app(folder: Path, source: str, host_json: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "function_app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    (folder / "host.json").write_text(json.dumps(host_json or HOST_JSON), encoding="utf-8")
    return folder


def require_worker() -> None:
    if not WORKER_PYTHON.exists():
        pytest.fail(NO_WORKER)


def worker_index(root: Path) -> dict:
    require_worker()
    done = subprocess.run([str(WORKER_PYTHON), str(WORKER_INDEX), str(root)], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """The echo app on a real host process; yields (base URL, log path, marker file for the timer)."""
    require_worker()
    folder = tmp_path_factory.mktemp("echo-app")
    write_app(folder / "app", ECHO_APP)
    marker = folder / "tick-ran"
    stack = LocalStack(folder / "logs")
    try:
        service = stack.start_functions(free_port(), {"TICK_MARKER": str(marker)}, root=folder / "app")
        yield service.url, service.log_path, marker
    finally:
        stack.stop()


def raw_request(url: str, request: bytes) -> bytes:
    """Sends bytes as they are (no client library fixing them up) and returns the whole answer."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def wait_for_log(log_path: Path, text: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log_path.read_text(errors="replace")
        if text in content:
            return content
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {log_path}:\n{log_path.read_text(errors='replace')[-3000:]}")


# -- worker indexing ------------------------------------------------------------------------------


def declared_functions() -> dict[str, str]:
    """Every function the real app declares, by name with its trigger type, from the library in the app's Python."""
    script = (
        "import function_app, json;"
        "print(json.dumps({f.get_function_name(): f.get_trigger().type for f in function_app.app.get_functions()}))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_the_worker_indexes_every_function_of_the_real_app():
    answer = worker_index(ROOT)
    assert answer["ok"], answer.get("error")
    indexed = {f["name"]: f["trigger"] for f in answer["functions"]}
    assert indexed == declared_functions()
    triggers = list(indexed.values())
    assert triggers.count("httpTrigger") >= 24 and triggers.count("timerTrigger") >= 1  # 24 HTTP and 1 timer when written
    timer = next(f for f in answer["functions"] if f["name"] == "expire_access")
    assert timer["schedule"] == "0 */10 * * * *"
    login = next(f for f in answer["functions"] if f["name"] == "admin_login")
    assert (login["route"], login["methods"], login["authLevel"]) == ("manage/login", ["POST"], "ANONYMOUS")


def test_no_function_of_the_real_app_is_refused_or_shadowed_by_the_host_rules():
    answer = worker_index(ROOT)
    assert answer["ok"], answer.get("error")
    loaded = load_functions([FunctionMetadata.from_json(f) for f in answer["functions"]], "api")
    assert loaded.errors == {}
    declared = declared_functions()
    assert sorted(r.function for r in loaded.routes) == sorted(n for n, t in declared.items() if t == "httpTrigger")
    assert sorted(loaded.others) == sorted(n for n, t in declared.items() if t != "httpTrigger")
    # Every route, with sample values, reaches its own function for each of its methods (name order, first match).
    for route in loaded.routes:
        path = "/" + "/".join(
            "".join("sample" if isinstance(part, Parameter) else part for part in segment) for segment in route.template.segments
        )
        for method in sorted(route.methods or {"GET"}):
            found = find_route(loaded.routes, method, path)
            assert found is not None and found[0].function == route.function, f"{method} {path} reaches {found and found[0].function}"


def test_an_app_whose_handler_is_wrapped_with_functools_wraps_fails_indexing_and_the_host_serves_nothing(tmp_path):
    require_worker()
    app = write_app(
        tmp_path / "app",
        """
        import functools
        import azure.functions as func

        app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


        def admin_only(handler):
            @functools.wraps(handler)
            def wrapper(req):
                return handler(req, "session")

            return wrapper


        @app.route(route="health", methods=["GET"])
        def health(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("ok")


        @app.route(route="private", methods=["GET"])
        @admin_only
        def private(req: func.HttpRequest, session: str) -> func.HttpResponse:
            return func.HttpResponse(session)
        """,
    )
    answer = worker_index(app)
    assert not answer["ok"]
    assert answer["error"]["type"] == "FunctionLoadError"
    assert "session" in answer["error"]["message"]

    stack = LocalStack(tmp_path / "logs")
    try:
        service = stack.start_functions(free_port(), {}, root=app)
        for path in ("/api/health", "/api/private"):
            response = requests.get(service.url + path, timeout=10)
            assert (response.status_code, response.content) == (404, b"")
        log = wait_for_log(service.log_path, "Worker failed to index functions")
        assert "FunctionLoadError" in log and "session" in log
    finally:
        stack.stop()


def test_the_index_is_cached_by_the_code_it_depends_on(tmp_path):
    require_worker()
    app = write_app(tmp_path / "app", ECHO_APP)
    key = index_cache_key(app, WORKER_PYTHON)
    stack = LocalStack(tmp_path / "logs")
    try:
        stack.start_functions(free_port(), {}, root=app)
        cached = INDEX_CACHE / f"{key}.json"
        assert json.loads(cached.read_text())["ok"]
        (app / "function_app.py").write_text((app / "function_app.py").read_text() + "\n# changed\n")
        assert index_cache_key(app, WORKER_PYTHON) != key, "a changed .py file means indexing again"
    finally:
        stack.stop()


def test_without_the_worker_the_host_says_the_check_could_not_run_and_still_serves(tmp_path):
    app = write_app(tmp_path / "app", ECHO_APP)
    stack = LocalStack(tmp_path / "logs")
    try:
        service = stack.start_functions(free_port(), {}, root=app, extra_args=["--worker-python", str(tmp_path / "no-python")])
        assert requests.get(service.url + "/api/any", timeout=10).status_code == 200
        log = wait_for_log(service.log_path, "The worker indexing check could not run")
        assert "setup.sh" in log
    finally:
        stack.stop()


# -- host rules -------------------------------------------------------------------------------------


def route_function(name: str, route: str | None = None, methods: list[str] | None = None, arg: str = "req") -> str:
    options = [f"route={route!r}"] if route is not None else []
    if methods:
        options.append(f"methods={methods!r}")
    if arg != "req":
        options.append(f"trigger_arg_name={arg!r}")
    return (
        f"@app.route({', '.join(options)})\n"
        f"def {name}({arg}: func.HttpRequest) -> func.HttpResponse:\n"
        f"    return func.HttpResponse({name!r})\n\n\n"
    )


RULES_APP = "import azure.functions as func\n\napp = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)\n\n\n" + "".join(
    [
        route_function("admin_stuff", "admin/stuff"),
        route_function("administrators", "/Administrators"),
        route_function("runtime_x", "runtime/x"),
        route_function("admin"),  # no route: the function's name is the route
        route_function("manage_ok", "manage/stuff", ["GET"]),
        route_function("c_first", "dup", ["GET"]),
        route_function("c_second", "DUP/", ["GET", "POST"]),
        route_function("c_third", "dup", ["POST"]),
        route_function("c_fourth", "dup"),
        route_function("host", "host-route"),
        route_function("underscore_binding", "underscore", ["GET"], arg="my_req"),
        route_function("bad_template", "bad/{unclosed", ["GET"]),
    ]
)


@pytest.fixture(scope="module")
def rules_host(tmp_path_factory):
    require_worker()
    folder = tmp_path_factory.mktemp("rules-app")
    write_app(folder / "app", RULES_APP)
    stack = LocalStack(folder / "logs")
    try:
        service = stack.start_functions(free_port(), {}, root=folder / "app")
        yield service.url, service.log_path
    finally:
        stack.stop()


def test_routes_in_the_hosts_own_space_are_refused_and_the_rest_still_run(rules_host):
    url, log_path = rules_host
    for path in ("/api/admin/stuff", "/api/Administrators", "/api/runtime/x", "/api/admin"):
        response = requests.get(url + path, timeout=10)
        assert (response.status_code, response.content) == (404, b""), path
    assert requests.get(url + "/api/manage/stuff", timeout=10).text == "manage_ok"
    log = wait_for_log(log_path, "Local functions host listening")
    for name in ("admin_stuff", "administrators", "runtime_x", "admin"):
        assert f"The '{name}' function is in error: The specified route conflicts with one or more built in routes" in log


def test_conflicting_routes_are_refused_in_name_order(rules_host):
    url, log_path = rules_host
    assert requests.get(url + "/api/dup", timeout=10).text == "c_first"
    assert requests.post(url + "/api/dup", timeout=10).text == "c_third", "POST does not overlap c_first's GET"
    assert requests.delete(url + "/api/dup", timeout=10).status_code == 404, "c_fourth (all methods) was refused"
    log = log_path.read_text()
    assert "The 'c_second' function is in error: The route specified conflicts with the route defined by function 'c_first'" in log
    assert "The 'c_fourth' function is in error: The route specified conflicts with the route defined by function 'c_first'" in log
    assert "'c_third' function is in error" not in log


def test_function_and_binding_names_and_templates_are_checked(rules_host):
    url, log_path = rules_host
    assert requests.get(url + "/api/host-route", timeout=10).status_code == 404
    assert requests.get(url + "/api/underscore", timeout=10).status_code == 404
    log = log_path.read_text()
    assert "The 'host' function is in error: 'host' is not a valid function name" in log
    assert "The 'underscore_binding' function is in error: The binding name my_req is invalid" in log
    assert "The 'bad_template' function is in error: The route template" in log


def test_an_unknown_route_constraint_stops_every_http_function(tmp_path):
    require_worker()
    app = write_app(
        tmp_path / "app",
        """
        import azure.functions as func

        app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


        @app.route(route="fine", methods=["GET"])
        def fine(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("fine")


        @app.route(route="x/{id:bogus}", methods=["GET"])
        def bogus(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("bogus")
        """,
    )
    stack = LocalStack(tmp_path / "logs")
    try:
        service = stack.start_functions(free_port(), {}, root=app)
        assert requests.get(service.url + "/api/fine", timeout=10).status_code == 404
        assert "The constraint reference 'bogus'" in wait_for_log(service.log_path, "could not build its HTTP routes")
    finally:
        stack.stop()


# -- routing and requests ----------------------------------------------------------------------------


def get(url: str, path: str, method: str = "GET", **kwargs) -> requests.Response:
    return requests.request(method, url + path, timeout=10, **kwargs)


def test_the_first_route_in_function_name_order_wins(host):
    url, _, _ = host
    assert get(url, "/api/items/search").json()["function"] == "a_search"
    assert get(url, "/api/items/42").json()["function"] == "b_item"
    # No ranking by specificity: a_thing's {id} comes before b_things_search's literal.
    assert get(url, "/api/things/search").json()["function"] == "a_thing"
    assert get(url, "/API/Items/Search/").json()["function"] == "a_search", "literals ignore case; a trailing / is fine"


def test_a_wrong_method_is_an_empty_404_and_no_methods_means_all(host):
    url, _, _ = host
    for method in ("POST", "PUT", "DELETE", "HEAD", "OPTIONS"):
        response = get(url, "/api/only-get", method)
        assert (response.status_code, response.content) == (404, b""), method
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        assert get(url, "/api/any", method).json()["method"] == method
    head = get(url, "/api/any", "HEAD")
    assert head.status_code == 200 and head.content == b""


def test_route_values_are_decoded_except_an_encoded_slash(host):
    url, _, _ = host
    assert get(url, "/api/users/a%40b.example").json()["route"] == {"identifier": "a@b.example"}
    assert get(url, "/api/users/a%2Fb").json()["route"] == {"identifier": "a%2Fb"}
    assert get(url, "/api/users/caf%C3%A9").json()["route"] == {"identifier": "café"}


def test_optional_catch_all_and_constrained_parameters(host):
    url, _, _ = host
    assert get(url, "/api/opt").json()["route"] == {}, "an unmatched optional is absent"
    assert get(url, "/api/opt/v").json()["route"] == {"x": "v"}
    assert get(url, "/api/files/a/b/c.txt").json()["route"] == {"rest": "a/b/c.txt"}
    assert get(url, "/api/files").json()["route"] == {}
    assert get(url, "/api/n/-7").json()["route"] == {"n": "-7"}
    assert get(url, "/api/n/seven").status_code == 404


def test_query_drops_empty_values_and_joins_repeated_keys(host):
    url, _, _ = host
    assert get(url, "/api/echo?a=&b&c=1&c=2&d=x+y&e=%26").json()["params"] == {"c": "1,2", "d": "x y", "e": "&"}


def test_headers_are_lower_cased_and_repeated_ones_joined(host):
    url, _, _ = host
    answer = raw_request(
        url,
        b"GET /api/echo HTTP/1.1\r\nHost: localhost\r\nX-Multi: 1\r\nX-Multi: 2\r\nX-Mixed-Case: v\r\nConnection: close\r\n\r\n",
    )
    headers = json.loads(answer.split(b"\r\n\r\n", 1)[1])["headers"]
    assert headers["x-multi"] == "1,2"
    assert headers["x-mixed-case"] == "v"
    assert all(name == name.lower() for name in headers)


def test_the_front_end_appends_the_peer_to_x_forwarded_for_and_sets_client_ip(host):
    url, _, _ = host
    alone = get(url, "/api/echo").json()["headers"]
    assert re.fullmatch(r"127\.0\.0\.1:\d+", alone["x-forwarded-for"])
    assert alone["client-ip"] == alone["x-forwarded-for"]
    claimed = get(url, "/api/echo", headers={"X-Forwarded-For": "203.0.113.9:5000", "Client-IP": "6.6.6.6"}).json()["headers"]
    assert re.fullmatch(r"203\.0\.113\.9:5000, 127\.0\.0\.1:\d+", claimed["x-forwarded-for"])
    assert re.fullmatch(r"127\.0\.0\.1:\d+", claimed["client-ip"]), "the client's own client-ip is overwritten"


def test_an_ipv6_peer_is_appended_as_bracketed_address_and_port(tmp_path):
    require_worker()
    app = write_app(tmp_path / "app", ECHO_APP)
    stack = LocalStack(tmp_path / "logs")
    try:
        service = stack.start_functions(free_port(), {}, root=app, host="::1")
        headers = requests.get(service.url + "/api/echo", timeout=10).json()["headers"]
        assert re.fullmatch(r"\[::1\]:\d+", headers["x-forwarded-for"])
    finally:
        stack.stop()


def test_a_body_is_passed_only_with_a_content_length(host):
    url, _, _ = host
    assert get(url, "/api/echo", "POST", data=b"hello").json()["body"] == "hello"
    chunked = get(url, "/api/echo", "POST", data=iter([b"hel", b"lo"])).json()
    assert chunked["body"] == "", "a chunked body arrives empty"


def test_too_large_bodies_and_too_long_urls_are_refused_by_the_host(host):
    url, _, _ = host
    answer = raw_request(url, b"POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 104857601\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert get(url, "/api/echo?q=" + "x" * 4100).status_code == 414
    assert get(url, "/api/echo?q=" + "x" * 3000).status_code == 200


def test_an_unhandled_exception_is_an_empty_500_with_the_custom_headers(host):
    url, log_path, _ = host
    response = get(url, "/api/boom")
    assert (response.status_code, response.content) == (500, b"")
    assert response.headers["X-Custom"] == "yes"
    assert "RuntimeError: unhandled" in wait_for_log(log_path, "RuntimeError: unhandled")


def test_an_unknown_route_is_an_empty_404_with_the_custom_headers(host):
    url, _, _ = host
    response = get(url, "/api/nothing-here")
    assert (response.status_code, response.content) == (404, b"")
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Custom"] == "yes"


def test_charset_is_added_only_for_text_types(host):
    url, _, _ = host
    assert get(url, "/api/text").headers["Content-Type"] == "text/plain; charset=utf-8"
    assert get(url, "/api/echo").headers["Content-Type"] == "application/json"


def test_the_functions_own_header_wins_over_custom_headers_and_cookies_stay_separate(host):
    url, _, _ = host
    answer = raw_request(url, b"GET /api/own-header HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    head = answer.split(b"\r\n\r\n", 1)[0].decode().lower().splitlines()
    assert [line for line in head if line.startswith("cache-control:")] == ["cache-control: max-age=5"]
    assert "x-custom: yes" in head
    assert [line for line in head if line.startswith("set-cookie:")] == ["set-cookie: a=1; path=/", "set-cookie: b=2; path=/"]


# -- timers ----------------------------------------------------------------------------------------------


def test_running_a_timer_needs_a_body_and_a_known_name(host):
    url, _, _ = host
    assert get(url, "/admin/functions/tick", "POST").status_code == 400
    assert get(url, "/admin/functions/tick", "POST", data=b"not json").status_code == 400
    assert get(url, "/admin/functions/nope", "POST", json={"input": ""}).status_code == 404


def test_a_timer_run_is_accepted_at_once_and_runs_in_the_background(host):
    url, _, marker = host
    started = time.monotonic()
    response = get(url, "/admin/functions/tick", "POST", json={"input": ""})
    assert response.status_code == 202
    assert time.monotonic() - started < 1 and not marker.exists(), "202 comes before the function has run"
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.read_text() == "ran"


def test_a_failing_timer_run_is_still_202_and_the_failure_only_logged(host):
    url, log_path, _ = host
    assert get(url, "/admin/functions/tick_fails", "POST", json={}).status_code == 202
    log = wait_for_log(log_path, "RuntimeError: the timer failed")
    assert "Executed 'Functions.tick_fails' (Failed)" in log
