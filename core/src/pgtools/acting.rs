//! The role a dump or a restore acts as: never a superuser. What a dump holds is untrusted, and a
//! superuser running it could reach the operating system (`COPY ... TO PROGRAM`, untrusted
//! languages). When Tidemark's own login to a server is a superuser (its managed clusters, or a
//! URL that names one), each job gets a short-lived login role that is a member of the target
//! database's owner, acts as that owner, and is dropped when the job ends.

use anyhow::Context;
use rand::Rng;
use sqlx::Connection;

use super::pg_dump::ConnTarget;
use super::quote::{quote_ident, quote_literal};

/// The longest name PostgreSQL keeps for a role.
const MAX_NAME: usize = 63;

/// The owner role Tidemark gives a database it creates on a server where it logs in as a
/// superuser: `<database>_owner`, shortened with a hash when too long.
pub fn owner_role_for(database: &str) -> String {
    let name = format!("{database}_owner");
    if name.len() <= MAX_NAME {
        return name;
    }
    let hash = crate::auth::hash_token(database);
    let mut keep = MAX_NAME - "_owner".len() - 9;
    while !database.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}_{}_owner", &database[..keep], &hash[..8])
}

/// What the login can do on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRights {
    pub superuser: bool,
    pub user: String,
}

/// Whether `target`'s login is a superuser.
pub async fn rights(target: &ConnTarget) -> anyhow::Result<LoginRights> {
    let mut conn = target.connect().await?;
    let (user, superuser): (String, bool) = sqlx::query_as(
        "SELECT current_user::text, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .context("cannot read the login's rights")?;
    let _ = conn.close().await;
    Ok(LoginRights { superuser, user })
}

/// The owner of `database` and whether that owner is a superuser.
pub async fn owner_of(admin: &ConnTarget, database: &str) -> anyhow::Result<(String, bool)> {
    let mut conn = admin.connect().await?;
    let owner: (String, bool) = sqlx::query_as(
        "SELECT r.rolname::text, r.rolsuper FROM pg_catalog.pg_database d
         JOIN pg_catalog.pg_roles r ON r.oid = d.datdba WHERE d.datname = $1",
    )
    .bind(database)
    .fetch_one(&mut conn)
    .await
    .with_context(|| format!("cannot read the owner of the database '{database}'"))?;
    let _ = conn.close().await;
    Ok(owner)
}

/// How a job's tools and queries reach their database without superuser rights.
#[derive(Debug)]
pub struct Acting {
    /// The login: the job's own role, or the server's login when it is not a superuser.
    pub login: ConnTarget,
    /// The role to act as once logged in (`pg_restore --role`), when the login is a job role.
    pub role: Option<String>,
    job_role: Option<JobRole>,
}

/// A login role made for one job; dropped by `Acting::finish`.
#[derive(Debug)]
struct JobRole {
    admin: ConnTarget,
    name: String,
}

fn random_suffix(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(n)
        .map(|c| char::from(c).to_ascii_lowercase())
        .collect()
}

/// The statements that make a job's login role: no superuser, no new databases or roles, a
/// member of `owner` (and, for dumps, able to read everything), valid for a day at most.
pub fn job_role_sql(name: &str, password: &str, owner: &str, read_all: bool) -> Vec<String> {
    let until = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d %H:%M:%S+00")
        .to_string();
    let mut sql = vec![
        format!(
            "CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 16 VALID UNTIL {}",
            quote_ident(name),
            quote_literal(password),
            quote_literal(&until)
        ),
        format!("GRANT {} TO {}", quote_ident(owner), quote_ident(name)),
    ];
    if read_all && owner != "pg_read_all_data" {
        sql.push(format!("GRANT pg_read_all_data TO {}", quote_ident(name)));
    }
    if read_all {
        // Large objects have no "read everything" right: a reader made for one dump may read
        // them all (pg_dump writes none).
        sql.push(format!(
            "ALTER ROLE {} SET lo_compat_privileges = on",
            quote_ident(name)
        ));
    }
    sql
}

impl Acting {
    /// Acts as the server's own login, which is not a superuser.
    fn as_login(login: ConnTarget) -> Self {
        Self {
            login,
            role: None,
            job_role: None,
        }
    }

    /// A job role for `owner` on `admin`'s server, logging in to `database`.
    async fn job_role(
        admin: &ConnTarget,
        database: &str,
        owner: &str,
        read_all: bool,
    ) -> anyhow::Result<Self> {
        // A dump reads as the role itself; a restore acts as the owner, so what it makes belongs to the owner.
        let acts_as_owner = !read_all;
        let name = format!("tidemark_job_{}", random_suffix(12));
        let password = random_suffix(32);
        let mut conn = admin.connect().await?;
        // The right to read everything came with PostgreSQL 14; older servers go without it.
        let read_all = read_all
            && sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pg_read_all_data')",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap_or(false);
        for stmt in job_role_sql(&name, &password, owner, read_all) {
            sqlx::query(&stmt)
                .execute(&mut conn)
                .await
                .with_context(|| format!("cannot make the role a job acts as for '{owner}'"))?;
        }
        let _ = conn.close().await;
        Ok(Self {
            login: ConnTarget {
                user: name.clone(),
                password: Some(crate::secret::Secret::new(password)),
                dbname: database.to_string(),
                ..admin.clone()
            },
            role: acts_as_owner.then(|| owner.to_string()),
            job_role: Some(JobRole {
                admin: ConnTarget {
                    dbname: "postgres".into(),
                    ..admin.clone()
                },
                name,
            }),
        })
    }

    /// For a dump of `target`'s database: its owner's rights and the right to read everything,
    /// when Tidemark logs in as a superuser; otherwise the login itself. A database owned by a
    /// superuser is read by a role with no more than the right to read.
    pub async fn for_dump(target: &ConnTarget) -> anyhow::Result<Self> {
        if !rights(target).await?.superuser {
            return Ok(Self::as_login(target.clone()));
        }
        let (owner, owner_is_superuser) = owner_of(target, &target.dbname).await?;
        let owner = if owner_is_superuser {
            "pg_read_all_data".to_string()
        } else {
            owner
        };
        Self::job_role(target, &target.dbname, &owner, true).await
    }

    /// For a restore over `target`'s database: as its owner, never as a superuser. Refused when
    /// the owner is a superuser itself, with a sentence saying what to change.
    pub async fn for_restore_in_place(target: &ConnTarget) -> anyhow::Result<Self> {
        if !rights(target).await?.superuser {
            return Ok(Self::as_login(target.clone()));
        }
        let (owner, owner_is_superuser) = owner_of(target, &target.dbname).await?;
        if owner_is_superuser {
            anyhow::bail!(
                "The database '{}' is owned by the superuser '{owner}', and Tidemark never restores as a superuser. Make a role without superuser rights its owner (ALTER DATABASE {} OWNER TO ...), then restore again.",
                target.dbname,
                quote_ident(&target.dbname)
            );
        }
        Self::job_role(target, &target.dbname, &owner, false).await
    }

    /// Creates `name` on `maintenance`'s server for a restore, and the way to fill it: owned by
    /// a new role without superuser rights when Tidemark logs in as a superuser, otherwise by the
    /// login itself.
    pub async fn for_new_database(maintenance: &ConnTarget, name: &str) -> anyhow::Result<Self> {
        let login = rights(maintenance).await?;
        let mut conn = maintenance.connect().await?;
        if !login.superuser {
            sqlx::query(&format!("CREATE DATABASE {}", quote_ident(name)))
                .execute(&mut conn)
                .await
                .with_context(|| format!("cannot create the database '{name}'"))?;
            let _ = conn.close().await;
            return Ok(Self::as_login(ConnTarget {
                dbname: name.to_string(),
                ..maintenance.clone()
            }));
        }
        let owner = owner_role_for(name);
        let existing: Option<bool> =
            sqlx::query_scalar("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1")
                .bind(&owner)
                .fetch_optional(&mut conn)
                .await?;
        match existing {
            Some(true) => anyhow::bail!(
                "The role '{owner}' that would own the new database is a superuser; choose another name for the database."
            ),
            Some(false) => {}
            None => {
                sqlx::query(&format!(
                    "CREATE ROLE {} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
                    quote_ident(&owner)
                ))
                .execute(&mut conn)
                .await
                .with_context(|| format!("cannot create the role '{owner}'"))?;
            }
        }
        sqlx::query(&format!(
            "CREATE DATABASE {} OWNER {}",
            quote_ident(name),
            quote_ident(&owner)
        ))
        .execute(&mut conn)
        .await
        .with_context(|| format!("cannot create the database '{name}'"))?;
        let _ = conn.close().await;
        Self::job_role(maintenance, name, &owner, false).await
    }

    /// The connection the tools use.
    pub fn target(&self) -> &ConnTarget {
        &self.login
    }

    /// One connection as the acting role (logged in, then `SET ROLE` to the owner).
    pub async fn connect(&self) -> anyhow::Result<sqlx::PgConnection> {
        let mut conn = self.login.connect().await?;
        if let Some(role) = &self.role {
            sqlx::query(&format!("SET ROLE {}", quote_ident(role)))
                .execute(&mut conn)
                .await
                .with_context(|| format!("cannot act as '{role}'"))?;
        }
        Ok(conn)
    }

    /// Ends the job's role: its sessions are closed, what it owns goes to the owner, and it is
    /// dropped. A failure is logged, never hidden: the role expires within a day anyway.
    pub async fn finish(mut self) {
        let Some(job) = self.job_role.take() else {
            return;
        };
        if let Err(e) = drop_job_role(&job, &self.login.dbname, self.role.as_deref()).await {
            tracing::warn!(role = %job.name, error = %format!("{e:#}"), "cannot drop a job's role; it expires within a day");
        }
    }
}

impl Drop for Acting {
    fn drop(&mut self) {
        // Not finished (a job stopped half-way): drop the role in the background.
        if let Some(job) = self.job_role.take()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let (database, role) = (self.login.dbname.clone(), self.role.clone());
            handle.spawn(async move {
                if let Err(e) = drop_job_role(&job, &database, role.as_deref()).await {
                    tracing::warn!(role = %job.name, error = %format!("{e:#}"), "cannot drop a job's role; it expires within a day");
                }
            });
        }
    }
}

