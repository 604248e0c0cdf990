//! `cargo xtask`: the project's own automation. Run `cargo xtask --help`.

mod bench;
mod codegen;
mod dispatch;
mod extensions;
mod lint;
mod open_enums;
mod spec;
mod spec_diff;
mod tables;
#[cfg(test)]
mod test_support;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <COMMAND>

Commands:
  codegen [--check]     Regenerate crates/sailpoint-access-api/src/generated.rs,
                        crates/sailpoint-access-httpmock/src/generated.rs and
                        crates/sailpoint-access-sandbox/src/generated.rs from
                        openapi/access-requests.yaml. With --check, write nothing:
                        exit 1 and print a diff when the checked-in files differ
                        from what the spec produces.
  lint-spec [PATH]      Structural checks of our spec (default: openapi/access-requests.yaml):
                        OpenAPI 3.0.x, unique operationIds with tags, every $ref
                        resolves, every 4xx/5xx uses the shared error schema, no
                        unused component, and well-formed x-replay and x-family
                        (every operation), x-same-as (a versioned operation naming
                        its v3 twin: same method, every family covered), x-limits
                        and x-rate-limit. Exit 1 when anything is found.
  spec-diff [--family F [--tag T]] OLD NEW
                        Semantic diff of two OpenAPI documents limited to the
                        operations of openapi/access-requests.yaml (of family F,
                        v3 or versioned, if given), in its order: operations,
                        parameters, properties, enum values, types and
                        required-ness that were added, removed or changed.
                        Operations are matched by operationId, else by method and
                        full path (server URL path + path key), so vendor bundles
                        that name them differently still match. OLD or NEW may be
                        our own spec, e.g. `--family versioned
                        openapi/access-requests.yaml isc-access-requests-v1.2026-08.yaml`.
  bench [--quick] [--no-build-cost] [--peers] [--out PATH]
                        Build crates/sailpoint-access-bench in release, run each
                        scenario (per-call overhead, pagination, memory, decode,
                        bulk grant, rate ceiling) in its own process against the
                        sandbox, time clean and incremental builds and codegen,
                        compare with the official Python and TypeScript SDKs
                        (installed under target/peers), and write BENCHMARKS.md.
                        --peers: only the peers, updating their section.
                        --quick: small counts, no build cost, no peers, written
                        to target/BENCHMARKS-quick.md unless --out is given.
  help, --help, -h      Show this text.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["bench", rest @ ..] => bench::run(rest),
        ["codegen"] => codegen::run(false),
        ["codegen", "--check"] => codegen::run(true),
        ["lint-spec"] => lint::run(&spec::workspace_root().join(spec::SPEC_PATH)),
        ["lint-spec", path] => lint::run(std::path::Path::new(path)),
        ["spec-diff", old, new] => {
            spec_diff::run(std::path::Path::new(old), std::path::Path::new(new), None)
        }
        ["spec-diff", "--family", family, old, new] => spec_diff::run(
            std::path::Path::new(old),
            std::path::Path::new(new),
            Some(family),
        ),
        ["spec-diff", "--family", family, "--tag", tag, old, new] => spec_diff::run_tagged(
            std::path::Path::new(old),
            std::path::Path::new(new),
            Some(family),
            Some(tag),
        ),
        [] | ["help"] | ["--help"] | ["-h"] => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown arguments {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
