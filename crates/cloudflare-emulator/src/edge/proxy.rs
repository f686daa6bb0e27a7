//! One request through the edge: route it from the emulator's state, find the origin in the
//! origin map, forward it with Cloudflare's request headers, relay the answer with Cloudflare's
//! response headers — or answer with Cloudflare's error.
//!
//! Headers (developers.cloudflare.com/fundamentals/reference/http-headers/): the origin gets
//! `cf-connecting-ip` (the visitor's address), `x-forwarded-for` (the visitor's address,
//! appended with a comma to any list the request already carried, as in Cloudflare's example
//! `203.0.113.1,198.51.100.101`), `x-forwarded-proto` and `cf-visitor: {"scheme":"…"}` (the
//! visitor's scheme), `cf-ray`, `cdn-loop: cloudflare` (appended, RFC 8586), and `Host` = the
//! requested hostname; `x-real-ip` is stripped (the page: stripped when no Worker runs). Values
//! the visitor sent for the other headers are replaced. Not rewritten: `accept-encoding` (Cloudflare sets
//! `br, gzip` and decompresses for visitors that cannot; the edge passes the visitor's).
//! The visitor gets `server: cloudflare` (replacing the origin's), `cf-ray`, and on proxied
//! answers `cf-cache-status: DYNAMIC` (nothing is cached). Hop-by-hop
//! headers (RFC 9110 §7.6.1) are not forwarded either way. Method, path, query, other headers
//! and the body are forwarded as they are; bodies stream both ways.
//!
//! The Host header's port is dropped: the edge's loopback port stands for Cloudflare's 443.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_TYPE, HOST, SERVER};
use hyper::{HeaderMap, Request, Response, Uri, Version};

use crate::edge::origin::{self, OriginTimeouts, OriginTls};
use crate::edge::origin_map::OriginMapFile;
use crate::edge::pages::{self, EdgeError};
use crate::edge::route::{self, OriginTransport, VisitorScheme};
use crate::origin_pulls;
use crate::state::AppState;

pub type EdgeBody = BoxBody<Bytes, hyper::Error>;

/// What every request of one edge shares.
#[derive(Debug)]
pub struct EdgeContext {
    pub state: Arc<AppState>,
    pub origin_map: OriginMapFile,
    pub origin_tls: OriginTls,
    pub timeouts: OriginTimeouts,
}

/// A Ray ID as Cloudflare writes it: 16 hex digits, a dash, a data-centre code (here `EMU`).
pub fn new_ray() -> String {
    format!("{:016x}-EMU", rand::random::<u64>())
}

const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Drop hop-by-hop headers, including those the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<String> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    for name in HOP_BY_HOP.iter().copied().map(String::from).chain(named) {
        headers.remove(name.as_str());
    }
}

fn full(body: impl Into<Bytes>) -> EdgeBody {
    Full::new(body.into())
        .map_err(|never| match never {})
        .boxed()
}

/// The edge's own answer for `error`.
pub fn error_response(
    error: EdgeError,
    host: &str,
    ray: &str,
    request_headers: &HeaderMap,
) -> Response<EdgeBody> {
    let page = pages::render(error, host, ray, request_headers);
    let mut response = Response::new(full(page.body));
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(page.content_type));
    pages::error_headers(headers);
    edge_marks(headers, ray);
    response
}

fn edge_marks(headers: &mut HeaderMap, ray: &str) {
    headers.insert(SERVER, HeaderValue::from_static("cloudflare"));
    if let Ok(v) = HeaderValue::from_str(ray) {
        headers.insert("cf-ray", v);
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// The hostname a request is for: its Host header (HTTP/1.1), else the URI's authority, else
/// the TLS SNI.
fn requested_host(request: &Request<Incoming>, sni: Option<&str>) -> String {
    let raw = request
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))
        .or_else(|| sni.map(str::to_string))
        .unwrap_or_default();
    route::hostname_of(&raw)
}

