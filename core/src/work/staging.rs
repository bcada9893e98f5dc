//! A backup made ready to restore: its archive, Tidemark's own file or the provider's download,
//! goes through the same checks as an uploaded dump and is kept as one.

use futures_util::TryStreamExt;

use super::backup::find_archive;
use super::upload::{self, Upload, UploadError};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::provider::ProviderError;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Upload(#[from] UploadError),
}

/// Copies backup `backup` of `database` (or its newest successful one, for `latest`) into the
/// uploads, the dump taken out of its archive; restore it as the returned upload.
pub async fn stage_backup(
    catalog: &Catalog,
    store: &Store,
    config: &Config,
    database: &str,
    backup: &str,
) -> Result<Upload, StageError> {
    let db = catalog.database(database).await?;
    let artifacts = config.artifacts_dir();
    // The same limits as a file sent from a browser: an archive from a provider is no more
    // trusted to unpack to a sane size than one from a person.
    let limit = upload::UploadLimits::from_max(config.max_upload_bytes);
    if let Some(archive) = catalog.open_archive(&db.id, backup, None).await? {
        let reader = tokio_util::io::StreamReader::new(archive.body.map_err(std::io::Error::other));
        return Ok(upload::receive(&artifacts, &limit, reader).await?);
    }
    let Some((_, path)) = find_archive(store, config, &db.id, backup).await? else {
        return Err(StageError::NotFound(format!(
            "{} has no finished logical backup with the id '{backup}' to restore.",
            db.name
        )));
    };
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(UploadError::Io)?;
    Ok(upload::receive(&artifacts, &limit, file).await?)
}
