//! From one direct call around Cloudflare to a verdict: refused, open or could not check, and
//! whether that fails `verify`. Pure: no I/O.
//!
//! The two ways around Cloudflare (issue 13): the custom domain's regional name
//! (`d-….execute-api.<region>.amazonaws.com`) called with the hostname as SNI and Host, and the
//! REST API's default endpoint (`<api-id>.execute-api.<region>.amazonaws.com/<stage>/…`).
//! With the origin lock on, API Gateway refuses both: the domain requires Cloudflare's client
//! certificate (no certificate → the TLS handshake fails or 403), and the default endpoint is
//! disabled (403 Forbidden).

use serde::Serialize;

use crate::diagnose::{d, Diagnosis, DiagnosisKind};
use crate::observe::{FailureKind, Observed};

/// Which way around Cloudflare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BypassKind {
    /// The custom domain's regional name, with SNI and Host = the hostname, no client
    /// certificate, no token.
    RegionalName,
    /// The REST API's default execute-api endpoint, no token.
    DefaultEndpoint,
}

impl BypassKind {
    pub fn label(self) -> &'static str {
        match self {
            BypassKind::RegionalName => "regional name",
            BypassKind::DefaultEndpoint => "default endpoint",
        }
    }
}

/// What a direct call met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BypassState {
    /// API Gateway refused it: the TLS handshake failed with an alert, or 403 before the API.
    Refused,
    /// It reached the API (the authorizer's 401, a 2xx, the API's own errors).
    Open,
    /// Neither a refusal nor an answer (timeout, DNS failure, connection refused), or the call
    /// could not be made (the target is unknown): proves nothing either way.
    CouldNotCheck,
}

/// Everything [`judge_bypass`] compares a call with.
#[derive(Debug, Clone)]
pub struct BypassExpectation {
    pub kind: BypassKind,
    /// The hostname the lock is for (`api.example.com`).
    pub hostname: String,
    /// What was called, for the messages (the regional name, or the default endpoint's URL).
    pub target: String,
    /// The configuration turns the lock on for the hostname (`origin_lock = "mtls"`): an open or
    /// unchecked bypass fails verify. Off: the verdict is information only.
    pub lock_required: bool,
    /// What API Gateway's control plane says is set — mutual TLS on the custom domain, or
    /// `disableExecuteApiEndpoint` on the REST API — when it was read.
    pub configured: Option<bool>,
}

/// The verdict on one direct call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BypassVerdict {
    pub state: BypassState,
    /// False only when the lock is required and the bypass is open or unchecked.
    pub passed: bool,
    /// One line for the report: what was seen.
    pub note: String,
    /// When it fails: what is open and the fix.
    pub diagnosis: Option<Diagnosis>,
}

/// An API Gateway 403 that comes from inside an API that was reached: no resource or method at
/// that path (the API answered, so the way in is open).
fn reached_the_api(message: Option<&str>, error_type: Option<&str>) -> bool {
    message == Some("Missing Authentication Token")
        || error_type == Some("MissingAuthenticationTokenException")
}

/// What one call's observation means, for either kind.
pub fn state_of(observed: &Observed) -> BypassState {
    match observed {
        Observed::Response(r) if r.status == 403 => {
            if reached_the_api(r.message.as_deref(), r.error_type()) {
                BypassState::Open
            } else {
                BypassState::Refused
            }
        }
        Observed::Response(_) => BypassState::Open,
        // The server ended the handshake with an alert: mutual TLS refusing a client without a
        // certificate (AWS: "fail the TLS handshake").
        Observed::Failure(f) if f.kind == FailureKind::TlsRefused => BypassState::Refused,
        // A timeout, a DNS failure or a refused TCP connection is not API Gateway refusing.
        Observed::Failure(_) => BypassState::CouldNotCheck,
    }
}

fn seen(observed: &Observed) -> String {
    match observed {
        Observed::Response(r) => match r.message.as_deref() {
            Some(m) => format!("HTTP {} {m:?}", r.status),
            None => format!("HTTP {}", r.status),
        },
        Observed::Failure(f) if f.kind == FailureKind::TlsRefused => {
            "the TLS handshake was refused".to_owned()
        }
        Observed::Failure(f) => f.message.clone(),
    }
}

