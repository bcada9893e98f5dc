//! Checks made before a restore starts, each with a sentence that says what to do when it fails.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::pgtools::pg_dump::ConnTarget;
use crate::pgtools::pg_restore;
use crate::pgtools::runner::run;
use crate::sysuser::free_space;

/// One check and its result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable name: reachable, versions, extensions, disk_space.
    pub name: &'static str,
    pub ok: bool,
    pub message: String,
}

fn check(name: &'static str, ok: bool, message: impl Into<String>) -> Check {
    Check {
        name,
        ok,
        message: message.into(),
    }
}

/// Whether Tidemark can open a TCP connection to the database, within 5 s. For a Dedicated
/// Resources database the message points at its firewall rules, which deny everything by default.
pub async fn reachability(target: &ConnTarget, behind_firewall: bool) -> Check {
    let addr = format!("{}:{}", target.host, target.port);
    let attempt = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect((target.host.as_str(), target.port)),
    )
    .await;
    let why = match attempt {
        Ok(Ok(_)) => {
            return check(
                "reachable",
                true,
                format!("Tidemark reaches {addr} from this server."),
            );
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 5 s".to_string(),
    };
    check(
        "reachable",
        false,
        if behind_firewall {
            format!(
                "Tidemark cannot reach {addr} from this server ({why}). The database's firewall denies every address it has no rule for: add a rule with this server's outgoing address in the Firewall rules block, wait a couple of minutes for it to apply, and try again."
            )
        } else {
            format!(
                "Tidemark cannot reach {addr} from this server ({why}). Check that the database is running and that this server may connect to it."
            )
        },
    )
}

/// The major version in "15.18 (Debian 15.18-0+deb12u1)" or "pg_restore (PostgreSQL) 15.18".
pub fn major_version(text: &str) -> Option<u32> {
    text.split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .and_then(|w| w.split('.').next())
        .and_then(|m| m.parse().ok())
}

/// What the header of `pg_restore --list` says about the dump: (pg_dump major, source server major).
pub fn dump_versions(list: &str) -> (Option<u32>, Option<u32>) {
    let find = |label: &str| {
        list.lines()
            .find_map(|l| l.split_once(label).map(|(_, v)| v.trim().to_string()))
            .and_then(|v| major_version(&v))
    };
    (
        find("Dumped by pg_dump version:"),
        find("Dumped from database version:"),
    )
}

