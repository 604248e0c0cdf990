//! The "Shared rate budgets" section: the `shared-budget` scenario (several
//! processes of one client id, each pacing alone or through a shared
//! budget), rendered and spliced into `BENCHMARKS.md` beside the others.

use std::path::Path;

use serde_json::Value;

use super::measure::Run;

pub(super) const TITLE: &str = "Shared rate budgets";

/// Runs the scenario and renders its section.
pub(super) fn section(bin: &Path, quick: bool) -> Result<String, String> {
    let mut args = vec!["shared-budget".to_owned()];
    if quick {
        args.push("--quick".to_owned());
    }
    let run = Run::start(bin, &args)?;
    render(&run)
}

fn value(run: &Run, name: &str) -> Result<f64, String> {
    run.find("value", name)?["value"]
        .as_f64()
        .ok_or_else(|| format!("{name}: not a number"))
}

fn render(run: &Run) -> Result<String, String> {
    let meta = run
        .lines
        .iter()
        .find(|l| l["kind"] == "meta")
        .cloned()
        .unwrap_or(Value::Null);
    let params = &meta["params"];
    let limit = params["limit"].as_u64().unwrap_or(0);
    let redis = params["redis"].as_bool().unwrap_or(false);
    let run_s = params["run_ms"].as_f64().unwrap_or(0.0) / 1000.0;
    let mut md = format!("## {TITLE}\n\n");
    md.push_str(&format!(
        "Processes of one client id (`sailpoint-access-bench budget-worker`, 16 callers each, \
         started together after their token) against the sandbox at {limit} requests per 1 s \
         per client id with {} ms latency, for {run_s:.0} s; 429s are not retried, so each is \
         counted once. Rate ÷ allowed = successful requests per second (answers shifted by the \
         latency) ÷ the sandbox's limit. In-process: each process paces alone (the behaviour \
         before shared budgets). File: `--rate-budget file:DIR`. Redis: a local `redis-server`{}.\n\n",
        params["latency_ms"],
        if redis { "" } else { " (not installed on this machine: no Redis rows)" }
    ));
    md.push_str("| Budget | Processes | Rate ÷ allowed | Responses 429 |\n|---|---:|---:|---:|\n");
    let budgets: &[(&str, &str)] = if redis {
        &[
            ("in_process", "in-process"),
            ("file", "file"),
            ("redis", "Redis"),
        ]
    } else {
        &[("in_process", "in-process"), ("file", "file")]
    };
    for (key, label) in budgets {
        for p in [1, 2, 4] {
            let v = |what: &str| value(run, &format!("shared.{key}.p{p}.{what}"));
            md.push_str(&format!(
                "| {label} | {p} | {:.3} | {:.0} |\n",
                v("rate_ratio")?,
                v("responses_429")?
            ));
        }
    }
    md.push_str(&format!(
        "\nA tenant whose custom limit is 3× the default ({} per 1 s), configured with \
         `--rate-limit {}/1`, one process of 64 callers: rate ÷ allowed {:.3}, {:.0} responses 429.\n\n",
        limit * 3,
        limit * 3,
        value(run, "custom3x.rate_ratio")?,
        value(run, "custom3x.responses_429")?
    ));
    md.push_str(&format!(
        "A tenant at half the believed limit ({} per 1 s while the clients believe {limit}), \
         for {:.0} s: 429s per process (all of them, and those of the first half), and rate ÷ \
         the real limit over the second half, once settled.\n\n",
        limit / 2,
        run_s * 2.0
    ));
    md.push_str(
        "| Budget | Processes | 429s per process | of which first half | Rate ÷ real limit, second half |\n|---|---:|---:|---:|---:|\n",
    );
    for (key, label) in budgets {
        let v = |what: &str| value(run, &format!("half.{key}.{what}"));
        md.push_str(&format!(
            "| {label} | {:.0} | {:.1} | {:.1} | {:.3} |\n",
            v("processes")?,
            v("responses_429_per_process")?,
            v("responses_429_first_half_per_process")?,
            v("rate_ratio_second_half")?
        ));
    }
    let v = |what: &str| value(run, &format!("half.vendor_scale.{what}"));
    md.push_str(&format!(
        "| in-process, latency {:.0} ms | 1 | {:.1} | {:.1} | {:.3} |\n",
        v("latency_ms")?,
        v("responses_429_per_process")?,
        v("responses_429_first_half_per_process")?,
        v("rate_ratio_second_half")?
    ));
    md.push_str(
        "\nThe first 429 teaches the pacer the real limit (the slots that went through in the \
         window before the throttled one), and it resumes there after the pause. What that \
         costs is the requests already in flight when the quota ran out, about the believed \
         rate × the round trip: one process alone pays all of them, sharers split them. The \
         window here is 1 s for the vendor's 10 s, so at the same latency ten times as many \
         requests are in flight as on a real tenant; the last row shrinks the latency by the \
         same factor, which gives one process the in-flight count, and so the 429s, it would \
         have at the vendor's scale.\n",
    );
    md.push_str(&format!(
        "\nA burst of {:.0} calls queued at once behind the pacer (100 per 1 s) with a {:.0} s \
         total timeout: {:.0} sent, the others timed out unsent; then one more call: {} after \
         waiting {:.3} s.\n\n",
        value(run, "burst.calls")?,
        value(run, "burst.timeout_s")?,
        value(run, "burst.sent")?,
        if value(run, "burst.next_sent")? > 0.0 {
            "sent"
        } else {
            "NOT sent"
        },
        value(run, "burst.next_wait_s")?
    ));
    Ok(md)
}

/// Replaces the `## {title}` section of `md` (up to the next `## `
/// heading), or appends it.
pub(super) fn splice_section(md: &str, title: &str, section: &str) -> String {
    let heading = format!("## {title}\n");
    let Some(start) = md
        .find(&format!("\n{heading}"))
        .map(|i| i + 1)
        .or_else(|| md.starts_with(&heading).then_some(0))
    else {
        let mut out = md.trim_end().to_owned();
        out.push_str("\n\n");
        out.push_str(section);
        return out;
    };
    let rest = &md[start + 3..];
    let end = rest
        .find("\n## ")
        .map(|i| start + 3 + i + 1)
        .unwrap_or(md.len());
    let mut out = md[..start].to_owned();
    out.push_str(section);
    if end < md.len() {
        out.push_str(&md[end..]);
    }
    out
}
