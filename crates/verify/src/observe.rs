//! What one call saw: an HTTP response, or a failure before any (DNS, TCP, TLS, timeout), with
//! the certificate the host presented when TLS failed.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

/// The response headers a diagnosis may need; others are not kept.
pub(crate) const HEADERS_OF_INTEREST: &[&str] = &[
    "server",
    "cf-ray",
    "cf-cache-status",
    "content-type",
    "www-authenticate",
    "x-amzn-requestid",
    "x-amz-apigw-id",
    "x-amzn-errortype",
];

/// How much of a body is kept for the report.
const BODY_EXCERPT_CHARS: usize = 300;

/// One observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Observed {
    Response(Response),
    Failure(Failure),
}

/// An HTTP response, reduced to what diagnoses read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    pub status: u16,
    /// The body's start, whitespace collapsed, at most 300 characters.
    pub body_excerpt: String,
    /// Headers of interest (lower-case names), in the order received.
    pub headers: Vec<(String, String)>,
    /// API Gateway's `{"message": "..."}` (or `Message`), when the body is such JSON.
    pub message: Option<String>,
}

impl Response {
    /// Builds a response from raw parts (keeps only the headers of interest).
    pub fn new<'a>(
        status: u16,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: &str,
    ) -> Response {
        let headers = headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
            .filter(|(k, _)| HEADERS_OF_INTEREST.contains(&k.as_str()))
            .collect();
        Response {
            status,
            body_excerpt: excerpt(body),
            headers,
            message: api_message(body),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Came through Cloudflare's edge: a `cf-ray` header or `server: cloudflare`.
    pub fn via_cloudflare(&self) -> bool {
        self.header("cf-ray").is_some()
            || self
                .header("server")
                .is_some_and(|s| s.eq_ignore_ascii_case("cloudflare"))
    }

    /// API Gateway's `x-amzn-ErrorType`, without its `:<url>` suffix.
    pub fn error_type(&self) -> Option<&str> {
        self.header("x-amzn-errortype")
            .map(|v| v.split(':').next().unwrap_or(v).trim())
    }
}

fn excerpt(body: &str) -> String {
    let collapsed = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(BODY_EXCERPT_CHARS) {
        Some((i, _)) => format!("{}…", &collapsed[..i]),
        None => collapsed,
    }
}

fn api_message(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let obj = v.as_object()?;
    obj.get("message")
        .or_else(|| obj.get("Message"))
        .and_then(|m| m.as_str())
        .map(str::to_owned)
}

/// A call that got no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    /// The error chain, outermost first.
    pub message: String,
    /// For TLS failures: what the host presented, read in a second handshake that trusts
    /// anything (and sends nothing).
    pub certificate: Option<PresentedCertificate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Dns,
    CertificateNameMismatch,
    CertificateUnknownIssuer,
    CertificateExpired,
    CertificateOther,
    Tls,
    /// The server ended the TLS handshake with an alert (e.g. it asked for a client
    /// certificate and got none): a refusal, not a broken network path.
    TlsRefused,
    ConnectionRefused,
    Connect,
    Timeout,
    Other,
}

/// The leaf certificate a host presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresentedCertificate {
    pub subject: String,
    pub issuer: String,
    pub dns_names: Vec<String>,
    pub not_after: String,
}

impl PresentedCertificate {
    /// Issued by Cloudflare's Origin CA (trusted by Cloudflare's edge only).
    pub fn is_cloudflare_origin_ca(&self) -> bool {
        self.issuer
            .to_ascii_lowercase()
            .contains("cloudflare origin")
    }
}

/// A DNS failure from flarelink's resolver (kept distinct so it is classified reliably).
#[derive(Debug)]
pub(crate) struct DnsFailure {
    pub host: String,
    pub reason: String,
}

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dns error: {} does not resolve: {}",
            self.host, self.reason
        )
    }
}

impl StdError for DnsFailure {}

/// Name resolution: the probe's overrides first (an exact name, then curl's `*` for every other
/// name), then (unless disabled) the system resolver.
#[derive(Debug, Clone)]
pub(crate) struct Resolver {
    pub overrides: BTreeMap<String, SocketAddr>,
    pub system: bool,
}

/// The `--resolve` host that stands for every name not listed otherwise (as curl's).
pub const ANY_HOST: &str = "*";

impl Resolver {
    pub async fn lookup(&self, host: &str) -> Result<Vec<SocketAddr>, DnsFailure> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(addr) = self
            .overrides
            .get(&host)
            .or_else(|| self.overrides.get(ANY_HOST))
        {
            return Ok(vec![*addr]);
        }
        if !self.system {
            return Err(DnsFailure {
                host,
                reason: "no such host (system DNS disabled for this probe)".into(),
            });
        }
        let looked_up = tokio::net::lookup_host((host.as_str(), 0))
            .await
            .map(|addrs| addrs.collect::<Vec<_>>());
        match looked_up {
            Ok(addrs) if !addrs.is_empty() => Ok(addrs),
            Ok(_) => Err(DnsFailure {
                host,
                reason: "no addresses".into(),
            }),
            Err(e) => Err(DnsFailure {
                host,
                reason: e.to_string(),
            }),
        }
    }
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            match this.lookup(&host).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                Err(e) => Err(Box::new(e) as Box<dyn StdError + Send + Sync>),
            }
        })
    }
}

