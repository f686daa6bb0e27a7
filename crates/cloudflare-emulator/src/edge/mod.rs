//! A local Cloudflare edge: what a request to a proxied hostname meets.
//!
//! One loopback port serves HTTPS (TLS is recognised by its first byte) and, on the same port,
//! plain HTTP. For each request the edge reads the emulator's live state — zones, DNS records,
//! the zone's SSL/TLS mode — and either answers with Cloudflare's error or forwards it to the
//! origin named by the proxied record, found through the origin map (never the system
//! resolver). See the submodules for each part and its sources:
//! - [`certs`]: the edge CA and on-the-fly edge certificates (SNI);
//! - [`route`]: hostname → zone → proxied record → origin name and SSL/TLS mode;
//! - [`origin_map`]: origin name → loopback address per scheme;
//! - [`origin`]: connecting to the origin (Full (strict) trusts the Origin CA root and the
//!   [`EdgeOptions::public_roots`]; presenting the hostname's per-hostname
//!   authenticated-origin-pull certificate when one is associated, enabled and active and the
//!   zone's `tls_client_auth` is on) and Cloudflare's 52x for each failure;
//! - [`proxy`]: headers both ways;
//! - [`pages`]: Cloudflare's error answers.
//!
//! Not emulated: caching, WAF and rate limiting, Workers, redirects and "Always Use HTTPS",
//! HTTP/2 and HTTP/3 toward visitors, WebSockets (upgrades are not forwarded), Origin Rules,
//! zone-level authenticated origin pulls (no shared zone-wide Cloudflare client certificate
//! exists in the emulator: only per-hostname ones, see [`crate::origin_pulls`]), Universal
//! SSL's one-level depth limit.

pub mod certs;
pub mod origin;
pub mod origin_map;
pub mod pages;
pub mod proxy;
pub mod route;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::LazyConfigAcceptor;

pub use origin::OriginTimeouts;
pub use origin_map::{OriginEntry, OriginMap};

use crate::state::AppState;
use route::VisitorScheme;

/// How to start the edge.
#[derive(Debug, Clone)]
pub struct EdgeOptions {
    /// Where to listen; `127.0.0.1:0` by default.
    pub listen: SocketAddr,
    /// The origin map file (see [`origin_map`]); `None`: every origin name is unknown (1016).
    pub origin_map: Option<PathBuf>,
    /// Bounds on waiting for origins (Cloudflare's 19 s / 120 s by default).
    pub timeouts: OriginTimeouts,
    /// A PEM file of extra trust anchors for Full (strict), beside the Origin CA root: the
    /// stand-in for the publicly trusted roots Cloudflare accepts (e.g. the CA behind the
    /// stand-ins' ACM-issued certificates). Read once at start; `None`: the Origin CA root only.
    pub public_roots: Option<PathBuf>,
}

impl Default for EdgeOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            origin_map: None,
            timeouts: OriginTimeouts::default(),
            public_roots: None,
        }
    }
}

/// A started edge.
pub struct RunningEdge {
    addr: SocketAddr,
    ca_pem: String,
    shutdown_tx: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for RunningEdge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEdge")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningEdge {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The edge CA's root certificate (PEM): what clients trust (`curl --cacert`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub async fn shutdown(self) {
        let _ = self.shutdown_tx.send(());
        let _ = self.task.await;
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Start the edge over the emulator's state.
pub async fn start(state: Arc<AppState>, options: EdgeOptions) -> io::Result<RunningEdge> {
    if !options.listen.ip().is_loopback() {
        return Err(invalid(format!(
            "the edge listens on loopback only; got {}",
            options.listen
        )));
    }
    let origin_map =
        origin_map::OriginMapFile::open(options.origin_map.as_deref()).map_err(invalid)?;
    let public_roots = match &options.public_roots {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("edge public roots {}: {e}", path.display())))?,
        None => String::new(),
    };
    let origin_tls =
        origin::OriginTls::new(state.ca.root_pem(), &public_roots).map_err(io::Error::other)?;
    let ca = Arc::new(certs::EdgeCa::generate().map_err(io::Error::other)?);
    let ca_pem = ca.root_pem().to_string();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(certs::EdgeCertResolver {
            ca,
            state: state.clone(),
        }));
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tls = Arc::new(tls);

    let context = Arc::new(proxy::EdgeContext {
        state,
        origin_map,
        origin_tls,
        timeouts: options.timeouts,
    });
    let listener = TcpListener::bind(options.listen).await?;
    let addr = listener.local_addr()?;
    let (shutdown_tx, mut shutdown_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // Connections live in this set, so stopping the edge also closes the open ones.
        let mut connections = tokio::task::JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            tokio::select! {
                _ = &mut shutdown_rx => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        connections.spawn(serve_connection(
                            context.clone(),
                            tls.clone(),
                            stream,
                            peer,
                        ));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "edge: accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
            }
        }
    });
    tracing::info!(%addr, "cloudflare edge listening");
    Ok(RunningEdge {
        addr,
        ca_pem,
        shutdown_tx,
        task,
    })
}

