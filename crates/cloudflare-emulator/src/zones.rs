//! `GET /zones` (filters, pagination) and `GET /zones/{zone_id}`.
//!
//! Zones are seeded at start; every token sees every zone. The zone object carries the fields
//! Cloudflare returns (and that the official SDKs and the `cloudflare` crate 0.14 require), with
//! plausible values for a Free-plan, active, full zone.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use serde_json::{json, Value};

use crate::envelope::{ok, ok_list, ApiError, ApiResult};
use crate::request::{Family, PageLimits, QueryParams};
use crate::state::{ts, AppState, Zone};

/// Cloudflare's zone list: default 20 per page, 5..=50 (from its OpenAPI schema, as remembered;
/// approximation).
const ZONE_PAGES: PageLimits = PageLimits {
    default_per_page: 20,
    min: 5,
    max: 50,
};

pub fn zone_json(z: &Zone, account_id: &str) -> Value {
    json!({
        "id": z.id,
        "name": z.name,
        "status": "active",
        "paused": false,
        "type": "full",
        "development_mode": 0,
        "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
        "original_name_servers": null,
        "original_registrar": null,
        "original_dnshost": null,
        "vanity_name_servers": [],
        "created_on": ts(z.created_on),
        "modified_on": ts(z.created_on),
        "activated_on": ts(z.created_on),
        "meta": {
            "step": 2,
            "custom_certificate_quota": 0,
            "page_rule_quota": 3,
            "phishing_detected": false,
            "cdn_only": false,
            "dns_only": false,
            "foundation_dns": false
        },
        "owner": {"id": null, "type": "user", "email": null},
        "account": {"id": account_id, "name": "Cloudflare emulator account"},
        "tenant": {"id": null, "name": null},
        "tenant_unit": {"id": null},
        "permissions": ["#dns_records:edit", "#dns_records:read", "#ssl:edit", "#ssl:read", "#zone:read", "#zone_settings:edit", "#zone_settings:read"],
        "plan": {
            "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            "name": "Free Website",
            "price": 0,
            "currency": "USD",
            "frequency": null,
            "is_subscribed": true,
            "can_subscribe": false,
            "legacy_id": "free",
            "legacy_discount": false,
            "externally_managed": false
        }
    })
}

/// Cloudflare's name filter syntax: `name=example.com` or `name=<op>:<value>` with op one of
/// equal, not_equal, starts_with, ends_with, contains (case-insensitive variants mapped alike).
fn name_matches(filter: &str, name: &str) -> bool {
    let filter = filter.to_ascii_lowercase();
    let (op, value) = match filter.split_once(':') {
        Some((op, v)) => (
            op.trim_end_matches("_case_sensitive").to_string(),
            v.to_string(),
        ),
        None => ("equal".to_string(), filter.clone()),
    };
    let value = value.trim_end_matches('.');
    match op.as_str() {
        "not_equal" => name != value,
        "starts_with" => name.starts_with(value),
        "ends_with" => name.ends_with(value),
        "contains" => name.contains(value),
        _ => name == value,
    }
}

pub async fn list(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let family = Family::Zones;
    let q = QueryParams::parse(raw.as_deref());
    q.check(
        family,
        &[
            "name",
            "status",
            "page",
            "per_page",
            "order",
            "direction",
            "match",
            "account.id",
            "account.name",
            "type",
        ],
    )?;
    let paging = q.paging(family, ZONE_PAGES)?;
    if let Some(d) = q.get("direction") {
        if d != "asc" && d != "desc" {
            return Err(family.invalid("direction must be asc or desc"));
        }
    }
    if let Some(m) = q.get("match") {
        if m != "any" && m != "all" {
            return Err(family.invalid("match must be any or all"));
        }
    }
    if let Some(o) = q.get("order") {
        if !["name", "status", "account.id", "account.name", "plan.id"].contains(&o) {
            return Err(family.invalid(format!("order `{o}` is not supported")));
        }
    }
    let data = state.data();
    let mut zones: Vec<&Zone> = data
        .zones
        .iter()
        .filter(|z| q.get("name").is_none_or(|f| name_matches(f, &z.name)))
        .filter(|_| q.get("status").is_none_or(|s| s == "active"))
        .filter(|_| q.get("account.id").is_none_or(|a| a == state.account_id))
        .filter(|_| {
            q.get("type")
                .is_none_or(|t| t.split(',').any(|t| t == "full"))
        })
        .collect();
    if q.get("order") == Some("name") {
        zones.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if q.get("direction") == Some("desc") {
        zones.reverse();
    }
    let all: Vec<Value> = zones
        .iter()
        .map(|z| zone_json(z, &state.account_id))
        .collect();
    let (items, info) = paging.apply(all);
    Ok(ok_list(items, info))
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(zone_id): Path<String>,
    uri: Uri,
) -> ApiResult {
    let data = state.data();
    let zone = data
        .zone(&zone_id)
        .ok_or_else(|| ApiError::no_route(uri.path()))?;
    Ok(ok(zone_json(zone, &state.account_id)))
}
