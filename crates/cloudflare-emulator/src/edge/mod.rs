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
//! - [`origin`]: connecting to the origin and Cloudflare's 52x for each failure;
//! - [`proxy`]: headers both ways;
//! - [`pages`]: Cloudflare's error answers.
//!
//! Not emulated: caching, WAF and rate limiting, Workers, redirects and "Always Use HTTPS",
//! HTTP/2 and HTTP/3 toward visitors, WebSockets (upgrades are not forwarded), Origin Rules,
//! authenticated origin pulls, Universal SSL's one-level depth limit.

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
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

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
    /// Bounds on waiting for origins (Cloudflare's 19 s / 100 s by default).
    pub timeouts: OriginTimeouts,
}

impl Default for EdgeOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            origin_map: None,
            timeouts: OriginTimeouts::default(),
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
    let origin_tls = origin::OriginTls::new(state.ca.root_pem()).map_err(io::Error::other)?;
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
    let acceptor = TlsAcceptor::from(Arc::new(tls));

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
                            acceptor.clone(),
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

/// How long a visitor may stay silent before its first byte, or take for its TLS handshake.
const VISITOR_IDLE: std::time::Duration = std::time::Duration::from_secs(60);

/// TLS records start with content type 22 (handshake); anything else is taken as plain HTTP.
const TLS_HANDSHAKE: u8 = 0x16;

async fn serve_connection(
    context: Arc<proxy::EdgeContext>,
    acceptor: TlsAcceptor,
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
        let tls = match tokio::time::timeout(VISITOR_IDLE, acceptor.accept(stream)).await {
            Err(_) => return,
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::info!(%peer, error = %e, "edge: TLS handshake with the visitor failed");
                return;
            }
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
