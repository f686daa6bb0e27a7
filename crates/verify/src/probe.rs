//! The calls: without a token, then with one.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use flarelink_auth::{decode_claims, Secret};
use serde::Serialize;

use crate::bypass::{run_bypass, BypassReport, BypassTargets};
use crate::diagnose::{diagnose, Diagnosis, Expectation, ExpectedStatus};
use crate::observe::{
    classify, presented_certificate, Failure, FailureKind, Observed, Resolver, Response,
    HEADERS_OF_INTEREST,
};

/// Largest body read from a response.
const MAX_BODY: usize = 64 * 1024;

/// Where and how to call.
#[derive(Debug, Clone)]
pub struct Probe {
    /// `https://api.example.com`
    pub base_url: String,
    /// `/ditto`
    pub route: String,
    /// The Cognito ID token for the second check; without it only the first check runs.
    pub token: Option<Secret>,
    /// Extra trusted root certificates (PEM), added to the built-in web roots (tests).
    pub extra_root_ca_pem: Option<String>,
    /// Per request (default 15 s).
    pub timeout: Duration,
    /// Hostname → address overrides (tests: `api.example.com` → `127.0.0.1:port`).
    pub resolve: BTreeMap<String, SocketAddr>,
    /// Resolve names not in `resolve` with the system resolver (default true; tests turn it
    /// off so that nothing leaves the machine).
    pub system_dns: bool,
    /// Responses must come through Cloudflare (default true).
    pub require_cloudflare: bool,
    /// The user pool the authorizer uses, to explain tokens from another pool.
    pub expected_pool_id: Option<String>,
    /// The app client tokens should come from.
    pub expected_client_id: Option<String>,
    /// The direct calls around Cloudflare to make after the edge checks (`None`: none).
    pub bypass: Option<BypassTargets>,
}

impl Probe {
    pub fn new(base_url: impl Into<String>, route: impl Into<String>) -> Probe {
        Probe {
            base_url: base_url.into(),
            route: route.into(),
            token: None,
            extra_root_ca_pem: None,
            timeout: Duration::from_secs(15),
            resolve: BTreeMap::new(),
            system_dns: true,
            require_cloudflare: true,
            expected_pool_id: None,
            expected_client_id: None,
            bypass: None,
        }
    }
}

/// Bad input, found before any call.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("invalid base URL {0:?}: expected https://<hostname>")]
    BaseUrl(String),
    #[error("invalid route {0:?}: expected a path such as /ditto")]
    Route(String),
    #[error("invalid root CA PEM: {0}")]
    RootCa(String),
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

/// One call and its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub expected: ExpectedStatus,
    pub observed: Observed,
    pub passed: bool,
    pub diagnosis: Option<Diagnosis>,
}

/// All checks; `ok` when every one passed (the direct calls' too, which pass unless the lock
/// is required).
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub url: String,
    pub checks: Vec<Check>,
    /// The direct calls around Cloudflare, when they were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass: Option<BypassReport>,
    pub ok: bool,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.url)?;
        for c in &self.checks {
            let seen = match &c.observed {
                Observed::Response(r) => format!("HTTP {}", r.status),
                Observed::Failure(fl) => format!("no response ({:?})", fl.kind),
            };
            writeln!(
                f,
                "  {} {}: expected {}, saw {seen}",
                if c.passed { "ok  " } else { "FAIL" },
                c.name,
                c.expected
            )?;
            if let Some(d) = &c.diagnosis {
                writeln!(f, "       {}", d.summary)?;
                writeln!(f, "       fix: {}", d.fix)?;
            }
        }
        if let Some(b) = &self.bypass {
            write!(f, "{b}")?;
        }
        Ok(())
    }
}

