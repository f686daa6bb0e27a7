//! A seeded fault-injection HTTP proxy on loopback, for tests and benchmarks: it sits between
//! flarelink and a stand-in (moto, the Cloudflare emulator) and, per request, forwards it
//! untouched (the `Host` header too, so SigV4 signatures stay valid) or injects a fault:
//!
//! - a 500, 502 or 503 answer; a 429 with `Retry-After` and the cloud's own throttling body
//!   (AWS `ThrottlingException` for JSON-protocol services such as ACM, `TooManyRequestsException`
//!   for API Gateway and Cognito; Cloudflare's rate-limit envelope);
//! - a connection reset (the connection is dropped without an answer);
//! - a stall past the client's timeout (held, then dropped);
//!
//! each either **before** forwarding (the upstream never sees the request) or **after** the
//! upstream acted (its answer is thrown away) — the case that makes a write's outcome unknown.
//! Every request can also be delayed by a fixed latency. It counts reads (GET/HEAD) and writes
//! that reached the upstream, and the faults it injected.
//!
//! Whether a request is hit is decided from the seed, the request's method and path, and how
//! many times that method and path were seen before — not from arrival order — so a run replays
//! from its seed even though independent calls run concurrently.
//!
//! Hand-written (about 300 lines on hyper) rather than an existing tool: toxiproxy and similar
//! TCP proxies cannot answer with an HTTP status after forwarding, tell reads from writes, or
//! speak the clouds' error bodies.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;

/// Which cloud's error bodies to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    #[default]
    Aws,
    Cloudflare,
}

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Fault {
    Status(u16),
    /// 429 with `Retry-After` and the throttling body.
    Throttle,
    /// The connection is dropped with no answer.
    Reset,
    /// No answer for [`FaultPlan::stall`], then dropped.
    Stall,
}

/// When the fault happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum When {
    /// The upstream never sees the request.
    Before,
    /// The upstream acted; its answer is lost.
    After,
}

/// What to inject. The default injects nothing and adds no latency.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    pub seed: u64,
    /// Share of eligible requests that get a fault, 0.0–1.0.
    pub rate: f64,
    /// Only writes (not GET/HEAD) are eligible.
    pub writes_only: bool,
    /// Faults are drawn from these, uniformly.
    pub faults: Vec<Fault>,
    /// Before or after forwarding, drawn uniformly from these.
    pub when: Vec<When>,
    /// Added to every request (faulted or not) before it is handled.
    pub latency: Duration,
    /// How long a stall holds the request before dropping it (longer than the client timeout).
    pub stall: Duration,
    /// `Retry-After` seconds of a 429.
    pub retry_after_seconds: u32,
    /// Requests whose path contains any of these are never faulted (e.g. a test's own reads).
    pub exempt_paths: Vec<String>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan {
            seed: 0,
            rate: 0.0,
            writes_only: false,
            faults: vec![
                Fault::Status(500),
                Fault::Status(502),
                Fault::Status(503),
                Fault::Throttle,
                Fault::Reset,
                Fault::Stall,
            ],
            when: vec![When::Before, When::After],
            latency: Duration::ZERO,
            stall: Duration::from_secs(3),
            retry_after_seconds: 1,
            exempt_paths: Vec::new(),
        }
    }
}

impl FaultPlan {
    /// Only a fixed latency on every call (benchmarks).
    pub fn latency(latency: Duration) -> Self {
        FaultPlan {
            latency,
            ..FaultPlan::default()
        }
    }
}

/// One injected fault, for the test's log.
#[derive(Debug, Clone, Serialize)]
pub struct Injected {
    pub method: String,
    pub path: String,
    pub fault: Fault,
    pub when: When,
}

/// Counters since start (or the last [`RunningProxy::reset_stats`]).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// GET/HEAD requests the upstream saw.
    pub reads: u64,
    /// Other requests the upstream saw.
    pub writes: u64,
    pub injected: Vec<Injected>,
}

struct State {
    upstream: String,
    flavor: Flavor,
    plan: Mutex<FaultPlan>,
    seen: Mutex<HashMap<(String, String), u64>>,
    stats: Mutex<Stats>,
    http: reqwest::Client,
}

