//! The recoverable window of a pgBackRest stanza: from the oldest good backup to the last archived WAL.

use chrono::{DateTime, Utc};

use crate::pgtools::pgbackrest::{PhysicalBackup, timeline_of};

/// Earliest: the end of the oldest backup without error on the cluster's current timeline (a
/// restore needs a finished backup before its target, and a point-in-time restore starts a new
/// timeline, so older backups lead elsewhere). Latest: the newest of the last archived WAL's time
/// and the newest backup's end. `None` when no backup can serve.
pub fn recoverable_window(
    backups: &[PhysicalBackup],
    last_archived: Option<DateTime<Utc>>,
    current_timeline: Option<u32>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let on_timeline = |b: &&PhysicalBackup| match (current_timeline, &b.wal_start) {
        (Some(current), Some(start)) => timeline_of(start) == Some(current),
        _ => true,
    };
    let good = backups.iter().filter(|b| !b.error).filter(on_timeline);
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

    fn on_timeline(stop: i64, timeline: u32) -> PhysicalBackup {
        PhysicalBackup {
            wal_start: Some(format!("{timeline:08X}0000000000000003")),
            ..backup(stop, false)
        }
    }

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
        assert_eq!(recoverable_window(&[], Some(t(100)), None), None);
        assert_eq!(
            recoverable_window(&[backup(50, true)], Some(t(100)), None),
            None
        );
    }

    #[test]
    fn window_runs_from_oldest_good_backup_to_last_archive() {
        let b = [backup(50, true), backup(100, false), backup(200, false)];
        assert_eq!(
            recoverable_window(&b, Some(t(500)), None),
            Some((t(100), t(500)))
        );
    }

    #[test]
    fn an_archive_older_than_the_newest_backup_does_not_shrink_the_window() {
        let b = [backup(100, false), backup(200, false)];
        assert_eq!(
            recoverable_window(&b, Some(t(150)), None),
            Some((t(100), t(200)))
        );
        assert_eq!(recoverable_window(&b, None, None), Some((t(100), t(200))));
    }

    #[test]
    fn backups_of_an_earlier_timeline_do_not_open_the_window() {
        let b = [
            on_timeline(100, 1),
            on_timeline(200, 1),
            on_timeline(300, 2),
        ];
        assert_eq!(
            recoverable_window(&b, Some(t(400)), Some(2)),
            Some((t(300), t(400)))
        );
        assert_eq!(recoverable_window(&b[..2], Some(t(400)), Some(2)), None);
    }
}
