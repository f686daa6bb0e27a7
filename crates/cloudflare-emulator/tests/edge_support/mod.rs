//! Local origins for the edge tests (plain HTTP, TLS with a given certificate, and origins that
//! misbehave), and a stand: the emulator with its edge, an origin map file, a client that
//! trusts the edge CA and resolves any hostname to the edge.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flarelink_cloudflare_emulator::{
    start, EdgeOptions, EmulatorOptions, OriginTimeouts, RunningEmulator,
};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const TOKEN: &str = "edge-test-token";

/// A request as the origin received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub sni: Option<String>,
    pub method: String,
    pub uri: String,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
    /// The client certificate (leaf, DER) the edge presented in the TLS handshake, if any.
    pub client_cert: Option<Vec<u8>>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

/// A local origin that records what it receives and answers 200 `{"origin": NAME}`
/// (or, for a path `/status/N`, status N).
pub struct Origin {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Origin {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn last(&self) -> Seen {
        self.seen()
            .last()
            .cloned()
            .expect("the origin received a request")
    }

    pub async fn plain(name: &str) -> Origin {
        Self::serve(name, None).await
    }

    /// TLS with this certificate chain and key (PEM).
    pub async fn tls(name: &str, chain_pem: &str, key_pem: &str) -> Origin {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(chain_pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
        Self::serve(
            name,
            Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        )
        .await
    }

    /// TLS with this certificate chain and key (PEM) that asks for a client certificate
    /// chained to `client_ca_pem` and records the one presented; `required`: a handshake
    /// without one is refused (as an origin with authenticated origin pulls enforced).
    pub async fn tls_client_auth(
        name: &str,
        chain_pem: &str,
        key_pem: &str,
        client_ca_pem: &str,
        required: bool,
    ) -> Origin {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(chain_pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(client_ca_pem.as_bytes()) {
            roots.add(ca.unwrap()).unwrap();
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        );
        let verifier = if required {
            verifier.build().unwrap()
        } else {
            verifier.allow_unauthenticated().build().unwrap()
        };
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap();
        Self::serve(
            name,
            Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
        )
        .await
    }

    async fn serve(name: &str, tls: Option<tokio_rustls::TlsAcceptor>) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let name = name.to_string();
        let seen_in = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (seen, name, tls) = (seen_in.clone(), name.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            let Ok(s) = acceptor.accept(stream).await else {
                                return;
                            };
                            let sni = s.get_ref().1.server_name().map(str::to_string);
                            let client_cert = s
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|c| c.first())
                                .map(|c| c.as_ref().to_vec());
                            serve_http(TokioIo::new(s), seen, name, sni, client_cert).await;
                        }
                        None => serve_http(TokioIo::new(stream), seen, name, None, None).await,
                    }
                });
            }
        });
        Origin { addr, seen }
    }
}

async fn serve_http<I>(
    io: I,
    seen: Arc<Mutex<Vec<Seen>>>,
    name: String,
    sni: Option<String>,
    client_cert: Option<Vec<u8>>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let (seen, name, sni, client_cert) =
            (seen.clone(), name.clone(), sni.clone(), client_cert.clone());
        async move {
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes().to_vec())
                .unwrap_or_default();
            let status = parts
                .uri
                .path()
                .strip_prefix("/status/")
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or(200);
            let answer = json!({"origin": name, "body_len": body.len()}).to_string();
            seen.lock().unwrap().push(Seen {
                sni,
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                headers: parts.headers,
                body,
                client_cert,
            });
            let mut response = Response::new(Full::new(Bytes::from(answer)));
            *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
            let h = response.headers_mut();
            h.insert("server", "origin-server/1".parse().unwrap());
            h.insert("x-origin", name.parse().unwrap());
            h.insert("content-type", "application/json".parse().unwrap());
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

/// A port nothing listens on (bound, then released).
pub fn refused_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// An origin that accepts, reads, and never answers.
pub async fn silent_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await;
            held.push(s);
        }
    });
    addr
}

/// An origin that reads the request and closes the connection without answering.
pub async fn closing_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            drop(s);
        }
    });
    addr
}

/// An origin that answers these raw bytes to every request and closes.
pub async fn raw_origin(answer: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(answer).await;
            let _ = s.shutdown().await;
        }
    });
    addr
}

/// An origin that answers bytes that are not HTTP and closes.
pub async fn garbage_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(b"this is not HTTP\r\n\r\n").await;
            let _ = s.shutdown().await;
        }
    });
    addr
}

/// An address whose TCP handshake never completes: a listener with a backlog of 0 that never
/// accepts, its queue filled first (Linux then drops further SYNs).
pub fn unanswered_syn_addr() -> (
    SocketAddr,
    Vec<std::net::TcpStream>,
    tokio::net::TcpListener,
) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => fillers.push(s),
            Err(_) => break,
        }
    }
    (addr, fillers, listener)
}

/// The emulator with its edge, a temp origin map, and helpers.
pub struct Stand {
    pub emu: RunningEmulator,
    pub map_path: PathBuf,
    pub dir: tempfile::TempDir,
}

pub fn fast_timeouts() -> OriginTimeouts {
    OriginTimeouts {
        connect: Duration::from_millis(400),
        response: Duration::from_millis(600),
    }
}

