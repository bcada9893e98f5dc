//! pg_amcheck over a whole database: every table's heap, and every B-tree index checked against
//! the heap it indexes.

use std::path::Path;

use super::command::ToolCommand;
use super::conn::ConnTarget;

/// Checks every relation of `target`'s database; exit 0 when nothing is corrupt. pg_amcheck
/// takes the database as its last argument rather than `--dbname`.
pub fn check_database(bin_dir: &Path, target: &ConnTarget) -> ToolCommand {
    let cmd =
        ToolCommand::new(bin_dir.join("pg_amcheck")).args(["--heapallindexed", "--no-password"]);
    let mut cmd = target.apply(cmd);
    cmd.args
        .retain(|a| !a.to_string_lossy().starts_with("--dbname="));
    cmd.arg(&target.dbname)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_is_checked_against_its_heap_and_the_password_stays_out_of_argv() {
        let target = ConnTarget::new(
            "127.0.0.1",
            5439,
            "tidemark_verifier",
            Some(crate::secret::Secret::new("pw-9".into())),
            "verify_x",
        );
        let c = check_database(Path::new("/pg/bin"), &target);
        assert_eq!(c.program, Path::new("/pg/bin/pg_amcheck"));
        let args = c.display_args();
        assert!(args.contains(&"--heapallindexed".to_string()));
        assert_eq!(
            args.last().map(String::as_str),
            Some("verify_x"),
            "{args:?}"
        );
        assert!(!args.iter().any(|a| a.starts_with("--dbname")), "{args:?}");
        assert!(args.iter().all(|a| !a.contains("pw-9")));
    }
}
