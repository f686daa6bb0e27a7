//! `cloudflare-emulator`: run the Cloudflare API v4 stand-in as a process.
//!
//! Prints one JSON line on stdout once listening:
//! `{"base_url":"http://127.0.0.1:PORT/client/v4/","zones":{"example.com":"<id>"},"ca_pem":"<path>"|null}`
//! plus, with `--edge`, `"edge":{"address":"127.0.0.1:PORT","ca_file":"<path>"|null}`,
//! and serves until SIGTERM, SIGINT, or (when stdin is not a terminal) stdin closes, so it never
//! outlives a parent that spawned it with a pipe. Logs go to stderr; tokens are never logged.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use flarelink_cloudflare_emulator::{start, EdgeOptions, EmulatorOptions, OriginTimeouts};
use tokio::io::AsyncReadExt;

#[derive(Debug, Parser)]
#[command(
    name = "cloudflare-emulator",
    about = "Local stand-in for Cloudflare API v4 (zones, Origin CA, DNS records, zone settings, Configuration Rules, per-hostname authenticated origin pulls) and, with --edge, for its edge"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Zone to seed (repeatable).
    #[arg(long = "zone", required = true)]
    zones: Vec<String>,
    /// API token with read/write access (repeatable).
    #[arg(long = "token", required = true)]
    tokens: Vec<String>,
    /// API token with read-only access (repeatable).
    #[arg(long = "read-only-token")]
    read_only_tokens: Vec<String>,
    /// Initial SSL mode of every zone: off, flexible, full, strict.
    #[arg(long = "ssl-mode", default_value = "flexible")]
    ssl_mode: String,
    /// Write the Origin CA root certificate (PEM) to this file.
    #[arg(long = "ca-out")]
    ca_out: Option<PathBuf>,
    /// Also run the Cloudflare edge: HTTPS (and plain HTTP) for proxied hostnames.
    #[arg(long)]
    edge: bool,
    /// Address the edge listens on (loopback only).
    #[arg(long = "edge-listen", default_value = "127.0.0.1:0", requires = "edge")]
    edge_listen: SocketAddr,
    /// Write the edge CA's root certificate (PEM, what `curl --cacert` trusts) to this file.
    #[arg(long = "edge-ca-out", requires = "edge")]
    edge_ca_out: Option<PathBuf>,
    /// JSON file mapping origin names to loopback addresses:
    /// {"<name or *.suffix>": {"https": "127.0.0.1:PORT", "http": "127.0.0.1:PORT"}};
    /// re-read when it changes.
    #[arg(long = "origin-map", requires = "edge")]
    origin_map: Option<PathBuf>,
    /// PEM file of extra trust anchors for Full (strict), beside the Origin CA root: the
    /// stand-in for the publicly trusted roots Cloudflare accepts. Read once at start.
    #[arg(long = "edge-public-roots", requires = "edge")]
    edge_public_roots: Option<PathBuf>,
    /// How long the edge waits for a TCP connection (and, separately, a TLS handshake) to an
    /// origin before answering 522 (525 for the handshake). Cloudflare: 19 s.
    #[arg(
        long = "edge-connect-timeout-ms",
        default_value_t = 19_000,
        requires = "edge"
    )]
    edge_connect_timeout_ms: u64,
    /// How long the edge waits for an origin's response headers before answering 524.
    /// Cloudflare: 120 s (its default Proxy Read Timeout).
    #[arg(
        long = "edge-response-timeout-ms",
        default_value_t = 120_000,
        requires = "edge"
    )]
    edge_response_timeout_ms: u64,
    /// How long per-hostname origin-pull certificates and associations stay
    /// `pending_deployment` before `active` (and deletions `pending_deletion` before
    /// `deleted`). Cloudflare: minutes.
    #[arg(long = "aop-deploy-ms", default_value_t = flarelink_cloudflare_emulator::state::DEFAULT_AOP_DEPLOY_MS)]
    aop_deploy_ms: u64,
}

async fn stdin_closed() {
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 1024];
    loop {
        match stdin.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

async fn terminate_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let options = EmulatorOptions {
        listen: args.listen,
        zones: args.zones.clone(),
        tokens: args.tokens,
        read_only_tokens: args.read_only_tokens,
        initial_ssl_mode: args.ssl_mode,
        edge: args.edge.then(|| EdgeOptions {
            listen: args.edge_listen,
            origin_map: args.origin_map.clone(),
            timeouts: OriginTimeouts {
                connect: Duration::from_millis(args.edge_connect_timeout_ms),
                response: Duration::from_millis(args.edge_response_timeout_ms),
            },
            public_roots: args.edge_public_roots.clone(),
        }),
        aop_deploy: Duration::from_millis(args.aop_deploy_ms),
    };
    let emulator = match start(options).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cloudflare-emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some(path) = &args.ca_out {
        if let Err(e) = std::fs::write(path, emulator.origin_ca_root_pem()) {
            eprintln!("cloudflare-emulator: writing {}: {e}", path.display());
            emulator.shutdown().await;
            return std::process::ExitCode::FAILURE;
        }
    }
    if let (Some(path), Some(pem)) = (&args.edge_ca_out, emulator.edge_ca_pem()) {
        if let Err(e) = std::fs::write(path, pem) {
            eprintln!("cloudflare-emulator: writing {}: {e}", path.display());
            emulator.shutdown().await;
            return std::process::ExitCode::FAILURE;
        }
    }
    let zones: serde_json::Map<String, serde_json::Value> = args
        .zones
        .iter()
        .filter_map(|z| {
            let key = z.trim().trim_end_matches('.').to_ascii_lowercase();
            emulator
                .zone_id(z)
                .map(|id| (key, serde_json::Value::String(id)))
        })
        .collect();
    let mut line = serde_json::json!({
        "base_url": emulator.base_url(),
        "zones": zones,
        "ca_pem": args.ca_out.as_ref().map(|p| p.display().to_string()),
    });
    if let Some(addr) = emulator.edge_addr() {
        line["edge"] = serde_json::json!({
            "address": addr.to_string(),
            "ca_file": args.edge_ca_out.as_ref().map(|p| p.display().to_string()),
        });
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    let watch_stdin = !std::io::stdin().is_terminal();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
        _ = terminate_signal() => tracing::info!("SIGTERM received"),
        _ = async { if watch_stdin { stdin_closed().await } else { std::future::pending::<()>().await } } => {
            tracing::info!("stdin closed")
        }
    }
    emulator.shutdown().await;
    std::process::ExitCode::SUCCESS
}
