//! A stateful, strict local stand-in for the subset of Cloudflare's API v4 that flarelink uses:
//! zones (read), Origin CA certificates, DNS records, the zone settings `ssl` and
//! `tls_client_auth`, per-hostname Authenticated Origin Pulls certificates and hostname
//! associations ([`origin_pulls`]), and the zone's Configuration Rules (the
//! `http_config_settings` phase entry point), under
//! `/client/v4/`, plus emulator-only admin routes under `/__emulator/`, and optionally
//! ([`EmulatorOptions::edge`]) the Cloudflare edge in front of proxied hostnames ([`edge`]).
//!
//! Start it in-process with [`start`], or run the `cloudflare-emulator` binary. See each module
//! for which Cloudflare behaviours are reproduced faithfully and which are approximated.

use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post, put};
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub mod admin;
pub mod auth;
pub mod ca;
pub mod dns;
pub mod edge;
pub mod envelope;
pub mod expression;
pub mod gate;
pub mod origin_ca;
pub mod origin_pulls;
pub mod request;
pub mod rulesets;
pub mod settings;
pub mod state;
pub mod zones;

pub use edge::{EdgeOptions, OriginTimeouts};
pub use state::Stats;

/// How to start the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// Where to listen; `127.0.0.1:0` (any free port) by default.
    pub listen: SocketAddr,
    /// Zone names seeded at start (default: `example.com`).
    pub zones: Vec<String>,
    /// Tokens with read and write access (default: `flarelink-emulator-token`).
    pub tokens: Vec<String>,
    /// Tokens that can read but get 403 / 10000 on every write.
    pub read_only_tokens: Vec<String>,
    /// SSL mode of every zone at start: off, flexible (default, as for fresh zones), full, strict.
    pub initial_ssl_mode: String,
    /// Start the Cloudflare edge too (see [`edge`]); `None` (default): API only.
    pub edge: Option<EdgeOptions>,
    /// How long a per-hostname origin-pull certificate or association change stays
    /// `pending_deployment` before it is `active` (and a deletion `pending_deletion` before
    /// `deleted`); default [`state::DEFAULT_AOP_DEPLOY_MS`]. Also settable at run time with
    /// `POST /__emulator/aop_deploy`.
    pub aop_deploy: Duration,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            zones: vec!["example.com".to_string()],
            tokens: vec!["flarelink-emulator-token".to_string()],
            read_only_tokens: Vec::new(),
            initial_ssl_mode: "flexible".to_string(),
            edge: None,
            aop_deploy: Duration::from_millis(state::DEFAULT_AOP_DEPLOY_MS),
        }
    }
}

/// A started emulator. Dropping it also stops the server (the shutdown signal's sender goes
/// away); [`RunningEmulator::shutdown`] additionally waits for the server task to end.
pub struct RunningEmulator {
    addr: SocketAddr,
    state: Arc<state::AppState>,
    shutdown_tx: oneshot::Sender<()>,
    task: JoinHandle<()>,
    edge: Option<edge::RunningEdge>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// `http://127.0.0.1:PORT/client/v4/` (with the trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, gate::CLOUDFLARE_PREFIX)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The id of a seeded zone (name compared case-insensitively, trailing dot ignored).
    pub fn zone_id(&self, name: &str) -> Option<String> {
        let name = normalize_zone(name);
        self.state
            .data()
            .zones
            .iter()
            .find(|z| z.name == name)
            .map(|z| z.id.clone())
    }

    /// The emulator's Origin CA root certificate, PEM.
    pub fn origin_ca_root_pem(&self) -> String {
        self.state.ca.root_pem().to_string()
    }

    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// The edge's address (`127.0.0.1:PORT`), when it was started.
    pub fn edge_addr(&self) -> Option<SocketAddr> {
        self.edge.as_ref().map(edge::RunningEdge::local_addr)
    }

    /// The edge CA's root certificate (PEM) that clients trust, when the edge was started.
    pub fn edge_ca_pem(&self) -> Option<String> {
        self.edge.as_ref().map(|e| e.ca_pem().to_string())
    }

    /// Stop serving and wait for the server task (and the edge's) to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown_tx.send(());
        let _ = self.task.await;
        if let Some(edge) = self.edge {
            edge.shutdown().await;
        }
    }
}

