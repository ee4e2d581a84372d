"""Benchmark: plex.tv requests and latency per operation on the real local stack, against the old app's way.

    devtools/bench.sh [--quick] [--latency-ms 100] [--requests N] [--out DIR]

Starts the Plex simulator (with injected plex.tv latency), Azurite and local functions hosts, talks to
the hosts over HTTP on 127.0.0.1, prints one table plus PASS/MISS lines, and writes the results as
JSON and Markdown. The run before is moved to previous.*, which git ignores (only latest.* is committed;
history holds the runs before), and latest.md compares the two.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shlex
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from azure.core.exceptions import AzureError

from devtools import bench_inprocess as inproc
from devtools import bench_scenarios as sc
from devtools.bench_guest import first_load
from devtools.bench_stats import (
    INFO,
    LatencySummary,
    Row,
    Target,
    baseline_target,
    compare_p50,
    import_target,
    log_query_share,
    log_scaling_target,
    per_op,
    ratio,
    render_table,
    storage_info,
    storage_text,
    summarize,
    throughput_target,
    warm_dashboard_target,
    warm_invite_target,
)
from devtools.plex_simulator import SimulatorClient
from devtools.stack import ROOT, LocalStack, azurite_connection_string, free_port

DEFAULT_OUT = ROOT / "bench" / "results"
CLIENTS = 32
THROUGHPUT_HOSTS = 2
WARM_UP_INVITES = 2
# Operations counted in this process for the storage columns (the counts don't vary from one to the next).
STORAGE_SAMPLES = 20
IN_PROCESS_ADDRESS = "203.0.113.77"  # TEST-NET-3, never routed
IN_PROCESS_WARM_UP = 12


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="devtools/bench.sh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=100.0, help="latency the simulator adds to every Plex request (100)")
    parser.add_argument("--requests", type=int, default=None, help="requests per scenario (100; 20 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer requests, 10,000 log rows instead of 100,000; under 3 minutes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (bench/results; quick runs use its quick/)")
    args = parser.parse_args(argv)
    if args.latency_ms < 0:
        parser.error("--latency-ms must be 0 or more")
    if args.requests is not None and not 1 <= args.requests <= 10_000:
        parser.error("--requests must be from 1 to 10000")
    return args


class Plan:
    """How much each scenario does, from the flags."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.quick = bool(args.quick)
        self.latency_ms = float(args.latency_ms)
        self.requests = args.requests or (20 if self.quick else 100)
        self.cold_starts = min(self.requests, 3 if self.quick else 10)
        self.imports = min(self.requests, 5 if self.quick else 10)
        self.refreshes = self.requests
        self.small_log, self.large_log = (1_000, 10_000) if self.quick else (1_000, 100_000)
        self.throughput_invites = max(CLIENTS, 10 * self.requests)

    def describe(self) -> dict[str, Any]:
        return {
            "quick": self.quick,
            "latencyMs": self.latency_ms,
            "requests": self.requests,
            "coldStarts": self.cold_starts,
            "importRuns": self.imports,
            "logRows": [self.small_log, self.large_log],
            "throughputInvites": self.throughput_invites,
            "throughputClients": CLIENTS,
            "throughputHosts": THROUGHPUT_HOSTS,
        }


class Progress:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def __call__(self, message: str) -> None:
        print(f"[{self.elapsed():6.1f} s] {message}", file=sys.stderr, flush=True)


def _row(key: str, scenario: str, measured: sc.Measured, notes: str = "", **extra: Any) -> Row:
    ops = len(measured.samples_ms)
    return Row(
        key,
        scenario,
        ops,
        per_op(measured.plex_tv, ops),
        summarize(measured.samples_ms),
        notes,
        {"pmsPerOp": per_op(measured.pms, ops), "endpoints": measured.endpoints, **extra},
    )