async fn drop_job_role(job: &JobRole, database: &str, owner: Option<&str>) -> anyhow::Result<()> {
    let mut admin = job.admin.connect().await?;
    sqlx::query(
        "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE usename = $1",
    )
    .bind(&job.name)
    .execute(&mut admin)
    .await?;
    // Objects made by the job role itself (not while acting as the owner) go to the owner; its
    // grants in the database go with it.
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1)",
    )
    .bind(database)
    .fetch_one(&mut admin)
    .await?;
    if exists {
        let mut db = ConnTarget {
            dbname: database.to_string(),
            ..job.admin.clone()
        }
        .connect()
        .await?;
        if let Some(owner) = owner {
            sqlx::query(&format!(
                "REASSIGN OWNED BY {} TO {}",
                quote_ident(&job.name),
                quote_ident(owner)
            ))
            .execute(&mut db)
            .await?;
        }
        sqlx::query(&format!("DROP OWNED BY {}", quote_ident(&job.name)))
            .execute(&mut db)
            .await?;
        let _ = db.close().await;
    }
    sqlx::query(&format!("DROP ROLE IF EXISTS {}", quote_ident(&job.name)))
        .execute(&mut admin)
        .await?;
    let _ = admin.close().await;
    Ok(())
}

/// Drops a database made for a restore that did not complete, and its owner role when Tidemark
/// made one for it and it owns nothing else.
pub async fn drop_new_database(maintenance: &ConnTarget, name: &str) {
    let Ok(mut conn) = maintenance.connect().await else {
        return;
    };
    let _ = sqlx::query(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
    .execute(&mut conn)
    .await;
    let owner = owner_role_for(name);
    let owns_databases: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database d JOIN pg_catalog.pg_roles r ON r.oid = d.datdba WHERE r.rolname = $1)",
    )
    .bind(&owner)
    .fetch_one(&mut conn)
    .await
    .unwrap_or(true);
    if !owns_databases {
        // Fails harmlessly when the role still owns something elsewhere.
        let _ = sqlx::query(&format!("DROP ROLE IF EXISTS {}", quote_ident(&owner)))
            .execute(&mut conn)
            .await;
    }
    let _ = conn.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_roles_fit_postgres_names() {
        assert_eq!(owner_role_for("demo_copy"), "demo_copy_owner");
        let long = "a".repeat(63);
        let role = owner_role_for(&long);
        assert!(role.len() <= 63, "{role}");
        assert!(role.ends_with("_owner"));
        assert_ne!(owner_role_for(&long), owner_role_for(&"a".repeat(62)));
        let accented = "é".repeat(31);
        assert!(owner_role_for(&accented).len() <= 63);
    }

    #[test]
    fn a_job_role_has_no_rights_beyond_the_owner() {
        let sql = job_role_sql("tidemark_job_x", "pw'1", "demo_owner", false).join(";\n");
        for needed in [
            "NOSUPERUSER",
            "NOCREATEDB",
            "NOCREATEROLE",
            "NOREPLICATION",
            "NOBYPASSRLS",
            "VALID UNTIL",
            "GRANT \"demo_owner\" TO \"tidemark_job_x\"",
            "PASSWORD 'pw''1'",
        ] {
            assert!(sql.contains(needed), "missing {needed}: {sql}");
        }
        assert!(!sql.contains("pg_read_all_data"));
        let dump = job_role_sql("tidemark_job_x", "pw", "demo_owner", true).join(";\n");
        assert!(dump.contains("GRANT pg_read_all_data TO \"tidemark_job_x\""));
        assert!(dump.contains("lo_compat_privileges = on"));
        assert!(!sql.contains("lo_compat_privileges"));
    }
}
