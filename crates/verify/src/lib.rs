//! `flarelink verify`: calls `https://<hostname>/<route>` without a token (expects API Gateway's
//! Cognito authorizer to answer 401) and with one (expects 2xx), and explains what it sees.
//!
//! * [`run_checks`] makes the calls ([`Probe`] says where and how) and returns a
//!   [`VerifyReport`] of [`Check`]s;
//! * [`diagnose`] is the pure function that turns one observation, the token's claims and the
//!   expectation into a [`Diagnosis`]: what went wrong and what to do.

mod diagnose;
mod observe;
mod probe;

pub use diagnose::{diagnose, Diagnosis, DiagnosisKind, Expectation, ExpectedStatus};
pub use flarelink_auth::Secret;
pub use observe::{Failure, FailureKind, Observed, PresentedCertificate, Response};
pub use probe::{run_checks, Check, Probe, ProbeError, VerifyReport};
