//! `flarelink verify`: calls `https://<hostname>/<route>` without a token (expects API Gateway's
//! Cognito authorizer to answer 401) and with one (expects 2xx), and explains what it sees.
//!
//! * [`run_checks`] makes the calls ([`Probe`] says where and how) and returns a
//!   [`VerifyReport`] of [`Check`]s;
//! * [`diagnose`] is the pure function that turns one observation, the token's claims and the
//!   expectation into a [`Diagnosis`]: what went wrong and what to do;
//! * with [`Probe::bypass`], two direct calls around Cloudflare — the custom domain's regional
//!   name and the REST API's default endpoint, without token or client certificate — judged by
//!   the pure [`judge_bypass`]: refused, open or could not check; open fails verify only when
//!   the origin lock is required.

mod bypass;
mod bypass_verdict;
mod diagnose;
mod observe;
mod probe;

pub use bypass::{BypassCheck, BypassReport, BypassTargets, DefaultEndpointTarget, RegionalTarget};
pub use bypass_verdict::{
    judge_bypass, state_of, BypassExpectation, BypassKind, BypassState, BypassVerdict,
};
pub use diagnose::{diagnose, Diagnosis, DiagnosisKind, Expectation, ExpectedStatus};
pub use flarelink_auth::Secret;
pub use observe::{Failure, FailureKind, Observed, PresentedCertificate, Response, ANY_HOST};
pub use probe::{run_checks, Check, Probe, ProbeError, VerifyReport};
