//! The recoverable window of a pgBackRest stanza: from the oldest good backup to the last archived WAL.

use chrono::{DateTime, Utc};

use crate::pgtools::pgbackrest::PhysicalBackup;

/// Earliest: the end of the oldest backup without error (a restore needs a finished backup before
/// its target). Latest: the newest of the last archived WAL's time and the newest backup's end.
/// `None` when no backup can serve.
pub fn recoverable_window(
    backups: &[PhysicalBackup],
    last_archived: Option<DateTime<Utc>>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let good = backups.iter().filter(|b| !b.error);
    let earliest = good.clone().map(|b| b.stopped_at).min()?;
    let newest_backup = good.map(|b| b.stopped_at).max()?;
    let latest = last_archived.map_or(newest_backup, |t| t.max(newest_backup));
    Some((earliest, latest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgtools::pgbackrest::PhysicalKind;
    use chrono::TimeZone;

    fn backup(stop: i64, error: bool) -> PhysicalBackup {
        PhysicalBackup {
            label: format!("b{stop}"),
            kind: PhysicalKind::Full,
            started_at: Utc.timestamp_opt(stop - 10, 0).unwrap(),
            stopped_at: Utc.timestamp_opt(stop, 0).unwrap(),
            database_bytes: 1,
            repository_bytes: 1,
            error,
            wal_start: None,
            wal_stop: None,
        }
    }

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).unwrap()
    }

    #[test]
    fn no_backup_means_no_window() {
        assert_eq!(recoverable_window(&[], Some(t(100))), None);
        assert_eq!(recoverable_window(&[backup(50, true)], Some(t(100))), None);
    }

    #[test]
    fn window_runs_from_oldest_good_backup_to_last_archive() {
        let b = [backup(50, true), backup(100, false), backup(200, false)];
        assert_eq!(recoverable_window(&b, Some(t(500))), Some((t(100), t(500))));
    }

    #[test]
    fn an_archive_older_than_the_newest_backup_does_not_shrink_the_window() {
        let b = [backup(100, false), backup(200, false)];
        assert_eq!(recoverable_window(&b, Some(t(150))), Some((t(100), t(200))));
        assert_eq!(recoverable_window(&b, None), Some((t(100), t(200))));
    }
}
