//! `cargo xtask bench`: builds `sailpoint-access-bench` in release, runs each
//! scenario in its own process, and writes `BENCHMARKS.md` with the method,
//! the machine and the figures, each against a baseline from the same run.

use std::path::PathBuf;
use std::time::Instant;

use crate::spec::workspace_root;

mod budget;
mod measure;
mod peers;
mod render;

use measure::*;
use render::*;

pub(super) const BIN: &str = "sailpoint-access-bench";

struct Options {
    quick: bool,
    /// `--peers`: only the peers section (this SDK against the Python and
    /// TypeScript SDKs), spliced into the existing file.
    peers: bool,
    /// `--budget`: only the shared rate budgets section, spliced into the
    /// existing file.
    budget: bool,
    build_cost: bool,
    out: Option<PathBuf>,
}

fn parse(args: &[&str]) -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        peers: false,
        budget: false,
        build_cost: true,
        out: None,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match *arg {
            "--quick" => options.quick = true,
            "--peers" => options.peers = true,
            "--budget" => options.budget = true,
            "--no-build-cost" => options.build_cost = false,
            "--out" => {
                let path = iter.next().ok_or("--out needs a path")?;
                options.out = Some(PathBuf::from(path));
            }
            other => return Err(format!("bench: unknown option {other}")),
        }
    }
    // A smoke run never measures build cost, and never overwrites the real figures.
    if options.quick {
        options.build_cost = false;
    }
    // The peers need installs from the package registries: never in a smoke run.
    if options.quick && options.peers {
        return Err("bench: --peers and --quick do not go together".into());
    }
    Ok(options)
}

/// Writes one section, run apart from the others (`lead` is its text up
/// to "Run"), into the existing file at `out_path`, naming the machine.
fn splice_alone(
    out_path: &std::path::Path,
    title: &str,
    lead: &str,
    option: &str,
    end: &str,
) -> Result<(), String> {
    let m = machine();
    let section = format!(
        "{lead} on {} by `cargo xtask bench {option}`, apart from the other sections: {} ({} \
         logical cores), {}, Linux {}.{end}",
        now(),
        m.cpu,
        m.cores,
        m.memory,
        m.kernel
    );
    let old = std::fs::read_to_string(out_path).unwrap_or_default();
    std::fs::write(out_path, budget::splice_section(&old, title, &section))
        .map_err(|e| format!("cannot write {}: {e}", out_path.display()))?;
    eprintln!("bench: wrote the {title} section of {}", out_path.display());
    Ok(())
}

/// Stands in the header for the run's wall time, known only at the end.
pub(super) const ELAPSED: &str = "{elapsed}";

pub fn run(args: &[&str]) -> Result<(), String> {
    let started = Instant::now();
    let options = parse(args)?;
    let counts = Counts::new(options.quick);
    let root = workspace_root();
    let out_path = options.out.clone().unwrap_or_else(|| {
        if options.quick {
            target_dir(&root).join("BENCHMARKS-quick.md")
        } else {
            root.join("BENCHMARKS.md")
        }
    });

    eprintln!("bench: building {BIN} (release)");
    run_checked(
        cargo()
            .current_dir(&root)
            .args(["build", "--release", "--quiet", "-p", BIN, "--bin", BIN]),
        "release build",
    )?;
    let bin = target_dir(&root).join("release").join(BIN);
    if options.peers {
        let section = peers::section(&root, &target_dir(&root), &bin);
        let lead = format!("{section}Peers run");
        return splice_alone(&out_path, "Peers", &lead, "--peers", "\n");
    }
    if options.budget {
        let section = budget::section(&bin, options.quick)?;
        let lead = format!("{section}Run");
        return splice_alone(&out_path, budget::TITLE, &lead, "--budget", "\n\n");
    }
    let machine = machine();
    let date = now();
    let load_start = load();
    let s = |v: usize| v.to_string();

    let overhead = Run::start(
        &bin,
        &[
            "overhead".into(),
            "--calls".into(),
            s(counts.calls),
            "--warmup".into(),
            s(counts.warmup),
        ],
    )?;
    let latency = Run::start(
        &bin,
        &[
            "pagination-latency".into(),
            "--statuses".into(),
            s(counts.statuses),
            "--latency-ms".into(),
            "20".into(),
            "--runs".into(),
            s(counts.latency_runs),
        ],
    )?;
    let bare = Run::start(
        &bin,
        &[
            "pagination-bare".into(),
            "--statuses".into(),
            s(counts.statuses),
            "--runs".into(),
            s(counts.bare_runs),
        ],
    )?;
    // Sizes alternate so that drift in the machine's load hits both alike.
    let mut memory: [Vec<Run>; 2] = Default::default();
    for _ in 0..counts.memory_runs {
        for (i, size) in counts.memory_sizes.iter().enumerate() {
            memory[i].push(Run::start(
                &bin,
                &["memory".into(), "--statuses".into(), s(*size)],
            )?);
        }
    }
    let decode = Run::start(
        &bin,
        &["decode".into(), "--iters".into(), s(counts.decode_iters)],
    )?;
    // (6) and (7): the rate-limited scenarios; `--quick` shrinks their own
    // defaults, and the explicit counts below still apply.
    let quick_flag = || -> Vec<String> {
        if options.quick {
            vec!["--quick".into()]
        } else {
            Vec::new()
        }
    };
    let mut bulk_args = vec!["bulk-grant".to_owned()];
    bulk_args.extend(quick_flag());
    bulk_args.extend([
        "--rows".into(),
        s(counts.bulk_rows),
        "--runs".into(),
        s(counts.bulk_runs),
    ]);
    let bulk = Run::start(&bin, &bulk_args)?;
    let mut ceiling_args = vec!["rate-ceiling".to_owned()];
    ceiling_args.extend(quick_flag());
    ceiling_args.extend(["--runs".into(), s(counts.ceiling_runs)]);
    let ceiling = Run::start(&bin, &ceiling_args)?;
    let load_end = load();
    let build = if options.build_cost {
        Some(build_cost(&root))
    } else {
        None
    };

    let report = Report {
        quick: options.quick,
        counts: &counts,
        machine: &machine,
        date: &date,
        load: [&load_start, &load_end],
        overhead: &overhead,
        latency: &latency,
        bare: &bare,
        memory: &memory,
        decode: &decode,
        bulk: &bulk,
        ceiling: &ceiling,
        build: build.as_ref(),
    }
    .render()?;
    // The peers need installs from the package registries: a smoke run leaves them out.
    let report = if options.quick {
        report
    } else {
        let section = peers::section(&root, &target_dir(&root), &bin);
        peers::splice(&report, &format!("{section}Peers run on {}.\n", now()))
    };
    let report = budget::splice_section(
        &report,
        budget::TITLE,
        &format!(
            "{}Run on {}.\n\n",
            budget::section(&bin, options.quick)?,
            now()
        ),
    );
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let report = report.replacen(ELAPSED, &format!("{minutes:.0} minutes"), 1);
    std::fs::write(&out_path, report)
        .map_err(|e| format!("cannot write {}: {e}", out_path.display()))?;
    eprintln!("bench: wrote {}", out_path.display());
    Ok(())
}
