//! Per-hostname Authenticated Origin Pulls: the client certificates the edge presents to an
//! origin for one hostname, and the hostname associations that say which certificate, under
//! `/zones/{z}/origin_tls_client_auth/hostnames…`:
//! - `POST …/hostnames/certificates` `{certificate, private_key}` (PEM) uploads one;
//! - `GET …/hostnames/certificates`, `GET`/`DELETE …/hostnames/certificates/{id}`;
//! - `PUT …/hostnames` `{"config":[{hostname, cert_id, enabled}]}` associates (`enabled`
//!   true/false) or removes (`enabled: null`) hostname associations;
//! - `GET …/hostnames/{hostname}`: the association with its certificate's fields.
//!
//! Only the per-hostname kind exists here: the emulator has no zone-wide shared Cloudflare
//! certificate (`/zones/{z}/origin_tls_client_auth` is not routed), because any Cloudflare
//! customer can present that one.
//!
//! Faithful (sources: the official Python SDK's `types/origin_tls_client_auth/*` models, the
//! API reference, Cloudflare's per-hostname AOP set-up, rollback and replace pages):
//! - the upload answer `{id, certificate, issuer, signature, serial_number, expires_on,
//!   uploaded_on, status}`, never the private key; a CA certificate instead of a leaf gives
//!   "missing leaf certificate"; the key must match the certificate;
//! - statuses from the SDK's enum: a certificate is `pending_deployment` after upload and
//!   `active` once deployed; DELETE answers `pending_deletion`, later reads say `deleted`;
//!   associations go `pending_deployment` → `active` the same way after every change;
//! - 10 hostname certificates per zone, 100 associations per certificate (the API docs);
//! - `enabled: null` voids the association; `enabled: false` keeps it but stops presenting;
//! - certificates are not removed when they expire (the edge keeps presenting an expired one;
//!   the origin drops such requests, as Cloudflare's docs warn);
//! - the edge presents a certificate only when the zone's `tls_client_auth` setting is on
//!   ([`crate::settings`]), the association is enabled and active, and the certificate active
//!   ([`client_identity_for`]).
//!
//! Approximated or stricter than Cloudflare (its codes and words for these refusals are not
//! documented): codes 1001 (body shape), 1002 (certificate: not PEM, unparsable, not a leaf,
//! expired), 1003 (private key: unparsable, encrypted, not matching), 1004 (invalid hostname),
//! 1010 (hostname not in the zone), 1005 (quota), 1008 (certificate in use), 404 with 1101
//! (unknown certificate) and 1102 (no association); an expired certificate is refused at upload;
//! deployment takes a configurable delay ([`crate::EmulatorOptions::aop_deploy`], default
//! 1.5 s; minutes at Cloudflare), the `initializing`, `deployment_timed_out` and
//! `deletion_timed_out` statuses never occur; DELETE is refused while an *enabled* association
//! uses the certificate (Cloudflare's rollback page disables the association first), and
//! removes the disabled associations that still name it; wildcard hostnames are refused;
//! every association entry must say `enabled` (true, false or null) explicitly.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use chrono::{DateTime, TimeZone, Utc};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use serde_json::{json, Map, Value};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::envelope::{ok, ApiError, ApiResult, ErrorItem};
use crate::request::{parse_object, req_str, Family, QueryParams};
use crate::state::{new_id, ts, AppState, ClientIdentity, Data, HostnameAssociation, HostnameCert};

const FAMILY: Family = Family::OriginPulls;
/// "10 hostname certificates per zone are allowed" (API docs).
pub const MAX_CERTS_PER_ZONE: usize = 10;
/// "100 maximum associations on a single certificate are allowed" (API docs).
pub const MAX_ASSOCIATIONS_PER_CERT: usize = 100;

const BAD_CERTIFICATE: u32 = 1002;
const BAD_KEY: u32 = 1003;
const BAD_HOSTNAME: u32 = 1004;
const QUOTA: u32 = 1005;
const IN_USE: u32 = 1008;
const NOT_IN_ZONE: u32 = 1010;
const UNKNOWN_CERT: u32 = 1101;
const NO_ASSOCIATION: u32 = 1102;

/// A certificate's status at `now`.
pub fn cert_status(c: &HostnameCert, now: DateTime<Utc>) -> &'static str {
    match c.deleted_at {
        Some(t) if now < t => "pending_deletion",
        Some(_) => "deleted",
        None if now < c.active_at => "pending_deployment",
        None => "active",
    }
}

