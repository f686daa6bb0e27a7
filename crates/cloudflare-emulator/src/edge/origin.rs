//! The edge's side of the connection to the origin: TCP, TLS as the SSL/TLS mode asks, one
//! HTTP/1.1 request, and Cloudflare's 52x answer for each way that can fail.
//!
//! Failure → answer (developers.cloudflare.com/support/troubleshooting/http-status-codes/
//! cloudflare-5xx-errors/): refused (or no address for the scheme) → 521; no TCP connection
//! within the connect timeout → 522 (Cloudflare waits 19 s); any other connect error (no
//! route) → 523; TLS handshake failed, or did not finish within the connect timeout → 525;
//! Full (strict) and the certificate does not chain to the Origin CA root (or to one of the
//! edge's public roots, the stand-in for the publicly trusted CAs Cloudflare also accepts) or
//! does not name the hostname → 526; connected but no response headers within the response timeout → 524
//! (Cloudflare's Proxy Read Timeout: 120 s by default, its error-524 page); the connection
//! closed, or answered something that is not HTTP → 520 ("empty, unknown, or unexpected
//! response", error-520 page). A 502 or 504 the origin answers is relayed as it came.
//!
//! Authenticated origin pulls: when [`crate::origin_pulls::client_identity_for`] names a client
//! certificate for the hostname (per-hostname association enabled and active, certificate
//! active, zone `tls_client_auth` on), the TLS handshake to the origin presents it (rustls
//! client authentication); otherwise the edge presents none. There is no zone-wide shared
//! Cloudflare certificate. Plain HTTP to the origin (Off/Flexible) never carries one.
//!
//! One connection per request (Cloudflare pools origin connections; the emulator does not).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::edge::pages::EdgeError;
use crate::edge::route::OriginTransport;
use crate::state::ClientIdentity;

/// How long the edge waits for the origin. Cloudflare: 19 s for the TCP connection, 120 s for
/// the response; tests set milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginTimeouts {
    /// TCP connect, and separately the TLS handshake.
    pub connect: Duration,
    /// From the request written to the response headers.
    pub response: Duration,
}

impl Default for OriginTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(19),
            response: Duration::from_secs(120),
        }
    }
}

/// TLS settings toward origins, built once per edge.
#[derive(Debug)]
pub struct OriginTls {
    provider: Arc<CryptoProvider>,
    /// Verifies against the emulator's Origin CA root and the public roots (Full (strict)).
    origin_ca: Arc<WebPkiServerVerifier>,
}

/// Adds every certificate of `pem` to `roots`; `what` names them in errors.
fn add_roots(roots: &mut RootCertStore, pem: &str, what: &str) -> Result<(), String> {
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("{what}: {e}"))?;
        roots.add(cert).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

