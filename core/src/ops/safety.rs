//! Safety copies: the data directories point-in-time restores set aside (listed for anyone,
//! discarded by admins).

use super::{Caller, OpsError, Tidemark};
use crate::auth::Action;
use crate::provider::SafetyCopy;

pub async fn list(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
) -> Result<Vec<SafetyCopy>, OpsError> {
    tm.door(who, Action::Read, Some(database)).await?;
    Ok(tm.catalog.safety_copies(database).await?)
}

/// Deletes a safety copy for good.
pub async fn discard(
    tm: &Tidemark,
    who: &Caller,
    database: &str,
    copy: &str,
) -> Result<(), OpsError> {
    let door = tm
        .door(who, Action::DiscardSafetyCopy, Some(database))
        .await?;
    let result = match tm.catalog.discard_safety_copy(database, copy).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(OpsError::not_found(
            "safety_copy_not_found",
            format!("There is no safety copy '{copy}' for this database."),
        )),
        Err(e) => Err(e.into()),
    };
    door.end(result, |()| copy.to_string()).await
}
