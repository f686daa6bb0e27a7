//! Zone settings: `GET`/`PATCH /zones/{z}/settings/ssl`.
//!
//! Faithful: the answer `{id:"ssl", value, editable:true, modified_on}`, the values
//! off|flexible|full|strict, and a fresh zone's default "flexible" (overridable at start).
//! Approximated: code 1007 for an invalid value ("Invalid value for zone setting ssl"), and
//! 1006 for a setting the emulator does not have (Cloudflare has many; only `ssl` is emulated).

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

fn ssl_json(z: &Zone) -> Value {
    json!({
        "id": "ssl",
        "value": z.ssl_value,
        "editable": true,
        "modified_on": ts(z.ssl_modified_on),
    })
}

fn only_ssl(setting: &str) -> Result<(), ApiError> {
    if setting == "ssl" {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            1006,
            format!("Unrecognized zone setting name `{setting}` (the emulator only has `ssl`)"),
        ))
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
    only_ssl(&setting)?;
    Ok(ok(ssl_json(zone)))
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
    only_ssl(&setting)?;
    let obj = parse_object(&body, Family::Settings, &["value"])?;
    let value =
        match obj.get("value") {
            Some(Value::String(v)) if SSL_MODES.contains(&v.as_str()) => v.clone(),
            None | Some(Value::Null) => {
                return Err(Family::Settings.invalid("Field `value` is required"))
            }
            Some(_) => return Err(Family::Settings.invalid(
                "Invalid value for zone setting ssl (expected one of off, flexible, full, strict)",
            )),
        };
    zone.ssl_value = value;
    zone.ssl_modified_on = Utc::now();
    Ok(ok(ssl_json(zone)))
}
