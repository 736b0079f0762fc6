//! Calendar dates for suppression expiry.
//!
//! Only what expiry needs: parse `YYYY-MM-DD`, compare, and find today's civil (UTC) date
//! from the system clock without a date crate (Howard Hinnant's `civil_from_days`). "Today"
//! is injectable through `KEYREACH_TODAY` so tests and reproducible CI runs do not depend on
//! the clock.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Environment variable that overrides today's date (`YYYY-MM-DD`).
pub const TODAY_ENV: &str = "KEYREACH_TODAY";

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting dates that do not exist (`2025-02-30`).
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(s: &str) -> Result<Date, String> {
        let bad = || format!("`{s}` is not a date of the form YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
            return Err(bad());
        };
        let (Ok(year), Ok(month), Ok(day)) = (i32::try_from(y), u8::try_from(m), u8::try_from(d))
        else {
            return Err(bad());
        };
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(format!("`{s}` is not a valid calendar date"));
        }
        Ok(Date { year, month, day })
    }

    /// The civil date `days` days after 1970-01-01.
    #[must_use]
    pub fn from_days_since_epoch(days: i64) -> Date {
        // civil_from_days, http://howardhinnant.github.io/date_algorithms.html
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097); // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
        let mp = (5 * doy + 2) / 153; // [0, 11]
        let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
        let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
        let year = y + i64::from(m <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(m).unwrap_or(1),
            day: u8::try_from(d).unwrap_or(1),
        }
    }

    /// Today's UTC date from the system clock.
    #[must_use]
    pub fn system_today() -> Date {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        };
        Date::from_days_since_epoch(secs.div_euclid(86_400))
    }

    /// Today: `KEYREACH_TODAY` when set, the system date otherwise.
    ///
    /// # Errors
    /// `KEYREACH_TODAY` set to something that is not a date.
    pub fn today() -> Result<Date, String> {
        match std::env::var(TODAY_ENV) {
            Ok(v) if !v.trim().is_empty() => {
                Date::parse(v.trim()).map_err(|e| format!("{TODAY_ENV}: {e}"))
            }
            _ => Ok(Date::system_today()),
        }
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_real_dates_only() {
        for (input, ok) in [
            ("2025-01-31", true),
            ("2024-02-29", true),
            ("2000-02-29", true),
            ("1900-02-29", false),
            ("2025-02-29", false),
            ("2025-04-31", false),
            ("2025-13-01", false),
            ("2025-00-10", false),
            ("2025-1-01", false),
            ("25-01-01xx", false),
            ("2025/01/01", false),
            ("+025-01-01", false),
            ("", false),
        ] {
            assert_eq!(Date::parse(input).is_ok(), ok, "{input}");
        }
        assert_eq!(
            Date::parse("2025-03-04").map(|d| d.to_string()),
            Ok("2025-03-04".to_owned())
        );
    }

    #[test]
    fn civil_from_days_matches_known_dates() {
        for (days, date) in [
            (0, "1970-01-01"),
            (-1, "1969-12-31"),
            (59, "1970-03-01"),
            (11_016, "2000-02-29"),
            (19_723, "2024-01-01"),
            (20_088, "2024-12-31"),
            (20_089, "2025-01-01"),
        ] {
            assert_eq!(
                Date::from_days_since_epoch(days).to_string(),
                date,
                "{days}"
            );
        }
    }

    #[test]
    fn dates_order_chronologically() {
        let a = Date::parse("2024-12-31");
        let b = Date::parse("2025-01-01");
        assert!(a < b);
    }
}