fn association_status(a: &HostnameAssociation, now: DateTime<Utc>) -> &'static str {
    if now < a.active_at {
        "pending_deployment"
    } else {
        "active"
    }
}

/// The public parts of a certificate (never its key).
pub fn cert_json(c: &HostnameCert, now: DateTime<Utc>) -> Value {
    json!({
        "id": c.id,
        "certificate": c.certificate,
        "issuer": c.issuer,
        "signature": c.signature,
        "serial_number": c.serial_number,
        "expires_on": ts(c.expires_on),
        "uploaded_on": ts(c.uploaded_on),
        "status": cert_status(c, now),
    })
}

/// An association with its certificate's fields (the SDK's `AuthenticatedOriginPull`).
pub fn association_json(a: &HostnameAssociation, cert: &HostnameCert, now: DateTime<Utc>) -> Value {
    json!({
        "id": cert.id,
        "hostname": a.hostname,
        "cert_id": cert.id,
        "enabled": a.enabled,
        "status": association_status(a, now),
        "created_at": ts(a.created_at),
        "updated_at": ts(a.updated_at),
        "certificate": cert.certificate,
        "cert_status": cert_status(cert, now),
        "cert_uploaded_on": ts(cert.uploaded_on),
        "cert_updated_at": ts(cert.uploaded_on),
        "expires_on": ts(cert.expires_on),
        "issuer": cert.issuer,
        "serial_number": cert.serial_number,
        "signature": cert.signature,
    })
}

/// The client certificate the edge presents to the origin for `hostname` in `zone_id`: only
/// when the zone's `tls_client_auth` is on, the hostname's association is enabled and active,
/// and its certificate active.
pub fn client_identity_for(
    data: &Data,
    zone_id: &str,
    hostname: &str,
    now: DateTime<Utc>,
) -> Option<ClientIdentity> {
    let zone = data.zone(zone_id)?;
    if zone.tls_client_auth != "on" {
        return None;
    }
    let association = data
        .hostname_associations
        .iter()
        .find(|a| a.zone_id == zone_id && a.hostname == hostname)?;
    if !association.enabled || association_status(association, now) != "active" {
        return None;
    }
    let cert = data
        .hostname_certs
        .iter()
        .find(|c| c.id == association.cert_id && c.zone_id == zone_id)?;
    (cert_status(cert, now) == "active").then(|| cert.identity.clone())
}

fn cert_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(BAD_CERTIFICATE, message)
}

fn key_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(BAD_KEY, message)
}

/// Go's names for signature algorithms, as Cloudflare's `signature` field shows them.
fn signature_name(oid: &str) -> &'static str {
    match oid {
        "1.2.840.113549.1.1.5" => "SHA1WithRSA",
        "1.2.840.113549.1.1.11" => "SHA256WithRSA",
        "1.2.840.113549.1.1.12" => "SHA384WithRSA",
        "1.2.840.113549.1.1.13" => "SHA512WithRSA",
        "1.2.840.113549.1.1.10" => "SHA256WithRSAPSS",
        "1.2.840.10045.4.3.2" => "ECDSAWithSHA256",
        "1.2.840.10045.4.3.3" => "ECDSAWithSHA384",
        "1.2.840.10045.4.3.4" => "ECDSAWithSHA512",
        "1.3.101.112" => "Ed25519",
        _ => "UnknownSignatureAlgorithm",
    }
}

/// What an upload leaves after validation.
struct Checked {
    identity: ClientIdentity,
    issuer: String,
    signature: String,
    serial_number: String,
    expires_on: DateTime<Utc>,
}