/// The verdict on `call`: the observation, or why no call was made.
pub fn judge_bypass(call: Result<&Observed, &str>, e: &BypassExpectation) -> BypassVerdict {
    let (state, seen) = match call {
        Ok(observed) => (state_of(observed), seen(observed)),
        Err(why) => (BypassState::CouldNotCheck, why.to_owned()),
    };
    let what = match e.kind {
        BypassKind::RegionalName => "the regional name",
        BypassKind::DefaultEndpoint => "the default endpoint",
    };
    let note = match state {
        BypassState::Refused => format!("refused ({seen})"),
        BypassState::Open => format!("open: {what} answers without Cloudflare ({seen})"),
        BypassState::CouldNotCheck => format!("could not check ({seen})"),
    };
    let diagnosis = match (e.lock_required, state) {
        (false, _) | (true, BypassState::Refused) => None,
        (true, BypassState::Open) => Some(open_diagnosis(e, &seen)),
        (true, BypassState::CouldNotCheck) => Some(d(
            DiagnosisKind::BypassNotChecked,
            format!(
                "origin_lock = \"mtls\" for {}, but whether {what} {} refuses direct calls could not be checked: {seen}",
                e.hostname, e.target
            ),
            "a timeout or DNS failure proves nothing either way: check the network path to AWS (and the AWS credentials verify reads the custom domain and REST API with), then run verify again",
        )),
    };
    BypassVerdict {
        state,
        passed: diagnosis.is_none(),
        note,
        diagnosis,
    }
}

