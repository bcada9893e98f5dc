//! The one kind of error every operation returns: what went wrong for the person who asked, a
//! stable code, and the field at fault. The edges map it to HTTP or to a page's error in one place
//! each; internal details are logged here, once, and never reach a page.

use crate::auth::Denied;

/// What kind of failure, which decides how an edge answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The database, job, backup, user... does not exist.
    NotFound,
    /// The request cannot be carried out as it is; `field` says which part when one does.
    Invalid,
    /// It clashes with what is there or running now.
    Conflict,
    /// The caller's role does not allow it.
    Denied,
    /// Something Tidemark depends on (a provider, the disk, the server itself) cannot do it now.
    Unavailable,
    /// Tidemark's own fault; the server log says why.
    Internal,
}

/// An operation's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OpsError {
    pub kind: ErrorKind,
    /// Stable and machine-readable: `database_not_found`, `invalid_field`, `forbidden`...
    pub code: &'static str,
    /// A sentence for a person.
    pub message: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
}

impl OpsError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, "invalid_field", message).at(field)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, code, message)
    }

    /// Tidemark's own failure: logged once here with its cause, shown as a plain sentence.
    pub fn internal(cause: impl std::fmt::Display, what: &str) -> Self {
        tracing::error!(error = %cause, "{what}");
        Self::new(
            ErrorKind::Internal,
            "internal_error",
            format!("Tidemark could not {what}; the server log says why."),
        )
    }

    /// The same error, naming the field at fault.
    pub fn at(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    /// The same error under another stable code.
    pub fn coded(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl From<Denied> for OpsError {
    fn from(d: Denied) -> Self {
        Self::new(
            ErrorKind::Denied,
            "forbidden",
            format!("{}.", capitalise(&d.to_string())),
        )
    }
}

impl From<crate::store::StoreError> for OpsError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::internal(e, "read or write its state")
    }
}

impl From<crate::provider::ProviderError> for OpsError {
    fn from(e: crate::provider::ProviderError) -> Self {
        use crate::provider::ProviderError as P;
        match e {
            P::NotFound(id) => Self::not_found(
                "database_not_found",
                format!("There is no database with the id '{id}'."),
            ),
            P::Unavailable(m) => {
                tracing::warn!(error = %m, "provider unavailable");
                Self::unavailable("provider_unavailable", m)
            }
            P::Missing(m) => Self::not_found("not_found", m),
            P::Invalid { field, message } => Self {
                field,
                ..Self::new(ErrorKind::Invalid, "invalid_field", message)
            },
            P::Conflict(m) => Self::conflict("conflict", m),
            P::NotSupported(m) => Self::new(ErrorKind::Invalid, "not_supported", m),
            P::Upstream(m) => {
                tracing::warn!(error = %m, "the provider's service refused or failed");
                Self::unavailable("provider_error", m)
            }
            other => Self::internal(other, "complete this request"),
        }
    }
}

impl From<crate::jobs::JobError> for OpsError {
    fn from(e: crate::jobs::JobError) -> Self {
        use crate::jobs::JobError as J;
        match e {
            J::NotFound(id) => job_not_found(&id),
            J::AlreadyFinished(state) => Self::conflict(
                "job_finished",
                format!("The job has already ended ({state}); there is nothing to cancel."),
            ),
            J::ShuttingDown => Self::unavailable(
                "shutting_down",
                "The server is shutting down; try again once it is back.",
            ),
            J::Store(s) => Self::internal(s, "record this job"),
        }
    }
}

/// No job with this id.
pub fn job_not_found(id: &str) -> OpsError {
    OpsError::not_found(
        "job_not_found",
        format!("There is no job with the id '{id}'."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Action, Role};

    #[test]
    fn errors_keep_their_kind_code_and_field() {
        let d: OpsError = Denied {
            action: Action::PitrRestore,
            needed: Role::Admin,
            have: Role::Viewer,
            user: "vera".into(),
        }
        .into();
        assert_eq!((d.kind, d.code), (ErrorKind::Denied, "forbidden"));
        assert!(d.message.starts_with("To restore"), "{}", d.message);
        let i = OpsError::invalid("hour", "The hour must be from 0 to 23.");
        assert_eq!(
            (i.kind, i.code, i.field.as_deref()),
            (ErrorKind::Invalid, "invalid_field", Some("hour"))
        );
        let nf: OpsError = crate::provider::ProviderError::NotFound("x".into()).into();
        assert_eq!(nf.code, "database_not_found");
        let internal: OpsError =
            crate::provider::ProviderError::Internal("disk on fire".into()).into();
        assert_eq!(internal.kind, ErrorKind::Internal);
        assert!(
            !internal.message.contains("disk on fire"),
            "no internals reach a page"
        );
    }
}
