//! How commands print: the formats of `--output` (and its `--json`
//! shorthand) on stdout, and `-q`, which keeps stderr to errors.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::table;

/// Formats of everything a command prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns, sized to their content.
    Table,
    /// One JSON document.
    Json,
    /// One JSON object a line.
    Jsonl,
    /// Comma-separated values with a header.
    Csv,
    /// One YAML document.
    Yaml,
}

/// `--output` and `--json`, for the commands that print a report or a list.
#[derive(Debug, Clone, Copy, Args)]
pub struct OutputArgs {
    /// How to print on stdout.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: Output,

    /// Same as --output json.
    #[arg(long, conflicts_with = "output")]
    pub json: bool,
}

impl OutputArgs {
    /// The format chosen.
    pub fn format(&self) -> Output {
        if self.json {
            Output::Json
        } else {
            self.output
        }
    }
}

static QUIET: AtomicBool = AtomicBool::new(false);

/// Keeps stderr to errors from now on (`-q`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `-q` was given.
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A note on stderr (a summary, a hint, a refused row already in the
/// report), which `-q` silences; errors are printed by `main` regardless.
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::output::is_quiet() {
            eprintln!($($arg)*);
        }
    };
}
pub(crate) use note;

/// A progress bar on stderr in the style of `template`, hidden without a
/// terminal or with -q.
pub fn progress_bar(len: Option<u64>, template: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    let target = if std::io::stderr().is_terminal() && !is_quiet() {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    };
    let bar = indicatif::ProgressBar::with_draw_target(len, target);
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// A CSV error as an i/o error of the same kind, so that a closed stdout
/// is still seen as one.
pub fn csv_io(e: csv::Error) -> std::io::Error {
    let kind = match e.kind() {
        csv::ErrorKind::Io(io) => io.kind(),
        _ => std::io::ErrorKind::Other,
    };
    std::io::Error::new(kind, e)
}

/// `value` as YAML text. In memory first: the YAML writer's error hides
/// the kind of an i/o error, and a closed stdout must still be seen as one.
pub fn yaml(value: &impl Serialize) -> std::io::Result<String> {
    serde_norway::to_string(value).map_err(std::io::Error::other)
}

/// A row of a report: its cells under the table's header.
pub trait Row: Serialize {
    /// The table's header; the csv's is the same, lower-cased, with `_`
    /// for spaces.
    const HEADER: &'static [&'static str];

    /// The row's cells, one a column of [`HEADER`](Self::HEADER).
    fn cells(&self) -> Vec<String>;
}

/// Declares a report row whose cells are its fields in order: a column is
/// `"HEADER" field: Type,`, its cell the field as text, or
/// `"HEADER" field: Type => text,` with `text` a `Fn(&Type) -> String`.
macro_rules! table_row {
    (@cell $value:expr) => {
        $value.to_string()
    };
    (@cell $value:expr, $text:expr) => {
        $crate::output::cell(&$value, $text)
    };
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $header:literal $field_vis:vis $field:ident: $ty:ty $(=> $text:expr)?,
            )*
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($(#[$field_meta])* $field_vis $field: $ty,)*
        }

        impl $crate::output::Row for $name {
            const HEADER: &'static [&'static str] = &[$($header),*];

            fn cells(&self) -> Vec<String> {
                vec![$($crate::output::table_row!(@cell self.$field $(, $text)?)),*]
            }
        }
    };
}
pub(crate) use table_row;

/// The cell of `value` as `text` writes it (see [`table_row!`]).
pub fn cell<T>(value: &T, text: impl Fn(&T) -> String) -> String {
    text(value)
}

/// The cell of an optional value: empty when there is none.
pub fn or_empty<T: std::fmt::Display>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A report in every format: `doc` whole for json and yaml, `rows` one a
/// line for jsonl, `rows` as their cells for table and csv.
pub struct Report<'a, D, R> {
    pub doc: &'a D,
    pub rows: &'a [R],
}

