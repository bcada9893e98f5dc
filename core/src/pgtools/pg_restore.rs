//! pg_restore with the flags the platform documents, and how to read its table of contents and
//! verbose output as progress.

use std::collections::HashSet;
use std::path::Path;

use super::command::ToolCommand;
use super::pg_dump::ConnTarget;

/// How pg_restore writes into its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreMode {
    /// Processes restoring data and indexes at once; ignored in one transaction.
    pub jobs: u32,
    /// All or nothing: a failure leaves the target as it was (one process).
    pub single_transaction: bool,
    /// The role to act as after logging in (`--role`), such as the database's owner.
    pub role: Option<String>,
}

/// Restores a custom-format dump into `target`: existing objects are dropped first, owners,
/// privileges and comments are left out.
pub fn restore(
    bin_dir: &Path,
    target: &ConnTarget,
    file: &Path,
    mode: &RestoreMode,
) -> ToolCommand {
    let mut cmd = ToolCommand::new(bin_dir.join("pg_restore")).args([
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--no-comments",
        "--verbose",
        "--exit-on-error",
    ]);
    cmd = if mode.single_transaction {
        cmd.arg("--single-transaction")
    } else {
        cmd.arg(format!("--jobs={}", mode.jobs.max(1)))
    };
    if let Some(role) = &mode.role {
        cmd = cmd.arg(format!("--role={role}"));
    }
    target.apply(cmd).arg(file)
}

/// `pg_restore --list`: the archive's table of contents.
pub fn list(bin_dir: &Path, file: &Path) -> ToolCommand {
    ToolCommand::new(bin_dir.join("pg_restore"))
        .arg("--list")
        .arg(file)
}

/// The ids of the entries of a table of contents printed by `pg_restore --list`.
pub fn toc_ids(list_output: &str) -> HashSet<u32> {
    list_output
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| l.split_once(';'))
        .filter_map(|(id, _)| id.trim().parse().ok())
        .collect()
}

/// The id of the entry a verbose pg_restore line says was restored, serially or in parallel.
pub fn restored_item(line: &str) -> Option<u32> {
    let rest = line
        .split_once("processing item ")
        .or_else(|| line.split_once("finished item "))?
        .1;
    rest.split_whitespace().next()?.parse().ok()
}

/// Whether a line of pg_restore's stderr belongs in the job's log (errors, warnings, details).
pub fn is_worth_showing(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("pg_restore: ") else {
        return !line.trim().is_empty();
    };
    ["error:", "warning:", "detail:", "hint:"]
        .iter()
        .any(|level| rest.starts_with(level))
}

/// Follows pg_restore's stderr for the entry it stopped on and the server's reason.
#[derive(Debug, Default, Clone)]
pub struct FailureWatch {
    /// The entry being restored, from "from TOC entry 3348; 3466 16399 EVENT TRIGGER evil postgres".
    entry: Option<String>,
    /// The server's error: "permission denied to create event trigger \"evil\"".
    error: Option<String>,
}

/// What only a superuser may do, in the words PostgreSQL refuses it with.
const SUPERUSER_ONLY: &[&str] = &[
    "must be superuser",
    "permission denied to create event trigger",
    "permission denied for language",
    "permission denied to create extension",
    "pg_execute_server_program",
    "pg_read_server_files",
    "pg_write_server_files",
    "only superusers",
];

/// Multi-word kinds of entries in a table of contents, longest first.
const ENTRY_KINDS: &[&str] = &[
    "MATERIALIZED VIEW DATA",
    "FOREIGN DATA WRAPPER",
    "MATERIALIZED VIEW",
    "PROCEDURAL LANGUAGE",
    "EVENT TRIGGER",
    "FK CONSTRAINT",
    "FOREIGN TABLE",
    "LARGE OBJECT",
    "SEQUENCE SET",
    "SEQUENCE OWNED BY",
    "TABLE DATA",
    "DEFAULT ACL",
    "USER MAPPING",
];

/// "EVENT TRIGGER evil", "TABLE DATA t" from the words after an entry's ids: its kind, its
/// tag (which may hold spaces, as a function's arguments do), and its owner.
fn describe_entry(words: &str) -> String {
    let joined = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let (joined, has_owner) = match joined.strip_suffix(" (no owner)") {
        Some(without) => (without.to_string(), false),
        None => (joined, true),
    };
    let kind = ENTRY_KINDS
        .iter()
        .find(|k| joined.starts_with(*k))
        .map(|k| k.to_string())
        .unwrap_or_else(|| joined.split(' ').next().unwrap_or_default().to_string());
    let mut rest: Vec<&str> = joined[kind.len()..].split_whitespace().collect();
    if has_owner && rest.len() >= 2 {
        rest.pop();
    }
    if rest.is_empty() {
        kind
    } else {
        format!("{kind} {}", rest.join(" "))
    }
}

impl FailureWatch {
    /// Takes one line of pg_restore's stderr.
    pub fn see(&mut self, line: &str) {
        if let Some(rest) = line.split_once("from TOC entry ").map(|(_, r)| r) {
            // "3348; 3466 16399 EVENT TRIGGER evil postgres": skip the three numbers.
            let words = rest
                .split_once(';')
                .map(|(_, after)| after.trim_start())
                .unwrap_or(rest);
            let mut it = words.splitn(3, ' ');
            let (_, _, what) = (it.next(), it.next(), it.next());
            self.entry = what.map(describe_entry);
            self.error = None;
        } else if self.error.is_none()
            && let Some((_, error)) = line.split_once("ERROR:")
        {
            self.error = Some(error.trim().to_string());
        }
    }

