//! How times and sizes read on the page; the same text on the server and in the browser.
//!
//! Everything here formats integers only: chrono's format strings and Rust's float formatting
//! would each add tens of kilobytes to the browser's bundle.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};

/// "2026-11-22 10:15:04", the date and time of day of `t` with `sep` between them.
fn date_time(t: &NaiveDateTime, sep: char) -> String {
    format!(
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// "2026-11-22 10:15:04 UTC".
pub fn utc(t: &DateTime<Utc>) -> String {
    format!("{} UTC", date_time(&t.naive_utc(), ' '))
}

/// Machine-readable time for `<time datetime=..>`: RFC 3339 in UTC, whole seconds.
pub fn iso(t: &DateTime<Utc>) -> String {
    format!("{}Z", date_time(&t.naive_utc(), 'T'))
}

pub use tidemark_types::units::{fixed, size};

/// A duration between two times: "4 s", "3 min 12 s", "2 h 5 min", "3 days 4 h".
pub fn span(from: &DateTime<Utc>, to: &DateTime<Utc>) -> String {
    let secs = (*to - *from).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s => {
            let days = s / 86_400;
            let unit = if days == 1 { "day" } else { "days" };
            format!("{days} {unit} {} h", (s % 86_400) / 3600)
        }
    }
}

/// How long ago `t` was, as people say it: "just now", "5 minutes ago", "3 hours ago",
/// "2 days ago"; "in the future" for a clock ahead of this one.
pub fn ago(t: &DateTime<Utc>, now: &DateTime<Utc>) -> String {
    let secs = (*now - *t).num_seconds();
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    match secs {
        s if s < -60 => "in the future".to_string(),
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => plural(s / 60, "minute"),
        s if s < 86_400 => plural(s / 3600, "hour"),
        s => plural(s / 86_400, "day"),
    }
}

/// A UTC `datetime-local` value (or an hour, "06:00") shown at a fixed offset from UTC, for the
/// browser to echo in its own time zone: "2026-11-22 09:30:00".
pub fn at_offset(utc_value: &str, offset_seconds: i32) -> Option<String> {
    let naive = parse_input(utc_value)?;
    let shifted = naive.checked_add_signed(chrono::Duration::seconds(i64::from(offset_seconds)))?;
    Some(date_time(&shifted, ' '))
}

/// A `datetime-local` value: "2026-11-22T08:30", with seconds or fractions of them or not.
fn parse_input(value: &str) -> Option<NaiveDateTime> {
    let v = value.trim();
    let (date, time) = v.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, m, day) = (d.next()?, d.next()?, d.next()?);
    let time = time.split_once('.').map_or(time, |(whole, fraction)| {
        if fraction.bytes().all(|b| b.is_ascii_digit()) {
            whole
        } else {
            ""
        }
    });
    let mut t = time.split(':');
    let (h, min, sec) = (t.next()?, t.next()?, t.next().unwrap_or("00"));
    if t.next().is_some() {
        return None;
    }
    let num = |s: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let year = i32::try_from(num(y, 4..=4)?).ok()?;
    NaiveDate::from_ymd_opt(year, num(m, 2..=2)?, num(day, 2..=2)?)?.and_hms_opt(
        num(h, 2..=2)?,
        num(min, 2..=2)?,
        num(sec, 2..=2)?,
    )
}

/// An hour of the day in UTC shown at a fixed offset: "07:00", or "07:00 the next day".
pub fn hour_at_offset(hour: u8, offset_seconds: i32) -> String {
    let minutes = i32::from(hour) * 60 + offset_seconds / 60;
    let day = minutes.div_euclid(24 * 60);
    let m = minutes.rem_euclid(24 * 60);
    let when = format!("{:02}:{:02}", m / 60, m % 60);
    match day {
        0 => when,
        d if d > 0 => format!("{when} the next day"),
        _ => format!("{when} the day before"),
    }
}

/// A `datetime-local` value ("2026-11-22T08:30" or with seconds) for `<input min/max/value>`.
pub fn utc_input(t: &DateTime<Utc>) -> String {
    date_time(&t.naive_utc(), 'T')
}

