"""The benchmark's arithmetic and verdicts on fixed inputs (the benchmark itself is not run here)."""

import pytest

from devtools import benchmark
from devtools.bench_scenarios import HostClient, rate_limit_overrides
from devtools.bench_stats import (
    INFO,
    MISS,
    PASS,
    LatencySummary,
    Row,
    baseline_target,
    compare_p50,
    import_target,
    log_query_share,
    log_scaling_target,
    per_op,
    percentile,
    ratio,
    render_table,
    storage_info,
    summarize,
    throughput_target,
    warm_dashboard_target,
    warm_invite_budget_ms,
    warm_invite_target,
)


def test_percentile_interpolates_between_ranks():
    values = [40, 10, 30, 20]  # order doesn't matter
    assert percentile(values, 0) == 10
    assert percentile(values, 100) == 40
    assert percentile(values, 50) == 25
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0


def test_percentile_refuses_no_values_and_bad_q():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1, 2], 101)


def test_summary_of_one_to_a_hundred():
    summary = summarize([float(n) for n in range(1, 101)])
    assert summary == LatencySummary(count=100, p50_ms=50.5, p95_ms=pytest.approx(95.05), max_ms=100.0)


def test_ratio_and_per_op():
    assert ratio(300, 100) == 3
    assert ratio(1, 0) is None
    assert ratio(None, 5) is None
    assert per_op(7, 2) == 3.5
    with pytest.raises(ValueError):
        per_op(1, 0)


def test_warm_invite_budget_is_one_round_trip_plus_25_ms():
    assert warm_invite_budget_ms(100) == pytest.approx(125)
    assert warm_invite_target(1, 125.0, 100).status == PASS
    assert warm_invite_target(1, 125.1, 100).status == MISS
    assert warm_invite_target(2, 110.0, 100).status == MISS, "two plex.tv requests miss however fast"
    assert warm_invite_target(1, 30.0, 0).status == MISS  # 0 ms injected: 25 ms budget
    assert "RTT + 20.0 ms" in warm_invite_target(1, 120.0, 100).detail


def test_warm_dashboard_needs_no_plex_request_and_20_ms():
    assert warm_dashboard_target(0, 20.0).status == PASS
    assert warm_dashboard_target(0, 20.5).status == MISS
    assert warm_dashboard_target(0.01, 10.0).status == MISS


def test_import_needs_250_ms():
    assert import_target(250.0, 240.0).status == PASS
    missed = import_target(251.0, 240.0)
    assert missed.status == MISS
    assert "CPU p50 240 ms" in missed.detail


def test_storage_per_operation_is_reported_as_requests_and_entities():
    target = storage_info("warm invite", {"requests": 13, "entitiesRead": 1.5, "entitiesWritten": 9})
    assert target.status == INFO
    assert "13 requests, 1.50 entities read, 9 written" in target.detail


def test_log_scaling_within_1_2_times_and_the_same_entities_read():
    assert log_scaling_target(1_000, 100_000, 20.0, 24.0).status == PASS
    missed = log_scaling_target(1_000, 100_000, 20.0, 24.2)
    assert missed.status == MISS
    assert "1.21x" in missed.detail
    assert missed.name == "dashboard at 100,000 log rows vs 1,000"
    assert log_scaling_target(1_000, 100_000, 20.0, 21.0, 7, 7).status == PASS
    grew = log_scaling_target(1_000, 100_000, 20.0, 21.0, 7, 27)
    assert grew.status == MISS, "reading more entities with a bigger log misses however fast"
    assert "entities read per call 27 vs 7" in grew.detail


def test_log_query_share_reports_the_query_at_both_sizes_and_when_it_runs():
    target = log_query_share(1_000, 100_000, 31.0, [4.0, 19.0])
    assert target.status == INFO
    assert "4.0 -> 19.0 ms" in target.detail
    assert "p50 31.0 ms at 100,000 rows" in target.detail


