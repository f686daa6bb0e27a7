//! verify's direct calls around Cloudflare against local TLS servers: a regional name that
//! requires a client certificate refuses the handshake (AWS's mutual TLS) → refused; one that
//! answers the authorizer's 401 → open; the default endpoint's 403 Forbidden → refused. And
//! what the direct calls never send: the token (the edge check sends it to the same server).

mod common;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::{Ca, HOST};
use flarelink_verify::{
    run_checks, BypassKind, BypassState, BypassTargets, DefaultEndpointTarget, DiagnosisKind,
    FailureKind, Observed, RegionalTarget,
};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

const REGIONAL: &str = "d-abc123.execute-api.us-east-1.amazonaws.com";
const API_ID: &str = "abcde12345";

/// One request as the server saw it: Host, path, whether it carried `Authorization`.
type Seen = Arc<Mutex<Vec<(String, String, bool)>>>;

/// An HTTPS server with `cert` that answers as API Gateway: the hostname → 401 (the authorizer,
/// no token) or 200 (a token); any other Host → 403 Forbidden (a disabled default endpoint
/// answers so). With `client_ca`, the handshake requires a client certificate it signed.
async fn gateway(
    cert: (CertificateDer<'static>, PrivateKeyDer<'static>),
    client_ca: Option<&Ca>,
) -> (SocketAddr, Seen, tokio::task::JoinHandle<()>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let config = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(der(&ca.pem)).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    }
    .with_single_cert(vec![cert.0], cert.1)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let log = log.clone();
                    async move {
                        let host = req
                            .headers()
                            .get("host")
                            .and_then(|h| h.to_str().ok())
                            .unwrap_or_default()
                            .split(':')
                            .next()
                            .unwrap_or_default()
                            .to_owned();
                        let token = req.headers().contains_key("authorization");
                        log.lock().unwrap().push((
                            host.clone(),
                            req.uri().path().to_owned(),
                            token,
                        ));
                        let (status, body) = match (host == HOST, token) {
                            (true, false) => (401, r#"{"message":"Unauthorized"}"#),
                            (true, true) => (200, r#"{"name":"ditto"}"#),
                            (false, _) => (403, r#"{"message":"Forbidden"}"#),
                        };
                        let mut r = hyper::Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .header("x-amzn-requestid", "r-1");
                        if host == HOST {
                            // What the edge adds: the edge check needs Cloudflare's marks.
                            r = r.header("server", "cloudflare").header("cf-ray", "1-LHR");
                        }
                        Ok::<_, Infallible>(r.body(Full::new(Bytes::from(body))).unwrap())
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (addr, seen, task)
}

/// The DER of the certificate in `pem`.
fn der(pem: &str) -> CertificateDer<'static> {
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("a PEM certificate");
    CertificateDer::from(parsed.contents)
}

fn targets(lock_required: bool) -> BypassTargets {
    BypassTargets {
        lock_required,
        regional: Ok(RegionalTarget {
            regional_name: REGIONAL.into(),
            mutual_tls_configured: None,
        }),
        default_endpoint: Ok(DefaultEndpointTarget {
            rest_api_id: API_ID.into(),
            region: "us-east-1".into(),
            stage: "prod".into(),
            path: "/ditto".into(),
            disabled_setting: None,
        }),
    }
}

/// The probe: the hostname and the AWS names all at `addr` (the edge's certificate trusted for
/// the edge checks; the direct calls trust nothing and need nothing).
fn probe(addr: SocketAddr, edge_ca: &Ca, lock_required: bool) -> flarelink_verify::Probe {
    let mut p = common::probe(addr, &edge_ca.pem, Some(common::token(Default::default())));
    p.resolve = BTreeMap::from([(HOST.to_owned(), addr), ("*".to_owned(), addr)]);
    p.bypass = Some(targets(lock_required));
    p
}

#[tokio::test]
async fn open_regional_name_fails_a_required_lock_and_the_token_never_goes_direct() {
    let edge_ca = Ca::test();
    // The server presents a certificate for the hostname from the edge CA (the edge checks
    // verify it); the direct calls would accept anything anyway.
    let (addr, seen, _task) = gateway(edge_ca.leaf(&[HOST]), None).await;
    let report = run_checks(&probe(addr, &edge_ca, true)).await.unwrap();
    assert!(report.checks.iter().all(|c| c.passed), "{report}");
    let bypass = report.bypass.as_ref().unwrap();
    let states: Vec<_> = bypass.checks.iter().map(|c| (c.kind, c.state)).collect();
    assert_eq!(
        states,
        [
            (BypassKind::RegionalName, BypassState::Open),
            (BypassKind::DefaultEndpoint, BypassState::Refused),
        ]
    );
    assert!(!report.ok, "an open regional name fails a required lock");
    let dx = bypass.checks[0].diagnosis.as_ref().unwrap();
    assert_eq!(dx.kind, DiagnosisKind::RegionalNameOpen);
    assert!(dx.summary.contains(REGIONAL), "{dx}");

    // Four requests: the edge's two (the second with the token), then the direct calls — the
    // regional name with the hostname as Host, the default endpoint by its own name — neither
    // carrying the token.
    let seen = seen.lock().unwrap().clone();
    let default_host = format!("{API_ID}.execute-api.us-east-1.amazonaws.com");
    assert_eq!(
        seen,
        [
            (HOST.to_owned(), "/ditto".to_owned(), false),
            (HOST.to_owned(), "/ditto".to_owned(), true),
            (HOST.to_owned(), "/ditto".to_owned(), false),
            (default_host, "/prod/ditto".to_owned(), false),
        ]
    );

    // The same state with the lock off: information only.
    let report = run_checks(&probe(addr, &edge_ca, false)).await.unwrap();
    assert!(report.ok, "{report}");
    let text = report.to_string();
    assert!(
        text.contains("info regional name: open: the regional name answers without Cloudflare"),
        "{text}"
    );
}

#[tokio::test]
async fn a_handshake_that_requires_a_client_certificate_is_a_refusal() {
    let edge_ca = Ca::test();
    let client_ca = Ca::new("only Cloudflare's client CA", "flarelink tests");
    // An origin certificate no client trusts (as the regional name serves the one for
    // Cloudflare), and a handshake that requires a client certificate.
    let origin_ca = Ca::new("Cloudflare Origin SSL Certificate Authority", "stand-in");
    let (addr, seen, _task) = gateway(origin_ca.leaf(&[HOST]), Some(&client_ca)).await;
    let mut p = probe(addr, &edge_ca, true);
    // Only the direct calls matter here: the edge checks fail (untrusted certificate).
    let report = run_checks(&p).await.unwrap();
    let regional = &report.bypass.as_ref().unwrap().checks[0];
    assert_eq!(regional.state, BypassState::Refused, "{report}");
    assert!(regional.passed);
    match &regional.observed {
        Some(Observed::Failure(f)) => assert_eq!(f.kind, FailureKind::TlsRefused, "{f:?}"),
        other => panic!("expected a refused handshake, got {other:?}"),
    }
    assert!(seen.lock().unwrap().is_empty(), "no request got through");

    // Nothing listening: could not check, which fails a required lock.
    drop(_task);
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    p.resolve.insert("*".into(), closed);
    let report = run_checks(&p).await.unwrap();
    let states: Vec<_> = report
        .bypass
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .map(|c| (c.state, c.passed))
        .collect();
    assert_eq!(
        states,
        [
            (BypassState::CouldNotCheck, false),
            (BypassState::CouldNotCheck, false)
        ]
    );
}

#[tokio::test]
async fn an_unknown_target_is_not_called_and_says_why() {
    let edge_ca = Ca::test();
    let (addr, seen, _task) = gateway(edge_ca.leaf(&[HOST]), None).await;
    let mut p = probe(addr, &edge_ca, false);
    p.bypass = Some(BypassTargets {
        lock_required: false,
        regional: Err("API Gateway has no custom domain api.example.com in us-east-1".into()),
        default_endpoint: Err("no AWS access".into()),
    });
    let report = run_checks(&p).await.unwrap();
    assert!(
        report.ok,
        "unknown targets are information with the lock off"
    );
    let b = report.bypass.unwrap();
    assert!(b
        .checks
        .iter()
        .all(|c| c.observed.is_none() && c.state == BypassState::CouldNotCheck));
    assert!(
        b.checks[0].note.contains("no custom domain"),
        "{}",
        b.checks[0].note
    );
    assert_eq!(seen.lock().unwrap().len(), 2, "only the edge checks called");
}
