//! Shared helpers for the emulator's integration tests.
#![allow(dead_code)]

use flarelink_cloudflare_emulator::{start, EmulatorOptions, RunningEmulator};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const RW: &str = "rw-token-123";
pub const RO: &str = "ro-token-456";

pub async fn emulator() -> RunningEmulator {
    start(EmulatorOptions {
        zones: vec!["example.com".into(), "example.net".into()],
        tokens: vec![RW.into()],
        read_only_tokens: vec![RO.into()],
        ..EmulatorOptions::default()
    })
    .await
    .expect("emulator starts")
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The first error code, if any.
    pub fn code(&self) -> Option<u64> {
        self.body["errors"][0]["code"].as_u64()
    }

    pub fn result(&self) -> &Value {
        &self.body["result"]
    }

    #[track_caller]
    pub fn expect_ok(&self) -> &Value {
        assert!(
            self.status.is_success() && self.body["success"] == Value::Bool(true),
            "expected success, got {} {}",
            self.status,
            self.body
        );
        &self.body["result"]
    }

    #[track_caller]
    pub fn expect_error(&self, status: u16, code: u64) {
        assert_eq!(self.status.as_u16(), status, "status; body: {}", self.body);
        assert_eq!(
            self.body["success"],
            Value::Bool(false),
            "body: {}",
            self.body
        );
        assert_eq!(self.code(), Some(code), "code; body: {}", self.body);
        assert!(
            self.body["result"].is_null(),
            "result must be null: {}",
            self.body
        );
        assert_eq!(self.body["messages"], serde_json::json!([]));
    }
}

/// Call `base_url + path` with the given token (None: no Authorization header) and raw body.
pub async fn call_raw(
    emu: &RunningEmulator,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Answer {
    let client = reqwest::Client::new();
    let mut req = client.request(method, format!("{}{}", emu.base_url(), path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.expect("request reaches the emulator");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("answer is not JSON ({e}): {text}"));
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn call(
    emu: &RunningEmulator,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    call_raw(emu, method, path, Some(RW), body.map(|b| b.to_string())).await
}

pub async fn admin(
    emu: &RunningEmulator,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let client = reqwest::Client::new();
    let mut req = client.request(method, format!("{}/__emulator/{}", emu.root_url(), path));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("admin request");
    assert!(
        resp.status().is_success(),
        "admin {path}: {}",
        resp.status()
    );
    resp.json().await.expect("admin JSON")
}
