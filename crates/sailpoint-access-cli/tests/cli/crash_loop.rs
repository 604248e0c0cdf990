//! The crash loop: `sail-access submit --journal` killed with SIGKILL at
//! random instants, again and again, over 300 rows against a sandbox with
//! latency and a listing delay, and resumed each time; then resumed once
//! more to the end. Every row is submitted exactly once, none is unknown,
//! and the last run exits 0, without `--resend-unknown`: a request whose
//! key stayed unlisted for the grace is sent again on that evidence.

use std::process::Stdio;
use std::time::{Duration, Instant};

use sailpoint_access_sandbox::{FaultConfig, Latency, Operations};

use crate::harness::{wait, Tenant};

const ROWS: usize = 300;
/// The sandbox lists a new request this long after accepting it; the
/// grace (`--reconcile-grace 1`, in seconds) covers it several times over.
const LISTING_DELAY: Duration = Duration::from_millis(150);

#[test]
fn killed_at_random_instants_and_resumed_every_row_is_submitted_exactly_once() {
    let t = Tenant::start_with("crash-loop", |b| {
        b.faults(FaultConfig {
            latency: Some(Latency::new(Duration::from_millis(8)).on(Operations::API)),
            ..FaultConfig::default()
        })
        .visibility_delay(LISTING_DELAY)
    });
    let mut text = "identity,type,id,comment,start,end,metadata\n".to_owned();
    for i in 0..ROWS {
        text.push_str(&format!("user-{i:03},entitlement,ent-{},,,,\n", i % 5));
    }
    let plan = t.write("plan.csv", &text);
    let journal = t.dir.join("crash.journal.jsonl");
    let args = |resume: bool| {
        let mut args = vec![
            "submit".to_owned(),
            plan.to_str().unwrap().to_owned(),
            "--journal".to_owned(),
            journal.to_str().unwrap().to_owned(),
            "--concurrency".to_owned(),
            "2".to_owned(),
            "--reconcile-grace".to_owned(),
            "1".to_owned(),
        ];
        if resume {
            args.push("--resume".to_owned());
        }
        args
    };
    let journal_lines =
        || std::fs::read(&journal).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
    let seed = std::env::var("CRASH_LOOP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5a11_0c1a);
    let mut rng = fastrand::Rng::with_seed(seed);
    let started = Instant::now();
    let mut kills = 0;
    let mut finished = false;
    // A kill lands at a random time, or earlier, once the journal has grown
    // by a random 1 to 4 lines: every run is cut short mid-work, whatever
    // the machine's speed.
    for round in 0..45 {
        let argv = args(journal.exists());
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let mut command = t.command(&argv);
        command.stdout(Stdio::null()).stderr(Stdio::null());
        let lines_before = journal_lines();
        let mut child = command.spawn().expect("spawn");
        let deadline = Instant::now() + Duration::from_millis(rng.u64(100..1500));
        let grow_by = rng.usize(1..=4);
        while Instant::now() < deadline
            && journal_lines() < lines_before + grow_by
            && child.try_wait().expect("try_wait").is_none()
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            assert_eq!(status.code(), Some(0), "round {round}: exit {status}");
            finished = true;
            break;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        kills += 1;
        if started.elapsed() > Duration::from_secs(150) {
            break;
        }
    }
    // Once more to the end (unless a run already got through on its own).
    let argv = args(true);
    let mut argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    argv.extend(["-o", "json"]);
    let last = wait(
        t.command(&argv).spawn().expect("spawn"),
        Duration::from_secs(120),
    );
    last.expect(0);
    let report = last.json();
    let totals = &report["totals"];
    assert_eq!(totals["submitted"], ROWS, "{totals} {}", last.stderr);
    assert_eq!(totals["unknown"], 0, "{totals}");
    // Rows the killed runs got accepted before the last one.
    let by_killed_runs = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["done_by"] == "earlier_run")
        .count();
    let counts = t.counts();
    let duplicates: Vec<_> = counts.iter().filter(|(_, &n)| n > 1).collect();
    let lost = (0..ROWS)
        .filter(|i| {
            !counts.contains_key(&(
                format!("user-{i:03}"),
                format!("ent-{}", i % 5),
                "GRANT_ACCESS".to_owned(),
            ))
        })
        .count();
    eprintln!(
        "FIGURES cli-crash-loop: seed={seed} rows={ROWS} kills={kills} finished_alone={finished} by_killed_runs={by_killed_runs} \
         statuses={} duplicates={} lost={lost} accepted_requests={} secs={:.1}",
        counts.values().sum::<usize>(),
        duplicates.len(),
        t.handle.access_requests_accepted(),
        started.elapsed().as_secs_f64()
    );
    assert!(kills >= 30, "the CLI was killed only {kills} times");
    assert!(by_killed_runs > 0, "the killed runs did nothing");
    assert!(duplicates.is_empty(), "{duplicates:?}");
    assert_eq!(lost, 0);
    assert_eq!(counts.values().sum::<usize>(), ROWS);
}
