//! Emulator-only routes under `/__emulator/` (not Cloudflare's; no auth, not counted):
//! - `GET stats` → `{"requests":n,"writes":n,"successful_writes":n}`
//! - `GET ca.pem` → the Origin CA root certificate (PEM)
//! - `GET state` → zones with their settings, certificates (public parts only: never a private
//!   key), origin-pull certificates and associations, DNS records, rulesets, faults
//! - `POST faults` → `{"status":429|5xx,"count":N,"retry_after":secs?,"path_contains":"..."?}`
//!   makes the next N matching Cloudflare-route requests fail
//! - `POST latency` → `{"ms": N}`: delay every Cloudflare-route answer (benchmarks)
//! - `POST aop_deploy` → `{"ms": N}`: how long origin-pull certificates and associations take
//!   to deploy (and deletions to complete) from now on
//! - `POST reset` → forget certificates (both kinds), associations, DNS records, rulesets,
//!   faults, counters; restore SSL modes and `tls_client_auth` off

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::dns::record_json;
use crate::origin_ca::cert_json;
use crate::origin_pulls;
use crate::rulesets::ruleset_json;
use crate::state::{ts, AppState, Fault};

fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.into()})),
    )
        .into_response()
}

pub async fn stats(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!(state.stats()))
}

pub async fn ca_pem(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        state.ca.root_pem().to_string(),
    )
        .into_response()
}

pub async fn dump(State(state): State<Arc<AppState>>) -> Json<Value> {
    let data = state.data();
    let now = chrono::Utc::now();
    Json(json!({
        "account_id": state.account_id,
        "zones": data.zones.iter().map(|z| json!({
            "id": z.id,
            "name": z.name,
            "settings": {
                "ssl": {"value": z.ssl_value, "modified_on": ts(z.ssl_modified_on)},
                "tls_client_auth": {"value": z.tls_client_auth, "modified_on": ts(z.tls_client_auth_modified_on)},
            },
        })).collect::<Vec<_>>(),
        "certificates": data.certs.iter().map(cert_json).collect::<Vec<_>>(),
        "origin_pull_certificates": data.hostname_certs.iter().map(|c| {
            let mut v = origin_pulls::cert_json(c, now);
            v["zone_id"] = json!(c.zone_id);
            v
        }).collect::<Vec<_>>(),
        "origin_pull_hostnames": data.hostname_associations.iter().map(|a| json!({
            "zone_id": a.zone_id,
            "hostname": a.hostname,
            "cert_id": a.cert_id,
            "enabled": a.enabled,
        })).collect::<Vec<_>>(),
        "dns_records": data.dns.iter().map(record_json).collect::<Vec<_>>(),
        "rulesets": data.rulesets.iter().map(|r| {
            let mut v = ruleset_json(r);
            v["zone_id"] = json!(r.zone_id);
            v
        }).collect::<Vec<_>>(),
        "faults": data.faults,
        "stats": state.stats(),
    }))
}

pub async fn add_fault(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(&body) else {
        return bad("body must be a JSON object");
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !["status", "count", "retry_after", "path_contains"].contains(&k.as_str()))
    {
        return bad(format!("unknown field `{k}`"));
    }
    let status = match obj.get("status").and_then(Value::as_u64) {
        Some(s) if s == 429 || (500..=599).contains(&s) => s as u16,
        _ => return bad("`status` must be 429 or a 5xx status"),
    };
    let count = match obj.get("count").and_then(Value::as_u64) {
        Some(c) if c >= 1 => c,
        _ => return bad("`count` must be a positive integer"),
    };
    let retry_after = match obj.get("retry_after") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(s) => Some(s),
            None => return bad("`retry_after` must be a non-negative integer"),
        },
    };
    let path_contains = match obj.get("path_contains") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return bad("`path_contains` must be a string"),
    };
    let mut data = state.data();
    data.faults.push(Fault {
        status,
        remaining: count,
        retry_after,
        path_contains,
    });
    Json(json!({"faults": data.faults})).into_response()
}

/// `POST latency` `{"ms": N}`: every Cloudflare-route answer waits N ms (0 turns it off), so a
/// benchmark on loopback can show how many round trips a command waits for in sequence.
pub async fn set_latency(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let ms = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.as_object().filter(|o| o.len() == 1)?.get("ms")?.as_u64())
        .filter(|ms| *ms <= 10_000);
    match ms {
        Some(ms) => {
            state.set_latency_ms(ms);
            Json(json!({"latency_ms": ms})).into_response()
        }
        None => bad("body must be {\"ms\": <0..=10000>}"),
    }
}

/// `POST aop_deploy` `{"ms": N}` (0..=600000): the deployment delay of origin-pull
/// certificates and associations changed after this call.
pub async fn set_aop_deploy(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let ms = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.as_object().filter(|o| o.len() == 1)?.get("ms")?.as_u64())
        .filter(|ms| *ms <= 600_000);
    match ms {
        Some(ms) => {
            state.set_aop_deploy_ms(ms);
            Json(json!({"aop_deploy_ms": ms})).into_response()
        }
        None => bad("body must be {\"ms\": <0..=600000>}"),
    }
}

pub async fn reset(State(state): State<Arc<AppState>>) -> Json<Value> {
    state.reset();
    Json(json!({"reset": true}))
}
