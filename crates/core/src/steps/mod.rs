//! The six steps of `link-domain`, one module each, named as users see them. Each module holds
//! everything about its step:
//!
//! - `discover`: the read-only calls that find its live state;
//! - `decide`: a pure function from that state to a plan type, or a [`Refusal`] when something
//!   not flarelink's is in the way (decided while planning, so a refused run changes nothing);
//! - `apply`: the calls that carry the decision out;
//! - `report` (what a dry-run prints and what an applied step prints) and `static_report` (the
//!   line of a dry-run that could not read live state);
//! - for `unlink-domain`: `decide_removal` (pure) and `remove`, with their report (`ssl-mode`
//!   takes the hostnames out of flarelink's Configuration Rule; the zone's own mode stays).
//!
//! With `[domain.certificate] source = "acm"`, `acm_request` and `validation_record` take the
//! place of `origin_cert` and `acm_import` for that hostname (steps 1 and 2).
//!
//! The orchestrators (`link`, `unlink`) only say in which order the steps run and what each
//! needs from the ones before. Running a step twice converges: the second `decide` sees the first
//! one's result and answers "exists".

pub mod acm_import;
pub mod acm_request;
pub mod api_mapping;
pub mod custom_domain;
pub mod default_endpoint;
pub mod dns_record;
pub mod domain_mtls;
pub mod origin_cert;
pub mod origin_pull_cert;
pub mod ssl_mode;
pub mod truststore;
pub mod validation_record;

use crate::report::StepId;

/// Something not flarelink's is in the way; the step refuses and the run changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub fix: String,
}

impl Refusal {
    pub fn new(message: impl Into<String>, fix: impl Into<String>) -> Self {
        Refusal {
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// A value a step needs that an earlier step of the same run produces: known already (it
/// exists), or known only after that step has run (a plan can name it, not show it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending<T> {
    Known(T),
    AfterStep(StepId),
}

impl<T> Pending<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Pending::Known(v) => Some(v),
            Pending::AfterStep(_) => None,
        }
    }
}

/// DNS names compare case-insensitively and without a trailing dot.
pub(crate) fn same_dns_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}