/// Serve one request.
pub async fn handle(
    context: Arc<EdgeContext>,
    request: Request<Incoming>,
    peer: SocketAddr,
    visitor: VisitorScheme,
    sni: Option<String>,
) -> Result<Response<EdgeBody>, Infallible> {
    let ray = new_ray();
    let host = requested_host(&request, sni.as_deref());
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = match forward(&context, request, &host, &ray, peer, visitor).await {
        Ok(r) => r,
        Err((error, headers)) => error_response(error, &host, &ray, &headers),
    };
    tracing::info!(
        %method, host, path, status = response.status().as_u16(), ray, scheme = visitor.as_str(),
        "edge request"
    );
    Ok(response)
}

async fn forward(
    context: &EdgeContext,
    request: Request<Incoming>,
    host: &str,
    ray: &str,
    peer: SocketAddr,
    visitor: VisitorScheme,
) -> Result<Response<EdgeBody>, (EdgeError, HeaderMap)> {
    let (planned, client_identity) = {
        let data = context.state.data();
        let planned = route::plan(&data, host, request.uri().path(), visitor);
        let identity = planned.as_ref().ok().and_then(|p| {
            let zone = data.zone_for_host(&p.hostname)?;
            origin_pulls::client_identity_for(&data, &zone.id, &p.hostname, chrono::Utc::now())
        });
        (planned, identity)
    };
    let plan = match planned {
        Ok(p) => p,
        Err(e) => return Err((e, request.headers().clone())),
    };
    let Some(entry) = context.origin_map.current().await.lookup(&plan.origin_name) else {
        tracing::info!(
            origin = plan.origin_name,
            "edge: origin name not in the origin map"
        );
        return Err((EdgeError::OriginDns, request.headers().clone()));
    };
    let addr = match plan.transport {
        OriginTransport::PlainHttp => entry.http,
        _ => entry.https,
    };
    tracing::info!(
        host,
        origin = plan.origin_name,
        ssl = ?plan.ssl_mode,
        transport = ?plan.transport,
        addr = ?addr,
        client_certificate = client_identity.is_some(),
        ray,
        "edge: to the origin"
    );

    let (mut parts, body) = request.into_parts();
    let visitor_headers = parts.headers.clone();
    let client_ip = peer.ip().to_string();
    let headers = &mut parts.headers;
    strip_hop_by_hop(headers);
    let forwarded_for = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .chain(std::iter::once(client_ip.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    headers.remove("x-forwarded-for");
    // "When no Worker subrequest is triggered … the x-real-ip header is stripped."
    headers.remove("x-real-ip");
    set(headers, "host", &plan.hostname);
    set(headers, "cf-connecting-ip", &client_ip);
    set(headers, "x-forwarded-for", &forwarded_for);
    set(headers, "x-forwarded-proto", visitor.as_str());
    set(
        headers,
        "cf-visitor",
        &format!("{{\"scheme\":\"{}\"}}", visitor.as_str()),
    );
    set(headers, "cf-ray", ray);
    // RFC 8586: each CDN appends its token to CDN-Loop.
    let cdn_loop = headers
        .get_all("cdn-loop")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .chain(std::iter::once("cloudflare"))
        .collect::<Vec<_>>()
        .join(", ");
    set(headers, "cdn-loop", &cdn_loop);
    parts.version = Version::HTTP_11;
    parts.uri = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/")
        .parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/"));
    let origin_request = Request::from_parts(parts, body.boxed());

    let target = origin::OriginTarget {
        addr,
        transport: plan.transport,
        hostname: &plan.hostname,
        origin_name: &plan.origin_name,
        client_identity: client_identity.as_ref(),
    };
    let answer = origin::send(
        &context.origin_tls,
        context.timeouts,
        target,
        origin_request,
    )
    .await
    .map_err(|e| (e, visitor_headers))?;

    let (mut parts, body) = answer.into_parts();
    // The edge speaks its own HTTP/1.1 to the visitor, whatever version the origin used.
    parts.version = Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
    edge_marks(&mut parts.headers, ray);
    parts
        .headers
        .insert("cf-cache-status", HeaderValue::from_static("DYNAMIC"));
    Ok(Response::from_parts(parts, body.boxed()))
}
