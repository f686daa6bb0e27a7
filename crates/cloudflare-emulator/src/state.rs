//! In-memory state of the emulator, shared by all handlers behind one mutex, plus counters.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ca::EmulatorCa;

/// Request counters, as answered by `GET /__emulator/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Every request on a Cloudflare route (`/client/v4/...`), whatever its outcome.
    pub requests: u64,
    /// Every Cloudflare-route request with a write method (POST, PUT, PATCH, DELETE), whether
    /// it was refused (auth, validation, injected fault, unknown route) or not.
    pub writes: u64,
    /// The write requests that were answered with a 2xx status.
    pub successful_writes: u64,
}

#[derive(Debug, Clone)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub created_on: DateTime<Utc>,
    pub ssl_value: String,
    pub ssl_modified_on: DateTime<Utc>,
    /// Zone setting `tls_client_auth` ("on"/"off"; "off" for a fresh zone).
    pub tls_client_auth: String,
    pub tls_client_auth_modified_on: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct OriginCert {
    pub id: String,
    pub certificate: String,
    pub csr: String,
    pub hostnames: Vec<String>,
    pub request_type: String,
    pub requested_validity: u32,
    pub expires_on: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct DnsRecord {
    pub id: String,
    pub zone_id: String,
    pub zone_name: String,
    pub name: String,
    pub rtype: String,
    pub content: String,
    pub proxiable: bool,
    pub proxied: bool,
    pub ttl: u64,
    pub comment: Option<String>,
    pub tags: Vec<String>,
    pub priority: Option<u64>,
    pub settings: Map<String, Value>,
    pub created_on: DateTime<Utc>,
    pub modified_on: DateTime<Utc>,
    pub comment_modified_on: Option<DateTime<Utc>>,
    pub tags_modified_on: Option<DateTime<Utc>>,
}

/// A zone's phase entry point ruleset (Rulesets API; only `http_config_settings` is emulated).
#[derive(Debug, Clone)]
pub struct Ruleset {
    pub id: String,
    pub zone_id: String,
    pub phase: String,
    pub name: String,
    pub description: String,
    pub version: u64,
    pub last_updated: DateTime<Utc>,
    pub rules: Vec<RulesetRule>,
}

/// One rule of a ruleset: what the client sent (validated, read-only fields removed), the
/// fields Cloudflare assigns, and the parsed expression.
#[derive(Debug, Clone)]
pub struct RulesetRule {
    pub id: String,
    pub version: u64,
    pub last_updated: DateTime<Utc>,
    /// `action`, `expression`, `action_parameters`, `description`, `enabled`, `ref`, … as sent,
    /// with `ref` and `enabled` defaulted.
    pub fields: Map<String, Value>,
    pub expression: crate::expression::Expr,
}

/// The client certificate and key the edge presents to an origin, as rustls holds them. Its
/// `Debug` shows nothing of the key: [`Data`] is `Debug`, and private keys are never printed.
#[derive(Clone)]
pub struct ClientIdentity(pub std::sync::Arc<rustls::sign::CertifiedKey>);

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientIdentity(<private key redacted>)")
    }
}

/// A per-hostname Authenticated Origin Pulls certificate (`origin_tls_client_auth/hostnames/
/// certificates`). The private key lives only here, in memory, inside [`ClientIdentity`].
#[derive(Debug, Clone)]
pub struct HostnameCert {
    pub id: String,
    pub zone_id: String,
    /// The PEM as uploaded (leaf first, optionally followed by its chain).
    pub certificate: String,
    pub identity: ClientIdentity,
    pub issuer: String,
    pub signature: String,
    pub serial_number: String,
    pub expires_on: DateTime<Utc>,
    pub uploaded_on: DateTime<Utc>,
    /// When deployment finishes (`pending_deployment` → `active`).
    pub active_at: DateTime<Utc>,
    /// Set by DELETE: `pending_deletion` until the instant, `deleted` after it.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A hostname's association with a [`HostnameCert`] (`PUT origin_tls_client_auth/hostnames`).
#[derive(Debug, Clone)]
pub struct HostnameAssociation {
    pub zone_id: String,
    pub hostname: String,
    pub cert_id: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the association's last change is deployed.
    pub active_at: DateTime<Utc>,
}

/// An injected transient failure, consumed by matching Cloudflare-route requests.
#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub status: u16,
    pub remaining: u64,
    pub retry_after: Option<u64>,
    pub path_contains: Option<String>,
}

#[derive(Debug, Default)]
pub struct Data {
    pub zones: Vec<Zone>,
    pub certs: Vec<OriginCert>,
    pub dns: Vec<DnsRecord>,
    pub rulesets: Vec<Ruleset>,
    pub hostname_certs: Vec<HostnameCert>,
    pub hostname_associations: Vec<HostnameAssociation>,
    pub faults: Vec<Fault>,
}