impl OriginTls {
    /// `public_roots_pem`: further trust anchors for Full (strict), as Cloudflare also accepts
    /// publicly trusted certificates there (empty: none).
    pub fn new(origin_ca_root_pem: &str, public_roots_pem: &str) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        add_roots(&mut roots, origin_ca_root_pem, "Origin CA root")?;
        let before = roots.len();
        add_roots(&mut roots, public_roots_pem, "edge public roots")?;
        if !public_roots_pem.trim().is_empty() && roots.len() == before {
            return Err("edge public roots: no PEM certificate in the file".to_string());
        }
        let origin_ca =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| format!("Origin CA verifier: {e}"))?;
        Ok(Self {
            provider,
            origin_ca,
        })
    }

    fn client_config(
        &self,
        verifier: Arc<dyn ServerCertVerifier>,
        client_identity: Option<&ClientIdentity>,
    ) -> Result<ClientConfig, rustls::Error> {
        let builder = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match client_identity {
            Some(identity) => {
                builder.with_client_cert_resolver(Arc::new(PresentCertificate(identity.clone())))
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// Presents the hostname's origin-pull certificate whenever the origin asks for one (whatever
/// CAs it hints at, as Cloudflare does: the origin decides whether it trusts it).
#[derive(Debug)]
struct PresentCertificate(ClientIdentity);

impl ResolvesClientCert for PresentCertificate {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0 .0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Full: the certificate is "not validated in any way" (Cloudflare's Full mode page) — but the
/// handshake signatures are, so the origin must still hold the key it presents. Hand-written:
/// rustls deliberately ships no accept-anything verifier.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
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
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Full (strict): chain to the Origin CA root (or a public root), unexpired, and a name that matches "the
/// requested or target hostname" (Cloudflare's Full (strict) page) — the SNI is the requested
/// hostname; the origin name is tried when that does not match.
#[derive(Debug)]
struct OriginCaAndName {
    inner: Arc<WebPkiServerVerifier>,
    origin_name: Option<ServerName<'static>>,
}

impl ServerCertVerifier for OriginCaAndName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let first = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match (&first, &self.origin_name) {
            (
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )),
                Some(target),
            ) => self
                .inner
                .verify_server_cert(end_entity, intermediates, target, ocsp_response, now)
                .map_err(|_| first.unwrap_err()),
            _ => first,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Classify a TCP connect error as Cloudflare does.
pub fn connect_error(e: &std::io::Error) -> EdgeError {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => EdgeError::WebServerDown,
        std::io::ErrorKind::TimedOut => EdgeError::ConnectionTimedOut,
        _ => EdgeError::OriginUnreachable,
    }
}

/// Classify a failed TLS handshake: a certificate the strict verifier refused → 526, anything
/// else → 525.
fn tls_error(e: &std::io::Error, transport: OriginTransport) -> EdgeError {
    let rustls_error = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match (transport, rustls_error) {
        (OriginTransport::TlsVerified, Some(rustls::Error::InvalidCertificate(_))) => {
            EdgeError::InvalidSslCertificate
        }
        _ => EdgeError::SslHandshakeFailed,
    }
}

/// Whether a TLS alert from the origin is among `error`'s causes.
fn alert_received(error: &hyper::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(e) = cause {
        let rustls_error = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if matches!(rustls_error, Some(rustls::Error::AlertReceived(_))) {
            return true;
        }
        cause = e.source();
    }
    false
}

/// What the proxy sends: the request with its body, boxed.
pub type OriginRequest = Request<BoxBody<Bytes, hyper::Error>>;

/// Where and how to reach the origin for one request.
#[derive(Debug, Clone, Copy)]
pub struct OriginTarget<'a> {
    /// None: the map has no address for this scheme.
    pub addr: Option<SocketAddr>,
    pub transport: OriginTransport,
    pub hostname: &'a str,
    pub origin_name: &'a str,
    /// The client certificate to present in the TLS handshake (authenticated origin pulls).
    pub client_identity: Option<&'a ClientIdentity>,
}

/// Connect to the target and send `request`.
pub async fn send(
    tls: &OriginTls,
    timeouts: OriginTimeouts,
    target: OriginTarget<'_>,
    request: OriginRequest,
) -> Result<Response<Incoming>, EdgeError> {
    let OriginTarget {
        addr,
        transport,
        hostname,
        origin_name,
        client_identity,
    } = target;
    let addr = addr.ok_or(EdgeError::WebServerDown)?;
    let tcp = match tokio::time::timeout(timeouts.connect, TcpStream::connect(addr)).await {
        Err(_) => return Err(EdgeError::ConnectionTimedOut),
        Ok(Err(e)) => {
            tracing::info!(%addr, error = %e, "edge: origin connect failed");
            return Err(connect_error(&e));
        }
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);
    if transport == OriginTransport::PlainHttp {
        return exchange(tcp, timeouts, request).await;
    }
    let verifier: Arc<dyn ServerCertVerifier> = match transport {
        OriginTransport::TlsVerified => Arc::new(OriginCaAndName {
            inner: tls.origin_ca.clone(),
            origin_name: ServerName::try_from(origin_name.to_string()).ok(),
        }),
        _ => Arc::new(AnyCertificate(tls.provider.clone())),
    };
    let config = tls
        .client_config(verifier, client_identity)
        .map_err(|_| EdgeError::SslHandshakeFailed)?;
    let sni =
        ServerName::try_from(hostname.to_string()).map_err(|_| EdgeError::SslHandshakeFailed)?;
    let connector = TlsConnector::from(Arc::new(config));
    let stream = match tokio::time::timeout(timeouts.connect, connector.connect(sni, tcp)).await {
        Err(_) => {
            tracing::info!(%addr, "edge: origin TLS handshake timed out");
            return Err(EdgeError::SslHandshakeFailed);
        }
        Ok(Err(e)) => {
            tracing::info!(%addr, error = %e, "edge: origin TLS handshake failed");
            return Err(tls_error(&e, transport));
        }
        Ok(Ok(s)) => s,
    };
    exchange(stream, timeouts, request).await
}

async fn exchange<S>(
    io: S,
    timeouts: OriginTimeouts,
    request: OriginRequest,
) -> Result<Response<Incoming>, EdgeError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .handshake(TokioIo::new(io))
        .await
        .map_err(|_| EdgeError::UnknownError)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "edge: origin connection ended with an error");
        }
    });
    match tokio::time::timeout(timeouts.response, sender.send_request(request)).await {
        Err(_) => Err(EdgeError::Timeout),
        Ok(Err(e)) if alert_received(&e) => {
            // TLS 1.3: the origin checks the client certificate after the edge's Finished, so
            // its refusal (e.g. `certificate_required`) arrives as an alert on the first read.
            // It is still the handshake that failed: 525.
            tracing::info!(error = %e, "edge: the origin ended the TLS handshake with an alert");
            Err(EdgeError::SslHandshakeFailed)
        }
        Ok(Err(e)) => {
            tracing::info!(error = %e, "edge: origin answer unusable");
            Err(EdgeError::UnknownError)
        }
        Ok(Ok(response)) => Ok(response),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::certs::EdgeCa;
    use std::io::{Error, ErrorKind};

    /// What Full (strict)'s verifier says of a leaf for `host` issued by a fresh CA (a stand-in
    /// for a public CA), with that CA among the edge's public roots or not.
    fn strict_verdict(trust_the_issuer: bool, host: &str) -> Result<(), rustls::Error> {
        let origin_ca = crate::ca::EmulatorCa::generate().unwrap();
        let public_ca = EdgeCa::generate().unwrap();
        let other_ca = EdgeCa::generate().unwrap();
        let roots = if trust_the_issuer {
            public_ca.root_pem()
        } else {
            other_ca.root_pem()
        };
        let tls = OriginTls::new(origin_ca.root_pem(), roots).unwrap();
        let leaf = public_ca.certified_key("api.example.com").unwrap();
        let verifier = OriginCaAndName {
            inner: tls.origin_ca.clone(),
            origin_name: None,
        };
        verifier
            .verify_server_cert(
                &leaf.cert[0],
                &[],
                &ServerName::try_from(host.to_string()).unwrap(),
                &[],
                UnixTime::now(),
            )
            .map(|_| ())
    }

    fn as_edge_code(verdict: Result<(), rustls::Error>) -> Option<u16> {
        verdict.err().map(|e| {
            tls_error(
                &Error::new(ErrorKind::InvalidData, e),
                OriginTransport::TlsVerified,
            )
            .code()
        })
    }

    #[test]
    fn strict_trusts_a_certificate_chaining_to_a_public_root() {
        assert_eq!(as_edge_code(strict_verdict(true, "api.example.com")), None);
    }

    #[test]
    fn strict_refuses_a_certificate_chaining_to_no_trusted_root_with_526() {
        // Both fresh CAs bear the edge CA's name, so webpki finds a root by name whose key
        // did not sign the leaf (BadSignature); a foreign name would give UnknownIssuer.
        let verdict = strict_verdict(false, "api.example.com");
        assert!(
            matches!(verdict, Err(rustls::Error::InvalidCertificate(_))),
            "{verdict:?}"
        );
        assert_eq!(as_edge_code(verdict), Some(526));
    }

    #[test]
    fn a_public_root_does_not_lift_the_hostname_check() {
        assert_eq!(
            as_edge_code(strict_verdict(true, "other.example.com")),
            Some(526)
        );
    }

    #[test]
    fn a_public_roots_file_without_a_certificate_is_an_error() {
        let origin_ca = crate::ca::EmulatorCa::generate().unwrap();
        let err = OriginTls::new(origin_ca.root_pem(), "not a PEM\n").unwrap_err();
        assert!(err.contains("edge public roots"), "{err}");
        assert!(OriginTls::new(origin_ca.root_pem(), "").is_ok());
    }

    #[test]
    fn connect_errors_map_to_cloudflares_codes() {
        // 523 cannot be produced on loopback; its classification is checked here.
        let code = |k: ErrorKind| connect_error(&Error::from(k)).code();
        assert_eq!(code(ErrorKind::ConnectionRefused), 521);
        assert_eq!(code(ErrorKind::TimedOut), 522);
        assert_eq!(code(ErrorKind::HostUnreachable), 523);
        assert_eq!(code(ErrorKind::NetworkUnreachable), 523);
    }
}
