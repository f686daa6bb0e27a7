//! DNS records: `GET/POST /zones/{z}/dns_records`, `GET/PUT/PATCH/DELETE
//! /zones/{z}/dns_records/{id}`.
//!
//! Emulated types: A, AAAA, CNAME, TXT, MX, NS (other Cloudflare types answer 400).
//!
//! Faithful (codes and messages seen in public reports/docs): 81053 "An A, AAAA, or CNAME record
//! with that host already exists." (a CNAME next to any other record of the same name, either
//! way round), 81058 "An identical record already exists.", 81044 "Record does not exist.",
//! 9000 "DNS name is invalid.", 9005/9006 invalid A/AAAA content, 9004 "This record type cannot
//! be proxied.", 9003 "Target X is not allowed for a proxied record." (private addresses),
//! 9021 invalid TTL. Validation errors are returned directly, without the `1004` "DNS Validation
//! Error" wrapper Cloudflare dropped in October 2024. Relative names are expanded under the zone
//! (`www` → `www.example.com`, `@` → the apex) and names are lower-cased, as Cloudflare does.
//! Proxied records always get `ttl: 1` (Cloudflare treats proxied TTL as automatic).
//! `per_page` defaults to 100, bounds 1..=5,000,000 (Cloudflare's OpenAPI schema).
//!
//! Approximated: 9207 for malformed/unknown body fields and query parameters, 9007 for invalid
//! CNAME/MX/NS targets, default ordering (creation order). 81054/81057 are not produced: their
//! exact triggers could not be confirmed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use chrono::Utc;
use serde_json::{json, Map, Value};

use crate::envelope::{ok, ok_list, ApiError, ApiResult};
use crate::request::{
    opt_bool, opt_str, opt_str_array, opt_u64, parse_object, req_str, Family, PageLimits,
    QueryParams,
};
use crate::state::{new_id, ts, AppState, Data, DnsRecord, Zone};

const FAMILY: Family = Family::Dns;
const DNS_PAGES: PageLimits = PageLimits {
    default_per_page: 100,
    min: 1,
    max: 5_000_000,
};
const BODY_FIELDS: &[&str] = &[
    "type",
    "name",
    "content",
    "proxied",
    "ttl",
    "comment",
    "tags",
    "priority",
    "settings",
    "data",
    "private_routing",
];
const SUPPORTED_TYPES: &[&str] = &["A", "AAAA", "CNAME", "TXT", "MX", "NS"];
const CLOUDFLARE_TYPES: &[&str] = &[
    "A",
    "AAAA",
    "CAA",
    "CERT",
    "CNAME",
    "DNSKEY",
    "DS",
    "HTTPS",
    "LOC",
    "MX",
    "NAPTR",
    "NS",
    "OPENPGPKEY",
    "PTR",
    "SMIMEA",
    "SRV",
    "SSHFP",
    "SVCB",
    "TLSA",
    "TXT",
    "URI",
];

/// A validated record body.
struct Input {
    rtype: String,
    name: String,
    content: String,
    proxiable: bool,
    proxied: bool,
    ttl: u64,
    comment: Option<String>,
    tags: Vec<String>,
    priority: Option<u64>,
    settings: Map<String, Value>,
}

fn name_invalid() -> ApiError {
    ApiError::bad_request(9000, "DNS name is invalid.")
}

fn valid_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Lower-case, strip a trailing dot, expand relative names under the zone, check syntax.
fn normalize_name(raw: &str, zone: &str) -> Result<String, ApiError> {
    let n = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    if n.is_empty() {
        return Err(name_invalid());
    }
    let fqdn = if n == "@" || n == zone {
        zone.to_string()
    } else if n.ends_with(&format!(".{zone}")) {
        n
    } else {
        format!("{n}.{zone}")
    };
    let ok = fqdn.len() <= 253
        && fqdn
            .split('.')
            .enumerate()
            .all(|(i, l)| (i == 0 && l == "*") || valid_dns_label(l));
    if ok {
        Ok(fqdn)
    } else {
        Err(name_invalid())
    }
}

