//! The main database's owner: a role without superuser rights, made with the database or handed
//! an existing one and everything in it, so dumps and restores act as it and never as the
//! cluster's superuser.

use sqlx::postgres::PgPoolOptions;

use super::cluster::{ManagedCluster, quote_ident};
use super::demo::DEMO_SQL;
use super::error::ClusterError;

impl ManagedCluster {
    /// Creates the main database, owned by a role without superuser rights (dumps and restores
    /// act as that owner), with the demo data when asked. A main database left owned by the
    /// superuser by an earlier version is handed to that role, with everything in it.
    pub(super) async fn ensure_main_database(&self) -> Result<(), ClusterError> {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(self.connect_options("postgres"))
            .await
            .map_err(|source| self.connect_error(source))?;
        let owner = crate::pgtools::acting::owner_role_for(&self.spec.main_database);
        let role_exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(&owner)
                .fetch_one(&admin)
                .await
                .map_err(|source| self.connect_error(source))?;
        if !role_exists {
            sqlx::query(&format!(
                "CREATE ROLE {} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
                quote_ident(&owner)
            ))
            .execute(&admin)
            .await
            .map_err(|source| self.connect_error(source))?;
        }
        let current: Option<(String, bool)> = sqlx::query_as(
            "SELECT r.rolname::text, r.rolsuper FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
             WHERE d.datname = $1",
        )
        .bind(&self.spec.main_database)
        .fetch_optional(&admin)
        .await
        .map_err(|source| self.connect_error(source))?;
        match current {
            None => {
                let create = format!(
                    "CREATE DATABASE {} OWNER {}",
                    quote_ident(&self.spec.main_database),
                    quote_ident(&owner)
                );
                sqlx::query(&create)
                    .execute(&admin)
                    .await
                    .map_err(|source| self.connect_error(source))?;
                if self.spec.demo {
                    let mut tx = self
                        .pool()
                        .begin()
                        .await
                        .map_err(|s| self.connect_error(s))?;
                    // Made by the owner, as an application's tables would be.
                    sqlx::query(&format!("SET LOCAL ROLE {}", quote_ident(&owner)))
                        .execute(&mut *tx)
                        .await
                        .map_err(|s| self.connect_error(s))?;
                    for stmt in DEMO_SQL {
                        sqlx::query(stmt)
                            .execute(&mut *tx)
                            .await
                            .map_err(|s| self.connect_error(s))?;
                    }
                    tx.commit().await.map_err(|s| self.connect_error(s))?;
                }
                tracing::info!(cluster = %self.spec.name, database = %self.spec.main_database, owner = %owner, demo = self.spec.demo, "created the main database");
            }
            Some((_, true)) => {
                tracing::info!(cluster = %self.spec.name, database = %self.spec.main_database, owner = %owner, "handing the main database to a role without superuser rights");
                sqlx::query(&format!(
                    "ALTER DATABASE {} OWNER TO {}",
                    quote_ident(&self.spec.main_database),
                    quote_ident(&owner)
                ))
                .execute(&admin)
                .await
                .map_err(|source| self.connect_error(source))?;
                sqlx::query(&hand_over_sql(&owner))
                    .execute(self.pool())
                    .await
                    .map_err(|s| self.connect_error(s))?;
            }
            Some((_, false)) => {}
        }
        admin.close().await;
        Ok(())
    }
}

/// Gives `owner` what the superuser owns in a database outside the system's schemas: schemas,
/// tables, views, sequences, functions, types and large objects (extensions stay as they are).
fn hand_over_sql(owner: &str) -> String {
    let to = quote_ident(owner).replace('\'', "''");
    format!(
        "DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT n.nspname FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner
           WHERE o.rolsuper AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = n.oid AND d.deptype = 'e')
  LOOP EXECUTE format('ALTER SCHEMA %I OWNER TO {to}', r.nspname); END LOOP;
  FOR r IN SELECT n.nspname, c.relname, c.relkind FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles o ON o.oid = c.relowner
           WHERE o.rolsuper AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
             AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
  LOOP
    EXECUTE format('ALTER %s %I.%I OWNER TO {to}',
      CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                     WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.nspname, r.relname);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS f, p.prokind FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = p.proowner
           WHERE o.rolsuper AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO {to}',
      CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.f);
  END LOOP;
  FOR r IN SELECT t.oid::regtype AS t, t.typtype FROM pg_type t
           JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_roles o ON o.oid = t.typowner
           WHERE o.rolsuper AND t.typtype IN ('e', 'd', 'c', 'r') AND t.typelem = 0
             AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
             AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype IN ('e', 'i'))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO {to}', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.t);
  END LOOP;
  FOR r IN SELECT m.oid FROM pg_largeobject_metadata m JOIN pg_roles o ON o.oid = m.lomowner
           WHERE o.rolsuper
  LOOP EXECUTE format('ALTER LARGE OBJECT %s OWNER TO {to}', r.oid); END LOOP;
END $$"
    )
}