def run_scenarios(plan: Plan, bench: sc.Bench, stack: LocalStack, progress: Progress) -> tuple[list[Row], list[Target]]:
    rows: list[Row] = []
    n = plan.requests

    main_prefix = bench.prefix("main")
    progress("starting the main functions host")
    main = sc.HostClient(bench.start_host(stack, main_prefix, "functions-main").url)
    main.login(bench.admin_password)

    progress(f"cold first invite: {plan.cold_starts} fresh host processes")
    cold = sc.cold_invites(bench, plan.cold_starts, main_prefix)
    ready = summarize([s * 1000 for s in cold.extra["hostReadySeconds"]])
    rows.append(
        _row(
            "cold_invite",
            "cold first invite (fresh process)",
            cold,
            f"host process ready in p50 {ready.p50_ms / 1000:.1f} s before it (not included)",
            hostReadySeconds=cold.extra["hostReadySeconds"],
        )
    )

    progress(f"warm invite: {WARM_UP_INVITES} warm-up + {n} invites")
    for _ in range(WARM_UP_INVITES):
        sc.invite_or_fail(main, bench.identifier())
    warm = sc.measure(bench, lambda: sc.invite_or_fail(main, bench.identifier()), n)
    warm_p50 = summarize(warm.samples_ms).p50_ms

    progress(f"in this process: storage per warm invite ({STORAGE_SAMPLES}) and where its time goes ({n} invites)")
    app = inproc.InProcessApp(bench.host_env(main_prefix))
    for _ in range(IN_PROCESS_WARM_UP):  # enough to have written every counter shard from this process once
        app.invite(bench.identifier(), sc.INVITE_CODE)
    samples = min(n, STORAGE_SAMPLES)
    invite_storage = app.cost(lambda: app.invite(bench.identifier(), sc.INVITE_CODE), samples).per(samples)
    rows.append(_row("warm_invite", "warm invite", warm, f"p50 = RTT + {warm_p50 - plan.latency_ms:.1f} ms", storage=invite_storage))
    rows.extend(invite_phase_rows(plan, bench, app, warm_p50))

    progress(f"warm dashboard: 1 warm-up + {n} calls")
    main.dashboard()
    dashboard = sc.measure(bench, main.dashboard, n)
    app.sign_in(sc.ADMIN_USERNAME, bench.admin_password, sc.SITE_ORIGIN)
    for _ in range(2):
        app.dashboard(sc.SITE_ORIGIN)
    dashboard_storage = app.cost(lambda: app.dashboard(sc.SITE_ORIGIN), samples).per(samples)
    rows.append(_row("warm_dashboard", "warm dashboard", dashboard, "after 1 warm-up call", storage=dashboard_storage))

    progress("the Static Web Apps emulator in front of the main host: an invite and the guest page's first load")
    guest_rows, guest_targets = through_the_site(plan, bench, stack, main.base_url, warm_p50, invite_storage)
    rows.extend(guest_rows)

    progress(f"library refresh then dashboard: {plan.refreshes} cycles")
    refresh, after_refresh = sc.library_refreshes(bench, main, plan.refreshes)
    rows.append(_row("library_refresh", "library refresh (POST)", refresh, "re-reads the library list and re-checks the token"))
    rows.append(_row("dashboard_after_refresh", "dashboard right after a refresh", after_refresh, "the next call after each refresh"))

    progress(f"baseline (old app, per request, in-process): {n} invites")
    baseline = sc.baseline_invites(bench, n)
    dashboard_p50 = summarize(dashboard.samples_ms).p50_ms
    baseline_p50 = summarize(baseline.samples_ms).p50_ms
    rows.append(
        _row(
            "baseline_invite",
            "baseline: old app's invite",
            baseline,
            f"+{per_op(baseline.pms, n):g} PMS req/op; p50 = {_x(ratio(baseline_p50, warm_p50))} warm invite, "
            f"{_x(ratio(baseline_p50, dashboard_p50))} warm dashboard",
        )
    )

    scale_rows, scale_targets = log_scaling(plan, bench, stack, progress)
    rows.extend(scale_rows)

    progress(f"import function_app: {plan.imports} fresh interpreters each way, and azure.functions alone")
    import_rows, import_check = import_time_rows(plan)
    rows.extend(import_rows)

    progress(f"throughput: {plan.throughput_invites} invites, {CLIENTS} clients, {THROUGHPUT_HOSTS} hosts")
    tp_prefix = bench.prefix("tp")
    hosts = [bench.start_host(stack, tp_prefix, f"functions-tp-{i}").url for i in range(THROUGHPUT_HOSTS)]
    for url in hosts:  # one warm-up invite per host, not counted
        warm_up = sc.HostClient(url)
        sc.invite_or_fail(warm_up, bench.identifier())
        warm_up.close()
    throughputs = []
    for distinct in (True, False):
        tp = sc.throughput(bench, hosts, tp_prefix, plan.throughput_invites, CLIENTS, distinct_addresses=distinct)
        throughputs.append(tp)
        who = "one client address each" if distinct else "no client address (one rate-limit subject)"
        rows.append(
            Row(
                "throughput" if distinct else "throughput_one_subject",
                f"throughput: {THROUGHPUT_HOSTS} hosts, {CLIENTS} clients, {'own address' if distinct else 'no address'}",
                tp.sent,
                per_op(tp.plex_tv, tp.sent),
                summarize(tp.samples_ms) if tp.samples_ms else None,
                f"{tp.per_second:.1f} invites/s; {tp.errors} errors; logged {tp.logged}/{tp.sent}; shared {tp.shared}/{tp.sent}; {who}",
                {
                    "invitesPerSecond": tp.per_second,
                    "seconds": tp.seconds,
                    "statuses": tp.statuses,
                    "logged": tp.logged,
                    "shared": tp.shared,
                    "distinctAddresses": distinct,
                },
            )
        )

    targets = [
        import_check,
        warm_invite_target(per_op(warm.plex_tv, n), warm_p50, plan.latency_ms),
        storage_info("warm invite", invite_storage),
        warm_dashboard_target(per_op(dashboard.plex_tv, n), dashboard_p50),
        storage_info("warm dashboard call", dashboard_storage),
        *scale_targets,
        *guest_targets,
        *(
            throughput_target(tp.sent, tp.errors, tp.logged, tp.shared, label)
            for tp, label in zip(throughputs, ("own", "none"), strict=True)
        ),
        baseline_target(baseline_p50, warm_p50, dashboard_p50),
    ]
    return rows, targets


