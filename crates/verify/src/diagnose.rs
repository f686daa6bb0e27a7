//! From one observation to a diagnosis: what went wrong and what to do. Pure: no I/O, the
//! time comes in through [`Expectation::now`].

use std::fmt;

use chrono::{DateTime, Utc};
use flarelink_auth::{explain_expiry, Claims};
use serde::Serialize;

use crate::observe::{Failure, FailureKind, Observed, PresentedCertificate, Response};

/// What a check expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedStatus {
    /// No token: API Gateway's Cognito authorizer answers 401.
    Unauthorized,
    /// A valid token: 2xx from the integration.
    Success,
}

impl fmt::Display for ExpectedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExpectedStatus::Unauthorized => "401 from the Cognito authorizer",
            ExpectedStatus::Success => "2xx",
        })
    }
}

/// Everything [`diagnose`] compares an observation with.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub status: ExpectedStatus,
    /// The hostname called (`api.example.com`).
    pub hostname: String,
    /// The route called (`/ditto`).
    pub route: String,
    /// Responses must carry Cloudflare's marks (`cf-ray` / `server: cloudflare`).
    pub require_cloudflare: bool,
    /// The user pool the authorizer uses (`us-east-1_AbC123`), when known.
    pub pool_id: Option<String>,
    /// The app client tokens should come from, when known.
    pub client_id: Option<String>,
    pub now: DateTime<Utc>,
}

/// What a diagnosis is about (for tests and JSON output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosisKind {
    TokenExpired,
    TokenFromAnotherPool,
    TokenForAnotherClient,
    AccessTokenNotIdToken,
    TokenNotAJwt,
    TokenRejected,
    RouteNotProtected,
    HostnameUnknownToApiGateway,
    RouteNotFound,
    NotProxied,
    TlsNameMismatch,
    TlsUntrusted,
    TlsExpired,
    TlsFailed,
    DnsFailure,
    ConnectFailed,
    Timeout,
    IntegrationError,
    IntegrationTimeout,
    Throttled,
    CloudflareOriginError,
    Unexpected,
    /// The custom domain's regional name answered a direct call without a client certificate.
    RegionalNameOpen,
    /// The REST API's default execute-api endpoint answered.
    DefaultEndpointOpen,
    /// A direct call got neither a refusal nor an answer (timeout, DNS), or could not be made.
    BypassNotChecked,
}

/// What went wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub kind: DiagnosisKind,
    pub summary: String,
    pub fix: String,
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}. Fix: {}", self.summary, self.fix)
    }
}

pub(crate) fn d(
    kind: DiagnosisKind,
    summary: impl Into<String>,
    fix: impl Into<String>,
) -> Diagnosis {
    Diagnosis {
        kind,
        summary: summary.into(),
        fix: fix.into(),
    }
}

/// `None` when `observed` meets `expectation`; otherwise the most useful diagnosis.
///
/// `claims` are the decoded claims of the token sent (with-token check), if any.
pub fn diagnose(
    observed: &Observed,
    claims: Option<&Claims>,
    expectation: &Expectation,
) -> Option<Diagnosis> {
    match observed {
        Observed::Failure(f) => Some(diagnose_failure(f, expectation)),
        Observed::Response(r) => diagnose_response(r, claims, expectation),
    }
}