def test_throughput_needs_no_errors_and_every_invite_logged_and_shared():
    assert throughput_target(100, 0, 100, 100).status == PASS
    assert throughput_target(100, 1, 100, 100).status == MISS
    assert throughput_target(100, 0, 99, 100).status == MISS
    assert throughput_target(100, 0, 100, 99).status == MISS
    assert throughput_target(0, 0, 0, 0).status == MISS


def test_the_old_apps_invite_must_take_six_times_ours():
    target = baseline_target(800.0, 160.0, 20.0)
    assert target.status == MISS
    assert "5.00x a warm invite" in target.detail
    assert "40.00x a warm dashboard" in target.detail
    assert baseline_target(780.0, 130.0, 20.0).status == PASS


def test_table_has_one_line_per_row_and_dashes_for_missing_values():
    storage = {"requests": 13, "entitiesRead": 1, "entitiesWritten": 9}
    rows = [
        Row("warm_invite", "warm invite", 3, 1, summarize([100.0, 110.0, 120.0]), "note", {"storage": storage}),
        Row("import_time", "import", 2, None, None),
    ]
    lines = render_table(rows).splitlines()
    assert len(lines) == 4
    assert "110.0" in lines[2] and "120.0" in lines[2]
    assert "13 / 1 / 9" in lines[2]
    assert lines[3].count(" - ") == 5


def test_compare_p50_matches_scenarios_by_key():
    now = [Row("a", "A", 1, 0, summarize([110.0])).to_json(), Row("b", "B", 1, 0, summarize([5.0])).to_json()]
    before = [Row("a", "A", 1, 0, summarize([100.0])).to_json()]
    assert compare_p50(now, before) == [("A", 100.0, 110.0, pytest.approx(10.0))]


def test_rate_limit_settings_are_set_high_but_windows_are_left_alone():
    overrides = rate_limit_overrides(
        {"RATE_LIMIT_INVITES_PER_MINUTE": "", "RATE_LIMIT_WINDOW_SECONDS": "", "RATE_LIMIT_ENABLED": "", "PLEX_TOKEN": ""}
    )
    assert overrides == {"RATE_LIMIT_INVITES_PER_MINUTE": "1000000"}


def test_clients_only_talk_to_localhost():
    with pytest.raises(RuntimeError):
        HostClient("http://example.com:7071")


def test_quick_plan_is_smaller():
    quick = benchmark.Plan(benchmark.parse_args(["--quick"]))
    full = benchmark.Plan(benchmark.parse_args([]))
    assert (quick.requests, quick.cold_starts, quick.large_log) == (20, 3, 10_000)
    assert (full.requests, full.cold_starts, full.large_log) == (100, 10, 100_000)
    assert full.latency_ms == 100


def _report(p50, rate):
    rows = [
        Row("warm_invite", "warm invite", 3, 1, summarize([p50]), "").to_json(),
        Row("throughput", "throughput", 10, 1, summarize([p50]), "", {"invitesPerSecond": rate}).to_json(),
    ]
    return {
        "date": "2026-01-01T00:00:00Z",
        "machine": {"cores": 2, "platform": "Linux", "python": "3.11", "loadAverage1m": 0.1, "otherCpuSeconds": 3.0, "otherCpuShare": 0.15},
        "command": "devtools/bench.sh",
        "plan": benchmark.Plan(benchmark.parse_args([])).describe(),
        "rateLimits": "none",
        "wallSeconds": 10.0,
        "rows": rows,
        "targetLines": ["PASS  warm invite: ..."],
    }


def test_results_keep_the_run_before_and_compare_with_it(tmp_path):
    benchmark.write_results(tmp_path, _report(100.0, 40.0))
    _, latest_md, previous = benchmark.write_results(tmp_path, _report(150.0, 50.0))
    assert previous is not None and previous["rows"][0]["latency"]["p50_ms"] == 100.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "latest.md", "previous.json", "previous.md"]
    text = latest_md.read_text()
    assert "| warm invite | 100.0 | 150.0 | +50% |" in text
    assert "40.0 invites/s before, 50.0 now" in text
    assert "PASS  warm invite" in text
    assert "other processes used 3 CPU-seconds during the run (15% of the machine)" in text