def invite_phase_rows(plan: Plan, bench: sc.Bench, app: inproc.InProcessApp, http_p50: float) -> list[Row]:
    """Where a warm invite's time goes: the app's invite service in this process, each dependency's calls timed."""
    service, clock = inproc.timed_invite_service(app)
    runs = [inproc.invite_phases(service, clock, bench.identifier(), sc.INVITE_CODE, IN_PROCESS_ADDRESS) for _ in range(plan.requests)]

    def calls(names: dict[str, str]) -> str:
        parts = [f"{label} {summarize([r.calls_ms.get(name, 0.0) for r in runs]).p50_ms:.1f}" for name, label in names.items()]
        return "side by side, p50 ms each: " + ", ".join(parts)

    total = summarize([r.total_ms for r in runs])
    return [
        Row(
            "invite_in_process",
            "  warm invite in the app, no HTTP",
            len(runs),
            None,
            total,
            f"the same invite over HTTP takes p50 {http_p50 - total.p50_ms:.1f} ms more: the functions host, HTTP and JSON",
        ),
        Row(
            "invite_before_plex",
            "  before plex.tv (one round of storage)",
            len(runs),
            None,
            summarize([r.before_ms for r in runs]),
            calls(inproc.BEFORE_PLEX),
        ),
        Row(
            "invite_plex",
            "  plex.tv invite (one request)",
            len(runs),
            None,
            summarize([r.plex_ms for r in runs]),
            f"{plan.latency_ms:g} ms injected per request",
        ),
        Row(
            "invite_after_plex",
            "  after plex.tv (one round of storage)",
            len(runs),
            None,
            summarize([r.after_ms for r in runs]),
            calls(inproc.AFTER_PLEX),
        ),
    ]


