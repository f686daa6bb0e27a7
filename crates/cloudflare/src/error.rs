/// One entry of Cloudflare's `errors` array. Codes are kept as u32: DNS codes reach 81058.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ApiMessage {
    pub code: u32,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Cloudflare answered `success: false` (after retries, if the failure was transient).
    #[error("Cloudflare refused {operation} (HTTP {status}): {}", render(.errors))]
    Api {
        operation: &'static str,
        status: u16,
        errors: Vec<ApiMessage>,
    },
    /// The request never got an answer (connection refused/reset, timeout), after retries.
    #[error("could not reach Cloudflare for {operation} at {url}: {detail}")]
    Transport {
        operation: &'static str,
        url: String,
        detail: String,
    },
    /// The zone name matched nothing the token can see.
    #[error("zone {name:?} not found (or the token cannot see it)")]
    ZoneNotFound { name: String },
    /// An answer that is not Cloudflare's envelope or lacks what we need.
    #[error("unexpected answer from Cloudflare for {operation}: {detail}")]
    InvalidResponse {
        operation: &'static str,
        detail: String,
    },
    /// Bad client configuration (e.g. an unparsable base URL).
    #[error("invalid Cloudflare client configuration: {0}")]
    Config(String),
}

fn render(errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        return "no error detail".into();
    }
    errors
        .iter()
        .map(|e| format!("{} (code {})", e.message, e.code))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// Cloudflare error codes carried by this error.
    pub fn codes(&self) -> Vec<u32> {
        match self {
            Error::Api { errors, .. } => errors.iter().map(|e| e.code).collect(),
            _ => Vec::new(),
        }
    }

    /// What the user can do about it, when we know.
    pub fn hint(&self) -> Option<String> {
        todo!()
    }
}