/// Calls `base_url + route` without the token (expects 401), then with it (expects 2xx) when
/// there is one, and diagnoses each answer.
pub async fn run_checks(probe: &Probe) -> Result<VerifyReport, ProbeError> {
    let base = url::Url::parse(probe.base_url.trim())
        .map_err(|_| ProbeError::BaseUrl(probe.base_url.clone()))?;
    let host = match (base.scheme(), base.host_str()) {
        ("https", Some(h)) => h.to_owned(),
        _ => return Err(ProbeError::BaseUrl(probe.base_url.clone())),
    };
    let route = probe.route.trim();
    if !route.starts_with('/') || route.contains(char::is_whitespace) {
        return Err(ProbeError::Route(probe.route.clone()));
    }
    let url = format!("{}{}", base.as_str().trim_end_matches('/'), route);
    let url = url::Url::parse(&url).map_err(|_| ProbeError::Route(probe.route.clone()))?;
    let port = url.port_or_known_default().unwrap_or(443);

    let resolver = Resolver {
        overrides: probe
            .resolve
            .iter()
            .map(|(k, v)| (k.trim_end_matches('.').to_ascii_lowercase(), *v))
            .collect(),
        system: probe.system_dns,
    };
    let mut builder = reqwest::Client::builder()
        .timeout(probe.timeout)
        .connect_timeout(probe.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("flarelink-verify/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(resolver.clone()));
    if let Some(pem) = &probe.extra_root_ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| ProbeError::RootCa(e.to_string()))?;
        if certs.is_empty() {
            return Err(ProbeError::RootCa("no certificate in the PEM".into()));
        }
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    let client = builder
        .build()
        .map_err(|e| ProbeError::Client(e.to_string()))?;

    let claims = probe
        .token
        .as_ref()
        .and_then(|t| decode_claims(t.expose()).ok());
    let mut checks = Vec::new();
    let mut plan = vec![("without token", None, ExpectedStatus::Unauthorized)];
    if let Some(t) = &probe.token {
        plan.push(("with token", Some(t), ExpectedStatus::Success));
    }
    for (name, token, status) in plan {
        let observed = call(&client, &resolver, &url, &host, port, token, probe.timeout).await;
        let expectation = Expectation {
            status,
            hostname: host.clone(),
            route: route.to_owned(),
            require_cloudflare: probe.require_cloudflare,
            pool_id: probe.expected_pool_id.clone(),
            client_id: probe.expected_client_id.clone(),
            now: Utc::now(),
        };
        let claims = token.and(claims.as_ref());
        let diagnosis = diagnose(&observed, claims, &expectation);
        checks.push(Check {
            name: name.to_owned(),
            expected: status,
            observed,
            passed: diagnosis.is_none(),
            diagnosis,
        });
    }
    let bypass = match &probe.bypass {
        Some(targets) => Some(run_bypass(targets, &resolver, &host, route, probe.timeout).await?),
        None => None,
    };
    let ok = checks.iter().all(|c| c.passed) && bypass.as_ref().is_none_or(BypassReport::ok);
    Ok(VerifyReport {
        url: url.to_string(),
        checks,
        bypass,
        ok,
    })
}

pub(crate) async fn call(
    client: &reqwest::Client,
    resolver: &Resolver,
    url: &url::Url,
    host: &str,
    port: u16,
    token: Option<&Secret>,
    timeout: Duration,
) -> Observed {
    let mut req = client.get(url.clone());
    if let Some(t) = token {
        req = req.header(reqwest::header::AUTHORIZATION, t.expose());
    }
    match req.send().await {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = HEADERS_OF_INTEREST
                .iter()
                .filter_map(|h| {
                    resp.headers()
                        .get(*h)
                        .and_then(|v| v.to_str().ok())
                        .map(|v| ((*h).to_owned(), v.to_owned()))
                })
                .collect();
            let mut body = Vec::new();
            while let Ok(Some(chunk)) = resp.chunk().await {
                body.extend_from_slice(&chunk);
                if body.len() >= MAX_BODY {
                    body.truncate(MAX_BODY);
                    break;
                }
            }
            let body = String::from_utf8_lossy(&body);
            Observed::Response(Response::new(
                status,
                headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                &body,
            ))
        }
        Err(e) => {
            let (kind, message) = classify(&e);
            let certificate = match kind {
                FailureKind::CertificateNameMismatch
                | FailureKind::CertificateUnknownIssuer
                | FailureKind::CertificateExpired
                | FailureKind::CertificateOther => {
                    presented_certificate(resolver, host, port, timeout).await
                }
                _ => None,
            };
            Observed::Failure(Failure {
                kind,
                message,
                certificate,
            })
        }
    }
}
