use crate::certs::CertError;
use crate::config::ConfigErrors;
use crate::report::StepId;

/// Why a run stopped. `exit_code` maps it to the CLI's contract: 2 bad input, 1 a cloud refused
/// or failed (or flarelink refused to touch what is not its own).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(#[from] ConfigErrors),

    #[error("{step} ({hostname}): {source}")]
    Cloudflare {
        step: StepId,
        hostname: String,
        #[source]
        source: flarelink_cloudflare::Error,
    },

    #[error("{step} ({hostname}): {source}")]
    Aws {
        step: StepId,
        hostname: String,
        #[source]
        source: flarelink_aws::Error,
    },

    /// Something that is not flarelink's is in the way; nothing was changed.
    #[error("{step} ({hostname}): refused: {message}")]
    Conflict {
        step: StepId,
        hostname: String,
        message: String,
        fix: String,
    },

    /// What the step needs is missing (e.g. the REST API or stage does not exist).
    #[error("{step} ({hostname}): {message}")]
    Precondition {
        step: StepId,
        hostname: String,
        message: String,
        fix: String,
    },

    #[error("{step} ({hostname}): {source}")]
    Certificate {
        step: StepId,
        hostname: String,
        #[source]
        source: CertError,
    },

    /// The run lock could not be taken, renewed or was lost (see `run_lock`).
    #[error("run lock: {message}")]
    Lock { message: String, fix: String },

    /// `FLARELINK_FAULT_AFTER_STEP` stopped the run on purpose (crash-recovery tests).
    #[error("stopped after step {0} (FLARELINK_FAULT_AFTER_STEP)")]
    InjectedFault(StepId),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) => 2,
            _ => 1,
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Config(_) => None,
            Error::Cloudflare { source, .. } => source.hint(),
            Error::Aws { source, .. } => source.hint(),
            Error::Conflict { fix, .. }
            | Error::Precondition { fix, .. }
            | Error::Lock { fix, .. } => Some(fix.clone()),
            Error::Certificate { .. } => Some(
                "nothing was imported; the origin certificate was revoked. Run the command again; if it repeats, report it with the message above".into(),
            ),
            Error::InjectedFault(_) => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::Cloudflare { .. } => "cloudflare",
            Error::Aws { .. } => "aws",
            Error::Conflict { .. } => "conflict",
            Error::Precondition { .. } => "precondition",
            Error::Certificate { .. } => "certificate",
            Error::Lock { .. } => "lock",
            Error::InjectedFault(_) => "injected-fault",
        }
    }
}

/// Shorthands that attach the step and hostname to a cloud error.
pub(crate) trait Context<T> {
    fn step(self, step: StepId, hostname: &str) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, flarelink_cloudflare::Error> {
    fn step(self, step: StepId, hostname: &str) -> Result<T, Error> {
        self.map_err(|source| Error::Cloudflare {
            step,
            hostname: hostname.to_string(),
            source,
        })
    }
}

impl<T> Context<T> for Result<T, flarelink_aws::Error> {
    fn step(self, step: StepId, hostname: &str) -> Result<T, Error> {
        self.map_err(|source| Error::Aws {
            step,
            hostname: hostname.to_string(),
            source,
        })
    }
}
