//! Aligned columns on stdout, sized to their content.

use std::io::Write;

use unicode_width::UnicodeWidthChar;

/// A cell as it is shown: control characters (a newline or a tab in a
/// name) would break the line or the column, so each shows as one space.
fn shown(cell: &str) -> String {
    cell.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The columns `text` takes on a terminal (a wide character takes two).
fn width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Writes `header` and `rows` as left-aligned columns separated by two
/// spaces, each column as wide as its widest cell, so that no content
/// shifts a column.
pub fn write(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let header: Vec<String> = header.iter().map(|h| shown(h)).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| shown(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(width(cell));
            }
        }
    }
    let line = |out: &mut dyn Write, cells: &[String]| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(width(cell));
            text.extend(std::iter::repeat_n(' ', pad));
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &header)?;
    for row in &rows {
        line(out, row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(header: &[&str], rows: &[&[&str]]) -> String {
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect();
        let mut out = Vec::new();
        write(&mut out, header, &rows).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Where each column after the first starts on every line: the display
    /// column of the cell `needle` names on each line.
    fn column_of(text: &str, needles: &[&str]) -> Vec<usize> {
        text.lines()
            .zip(needles)
            .map(|(line, needle)| {
                let at = line
                    .find(needle)
                    .unwrap_or_else(|| panic!("{needle} in {line}"));
                width(&line[..at])
            })
            .collect()
    }

    #[test]
    fn a_long_cell_widens_its_column_and_the_next_stays_aligned() {
        let text = render(
            &["NAME", "STATE"],
            &[
                &[
                    "CN=Warehouse-Operator,OU=Groups,DC=example,DC=com",
                    "EXECUTING",
                ],
                &["VPN", "REQUEST_COMPLETED"],
            ],
        );
        let starts = column_of(&text, &["STATE", "EXECUTING", "REQUEST_COMPLETED"]);
        assert_eq!(starts, [51, 51, 51], "{text}");
        // No trailing blanks.
        assert!(text.lines().all(|l| !l.ends_with(' ')), "{text:?}");
    }

    #[test]
    fn wide_characters_and_control_characters_do_not_shift_columns() {
        let text = render(
            &["NAME", "STATE"],
            &[
                &["運用グループ", "EXECUTING"],
                &["two\nlines\tand a tab", "ERROR"],
                &["x", "DONE"],
            ],
        );
        assert_eq!(text.lines().count(), 4, "{text}");
        let starts = column_of(&text, &["STATE", "EXECUTING", "ERROR", "DONE"]);
        assert!(starts.iter().all(|s| *s == starts[0]), "{starts:?}\n{text}");
        assert_eq!(starts[0], "two lines and a tab".len() + 2);
    }
}
