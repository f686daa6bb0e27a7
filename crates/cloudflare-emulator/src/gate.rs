//! The layer every request passes: counters, injected faults, authentication, Cloudflare-shaped
//! 405 answers, and a log line (method, path, status; never headers or tokens).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{authenticate, is_write};
use crate::envelope::ApiError;
use crate::state::AppState;

pub const CLOUDFLARE_PREFIX: &str = "/client/v4/";

/// Consume one matching injected fault, if any, and build its answer.
///
/// 429 answers carry `Retry-After` and code 10100 "Rate limited" (per the project's
/// cloud facts). 5xx answers carry a Cloudflare-shaped envelope with an approximated code
/// (10001 for 500/other 5xx, 10013 for 503; Cloudflare's real codes for its own outages are not
/// documented).
fn take_fault(state: &AppState, path: &str) -> Option<ApiError> {
    let mut data = state.data();
    let idx = data.faults.iter().position(|f| {
        f.remaining > 0
            && f.path_contains
                .as_deref()
                .is_none_or(|needle| path.contains(needle))
    })?;
    let fault = &mut data.faults[idx];
    fault.remaining -= 1;
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let retry_after = fault.retry_after;
    if fault.remaining == 0 {
        data.faults.remove(idx);
    }
    let mut err = match status {
        StatusCode::TOO_MANY_REQUESTS => ApiError::new(status, 10100, "Rate limited"),
        StatusCode::SERVICE_UNAVAILABLE => ApiError::new(
            status,
            10013,
            "Service temporarily unavailable (fault injected by the Cloudflare emulator)",
        ),
        _ => ApiError::new(
            status,
            10001,
            "Internal server error (fault injected by the Cloudflare emulator)",
        ),
    };
    err.retry_after = retry_after.or((status == StatusCode::TOO_MANY_REQUESTS).then_some(1));
    Some(err)
}

pub async fn gate(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    if !path.starts_with(CLOUDFLARE_PREFIX) {
        return next.run(req).await;
    }
    let write = is_write(&method);
    state.count_request(write);
    let latency = state.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let resp = if let Some(fault) = take_fault(&state, &path) {
        fault.into_response()
    } else {
        match authenticate(&state, req.headers(), &method) {
            Err(e) => e.into_response(),
            Ok(access) => {
                req.extensions_mut().insert(access);
                let resp = next.run(req).await;
                if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
                    ApiError::method_not_allowed().into_response()
                } else {
                    resp
                }
            }
        }
    };
    if write && resp.status().is_success() {
        state.count_successful_write();
    }
    tracing::info!(%method, %path, status = resp.status().as_u16(), "cloudflare api");
    resp
}
