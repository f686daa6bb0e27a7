//! The direct calls around Cloudflare: the custom domain's regional name with the hostname as
//! SNI and Host, and the REST API's default endpoint — both without a token or a client
//! certificate, to prove API Gateway refuses them (see `bypass_verdict.rs` for the verdicts).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::bypass_verdict::{judge_bypass, BypassExpectation, BypassKind, BypassState};
use crate::diagnose::Diagnosis;
use crate::observe::{Failure, FailureKind, Observed, Resolver, ShowAnything};
use crate::probe::{call, ProbeError};

/// Where the two ways around Cloudflare are, as the caller found them in API Gateway (`Err`:
/// why a target is unknown, e.g. no AWS credentials, no custom domain).
#[derive(Debug, Clone)]
pub struct BypassTargets {
    /// `origin_lock = "mtls"` for the hostname: both must be refused, else verify fails.
    pub lock_required: bool,
    pub regional: Result<RegionalTarget, String>,
    pub default_endpoint: Result<DefaultEndpointTarget, String>,
}

/// The custom domain, from GetDomainName.
#[derive(Debug, Clone)]
pub struct RegionalTarget {
    /// `d-….execute-api.<region>.amazonaws.com`.
    pub regional_name: String,
    /// The domain has `mutualTlsAuthentication`, when read.
    pub mutual_tls_configured: Option<bool>,
}

/// The REST API the hostname maps to.
#[derive(Debug, Clone)]
pub struct DefaultEndpointTarget {
    pub rest_api_id: String,
    pub region: String,
    pub stage: String,
    /// The route below the stage (the hostname's route without the mapping's base path).
    pub path: String,
    /// GetRestApi's `disableExecuteApiEndpoint`, when read.
    pub disabled_setting: Option<bool>,
}

impl DefaultEndpointTarget {
    pub fn url(&self) -> String {
        format!(
            "https://{}.execute-api.{}.amazonaws.com/{}{}",
            self.rest_api_id, self.region, self.stage, self.path
        )
    }
}

/// One direct call and its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct BypassCheck {
    pub kind: BypassKind,
    /// The URL requested (for the regional name: `https://<hostname><route>`).
    pub url: String,
    /// The name whose address the call went to (the regional name, or the endpoint's host).
    pub connect_to: Option<String>,
    /// `refused` with the lock on; `information` with it off.
    pub expected: &'static str,
    pub state: BypassState,
    /// `None` when no call was made (the target is unknown).
    pub observed: Option<Observed>,
    pub passed: bool,
    pub note: String,
    pub diagnosis: Option<Diagnosis>,
}

/// The direct calls for one hostname.
#[derive(Debug, Clone, Serialize)]
pub struct BypassReport {
    pub hostname: String,
    /// `mtls` or `off`: what the configuration says, hence whether these checks can fail.
    pub origin_lock: &'static str,
    pub checks: Vec<BypassCheck>,
}

impl BypassReport {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

impl fmt::Display for BypassReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.origin_lock == "mtls" {
            writeln!(
                f,
                "direct calls around Cloudflare (origin_lock = \"mtls\" for {}: each must be refused)",
                self.hostname
            )?;
        } else {
            writeln!(
                f,
                "direct calls around Cloudflare (origin_lock is off for {}: information only)",
                self.hostname
            )?;
        }
        for c in &self.checks {
            let mark = match (self.origin_lock == "mtls", c.passed) {
                (true, true) => "ok  ",
                (true, false) => "FAIL",
                (false, _) => "info",
            };
            let how = match (c.kind, &c.connect_to) {
                (BypassKind::RegionalName, Some(to)) => {
                    format!("{} via {to}, no client certificate, no token", c.url)
                }
                _ => format!("{}, no token", c.url),
            };
            writeln!(f, "  {mark} {}: {} — {how}", c.kind.label(), c.note)?;
            if let Some(d) = &c.diagnosis {
                writeln!(f, "       {}", d.summary)?;
                writeln!(f, "       fix: {}", d.fix)?;
            }
        }
        Ok(())
    }
}