fn diagnose_response(r: &Response, claims: Option<&Claims>, e: &Expectation) -> Option<Diagnosis> {
    let host = &e.hostname;
    let via_cloudflare = r.via_cloudflare();
    if via_cloudflare && (520..=530).contains(&r.status) {
        return Some(cloudflare_error(r.status, e));
    }
    let status_ok = match e.status {
        ExpectedStatus::Unauthorized => r.status == 401,
        ExpectedStatus::Success => (200..300).contains(&r.status),
    };
    if e.require_cloudflare && !via_cloudflare {
        let server = r.header("server").unwrap_or("none");
        return Some(d(
            DiagnosisKind::NotProxied,
            format!(
                "the response (HTTP {}) did not come through Cloudflare: no cf-ray header, server: {server} — the CNAME for {host} is not proxied (DNS only), or {host} does not point at Cloudflare",
                r.status
            ),
            format!(
                "turn the proxy on (orange cloud) for {host}'s CNAME: `flarelink dns-record --hostname {host}`; check the zone uses Cloudflare's nameservers; DNS changes can take a few minutes"
            ),
        ));
    }
    if status_ok {
        return None;
    }
    let message = r.message.as_deref().unwrap_or("");
    let error_type = r.error_type().unwrap_or("");

    if e.status == ExpectedStatus::Success && r.status == 401 {
        return Some(token_problem(r, claims, e));
    }
    if e.status == ExpectedStatus::Unauthorized && (200..300).contains(&r.status) {
        return Some(d(
            DiagnosisKind::RouteNotProtected,
            format!(
                "{} answered {} without a token: the method has no Cognito authorizer, or the stage was not redeployed after adding it",
                e.route, r.status
            ),
            "set the method's Authorization to the Cognito user-pool authorizer and deploy the stage again (authorizer changes take effect only after a deployment)",
        ));
    }
    if r.status == 403
        && (message == "Missing Authentication Token"
            || error_type == "MissingAuthenticationTokenException")
    {
        return Some(d(
            DiagnosisKind::RouteNotFound,
            format!(
                "API Gateway knows {host} but has no {} at that path: 403 \"Missing Authentication Token\" means no deployed resource and method match it",
                e.route
            ),
            "call the resource path without the stage name (the API mapping stands for the stage); prefix the mapping's base path if it has one; check the method (GET) exists and deploy the stage after adding resources",
        ));
    }
    if r.status == 403 && (message == "Forbidden" || error_type == "ForbiddenException") {
        return Some(d(
            DiagnosisKind::HostnameUnknownToApiGateway,
            format!(
                "API Gateway answered 403 Forbidden: it has no custom domain named exactly {host} with an API mapping for this path (wrong custom domain, missing mapping, or a base path that does not match)"
            ),
            format!(
                "run `flarelink link-domain --hostname {host}` (custom domain + API mapping); the custom domain and its certificate must name {host} itself — e.g. api.flacial.dev, not flacial.dev (the guide's second common error)"
            ),
        ));
    }
    if r.status == 502 || r.status == 500 {
        return Some(d(
            DiagnosisKind::IntegrationError,
            format!(
                "API Gateway answered {} ({}): the request passed the authorizer but the integration behind {} failed",
                r.status,
                if message.is_empty() { "no message" } else { message },
                e.route
            ),
            "check the integration endpoint answers (for the guide, the PokeAPI URL) and read the stage's execution logs; a Lambda proxy integration must return statusCode, headers and body",
        ));
    }
    if r.status == 504 {
        return Some(d(
            DiagnosisKind::IntegrationTimeout,
            format!(
                "API Gateway answered 504 ({}): the integration did not answer within API Gateway's 29-second limit",
                if message.is_empty() { "no message" } else { message }
            ),
            "make the integration answer faster, or check that it is reachable from AWS",
        ));
    }
    if r.status == 429 {
        return Some(d(
            DiagnosisKind::Throttled,
            "the request was throttled (429)",
            "wait and retry; check the stage's throttling and usage-plan limits",
        ));
    }
    Some(d(
        DiagnosisKind::Unexpected,
        format!(
            "expected {}, got HTTP {}{}",
            e.status,
            r.status,
            if r.body_excerpt.is_empty() {
                String::new()
            } else {
                format!(": {}", r.body_excerpt)
            }
        ),
        "compare with the API's own stage URL (https://<api-id>.execute-api.<region>.amazonaws.com/<stage>/...) to see whether Cloudflare or API Gateway answers this",
    ))
}