fn valid_target(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    !h.is_empty() && h.len() <= 253 && h.split('.').all(valid_dns_label)
}

fn public_v4(ip: Ipv4Addr) -> bool {
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast())
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let seg0 = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || (seg0 & 0xfe00) == 0xfc00
        || (seg0 & 0xffc0) == 0xfe80)
}

fn validate(obj: &Map<String, Value>, zone: &Zone) -> Result<Input, ApiError> {
    let rtype = req_str(obj, "type", FAMILY)?;
    if !CLOUDFLARE_TYPES.contains(&rtype.as_str()) {
        return Err(FAMILY.invalid(format!("Invalid DNS record type `{rtype}`")));
    }
    if !SUPPORTED_TYPES.contains(&rtype.as_str()) {
        return Err(FAMILY.invalid(format!(
            "DNS record type {rtype} is not supported by the emulator (supported: {})",
            SUPPORTED_TYPES.join(", ")
        )));
    }
    if obj.get("data").is_some_and(|v| !v.is_null()) {
        return Err(FAMILY.invalid(format!(
            "Field `data` does not apply to {rtype} records (use `content`)"
        )));
    }
    opt_bool(obj, "private_routing", FAMILY)?;
    let name = normalize_name(&req_str(obj, "name", FAMILY)?, &zone.name)?;
    let raw_content = req_str(obj, "content", FAMILY)?;
    let content_trim = raw_content.trim();
    let (content, proxiable) = match rtype.as_str() {
        "A" => {
            let ip: Ipv4Addr = content_trim.parse().map_err(|_| {
                ApiError::bad_request(9005, "Content for A record must be a valid IPv4 address.")
            })?;
            (ip.to_string(), public_v4(ip))
        }
        "AAAA" => {
            let ip: Ipv6Addr = content_trim.parse().map_err(|_| {
                ApiError::bad_request(
                    9006,
                    "Content for AAAA record must be a valid IPv6 address.",
                )
            })?;
            (ip.to_string(), public_v6(ip))
        }
        "CNAME" | "MX" | "NS" => {
            if !valid_target(content_trim) || content_trim.parse::<IpAddr>().is_ok() {
                return Err(ApiError::bad_request(
                    9007,
                    format!("Content for {rtype} record is invalid."),
                ));
            }
            (
                content_trim.trim_end_matches('.').to_string(),
                rtype == "CNAME",
            )
        }
        _ => {
            if raw_content.is_empty() {
                return Err(FAMILY.invalid("Field `content` must not be empty"));
            }
            (raw_content.clone(), false)
        }
    };
    let proxied = opt_bool(obj, "proxied", FAMILY)?.unwrap_or(false);
    if proxied && !proxiable {
        return Err(if rtype == "A" || rtype == "AAAA" {
            ApiError::bad_request(
                9003,
                format!("Target {content} is not allowed for a proxied record."),
            )
        } else {
            ApiError::bad_request(9004, "This record type cannot be proxied.")
        });
    }
    let ttl = opt_u64(obj, "ttl", FAMILY)?.unwrap_or(1);
    if ttl != 1 && !(60..=86400).contains(&ttl) {
        return Err(ApiError::bad_request(
            9021,
            "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for automatic.",
        ));
    }
    let ttl = if proxied { 1 } else { ttl };
    let priority = opt_u64(obj, "priority", FAMILY)?;
    let priority = match (rtype.as_str(), priority) {
        ("MX", None) => return Err(FAMILY.invalid("Field `priority` is required for MX records")),
        ("MX", Some(p)) if p > 65535 => {
            return Err(FAMILY.invalid("Field `priority` must be between 0 and 65535"))
        }
        ("MX", Some(p)) => Some(p),
        (_, None) => None,
        (_, Some(_)) => {
            return Err(FAMILY.invalid(format!(
                "Field `priority` does not apply to {rtype} records"
            )))
        }
    };
    let comment = opt_str(obj, "comment", FAMILY)?.filter(|c| !c.is_empty());
    let tags = opt_str_array(obj, "tags", FAMILY)?.unwrap_or_default();
    if tags.iter().any(|t| t.is_empty()) {
        return Err(FAMILY.invalid("Tags must not be empty strings"));
    }
    let settings = match obj.get("settings") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(s)) => {
            for (k, v) in s {
                if !["ipv4_only", "ipv6_only", "flatten_cname"].contains(&k.as_str()) {
                    return Err(FAMILY.invalid(format!("Unknown field `settings.{k}`")));
                }
                if !v.is_boolean() && !v.is_null() {
                    return Err(FAMILY.invalid(format!("Field `settings.{k}` must be a boolean")));
                }
            }
            s.clone()
        }
        Some(_) => return Err(FAMILY.invalid("Field `settings` must be an object")),
    };
    Ok(Input {
        rtype,
        name,
        content,
        proxiable,
        proxied,
        ttl,
        comment,
        tags,
        priority,
        settings,
    })
}

