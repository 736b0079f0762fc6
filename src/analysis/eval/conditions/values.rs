//! Typed condition values: numbers, dates (ISO 8601 or epoch seconds) and IP ranges.

use std::net::IpAddr;

/// A number.
pub(super) fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

pub(super) fn number_bytes(b: &[u8]) -> Option<f64> {
    number(std::str::from_utf8(b).ok()?)
}

/// A date as seconds since the epoch: epoch seconds, `YYYY-MM-DD`, or
/// `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`.
pub(super) fn date(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(n) = number(s) {
        return Some(n);
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut secs = days_from_civil(year, month, day) * 86_400;
    let mut frac = 0.0;
    let mut i = 10;
    if b.get(i)
        .is_some_and(|c| *c == b'T' || *c == b't' || *c == b' ')
    {
        let hour = num(i + 1, 2)?;
        if b.get(i + 3) != Some(&b':') {
            return None;
        }
        let minute = num(i + 4, 2)?;
        secs += hour * 3600 + minute * 60;
        i += 6;
        if b.get(i) == Some(&b':') {
            secs += num(i + 1, 2)?;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let start = i;
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                frac = s.get(start..i)?.parse::<f64>().unwrap_or(0.0);
            }
        }
        match b.get(i) {
            None => {}
            Some(b'Z' | b'z') => i += 1,
            Some(sign @ (b'+' | b'-')) => {
                let oh = num(i + 1, 2)?;
                let om = if b.get(i + 3) == Some(&b':') {
                    num(i + 4, 2)?
                } else {
                    num(i + 3, 2)?
                };
                let offset = oh * 3600 + om * 60;
                secs += if *sign == b'+' { -offset } else { offset };
                i = b.len();
            }
            Some(_) => return None,
        }
    }
    if i != b.len() {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    Some(secs as f64 + frac)
}

pub(super) fn date_bytes(b: &[u8]) -> Option<f64> {
    date(std::str::from_utf8(b).ok()?)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether the IP address `ip` lies in `cidr` (`10.0.0.0/8`, a bare address, IPv6 too).
/// `None` when either does not parse.
pub(super) fn ip_in_cidr(ip: &str, cidr: &[u8]) -> Option<bool> {
    let cidr = std::str::from_utf8(cidr).ok()?.trim();
    let ip: IpAddr = ip.trim().parse().ok()?;
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n.parse::<IpAddr>().ok()?, Some(b.parse::<u32>().ok()?)),
        None => (cidr.parse::<IpAddr>().ok()?, None),
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = bits.unwrap_or(32);
            if bits > 32 {
                return None;
            }
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Some(u32::from(a) & mask == u32::from(n) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = bits.unwrap_or(128);
            if bits > 128 {
                return None;
            }
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            Some(u128::from(a) & mask == u128::from(n) & mask)
        }
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date("1970-01-01"), Some(0.0));
        assert_eq!(date("1970-01-02T00:00:00Z"), Some(86_400.0));
        assert_eq!(
            date("2020-01-01T01:00:00+01:00"),
            date("2020-01-01T00:00:00Z")
        );
        assert_eq!(date("1700000000"), Some(1_700_000_000.0));
        assert!(date("2020-13-01").is_none());
        assert!(date("yesterday").is_none());
        assert!(date("2024-02-29T12:30:00.5Z").is_some());
    }

    #[test]
    fn cidrs() {
        assert_eq!(ip_in_cidr("10.1.2.3", b"10.0.0.0/8"), Some(true));
        assert_eq!(ip_in_cidr("11.1.2.3", b"10.0.0.0/8"), Some(false));
        assert_eq!(ip_in_cidr("10.1.2.3", b"10.1.2.3"), Some(true));
        assert_eq!(ip_in_cidr("2001:db8::1", b"2001:db8::/32"), Some(true));
        assert_eq!(ip_in_cidr("10.1.2.3", b"2001:db8::/32"), Some(false));
        assert_eq!(ip_in_cidr("x", b"10.0.0.0/8"), None);
    }
}