/// A client that trusts any server certificate and has no client certificate.
///
/// Why accepting any certificate is right here (and only here): these calls are made to prove
/// a refusal. They carry nothing secret — no token, no client certificate, no cookie — so a
/// server that is not API Gateway learns nothing from them; and the certificate the regional
/// name serves for the hostname is the one meant for Cloudflare (a Cloudflare Origin CA
/// certificate no client trusts), which must not stop the call from showing whether API
/// Gateway answers. The edge checks never use this client.
fn direct_client(resolver: Resolver, timeout: Duration) -> Result<reqwest::Client, ProbeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ProbeError::Client(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ShowAnything(provider)))
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("flarelink-verify/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(resolver))
        .build()
        .map_err(|e| ProbeError::Client(e.to_string()))
}

/// Both direct calls for `hostname` and their verdicts. `resolver` is the probe's (its
/// `--resolve` overrides point the AWS names at a local data plane; otherwise plain DNS).
pub(crate) async fn run_bypass(
    targets: &BypassTargets,
    resolver: &Resolver,
    hostname: &str,
    route: &str,
    timeout: Duration,
) -> Result<BypassReport, ProbeError> {
    let mut checks = Vec::new();

    // The regional name: its address, but the hostname as SNI and Host (what a caller who
    // knows the CNAME target does to skip Cloudflare).
    let url = format!("https://{hostname}{route}");
    let (connect_to, observed, configured) = match &targets.regional {
        Ok(t) => {
            let observed = match resolver.lookup(&t.regional_name).await {
                Ok(addrs) => {
                    let pinned = Resolver {
                        overrides: BTreeMap::from([(hostname.to_owned(), addrs[0])]),
                        system: false,
                    };
                    let client = direct_client(pinned.clone(), timeout)?;
                    let parsed =
                        url::Url::parse(&url).map_err(|_| ProbeError::Route(url.clone()))?;
                    Ok(call(&client, &pinned, &parsed, hostname, 443, None, timeout).await)
                }
                Err(e) => Ok(Observed::Failure(Failure {
                    kind: FailureKind::Dns,
                    message: e.to_string(),
                    certificate: None,
                })),
            };
            (
                Some(t.regional_name.clone()),
                observed,
                t.mutual_tls_configured,
            )
        }
        Err(why) => (None, Err(why.clone()), None),
    };
    checks.push(check(
        targets,
        BypassKind::RegionalName,
        hostname,
        url,
        connect_to,
        observed,
        configured,
    ));

    // The default endpoint, by its own name.
    let (url, connect_to, observed, configured) = match &targets.default_endpoint {
        Ok(t) => {
            let url = t.url();
            let parsed = url::Url::parse(&url).map_err(|_| ProbeError::Route(url.clone()))?;
            let host = parsed.host_str().unwrap_or_default().to_owned();
            let client = direct_client(resolver.clone(), timeout)?;
            let observed = call(&client, resolver, &parsed, &host, 443, None, timeout).await;
            (url, Some(host), Ok(observed), t.disabled_setting)
        }
        Err(why) => (
            "https://<rest-api-id>.execute-api.<region>.amazonaws.com/<stage>".to_owned(),
            None,
            Err(why.clone()),
            None,
        ),
    };
    checks.push(check(
        targets,
        BypassKind::DefaultEndpoint,
        hostname,
        url,
        connect_to,
        observed,
        configured,
    ));

    Ok(BypassReport {
        hostname: hostname.to_owned(),
        origin_lock: if targets.lock_required { "mtls" } else { "off" },
        checks,
    })
}

fn check(
    targets: &BypassTargets,
    kind: BypassKind,
    hostname: &str,
    url: String,
    connect_to: Option<String>,
    observed: Result<Observed, String>,
    configured: Option<bool>,
) -> BypassCheck {
    let expectation = BypassExpectation {
        kind,
        hostname: hostname.to_owned(),
        target: match kind {
            BypassKind::RegionalName => connect_to.clone().unwrap_or_else(|| "(unknown)".into()),
            BypassKind::DefaultEndpoint => url.clone(),
        },
        lock_required: targets.lock_required,
        configured,
    };
    let verdict = judge_bypass(observed.as_ref().map_err(String::as_str), &expectation);
    BypassCheck {
        kind,
        url,
        connect_to,
        expected: if targets.lock_required {
            "refused"
        } else {
            "information"
        },
        state: verdict.state,
        observed: observed.ok(),
        passed: verdict.passed,
        note: verdict.note,
        diagnosis: verdict.diagnosis,
    }
}