    /// One sentence when the restore stopped on content only a superuser may restore.
    pub fn superuser_only(&self) -> Option<String> {
        let error = self.error.as_deref()?;
        let lower = error.to_lowercase();
        if !SUPERUSER_ONLY.iter().any(|s| lower.contains(s)) {
            return None;
        }
        let what = self
            .entry
            .as_deref()
            .map(|e| format!("the dump's {e}"))
            .unwrap_or_else(|| "an entry of the dump".into());
        Some(format!(
            "Stopped at {what}, which needs a superuser ({error}); Tidemark restores as the database's owner, never as a superuser, so this content cannot be restored."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    const LIST: &str = ";\n; Archive created at 2026-11-22 06:20:00 UTC\n;\n\
        849; 1247 16407 TYPE public mood postgres\n\
        214; 1259 16385 TABLE public a postgres\n\
        3355; 0 16385 TABLE DATA public a postgres\n\
        3210; 1259 16392 INDEX public a_v_idx postgres\n";

    #[test]
    fn the_table_of_contents_gives_the_entries_to_restore() {
        assert_eq!(toc_ids(LIST), HashSet::from([849, 214, 3355, 3210]));
    }

    #[test]
    fn verbose_lines_name_the_restored_entry() {
        assert_eq!(
            restored_item("pg_restore: processing item 214 TABLE a"),
            Some(214)
        );
        assert_eq!(
            restored_item("pg_restore: finished item 3355 TABLE DATA a"),
            Some(3355)
        );
        assert_eq!(
            restored_item("pg_restore: launching item 3355 TABLE DATA a"),
            None
        );
        assert_eq!(
            restored_item("pg_restore: creating TABLE \"public.a\""),
            None
        );
    }

    #[test]
    fn restore_uses_the_documented_flags_in_parallel_with_the_password_outside_argv() {
        let target = ConnTarget::new(
            "127.0.0.1",
            5433,
            "postgres",
            Some(Secret::new("pw-9".into())),
            "copy",
        );
        let mode = RestoreMode {
            jobs: 4,
            single_transaction: false,
            role: Some("copy_owner".into()),
        };
        let c = restore(Path::new("/pg/bin"), &target, Path::new("/a/x.dump"), &mode);
        let args = c.display_args();
        for flag in [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--jobs=4",
            "--role=copy_owner",
            "--dbname=copy",
        ] {
            assert!(args.contains(&flag.to_string()), "missing {flag}");
        }
        let atomic = RestoreMode {
            jobs: 4,
            single_transaction: true,
            role: None,
        };
        let args = restore(
            Path::new("/pg/bin"),
            &target,
            Path::new("/a/x.dump"),
            &atomic,
        )
        .display_args();
        assert!(args.contains(&"--single-transaction".to_string()));
        assert!(!args.iter().any(|a| a.starts_with("--jobs")));
        assert_eq!(args.last().map(String::as_str), Some("/a/x.dump"));
        assert!(args.iter().all(|a| !a.contains("pw-9")));
    }

    #[test]
    fn a_refusal_for_superuser_content_names_the_entry() {
        let mut w = FailureWatch::default();
        for line in [
            "pg_restore: creating EVENT TRIGGER \"evil\"",
            "pg_restore: while PROCESSING TOC:",
            "pg_restore: from TOC entry 3348; 3466 16399 EVENT TRIGGER evil postgres",
            "pg_restore: error: could not execute query: ERROR:  permission denied to create event trigger \"evil\"",
            "HINT:  Must be superuser to create an event trigger.",
        ] {
            w.see(line);
        }
        let s = w.superuser_only().unwrap();
        assert!(s.contains("the dump's EVENT TRIGGER evil"), "{s}");
        assert!(
            s.contains("permission denied to create event trigger"),
            "{s}"
        );

        let mut w = FailureWatch::default();
        w.see("pg_restore: from TOC entry 3355; 0 16385 TABLE DATA t postgres");
        w.see("pg_restore: error: COPY failed for table \"t\": ERROR:  must be superuser or have privileges of the pg_execute_server_program role to COPY to or from an external program");
        let s = w.superuser_only().unwrap();
        assert!(s.contains("the dump's TABLE DATA t"), "{s}");

        let mut w = FailureWatch::default();
        w.see("pg_restore: from TOC entry 214; 1259 16385 TABLE customers postgres");
        w.see(
            "pg_restore: error: could not execute query: ERROR:  must be owner of table customers",
        );
        assert_eq!(w.superuser_only(), None, "an ordinary failure stays one");
    }

    #[test]
    fn entries_read_as_kind_and_name() {
        assert_eq!(
            describe_entry("EVENT TRIGGER evil postgres"),
            "EVENT TRIGGER evil"
        );
        assert_eq!(describe_entry("TABLE DATA t postgres"), "TABLE DATA t");
        assert_eq!(
            describe_entry("FUNCTION f(integer, text) alice"),
            "FUNCTION f(integer, text)"
        );
        assert_eq!(
            describe_entry("EXTENSION plperlu (no owner)"),
            "EXTENSION plperlu"
        );
    }
}
