"""Numbers and verdicts for the benchmark: percentiles, ratios, the targets, and the result table.

Pure functions only (no I/O), so the test suite can check them on fixed inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PASS = "PASS"
MISS = "MISS"
INFO = "INFO"

# A warm invite may take the injected plex.tv latency (one round trip) plus this much.
WARM_INVITE_ALLOWANCE_MS = 25.0
WARM_DASHBOARD_P50_MS = 20.0
LOG_SCALING_LIMIT = 1.2
IMPORT_P50_MS = 250.0
# The old app's invite p50 must be at least this many times ours.
BASELINE_RATIO = 6.0


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0-100), interpolating linearly between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be between 0 and 100, not {q}")
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float


def summarize(samples_ms: Sequence[float]) -> LatencySummary:
    return LatencySummary(len(samples_ms), percentile(samples_ms, 50), percentile(samples_ms, 95), max(samples_ms))


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is not positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def per_op(total: int, ops: int) -> float:
    if ops <= 0:
        raise ValueError("per_op needs at least one operation")
    return total / ops


@dataclass
class Row:
    """One line of the result table."""

    key: str
    scenario: str
    ops: int
    plex_tv_per_op: float | None = None
    latency: LatencySummary | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["latency"] = None if self.latency is None else asdict(self.latency)
        return data


@dataclass(frozen=True)
class Target:
    name: str
    status: str  # PASS, MISS or INFO
    detail: str

    def line(self) -> str:
        return f"{self.status}  {self.name}: {self.detail}"


def warm_invite_budget_ms(latency_ms: float) -> float:
    return latency_ms + WARM_INVITE_ALLOWANCE_MS


def warm_invite_target(plex_tv_per_op: float, p50_ms: float, latency_ms: float) -> Target:
    budget = warm_invite_budget_ms(latency_ms)
    ok = plex_tv_per_op == 1 and p50_ms <= budget
    return Target(
        "warm invite",
        PASS if ok else MISS,
        f"{_num(plex_tv_per_op)} plex.tv request(s) per invite (want 1), p50 {p50_ms:.1f} ms = RTT + {p50_ms - latency_ms:.1f} ms "
        f"(want <= {latency_ms:g} + {WARM_INVITE_ALLOWANCE_MS:g} = {budget:.0f} ms)",
    )


def import_target(p50_ms: float, cpu_p50_ms: float) -> Target:
    return Target(
        "import function_app",
        PASS if p50_ms <= IMPORT_P50_MS else MISS,
        f"p50 {p50_ms:.0f} ms (want <= {IMPORT_P50_MS:g} ms); CPU p50 {cpu_p50_ms:.0f} ms",
    )


def storage_info(name: str, storage: Mapping[str, float]) -> Target:
    return Target(f"storage per {name}", INFO, storage_text(storage) + " (what Table Storage bills; the same at any scale)")


def storage_text(storage: Mapping[str, float]) -> str:
    return (
        f"{_num(storage['requests'])} requests, {_num(storage['entitiesRead'])} entities read, {_num(storage['entitiesWritten'])} written"
    )


def warm_dashboard_target(plex_tv_per_op: float, p50_ms: float) -> Target:
    ok = plex_tv_per_op == 0 and p50_ms <= WARM_DASHBOARD_P50_MS
    return Target(
        "warm dashboard",
        PASS if ok else MISS,
        f"{_num(plex_tv_per_op)} plex.tv requests per call (want 0), p50 {p50_ms:.1f} ms (want <= {WARM_DASHBOARD_P50_MS:g} ms)",
    )


def log_scaling_target(
    small_rows: int,
    large_rows: int,
    small_p50_ms: float,
    large_p50_ms: float,
    small_read: float | None = None,
    large_read: float | None = None,
) -> Target:
    scale = ratio(large_p50_ms, small_p50_ms)
    same_reads = small_read is None or large_read is None or small_read == large_read
    ok = scale is not None and scale <= LOG_SCALING_LIMIT and same_reads
    reads = (
        ""
        if small_read is None or large_read is None
        else f"; entities read per call {_num(large_read)} vs {_num(small_read)} (want equal)"
    )
    return Target(
        f"dashboard at {large_rows:,} log rows vs {small_rows:,}",
        PASS if ok else MISS,
        f"p50 {large_p50_ms:.1f} ms vs {small_p50_ms:.1f} ms = {_ratio(scale)} (want <= {LOG_SCALING_LIMIT:g}x){reads}",
    )


def log_query_share(small_rows: int, large_rows: int, after_invite_p50_ms: float, query_p50s: Sequence[float]) -> Target:
    """The invite log's own query: what it costs on the storage emulator at both sizes (Azurite scans the whole
    partition for it; Table Storage reads one page), and the dashboard right after an invite, the one case that runs it."""
    small_query, large_query = query_p50s
    return Target(
        f"the dashboard's log query, {small_rows:,} vs {large_rows:,} rows",
        INFO,
        f"alone on this storage it takes p50 {small_query:.1f} -> {large_query:.1f} ms; a dashboard runs it only after an "
        f"invite moved the totals (then p50 {after_invite_p50_ms:.1f} ms at {large_rows:,} rows), never when nothing changed",
    )


def throughput_target(sent: int, errors: int, logged: int, shared: int, addresses: str = "") -> Target:
    ok = sent > 0 and errors == 0 and logged == sent and shared == sent
    return Target(
        f"throughput integrity{f' (client address: {addresses})' if addresses else ''}",
        PASS if ok else MISS,
        f"{errors} errors, {logged}/{sent} logged, {shared}/{sent} shared on the simulator (want 0 errors and all logged and shared)",
    )


def baseline_target(baseline_p50_ms: float, warm_invite_p50_ms: float, warm_dashboard_p50_ms: float) -> Target:
    times = ratio(baseline_p50_ms, warm_invite_p50_ms)
    return Target(
        "old app's invite vs ours",
        PASS if times is not None and times >= BASELINE_RATIO else MISS,
        f"p50 {baseline_p50_ms:.1f} ms = {_ratio(times)} a warm invite's p50 (want >= {BASELINE_RATIO:g}x), "
        f"{_ratio(ratio(baseline_p50_ms, warm_dashboard_p50_ms))} a warm dashboard's p50",
    )


# -- rendering -----------------------------------------------------------------------

TABLE_HEADER = ("scenario", "ops", "plex.tv req/op", "storage req / read / written per op", "p50 ms", "p95 ms", "max ms", "notes")


def table_cells(row: Row) -> tuple[str, ...]:
    latency = row.latency
    storage = row.extra.get("storage")
    return (
        row.scenario,
        str(row.ops),
        "-" if row.plex_tv_per_op is None else _num(row.plex_tv_per_op),
        "-" if not storage else f"{_num(storage['requests'])} / {_num(storage['entitiesRead'])} / {_num(storage['entitiesWritten'])}",
        "-" if latency is None else f"{latency.p50_ms:.1f}",
        "-" if latency is None else f"{latency.p95_ms:.1f}",
        "-" if latency is None else f"{latency.max_ms:.1f}",
        row.notes,
    )


def render_table(rows: Sequence[Row]) -> str:
    """A Markdown table with padded columns, readable on a terminal too."""
    cells = [TABLE_HEADER, *(table_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(TABLE_HEADER))]
    numeric = {1, 2, 3, 4, 5, 6}

    def line(values: Sequence[str]) -> str:
        padded = [v.rjust(w) if i in numeric else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join("-" * (w + 1) + (":" if i in numeric else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(cells[0]), separator, *(line(c) for c in cells[1:])])


def compare_p50(current: Sequence[Mapping[str, Any]], previous: Sequence[Mapping[str, Any]]) -> list[tuple[str, float, float, float]]:
    """(scenario, previous p50, current p50, change in %) for the scenarios both runs measured."""
    before = {r["key"]: r for r in previous if r.get("latency")}
    changes = []
    for row in current:
        old = before.get(row["key"])
        if not row.get("latency") or old is None:
            continue
        was, now = float(old["latency"]["p50_ms"]), float(row["latency"]["p50_ms"])
        changes.append((str(row["scenario"]), was, now, (now - was) / was * 100 if was else math.inf))
    return changes


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"
