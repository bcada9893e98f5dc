//! Server functions behind the pages: each reads the shared state and calls one `core` function.

use leptos::prelude::*;

use crate::model::{BackupsTab, Database};

#[cfg(feature = "ssr")]
pub mod ssr {
    //! What the server gives server functions and pages through context.

    use leptos::prelude::*;
    use tidemark_core::Catalog;
    use tidemark_core::provider::ProviderError;

    /// Provided by the server for every page render and server function call.
    #[derive(Clone)]
    pub struct ServerContext {
        pub catalog: Catalog,
    }

    pub fn context() -> Result<ServerContext, ServerFnError> {
        use_context::<ServerContext>()
            .ok_or_else(|| ServerFnError::new("the server context is missing"))
    }

    /// The sentence a person reads; internal details go to the log, once.
    pub fn user_error(e: ProviderError) -> ServerFnError {
        match e {
            ProviderError::NotFound(_) | ProviderError::Unavailable(_) => {
                ServerFnError::new(e.to_string())
            }
            other => {
                tracing::error!(error = %other, "provider call failed");
                ServerFnError::new(
                    "Tidemark could not read this from the database server; the server log says why.",
                )
            }
        }
    }
}

/// Every database Tidemark serves.
#[server(prefix = "/_fn", endpoint = "databases")]
pub async fn list_databases() -> Result<Vec<Database>, ServerFnError> {
    let cx = ssr::context()?;
    let dbs = cx.catalog.databases().await.map_err(ssr::user_error)?;
    Ok(dbs.into_iter().map(Into::into).collect())
}

/// The Backups tab of one database; `None` when there is no such database.
#[server(prefix = "/_fn", endpoint = "backups_tab")]
pub async fn load_backups_tab(id: String) -> Result<Option<BackupsTab>, ServerFnError> {
    use tidemark_core::provider::ProviderError;
    let cx = ssr::context()?;
    match cx.catalog.overview(&id).await {
        Ok(o) => Ok(Some(BackupsTab {
            database: o.database.into(),
            window: o.window.into(),
            backups: o.backups.into_iter().map(Into::into).collect(),
        })),
        Err(ProviderError::NotFound(_)) => Ok(None),
        Err(e) => Err(ssr::user_error(e)),
    }
}