/// Conflicts with other records of the zone (`exclude` = the record being replaced).
fn check_conflicts(
    data: &Data,
    zone_id: &str,
    input: &Input,
    exclude: Option<&str>,
) -> Result<(), ApiError> {
    let same_name = data
        .dns
        .iter()
        .filter(|r| r.zone_id == zone_id && r.name == input.name && Some(r.id.as_str()) != exclude);
    for r in same_name {
        let identical = r.rtype == input.rtype
            && r.content.eq_ignore_ascii_case(&input.content)
            && r.priority == input.priority;
        if identical {
            return Err(ApiError::bad_request(
                81058,
                "An identical record already exists.",
            ));
        }
        if r.rtype == "CNAME" || input.rtype == "CNAME" {
            return Err(ApiError::bad_request(
                81053,
                "An A, AAAA, or CNAME record with that host already exists.",
            ));
        }
    }
    Ok(())
}

pub fn record_json(r: &DnsRecord) -> Value {
    let mut v = json!({
        "id": r.id,
        "zone_id": r.zone_id,
        "zone_name": r.zone_name,
        "name": r.name,
        "type": r.rtype,
        "content": r.content,
        "proxiable": r.proxiable,
        "proxied": r.proxied,
        "ttl": r.ttl,
        "settings": r.settings,
        "meta": {"auto_added": false, "managed_by_apps": false, "managed_by_argo_tunnel": false},
        "comment": r.comment,
        "tags": r.tags,
        "created_on": ts(r.created_on),
        "modified_on": ts(r.modified_on),
    });
    if let Some(p) = r.priority {
        v["priority"] = json!(p);
    }
    if let Some(t) = r.comment_modified_on {
        v["comment_modified_on"] = json!(ts(t));
    }
    if let Some(t) = r.tags_modified_on {
        v["tags_modified_on"] = json!(ts(t));
    }
    v
}

fn zone_of(data: &Data, zone_id: &str, uri: &Uri) -> Result<Zone, ApiError> {
    data.zone(zone_id)
        .cloned()
        .ok_or_else(|| ApiError::no_route(uri.path()))
}

fn record_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 81044, "Record does not exist.")
}

fn check_write_query(raw: Option<&str>) -> Result<(), ApiError> {
    let q = QueryParams::parse(raw);
    q.check(FAMILY, &["include_shadow_metadata"])?;
    q.bool("include_shadow_metadata", FAMILY)?;
    Ok(())
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Path(zone_id): Path<String>,
    RawQuery(raw): RawQuery,
    uri: Uri,
    body: Bytes,
) -> ApiResult {
    let mut data = state.data();
    let zone = zone_of(&data, &zone_id, &uri)?;
    check_write_query(raw.as_deref())?;
    let obj = parse_object(&body, FAMILY, BODY_FIELDS)?;
    let input = validate(&obj, &zone)?;
    check_conflicts(&data, &zone.id, &input, None)?;
    let now = Utc::now();
    let record = DnsRecord {
        id: new_id(),
        zone_id: zone.id.clone(),
        zone_name: zone.name.clone(),
        comment_modified_on: input.comment.as_ref().map(|_| now),
        tags_modified_on: (!input.tags.is_empty()).then_some(now),
        name: input.name,
        rtype: input.rtype,
        content: input.content,
        proxiable: input.proxiable,
        proxied: input.proxied,
        ttl: input.ttl,
        comment: input.comment,
        tags: input.tags,
        priority: input.priority,
        settings: input.settings,
        created_on: now,
        modified_on: now,
    };
    let body = record_json(&record);
    data.dns.push(record);
    Ok(ok(body))
}