fn open_diagnosis(e: &BypassExpectation, seen: &str) -> Diagnosis {
    let host = &e.hostname;
    match e.kind {
        BypassKind::RegionalName => {
            let why = match e.configured {
                Some(true) => " although the custom domain has mutual TLS configured (a client certificate the truststore trusts must not be this machine's: verify sends none; was the truststore changed?)",
                Some(false) => ": the custom domain does not require a client certificate (no mutual TLS)",
                None => "",
            };
            d(
                DiagnosisKind::RegionalNameOpen,
                format!(
                    "origin_lock = \"mtls\" for {host}, but a direct call to the custom domain's regional name {} with Host {host} and no client certificate reached the API ({seen}){why} — anyone can bypass Cloudflare's WAF, rate limits, DDoS protection and logs this way",
                    e.target
                ),
                format!("run `flarelink link-domain --hostname {host}` with origin_lock = \"mtls\" in its [[domain]]: it makes the custom domain require Cloudflare's client certificate"),
            )
        }
        BypassKind::DefaultEndpoint => {
            let (why, fix) = match e.configured {
                Some(true) => (
                    " — disableExecuteApiEndpoint is set on the REST API, but the stage was not deployed since (the setting takes effect only with a deployment)",
                    format!("deploy the stage again (`flarelink link-domain --hostname {host}` with origin_lock = \"mtls\" does it; a deployment publishes the API's current definition)"),
                ),
                _ => (
                    "",
                    format!("run `flarelink link-domain --hostname {host}` with origin_lock = \"mtls\" in its [[domain]]: it turns the REST API's default endpoint off (disableExecuteApiEndpoint) and deploys the stage"),
                ),
            };
            d(
                DiagnosisKind::DefaultEndpointOpen,
                format!(
                    "origin_lock = \"mtls\" for {host}, but the REST API's default endpoint {} still answers ({seen}){why} — anyone can call the API without Cloudflare",
                    e.target
                ),
                fix,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::{Failure, Response};

    fn expect(
        kind: BypassKind,
        lock_required: bool,
        configured: Option<bool>,
    ) -> BypassExpectation {
        BypassExpectation {
            kind,
            hostname: "api.example.com".into(),
            target: match kind {
                BypassKind::RegionalName => "d-abc123.execute-api.us-east-1.amazonaws.com".into(),
                BypassKind::DefaultEndpoint => {
                    "https://abcde12345.execute-api.us-east-1.amazonaws.com/prod/ditto".into()
                }
            },
            lock_required,
            configured,
        }
    }

    fn answer(status: u16, body: &str) -> Observed {
        Observed::Response(Response::new(status, [("x-amzn-requestid", "r-1")], body))
    }

    fn failure(kind: FailureKind, message: &str) -> Observed {
        Observed::Failure(Failure {
            kind,
            message: message.into(),
            certificate: None,
        })
    }

    #[test]
    fn what_counts_as_refused_open_and_unknown() {
        let forbidden = answer(403, r#"{"message":"Forbidden"}"#);
        assert_eq!(state_of(&forbidden), BypassState::Refused);
        let refused = failure(
            FailureKind::TlsRefused,
            "received fatal alert: CertificateRequired",
        );
        assert_eq!(state_of(&refused), BypassState::Refused);
        // A 403 from inside the API: it was reached.
        let missing = answer(403, r#"{"message":"Missing Authentication Token"}"#);
        assert_eq!(state_of(&missing), BypassState::Open);
        for status in [200, 401, 404, 502] {
            assert_eq!(
                state_of(&answer(status, "{}")),
                BypassState::Open,
                "{status}"
            );
        }
        for kind in [
            FailureKind::Timeout,
            FailureKind::Dns,
            FailureKind::ConnectionRefused,
            FailureKind::Connect,
            FailureKind::Tls,
            FailureKind::Other,
        ] {
            assert_eq!(
                state_of(&failure(kind, "x")),
                BypassState::CouldNotCheck,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn lock_on_refused_passes_and_open_fails_naming_it() {
        for kind in [BypassKind::RegionalName, BypassKind::DefaultEndpoint] {
            let ok = judge_bypass(
                Ok(&answer(403, r#"{"message":"Forbidden"}"#)),
                &expect(kind, true, Some(true)),
            );
            assert!(ok.passed && ok.diagnosis.is_none(), "{ok:?}");
            assert_eq!(ok.state, BypassState::Refused);
        }
        let open = judge_bypass(
            Ok(&answer(401, r#"{"message":"Unauthorized"}"#)),
            &expect(BypassKind::RegionalName, true, Some(false)),
        );
        assert!(!open.passed);
        let dx = open.diagnosis.unwrap();
        assert_eq!(dx.kind, DiagnosisKind::RegionalNameOpen);
        assert!(dx.summary.contains("d-abc123.execute-api"), "{dx}");
        assert!(dx.summary.contains("no mutual TLS"), "{dx}");
        assert!(dx.fix.contains("origin_lock = \"mtls\""), "{dx}");
        assert!(dx.fix.contains("link-domain"), "{dx}");

        let open = judge_bypass(
            Ok(&answer(200, "{}")),
            &expect(BypassKind::DefaultEndpoint, true, Some(false)),
        );
        let dx = open.diagnosis.unwrap();
        assert_eq!(dx.kind, DiagnosisKind::DefaultEndpointOpen);
        assert!(dx.summary.contains("default endpoint"), "{dx}");
        assert!(dx.fix.contains("disableExecuteApiEndpoint"), "{dx}");
    }

    #[test]
    fn disabled_but_not_deployed_says_deploy() {
        let v = judge_bypass(
            Ok(&answer(401, r#"{"message":"Unauthorized"}"#)),
            &expect(BypassKind::DefaultEndpoint, true, Some(true)),
        );
        let dx = v.diagnosis.unwrap();
        assert_eq!(dx.kind, DiagnosisKind::DefaultEndpointOpen);
        assert!(dx.summary.contains("not deployed since"), "{dx}");
        assert!(dx.fix.starts_with("deploy the stage again"), "{dx}");
    }

    #[test]
    fn unknown_is_not_locked() {
        let timeout = failure(FailureKind::Timeout, "operation timed out");
        let v = judge_bypass(Ok(&timeout), &expect(BypassKind::RegionalName, true, None));
        assert_eq!(v.state, BypassState::CouldNotCheck);
        assert!(!v.passed);
        assert_eq!(v.diagnosis.unwrap().kind, DiagnosisKind::BypassNotChecked);
        let v = judge_bypass(
            Err("no AWS credentials to read the custom domain"),
            &expect(BypassKind::DefaultEndpoint, true, None),
        );
        assert!(!v.passed);
        assert!(v.note.contains("no AWS credentials"), "{}", v.note);
    }

    #[test]
    fn lock_off_is_information_only() {
        let open = judge_bypass(
            Ok(&answer(401, r#"{"message":"Unauthorized"}"#)),
            &expect(BypassKind::RegionalName, false, Some(false)),
        );
        assert!(open.passed && open.diagnosis.is_none());
        assert_eq!(open.state, BypassState::Open);
        assert_eq!(
            open.note,
            "open: the regional name answers without Cloudflare (HTTP 401 \"Unauthorized\")"
        );
        let open = judge_bypass(
            Ok(&answer(200, "{}")),
            &expect(BypassKind::DefaultEndpoint, false, None),
        );
        assert_eq!(
            open.note,
            "open: the default endpoint answers without Cloudflare (HTTP 200)"
        );
        let unknown = judge_bypass(
            Ok(&failure(FailureKind::Dns, "dns error")),
            &expect(BypassKind::DefaultEndpoint, false, None),
        );
        assert!(unknown.passed);
        assert_eq!(unknown.state, BypassState::CouldNotCheck);
    }
}