/// A proxy serving on 127.0.0.1; it stops when dropped (its runtime task is aborted).
pub struct RunningProxy {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningProxy {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.state.plan.lock().unwrap() = plan;
        self.state.seen.lock().unwrap().clear();
    }
    pub fn stats(&self) -> Stats {
        self.state.stats.lock().unwrap().clone()
    }
    pub fn reset_stats(&self) {
        *self.state.stats.lock().unwrap() = Stats::default();
    }
}

impl Drop for RunningProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a proxy on 127.0.0.1 (`port` 0: any free port) in front of `upstream`
/// (`http://127.0.0.1:PORT`), on the current tokio runtime.
pub async fn start(
    upstream: &str,
    flavor: Flavor,
    plan: FaultPlan,
    port: u16,
) -> std::io::Result<RunningProxy> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .build()
        .map_err(std::io::Error::other)?;
    let state = Arc::new(State {
        upstream: upstream.trim_end_matches('/').to_string(),
        flavor,
        plan: Mutex::new(plan),
        seen: Mutex::new(HashMap::new()),
        stats: Mutex::new(Stats::default()),
        http,
    });
    let serving = Arc::clone(&state);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = Arc::clone(&serving);
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(Arc::clone(&state), req));
                // A dropped connection is how resets and stalls are made: ignore its error.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(RunningProxy { addr, state, task })
}

/// Returned to hyper to abort the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the fault proxy")
    }
}

impl std::error::Error for Dropped {}

type Answer = Response<Full<Bytes>>;

/// Decide: whether the `nth` request with this method and path gets a fault, and which — a
/// pure function of the seed, so a run replays from it.
pub fn draw(plan: &FaultPlan, method: &str, path: &str, nth: u64) -> Option<(Fault, When)> {
    let is_write = !matches!(method, "GET" | "HEAD");
    if plan.rate <= 0.0
        || plan.faults.is_empty()
        || plan.when.is_empty()
        || (plan.writes_only && !is_write)
        || plan.exempt_paths.iter().any(|p| path.contains(p.as_str()))
    {
        return None;
    }
    let roll = |salt: u64| {
        let mut h = DefaultHasher::new();
        (plan.seed, method, path, nth, salt).hash(&mut h);
        h.finish()
    };
    let unit = (roll(0) >> 11) as f64 / (1u64 << 53) as f64;
    if unit >= plan.rate {
        return None;
    }
    let fault = plan.faults[(roll(1) % plan.faults.len() as u64) as usize];
    let when = plan.when[(roll(2) % plan.when.len() as u64) as usize];
    Some((fault, when))
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Answer, Dropped> {
    let plan = state.plan.lock().unwrap().clone();
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let nth = {
        let mut seen = state.seen.lock().unwrap();
        let n = seen.entry((method.clone(), path.clone())).or_insert(0);
        *n += 1;
        *n
    };
    let fault = draw(&plan, &method, &path, nth);
    if let Some((fault, when)) = fault {
        state.stats.lock().unwrap().injected.push(Injected {
            method: method.clone(),
            path: path.clone(),
            fault,
            when,
        });
        if when == When::Before {
            return inject(&state, &plan, fault, &target).await;
        }
    }
    let answer = forward(&state, req).await;
    match fault {
        Some((fault, _)) => inject(&state, &plan, fault, &target).await,
        None => answer,
    }
}

async fn forward(state: &State, req: Request<Incoming>) -> Result<Answer, Dropped> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = format!("{}{}", state.upstream, path_and_query);
    let mut upstream = state.http.request(parts.method.clone(), url);
    for (name, value) in &parts.headers {
        // The Host header goes through unchanged (SigV4 signs it); only hop-by-hop headers and
        // the length (recomputed from the body) are left out.
        if !is_hop_by_hop(name.as_str()) {
            upstream = upstream.header(name, value);
        }
    }
    let response = upstream.body(body).send().await.map_err(|_| Dropped)?;
    {
        let mut stats = state.stats.lock().unwrap();
        if matches!(parts.method.as_str(), "GET" | "HEAD") {
            stats.reads += 1;
        } else {
            stats.writes += 1;
        }
    }
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(|_| Dropped)?;
    let mut answer = Response::new(Full::new(bytes));
    *answer.status_mut() = status;
    for (name, value) in &headers {
        if !is_hop_by_hop(name.as_str()) {
            answer.headers_mut().append(name, value.clone());
        }
    }
    Ok(answer)
}

fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "content-length"
    )
}