fn text_match(op: &str, hay: &str, needle: &str) -> bool {
    let hay = hay.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    match op {
        "contains" => hay.contains(&needle),
        "startswith" => hay.starts_with(&needle),
        "endswith" => hay.ends_with(&needle),
        _ => hay == needle,
    }
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Path(zone_id): Path<String>,
    RawQuery(raw): RawQuery,
    uri: Uri,
) -> ApiResult {
    let data = state.data();
    let zone = zone_of(&data, &zone_id, &uri)?;
    let q = QueryParams::parse(raw.as_deref());
    q.check(
        FAMILY,
        &[
            "type",
            "name",
            "name.exact",
            "name.contains",
            "name.startswith",
            "name.endswith",
            "content",
            "content.exact",
            "content.contains",
            "content.startswith",
            "content.endswith",
            "proxied",
            "match",
            "order",
            "direction",
            "page",
            "per_page",
            "include_shadow_metadata",
        ],
    )?;
    let paging = q.paging(FAMILY, DNS_PAGES)?;
    let proxied = q.bool("proxied", FAMILY)?;
    q.bool("include_shadow_metadata", FAMILY)?;
    let match_any = match q.get("match") {
        None | Some("all") => false,
        Some("any") => true,
        Some(_) => return Err(FAMILY.invalid("match must be any or all")),
    };
    if let Some(t) = q.get("type") {
        if !CLOUDFLARE_TYPES.contains(&t) {
            return Err(FAMILY.invalid(format!("Invalid DNS record type `{t}`")));
        }
    }
    let order = q.get("order");
    if let Some(o) = order {
        if !["type", "name", "content", "ttl", "proxied"].contains(&o) {
            return Err(FAMILY.invalid("order must be one of type, name, content, ttl, proxied"));
        }
    }
    let desc = match q.get("direction") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(FAMILY.invalid("direction must be asc or desc")),
    };

    // Each filter is a predicate; `match=any` ORs them, otherwise they are ANDed.
    type Pred<'a> = Box<dyn Fn(&DnsRecord) -> bool + 'a>;
    let mut preds: Vec<Pred> = Vec::new();
    if let Some(t) = q.get("type") {
        preds.push(Box::new(move |r| r.rtype == t));
    }
    for (key, op) in [
        ("name", "exact"),
        ("name.exact", "exact"),
        ("name.contains", "contains"),
        ("name.startswith", "startswith"),
        ("name.endswith", "endswith"),
    ] {
        if let Some(v) = q.get(key) {
            let v = if op == "exact" {
                v.trim_end_matches('.')
            } else {
                v
            };
            preds.push(Box::new(move |r| text_match(op, &r.name, v)));
        }
    }
    for (key, op) in [
        ("content", "exact"),
        ("content.exact", "exact"),
        ("content.contains", "contains"),
        ("content.startswith", "startswith"),
        ("content.endswith", "endswith"),
    ] {
        if let Some(v) = q.get(key) {
            preds.push(Box::new(move |r| text_match(op, &r.content, v)));
        }
    }
    if let Some(p) = proxied {
        preds.push(Box::new(move |r| r.proxied == p));
    }
    let mut records: Vec<&DnsRecord> = data
        .dns
        .iter()
        .filter(|r| r.zone_id == zone.id)
        .filter(|r| {
            if preds.is_empty() {
                true
            } else if match_any {
                preds.iter().any(|p| p(r))
            } else {
                preds.iter().all(|p| p(r))
            }
        })
        .collect();
    match order {
        Some("type") => records.sort_by(|a, b| a.rtype.cmp(&b.rtype)),
        Some("name") => records.sort_by(|a, b| a.name.cmp(&b.name)),
        Some("content") => records.sort_by(|a, b| a.content.cmp(&b.content)),
        Some("ttl") => records.sort_by_key(|r| r.ttl),
        Some("proxied") => records.sort_by_key(|r| r.proxied),
        _ => {}
    }
    if desc {
        records.reverse();
    }
    let all: Vec<Value> = records.into_iter().map(record_json).collect();
    let (items, info) = paging.apply(all);
    Ok(ok_list(items, info))
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path((zone_id, record_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    uri: Uri,
) -> ApiResult {
    let data = state.data();
    let zone = zone_of(&data, &zone_id, &uri)?;
    check_write_query(raw.as_deref())?;
    let record = data
        .dns
        .iter()
        .find(|r| r.zone_id == zone.id && r.id == record_id)
        .ok_or_else(record_not_found)?;
    Ok(ok(record_json(record)))
}

/// The stored record as a request body, for PATCH merging.
fn as_body(r: &DnsRecord) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), json!(r.rtype));
    m.insert("name".into(), json!(r.name));
    m.insert("content".into(), json!(r.content));
    m.insert("proxied".into(), json!(r.proxied));
    m.insert("ttl".into(), json!(r.ttl));
    m.insert("comment".into(), json!(r.comment));
    m.insert("tags".into(), json!(r.tags));
    m.insert("settings".into(), Value::Object(r.settings.clone()));
    if let Some(p) = r.priority {
        m.insert("priority".into(), json!(p));
    }
    m
}

