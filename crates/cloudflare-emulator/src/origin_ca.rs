//! Origin CA: `POST/GET /certificates`, `GET/DELETE /certificates/{id}`.
//!
//! Faithful: the request/response fields, decimal-serial ids, the `expires_on` format
//! (`"2041-04-15 07:46:00 +0000 UTC"`), `requested_validity` values (default 5475), the wildcard
//! rule (only a single leading `*.` over a multi-label name), `zone_id` required on list, and code
//! 1010 "Failed to validate requested hostname X: This zone is either not part of your account, or
//! you do not have access to it. Please contact support if using a multi-user organization."
//! (quoted in public write-ups and Cloudflare's troubleshooting docs).
//!
//! Seen in public bug reports: revoking twice answers 1014 "Certificate already revoked", and an
//! unknown id 1101 "Failed to read certificate from database" (the HTTP status, 404 here, is a
//! guess).
//!
//! Approximated (Cloudflare does not document them): the codes for a malformed CSR (1002), a CSR
//! whose key does not match `request_type` (1002), a syntactically invalid hostname (1004); and
//! `revoked_at` being kept on a revoked certificate's `GET`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::ca::{CsrError, KeyKind};
use crate::envelope::{ok, ok_list, ApiError, ApiResult};
use crate::request::{opt_u64, parse_object, req_str, Family, PageLimits, QueryParams};
use crate::state::{is_cloudflare_id, ts, AppState, OriginCert};

const FAMILY: Family = Family::OriginCa;
pub const VALIDITIES: [u32; 7] = [7, 30, 90, 365, 730, 1095, 5475];
const CERT_PAGES: PageLimits = PageLimits {
    default_per_page: 20,
    min: 1,
    max: 1000,
};

/// `2041-04-15 07:46:00 +0000 UTC` (Go's time.Time String() layout, as Cloudflare returns it).
pub fn cloudflare_expiry(dt: DateTime<Utc>) -> String {
    dt.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string()
}

pub fn cert_json(c: &OriginCert) -> Value {
    let mut v = json!({
        "id": c.id,
        "certificate": c.certificate,
        "csr": c.csr,
        "hostnames": c.hostnames,
        "expires_on": cloudflare_expiry(c.expires_on),
        "request_type": c.request_type,
        "requested_validity": c.requested_validity,
    });
    if let Some(r) = c.revoked_at {
        v["revoked_at"] = json!(ts(r));
    }
    v
}

fn not_in_account(host: &str) -> ApiError {
    ApiError::bad_request(
        1010,
        format!(
            "Failed to validate requested hostname {host}: This zone is either not part of your account, or you do not have access to it. Please contact support if using a multi-user organization."
        ),
    )
}

fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// Normalize and check one requested hostname; returns the lower-cased name.
fn check_hostname(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let host = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let invalid = || ApiError::bad_request(1004, format!("Invalid hostname: {raw}"));
    let base = host.strip_prefix("*.").unwrap_or(&host);
    if host.len() > 253 || base.split('.').count() < 2 || !base.split('.').all(valid_label) {
        // Covers `*.*.x`, `foo.*.x`, `*.com`, empty labels and stray characters.
        return Err(invalid());
    }
    if state.data().zone_for_host(base).is_none() {
        return Err(not_in_account(raw));
    }
    Ok(host)
}