/// Extensions the dump creates.
pub fn dump_extensions(list: &str) -> BTreeSet<String> {
    list.lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| l.split_once(" EXTENSION - "))
        .filter_map(|(_, rest)| rest.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Whether this server's pg_restore can read the dump, and the target can take it.
pub fn versions_check(
    client: Option<u32>,
    dumped_by: Option<u32>,
    target_server: Option<u32>,
    dumped_from: Option<u32>,
) -> Check {
    match (client, dumped_by) {
        (Some(c), Some(d)) if d > c => {
            return check(
                "versions",
                false,
                format!(
                    "The dump was made by pg_dump {d}, and this server's pg_restore is version {c}. Install postgresql-client-{d} and point TIDEMARK_PG_BIN_DIR at its programs."
                ),
            );
        }
        (None, _) => {
            return check(
                "versions",
                false,
                "The version of pg_restore could not be read (install postgresql-client-15).",
            );
        }
        _ => {}
    }
    match (target_server, dumped_from) {
        (Some(t), Some(f)) if t < f => check(
            "versions",
            true,
            format!(
                "The dump comes from PostgreSQL {f} and the target runs {t}: objects that {t} lacks will fail to restore."
            ),
        ),
        _ => check(
            "versions",
            true,
            "pg_restore can read this dump and the target's version suits it.",
        ),
    }
}

/// Free space against what the restore needs.
pub fn disk_check(free: u64, needed: u64, dir: &Path) -> Check {
    let gb = |b: u64| format!("{:.1} GB", b as f64 / 1e9);
    if free >= needed {
        check(
            "disk_space",
            true,
            format!(
                "{} free in {}, about {} needed.",
                gb(free),
                dir.display(),
                gb(needed)
            ),
        )
    } else {
        check(
            "disk_space",
            false,
            format!(
                "Only {} free in {}, and the restore needs about {}. Free some space first.",
                gb(free),
                dir.display(),
                gb(needed)
            ),
        )
    }
}

/// Runs every check for restoring `dump_file` into `target`; `needed_bytes` is the space the
/// restore and any safety copy need in `data_dir`.
pub async fn preflight(
    pg_bin_dir: &Path,
    dump_file: &Path,
    target: &ConnTarget,
    data_dir: &Path,
    needed_bytes: u64,
) -> Vec<Check> {
    let mut checks = Vec::new();

    // Reachable and authenticating, within a bound.
    let mut server_major = None;
    let mut available: Option<BTreeSet<String>> = None;
    match target.connect().await {
        Ok(mut conn) => {
            checks.push(check("reachable", true, format!("{}:{} answers and accepts the login.", target.host, target.port)));
            server_major = sqlx::query_scalar::<_, String>("SHOW server_version")
                .fetch_one(&mut conn)
                .await
                .ok()
                .and_then(|v| major_version(&v));
            available = sqlx::query_scalar::<_, String>("SELECT name FROM pg_available_extensions")
                .fetch_all(&mut conn)
                .await
                .ok()
                .map(|v| v.into_iter().collect());
            let _ = sqlx::Connection::close(conn).await;
        }
        Err(e) => checks.push(check(
            "reachable",
            false,
            format!("Tidemark cannot reach {}:{} ({e:#}). Check that the database runs, and for a Dedicated Resources database that its firewall rules let this server in.", target.host, target.port),
        )),
    }

    // Versions and extensions, from the dump's table of contents.
    let client = run(&runner_version(pg_bin_dir), Duration::from_secs(10))
        .await
        .ok()
        .and_then(|o| major_version(&o.stdout));
    match run(
        &pg_restore::list(pg_bin_dir, dump_file),
        Duration::from_secs(120),
    )
    .await
    {
        Ok(out) => {
            let (by, from) = dump_versions(&out.stdout);
            checks.push(versions_check(client, by, server_major, from));
            let needed = dump_extensions(&out.stdout);
            if let Some(available) = available {
                let missing: Vec<_> = needed.difference(&available).cloned().collect();
                checks.push(if missing.is_empty() {
                    check("extensions", true, if needed.is_empty() { "The dump needs no extension.".to_string() } else { format!("The target has every extension the dump needs ({}).", needed.into_iter().collect::<Vec<_>>().join(", ")) })
                } else {
                    check("extensions", false, format!("The dump needs the extension(s) {}, which the target server does not offer. Install them on the server first (for PostgreSQL 15 on Debian: the matching postgresql-15-… package).", missing.join(", ")))
                });
            }
        }
        Err(e) => checks.push(check(
            "versions",
            false,
            format!("pg_restore cannot read the dump: {e}"),
        )),
    }

    checks.push(match free_space(data_dir) {
        Some(free) => disk_check(free, needed_bytes, data_dir),
        None => check(
            "disk_space",
            true,
            format!(
                "The free space of {} could not be read.",
                data_dir.display()
            ),
        ),
    });
    checks
}

fn runner_version(pg_bin_dir: &Path) -> crate::pgtools::ToolCommand {
    crate::pgtools::ToolCommand::new(pg_bin_dir.join("pg_restore")).arg("--version")
}

/// One sentence from the failed checks.
pub fn failures(checks: &[Check]) -> Option<String> {
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.message.as_str())
        .collect();
    (!failed.is_empty()).then(|| failed.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(port: u16) -> ConnTarget {
        ConnTarget::new("127.0.0.1", port, "app", None, "app")
    }

    #[tokio::test]
    async fn reachability_tells_an_open_port_from_a_closed_one_and_points_at_the_firewall() {
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = open.local_addr().unwrap().port();
        let ok = reachability(&target(port), true).await;
        assert!(ok.ok, "{}", ok.message);
        drop(open);
        let refused = reachability(&target(port), true).await;
        assert!(!refused.ok);
        assert!(
            refused.message.contains("Firewall rules block"),
            "{}",
            refused.message
        );
        let plain = reachability(&target(port), false).await;
        assert!(!plain.ok);
        assert!(!plain.message.contains("firewall"), "{}", plain.message);
    }

    const LIST: &str = ";\n; Archive created at 2026-11-22 06:20:00 UTC\n;     dbname: demo\n\
        ;     Dumped from database version: 16.4 (Debian 16.4-1)\n;     Dumped by pg_dump version: 16.4 (Debian 16.4-1)\n;\n\
        2; 3079 16390 EXTENSION - hstore \n\
        3; 3079 16400 EXTENSION - pg_trgm \n\
        214; 1259 16385 TABLE public a postgres\n";

    #[test]
    fn the_dump_header_gives_its_versions_and_extensions() {
        assert_eq!(dump_versions(LIST), (Some(16), Some(16)));
        assert_eq!(
            dump_extensions(LIST),
            BTreeSet::from(["hstore".to_string(), "pg_trgm".to_string()])
        );
        assert_eq!(major_version("pg_restore (PostgreSQL) 15.18"), Some(15));
    }

    #[test]
    fn a_dump_newer_than_the_client_names_the_package_to_install() {
        let c = versions_check(Some(15), Some(16), Some(15), Some(16));
        assert!(!c.ok);
        assert!(c.message.contains("postgresql-client-16"), "{}", c.message);
        let c = versions_check(Some(16), Some(15), Some(14), Some(15));
        assert!(c.ok, "older target only warns");
        assert!(c.message.contains("PostgreSQL 15") && c.message.contains("runs 14"));
        assert!(versions_check(Some(15), Some(15), Some(15), Some(15)).ok);
    }

    #[test]
    fn too_little_disk_fails_with_both_figures() {
        let c = disk_check(1_000_000_000, 3_000_000_000, Path::new("/data"));
        assert!(!c.ok);
        assert!(c.message.contains("1.0 GB") && c.message.contains("3.0 GB"));
        assert!(disk_check(5, 4, Path::new("/d")).ok);
    }
}
