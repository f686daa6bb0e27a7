/// What kind of failure, so callers can decide without string matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No region, bad profile, unusable endpoint.
    Config,
    /// No credentials, or credentials AWS rejects (expired, invalid, unrecognized).
    Credentials,
    /// The principal lacks an IAM permission.
    AccessDenied,
    /// Throttled beyond our retry budget.
    Throttled,
    NotFound,
    Conflict,
    /// AWS rejected the request's content.
    BadRequest,
    /// A quota (not a rate) is exhausted, e.g. ACM's imported-certificate limit.
    LimitExceeded,
    /// No answer (timeout, connection failure, 5xx) after retries.
    Transport,
    Other,
}

#[derive(Debug, thiserror::Error)]
#[error("AWS {operation} failed: {message}{}", .code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
pub struct Error {
    pub operation: &'static str,
    pub kind: ErrorKind,
    /// The service's error code, e.g. `TooManyRequestsException`.
    pub code: Option<String>,
    /// The service's own message, verbatim.
    pub message: String,
}

impl Error {
    /// What the user can do about it (e.g. the IAM action to grant), when we know.
    pub fn hint(&self) -> Option<String> {
        todo!()
    }
}
