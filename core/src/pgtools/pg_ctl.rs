//! Commands that create, start, stop and inspect a PostgreSQL cluster (initdb, pg_ctl).

use std::path::{Path, PathBuf};

use super::command::ToolCommand;
use crate::sysuser::RunAs;

/// Where a cluster's programs and files are.
#[derive(Debug, Clone)]
pub struct ClusterPaths {
    pub bin_dir: PathBuf,
    pub pgdata: PathBuf,
    pub log_file: PathBuf,
}

/// `initdb` with the superuser `postgres`, trust on the private Unix socket only, SCRAM passwords
/// over TCP, UTF-8, and data checksums (so backups can be verified).
pub fn initdb(p: &ClusterPaths, pwfile: &Path, run_as: Option<RunAs>) -> ToolCommand {
    ToolCommand::new(p.bin_dir.join("initdb"))
        .arg("--pgdata")
        .arg(&p.pgdata)
        .args([
            "--username=postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .args(["--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums"])
        .run_as(run_as)
}

/// `pg_ctl start`, waiting until the server accepts connections, logging to the cluster's log file.
pub fn start(p: &ClusterPaths, wait_seconds: u32, run_as: Option<RunAs>) -> ToolCommand {
    ToolCommand::new(p.bin_dir.join("pg_ctl"))
        .arg("start")
        .arg("--pgdata")
        .arg(&p.pgdata)
        .arg("--log")
        .arg(&p.log_file)
        .args(["--wait", "--silent"])
        .arg(format!("--timeout={wait_seconds}"))
        .run_as(run_as)
}

/// `pg_ctl stop` in fast mode: open sessions are disconnected, nothing committed is lost.
pub fn stop(p: &ClusterPaths, wait_seconds: u32, run_as: Option<RunAs>) -> ToolCommand {
    ToolCommand::new(p.bin_dir.join("pg_ctl"))
        .arg("stop")
        .arg("--pgdata")
        .arg(&p.pgdata)
        .args(["--mode=fast", "--wait", "--silent"])
        .arg(format!("--timeout={wait_seconds}"))
        .run_as(run_as)
}

/// `pg_ctl stop` in immediate mode, for emergencies such as a test that panicked.
pub fn stop_immediately(p: &ClusterPaths, run_as: Option<RunAs>) -> ToolCommand {
    ToolCommand::new(p.bin_dir.join("pg_ctl"))
        .arg("stop")
        .arg("--pgdata")
        .arg(&p.pgdata)
        .args(["--mode=immediate", "--wait", "--silent"])
        .run_as(run_as)
}

/// `pg_ctl status`: exit 0 when running, 3 when stopped.
pub fn status(p: &ClusterPaths, run_as: Option<RunAs>) -> ToolCommand {
    ToolCommand::new(p.bin_dir.join("pg_ctl"))
        .arg("status")
        .arg("--pgdata")
        .arg(&p.pgdata)
        .run_as(run_as)
}

/// The settings Tidemark gives a managed cluster, in postgresql.conf syntax.
pub fn managed_settings(port: u16, socket_dir: &Path, archive_command: &str) -> String {
    format!(
        "# Written by Tidemark: this cluster's network, archiving and logging settings.\n\
         listen_addresses = '127.0.0.1'\n\
         port = {port}\n\
         unix_socket_directories = '{socket}'\n\
         wal_level = replica\n\
         archive_mode = on\n\
         archive_command = '{archive}'\n\
         archive_timeout = 60\n\
         max_wal_senders = 3\n\
         log_line_prefix = '%m [%p] '\n",
        socket = conf_quote(&socket_dir.display().to_string()),
        archive = conf_quote(archive_command),
    )
}

/// Settings for a throwaway instance (the scratch instance, a drill's restored copy): its own
/// port and socket, no archiving, and speed over durability, since nothing on it outlives the
/// check it serves.
pub fn throwaway_settings(port: u16, socket_dir: &Path) -> String {
    format!(
        "# Written by Tidemark: a throwaway instance for checks.\n\
         listen_addresses = '127.0.0.1'\n\
         port = {port}\n\
         unix_socket_directories = '{socket}'\n\
         archive_mode = off\n\
         fsync = off\n\
         synchronous_commit = off\n\
         full_page_writes = off\n\
         log_line_prefix = '%m [%p] '\n",
        socket = conf_quote(&socket_dir.display().to_string()),
    )
}

/// Escapes a value for a single-quoted postgresql.conf string.
pub fn conf_quote(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\'', "''")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> ClusterPaths {
        ClusterPaths {
            bin_dir: "/usr/lib/postgresql/15/bin".into(),
            pgdata: "/d/pgdata".into(),
            log_file: "/d/log/postgresql.log".into(),
        }
    }

    #[test]
    fn initdb_uses_private_trust_and_scram_over_tcp() {
        let c = initdb(&paths(), Path::new("/d/pw"), None);
        assert_eq!(
            c.program,
            PathBuf::from("/usr/lib/postgresql/15/bin/initdb")
        );
        let a = c.display_args();
        assert_eq!(a[..2], ["--pgdata", "/d/pgdata"]);
        assert!(a.contains(&"--auth-local=trust".to_string()));
        assert!(a.contains(&"--auth-host=scram-sha-256".to_string()));
        assert!(a.contains(&"--pwfile=/d/pw".to_string()));
        assert!(a.contains(&"--data-checksums".to_string()));
    }

    #[test]
    fn start_waits_and_logs_to_the_cluster_log() {
        let a = start(&paths(), 60, None).display_args();
        assert_eq!(
            a,
            [
                "start",
                "--pgdata",
                "/d/pgdata",
                "--log",
                "/d/log/postgresql.log",
                "--wait",
                "--silent",
                "--timeout=60"
            ]
        );
    }

    #[test]
    fn stop_is_fast_and_waits() {
        let a = stop(&paths(), 30, None).display_args();
        assert!(a.contains(&"--mode=fast".to_string()));
        assert!(a.contains(&"--wait".to_string()));
    }

    #[test]
    fn settings_quote_paths_with_quotes() {
        let s = managed_settings(
            5433,
            Path::new("/tmp/it's"),
            "pgbackrest --config='/a b' archive-push %p",
        );
        assert!(s.contains("port = 5433"));
        assert!(s.contains("unix_socket_directories = '/tmp/it''s'"));
        assert!(s.contains("archive_command = 'pgbackrest --config=''/a b'' archive-push %p'"));
        assert!(s.contains("archive_mode = on"));
    }
}
