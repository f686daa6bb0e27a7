//! `Authorization: Bearer <token>` checking, mirroring Cloudflare's answers:
//! - no credentials at all → 400, 9106 "Missing X-Auth-Key, X-Auth-Email or Authorization
//!   headers" (Cloudflare's long-standing answer; seen in public reports);
//! - an `Authorization` header not of the form `Bearer <token>` → 400, 6003 "Invalid request
//!   headers" with 6111 "Invalid format for Authorization header" in its `error_chain`
//!   (verbatim from public bug reports);
//! - a well-formed but unknown token → 403, 10000 "Authentication error";
//! - a read-only token on a write method → 403, 10000 "Authentication error" (Cloudflare's answer
//!   for a token lacking the permission);
//! - legacy `X-Auth-Key`/`X-Auth-Email`/`X-Auth-User-Service-Key` credentials are not emulated
//!   and answer 403, 10000.

use axum::http::{HeaderMap, Method, StatusCode};

use crate::envelope::{ApiError, ErrorItem};
use crate::state::AppState;

/// What the presented token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
}

pub fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

fn valid_token_chars(token: &str) -> bool {
    !token.is_empty()
        && token.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
        })
}

pub fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
) -> Result<Access, ApiError> {
    let Some(raw) = headers.get(axum::http::header::AUTHORIZATION) else {
        let legacy = ["x-auth-key", "x-auth-email", "x-auth-user-service-key"]
            .iter()
            .any(|h| headers.contains_key(*h));
        if legacy {
            return Err(ApiError::authentication_error());
        }
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            9106,
            "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
        ));
    };
    let malformed = || {
        ApiError::bad_request(6003, "Invalid request headers").with_chain(vec![ErrorItem::new(
            6111,
            "Invalid format for Authorization header",
        )])
    };
    let raw = raw.to_str().map_err(|_| malformed())?;
    let token = raw.strip_prefix("Bearer ").ok_or_else(malformed)?;
    if !valid_token_chars(token) {
        return Err(malformed());
    }
    let access = if state.tokens.contains(token) {
        Access::ReadWrite
    } else if state.read_only_tokens.contains(token) {
        Access::ReadOnly
    } else {
        return Err(ApiError::authentication_error());
    };
    if access == Access::ReadOnly && is_write(method) {
        return Err(ApiError::authentication_error());
    }
    Ok(access)
}
