//! Sessions kept in Tidemark's state database, for the session layer. Only a hash of each
//! session's id is stored, so a copy of the database opens no session.

use async_trait::async_trait;
use tidemark_core::store::Store;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone)]
pub struct StateSessions(pub Store);

impl std::fmt::Debug for StateSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateSessions")
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// What the database keeps in place of a session's id.
fn stored_id(id: &Id) -> String {
    tidemark_core::auth::hash_token(&id.to_string())
}

fn encode(r: &Record) -> session_store::Result<Vec<u8>> {
    serde_json::to_vec(r).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait]
impl SessionStore for StateSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let data = encode(record)?;
            let expires = record.expiry_date.unix_timestamp();
            if self
                .0
                .create_session(&stored_id(&record.id), &data, expires)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.0
            .save_session(
                &stored_id(&record.id),
                &encode(record)?,
                record.expiry_date.unix_timestamp(),
            )
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = chrono::Utc::now().timestamp();
        match self
            .0
            .load_session(&stored_id(id), now)
            .await
            .map_err(backend)?
        {
            Some(data) => serde_json::from_slice(&data)
                .map(Some)
                .map_err(|e| session_store::Error::Decode(e.to_string())),
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0.delete_session(&stored_id(id)).await.map_err(backend)
    }
}
