//! Runs every scenario of the bench binary with tiny counts and checks the
//! shape of its JSON lines. No timing is asserted: these are not timed tests.

use std::process::Command;

use serde_json::Value;

fn run(args: &[&str]) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_sailpoint-access-bench"))
        .args(args)
        .output()
        .expect("the bench binary starts");
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect();
    assert_eq!(
        lines[0]["kind"], "meta",
        "{args:?} starts with its parameters"
    );
    assert!(lines.iter().all(|l| l["scenario"] == args[0]));
    lines
}

fn find<'a>(lines: &'a [Value], kind: &str, name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["kind"] == kind && l["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {lines:#?}"))
}

fn assert_series(lines: &[Value], name: &str, n: u64) {
    let s = find(lines, "series", name);
    assert_eq!(s["n"], n, "{name}");
    assert!(s["unit"].is_string(), "{name}");
    for key in ["median", "mean", "min", "p1", "p25", "p75", "p99", "max"] {
        let v = s[key].as_f64().unwrap_or_else(|| panic!("{name}.{key}"));
        assert!(v.is_finite() && v > 0.0, "{name}.{key} = {v}");
    }
    let (min, median, max) = (s["min"].as_f64(), s["median"].as_f64(), s["max"].as_f64());
    assert!(min <= median && median <= max, "{name}: {s}");
}

