//! How far a job has come: real numbers, from the catalog or the archive's table of contents.

use serde::{Deserialize, Serialize};

/// A job's progress, as its events carry it and its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    /// What the job is doing now, e.g. "dumping tables".
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
    /// What `done` and `total` count: "tables", "entries", "WAL segments".
    pub unit: String,
    /// The item being worked on, e.g. a table name.
    pub current: Option<String>,
    pub bytes: u64,
    pub bytes_per_second: Option<f64>,
    pub eta_seconds: Option<u64>,
}

impl Progress {
    /// How far along, in tenths of a percent (1000 is done), when the total is known.
    pub fn per_mille(&self) -> Option<u64> {
        match self.total {
            Some(0) => Some(1000),
            Some(t) => Some(
                u64::try_from(u128::from(self.done.min(t)) * 1000 / u128::from(t)).unwrap_or(1000),
            ),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_mille_is_bounded_and_exact() {
        let p = |done, total| Progress {
            phase: "x".into(),
            done,
            total,
            unit: "tables".into(),
            current: None,
            bytes: 0,
            bytes_per_second: None,
            eta_seconds: None,
        };
        assert_eq!(p(1, Some(3)).per_mille(), Some(333));
        assert_eq!(p(5, Some(3)).per_mille(), Some(1000));
        assert_eq!(p(0, Some(0)).per_mille(), Some(1000));
        assert_eq!(p(2, None).per_mille(), None);
    }
}