impl Stand {
    pub async fn new() -> Stand {
        let dir = tempfile::tempdir().unwrap();
        let map_path = dir.path().join("origins.json");
        let emu = start(EmulatorOptions {
            zones: vec!["example.com".into(), "example.net".into()],
            tokens: vec![TOKEN.into()],
            edge: Some(EdgeOptions {
                origin_map: Some(map_path.clone()),
                timeouts: fast_timeouts(),
                ..EdgeOptions::default()
            }),
            ..EmulatorOptions::default()
        })
        .await
        .expect("emulator with edge starts");
        Stand { emu, map_path, dir }
    }

    pub fn edge(&self) -> SocketAddr {
        self.emu.edge_addr().unwrap()
    }

    pub fn write_map(&self, map: Value) {
        // Write then rename, as a careful writer does.
        let tmp = self.dir.path().join("origins.json.tmp");
        std::fs::write(&tmp, map.to_string()).unwrap();
        std::fs::rename(&tmp, &self.map_path).unwrap();
    }

    async fn api(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let zone = self.emu.zone_id("example.com").unwrap();
        let answer: Value = reqwest::Client::new()
            .request(
                method,
                format!("{}zones/{zone}/{path}", self.emu.base_url()),
            )
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["success"], true, "{answer}");
        answer["result"].clone()
    }

    /// Create a CNAME; returns its id.
    pub async fn cname(&self, name: &str, target: &str, proxied: bool) -> String {
        let record = self
            .api(
                reqwest::Method::POST,
                "dns_records",
                json!({"type": "CNAME", "name": name, "content": target, "proxied": proxied}),
            )
            .await;
        record["id"].as_str().unwrap().to_string()
    }

    /// Create any DNS record; returns its id.
    pub async fn record(&self, record: Value) -> String {
        let created = self.api(reqwest::Method::POST, "dns_records", record).await;
        created["id"].as_str().unwrap().to_string()
    }

    pub async fn patch_record(&self, id: &str, patch: Value) {
        self.api(reqwest::Method::PATCH, &format!("dns_records/{id}"), patch)
            .await;
    }

    /// Any call on the example.com zone (`path` after `zones/{id}/`); asserts success and
    /// returns `result`.
    pub async fn zone_api(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        self.api(method, path, body).await
    }

    pub async fn ssl(&self, mode: &str) {
        self.api(
            reqwest::Method::PATCH,
            "settings/ssl",
            json!({"value": mode}),
        )
        .await;
    }

    /// Replace the zone's Configuration Rules (the `http_config_settings` entry point).
    pub async fn config_rules(&self, rules: Value) -> Value {
        self.api(
            reqwest::Method::PUT,
            "rulesets/phases/http_config_settings/entrypoint",
            json!({ "rules": rules }),
        )
        .await
    }

    /// An Origin CA certificate (chain PEM, key PEM) for `hostnames`, issued by the emulator.
    pub async fn origin_ca_cert(&self, hostnames: &[&str]) -> (String, String) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let csr = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .serialize_request(&key)
            .unwrap()
            .pem()
            .unwrap();
        let answer: Value = reqwest::Client::new()
            .post(format!("{}certificates", self.emu.base_url()))
            .bearer_auth(TOKEN)
            .json(&json!({"csr": csr, "hostnames": hostnames, "request_type": "origin-ecc"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let cert = answer["result"]["certificate"]
            .as_str()
            .expect("certificate")
            .to_string();
        (cert, key.serialize_pem())
    }

    /// A client that trusts only the edge CA and sends `host` to the edge.
    pub fn client(&self, host: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.emu.edge_ca_pem().unwrap().as_bytes()).unwrap(),
            )
            .resolve(host, self.edge())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    pub fn url(&self, scheme: &str, host: &str, path: &str) -> String {
        format!("{scheme}://{host}:{}{path}", self.edge().port())
    }

    /// A request that is expected to fail before any answer (e.g. the TLS handshake).
    pub async fn get_err(&self, host: &str) -> reqwest::Error {
        self.client(host)
            .get(self.url("https", host, "/"))
            .send()
            .await
            .expect_err("no answer expected")
    }

    pub async fn get(&self, host: &str, path: &str) -> reqwest::Response {
        self.client(host)
            .get(self.url("https", host, path))
            .send()
            .await
            .expect("the edge answers")
    }
}

/// A self-signed certificate (chain PEM, key PEM) for `hostnames`.
pub fn self_signed(hostnames: &[&str]) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let names: Vec<String> = hostnames.iter().map(|h| h.to_string()).collect();
    let cert = rcgen::CertificateParams::new(names)
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

/// The `cf-ray` of an answer, checked for Cloudflare's shape (16 hex digits, dash, colo).
#[track_caller]
pub fn ray_of(headers: &reqwest::header::HeaderMap) -> String {
    let ray = headers
        .get("cf-ray")
        .expect("cf-ray header")
        .to_str()
        .unwrap()
        .to_string();
    let (id, colo) = ray.split_once('-').expect("ray id-colo");
    assert!(
        id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{ray}"
    );
    assert!(colo.len() == 3, "{ray}");
    assert_eq!(headers.get("server").unwrap(), "cloudflare");
    ray
}
