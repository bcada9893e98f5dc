//! A snapshot held open for pg_dump (`--snapshot`) in which the same transaction counts every
//! table's rows, so the counts are exactly what the dump holds.

use anyhow::Context;
use sqlx::{Connection, PgConnection};

use super::conn::ConnTarget;
use super::quote::quote_ident;

/// The tables whose data pg_dump writes (as in `TABLES_TO_DUMP_SQL`), schema and name.
pub const TABLES_TO_COUNT_SQL: &str = "SELECT n.nspname::text, c.relname::text FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r'
      AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1, 2";

/// Row counts by table, named `schema.table` as people write them.
pub use tidemark_types::RowCounts;

/// An exported snapshot: a repeatable-read, read-only transaction kept open until `finish`.
#[derive(Debug)]
pub struct ExportedSnapshot {
    conn: PgConnection,
    /// The id pg_dump is given with `--snapshot`.
    pub id: String,
}

impl ExportedSnapshot {
    /// Opens the transaction on `target` and exports its snapshot.
    pub async fn open(target: &ConnTarget) -> anyhow::Result<Self> {
        let mut conn = target.connect().await?;
        sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut conn)
            .await
            .context("cannot open the dump's transaction")?;
        // As pg_dump: a table whose policies would hide rows fails instead of counting fewer.
        sqlx::query("SET LOCAL row_security = off")
            .execute(&mut conn)
            .await?;
        let id: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut conn)
            .await
            .context("cannot export the dump's snapshot")?;
        Ok(Self { conn, id })
    }

    /// Every dumped table's exact row count, as of the snapshot.
    pub async fn count_rows(&mut self) -> anyhow::Result<RowCounts> {
        count_rows(&mut self.conn).await
    }

    /// Ends the transaction.
    pub async fn finish(mut self) {
        let _ = sqlx::query("COMMIT").execute(&mut self.conn).await;
        let _ = self.conn.close().await;
    }
}

/// Every table's exact row count on `conn`, in whatever transaction it is in.
pub async fn count_rows(conn: &mut PgConnection) -> anyhow::Result<RowCounts> {
    let tables: Vec<(String, String)> = sqlx::query_as(TABLES_TO_COUNT_SQL)
        .fetch_all(&mut *conn)
        .await
        .context("cannot list the tables to count")?;
    let mut counts = RowCounts::new();
    for (schema, table) in tables {
        let sql = format!(
            "SELECT count(*) FROM {}.{}",
            quote_ident(&schema),
            quote_ident(&table)
        );
        let n: i64 = sqlx::query_scalar(&sql)
            .fetch_one(&mut *conn)
            .await
            .with_context(|| format!("cannot count the rows of {schema}.{table}"))?;
        counts.insert(
            format!("{schema}.{table}"),
            u64::try_from(n).unwrap_or_default(),
        );
    }
    Ok(counts)
}
