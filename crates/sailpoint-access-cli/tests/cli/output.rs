//! What goes where: data on stdout, logs on stderr, and a closed stdout
//! (`| head`) ends the command quietly.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use crate::harness::{wait, Tenant};

#[test]
fn verbose_logs_go_to_stderr_and_stdout_stays_data() {
    let t = Tenant::start("verbose");
    let run = t.run(&["-vv", "config", "get"]);
    run.expect(0);
    assert_eq!(run.json(), t.handle.config_json());
    assert!(!run.stderr.is_empty(), "no logs with -vv");
}

/// Reads `lines` lines of `sail-access status -o output`, then closes the
/// pipe, as `| head -n lines` does.
fn status_read_then_closed(t: &Tenant, output: &str, lines: usize) -> crate::harness::Run {
    let mut child = t.command(&["status", "-o", output]).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    for _ in 0..lines {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "{output}: too few lines"
        );
    }
    drop(reader);
    wait(child, Duration::from_secs(60))
}

#[test]
fn a_closed_stdout_ends_status_quietly_with_exit_0() {
    // Far more than a pipe buffers, so the writes after the close fail.
    let t = Tenant::start_with("closed-stdout", |b| b.seed_statuses(3000));
    for output in ["table", "csv", "jsonl", "json"] {
        let out = status_read_then_closed(&t, output, 3);
        out.expect(0);
        assert!(!out.stderr.contains("error"), "{output}: {}", out.stderr);
    }
}