/// Parse the certificate PEM (leaf first, optional chain after it) and the key, and check them
/// as Cloudflare does: a leaf, unexpired, and a key that matches it.
fn check_upload(
    certificate: &str,
    private_key: &str,
    now: DateTime<Utc>,
) -> Result<Checked, ApiError> {
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(certificate.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|_| cert_error("Failed to parse certificate: not a PEM certificate"))?;
    let Some(first) = chain.first() else {
        return Err(cert_error("missing leaf certificate"));
    };
    let (_, leaf) = X509Certificate::from_der(first.as_ref())
        .map_err(|e| cert_error(format!("Failed to parse certificate: {e}")))?;
    let is_ca = leaf
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|bc| bc.value.ca);
    if is_ca {
        return Err(cert_error("missing leaf certificate"));
    }
    for (i, extra) in chain.iter().enumerate().skip(1) {
        X509Certificate::from_der(extra.as_ref()).map_err(|e| {
            cert_error(format!(
                "Failed to parse certificate {} of the chain: {e}",
                i + 1
            ))
        })?;
    }
    let not_after = leaf.validity().not_after.timestamp();
    let expires_on = Utc
        .timestamp_opt(not_after, 0)
        .single()
        .ok_or_else(|| cert_error("Failed to parse certificate: invalid notAfter"))?;
    if expires_on <= now {
        return Err(cert_error(format!(
            "The certificate has expired (notAfter {})",
            ts(expires_on)
        )));
    }
    let issuer = leaf.issuer().to_string();
    let signature = signature_name(&leaf.signature_algorithm.algorithm.to_id_string()).to_string();
    let serial_number = leaf.serial.to_string();

    if private_key.contains("ENCRYPTED") {
        return Err(key_error(
            "The private key is encrypted; upload it unencrypted",
        ));
    }
    // The error text of the PEM parser never carries key material.
    let key = PrivateKeyDer::from_pem_slice(private_key.as_bytes())
        .map_err(|_| key_error("Failed to parse private key: not a PEM private key"))?;
    let provider = rustls::crypto::ring::default_provider();
    let certified = CertifiedKey::from_der(chain, key, &provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => {
            key_error("The private key does not match the certificate")
        }
        _ => key_error("Failed to parse private key: unsupported key type"),
    })?;
    Ok(Checked {
        identity: ClientIdentity(Arc::new(certified)),
        issuer,
        signature,
        serial_number,
        expires_on,
    })
}

fn zone_or_no_route(data: &Data, zone_id: &str, uri: &Uri) -> Result<(), ApiError> {
    data.zone(zone_id)
        .map(|_| ())
        .ok_or_else(|| ApiError::no_route(uri.path()))
}

fn unknown_cert(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        UNKNOWN_CERT,
        format!("Hostname client certificate not found: {id}"),
    )
}

pub async fn upload(
    State(state): State<Arc<AppState>>,
    Path(zone_id): Path<String>,
    uri: Uri,
    body: Bytes,
) -> ApiResult {
    zone_or_no_route(&state.data(), &zone_id, &uri)?;
    let obj = parse_object(&body, FAMILY, &["certificate", "private_key"])?;
    let certificate = req_str(&obj, "certificate", FAMILY)?;
    // The key's text is dropped here (not wiped: the request body it came in is a shared
    // buffer); what is kept is rustls' signing key inside the certificate's identity.
    let private_key = req_str(&obj, "private_key", FAMILY)?;
    let now = Utc::now();
    let checked = check_upload(&certificate, &private_key, now)?;
    drop(private_key);

    let mut data = state.data();
    let in_zone = data
        .hostname_certs
        .iter()
        .filter(|c| c.zone_id == zone_id && cert_status(c, now) != "deleted")
        .count();
    if in_zone >= MAX_CERTS_PER_ZONE {
        return Err(ApiError::bad_request(
            QUOTA,
            format!(
                "Quota exceeded: {MAX_CERTS_PER_ZONE} hostname certificates per zone are allowed"
            ),
        ));
    }
    let cert = HostnameCert {
        id: new_id(),
        zone_id,
        certificate,
        identity: checked.identity,
        issuer: checked.issuer,
        signature: checked.signature,
        serial_number: checked.serial_number,
        expires_on: checked.expires_on,
        uploaded_on: now,
        active_at: now + state.aop_deploy_delay(),
        deleted_at: None,
    };
    let answer = cert_json(&cert, now);
    data.hostname_certs.push(cert);
    Ok(ok(answer))
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Path(zone_id): Path<String>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    QueryParams::parse(raw.as_deref()).check(FAMILY, &[])?;
    let data = state.data();
    zone_or_no_route(&data, &zone_id, &uri)?;
    let now = Utc::now();
    let items: Vec<Value> = data
        .hostname_certs
        .iter()
        .filter(|c| c.zone_id == zone_id && cert_status(c, now) != "deleted")
        .map(|c| cert_json(c, now))
        .collect();
    Ok(ok(Value::Array(items)))
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    Path((zone_id, cert_id)): Path<(String, String)>,
    uri: Uri,
) -> ApiResult {
    let data = state.data();
    zone_or_no_route(&data, &zone_id, &uri)?;
    let cert = data
        .hostname_certs
        .iter()
        .find(|c| c.id == cert_id && c.zone_id == zone_id)
        .ok_or_else(|| unknown_cert(&cert_id))?;
    Ok(ok(cert_json(cert, Utc::now())))
}

pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path((zone_id, cert_id)): Path<(String, String)>,
    uri: Uri,
) -> ApiResult {
    let delay = state.aop_deploy_delay();
    let mut data = state.data();
    zone_or_no_route(&data, &zone_id, &uri)?;
    let now = Utc::now();
    let Some(index) = data
        .hostname_certs
        .iter()
        .position(|c| c.id == cert_id && c.zone_id == zone_id && c.deleted_at.is_none())
    else {
        return Err(unknown_cert(&cert_id));
    };
    let users: Vec<String> = data
        .hostname_associations
        .iter()
        .filter(|a| a.zone_id == zone_id && a.cert_id == cert_id && a.enabled)
        .map(|a| a.hostname.clone())
        .collect();
    if !users.is_empty() {
        return Err(ApiError::bad_request(
            IN_USE,
            format!(
                "The certificate is in use by enabled hostname associations ({}); disable or remove them first",
                users.join(", ")
            ),
        ));
    }
    data.hostname_associations
        .retain(|a| !(a.zone_id == zone_id && a.cert_id == cert_id));
    let cert = &mut data.hostname_certs[index];
    cert.deleted_at = Some(now + delay);
    Ok(ok(cert_json(cert, now)))
}

/// A valid hostname (lower-cased), or why not.
fn check_hostname(raw: &str) -> Result<String, String> {
    let host = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.len() > 253 || host.split('.').count() < 2 || !host.split('.').all(label_ok) {
        return Err(format!("Invalid hostname: {raw}"));
    }
    Ok(host)
}

fn hostname_in_zone(data: &Data, zone_id: &str, raw: &str) -> Result<String, ErrorItem> {
    let host = check_hostname(raw).map_err(|m| ErrorItem::new(BAD_HOSTNAME, m))?;
    if data.zone_for_host(&host).map(|z| z.id.as_str()) != Some(zone_id) {
        return Err(ErrorItem::new(
            NOT_IN_ZONE,
            format!("The hostname {raw} is not part of this zone"),
        ));
    }
    Ok(host)
}

/// One validated `config` entry.
struct Entry {
    hostname: String,
    cert_id: String,
    enabled: Option<bool>,
}

fn check_entry(
    data: &Data,
    zone_id: &str,
    i: usize,
    item: &Value,
    now: DateTime<Utc>,
    errors: &mut Vec<ErrorItem>,
) -> Option<Entry> {
    let at = |field: &str| format!("/config/{i}{field}");
    let invalid = |m: String| ErrorItem::new(1001, m);
    let Value::Object(obj) = item else {
        errors.push(invalid(format!("config[{i}] must be an object")).at(at("")));
        return None;
    };
    let before = errors.len();
    if let Some(k) = obj
        .keys()
        .find(|k| !["hostname", "cert_id", "enabled"].contains(&k.as_str()))
    {
        errors.push(
            invalid(format!(
                "Unknown field `{k}` in config[{i}] (allowed: hostname, cert_id, enabled)"
            ))
            .at(at(&format!("/{k}"))),
        );
    }
    let string = |obj: &Map<String, Value>, key: &str, errors: &mut Vec<ErrorItem>| match obj
        .get(key)
    {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => {
            errors.push(invalid(format!("Field `{key}` is required")).at(at(&format!("/{key}"))));
            None
        }
        Some(_) => {
            errors.push(
                invalid(format!("Field `{key}` must be a string")).at(at(&format!("/{key}"))),
            );
            None
        }
    };
    let hostname = string(obj, "hostname", errors).and_then(|h| {
        hostname_in_zone(data, zone_id, &h)
            .map_err(|e| errors.push(e.at(at("/hostname"))))
            .ok()
    });
    let cert_id = string(obj, "cert_id", errors);
    if let Some(id) = &cert_id {
        match data
            .hostname_certs
            .iter()
            .find(|c| &c.id == id && c.zone_id == zone_id)
        {
            None => errors.push(
                ErrorItem::new(
                    UNKNOWN_CERT,
                    format!("Hostname client certificate not found: {id}"),
                )
                .at(at("/cert_id")),
            ),
            Some(c) if c.deleted_at.is_some() => errors.push(
                ErrorItem::new(
                    UNKNOWN_CERT,
                    format!(
                        "Hostname client certificate {id} is {}",
                        cert_status(c, now)
                    ),
                )
                .at(at("/cert_id")),
            ),
            Some(_) => {}
        }
    }
    let enabled = match obj.get("enabled") {
        Some(Value::Bool(b)) => Some(Some(*b)),
        Some(Value::Null) => Some(None),
        None => {
            errors.push(
                invalid(
                    "Field `enabled` is required (true, false, or null to remove the association)"
                        .into(),
                )
                .at(at("/enabled")),
            );
            None
        }
        Some(_) => {
            errors.push(
                invalid("Field `enabled` must be true, false or null".into()).at(at("/enabled")),
            );
            None
        }
    };
    if errors.len() > before {
        return None;
    }
    Some(Entry {
        hostname: hostname?,
        cert_id: cert_id?,
        enabled: enabled?,
    })
}

