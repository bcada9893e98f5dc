//! pg_dump with the flags the platform documents for portable dumps, and what its verbose output says.

use std::path::Path;

use super::command::ToolCommand;
pub use super::conn::{ConnTarget, SslMode};

/// A custom-format dump of one database: no owners, privileges or comments, and none of the
/// system schemas, so it restores onto another server and role.
pub fn dump_custom(bin_dir: &Path, target: &ConnTarget, file: &Path) -> ToolCommand {
    let cmd = ToolCommand::new(bin_dir.join("pg_dump"))
        .args([
            "--format=custom",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--exclude-schema=information_schema",
            "--exclude-schema=^pg_*",
            "--verbose",
        ])
        .arg(format!("--file={}", file.display()));
    target.apply(cmd)
}

/// The same dump, reading the snapshot another transaction exported, so that what that
/// transaction sees (row counts, for one) is exactly what the dump holds.
pub fn in_snapshot(cmd: ToolCommand, snapshot: &str) -> ToolCommand {
    cmd.arg(format!("--snapshot={snapshot}"))
}

/// The table a verbose pg_dump line says it is dumping now, e.g. `public.customers`.
pub fn dumped_table(line: &str) -> Option<&str> {
    let rest = line.split_once("dumping contents of table ")?.1;
    Some(rest.trim().trim_matches('"'))
}

/// Whether a line of pg_dump's stderr deserves a place in the job's log: its errors, warnings and
/// their details, not the verbose chatter that only feeds progress.
pub fn is_worth_showing(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("pg_dump: ") else {
        return !line.trim().is_empty();
    };
    ["error:", "warning:", "detail:", "hint:", "fatal:"]
        .iter()
        .any(|level| rest.starts_with(level))
}

/// The catalog query for the tables whose data pg_dump writes with the flags above: ordinary
/// tables and partitions outside the system schemas, and not owned by an extension.
pub const TABLES_TO_DUMP_SQL: &str = "SELECT count(*) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r'
      AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')";

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> ConnTarget {
        ConnTarget::new(
            "127.0.0.1",
            5433,
            "postgres",
            Some(crate::secret::Secret::new("pw-123".into())),
            "demo",
        )
    }

    #[test]
    fn a_dump_in_a_snapshot_names_it() {
        let c = in_snapshot(
            dump_custom(Path::new("/pg/bin"), &target(), Path::new("/a/x.dump")),
            "00000003-0000001B-1",
        );
        assert!(
            c.display_args()
                .contains(&"--snapshot=00000003-0000001B-1".to_string())
        );
    }

    #[test]
    fn dump_uses_the_documented_flags_and_keeps_the_password_out_of_argv() {
        let c = dump_custom(Path::new("/pg/bin"), &target(), Path::new("/a/x.dump"));
        assert_eq!(c.program, Path::new("/pg/bin/pg_dump"));
        let args = c.display_args();
        for flag in [
            "--format=custom",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--exclude-schema=information_schema",
            "--exclude-schema=^pg_*",
            "--verbose",
            "--file=/a/x.dump",
            "--host=127.0.0.1",
            "--port=5433",
            "--username=postgres",
            "--dbname=demo",
        ] {
            assert!(args.contains(&flag.to_string()), "missing {flag}");
        }
        assert!(args.iter().all(|a| !a.contains("pw-123")));
        assert!(
            c.secret_env
                .iter()
                .any(|(k, v)| k == "PGPASSWORD" && v.expose() == "pw-123")
        );
    }

    #[test]
    fn verbose_lines_name_the_table_being_dumped() {
        assert_eq!(
            dumped_table("pg_dump: dumping contents of table \"public.customers\""),
            Some("public.customers")
        );
        assert_eq!(
            dumped_table("pg_dump: dumping contents of table \"Sales \"\"EU\"\".orders\""),
            Some("Sales \"\"EU\"\".orders")
        );
        assert_eq!(dumped_table("pg_dump: reading extensions"), None);
    }

    #[test]
    fn only_errors_and_warnings_reach_the_log() {
        assert!(is_worth_showing(
            "pg_dump: error: query failed: ERROR:  permission denied"
        ));
        assert!(is_worth_showing(
            "pg_dump: warning: there are circular foreign-key constraints"
        ));
        assert!(is_worth_showing("pg_dump: detail: Query was: LOCK TABLE"));
        assert!(!is_worth_showing("pg_dump: finding extension tables"));
        assert!(!is_worth_showing(
            "pg_dump: dumping contents of table \"public.t\""
        ));
    }
}
