//! pg_dump with the flags the platform documents for portable dumps, and what its verbose output says.

use std::path::Path;

use super::command::ToolCommand;
use crate::secret::Secret;

/// Where a database is and how to log in. The password only ever goes to the environment.
#[derive(Debug, Clone)]
pub struct ConnTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret<String>>,
    pub dbname: String,
}

impl ConnTarget {
    /// Reads `postgres://user:password@host:port/database`; the error never repeats the URL,
    /// which may hold a password.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let u =
            url::Url::parse(url).map_err(|e| format!("the connection URL cannot be read ({e})"))?;
        if !matches!(u.scheme(), "postgres" | "postgresql") {
            return Err("the connection URL must start with postgres://".into());
        }
        let decode = |s: &str| {
            percent_decode(s)
                .ok_or_else(|| "the connection URL has a badly escaped part".to_string())
        };
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the connection URL names no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let user = match u.username() {
            "" => "postgres".to_string(),
            name => decode(name)?,
        };
        let dbname = match u.path().trim_start_matches('/') {
            "" => user.clone(),
            name => decode(name)?,
        };
        Ok(ConnTarget {
            host,
            port: u.port().unwrap_or(5432),
            user,
            password: u.password().map(decode).transpose()?.map(Secret::new),
            dbname,
        })
    }

    /// Opens one connection, giving up after 15 s with a sentence that names the server.
    pub async fn connect(&self) -> anyhow::Result<sqlx::PgConnection> {
        use anyhow::Context;
        use sqlx::{ConnectOptions, Connection};
        let mut o = sqlx::postgres::PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .username(&self.user)
            .database(&self.dbname)
            .application_name("tidemark");
        if let Some(p) = &self.password {
            o = o.password(p.expose());
        }
        let o = o.disable_statement_logging();
        tokio::time::timeout(
            std::time::Duration::from_secs(15),
            sqlx::PgConnection::connect_with(&o),
        )
        .await
        .context("the database server did not answer within 15 s")?
        .with_context(|| {
            format!(
                "cannot connect to {}:{}/{}",
                self.host, self.port, self.dbname
            )
        })
    }

    pub(crate) fn apply(&self, cmd: ToolCommand) -> ToolCommand {
        let cmd = cmd
            .arg(format!("--host={}", self.host))
            .arg(format!("--port={}", self.port))
            .arg(format!("--username={}", self.user))
            .arg(format!("--dbname={}", self.dbname))
            .env("PGCONNECT_TIMEOUT", "10")
            .env("PGAPPNAME", "tidemark");
        match &self.password {
            Some(p) => cmd.secret_env("PGPASSWORD", p.clone()),
            None => cmd,
        }
    }
}

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

/// Decodes `%XX` escapes of a URL part; `None` when they are not valid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_targets_with_defaults_and_escapes() {
        let t = ConnTarget::from_url("postgres://app%40x:p%2Fss@db.internal:6432/crm").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("db.internal", 6432));
        assert_eq!((t.user.as_str(), t.dbname.as_str()), ("app@x", "crm"));
        assert_eq!(t.password.unwrap().expose(), "p/ss");
        let t = ConnTarget::from_url("postgresql://bob@localhost").unwrap();
        assert_eq!((t.port, t.dbname.as_str()), (5432, "bob"));
        assert!(t.password.is_none());
        let e = ConnTarget::from_url("mysql://u:hunter2@h/d").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(ConnTarget::from_url("postgres:///d").is_err());
    }

    fn target() -> ConnTarget {
        ConnTarget {
            host: "127.0.0.1".into(),
            port: 5433,
            user: "postgres".into(),
            password: Some(Secret::new("pw-123".into())),
            dbname: "demo".into(),
        }
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