pub async fn put_associations(
    State(state): State<Arc<AppState>>,
    Path(zone_id): Path<String>,
    uri: Uri,
    body: Bytes,
) -> ApiResult {
    let delay = state.aop_deploy_delay();
    let mut data = state.data();
    zone_or_no_route(&data, &zone_id, &uri)?;
    let obj = parse_object(&body, FAMILY, &["config"])?;
    let items = match obj.get("config") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) => {
            return Err(FAMILY.invalid("Field `config` must list at least one association"))
        }
        None | Some(Value::Null) => return Err(FAMILY.invalid("Field `config` is required")),
        Some(_) => return Err(FAMILY.invalid("Field `config` must be an array")),
    };
    let now = Utc::now();
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(entry) = check_entry(&data, &zone_id, i, item, now, &mut errors) {
            if entries.iter().any(|e: &Entry| e.hostname == entry.hostname) {
                errors.push(
                    ErrorItem::new(
                        1001,
                        format!("Hostname {} is listed more than once", entry.hostname),
                    )
                    .at(format!("/config/{i}/hostname")),
                );
            } else {
                entries.push(entry);
            }
        }
    }
    // Quota: associations per certificate after this change.
    if errors.is_empty() {
        for entry in entries.iter().filter(|e| e.enabled.is_some()) {
            let after = data
                .hostname_associations
                .iter()
                .filter(|a| a.zone_id == zone_id && a.cert_id == entry.cert_id)
                .filter(|a| !entries.iter().any(|e| e.hostname == a.hostname))
                .count()
                + entries
                    .iter()
                    .filter(|e| e.enabled.is_some() && e.cert_id == entry.cert_id)
                    .count();
            if after > MAX_ASSOCIATIONS_PER_CERT {
                errors.push(ErrorItem::new(
                    QUOTA,
                    format!(
                        "Quota exceeded: at most {MAX_ASSOCIATIONS_PER_CERT} associations per certificate ({})",
                        entry.cert_id
                    ),
                ));
                break;
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::many(StatusCode::BAD_REQUEST, errors));
    }

    let mut answers = Vec::new();
    for entry in entries {
        let existing = data
            .hostname_associations
            .iter()
            .position(|a| a.zone_id == zone_id && a.hostname == entry.hostname);
        match (entry.enabled, existing) {
            (None, existing) => {
                if let Some(i) = existing {
                    data.hostname_associations.remove(i);
                }
                let cert = cert_of(&data, &entry.cert_id);
                let mut v = json!({
                    "hostname": entry.hostname,
                    "cert_id": entry.cert_id,
                    "enabled": null,
                    "status": "deleted",
                });
                if let Some(c) = cert {
                    v["id"] = json!(c.id);
                    v["cert_status"] = json!(cert_status(c, now));
                }
                answers.push(v);
                continue;
            }
            (Some(enabled), Some(i)) => {
                let a = &mut data.hostname_associations[i];
                if a.cert_id != entry.cert_id || a.enabled != enabled {
                    a.cert_id = entry.cert_id.clone();
                    a.enabled = enabled;
                    a.updated_at = now;
                    a.active_at = now + delay;
                }
            }
            (Some(enabled), None) => data.hostname_associations.push(HostnameAssociation {
                zone_id: zone_id.clone(),
                hostname: entry.hostname.clone(),
                cert_id: entry.cert_id.clone(),
                enabled,
                created_at: now,
                updated_at: now,
                active_at: now + delay,
            }),
        }
        let a = data
            .hostname_associations
            .iter()
            .find(|a| a.zone_id == zone_id && a.hostname == entry.hostname);
        if let (Some(a), Some(c)) = (a, cert_of(&data, &entry.cert_id)) {
            answers.push(association_json(a, c, now));
        }
    }
    Ok(ok(Value::Array(answers)))
}

