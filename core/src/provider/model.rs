//! The domain's nouns: a database, a backup, a recoverable window (shared with the browser and
//! the API from `tidemark-types`), and an archive streamed from a provider.

pub use tidemark_types::{
    Backup, BackupMethod, BackupStatus, Database, DatabaseStatus, Features, Firewall, FirewallRule,
    FirewallRuleKind, Hosting, ManagedRange, NewFirewallRule, PitrWindow, ProviderKind,
    ProviderSchedule, SafetyCopy,
};

/// An archive being fetched from the provider, streamed through to whoever downloads it.
pub struct ArchiveStream {
    pub file_name: String,
    /// Whether this is the part asked for with a Range (206), not the whole archive.
    pub partial: bool,
    pub content_length: Option<u64>,
    pub content_range: Option<String>,
    pub body: futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>,
}

impl std::fmt::Debug for ArchiveStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveStream")
            .field("file_name", &self.file_name)
            .field("partial", &self.partial)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}