fn token_problem(r: &Response, claims: Option<&Claims>, e: &Expectation) -> Diagnosis {
    let says_expired = r.message.as_deref() == Some("The incoming token has expired");
    let Some(c) = claims else {
        return d(
            DiagnosisKind::TokenNotAJwt,
            "API Gateway rejected the token (401), and it is not a readable JWT",
            "send the ID token itself in the Authorization header (the id_token value, no quotes); `flarelink token` prints one",
        );
    };
    if let Some(expired) = explain_expiry(c, e.now) {
        return d(
            DiagnosisKind::TokenExpired,
            format!("the token {expired}"),
            "sign in again (`flarelink token`) and send the new ID token; Cognito ID tokens last one hour unless the app client says otherwise",
        );
    }
    if says_expired {
        return d(
            DiagnosisKind::TokenExpired,
            "API Gateway says the token has expired — run `flarelink token` (check this machine's clock too: by it the token is still valid)",
            "sign in again (`flarelink token`) and send the new ID token",
        );
    }
    if let (Some(want), Some(got)) = (e.pool_id.as_deref(), c.pool_id()) {
        if want != got {
            return d(
                DiagnosisKind::TokenFromAnotherPool,
                format!(
                    "the token comes from user pool {got} (iss {}), but the API's authorizer uses pool {want}",
                    c.iss.as_deref().unwrap_or("?")
                ),
                format!("sign in to user pool {want} (`flarelink token`) and send that pool's ID token"),
            );
        }
    }
    if let (Some(want), Some(got)) = (e.client_id.as_deref(), c.client()) {
        if want != got {
            return d(
                DiagnosisKind::TokenForAnotherClient,
                format!("the token was issued to app client {got}, not {want}"),
                format!("sign in through app client {want} (`flarelink token`)"),
            );
        }
    }
    if c.token_use.as_deref() == Some("access") {
        return d(
            DiagnosisKind::AccessTokenNotIdToken,
            "this is an access token: a Cognito authorizer on a method without OAuth scopes accepts only ID tokens",
            "send the ID token (id_token), or add OAuth scopes to the method's authorization and redeploy the stage",
        );
    }
    d(
        DiagnosisKind::TokenRejected,
        format!(
            "API Gateway's Cognito authorizer rejected the token (401 {}) although it has not expired",
            r.message.as_deref().unwrap_or("Unauthorized")
        ),
        "check that the token is signed by the user pool the authorizer names, that the Authorization header holds the raw ID token, and that the stage was redeployed after the authorizer changed (results are cached for 300 s by default)",
    )
}

fn cloudflare_error(status: u16, e: &Expectation) -> Diagnosis {
    let host = &e.hostname;
    let (summary, fix) = match status {
        520 => (
            "Cloudflare 520: API Gateway's answer was empty or not understood".to_owned(),
            "retry; if it persists, call the API's stage URL directly to see what it returns".to_owned(),
        ),
        521 => (
            "Cloudflare 521: API Gateway refused Cloudflare's connection".to_owned(),
            // Seen on the local edge: under Off/Flexible Cloudflare connects to port 80, which
            // API Gateway does not serve, so the mode is as likely a cause as the CNAME.
            format!("check the zone's SSL/TLS mode is Full or Full (strict) (`flarelink ssl-mode`): under Off or Flexible Cloudflare connects to port 80, which API Gateway does not serve; and check {host}'s CNAME points at the custom domain's regional name (d-….execute-api.<region>.amazonaws.com): `flarelink dns-record`"),
        ),
        522 => (
            "Cloudflare 522: the connection to API Gateway timed out".to_owned(),
            format!("check {host}'s CNAME target is the custom domain's regional name, and that the SSL/TLS mode is Full (port 443), not Flexible (port 80, which API Gateway does not serve)"),
        ),
        523 => (
            "Cloudflare 523: API Gateway is unreachable — the CNAME target does not resolve".to_owned(),
            format!("point {host}'s CNAME at the custom domain's current regional name (`flarelink dns-record`); was the custom domain deleted?"),
        ),
        524 => (
            "Cloudflare 524: API Gateway accepted the connection but did not answer within Cloudflare's timeout".to_owned(),
            "make the integration answer faster".to_owned(),
        ),
        525 => (
            format!("Cloudflare 525: the TLS handshake between Cloudflare and API Gateway failed — API Gateway has no custom domain (so no certificate) for the name {host} that Cloudflare sends as SNI"),
            format!("create the regional custom domain for exactly {host} with a certificate naming {host} (`flarelink link-domain`); a certificate for the apex only (flacial.dev instead of api.flacial.dev) is the guide's second common error"),
        ),
        526 => (
            format!("Cloudflare 526: the SSL/TLS mode is Full (strict) and the certificate API Gateway serves for {host} is not valid for it (not a Cloudflare Origin CA or publicly trusted certificate naming {host}, or expired)"),
            format!("import a Cloudflare Origin CA certificate for {host} (`flarelink certificate`), or set the zone's SSL/TLS mode to Full (`flarelink ssl-mode`)"),
        ),
        530 => (
            "Cloudflare 530 (usually error 1016, origin DNS error): Cloudflare cannot resolve the CNAME target".to_owned(),
            format!("point {host}'s CNAME at the custom domain's regional name (`flarelink dns-record`)"),
        ),
        other => (
            format!("Cloudflare {other}: Cloudflare could not get an answer from API Gateway"),
            "look the code up in Cloudflare's 5xx error documentation".to_owned(),
        ),
    };
    d(DiagnosisKind::CloudflareOriginError, summary, fix)
}