impl Data {
    pub fn zone(&self, id: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id == id)
    }

    pub fn zone_mut(&mut self, id: &str) -> Option<&mut Zone> {
        self.zones.iter_mut().find(|z| z.id == id)
    }

    /// A zone's entry point ruleset for `phase`, if it was ever set.
    pub fn entrypoint(&self, zone_id: &str, phase: &str) -> Option<&Ruleset> {
        self.rulesets
            .iter()
            .find(|r| r.zone_id == zone_id && r.phase == phase)
    }

    /// The zone a hostname belongs to (longest matching zone name).
    pub fn zone_for_host(&self, host: &str) -> Option<&Zone> {
        self.zones
            .iter()
            .filter(|z| host == z.name || host.ends_with(&format!(".{}", z.name)))
            .max_by_key(|z| z.name.len())
    }
}

#[derive(Debug)]
pub struct AppState {
    data: Mutex<Data>,
    requests: AtomicU64,
    writes: AtomicU64,
    successful_writes: AtomicU64,
    /// Added before every Cloudflare-route answer (benchmarks: a real API is ~50–150 ms away).
    latency_ms: AtomicU64,
    pub tokens: HashSet<String>,
    pub read_only_tokens: HashSet<String>,
    pub ca: EmulatorCa,
    pub account_id: String,
    pub initial_ssl_mode: String,
    /// How long a per-hostname origin-pull certificate or association change takes to deploy
    /// (`pending_deployment` → `active`), and a deletion to complete.
    aop_deploy_ms: AtomicU64,
}

impl AppState {
    pub fn new(
        zone_names: &[String],
        tokens: HashSet<String>,
        read_only_tokens: HashSet<String>,
        ca: EmulatorCa,
        initial_ssl_mode: String,
    ) -> Self {
        let now = Utc::now();
        let zones = zone_names
            .iter()
            .map(|name| Zone {
                id: new_id(),
                name: name.clone(),
                created_on: now,
                ssl_value: initial_ssl_mode.clone(),
                ssl_modified_on: now,
                tls_client_auth: "off".to_string(),
                tls_client_auth_modified_on: now,
            })
            .collect();
        Self {
            data: Mutex::new(Data {
                zones,
                ..Data::default()
            }),
            requests: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            successful_writes: AtomicU64::new(0),
            latency_ms: AtomicU64::new(0),
            tokens,
            read_only_tokens,
            ca,
            account_id: new_id(),
            initial_ssl_mode,
            aop_deploy_ms: AtomicU64::new(DEFAULT_AOP_DEPLOY_MS),
        }
    }

    pub fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn latency(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.latency_ms.load(Ordering::SeqCst))
    }

    /// See [`AppState::set_aop_deploy_ms`].
    pub fn aop_deploy_delay(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(
            i64::try_from(self.aop_deploy_ms.load(Ordering::SeqCst)).unwrap_or(i64::MAX),
        )
    }

    /// How long per-hostname origin-pull certificates and associations take to deploy (and
    /// deletions to complete) from now on.
    pub fn set_aop_deploy_ms(&self, ms: u64) {
        self.aop_deploy_ms.store(ms, Ordering::SeqCst);
    }

    pub fn set_latency_ms(&self, ms: u64) {
        self.latency_ms.store(ms, Ordering::SeqCst);
    }

    pub fn count_request(&self, is_write: bool) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if is_write {
            self.writes.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub fn count_successful_write(&self) {
        self.successful_writes.fetch_add(1, Ordering::SeqCst);
    }

    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::SeqCst),
            writes: self.writes.load(Ordering::SeqCst),
            successful_writes: self.successful_writes.load(Ordering::SeqCst),
        }
    }

    /// Forget certificates (Origin CA and origin-pull), origin-pull associations, DNS records,
    /// rulesets, faults and counters; zones keep their ids and get their initial SSL mode and
    /// `tls_client_auth` off back. The CA is kept.
    pub fn reset(&self) {
        let now = Utc::now();
        let mut data = self.data();
        data.certs.clear();
        data.dns.clear();
        data.rulesets.clear();
        data.hostname_certs.clear();
        data.hostname_associations.clear();
        data.faults.clear();
        for z in &mut data.zones {
            z.ssl_value = self.initial_ssl_mode.clone();
            z.ssl_modified_on = now;
            z.tls_client_auth = "off".to_string();
            z.tls_client_auth_modified_on = now;
        }
        drop(data);
        self.requests.store(0, Ordering::SeqCst);
        self.writes.store(0, Ordering::SeqCst);
        self.successful_writes.store(0, Ordering::SeqCst);
    }
}

/// Default deployment delay of origin-pull certificates and associations: short, but long
/// enough that a caller must poll for `active`, as with the real service (minutes there).
pub const DEFAULT_AOP_DEPLOY_MS: u64 = 1500;

/// A Cloudflare-style identifier: 32 lower-case hex characters.
pub fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub fn is_cloudflare_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Cloudflare's timestamp style: RFC 3339 with microseconds, `Z`.
pub fn ts(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Micros, true)
}
