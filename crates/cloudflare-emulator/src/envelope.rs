//! Cloudflare's API v4 response envelope and error values.
//!
//! Every answer under `/client/v4/` has the shape
//! `{"success":bool,"errors":[{"code":int,"message":str}],"messages":[],"result":...,"result_info"?}`.
//! Errors may carry an `error_chain` (Cloudflare uses it for e.g. 6003 → 6111).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};

/// One entry of `errors` (or of an `error_chain`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErrorItem {
    pub code: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_chain: Option<Vec<ErrorItem>>,
    /// `{"pointer": "/rules/0/action"}`: where in the request body the problem is (Cloudflare's
    /// `source`, typed as `ErrorData.source.pointer` in the official SDKs; the Rulesets API
    /// uses it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Value>,
}

impl ErrorItem {
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            error_chain: None,
            source: None,
        }
    }

    /// The same error, pointing at a place in the request body (a JSON pointer).
    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.source = Some(serde_json::json!({"pointer": pointer.into()}));
        self
    }
}

/// A failed answer: HTTP status plus Cloudflare error list.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub errors: Vec<ErrorItem>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            errors: vec![ErrorItem::new(code, message)],
            retry_after: None,
        }
    }

    pub fn bad_request(code: u32, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// Several errors in one answer (Cloudflare lists every problem of a body at once).
    pub fn many(status: StatusCode, errors: Vec<ErrorItem>) -> Self {
        Self {
            status,
            errors,
            retry_after: None,
        }
    }

    pub fn with_chain(mut self, chain: Vec<ErrorItem>) -> Self {
        if let Some(first) = self.errors.first_mut() {
            first.error_chain = Some(chain);
        }
        self
    }

    /// Cloudflare's answer for a path it cannot route (unknown route or unknown object id):
    /// 7003 "Could not route to ..., perhaps your object identifier is invalid?" followed by
    /// 7000 "No route for that URI" (both seen verbatim in public bug reports). The HTTP
    /// status is an approximation: 404.
    pub fn no_route(path: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            errors: vec![
                ErrorItem::new(
                    7003,
                    format!(
                        "Could not route to {path}, perhaps your object identifier is invalid?"
                    ),
                ),
                ErrorItem::new(7000, "No route for that URI"),
            ],
            retry_after: None,
        }
    }

    /// 7001 for a method the route does not serve (message as Cloudflare words it for tokens).
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            7001,
            "Method not allowed for api_token authentication scheme",
        )
    }

    /// 10000 "Authentication error", HTTP 403: unknown token, or a token lacking permission.
    pub fn authentication_error() -> Self {
        Self::new(StatusCode::FORBIDDEN, 10000, "Authentication error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "success": false,
            "errors": self.errors,
            "messages": [],
            "result": Value::Null,
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        resp
    }
}

/// `result_info` of a paginated list.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ResultInfo {
    pub page: u64,
    pub per_page: u64,
    pub count: u64,
    pub total_count: u64,
    pub total_pages: u64,
}

/// A successful single-object answer.
pub fn ok(result: Value) -> Response {
    ok_status(StatusCode::OK, result)
}

pub fn ok_status(status: StatusCode, result: Value) -> Response {
    (
        status,
        axum::Json(json!({
            "success": true,
            "errors": [],
            "messages": [],
            "result": result,
        })),
    )
        .into_response()
}

/// A successful list answer with `result_info`.
pub fn ok_list(result: Vec<Value>, info: ResultInfo) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({
            "success": true,
            "errors": [],
            "messages": [],
            "result": result,
            "result_info": info,
        })),
    )
        .into_response()
}

pub type ApiResult = Result<Response, ApiError>;