fn names(cert: &PresentedCertificate) -> String {
    if cert.dns_names.is_empty() {
        format!("no DNS names (subject {})", cert.subject)
    } else {
        cert.dns_names.join(", ")
    }
}

fn diagnose_failure(f: &Failure, e: &Expectation) -> Diagnosis {
    let host = &e.hostname;
    let cert = f.certificate.as_ref();
    match f.kind {
        FailureKind::Dns => d(
            DiagnosisKind::DnsFailure,
            format!("{host} does not resolve ({})", f.message),
            format!("create the proxied CNAME for {host} (`flarelink dns-record`) and check the zone's nameservers are Cloudflare's"),
        ),
        FailureKind::CertificateNameMismatch => d(
            DiagnosisKind::TlsNameMismatch,
            format!(
                "the TLS certificate served for {host} does not name it{}",
                cert.map(|c| format!(" (it names {})", names(c))).unwrap_or_default()
            ),
            format!("if {host} is proxied, Cloudflare's Universal certificate covers the apex and first-level names only (api.example.com, not a.b.example.com): use a first-level hostname or an Advanced certificate; if it is not proxied, turn the proxy on (`flarelink dns-record`)"),
        ),
        FailureKind::CertificateUnknownIssuer if cert.is_some_and(PresentedCertificate::is_cloudflare_origin_ca) => d(
            DiagnosisKind::TlsUntrusted,
            format!("{host} serves a Cloudflare Origin CA certificate, which only Cloudflare trusts: clients reach API Gateway directly, so the CNAME is not proxied"),
            format!("turn the proxy on (orange cloud) for {host}'s CNAME (`flarelink dns-record`)"),
        ),
        FailureKind::CertificateUnknownIssuer => d(
            DiagnosisKind::TlsUntrusted,
            format!(
                "the TLS certificate served for {host} is not from a trusted CA{}",
                cert.map(|c| format!(" (issuer {})", c.issuer)).unwrap_or_default()
            ),
            format!("{host} should answer with Cloudflare's edge certificate: check the record is proxied and the zone is active on Cloudflare (nothing in between intercepts TLS)"),
        ),
        FailureKind::CertificateExpired => d(
            DiagnosisKind::TlsExpired,
            format!(
                "the TLS certificate served for {host} has expired{}",
                cert.map(|c| format!(" (not after {})", c.not_after)).unwrap_or_default()
            ),
            "if the record is proxied, check the zone's edge certificate in Cloudflare (SSL/TLS › Edge Certificates); otherwise turn the proxy on",
        ),
        FailureKind::CertificateOther | FailureKind::Tls | FailureKind::TlsRefused => d(
            DiagnosisKind::TlsFailed,
            format!("TLS with {host} failed: {}", f.message),
            "check the record is proxied and the zone's edge certificate is active",
        ),
        FailureKind::ConnectionRefused | FailureKind::Connect => d(
            DiagnosisKind::ConnectFailed,
            format!("could not connect to {host}:443 ({})", f.message),
            format!("{host} resolves to an address that does not accept HTTPS: check its DNS record is the proxied CNAME (`flarelink dns-record`)"),
        ),
        FailureKind::Timeout => d(
            DiagnosisKind::Timeout,
            format!("no answer from {host} in time ({})", f.message),
            "retry with a longer timeout; check the network path and that the record is proxied",
        ),
        FailureKind::Other => d(
            DiagnosisKind::Unexpected,
            format!("the request to {host} failed: {}", f.message),
            "retry with -v for details",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expectation(status: ExpectedStatus) -> Expectation {
        Expectation {
            status,
            hostname: "api.example.com".into(),
            route: "/ditto".into(),
            require_cloudflare: true,
            pool_id: Some("us-east-1_Right".into()),
            client_id: Some("rightclient".into()),
            now: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        }
    }

    fn cf(status: u16, body: &str) -> Observed {
        Observed::Response(Response::new(
            status,
            [("server", "cloudflare"), ("cf-ray", "8c0ffee-LHR")],
            body,
        ))
    }

    fn claims(exp_offset: i64) -> Claims {
        Claims {
            iss: Some("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Right".into()),
            aud: Some("rightclient".into()),
            token_use: Some("id".into()),
            exp: Some(1_800_000_000 + exp_offset),
            ..Claims::default()
        }
    }

    #[test]
    fn met_expectations_have_no_diagnosis() {
        let e = expectation(ExpectedStatus::Unauthorized);
        assert_eq!(
            diagnose(&cf(401, r#"{"message":"Unauthorized"}"#), None, &e),
            None
        );
        let e = expectation(ExpectedStatus::Success);
        assert_eq!(diagnose(&cf(200, "{}"), Some(&claims(600)), &e), None);
    }

    #[test]
    fn expiry_from_claims_and_from_api_gateway() {
        let e = expectation(ExpectedStatus::Success);
        let got = diagnose(
            &cf(401, r#"{"message":"Unauthorized"}"#),
            Some(&claims(-12 * 60)),
            &e,
        )
        .unwrap();
        assert_eq!(got.kind, DiagnosisKind::TokenExpired);
        assert_eq!(
            got.summary,
            "the token expired 12 minutes ago — run `flarelink token`"
        );
        let got = diagnose(
            &cf(401, r#"{"message":"The incoming token has expired"}"#),
            Some(&claims(30)),
            &e,
        )
        .unwrap();
        assert_eq!(got.kind, DiagnosisKind::TokenExpired);
        assert!(got.summary.contains("flarelink token"));
    }

    #[test]
    fn cloudflare_codes() {
        let e = expectation(ExpectedStatus::Unauthorized);
        for code in [520, 521, 522, 523, 524, 525, 526, 530] {
            let got = diagnose(&cf(code, "<html>error</html>"), None, &e).unwrap();
            assert_eq!(got.kind, DiagnosisKind::CloudflareOriginError);
            assert!(got.summary.contains(&code.to_string()));
        }
        // A 525 without Cloudflare's marks is not Cloudflare's.
        let plain = Observed::Response(Response::new(525, [], ""));
        assert_eq!(
            diagnose(&plain, None, &e).unwrap().kind,
            DiagnosisKind::NotProxied
        );
    }

    #[test]
    fn error_type_header_alone_is_enough() {
        let e = expectation(ExpectedStatus::Unauthorized);
        let r = Observed::Response(Response::new(
            403,
            [("cf-ray", "1"), ("x-amzn-ErrorType", "ForbiddenException")],
            "",
        ));
        assert_eq!(
            diagnose(&r, None, &e).unwrap().kind,
            DiagnosisKind::HostnameUnknownToApiGateway
        );
    }
}