fn replace(
    state: Arc<AppState>,
    zone_id: String,
    record_id: String,
    raw: Option<String>,
    uri: Uri,
    body: Bytes,
    partial: bool,
) -> ApiResult {
    let mut data = state.data();
    let zone = zone_of(&data, &zone_id, &uri)?;
    check_write_query(raw.as_deref())?;
    let idx = data
        .dns
        .iter()
        .position(|r| r.zone_id == zone.id && r.id == record_id)
        .ok_or_else(record_not_found)?;
    let obj = parse_object(&body, FAMILY, BODY_FIELDS)?;
    let merged = if partial {
        let mut m = as_body(&data.dns[idx]);
        for (k, v) in obj.iter() {
            m.insert(k.clone(), v.clone());
        }
        m
    } else {
        obj.clone()
    };
    let input = validate(&merged, &zone)?;
    check_conflicts(&data, &zone.id, &input, Some(&record_id))?;
    let now = Utc::now();
    let rec = &mut data.dns[idx];
    if input.comment != rec.comment {
        rec.comment_modified_on = input.comment.as_ref().map(|_| now);
    }
    if input.tags != rec.tags {
        rec.tags_modified_on = Some(now);
    }
    rec.name = input.name;
    rec.rtype = input.rtype;
    rec.content = input.content;
    rec.proxiable = input.proxiable;
    rec.proxied = input.proxied;
    rec.ttl = input.ttl;
    rec.comment = input.comment;
    rec.tags = input.tags;
    rec.priority = input.priority;
    rec.settings = input.settings;
    rec.modified_on = now;
    Ok(ok(record_json(rec)))
}

pub async fn put(
    State(state): State<Arc<AppState>>,
    Path((zone_id, record_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    uri: Uri,
    body: Bytes,
) -> ApiResult {
    replace(state, zone_id, record_id, raw, uri, body, false)
}

pub async fn patch(
    State(state): State<Arc<AppState>>,
    Path((zone_id, record_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    uri: Uri,
    body: Bytes,
) -> ApiResult {
    replace(state, zone_id, record_id, raw, uri, body, true)
}

pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path((zone_id, record_id)): Path<(String, String)>,
    uri: Uri,
) -> ApiResult {
    let mut data = state.data();
    let zone = zone_of(&data, &zone_id, &uri)?;
    let idx = data
        .dns
        .iter()
        .position(|r| r.zone_id == zone.id && r.id == record_id)
        .ok_or_else(record_not_found)?;
    data.dns.remove(idx);
    Ok(ok(json!({"id": record_id})))
}