def through_the_site(
    plan: Plan, bench: sc.Bench, stack: LocalStack, host_url: str, host_p50: float, invite_storage: dict[str, float]
) -> tuple[list[Row], list[Target]]:
    """What a guest waits: an invite and the guest page's first load through the Static Web Apps emulator."""
    port = int(host_url.rsplit(":", 1)[1])
    site = stack.start_swa(free_port(), port).url
    guest = sc.HostClient(site)
    for _ in range(WARM_UP_INVITES):
        sc.invite_or_fail(guest, bench.identifier())
    via_site = sc.measure(bench, lambda: sc.invite_or_fail(guest, bench.identifier()), plan.requests)
    guest.close()
    site_p50 = summarize(via_site.samples_ms).p50_ms
    bench.simulator.reset_counts()
    page = first_load(site + "/")
    page_plex = int(bench.plex_counts()["plexTv"])
    rows = [
        _row(
            "site_invite",
            "invite through the Static Web Apps emulator",
            via_site,
            f"p50 = RTT + {site_p50 - plan.latency_ms:.1f} ms; the emulator's proxy adds {site_p50 - host_p50:.1f} ms to the host's",
            storage=invite_storage,
        ),
        Row(
            "guest_page",
            "guest page first load (empty cache)",
            1,
            float(page_plex),
            summarize([page.load_ms]),
            f"{page.describe()}; no framework: {', '.join(page.scripts)}; API calls: {', '.join(page.api_calls) or 'none'}",
            {"requests": page.requests, "bodyBytes": page.body_bytes, "byKind": page.by_kind, "apiCalls": page.api_calls},
        ),
    ]
    targets = [
        Target(
            "what a guest waits",
            INFO,
            f"an invite through the site: p50 {site_p50:.1f} ms = RTT + {site_p50 - plan.latency_ms:.1f} ms; the page's first "
            f"load: {page.requests} requests, {page.body_bytes / 1024:.1f} KB, load event at {page.load_ms:.0f} ms",
        )
    ]
    return rows, targets


def import_time_rows(plan: Plan) -> tuple[list[Row], Target]:
    cache = ROOT / ".local" / "bench-pycache"
    shutil.rmtree(cache, ignore_errors=True)
    compiled_wall, compiled_cpu = sc.import_times(plan.imports, bytecode_cache=cache)
    source_wall, source_cpu = sc.import_times(plan.imports)
    base_wall, base_cpu = sc.import_times(plan.imports, module="azure.functions", bytecode_cache=cache)
    compiled, source, base = summarize(compiled_wall), summarize(source_wall), summarize(base_wall)
    cpu = summarize(compiled_cpu).p50_ms
    rows = [
        Row(
            "import_time",
            "import function_app (cold start's own share)",
            len(compiled_wall),
            None,
            compiled,
            f"bytecode compiled once, as a process that keeps it; CPU p50 {cpu:.0f} ms",
            {"cpuMs": compiled_cpu},
        ),
        Row(
            "import_time_source",
            "import function_app, compiling the source each run",
            len(source_wall),
            None,
            source,
            f"as this machine's PYTHONDONTWRITEBYTECODE makes every run; CPU p50 {summarize(source_cpu).p50_ms:.0f} ms",
            {"cpuMs": source_cpu},
        ),
        Row(
            "import_azure_functions",
            "import azure.functions alone (for scale)",
            len(base_wall),
            None,
            base,
            f"CPU p50 {summarize(base_cpu).p50_ms:.0f} ms; function_app's own share is {compiled.p50_ms - base.p50_ms:.0f} ms",
            {"cpuMs": base_cpu},
        ),
    ]
    return rows, import_target(compiled.p50_ms, cpu)


