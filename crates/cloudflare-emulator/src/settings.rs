//! Zone settings: `GET`/`PATCH /zones/{z}/settings/ssl` and `/zones/{z}/settings/tls_client_auth`.
//!
//! Faithful: the answer `{id, value, editable:true, modified_on}`; `ssl` takes
//! off|flexible|full|strict, with a fresh zone's default "flexible" (overridable at start);
//! `tls_client_auth` takes on|off (the official SDK's `zones.TLSClientAuth`), "off" for a fresh
//! zone. `tls_client_auth` "on" is what lets the edge present per-hostname origin-pull
//! certificates ([`crate::origin_pulls`]; Cloudflare's per-hostname AOP set-up, step "enable
//! Authenticated Origin Pulls globally").
//! Approximated: code 1007 for an invalid value ("Invalid value for zone setting ..."), and
//! 1006 for a setting the emulator does not have (Cloudflare has many; only these two are
//! emulated). Cloudflare documents `tls_client_auth` as Enterprise-only in the SDK's docstring
//! but per-hostname AOP on every plan; the emulator lets every zone edit it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use chrono::Utc;
use serde_json::{json, Value};

use crate::envelope::{ok, ApiError, ApiResult};
use crate::request::{parse_object, Family};
use crate::state::{ts, AppState, Zone};

pub const SSL_MODES: [&str; 4] = ["off", "flexible", "full", "strict"];
pub const TLS_CLIENT_AUTH_VALUES: [&str; 2] = ["on", "off"];

/// The zone settings the emulator has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Ssl,
    TlsClientAuth,
}

impl Setting {
    fn parse(name: &str) -> Result<Self, ApiError> {
        match name {
            "ssl" => Ok(Setting::Ssl),
            "tls_client_auth" => Ok(Setting::TlsClientAuth),
            _ => Err(ApiError::bad_request(
                1006,
                format!(
                    "Unrecognized zone setting name `{name}` (the emulator only has `ssl` and `tls_client_auth`)"
                ),
            )),
        }
    }

    fn allowed(self) -> &'static [&'static str] {
        match self {
            Setting::Ssl => &SSL_MODES,
            Setting::TlsClientAuth => &TLS_CLIENT_AUTH_VALUES,
        }
    }

    fn json(self, z: &Zone) -> Value {
        let (id, value, modified_on) = match self {
            Setting::Ssl => ("ssl", &z.ssl_value, z.ssl_modified_on),
            Setting::TlsClientAuth => (
                "tls_client_auth",
                &z.tls_client_auth,
                z.tls_client_auth_modified_on,
            ),
        };
        json!({
            "id": id,
            "value": value,
            "editable": true,
            "modified_on": ts(modified_on),
        })
    }
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path((zone_id, setting)): Path<(String, String)>,
    uri: Uri,
) -> ApiResult {
    let data = state.data();
    let zone = data
        .zone(&zone_id)
        .ok_or_else(|| ApiError::no_route(uri.path()))?;
    let setting = Setting::parse(&setting)?;
    Ok(ok(setting.json(zone)))
}

pub async fn patch(
    State(state): State<Arc<AppState>>,
    Path((zone_id, setting)): Path<(String, String)>,
    uri: Uri,
    body: Bytes,
) -> ApiResult {
    let mut data = state.data();
    let zone = data
        .zone_mut(&zone_id)
        .ok_or_else(|| ApiError::no_route(uri.path()))?;
    let setting = Setting::parse(&setting)?;
    let obj = parse_object(&body, Family::Settings, &["value"])?;
    let allowed = setting.allowed();
    let value = match obj.get("value") {
        Some(Value::String(v)) if allowed.contains(&v.as_str()) => v.clone(),
        None | Some(Value::Null) => {
            return Err(Family::Settings.invalid("Field `value` is required"))
        }
        Some(_) => {
            let name = setting.json(zone)["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            return Err(Family::Settings.invalid(format!(
                "Invalid value for zone setting {name} (expected one of {})",
                allowed.join(", ")
            )));
        }
    };
    let now = Utc::now();
    match setting {
        Setting::Ssl => {
            zone.ssl_value = value;
            zone.ssl_modified_on = now;
        }
        Setting::TlsClientAuth => {
            zone.tls_client_auth = value;
            zone.tls_client_auth_modified_on = now;
        }
    }
    Ok(ok(setting.json(zone)))
}
