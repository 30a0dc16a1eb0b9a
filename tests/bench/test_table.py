"""bench/table.py reads the benchmarks' lines as they are (their formats vary) into one table:
the figure, the baseline, the ratio, the target and whether it was met; the harness's order and
commands (bench/harness.py). No benchmark runs here."""

from __future__ import annotations

import argparse
import json

from bench import harness, table

SWEEP_GROWTH = {"bench": "sweep_growth", "crossings": 2000, "figure": "sweep at 1000000 tasks, ms",
                "sweep_ms": 920.9, "baseline": "sweep at 100000 tasks, ms", "baseline_ms": 836.7,
                "ratio": 1.1, "target": "< 1.5"}
SWEEP_IDLE = {"bench": "sweep_idle", "tasks": 1000000, "figure": "sweep with nothing to do, ms",
              "idle_sweep_ms": 29.93, "baseline": "sweep with 2000 crossings, ms",
              "baseline_ms": 920.9, "ratio": 0.033, "target": "< 1000 ms"}
INTAKE = {"bench": "intake", "tasks": 1000000, "figure": "services.task_report p50/p99 ms",
          "p50_ms": 14.83, "p99_ms": 31.25, "mean_ms": 15.95,
          "baseline": "bare INSERT of the same row", "baseline_p50_ms": 0.855,
          "baseline_p99_ms": 1.3, "ratio_p50": 17.3, "ratio_p99": 24.0,
          "target": "ratio_p50 <= 3"}
API = {"bench": "api_list", "tasks": 1000000, "role": "street_leader",
       "figure": "GET /api/v1/tasks/ (page of 50)", "api_per_s": 21.2, "api_p50_ms": 370.2,
       "baseline": "bare Django view", "bare_per_s": 40.7, "bare_p50_ms": 195.2,
       "ratio_throughput": 0.52, "ratio_p50": 1.9, "target": "ratio_throughput >= 0.7",
       "load_before": [0.9, 1.0, 1.1], "load_after": [4.6, 2.0, 1.2]}
LOAD = {"bench": "load", "tasks": 1000000, "figure": "scripted mix", "requests": 372,
        "per_s": 12.1, "p50_ms": 422.3, "errors": 2, "target": "errors == 0"}
PATROLS = {"bench": "patrols", "figure": "coverage of every road and grid (ms, median)",
           "selector_ms": 88.0, "hand_written_sql_ms": 64.5, "ratio": 1.37}
PAGE = {"bench": "page_weight", "page": "/m/", "tasks": 200, "figure": "first visit",
        "figure_value": 45.7, "unit": "KB", "baseline": "no tasks", "baseline_value": 41.0,
        "ratio": 1.11, "target": "< 60 KB", "limit": "htmx (16.5 KB)"}
CONSOLE = {"bench": "console", "page": "dashboard", "figure": "dashboard at 1M, ms",
           "figure_ms": 320.0, "baseline": "at 100k", "baseline_ms": 200.0, "ratio": 1.6,
           "target": "<= 300 ms"}


def cells(line: dict) -> dict:
    got = table.row(line)
    assert got is not None
    return dict(zip(table.COLUMNS, got, strict=True))


def test_every_current_line_format_gives_its_figure_baseline_ratio_and_verdict():
    growth = cells(SWEEP_GROWTH)
    assert growth["figure"].startswith("921 ms")
    assert growth["baseline"].startswith("837 ms")
    assert (growth["ratio"], growth["met"]) == ("1.1", "met")
    idle = cells(SWEEP_IDLE)  # a target in ms is checked against the figure, not the ratio
    assert idle["figure"].startswith("29.9 ms") and idle["met"] == "met"
    intake = cells(INTAKE)  # the target names the ratio key; p99 and mean are not the figure
    assert intake["figure"].startswith("14.8 ms")
    assert intake["baseline"].startswith("0.855 ms")
    assert intake["ratio"] == "17.3 (ratio_p50)" and intake["met"] == "**missed**"
    api = cells(API)
    assert api["benchmark"] == "api_list (role street_leader, tasks 1M)"
    assert api["figure"].startswith("21.2/s") and api["baseline"].startswith("40.7/s")
    assert api["met"] == "**missed**"  # 0.52 < 0.7
    assert api["load average"] == "0.9 → 4.6"
    load = cells(LOAD)  # the target names the key that is the figure
    assert load["figure"].startswith("errors 2") and load["met"] == "**missed**"
    patrols = cells(PATROLS)  # no target, no baseline key: its two measurements
    assert patrols["figure"].startswith("88 ms") and patrols["baseline"].startswith("64.5 ms")
    assert patrols["met"] == "?"
    page = cells(PAGE)
    assert page["figure"].startswith("45.7 KB") and page["met"] == "met"
    assert page["what limits it"] == "htmx (16.5 KB)"
    console = cells(CONSOLE)
    assert console["met"] == "**missed**"  # 320 ms > 300 ms, whatever the ratio


def test_an_explicit_verdict_wins_and_non_figures_are_left_out():
    assert cells({**CONSOLE, "met": True})["met"] == "met"
    assert cells({**PAGE, "ok": False})["met"] == "**missed**"
    assert table.row({"harness": "start", "tasks": 100}) is None
    assert table.row({"bench": "patrols", "city": {"patrols": 10}}) is None


def test_the_table_has_one_row_per_figure_and_one_per_failed_benchmark(tmp_path):
    path = tmp_path / "run.jsonl"
    records = [{"harness": "start", "tasks": 1000000, "load": [1.0, 1.0, 1.0]}, INTAKE, API,
               {"harness": "bench", "name": "intake", "exit": 1, "seconds": 9},
               {"harness": "bench", "name": "maps_reports", "exit": 2, "seconds": 3}]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n# a comment\nnot json\n")
    text = table.table(table.read(path))
    rows = text.splitlines()
    assert rows[0] == "| " + " | ".join(table.COLUMNS) + " |"
    assert len(rows) == 2 + 3
    assert "intake (tasks 1M)" in rows[2] and "api_list" in rows[3]
    assert "maps_reports" in rows[4] and "failed (exit 2)" in rows[4]


def test_the_harness_runs_the_load_test_last_and_the_sweep_at_both_sizes():
    names = harness.order(["load", "page_weight", "intake", "sweep", "newbench", "patrols"])
    assert names == ["sweep", "intake", "newbench", "patrols", "page_weight", "load"]
    args = argparse.Namespace(tasks=1_000_000, crossings=None, seconds=5.0, concurrency=None,
                              workers=None, days=None)
    assert "--tasks" not in harness.command("sweep", args)
    assert "--tasks" not in harness.command("console", args)
    assert "--tasks" not in harness.command("page_weight", args)
    assert harness.command("intake", args)[-4:] == ["--tasks", "1000000", "--seconds", "5.0"]
    args.tasks = 100_000
    assert harness.command("sweep", args)[-4:-2] == ["--tasks", "100000"]
