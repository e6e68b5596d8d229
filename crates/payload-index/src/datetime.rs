//! Datetimes as Qdrant accepts them in payloads, stored as microseconds since the Unix epoch
//! (UTC).
//!
//! Payload values: `YYYY-MM-DD`, `YYYY-MM-DD[T| ]HH:MM`, or `YYYY-MM-DD[T| ]HH:MM:SS[.f]`
//! with an optional zone (`Z`, `±HH`, `±HHMM`, `±HH:MM`); a value without a zone is UTC; `.f`
//! has 1 to 6 digits. These are the formats `qdrant-client`'s Local Mode accepts; every field
//! has its fixed number of digits (Local Mode's `strptime` also takes single-digit months,
//! days and hours, and `YYYY-MM-DD HH`; we do not). Range bounds in a filter also accept a
//! zone after `HH:MM` (RFC 3339 as clients write it).

/// Microseconds per second.
const MICROS: i64 = 1_000_000;

/// A payload datetime value in microseconds since the epoch, or `None` when the string is not
/// one of the accepted formats.
pub fn parse_value(s: &str) -> Option<i64> {
    parse(s, false)
}

/// A range bound of a datetime filter (the payload formats, plus `THH:MM` and a zone on it).
pub fn parse_bound(s: &str) -> Option<i64> {
    parse(s, true)
}

fn parse(s: &str, lenient: bool) -> Option<i64> {
    let b = s.as_bytes();
    let days = date(b.get(..10)?)?;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(days * 86_400 * MICROS);
    }
    let sep = rest[0];
    if !(sep == b' ' || sep == b'T' || (lenient && sep == b't')) {
        return None;
    }
    let t = &rest[1..];
    let hour = two(t.get(0..2)?, 23)?;
    (t.get(2) == Some(&b':')).then_some(())?;
    let minute = two(t.get(3..5)?, 59)?;
    let mut at = 5;
    let mut second = 0;
    let mut micros = 0;
    let has_seconds = t.get(5) == Some(&b':');
    if has_seconds {
        second = two(t.get(6..8)?, 59)?;
        at = 8;
        if t.get(8) == Some(&b'.') {
            let digits = t[9..].iter().take_while(|c| c.is_ascii_digit()).count();
            if !(1..=6).contains(&digits) {
                return None;
            }
            let frac: i64 = std::str::from_utf8(&t[9..9 + digits]).ok()?.parse().ok()?;
            micros = frac * 10i64.pow(6 - digits as u32);
            at = 9 + digits;
        }
    }
    let zone = &t[at..];
    let offset = if zone.is_empty() {
        0
    } else if has_seconds || lenient {
        zone_offset(zone)?
    } else {
        return None;
    };
    let local = ((days * 24 + hour) * 60 + minute) * 60 + second;
    Some((local - offset) * MICROS + micros)
}

/// RFC 3339 in UTC with microseconds (`2024-01-01T10:30:15.000001Z`): how datetimes are
/// written back.
pub fn format(micros: i64) -> String {
    let secs = micros.div_euclid(MICROS);
    let frac = micros.rem_euclid(MICROS);
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// The date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` as days since 1970-01-01.
fn date(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = two(&b[5..7], 12)?;
    let day = two(&b[8..10], 31)?;
    if month == 0 || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn two(b: &[u8], max: i64) -> Option<i64> {
    (b.len() == 2).then_some(())?;
    digits(b).filter(|&v| v <= max)
}

/// Seconds east of UTC: `Z`, `±HH`, `±HHMM`, `±HH:MM`.
fn zone_offset(z: &[u8]) -> Option<i64> {
    if z == b"Z" || z == b"z" {
        return Some(0);
    }
    let sign = match z.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = two(z.get(1..3)?, 23)?;
    let minutes = match &z[3..] {
        [] => 0,
        [b':', m @ ..] | m => two(m, 59)?,
    };
    Some(sign * (hours * 3600 + minutes * 60))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400 * MICROS;

    #[test]
    fn accepted_formats_and_zones() {
        let base = 19_723 * DAY; // 2024-01-01
        assert_eq!(parse_value("1970-01-01"), Some(0));
        assert_eq!(parse_value("2024-01-01"), Some(base));
        assert_eq!(
            parse_value("2024-01-01 10:30"),
            Some(base + 37_800 * MICROS)
        );
        assert_eq!(
            parse_value("2024-01-01T10:30:15"),
            Some(base + 37_815 * MICROS)
        );
        assert_eq!(
            parse_value("2024-01-01 10:30:15.5"),
            Some(base + 37_815 * MICROS + 500_000)
        );
        assert_eq!(
            parse_value("2024-01-01T10:30:15.000001Z"),
            Some(base + 37_815 * MICROS + 1)
        );
        for z in ["+01", "+0100", "+01:00"] {
            let s = format!("2024-01-01T10:30:15{z}");
            assert_eq!(parse_value(&s), Some(base + 34_215 * MICROS), "{s}");
        }
        assert_eq!(
            parse_value("2024-01-01T00:00:00-05:30"),
            Some(base + 19_800 * MICROS)
        );
        assert_eq!(parse_value("1969-12-31T23:59:59"), Some(-MICROS));
        assert_eq!(parse_value("2000-02-29"), Some(11_016 * DAY));
    }

    #[test]
    fn other_strings_are_not_datetimes() {
        for bad in [
            "",
            "2024",
            "2024-1-01",
            "2024-13-01",
            "2023-02-29",
            "2024-01-01T10:30Z",
            "2024-01-01 10:30Z",
            "2024-01-01 24:00:00",
            "2024-01-01 10:30:15.",
            "2024-01-01 10:30:15.1234567",
            "2024-01-01 10:30:15+1",
            "2024-01-01x",
            "2024-01-01 10:30:15 ",
            "yesterday",
        ] {
            assert_eq!(parse_value(bad), None, "{bad}");
        }
        assert_eq!(
            parse_bound("2024-01-01T10:30"),
            parse_value("2024-01-01 10:30")
        );
        assert_eq!(
            parse_bound("2024-01-01T10:30Z"),
            parse_value("2024-01-01 10:30")
        );
        for v in [
            0,
            -1,
            1_704_105_015_000_001,
            951_782_400_000_000,
            -62_135_596_800_000_000,
        ] {
            assert_eq!(parse_bound(&format(v)), Some(v), "{}", format(v));
        }
    }
}