async fn inject(
    state: &State,
    plan: &FaultPlan,
    fault: Fault,
    amz_target: &str,
) -> Result<Answer, Dropped> {
    match fault {
        Fault::Reset => Err(Dropped),
        Fault::Stall => {
            tokio::time::sleep(plan.stall).await;
            Err(Dropped)
        }
        Fault::Status(status) => Ok(error_answer(state.flavor, status, amz_target, None)),
        Fault::Throttle => Ok(error_answer(
            state.flavor,
            429,
            amz_target,
            Some(plan.retry_after_seconds),
        )),
    }
}

/// The error answer a cloud gives for `status`, in its own shape.
pub fn error_answer(
    flavor: Flavor,
    status: u16,
    amz_target: &str,
    retry_after: Option<u32>,
) -> Answer {
    let json_protocol = !amz_target.is_empty();
    let (content_type, error_type, body) = match (flavor, status) {
        (Flavor::Cloudflare, 429) => (
            "application/json",
            None,
            serde_json::json!({"success": false, "errors": [{"code": 971,
                "message": "Please wait and consider throttling your request speed"}],
                "messages": [], "result": null})
            .to_string(),
        ),
        (Flavor::Cloudflare, 502) | (Flavor::Aws, 502) => (
            "text/html",
            None,
            "<html><body><h1>502 Bad Gateway</h1></body></html>".to_string(),
        ),
        (Flavor::Cloudflare, s) => (
            "application/json",
            None,
            serde_json::json!({"success": false, "errors": [{"code": 10000 + u32::from(s),
                "message": "Internal error (injected by the fault proxy)"}],
                "messages": [], "result": null})
            .to_string(),
        ),
        (Flavor::Aws, 429) => {
            // ACM answers ThrottlingException; API Gateway and Cognito TooManyRequestsException.
            let code = if amz_target.starts_with("CertificateManager") {
                "ThrottlingException"
            } else {
                "TooManyRequestsException"
            };
            aws_body(json_protocol, code, "Rate exceeded")
        }
        (Flavor::Aws, 503) => aws_body(json_protocol, "ServiceUnavailable", "Service unavailable"),
        (Flavor::Aws, _) => aws_body(json_protocol, "InternalFailure", "Internal server error"),
    };
    let mut answer = Response::new(Full::new(Bytes::from(body)));
    *answer.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = answer.headers_mut();
    headers.insert("content-type", content_type.parse().unwrap());
    if let Some(t) = error_type {
        headers.insert("x-amzn-errortype", t.parse().unwrap());
    }
    if let Some(seconds) = retry_after {
        headers.insert("retry-after", seconds.to_string().parse().unwrap());
    }
    answer
}

fn aws_body(
    json_protocol: bool,
    code: &'static str,
    message: &str,
) -> (&'static str, Option<&'static str>, String) {
    if json_protocol {
        (
            "application/x-amz-json-1.1",
            None,
            serde_json::json!({"__type": code, "message": message}).to_string(),
        )
    } else {
        (
            "application/json",
            Some(code),
            serde_json::json!({"message": message}).to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_replay_from_the_seed_and_respect_the_rate() {
        let plan = FaultPlan {
            seed: 42,
            rate: 0.3,
            ..FaultPlan::default()
        };
        let a: Vec<_> = (1..200).map(|n| draw(&plan, "POST", "/x", n)).collect();
        let b: Vec<_> = (1..200).map(|n| draw(&plan, "POST", "/x", n)).collect();
        assert_eq!(a, b);
        let hits = a.iter().filter(|d| d.is_some()).count();
        assert!((30..90).contains(&hits), "{hits} of 199 at 30%");
        let other = FaultPlan {
            seed: 43,
            ..plan.clone()
        };
        let c: Vec<_> = (1..200).map(|n| draw(&other, "POST", "/x", n)).collect();
        assert_ne!(a, c);
    }

    #[test]
    fn writes_only_spares_reads_and_exempt_paths_are_never_hit() {
        let plan = FaultPlan {
            rate: 1.0,
            writes_only: true,
            exempt_paths: vec!["/admin".into()],
            ..FaultPlan::default()
        };
        assert!(draw(&plan, "GET", "/x", 1).is_none());
        assert!(draw(&plan, "POST", "/x", 1).is_some());
        assert!(draw(&plan, "POST", "/admin/x", 1).is_none());
    }
}