def log_scaling(plan: Plan, bench: sc.Bench, stack: LocalStack, progress: Progress) -> tuple[list[Row], list[Target]]:
    """The dashboard with a small and a large invite log, on a host of its own.

    Beside the dashboard, the benchmark times the dashboard's own log query (the 20 newest rows) straight
    against Azurite, so the part of any growth that is the emulator's query time can be told apart, and counts
    the storage requests and entities per call in this process (what Table Storage bills, which must not grow).
    """
    prefix = bench.prefix("scale")
    progress("starting the log-size functions host")
    client = sc.HostClient(bench.start_host(stack, prefix, "functions-scale").url)
    client.login(bench.admin_password)
    app = inproc.InProcessApp(bench.host_env(prefix))
    app.sign_in(sc.ADMIN_USERNAME, bench.admin_password, sc.SITE_ORIGIN)
    samples = min(plan.requests, STORAGE_SAMPLES)
    rows, p50s, query_p50s, reads = [], [], [], []
    filled = 0
    for size in (plan.small_log, plan.large_log):
        progress(f"filling the invite log to {size:,} rows")
        seconds = sc.fill_invite_log(bench, prefix, filled, size - filled)
        added, filled = size - filled, size
        client.dashboard()  # warm-up
        progress(f"dashboard at {size:,} log rows: {plan.requests} calls")
        measured = sc.measure(bench, client.dashboard, plan.requests)
        query = summarize(sc.time_recent_query(bench, prefix, plan.requests))
        for _ in range(2):
            app.dashboard(sc.SITE_ORIGIN)
        storage = app.cost(lambda: app.dashboard(sc.SITE_ORIGIN), samples).per(samples)
        reads.append(storage["entitiesRead"])
        p50s.append(summarize(measured.samples_ms).p50_ms)
        query_p50s.append(query.p50_ms)
        notes = f"its log query alone on Azurite: p50 {query.p50_ms:.1f} ms; filled {added:,} rows in {seconds:.1f} s"
        if len(p50s) == 2:
            notes = f"p50 = {_x(ratio(p50s[1], p50s[0]))} the {plan.small_log:,}-row p50; " + notes
        rows.append(
            _row(
                f"dashboard_log_{size}",
                f"dashboard, {size:,} log rows",
                measured,
                notes,
                fillSeconds=seconds,
                rowsAdded=added,
                recentQueryMs=query.p50_ms,
                storage=storage,
            )
        )
    progress(f"dashboard right after a new invite, {plan.large_log:,} log rows: {samples} cycles")
    after_invite, spent = [], []
    bench.simulator.reset_counts()
    for _ in range(samples):
        sc.invite_or_fail(client, bench.identifier())
        after_invite.append(client.dashboard())
        app.invite(bench.identifier(), sc.INVITE_CODE)
        spent.append(app.cost(lambda: app.dashboard(sc.SITE_ORIGIN), 1))
    changed = sum(spent[1:], spent[0]).per(len(spent))
    rows.append(
        Row(
            "dashboard_after_invite",
            f"dashboard right after a new invite, {plan.large_log:,} log rows",
            len(after_invite),
            None,
            summarize(after_invite),
            "the totals moved, so the newest log rows are read again (on Azurite a scan of the whole partition; one page on Table Storage)",
            {"storage": changed},
        )
    )
    client.close()
    targets = [
        log_scaling_target(plan.small_log, plan.large_log, p50s[0], p50s[1], reads[0], reads[1]),
        log_query_share(plan.small_log, plan.large_log, summarize(after_invite).p50_ms, query_p50s),
        Target(
            f"dashboard after a new invite, {plan.large_log:,} rows",
            INFO,
            f"p50 {summarize(after_invite).p50_ms:.1f} ms; {storage_text(changed)} per call",
        ),
    ]
    return rows, targets


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}x"


# -- results -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        # Other work on the machine skews every number; a high load here says the run was not alone.
        "loadAverage1m": round(os.getloadavg()[0], 2),
    }


class OtherCpu:
    """CPU time the rest of the machine used during the run: all busy time (/proc/stat) minus this process and
    its children (the stack's services are children, and are waited for before the count is read)."""

    def __init__(self) -> None:
        self._start = self._busy(), self._own()

    @staticmethod
    def _busy() -> float | None:
        try:
            values = [int(v) for v in Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:9]]
        except (OSError, ValueError, IndexError):
            return None
        return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def stop(self) -> float | None:
        busy, own = self._busy(), self._own()
        if busy is None or self._start[0] is None:
            return None
        return max(0.0, (busy - self._start[0]) - (own - self._start[1]))


def _other_cpu_text(m: dict[str, Any]) -> str:
    seconds, share = m.get("otherCpuSeconds"), m.get("otherCpuShare")
    if seconds is None or share is None:
        return "CPU used by other processes unknown"
    return f"other processes used {seconds:.0f} CPU-seconds during the run ({share:.0%} of the machine)"


def results_dir(args: argparse.Namespace) -> Path:
    return Path(args.out) / "quick" if args.quick else Path(args.out)


