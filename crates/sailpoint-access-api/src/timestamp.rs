//! A UTC instant that decodes the date-time forms the API is known to send.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// A point in time, in UTC, as used by every `date-time` field of the API.
///
/// Decoding accepts RFC 3339 (`2024-06-12T21:22:23.000Z`, `...+02:00`) and the
/// looser forms some tenants send: no seconds (`2024-06-12T21:22Z`), no zone
/// (`2024-06-12T21:22:23`, read as UTC), and a space instead of `T`.
/// Encoding is always RFC 3339 with `Z`, with fractional seconds only when
/// they are not zero.
///
/// ```
/// use sailpoint_access_api::Timestamp;
///
/// let t: Timestamp = "2024-06-12T21:22".parse().unwrap();
/// assert_eq!(t.to_string(), "2024-06-12T21:22:00Z");
/// let t: Timestamp = "2024-06-12T23:22:23.5+02:00".parse().unwrap();
/// assert_eq!(t.to_string(), "2024-06-12T21:22:23.500Z");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

/// Why a string is not a [`Timestamp`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampError {
    input: String,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid date-time {:?}: expected RFC 3339 such as 2024-06-12T21:22:23Z",
            truncate(&self.input, 64)
        )
    }
}

impl std::error::Error for TimestampError {}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self(Utc::now())
    }

    /// The instant as a chrono value.
    pub fn as_datetime(&self) -> &DateTime<Utc> {
        &self.0
    }

    /// Parses RFC 3339 or one of the looser forms described on the type.
    pub fn parse(input: &str) -> Result<Self, TimestampError> {
        parse(input.trim()).map(Self).ok_or_else(|| TimestampError {
            input: input.to_owned(),
        })
    }
}

fn parse(input: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(input) {
        return Some(t.with_timezone(&Utc));
    }
    // Split off a zone: `Z`, or `+hh:mm`/`-hh:mm`/`+hhmm` after the time part.
    let (local, offset) = if let Some(rest) = input.strip_suffix(['Z', 'z']) {
        (rest, FixedOffset::east_opt(0)?)
    } else if let Some(pos) = input
        .get(11..)
        .and_then(|t| t.rfind(['+', '-']))
        .map(|p| p + 11)
    {
        (&input[..pos], parse_offset(&input[pos..])?)
    } else {
        (input, FixedOffset::east_opt(0)?)
    };
    let local = local.replacen(' ', "T", 1);
    let naive = NaiveDateTime::parse_from_str(&local, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(&local, "%Y-%m-%dT%H:%M"))
        .ok()?;
    Some(
        offset
            .from_local_datetime(&naive)
            .single()?
            .with_timezone(&Utc),
    )
}

fn parse_offset(zone: &str) -> Option<FixedOffset> {
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time string")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Timestamp, E> {
                Timestamp::parse(value).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> String {
        "Timestamp".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("date-time".to_owned()),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_known_forms_and_prints_rfc3339_z() {
        let cases = [
            ("2024-06-12T21:22:23Z", "2024-06-12T21:22:23Z"),
            ("2024-06-12T21:22:23.000Z", "2024-06-12T21:22:23Z"),
            ("2024-06-12T21:22:23.120Z", "2024-06-12T21:22:23.120Z"),
            ("2024-06-12T23:22:23+02:00", "2024-06-12T21:22:23Z"),
            ("2024-06-12T21:22Z", "2024-06-12T21:22:00Z"),
            ("2024-06-12T23:22+02:00", "2024-06-12T21:22:00Z"),
            ("2024-06-12T16:22:23-0500", "2024-06-12T21:22:23Z"),
            ("2024-06-12T21:22:23", "2024-06-12T21:22:23Z"),
            ("2024-06-12T21:22:23.5", "2024-06-12T21:22:23.500Z"),
            ("2024-06-12T21:22", "2024-06-12T21:22:00Z"),
            ("2024-06-12 21:22:23", "2024-06-12T21:22:23Z"),
        ];
        for (input, expected) in cases {
            let parsed = Timestamp::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed.to_string(), expected, "input {input}");
        }
    }

    #[test]
    fn rejects_garbage_with_the_value_in_the_message() {
        for input in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-06-12",
            "2024-06-12T21:22:23+2",
        ] {
            let err = Timestamp::parse(input).expect_err(input);
            assert!(err.to_string().contains(&format!("{input:?}")), "{err}");
        }
    }

    #[test]
    fn serde_round_trip() {
        let t: Timestamp = serde_json::from_str("\"2024-06-12T21:22\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2024-06-12T21:22:00Z\""
        );
        assert!(serde_json::from_str::<Timestamp>("12").is_err());
    }
}
