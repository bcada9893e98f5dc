//! pg_restore with the flags the platform documents, and how to read its table of contents and
//! verbose output as progress.

use std::collections::HashSet;
use std::path::Path;

use super::command::ToolCommand;
use super::pg_dump::ConnTarget;

/// Restores a custom-format dump into `target`: existing objects are dropped first, owners,
/// privileges and comments are left out; `jobs` > 1 restores data and indexes in parallel.
pub fn restore(bin_dir: &Path, target: &ConnTarget, file: &Path, jobs: u32) -> ToolCommand {
    let cmd = ToolCommand::new(bin_dir.join("pg_restore"))
        .args([
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--verbose",
            "--exit-on-error",
        ])
        .arg(format!("--jobs={}", jobs.max(1)));
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
        let target = ConnTarget {
            host: "127.0.0.1".into(),
            port: 5433,
            user: "postgres".into(),
            password: Some(Secret::new("pw-9".into())),
            dbname: "copy".into(),
        };
        let c = restore(Path::new("/pg/bin"), &target, Path::new("/a/x.dump"), 4);
        let args = c.display_args();
        for flag in [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--jobs=4",
            "--dbname=copy",
        ] {
            assert!(args.contains(&flag.to_string()), "missing {flag}");
        }
        assert_eq!(args.last().map(String::as_str), Some("/a/x.dump"));
        assert!(args.iter().all(|a| !a.contains("pw-9")));
    }
}
