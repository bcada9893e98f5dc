//! The rows a test restore found, set against the backup's own counts, or against the previous
//! verified backup's when no one counted them.

use std::collections::BTreeSet;

use crate::store::{LogicalBackup, Store};
use tidemark_types::{RowCounts, TableCheck, VerificationOutcome};

/// Every table counted at backup time or found after the restore, side by side.
pub(super) fn compare(expected: Option<&RowCounts>, found: &RowCounts) -> Vec<TableCheck> {
    let names: BTreeSet<&String> = found
        .keys()
        .chain(expected.into_iter().flat_map(|e| e.keys()))
        .collect();
    names
        .into_iter()
        .map(|table| TableCheck {
            table: table.clone(),
            // With no counts recorded, nothing was expected of any table in particular.
            expected: expected.map(|e| e.get(table).copied().unwrap_or(0)),
            found: found.get(table).copied(),
        })
        .collect()
}

/// Tables with less than half the rows they had in the database's previous verified backup: the
/// check for backups whose rows no one counted when they were made.
pub(super) async fn shrunk_since_last(
    store: &Store,
    record: &LogicalBackup,
    found: &RowCounts,
) -> anyhow::Result<Vec<String>> {
    let previous = store
        .verifications(&record.database, 200)
        .await?
        .into_iter()
        .find(|v| v.outcome == VerificationOutcome::Passed && v.backup != record.backup.id);
    let Some(previous) = previous else {
        return Ok(Vec::new());
    };
    Ok(previous
        .evidence
        .tables
        .iter()
        .filter_map(|t| {
            let before = t.found.filter(|n| *n > 0)?;
            let now = found.get(&t.table).copied().unwrap_or(0);
            (now.saturating_mul(2) < before).then(|| {
                format!(
                    "{} has {now} rows, less than half the {before} of the previous verified backup ({}).",
                    t.table, previous.backup
                )
            })
        })
        .collect())
}

/// A table whose rows differ, in a sentence.
pub(super) fn mismatch(t: &TableCheck) -> String {
    match (t.expected, t.found) {
        (Some(e), Some(f)) => format!(
            "{} has {f} rows after the restore, but the backup counted {e}.",
            t.table
        ),
        (Some(e), None) => format!(
            "{} is missing after the restore; the backup counted {e} rows in it.",
            t.table
        ),
        _ => format!("{} does not match the backup.", t.table),
    }
}
