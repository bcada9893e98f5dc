//! The span of time a point-in-time restore can target.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The span a point-in-time restore can target (UTC), or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PitrWindow {
    pub available: bool,
    pub earliest: Option<DateTime<Utc>>,
    pub latest: Option<DateTime<Utc>>,
    /// Set when there is no window, saying why.
    pub unavailable_reason: Option<String>,
}

impl PitrWindow {
    pub fn available(earliest: DateTime<Utc>, latest: DateTime<Utc>) -> Self {
        Self {
            available: true,
            earliest: Some(earliest),
            latest: Some(latest),
            unavailable_reason: None,
        }
    }

    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self {
            available: false,
            earliest: None,
            latest: None,
            unavailable_reason: Some(reason.into()),
        }
    }

    /// Whether `t` lies inside the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        matches!((self.earliest, self.latest), (Some(e), Some(l)) if e <= t && t <= l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_holds_its_ends_and_nothing_outside() {
        let e = Utc::now();
        let l = e + chrono::Duration::hours(2);
        let w = PitrWindow::available(e, l);
        assert!(w.available && w.contains(e) && w.contains(l));
        assert!(!w.contains(l + chrono::Duration::seconds(1)));
        let none = PitrWindow::unavailable("no backup yet");
        assert!(!none.available && !none.contains(e));
    }
}