fn normalize_zone(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn invalid_input(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Build the router for a state (exposed for tests that want to drive it without a socket).
pub fn router(state: Arc<state::AppState>) -> Router {
    let v4 = |p: &str| format!("/client/v4{p}");
    Router::new()
        .route(&v4("/zones"), get(zones::list))
        .route(&v4("/zones/{zone_id}"), get(zones::get))
        .route(
            &v4("/zones/{zone_id}/dns_records"),
            get(dns::list).post(dns::create),
        )
        .route(
            &v4("/zones/{zone_id}/dns_records/{record_id}"),
            get(dns::get)
                .put(dns::put)
                .patch(dns::patch)
                .delete(dns::delete),
        )
        .route(
            &v4("/zones/{zone_id}/settings/{setting}"),
            get(settings::get).patch(settings::patch),
        )
        .route(
            &v4("/zones/{zone_id}/origin_tls_client_auth/hostnames/certificates"),
            get(origin_pulls::list).post(origin_pulls::upload),
        )
        .route(
            &v4("/zones/{zone_id}/origin_tls_client_auth/hostnames/certificates/{certificate_id}"),
            get(origin_pulls::get).delete(origin_pulls::delete),
        )
        .route(
            &v4("/zones/{zone_id}/origin_tls_client_auth/hostnames"),
            put(origin_pulls::put_associations),
        )
        .route(
            &v4("/zones/{zone_id}/origin_tls_client_auth/hostnames/{hostname}"),
            get(origin_pulls::get_association),
        )
        .route(&v4("/zones/{zone_id}/rulesets"), get(rulesets::list))
        .route(
            &v4("/zones/{zone_id}/rulesets/phases/{phase}/entrypoint"),
            get(rulesets::get_entrypoint).put(rulesets::put_entrypoint),
        )
        .route(
            &v4("/certificates"),
            get(origin_ca::list).post(origin_ca::create),
        )
        .route(
            &v4("/certificates/{certificate_id}"),
            get(origin_ca::get).delete(origin_ca::revoke),
        )
        .route("/__emulator/stats", get(admin::stats))
        .route("/__emulator/ca.pem", get(admin::ca_pem))
        .route("/__emulator/state", get(admin::dump))
        .route("/__emulator/faults", post(admin::add_fault))
        .route("/__emulator/reset", post(admin::reset))
        .route("/__emulator/latency", post(admin::set_latency))
        .route("/__emulator/aop_deploy", post(admin::set_aop_deploy))
        .fallback(|uri: axum::http::Uri| async move { envelope::ApiError::no_route(uri.path()) })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            gate::gate,
        ))
        .with_state(state)
}

/// Start the emulator: generate the Origin CA root, seed zones, bind, serve in the background.
pub async fn start(options: EmulatorOptions) -> io::Result<RunningEmulator> {
    if !settings::SSL_MODES.contains(&options.initial_ssl_mode.as_str()) {
        return Err(invalid_input(format!(
            "initial_ssl_mode must be one of off, flexible, full, strict; got {}",
            options.initial_ssl_mode
        )));
    }
    let mut zones: Vec<String> = Vec::new();
    for z in &options.zones {
        let n = normalize_zone(z);
        let valid = n.split('.').count() >= 2
            && n.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !valid {
            return Err(invalid_input(format!("invalid zone name: {z}")));
        }
        if !zones.contains(&n) {
            zones.push(n);
        }
    }
    let tokens: HashSet<String> = options.tokens.iter().cloned().collect();
    let read_only: HashSet<String> = options.read_only_tokens.iter().cloned().collect();
    if let Some(t) = tokens.intersection(&read_only).next() {
        let _ = t;
        return Err(invalid_input(
            "a token cannot be both read-write and read-only".to_string(),
        ));
    }
    let ca = ca::EmulatorCa::generate()
        .map_err(|e| io::Error::other(format!("generating the emulator CA: {e}")))?;
    let state = Arc::new(state::AppState::new(
        &zones,
        tokens,
        read_only,
        ca,
        options.initial_ssl_mode.clone(),
    ));
    state.set_aop_deploy_ms(u64::try_from(options.aop_deploy.as_millis()).unwrap_or(u64::MAX));

    let edge = match options.edge.clone() {
        Some(edge_options) => Some(edge::start(state.clone(), edge_options).await?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let addr = listener.local_addr()?;
    let app = router(state.clone());
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown_rx.await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "cloudflare emulator server failed");
        }
    });
    tracing::info!(%addr, zones = ?zones, "cloudflare emulator listening");
    Ok(RunningEmulator {
        addr,
        state,
        shutdown_tx,
        task,
        edge,
    })
}
