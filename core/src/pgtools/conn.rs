//! Where a database is and how to reach it: host, port, login, database, and how strictly TLS is
//! checked, for Tidemark's own connections and for the tools it runs alike.

use std::path::{Path, PathBuf};

use super::command::ToolCommand;
use crate::secret::Secret;

/// The system's certificate authorities, used to check a server's certificate when no other
/// root certificate is given.
pub const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// libpq's `sslmode`, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether the server's certificate is checked against a root certificate.
    pub fn verifies(self) -> bool {
        self >= SslMode::VerifyCa
    }

    /// What a server gets when nothing says otherwise: `prefer` on this machine, where nothing
    /// travels over a network, and `verify-full` anywhere else.
    pub fn default_for(host: &str) -> Self {
        if is_this_machine(host) {
            SslMode::Prefer
        } else {
            SslMode::VerifyFull
        }
    }
}

/// A loopback address, `localhost`, or a Unix socket's directory.
pub fn is_this_machine(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Where a database is and how to log in. The password only ever goes to the environment.
#[derive(Debug, Clone)]
pub struct ConnTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret<String>>,
    pub dbname: String,
    pub ssl_mode: SslMode,
    /// The root certificate(s) a verifying mode checks the server against.
    pub ssl_root_cert: Option<PathBuf>,
}

impl ConnTarget {
    /// A target with the TLS rules of its host: `prefer` on this machine, `verify-full` against
    /// the system's authorities elsewhere.
    pub fn new(
        host: &str,
        port: u16,
        user: &str,
        password: Option<Secret<String>>,
        dbname: &str,
    ) -> Self {
        let t = ConnTarget {
            host: host.to_string(),
            port,
            user: user.to_string(),
            password,
            dbname: dbname.to_string(),
            ssl_mode: SslMode::default_for(host),
            ssl_root_cert: None,
        };
        t.with_default_roots()
    }

    /// The system's authorities as the root certificate when a verifying mode has none.
    fn with_default_roots(mut self) -> Self {
        if self.ssl_mode.verifies()
            && self.ssl_root_cert.is_none()
            && Path::new(SYSTEM_ROOTS).is_file()
        {
            self.ssl_root_cert = Some(PathBuf::from(SYSTEM_ROOTS));
        }
        self
    }

    /// Raises the TLS mode to at least `mode` (never lowers it), except for a server on this
    /// machine, which keeps what it was given.
    pub fn at_least(mut self, mode: SslMode) -> Self {
        if !is_this_machine(&self.host) && self.ssl_mode < mode {
            self.ssl_mode = mode;
        }
        self.with_default_roots()
    }

