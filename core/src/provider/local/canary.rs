//! The canary: a small table in a database of its own on each managed cluster, to which Tidemark
//! writes a timestamped row every few minutes. A drill restored to a moment between two rows must
//! hold the first and not the second, which proves it replayed exactly to its target.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

use super::cluster::ManagedCluster;
use super::error::ClusterError;
use crate::pgtools::quote::quote_ident;

/// The canary's database: apart from the main one, so that dumps and restores never carry it.
pub const CANARY_DATABASE: &str = "tidemark_canary";
/// How long rows are kept; a drill only needs the newest few.
const KEEP: TimeDelta = TimeDelta::days(35);
/// How often each cluster gets a row.
const EVERY: Duration = Duration::from_secs(300);

/// Writes a canary row to each managed cluster every few minutes.
#[derive(Debug)]
pub struct CanaryWriter {
    pub clusters: Vec<Arc<ManagedCluster>>,
}

impl CanaryWriter {
    /// Writes until cancelled; a cluster that is down (being restored) is skipped this round.
    pub async fn run(self, token: CancellationToken) -> anyhow::Result<()> {
        crate::periodic::every(EVERY, token, || async {
            for cluster in &self.clusters {
                if let Err(e) = cluster.write_canary().await {
                    tracing::debug!(cluster = %cluster.spec.name, error = %e, "no canary row this time");
                }
            }
        })
        .await
    }
}

impl ManagedCluster {
    async fn canary_connection(&self, port: u16) -> Result<PgConnection, ClusterError> {
        PgConnection::connect_with(&self.connect_options(CANARY_DATABASE).port(port))
            .await
            .map_err(|source| self.connect_error(source))
    }

    /// Creates the canary's database and table unless they exist.
    pub(super) async fn ensure_canary(&self) -> Result<(), ClusterError> {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(CANARY_DATABASE)
                .fetch_one(self.pool())
                .await
                .map_err(|source| self.connect_error(source))?;
        if !exists {
            sqlx::query(&format!("CREATE DATABASE {}", quote_ident(CANARY_DATABASE)))
                .execute(self.pool())
                .await
                .map_err(|source| self.connect_error(source))?;
        }
        let mut conn = self.canary_connection(self.port).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS canary (written_at timestamptz PRIMARY KEY DEFAULT clock_timestamp())",
        )
        .execute(&mut conn)
        .await
        .map_err(|source| self.connect_error(source))?;
        Ok(())
    }

    /// Writes one canary row, in a transaction of its own; returns its time.
    pub async fn write_canary(&self) -> Result<DateTime<Utc>, ClusterError> {
        let mut conn = self.canary_connection(self.port).await?;
        let at: DateTime<Utc> =
            sqlx::query_scalar("INSERT INTO canary DEFAULT VALUES RETURNING written_at")
                .fetch_one(&mut conn)
                .await
                .map_err(|source| self.connect_error(source))?;
        sqlx::query("DELETE FROM canary WHERE written_at < $1")
            .bind(at - KEEP)
            .execute(&mut conn)
            .await
            .map_err(|source| self.connect_error(source))?;
        Ok(at)
    }

    /// The two newest canary rows written after `after`, oldest first, if there are two.
    pub(super) async fn canary_pair_after(
        &self,
        after: DateTime<Utc>,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, ClusterError> {
        let mut conn = self.canary_connection(self.port).await?;
        let newest: Vec<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT written_at FROM canary WHERE written_at > $1 ORDER BY written_at DESC LIMIT 2",
        )
        .bind(after)
        .fetch_all(&mut conn)
        .await
        .map_err(|source| self.connect_error(source))?;
        Ok(match newest.as_slice() {
            [second, first] => Some((*first, *second)),
            _ => None,
        })
    }

    /// Which of these canary rows a copy of the cluster listening on `port` holds.
    pub(super) async fn canary_rows_on(
        &self,
        port: u16,
        rows: [DateTime<Utc>; 2],
    ) -> Result<[bool; 2], ClusterError> {
        let mut conn = self.canary_connection(port).await?;
        let mut found = [false; 2];
        for (i, at) in rows.into_iter().enumerate() {
            found[i] =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM canary WHERE written_at = $1)")
                    .bind(at)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|source| self.connect_error(source))?;
        }
        Ok(found)
    }
}
