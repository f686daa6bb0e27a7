//! flarelink's Cloudflare client: zone lookup, Origin CA certificates, DNS records and zone
//! settings. Built on the `cloudflare` crate's endpoint trait; requests are sent with reqwest and
//! the envelope is parsed here (see `transport`) because cloudflare 0.14 parses error codes as
//! u16 and loses codes such as 81053.
//!
//! This crate knows nothing of AWS or of flarelink's plan: it speaks Cloudflare, typed.

mod error;
mod types;

pub use error::{ApiMessage, Error};
pub use types::*;

use std::time::Duration;

/// Where and how to talk to Cloudflare. The token is held privately and never printed.
#[derive(Clone)]
pub struct ClientConfig {
    /// API base URL with a trailing slash, e.g. `https://api.cloudflare.com/client/v4/`.
    pub api_base: String,
    /// API token, sent as `Authorization: Bearer`.
    pub token: String,
    /// Attempts per call for transient failures (429, 5xx, timeouts, resets); 1 = no retry.
    pub max_attempts: u32,
    /// Per-request timeout.
    pub request_timeout: Duration,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("api_base", &self.api_base)
            .field("token", &"<redacted>")
            .field("max_attempts", &self.max_attempts)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

pub const DEFAULT_API_BASE: &str = "https://api.cloudflare.com/client/v4/";

/// A cheap-to-clone handle; calls may run concurrently.
#[derive(Clone)]
pub struct CloudflareClient {
    _private: (),
}

impl CloudflareClient {
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let _ = config;
        todo!()
    }

    /// `GET zones?name=` — the zone whose name is exactly `name`.
    pub async fn find_zone_by_name(&self, name: &str) -> Result<Zone, Error> {
        let _ = name;
        todo!()
    }

    /// `GET zones/{id}`.
    pub async fn get_zone(&self, zone_id: &str) -> Result<Zone, Error> {
        let _ = zone_id;
        todo!()
    }

    /// `GET certificates?zone_id=` — every active Origin CA certificate of the zone, all pages.
    pub async fn list_origin_certificates(
        &self,
        zone_id: &str,
    ) -> Result<Vec<OriginCertificate>, Error> {
        let _ = zone_id;
        todo!()
    }

    /// `GET certificates/{id}`; `None` when Cloudflare does not know it.
    pub async fn get_origin_certificate(
        &self,
        id: &str,
    ) -> Result<Option<OriginCertificate>, Error> {
        let _ = id;
        todo!()
    }

    /// `POST certificates` — Cloudflare signs the CSR; the private key never leaves the caller.
    pub async fn create_origin_certificate(
        &self,
        request: &NewOriginCertificate,
    ) -> Result<OriginCertificate, Error> {
        let _ = request;
        todo!()
    }

    /// `DELETE certificates/{id}` — revokes. Revoking an already revoked or unknown
    /// certificate is `Ok(false)`, so callers converge.
    pub async fn revoke_origin_certificate(&self, id: &str) -> Result<bool, Error> {
        let _ = id;
        todo!()
    }

    /// `GET zones/{z}/dns_records?name.exact=` — every record (any type) named exactly `name`,
    /// all pages.
    pub async fn list_dns_records(&self, zone_id: &str, name: &str) -> Result<Vec<DnsRecord>, Error> {
        let _ = (zone_id, name);
        todo!()
    }

    /// `POST zones/{z}/dns_records`.
    pub async fn create_dns_record(
        &self,
        zone_id: &str,
        record: &NewDnsRecord,
    ) -> Result<DnsRecord, Error> {
        let _ = (zone_id, record);
        todo!()
    }

    /// `PUT zones/{z}/dns_records/{id}` — replaces the record.
    pub async fn update_dns_record(
        &self,
        zone_id: &str,
        record_id: &str,
        record: &NewDnsRecord,
    ) -> Result<DnsRecord, Error> {
        let _ = (zone_id, record_id, record);
        todo!()
    }

    /// `DELETE zones/{z}/dns_records/{id}`.
    pub async fn delete_dns_record(&self, zone_id: &str, record_id: &str) -> Result<(), Error> {
        let _ = (zone_id, record_id);
        todo!()
    }

    /// `GET zones/{z}/settings/ssl`.
    pub async fn get_ssl_mode(&self, zone_id: &str) -> Result<SslSetting, Error> {
        let _ = zone_id;
        todo!()
    }

    /// `PATCH zones/{z}/settings/ssl`.
    pub async fn set_ssl_mode(&self, zone_id: &str, mode: SslMode) -> Result<SslSetting, Error> {
        let _ = (zone_id, mode);
        todo!()
    }
}