fn assert_value(lines: &[Value], name: &str) -> f64 {
    let v = find(lines, "value", name)["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("{name} is a number"));
    assert!(v.is_finite() && v >= 0.0, "{name} = {v}");
    v
}

#[test]
fn overhead_reports_facade_bare_and_generated() {
    let lines = run(&[
        "overhead",
        "--calls",
        "6",
        "--warmup",
        "1",
        "--seed-statuses",
        "250",
    ]);
    for name in [
        "config_get.facade",
        "config_get.bare",
        "config_get.generated",
        "list_page.facade",
        "list_page.bare",
    ] {
        assert_series(&lines, name, 6);
    }
}

#[test]
fn pagination_with_latency_reports_each_mode_and_speedups() {
    let lines = run(&[
        "pagination-latency",
        "--statuses",
        "1000",
        "--latency-ms",
        "1",
        "--runs",
        "2",
    ]);
    for name in [
        "items_per_s.sequential",
        "items_per_s.prefetch4",
        "items_per_s.prefetch8",
        "speedup.prefetch4",
        "speedup.prefetch8",
    ] {
        assert_series(&lines, name, 2);
    }
}

#[test]
fn pagination_against_bare_reports_both_and_the_ratio() {
    let lines = run(&["pagination-bare", "--statuses", "600", "--runs", "2"]);
    for name in [
        "items_per_s.facade",
        "items_per_s.bare",
        "time_ratio.facade_over_bare",
    ] {
        assert_series(&lines, name, 2);
    }
}

#[test]
fn memory_reports_rss_and_heap() {
    let lines = run(&["memory", "--statuses", "600"]);
    assert_eq!(assert_value(&lines, "items"), 600.0);
    for name in [
        "walk_seconds",
        "rss.hwm_before_kib",
        "rss.before_kib",
        "rss.after_kib",
    ] {
        assert_value(&lines, name);
    }
    assert!(assert_value(&lines, "rss.hwm_after_kib") > 0.0);
    assert!(assert_value(&lines, "page.heap_peak_bytes") > 0.0);
    assert!(assert_value(&lines, "page.json_bytes") > 0.0);
    assert!(assert_value(&lines, "heap.walk_peak_bytes") > 0.0);
}

#[test]
fn decode_reports_typed_and_value_throughput() {
    let lines = run(&["decode", "--iters", "3", "--pages", "1"]);
    assert!(assert_value(&lines, "bytes_per_sample") > 0.0);
    for name in [
        "mb_per_s.typed",
        "mb_per_s.value",
        "speed_ratio.typed_over_value",
    ] {
        assert_series(&lines, name, 3);
    }
}

/// A series whose samples may be zero (counts of 429s, waits).
fn assert_count_series(lines: &[Value], name: &str, n: u64) -> f64 {
    let s = find(lines, "series", name);
    assert_eq!(s["n"], n, "{name}");
    for key in ["median", "min", "max"] {
        let v = s[key].as_f64().unwrap_or_else(|| panic!("{name}.{key}"));
        assert!(v.is_finite() && v >= 0.0, "{name}.{key} = {v}");
    }
    s["median"].as_f64().unwrap_or_default()
}

#[test]
fn bulk_grant_quick_reports_planned_and_both_naive_baselines() {
    let lines = run(&["bulk-grant", "--quick"]);
    let rows = assert_value(&lines, "rows");
    assert_eq!(rows, 300.0);
    assert!(assert_value(&lines, "hires") > 0.0);
    assert!(assert_value(&lines, "allowed_per_s") > 0.0);
    let bound = assert_value(&lines, "plan.lower_bound");
    assert_eq!(assert_value(&lines, "plan.requests"), bound);
    assert_eq!(assert_value(&lines, "naive.requests"), rows);
    assert_value(&lines, "rss_reset");
    for phase in ["planned", "naive_unpaced", "naive_paced"] {
        for what in [
            "wall_s",
            "requests",
            "rate_per_s",
            "rate_ratio",
            "rss_hwm_kib",
        ] {
            assert_series(&lines, &format!("{phase}.{what}"), 1);
        }
        for what in [
            "responses_429",
            "wait_429_s",
            "other_retries",
            "dedupe_calls",
        ] {
            assert_count_series(&lines, &format!("{phase}.{what}"), 1);
        }
        let submitted = assert_count_series(&lines, &format!("{phase}.rows_submitted"), 1);
        assert_eq!(submitted, rows, "{phase}: every row submitted");
    }
    // Counts, not timings: the planner sends its plan plus one de-duplication
    // walk; the naive baseline one request per row and no walk.
    let planned = assert_count_series(&lines, "planned.requests", 1);
    assert_eq!(
        planned,
        bound + assert_count_series(&lines, "planned.dedupe_calls", 1)
    );
    assert_eq!(assert_count_series(&lines, "naive_paced.requests", 1), rows);
    assert_eq!(
        assert_count_series(&lines, "naive_paced.dedupe_calls", 1),
        0.0
    );
}

#[test]
fn rate_ceiling_quick_reports_each_phase() {
    let lines = run(&["rate-ceiling", "--quick", "--runs", "2"]);
    assert!(assert_value(&lines, "allowed_per_s") > 0.0);
    for phase in ["walk_paced", "walk_unpaced", "bulk_paced", "bulk_unpaced"] {
        for what in ["requests", "rate_per_s", "rate_ratio", "wall_s"] {
            assert_series(&lines, &format!("{phase}.{what}"), 2);
        }
        assert_count_series(&lines, &format!("{phase}.responses_429"), 2);
        assert_count_series(&lines, &format!("{phase}.wait_429_s"), 2);
    }
}

#[test]
fn quick_is_a_flag_that_other_options_override() {
    let lines = run(&["bulk-grant", "--quick", "--rows", "40", "--naive-runs", "0"]);
    assert_eq!(assert_value(&lines, "rows"), 40.0);
    assert_series(&lines, "planned.wall_s", 1);
    assert!(lines
        .iter()
        .all(|l| l["name"].as_str().is_none_or(|n| !n.starts_with("naive_"))));
}

#[test]
fn serve_takes_every_flag_of_the_sandbox_command_line() {
    let help = Command::new(env!("CARGO_BIN_EXE_sailpoint-access-bench"))
        .args(["serve", "--help"])
        .output()
        .expect("the bench binary starts");
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    let shared = {
        use clap::Args;
        sailpoint_access_sandbox::SandboxArgs::augment_args(clap::Command::new("flags"))
    };
    let flags: Vec<String> = shared
        .get_arguments()
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    assert!(flags.len() >= 20, "{flags:?}");
    for flag in flags {
        assert!(text.contains(&flag), "{flag} in {text}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_sailpoint-access-bench"))
        .args(["serve", "--window-ms", "10"])
        .output()
        .expect("the bench binary starts");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--rate-limit"));
}
