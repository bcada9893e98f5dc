//! The real data behind the fake: one PostgreSQL cluster, a database and login per addon, and
//! backup archives that are real pg_dump files packed as Scalingo packs them.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use tidemark_core::pgtools::pg_dump::{ConnTarget, dump_custom};
use tidemark_core::pgtools::runner::run;
use tidemark_core::testing::TestCluster;

pub(crate) struct Data {
    pub cluster: TestCluster,
}

/// A little data per database, so a restore has something to show.
fn seed_sql(resource: &str) -> String {
    let table = if resource.starts_with("metrics") {
        "readings"
    } else if resource.starts_with("ledger") {
        "entries"
    } else {
        "orders"
    };
    format!(
        "CREATE TABLE {table} (id bigserial PRIMARY KEY, note text, at timestamptz DEFAULT now());
         INSERT INTO {table} (note) SELECT 'row ' || g FROM generate_series(1, 500) g;"
    )
}

impl Data {
    pub(crate) async fn start() -> anyhow::Result<Data> {
        Ok(Data {
            cluster: TestCluster::start().await,
        })
    }

    /// Creates the addon's login and database with a little data; returns its connection URL.
    pub(crate) async fn create_database(&self, resource: &str) -> anyhow::Result<String> {
        let admin = self.cluster.cluster.conn_target();
        let password: String = (0..20)
            .map(|_| char::from(b'a' + rand::random::<u8>() % 26))
            .collect();
        let mut conn = ConnTarget {
            dbname: "postgres".into(),
            ..admin.clone()
        }
        .connect()
        .await?;
        sqlx::raw_sql(&format!(
            "CREATE ROLE {resource} LOGIN PASSWORD '{password}'"
        ))
        .execute(&mut conn)
        .await?;
        sqlx::raw_sql(&format!("CREATE DATABASE {resource} OWNER {resource}"))
            .execute(&mut conn)
            .await?;
        let mut db = ConnTarget {
            dbname: resource.into(),
            user: resource.into(),
            password: Some(password.clone().into()),
            ..admin.clone()
        }
        .connect()
        .await?;
        sqlx::raw_sql(&seed_sql(resource)).execute(&mut db).await?;
        Ok(format!(
            "postgresql://{resource}:{password}@{}:{}/{resource}?sslmode=prefer",
            admin.host, admin.port
        ))
    }

    /// A pg_dump of the database, as a .tar.gz holding `<name>.pgsql`.
    pub(crate) async fn archive(&self, url: &str, name: &str) -> anyhow::Result<Vec<u8>> {
        let target = ConnTarget::from_url(url).map_err(anyhow::Error::msg)?;
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("dump.pgsql");
        let bin = self.cluster.config.pg_bin_dir.clone();
        run(&dump_custom(&bin, &target, &file), Duration::from_secs(120))
            .await
            .context("pg_dump")?;
        pack(&std::fs::read(&file)?, name)
    }

    pub(crate) async fn stop(self) {
        self.cluster.stop().await;
    }
}

/// Packs a dump as Scalingo's archives are: a gzip'd tar holding one `<name>.pgsql` file.
pub(crate) fn pack(dump: &[u8], name: &str) -> anyhow::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(dump.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, format!("{name}.pgsql"), dump)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar.into_inner()?)?;
    Ok(gz.finish()?)
}