impl<D: Serialize, R: Row> Report<'_, D, R> {
    /// Writes the report in `format`.
    pub fn write(&self, out: &mut impl Write, format: Output) -> std::io::Result<()> {
        match format {
            Output::Table => {
                let rows: Vec<Vec<String>> = self.rows.iter().map(R::cells).collect();
                table::write(out, R::HEADER, &rows)
            }
            Output::Json => {
                serde_json::to_writer_pretty(&mut *out, self.doc).map_err(std::io::Error::from)?;
                writeln!(out)
            }
            Output::Yaml => out.write_all(yaml(self.doc)?.as_bytes()),
            Output::Jsonl => {
                for row in self.rows {
                    serde_json::to_writer(&mut *out, row).map_err(std::io::Error::from)?;
                    writeln!(out)?;
                }
                Ok(())
            }
            Output::Csv => {
                let mut w = csv::Writer::from_writer(&mut *out);
                w.write_record(csv_header(R::HEADER)).map_err(csv_io)?;
                for row in self.rows {
                    w.write_record(row.cells()).map_err(csv_io)?;
                }
                w.flush()
            }
        }
    }

    /// Writes the report on stdout.
    pub fn print(&self, format: Output) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        self.write(&mut stdout, format)?;
        stdout.flush()
    }
}

/// `ACCESS REQUEST` -> `access_request`.
fn csv_header(header: &[&str]) -> Vec<String> {
    header
        .iter()
        .map(|h| h.to_ascii_lowercase().replace(' ', "_"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    table_row! {
        #[derive(Serialize)]
        struct TestRow {
            "ACCESS REQUEST" id: &'static str,
            "N" n: u32,
        }
    }

    fn render(format: Output) -> String {
        let rows = [TestRow { id: "a,1", n: 1 }, TestRow { id: "b", n: 22 }];
        let doc = serde_json::json!({"rows": 2});
        let report = Report {
            doc: &doc,
            rows: &rows,
        };
        let mut out = Vec::new();
        report.write(&mut out, format).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_format_of_a_report() {
        assert_eq!(
            render(Output::Table),
            "ACCESS REQUEST  N\na,1             1\nb               22\n"
        );
        assert_eq!(render(Output::Json), "{\n  \"rows\": 2\n}\n");
        assert_eq!(render(Output::Yaml), "rows: 2\n");
        assert_eq!(
            render(Output::Jsonl),
            "{\"id\":\"a,1\",\"n\":1}\n{\"id\":\"b\",\"n\":22}\n"
        );
        assert_eq!(render(Output::Csv), "access_request,n\n\"a,1\",1\nb,22\n");
    }

    #[test]
    fn a_column_may_write_its_cell_with_a_function() {
        table_row! {
            #[derive(Serialize)]
            struct Tagged {
                "ID" id: Option<u32> => or_empty,
                "TAGS" tags: Vec<&'static str> => |t: &Vec<&str>| t.join("+"),
            }
        }
        let rows = [
            Tagged {
                id: Some(7),
                tags: vec!["a", "b"],
            },
            Tagged {
                id: None,
                tags: Vec::new(),
            },
        ];
        assert_eq!(Tagged::HEADER, ["ID", "TAGS"]);
        assert_eq!(rows[0].cells(), ["7", "a+b"]);
        assert_eq!(rows[1].cells(), ["", ""]);
    }

    #[test]
    fn json_is_a_shorthand_that_conflicts_with_output() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cmd {
            #[command(flatten)]
            out: OutputArgs,
        }
        let parse = |args: &[&str]| Cmd::try_parse_from(args).map(|c| c.out.format());
        assert_eq!(parse(&["x"]).unwrap(), Output::Table);
        assert_eq!(parse(&["x", "--json"]).unwrap(), Output::Json);
        assert_eq!(parse(&["x", "-o", "yaml"]).unwrap(), Output::Yaml);
        let err = parse(&["x", "--json", "-o", "csv"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }
}
