//! Firewall rules of a Dedicated Resources database.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FirewallRuleKind {
    /// An address range given as a CIDR, with a label.
    Custom,
    /// A range the provider maintains (e.g. its own region's outgoing addresses).
    Managed,
}

/// One rule letting addresses reach a Dedicated Resources database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FirewallRule {
    pub id: String,
    pub kind: FirewallRuleKind,
    pub cidr: Option<String>,
    pub label: Option<String>,
    pub range_id: Option<String>,
    /// The managed range's name, when known.
    pub range_name: Option<String>,
}

/// A rule to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NewFirewallRule {
    Custom { cidr: String, label: String },
    Managed { range_id: String },
}

/// A range the provider maintains, which a rule can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManagedRange {
    pub id: String,
    pub name: String,
}

/// A database's firewall: its rules and the managed ranges on offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Firewall {
    pub rules: Vec<FirewallRule>,
    pub managed_ranges: Vec<ManagedRange>,
    /// The most rules a database can have.
    pub max_rules: usize,
}