pub async fn create(State(state): State<Arc<AppState>>, body: Bytes) -> ApiResult {
    let obj = parse_object(
        &body,
        FAMILY,
        &["csr", "hostnames", "request_type", "requested_validity"],
    )?;
    let csr = req_str(&obj, "csr", FAMILY)?;
    let request_type = req_str(&obj, "request_type", FAMILY)?;
    let kind = match request_type.as_str() {
        "origin-rsa" => KeyKind::Rsa,
        "origin-ecc" => KeyKind::EcP256,
        "keyless-certificate" => {
            return Err(FAMILY.invalid(
                "request_type keyless-certificate is not supported by the emulator",
            ))
        }
        other => {
            return Err(FAMILY.invalid(format!(
                "request_type must be one of origin-rsa, origin-ecc, keyless-certificate; got `{other}`"
            )))
        }
    };
    let validity = opt_u64(&obj, "requested_validity", FAMILY)?.unwrap_or(5475);
    let validity = u32::try_from(validity)
        .ok()
        .filter(|v| VALIDITIES.contains(v))
        .ok_or_else(|| {
            FAMILY.invalid(format!(
                "requested_validity must be one of 7, 30, 90, 365, 730, 1095, 5475; got {validity}"
            ))
        })?;
    let hostnames = match obj.get("hostnames") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| match v {
                Value::String(s) => check_hostname(&state, s),
                _ => Err(FAMILY.invalid("Field `hostnames` must be an array of strings")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        None | Some(Value::Null) => return Err(FAMILY.invalid("Field `hostnames` is required")),
        Some(Value::Array(_)) => {
            return Err(FAMILY.invalid("Field `hostnames` must list at least one hostname"))
        }
        Some(_) => return Err(FAMILY.invalid("Field `hostnames` must be an array of strings")),
    };

    let issued = state
        .ca
        .issue(&csr, kind, &hostnames, validity)
        .map_err(|e| match e {
            CsrError::Signing(_) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 1100, e.to_string())
            }
            _ => ApiError::bad_request(1002, e.to_string()),
        })?;
    let cert = OriginCert {
        id: issued.serial_decimal,
        certificate: issued.pem,
        csr,
        hostnames,
        request_type,
        requested_validity: validity,
        expires_on: issued.not_after,
        revoked_at: None,
    };
    let body = cert_json(&cert);
    state.data().certs.push(cert);
    Ok(ok(body))
}

pub async fn list(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let q = QueryParams::parse(raw.as_deref());
    q.check(FAMILY, &["zone_id", "page", "per_page", "limit", "offset"])?;
    let paging = q.paging(FAMILY, CERT_PAGES)?;
    let zone_id = q
        .get("zone_id")
        .filter(|z| !z.is_empty())
        .ok_or_else(|| FAMILY.invalid("zone_id is required"))?;
    let limit = q.positive_int("limit", FAMILY)?;
    let offset = match q.get("offset") {
        None => 0,
        Some(o) => o
            .parse::<usize>()
            .map_err(|_| FAMILY.invalid("offset must be a non-negative integer"))?,
    };
    let data = state.data();
    let zone = if is_cloudflare_id(zone_id) {
        data.zone(zone_id)
    } else {
        None
    };
    let Some(zone) = zone else {
        return Err(FAMILY.invalid(format!("zone_id `{zone_id}` is not a zone of this account")));
    };
    let all: Vec<Value> = data
        .certs
        .iter()
        .filter(|c| c.revoked_at.is_none())
        .filter(|c| {
            c.hostnames.iter().any(|h| {
                let base = h.strip_prefix("*.").unwrap_or(h);
                data.zone_for_host(base).is_some_and(|z| z.id == zone.id)
            })
        })
        .skip(offset)
        .take(limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)))
        .map(cert_json)
        .collect();
    let (items, info) = paging.apply(all);
    Ok(ok_list(items, info))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        1101,
        format!("Failed to read certificate from database: {id}"),
    )
}

pub async fn get(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    let data = state.data();
    let cert = data
        .certs
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| not_found(&id))?;
    Ok(ok(cert_json(cert)))
}

pub async fn revoke(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    let mut data = state.data();
    let cert = data
        .certs
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| not_found(&id))?;
    if cert.revoked_at.is_some() {
        return Err(ApiError::bad_request(1014, "Certificate already revoked"));
    }
    let now = Utc::now();
    cert.revoked_at = Some(now);
    Ok(ok(json!({"id": id, "revoked_at": ts(now)})))
}