fn cert_of<'a>(data: &'a Data, id: &str) -> Option<&'a HostnameCert> {
    data.hostname_certs.iter().find(|c| c.id == id)
}

pub async fn get_association(
    State(state): State<Arc<AppState>>,
    Path((zone_id, hostname)): Path<(String, String)>,
    uri: Uri,
) -> ApiResult {
    let data = state.data();
    zone_or_no_route(&data, &zone_id, &uri)?;
    let host = hostname_in_zone(&data, &zone_id, &hostname)
        .map_err(|e| ApiError::many(StatusCode::BAD_REQUEST, vec![e]))?;
    let now = Utc::now();
    let found = data
        .hostname_associations
        .iter()
        .find(|a| a.zone_id == zone_id && a.hostname == host)
        .and_then(|a| cert_of(&data, &a.cert_id).map(|c| (a, c)));
    let Some((a, c)) = found else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            NO_ASSOCIATION,
            format!("No hostname client certificate association for {host}"),
        ));
    };
    Ok(ok(association_json(a, c, now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Zone;

    fn identity_and_pems() -> (Checked, String, String) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        let cert = params.self_signed(&key).unwrap().pem();
        let key = key.serialize_pem();
        let checked = check_upload(&cert, &key, Utc::now()).unwrap();
        (checked, cert, key)
    }

    fn data_with(now: DateTime<Utc>, checked: Checked, certificate: String) -> Data {
        let zone = Zone {
            id: "z".into(),
            name: "example.com".into(),
            created_on: now,
            ssl_value: "full".into(),
            ssl_modified_on: now,
            tls_client_auth: "on".into(),
            tls_client_auth_modified_on: now,
        };
        let cert = HostnameCert {
            id: "c".into(),
            zone_id: "z".into(),
            certificate,
            identity: checked.identity,
            issuer: checked.issuer,
            signature: checked.signature,
            serial_number: checked.serial_number,
            expires_on: checked.expires_on,
            uploaded_on: now,
            active_at: now + chrono::Duration::seconds(10),
            deleted_at: None,
        };
        let association = HostnameAssociation {
            zone_id: "z".into(),
            hostname: "api.example.com".into(),
            cert_id: "c".into(),
            enabled: true,
            created_at: now,
            updated_at: now,
            active_at: now + chrono::Duration::seconds(20),
        };
        Data {
            zones: vec![zone],
            hostname_certs: vec![cert],
            hostname_associations: vec![association],
            ..Data::default()
        }
    }

    #[test]
    fn presented_only_once_certificate_and_association_are_deployed() {
        let now = Utc::now();
        let (checked, cert, _) = identity_and_pems();
        let mut data = data_with(now, checked, cert);
        let at = |s: i64| now + chrono::Duration::seconds(s);
        let host = "api.example.com";
        assert!(
            client_identity_for(&data, "z", host, at(5)).is_none(),
            "both pending"
        );
        assert!(
            client_identity_for(&data, "z", host, at(15)).is_none(),
            "association pending"
        );
        assert!(client_identity_for(&data, "z", host, at(25)).is_some());
        assert!(client_identity_for(&data, "z", "www.example.com", at(25)).is_none());
        data.zones[0].tls_client_auth = "off".into();
        assert!(
            client_identity_for(&data, "z", host, at(25)).is_none(),
            "zone off"
        );
        data.zones[0].tls_client_auth = "on".into();
        data.hostname_certs[0].deleted_at = Some(at(30));
        assert!(
            client_identity_for(&data, "z", host, at(25)).is_none(),
            "being deleted"
        );
        assert_eq!(
            cert_status(&data.hostname_certs[0], at(25)),
            "pending_deletion"
        );
        assert_eq!(cert_status(&data.hostname_certs[0], at(31)), "deleted");
    }

    #[test]
    fn state_debug_never_shows_the_private_key() {
        let now = Utc::now();
        let (checked, cert, key) = identity_and_pems();
        let data = data_with(now, checked, cert);
        let shown = format!("{data:?} {data:#?}");
        assert!(shown.contains("<private key redacted>"), "{shown}");
        let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!shown.contains("PRIVATE KEY") && !shown.contains(&body[..40]));
    }

    #[test]
    fn signature_names_follow_go() {
        assert_eq!(signature_name("1.2.840.113549.1.1.11"), "SHA256WithRSA");
        assert_eq!(signature_name("1.2.840.10045.4.3.2"), "ECDSAWithSHA256");
        assert_eq!(signature_name("1.2.3"), "UnknownSignatureAlgorithm");
    }
}
