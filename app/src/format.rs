//! How times and sizes read on the page; the same text on the server and in the browser.

use chrono::{DateTime, Utc};

/// "2026-11-22 10:15:04 UTC".
pub fn utc(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Machine-readable time for `<time datetime=..>`.
pub fn iso(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Bytes in the units people read: "4.2 MB".
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

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
    let v = utc_value.trim();
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|p| chrono::NaiveDateTime::parse_from_str(v, p).ok())?;
    let offset = chrono::FixedOffset::east_opt(offset_seconds)?;
    Some(
        naive
            .and_utc()
            .with_timezone(&offset)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
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
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// What a `datetime-local` input labelled UTC sends, as RFC 3339 in UTC. Anything that already
/// carries an offset, or is not a date, is passed on for the server to judge.
pub fn utc_input_to_rfc3339(value: &str) -> String {
    let v = value.trim();
    for pattern in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(v, pattern) {
            return iso(&naive.and_utc());
        }
    }
    v.to_string()
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
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(999), "999 B");
        assert_eq!(size(4_200_000), "4.2 MB");
        assert_eq!(size(143_000), "143 kB");
        assert_eq!(size(31_000_000_000), "31 GB");
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
        assert_eq!(utc_input_to_rfc3339("soon"), "soon");
        let a = Utc.with_ymd_and_hms(2026, 11, 22, 8, 30, 5).unwrap();
        assert_eq!(utc_input(&a), "2026-11-22T08:30:05");
    }
}