    /// Reads `postgres://user:password@host:port/database?sslmode=...&sslrootcert=...`; the error
    /// never repeats the URL, which may hold a password. Without `sslmode`, the host's default.
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
        let mut ssl_mode = SslMode::default_for(&host);
        let mut ssl_root_cert = None;
        for (key, value) in u.query_pairs() {
            match key.as_ref() {
                "sslmode" => {
                    ssl_mode = SslMode::parse(&value).ok_or_else(|| {
                        format!(
                            "the connection URL's sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full"
                        )
                    })?;
                }
                "sslrootcert" => ssl_root_cert = Some(PathBuf::from(value.as_ref())),
                _ => {}
            }
        }
        let t = ConnTarget {
            host,
            port: u.port().unwrap_or(5432),
            user,
            password: u.password().map(decode).transpose()?.map(Secret::new),
            dbname,
            ssl_mode,
            ssl_root_cert,
        };
        Ok(t.with_default_roots())
    }

    /// The same server and login, another database.
    pub fn on_database(&self, dbname: &str) -> Self {
        ConnTarget {
            dbname: dbname.to_string(),
            ..self.clone()
        }
    }

    /// Opens one connection, giving up after 15 s with a sentence that names the server.
    pub async fn connect(&self) -> anyhow::Result<sqlx::PgConnection> {
        use anyhow::Context;
        use sqlx::postgres::PgSslMode;
        use sqlx::{ConnectOptions, Connection};
        let mut o = sqlx::postgres::PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .username(&self.user)
            .database(&self.dbname)
            .application_name("tidemark")
            .ssl_mode(match self.ssl_mode {
                SslMode::Disable => PgSslMode::Disable,
                SslMode::Allow => PgSslMode::Allow,
                SslMode::Prefer => PgSslMode::Prefer,
                SslMode::Require => PgSslMode::Require,
                SslMode::VerifyCa => PgSslMode::VerifyCa,
                SslMode::VerifyFull => PgSslMode::VerifyFull,
            });
        if let Some(root) = &self.ssl_root_cert {
            o = o.ssl_root_cert(root);
        }
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
                "cannot connect to {}:{}/{} (TLS {})",
                self.host,
                self.port,
                self.dbname,
                self.ssl_mode.as_str()
            )
        })
    }

    /// Gives a PostgreSQL program this target: where, who and which database in its arguments,
    /// the password and TLS rules in its environment.
    pub(crate) fn apply(&self, cmd: ToolCommand) -> ToolCommand {
        let app = format!("tidemark-{}", cmd.name());
        let mut cmd = cmd
            .arg(format!("--host={}", self.host))
            .arg(format!("--port={}", self.port))
            .arg(format!("--username={}", self.user))
            .arg(format!("--dbname={}", self.dbname))
            .env("PGCONNECT_TIMEOUT", "10")
            .env("PGAPPNAME", app)
            .env("PGSSLMODE", self.ssl_mode.as_str());
        if let Some(root) = &self.ssl_root_cert {
            cmd = cmd.env("PGSSLROOTCERT", root.display().to_string());
        }
        match &self.password {
            Some(p) => cmd.secret_env("PGPASSWORD", p.clone()),
            None => cmd,
        }
    }
}

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

    #[test]
    fn tls_follows_the_url_and_defaults_to_verifying_away_from_this_machine() {
        let remote = ConnTarget::from_url("postgres://u:p@db.example:5432/d").unwrap();
        assert_eq!(remote.ssl_mode, SslMode::VerifyFull);
        let local = ConnTarget::from_url("postgres://u:p@127.0.0.1:5432/d").unwrap();
        assert_eq!(local.ssl_mode, SslMode::Prefer);
        let asked = ConnTarget::from_url(
            "postgres://u:p@db.example/d?sslmode=verify-ca&sslrootcert=/etc/tm/ca.pem",
        )
        .unwrap();
        assert_eq!(asked.ssl_mode, SslMode::VerifyCa);
        assert_eq!(
            asked.ssl_root_cert.as_deref(),
            Some(Path::new("/etc/tm/ca.pem"))
        );
        let plain = ConnTarget::from_url("postgres://u:p@db.example/d?sslmode=disable").unwrap();
        assert_eq!(plain.ssl_mode, SslMode::Disable);
        let e = ConnTarget::from_url("postgres://u:hunter2@h/d?sslmode=maybe").unwrap_err();
        assert!(e.contains("'maybe'") && !e.contains("hunter2"), "{e}");
        // Scalingo's URLs say `require`: Tidemark asks for more, except on this machine.
        let scalingo = ConnTarget::from_url("postgres://u:p@db.scalingo.example/d?sslmode=require")
            .unwrap()
            .at_least(SslMode::VerifyFull);
        assert_eq!(scalingo.ssl_mode, SslMode::VerifyFull);
        let fake = ConnTarget::from_url("postgres://u:p@127.0.0.1/d?sslmode=prefer")
            .unwrap()
            .at_least(SslMode::VerifyFull);
        assert_eq!(fake.ssl_mode, SslMode::Prefer);
    }

    #[test]
    fn tools_get_the_tls_rules_in_their_environment() {
        let t = ConnTarget {
            ssl_mode: SslMode::VerifyFull,
            ssl_root_cert: Some(PathBuf::from("/tmp/ca.pem")),
            ..ConnTarget::new("db.example", 5432, "app", None, "app")
        };
        let cmd = t.apply(ToolCommand::new("/pg/bin/pg_dump"));
        let env: std::collections::HashMap<_, _> = cmd.env.iter().cloned().collect();
        assert_eq!(env["PGSSLMODE"], "verify-full");
        assert_eq!(env["PGSSLROOTCERT"], "/tmp/ca.pem");
        assert_eq!(env["PGAPPNAME"], "tidemark-pg_dump");
    }
}
