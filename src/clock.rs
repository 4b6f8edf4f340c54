//! "Now", made injectable: `SOURCE_DATE_EPOCH` (the reproducible-builds convention) fixes the time
//! written into manifests, so the same tree gives byte-identical output in tests and pipelines.

use jiff::Timestamp;

/// The environment variable that pins the clock.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// Why the pinned time could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("`SOURCE_DATE_EPOCH` is not a whole number of seconds since 1970: `{0}`")]
    NotANumber(String),
    #[error("`SOURCE_DATE_EPOCH` is out of range: `{0}`")]
    OutOfRange(String),
}

/// The current time, or `SOURCE_DATE_EPOCH` when it is set, truncated to whole seconds.
/// Today as `YYYY-MM-DD` (UTC), from [`now`].
pub fn today() -> Result<String, ClockError> {
    Ok(now()?.strftime("%Y-%m-%d").to_string())
}

pub fn now() -> Result<Timestamp, ClockError> {
    match std::env::var(SOURCE_DATE_EPOCH) {
        Ok(value) => from_epoch_str(&value),
        Err(_) => {
            Ok(Timestamp::from_second(Timestamp::now().as_second())
                .unwrap_or(Timestamp::UNIX_EPOCH))
        }
    }
}

/// Parses a `SOURCE_DATE_EPOCH` value.
pub fn from_epoch_str(value: &str) -> Result<Timestamp, ClockError> {
    let trimmed = value.trim();
    let seconds: i64 = trimmed
        .parse()
        .map_err(|_| ClockError::NotANumber(value.to_owned()))?;
    Timestamp::from_second(seconds).map_err(|_| ClockError::OutOfRange(value.to_owned()))
}

/// RFC 3339 in UTC with a `Z`, whole seconds (`2024-05-01T12:00:00Z`).
pub fn rfc3339(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_epoch_as_rfc3339_utc() {
        assert_eq!(
            rfc3339(from_epoch_str("0").unwrap()),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(from_epoch_str("1700000000").unwrap()),
            "2023-11-14T22:13:20Z"
        );
    }

    #[test]
    fn rejects_values_that_are_not_seconds() {
        assert!(matches!(
            from_epoch_str("yesterday"),
            Err(ClockError::NotANumber(_))
        ));
        assert!(matches!(
            from_epoch_str("1.5"),
            Err(ClockError::NotANumber(_))
        ));
        assert!(matches!(
            from_epoch_str("99999999999999999"),
            Err(ClockError::OutOfRange(_))
        ));
    }
}