/// What a `datetime-local` input labelled UTC sends, as RFC 3339 in UTC. Anything that already
/// carries an offset, or is not a date, is passed on for the server to judge.
pub fn utc_input_to_rfc3339(value: &str) -> String {
    match parse_input(value) {
        Some(naive) => iso(&naive.and_utc()),
        None => value.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_moments_and_hours_shift_to_the_viewers_offset() {
        assert_eq!(
            at_offset("2026-11-22T08:30:05", 3600).as_deref(),
            Some("2026-11-22 09:30:05")
        );
        assert_eq!(
            at_offset("2026-11-22T23:30", 2 * 3600).as_deref(),
            Some("2026-11-23 01:30:00")
        );
        assert_eq!(
            at_offset("2026-11-22T00:15:00", -5 * 3600).as_deref(),
            Some("2026-11-21 19:15:00")
        );
        assert_eq!(at_offset("yesterday", 0), None);
        assert_eq!(at_offset("2026-13-01T00:00", 0), None);
        assert_eq!(at_offset("2026-11-22T08:30:05:01", 0), None);
        assert_eq!(hour_at_offset(6, 3600), "07:00");
        assert_eq!(hour_at_offset(23, 5 * 3600 + 1800), "04:30 the next day");
        assert_eq!(hour_at_offset(0, -3600), "23:00 the day before");
    }

    #[test]
    fn ages_read_as_people_say_them() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let before = |s: i64| now - chrono::Duration::seconds(s);
        assert_eq!(ago(&before(5), &now), "just now");
        assert_eq!(ago(&before(60), &now), "1 minute ago");
        assert_eq!(ago(&before(5 * 60 + 59), &now), "5 minutes ago");
        assert_eq!(ago(&before(3 * 3600 + 1), &now), "3 hours ago");
        assert_eq!(ago(&before(86_400), &now), "1 day ago");
        assert_eq!(ago(&before(9 * 86_400), &now), "9 days ago");
        assert_eq!(ago(&before(-3600), &now), "in the future");
    }
    use chrono::TimeZone;

    #[test]
    fn fixed_point_numbers_round_half_up() {
        assert_eq!(fixed(1234, 2, 2), "12.34");
        assert_eq!(fixed(1234, 2, 1), "12.3");
        assert_eq!(fixed(1235, 2, 1), "12.4");
        assert_eq!(fixed(1250, 2, 0), "13");
        assert_eq!(fixed(5, 2, 2), "0.05");
        assert_eq!(fixed(0, 1, 1), "0.0");
    }

    #[test]
    fn spans_pick_their_units() {
        let a = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        assert_eq!(span(&a, &(a + chrono::Duration::seconds(4))), "4 s");
        assert_eq!(
            span(&a, &(a + chrono::Duration::seconds(192))),
            "3 min 12 s"
        );
        assert_eq!(span(&a, &(a + chrono::Duration::hours(50))), "2 days 2 h");
        assert_eq!(utc(&a), "2026-11-22 00:00:00 UTC");
        assert_eq!(iso(&a), "2026-11-22T00:00:00Z");
    }

    #[test]
    fn utc_inputs_become_rfc3339() {
        assert_eq!(
            utc_input_to_rfc3339("2026-11-22T08:30"),
            "2026-11-22T08:30:00Z"
        );
        assert_eq!(
            utc_input_to_rfc3339("2026-11-22T08:30:05"),
            "2026-11-22T08:30:05Z"
        );
        assert_eq!(
            utc_input_to_rfc3339("2026-11-22T08:30:05+02:00"),
            "2026-11-22T08:30:05+02:00"
        );
        assert_eq!(
            utc_input_to_rfc3339("2026-11-22T08:30:05.250"),
            "2026-11-22T08:30:05Z"
        );
        assert_eq!(utc_input_to_rfc3339("soon"), "soon");
        assert_eq!(utc_input_to_rfc3339("2026-02-30T08:30"), "2026-02-30T08:30");
        let a = Utc.with_ymd_and_hms(2026, 11, 22, 8, 30, 5).unwrap();
        assert_eq!(utc_input(&a), "2026-11-22T08:30:05");
    }
}