def write_results(out_dir: Path, report: dict[str, Any]) -> tuple[Path, Path, dict[str, Any] | None]:
    """Moves latest.* to previous.*, writes the new latest.json and latest.md; returns the paths and the previous report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    latest_json, latest_md = out_dir / "latest.json", out_dir / "latest.md"
    previous = None
    if latest_json.exists():
        try:
            previous = json.loads(latest_json.read_text(encoding="utf-8"))
        except ValueError:
            previous = None
        latest_json.replace(out_dir / "previous.json")
        if latest_md.exists():
            latest_md.replace(out_dir / "previous.md")
    latest_json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    latest_md.write_text(markdown(report, previous), encoding="utf-8")
    return latest_json, latest_md, previous


def markdown(report: dict[str, Any], previous: dict[str, Any] | None) -> str:
    rows = [_row_from_json(r) for r in report["rows"]]
    m = report["machine"]
    lines = [
        "# Helpr benchmark",
        "",
        f"- Date: {report['date']}",
        f"- Machine: {m['cores']} cores, {m['platform']}, Python {m['python']}",
        f"- Other work on the machine: load average {m.get('loadAverage1m', '?')} at the start; {_other_cpu_text(m)}",
        f"- Command: `{report['command']}`",
        f"- Plan: {_plan_text(report['plan'])}",
        f"- Rate limits: {report['rateLimits']}",
        f"- Wall time: {report['wallSeconds']:.0f} s, including starting and stopping the stack",
        "",
        render_table(rows),
        "",
        "## Targets",
        "",
        "```",
        *report["targetLines"],
        "```",
        "",
        *invite_time_notes(report),
    ]
    if previous:
        changes = compare_p50(report["rows"], previous.get("rows", []))
        lines += [f"## Compared with the previous run ({previous.get('date', '?')}, `{previous.get('command', '?')}`)", ""]
        lines += ["| scenario | previous p50 ms | p50 ms | change |", "|---|--:|--:|--:|"]
        lines += [f"| {name} | {was:.1f} | {now:.1f} | {change:+.0f}% |" for name, was, now, change in changes]
        lines.append("")
        rates = _rates(previous)
        lines += [
            f"- {row['scenario']}: {rates[row['key']]:.1f} invites/s before, {row['extra']['invitesPerSecond']:.1f} now"
            for row in report["rows"]
            if row["key"] in rates and "invitesPerSecond" in row.get("extra", {})
        ]
        lines.append("")
    lines += [
        "## How it was measured",
        "",
        "- Latency is measured by the client, per HTTP call to a local functions host on 127.0.0.1; the 'through the Static "
        "Web Apps emulator' row puts the emulator (`swa start`, as `devtools/run.sh` runs it) in front of the same host. "
        "plex.tv requests per operation are read from the Plex simulator's request counts.",
        "- Storage per operation (requests, entities read, entities written) is counted by `StorageMeter` "
        "(`shared/storage/tables.py`) at the HTTP transport of the app's own Tables client: the app's handlers run in the "
        "benchmark's process, with the hosts' settings, on the same Azurite and simulator, "
        f"{STORAGE_SAMPLES} operations after a warm-up. Each request is a billed Table Storage transaction; an entity counts "
        "as read when a point read finds it or a query page returns it, and as written when an insert, update, merge or "
        "delete (each one of a batch) succeeds.",
        "- The phases of a warm invite are timed in the same way in this process: every call the invite service makes on "
        "its dependencies is timed, and the phases are the time before the plex.tv request, the request, and the time "
        "after it. Calls in one phase run side by side, so their times overlap.",
        "- The guest page's first load is one headless Chromium visit with an empty cache through the emulator, counted "
        "until the network is idle; bytes are the answers' bodies, uncompressed.",
        "- Import time: a fresh interpreter per run. The target row reads the app's bytecode compiled once (as any process "
        "that can keep its bytecode); the next row compiles the source on every run, as this machine's "
        "`PYTHONDONTWRITEBYTECODE` makes the functions hosts here do. CPU time beside wall time shows how much of a slow "
        "run was other work on the machine.",
        "- The simulator adds the injected latency to every Plex request (plex.tv and the Plex Media Server alike).",
        "- The baseline runs in the benchmark's own process with plexapi unmodified: per invite it signs in "
        "(`MyPlexAccount`), connects to the server (`resource(name).connect()`), lists the libraries and calls "
        "`inviteFriend` with their names, as the old app did for every request.",
        "- Cold first invite: a new functions host process per run, on tables that already exist. The time until the process "
        "answers HTTP is in the notes, not in the latency; the import time of `function_app` is its own row.",
        "- Log rows are written straight into the host's invite log table, 100 per transaction, in the format the app writes.",
        "- Throughput: 32 client threads in the benchmark's process, round-robin over 2 functions hosts that share Azurite and "
        "the simulator. With 'own address' each client sends its own `X-Forwarded-For` address, as if each were a different "
        "guest behind the platform's front end; with 'no address' none is sent, so every invite counts against the same "
        "rate-limit entity. Afterwards the invite log rows and the simulator's shares for those identifiers are counted. "
        "The hosts, Azurite, the simulator and the clients all share the machine's cores.",
        "- The local servers (`devtools/http_base.py`) set TCP_NODELAY: they write headers and body separately, and with "
        "Nagle's algorithm on, each response on a kept-alive connection would wait about 40 ms for a delayed ACK.",
        "- Storage is Azurite, in memory, on the same machine: absolute storage times differ from Azure Table Storage.",
        "",
    ]
    return "\n".join(lines)


def invite_time_notes(report: dict[str, Any]) -> list[str]:
    """Where a warm invite's milliseconds over the plex.tv round trip go, from the rows this run measured."""
    by_key = {r["key"]: r for r in report["rows"]}
    needed = ("warm_invite", "invite_in_process", "invite_before_plex", "invite_plex", "invite_after_plex")
    if not all(by_key.get(key, {}).get("latency") for key in needed):
        return []

    def p50(key: str) -> float:
        return float(by_key[key]["latency"]["p50_ms"])

    latency = float(report["plan"]["latencyMs"])
    storage = by_key["warm_invite"].get("extra", {}).get("storage") or {}
    over = p50("warm_invite") - latency
    host = p50("warm_invite") - p50("invite_in_process")
    lines = [
        "## Where a warm invite's time goes",
        "",
        f"p50 {p50('warm_invite'):.1f} ms = the injected plex.tv round trip ({latency:g} ms) + {over:.1f} ms:",
        "",
        f"- {p50('invite_before_plex'):.1f} ms of storage before plex.tv: one round, its requests side by side",
        f"- {p50('invite_plex') - latency:.1f} ms in the plex.tv call beyond the injected latency (plexapi, the simulator)",
        f"- {p50('invite_after_plex'):.1f} ms of storage after plex.tv: one round, its requests side by side",
        f"- {host:.1f} ms in the functions host, HTTP and JSON (the HTTP p50 less the in-process p50)",
    ]
    if storage:
        per_request = (p50("invite_before_plex") + p50("invite_after_plex")) / float(storage["requests"])
        lines += [
            "",
            f"The invite sends {storage_text(storage)} to Table Storage: {per_request:.1f} ms per request over both "
            "rounds. The requests of a round go out together, but here Azurite, one Node.js process, answers them one "
            "after another on the same 2 cores as the host, whose threads share one interpreter lock (each request costs "
            "about 1 ms of the SDK's CPU), so a round costs about the sum of its requests. On Table Storage each request "
            "of a round takes its own round trip at the same time, so a round costs about one storage round trip "
            "whatever the number of requests.",
        ]
    return [*lines, ""]