/// A fatal `handshake_failure` alert (RFC 8446 §6: record type 21, legacy version 3.3,
/// length 2, level fatal, description 40) — hand-written because rustls, for a name with no
/// certificate, sends `access_denied`, while Cloudflare answers `handshake_failure`.
const HANDSHAKE_FAILURE_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

/// Read the ClientHello; a name in no zone (or no SNI) gets a `handshake_failure` alert, as at
/// Cloudflare for a hostname it has no certificate for; others complete the handshake.
async fn tls_handshake(
    context: &proxy::EdgeContext,
    tls: Arc<rustls::ServerConfig>,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let start = match LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream).await {
        Ok(start) => start,
        Err(e) => {
            tracing::info!(%peer, error = %e, "edge: not a TLS ClientHello");
            return None;
        }
    };
    let sni = start
        .client_hello()
        .server_name()
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase());
    let known = sni
        .as_deref()
        .is_some_and(|n| context.state.data().zone_for_host(n).is_some());
    let mut accept = start.into_stream(tls);
    if !known {
        tracing::info!(%peer, sni = sni.as_deref().unwrap_or("-"), "edge: no certificate for this name (in no zone); handshake_failure");
        if let Some(io) = accept.get_mut() {
            let _ = io.write_all(&HANDSHAKE_FAILURE_ALERT).await;
            let _ = io.shutdown().await;
        }
        return None;
    }
    match accept.await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::info!(%peer, error = %e, "edge: TLS handshake with the visitor failed");
            None
        }
    }
}

/// How long a visitor may stay silent before its first byte, or take for its TLS handshake.
const VISITOR_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// TLS records start with content type 22 (handshake); anything else is taken as plain HTTP.
const TLS_HANDSHAKE: u8 = 0x16;

async fn serve_connection(
    context: Arc<proxy::EdgeContext>,
    tls: Arc<rustls::ServerConfig>,
    stream: TcpStream,
    peer: SocketAddr,
) {
    let _ = stream.set_nodelay(true);
    let mut first = [0u8; 1];
    match tokio::time::timeout(VISITOR_IDLE, stream.peek(&mut first)).await {
        Ok(Ok(1)) => {}
        _ => return,
    }
    let http = hyper::server::conn::http1::Builder::new();
    if first[0] == TLS_HANDSHAKE {
        let Ok(Some(tls)) =
            tokio::time::timeout(VISITOR_IDLE, tls_handshake(&context, tls, stream, peer)).await
        else {
            return;
        };
        let sni = tls.get_ref().1.server_name().map(str::to_string);
        let service = service_fn(move |req| {
            proxy::handle(
                context.clone(),
                req,
                peer,
                VisitorScheme::Https,
                sni.clone(),
            )
        });
        let _ = http.serve_connection(TokioIo::new(tls), service).await;
    } else {
        let service = service_fn(move |req| {
            proxy::handle(context.clone(), req, peer, VisitorScheme::Http, None)
        });
        let _ = http.serve_connection(TokioIo::new(stream), service).await;
    }
}
