//! The values of flags that take a time (`--created-after`,
//! `--created-before`), read by one small grammar:
//!
//! | form | meaning | example |
//! | --- | --- | --- |
//! | `N` + `m`, `h`, `d` or `w` | that long before now (minutes, hours, days, weeks) | `30m`, `24h`, `7d`, `2w` |
//! | `YYYY-MM-DD` | that day at midnight UTC | `2026-07-01` |
//! | RFC 3339 date-time | that instant | `2026-07-01T12:00:00Z`, `...+02:00` |
//!
//! `N` is a whole number of at most nine digits. Anything else is refused,
//! naming the value and these forms.

use chrono::{Duration, NaiveDate};
use sailpoint_access::Timestamp;

/// The accepted forms, for refusals and `--help`.
pub const FORMS: &str =
    "a span before now (30m, 24h, 7d, 2w), a date (2026-07-01, midnight UTC) or an RFC 3339 date-time (2026-07-01T12:00:00Z)";

/// The clap value parser of every time flag.
pub fn parse(text: &str) -> Result<Timestamp, String> {
    parse_at(text, Timestamp::now())
}

/// [`parse`] with `now` given, so that spans are testable.
pub fn parse_at(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let refused = || format!("{text:?} is not a time: expected {FORMS}");
    let text = text.trim();
    if let Some(span) = span(text) {
        let span = span.ok_or_else(refused)?;
        return now
            .as_datetime()
            .checked_sub_signed(span)
            .map(Timestamp::from)
            .ok_or_else(refused);
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        // `%Y` also reads `+12345`: a date is exactly ten characters.
        if text.len() == 10 {
            let midnight = day.and_hms_opt(0, 0, 0).ok_or_else(refused)?;
            return Ok(Timestamp::from(midnight.and_utc()));
        }
    }
    // Full date-times only: the looser forms Timestamp also reads (no zone,
    // no seconds) stay for decoding what tenants send.
    if text.len() > 10 {
        if let Ok(t) = Timestamp::parse(text) {
            return Ok(t);
        }
    }
    Err(refused())
}

/// `Some(Some(span))` for `N` + unit, `Some(None)` for a number with a
/// unit that overflows, `None` when `text` is not of that form at all.
fn span(text: &str) -> Option<Option<Duration>> {
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    Some(match unit {
        'm' => Duration::try_minutes(n),
        'h' => Duration::try_hours(n),
        'd' => Duration::try_days(n),
        'w' => Duration::try_weeks(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("2026-07-08T12:30:00Z").unwrap()
    }

    fn at(text: &str) -> String {
        parse_at(text, now()).unwrap().to_string()
    }

    #[test]
    fn spans_count_back_from_now() {
        assert_eq!(at("30m"), "2026-07-08T12:00:00Z");
        assert_eq!(at("24h"), "2026-07-07T12:30:00Z");
        assert_eq!(at("7d"), "2026-07-01T12:30:00Z");
        assert_eq!(at("2w"), "2026-06-24T12:30:00Z");
        assert_eq!(at("0d"), "2026-07-08T12:30:00Z");
        assert_eq!(at(" 1h "), "2026-07-08T11:30:00Z");
    }

    #[test]
    fn a_date_is_midnight_utc() {
        assert_eq!(at("2026-07-01"), "2026-07-01T00:00:00Z");
        assert_eq!(at("2024-02-29"), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn rfc_3339_is_read_as_the_library_reads_it() {
        assert_eq!(at("2026-07-01T12:00:00Z"), "2026-07-01T12:00:00Z");
        assert_eq!(at("2026-07-01T14:00:00+02:00"), "2026-07-01T12:00:00Z");
        assert_eq!(at("2026-07-01T12:00:00.250Z"), "2026-07-01T12:00:00.250Z");
    }

    #[test]
    fn anything_else_is_refused_naming_the_value_and_the_forms() {
        for bad in [
            "yesterday",
            "",
            "7",
            "d",
            "7y",
            "-7d",
            "7 d",
            "1.5h",
            "2026-13-01",
            "2026-02-30",
            "2026-7-1",
            "+12026-07-01",
            "1234567890d",
            "999999999w",
            "７d",
        ] {
            let err = parse_at(bad, now()).expect_err(bad);
            assert!(err.starts_with(&format!("{bad:?} is not a time")), "{err}");
            for form in ["30m", "24h", "7d", "2w", "2026-07-01", "RFC 3339"] {
                assert!(err.contains(form), "{bad}: {err}");
            }
        }
    }
}