def _rates(report: dict[str, Any]) -> dict[str, float]:
    return {r["key"]: float(r["extra"]["invitesPerSecond"]) for r in report.get("rows", []) if "invitesPerSecond" in r.get("extra", {})}


def _plan_text(plan: dict[str, Any]) -> str:
    return (
        f"{'quick' if plan['quick'] else 'full'}; injected latency {plan['latencyMs']:g} ms; {plan['requests']} requests per "
        f"scenario; {plan['coldStarts']} cold starts; {plan['importRuns']} import runs; log {plan['logRows'][0]:,} and "
        f"{plan['logRows'][1]:,} rows; throughput {plan['throughputInvites']} invites from {plan['throughputClients']} "
        f"clients over {plan['throughputHosts']} hosts"
    )


def _row_from_json(data: dict[str, Any]) -> Row:
    latency = data.get("latency")
    return Row(
        data["key"],
        data["scenario"],
        data["ops"],
        data.get("plex_tv_per_op"),
        None if latency is None else LatencySummary(**latency),
        data.get("notes", ""),
        data.get("extra", {}),
    )


# -- main ----------------------------------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace, argv: Sequence[str], out: Callable[[str], None] = print) -> int:
    from shared.admin.passwords import hash_password
    from shared.config.settings import APP_SETTINGS

    plan = Plan(args)
    host = machine()  # before the stack adds its own load
    other_cpu = OtherCpu()
    progress = Progress()
    run_id = f"b{uuid.uuid4().hex[:8]}"
    overrides = sc.rate_limit_overrides(APP_SETTINGS)
    rate_limits = (
        "set high for the benchmark hosts: " + ", ".join(f"{k}={v}" for k, v in sorted(overrides.items()))
        if overrides
        else "none declared by the app (no RATE_LIMIT_* settings), nothing to set"
    )
    log_dir = ROOT / ".local" / "logs" / f"bench-{run_id}"
    password = secrets.token_urlsafe(16)
    stack = LocalStack(log_dir)
    previous_handlers = signal.signal(signal.SIGTERM, _stop_on_sigterm), signal.signal(signal.SIGINT, signal.default_int_handler)
    progress(f"run {run_id}; logs in {log_dir}")
    progress(f"rate limits: {rate_limits}")
    try:
        simulator_url = sc.start_simulator(stack, free_port(), plan.latency_ms / 1000).url
        azurite_port = free_port()
        stack.start_azurite(azurite_port)
        simulator = SimulatorClient(simulator_url)
        simulator.set_owner(shareLimit=10**9)  # the benchmark shares far more than Plex's usual limit
        bench = sc.Bench(
            run_id=run_id,
            latency_s=plan.latency_ms / 1000,
            simulator=simulator,
            azurite_connection_string=azurite_connection_string(azurite_port),
            log_dir=log_dir,
            admin_password=password,
            admin_password_hash=hash_password(password),
            extra_env=overrides,
        )
        progress(f"simulator and Azurite up (latency {plan.latency_ms:g} ms)")
        rows, targets = run_scenarios(plan, bench, stack, progress)
    except KeyboardInterrupt:
        print("\nInterrupted; stopping the stack.", file=sys.stderr)
        return 130
    except (RuntimeError, TimeoutError, OSError, requests.RequestException, AzureError) as exc:
        print(f"\nBenchmark failed: {exc}\nLogs: {log_dir}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        signal.signal(signal.SIGTERM, previous_handlers[0])
        signal.signal(signal.SIGINT, previous_handlers[1])
    wall = progress.elapsed()
    host["otherCpuSeconds"] = other_cpu.stop()
    host["otherCpuShare"] = None if host["otherCpuSeconds"] is None else host["otherCpuSeconds"] / (wall * (os.cpu_count() or 1))
    report = {
        "version": 1,
        "date": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "machine": host,
        "command": "devtools/bench.sh " + shlex.join(argv) if argv else "devtools/bench.sh",
        "flags": {"latencyMs": plan.latency_ms, "requests": args.requests, "quick": plan.quick, "out": str(args.out)},
        "plan": plan.describe(),
        "rateLimits": rate_limits,
        "settingsOverrides": overrides,
        "wallSeconds": wall,
        "rows": [row.to_json() for row in rows],
        "targets": [{"name": t.name, "status": t.status, "detail": t.detail} for t in targets],
        "targetLines": [t.line() for t in targets],
    }
    latest_json, latest_md, previous = write_results(results_dir(args), report)
    out("")
    out(render_table(rows))
    out("")
    for target in targets:
        out(target.line())
    out("")
    out(f"Rate limits: {rate_limits}.")
    out(
        f"{host['cores']} cores; other work on the machine: load average {host['loadAverage1m']} at the start; {_other_cpu_text(host)}; "
        f"{_plan_text(plan.describe())}."
    )
    out(f"Finished in {wall:.0f} s including stack start-up and shut-down.")
    out(f"Results: {_relative(latest_md)} and {_relative(latest_json)}" + ("; the run before is previous.*" if previous else ""))
    return 0  # a MISS is a finding, not a failure of the benchmark


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    sys.exit(run(parse_args(argv), argv))


if __name__ == "__main__":
    main()