fn classify_rustls(e: &rustls::Error) -> FailureKind {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                FailureKind::CertificateNameMismatch
            }
            C::UnknownIssuer => FailureKind::CertificateUnknownIssuer,
            C::Expired | C::ExpiredContext { .. } => FailureKind::CertificateExpired,
            _ => FailureKind::CertificateOther,
        },
        rustls::Error::AlertReceived(_) => FailureKind::TlsRefused,
        _ => FailureKind::Tls,
    }
}

fn classify_one(e: &(dyn StdError + 'static)) -> Option<FailureKind> {
    if e.downcast_ref::<DnsFailure>().is_some() {
        return Some(FailureKind::Dns);
    }
    if let Some(r) = e.downcast_ref::<rustls::Error>() {
        return Some(classify_rustls(r));
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        if let Some(inner) = io.get_ref() {
            if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                return Some(classify_rustls(r));
            }
            if inner.downcast_ref::<DnsFailure>().is_some() {
                return Some(FailureKind::Dns);
            }
        }
        return match io.kind() {
            std::io::ErrorKind::ConnectionRefused => Some(FailureKind::ConnectionRefused),
            std::io::ErrorKind::TimedOut => Some(FailureKind::Timeout),
            _ => None,
        };
    }
    None
}

/// Classifies a request error by walking its source chain (typed first, text as a fallback).
pub(crate) fn classify(err: &reqwest::Error) -> (FailureKind, String) {
    let mut parts: Vec<String> = Vec::new();
    let mut kind = None;
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        if kind.is_none() {
            kind = classify_one(e);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                let text = inner.to_string();
                if !parts.iter().any(|p| p.contains(&text)) {
                    parts.push(text);
                }
            }
        }
        cur = e.source();
    }
    let message = parts.join(": ");
    let lower = message.to_ascii_lowercase();
    let kind = kind.unwrap_or(if err.is_timeout() || lower.contains("timed out") {
        FailureKind::Timeout
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        FailureKind::Dns
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        FailureKind::CertificateNameMismatch
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        FailureKind::CertificateUnknownIssuer
    } else if lower.contains("certificate") {
        FailureKind::CertificateOther
    } else if lower.contains("connection refused") {
        FailureKind::ConnectionRefused
    } else if err.is_connect() {
        FailureKind::Connect
    } else {
        FailureKind::Other
    });
    let kind = if err.is_timeout() && kind == FailureKind::Other {
        FailureKind::Timeout
    } else {
        kind
    };
    (kind, message)
}

/// Accepts any certificate: used only to read what a host presents after verification failed,
/// and for the bypass calls, which send nothing secret (see `bypass.rs`).
#[derive(Debug)]
pub(crate) struct ShowAnything(pub Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for ShowAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Handshakes with `host` (SNI) at `port` and reads the leaf certificate; sends no request.
pub(crate) async fn presented_certificate(
    resolver: &Resolver,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Option<PresentedCertificate> {
    let work = async {
        let mut addr = *resolver.lookup(host).await.ok()?.first()?;
        if addr.port() == 0 {
            addr.set_port(port);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .ok()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ShowAnything(provider)))
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.to_owned()).ok()?;
        let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .ok()?;
        let leaf = tls.get_ref().1.peer_certificates()?.first()?.clone();
        describe(&leaf)
    };
    tokio::time::timeout(timeout, work).await.ok().flatten()
}

fn describe(der: &[u8]) -> Option<PresentedCertificate> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let mut dns_names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(n) = name {
                dns_names.push((*n).to_owned());
            }
        }
    }
    Some(PresentedCertificate {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        dns_names,
        not_after: cert.validity().not_after.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_reads_message_headers_and_cloudflare() {
        let r = Response::new(
            401,
            [
                ("Server", "cloudflare"),
                ("CF-RAY", "8c0ffee-LHR"),
                ("x-amzn-ErrorType", "UnauthorizedException:http://internal"),
                ("set-cookie", "secret"),
            ],
            r#"{"message":"Unauthorized"}"#,
        );
        assert_eq!(r.message.as_deref(), Some("Unauthorized"));
        assert!(r.via_cloudflare());
        assert_eq!(r.error_type(), Some("UnauthorizedException"));
        assert_eq!(r.header("set-cookie"), None);
        let long = "x ".repeat(1000);
        let r = Response::new(502, [], &long);
        assert!(r.body_excerpt.chars().count() <= 301);
        assert!(!r.via_cloudflare());
        assert_eq!(r.message, None);
    }
}
