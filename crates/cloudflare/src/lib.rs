//! flarelink's Cloudflare client: zone lookup, Origin CA certificates, DNS records, zone
//! settings, per-hostname Authenticated Origin Pulls and the zone's Configuration Rules. Built on the `cloudflare` crate's endpoint trait; requests are sent with reqwest and
//! the envelope is parsed here (see `transport`) because cloudflare 0.14 parses error codes as
//! u16 and loses codes such as 81053.
//!
//! This crate knows nothing of AWS or of flarelink's plan: it speaks Cloudflare, typed.

mod config_rules;
mod endpoints;
mod error;
pub mod operations;
mod origin_pulls;
mod transport;
mod types;

pub use config_rules::{ConfigRule, ConfigRuleset, SET_CONFIG};
pub use error::{ApiMessage, Error, DNS_CONFLICT_CODES};
pub use origin_pulls::{
    HostnameClientAuth, HostnameClientAuthChange, HostnameClientCertificate,
    NewHostnameClientCertificate, OriginPullStatus, PrivateKeyPem, TlsClientAuthSetting,
};
pub use types::*;

use std::time::Duration;

use transport::{RetryPolicy, Transport};

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
/// Default attempts per call: the first plus three retries.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;
/// Default per-request timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl ClientConfig {
    /// Production API base, [`DEFAULT_MAX_ATTEMPTS`], [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn new(token: impl Into<String>) -> Self {
        ClientConfig {
            api_base: DEFAULT_API_BASE.to_string(),
            token: token.into(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// Same, against another API base (an emulator, a proxy).
    pub fn with_api_base(mut self, api_base: impl Into<String>) -> Self {
        self.api_base = api_base.into();
        self
    }
}

/// A cheap-to-clone handle; calls may run concurrently.
#[derive(Clone)]
pub struct CloudflareClient {
    transport: Transport,
}

impl std::fmt::Debug for CloudflareClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudflareClient")
            .field("api_base", &self.transport.base().as_str())
            .field("token", &"<redacted>")
            .field("retry", &self.transport.retry)
            .finish()
    }
}

impl CloudflareClient {
    /// Checks the configuration (base URL parses as http(s); token non-empty and usable in a
    /// header); nothing is sent. A base URL without its trailing slash gets one.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let retry = RetryPolicy {
            max_attempts: config.max_attempts.max(1),
            base: RetryPolicy::DEFAULT_BASE,
            cap: RetryPolicy::DEFAULT_CAP,
            retry_after_cap: RetryPolicy::DEFAULT_RETRY_AFTER_CAP,
        };
        let transport = Transport::new(
            &config.api_base,
            &config.token,
            config.request_timeout,
            retry,
        )?;
        Ok(CloudflareClient { transport })
    }

    /// Changes the retry backoff: delays start at `base` and double up to `cap` (defaults
    /// 200 ms and 10 s), each drawn with full jitter. Tests use a few milliseconds.
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.transport.retry.base = base;
        self.transport.retry.cap = cap.max(base);
        self
    }

    /// Caps how long a `Retry-After` answer may make a call wait (default 60 s).
    pub fn with_retry_after_cap(mut self, cap: Duration) -> Self {
        self.transport.retry.retry_after_cap = cap;
        self
    }

    /// The API base URL in use, with its trailing slash.
    pub fn api_base(&self) -> &str {
        self.transport.base().as_str()
    }

    /// `GET zones?name=` — the zone whose name is exactly `name`.
    pub async fn find_zone_by_name(&self, name: &str) -> Result<Zone, Error> {
        endpoints::zones::find_by_name(&self.transport, name).await
    }

    /// `GET zones/{id}`.
    pub async fn get_zone(&self, zone_id: &str) -> Result<Zone, Error> {
        endpoints::zones::get(&self.transport, zone_id).await
    }

    /// `GET certificates?zone_id=` — every active Origin CA certificate of the zone, all pages.
    pub async fn list_origin_certificates(
        &self,
        zone_id: &str,
    ) -> Result<Vec<OriginCertificate>, Error> {
        endpoints::origin_ca::list(&self.transport, zone_id).await
    }

    /// `GET certificates/{id}`; `None` when Cloudflare does not know it.
    pub async fn get_origin_certificate(
        &self,
        id: &str,
    ) -> Result<Option<OriginCertificate>, Error> {
        endpoints::origin_ca::get(&self.transport, id).await
    }

    /// `POST certificates` — Cloudflare signs the CSR; the private key never leaves the caller.
    pub async fn create_origin_certificate(
        &self,
        request: &NewOriginCertificate,
    ) -> Result<OriginCertificate, Error> {
        endpoints::origin_ca::create(&self.transport, request).await
    }

    /// `DELETE certificates/{id}` — revokes. Revoking an already revoked or unknown
    /// certificate is `Ok(false)`, so callers converge.
    pub async fn revoke_origin_certificate(&self, id: &str) -> Result<bool, Error> {
        endpoints::origin_ca::revoke(&self.transport, id).await
    }

    /// `GET zones/{z}/dns_records?name.exact=` — every record (any type) named exactly `name`,
    /// all pages.
    pub async fn list_dns_records(
        &self,
        zone_id: &str,
        name: &str,
    ) -> Result<Vec<DnsRecord>, Error> {
        endpoints::dns::list(&self.transport, zone_id, name).await
    }

    /// `GET zones/{z}/dns_records?proxied=true` — every proxied record of the zone, all pages
    /// (what a zone-wide setting such as the SSL/TLS mode reaches).
    pub async fn list_proxied_records(&self, zone_id: &str) -> Result<Vec<DnsRecord>, Error> {
        endpoints::dns::list_proxied(&self.transport, zone_id).await
    }

    /// `POST zones/{z}/dns_records`.
    pub async fn create_dns_record(
        &self,
        zone_id: &str,
        record: &NewDnsRecord,
    ) -> Result<DnsRecord, Error> {
        endpoints::dns::create(&self.transport, zone_id, record).await
    }

    /// `PUT zones/{z}/dns_records/{id}` — replaces the record.
    pub async fn update_dns_record(
        &self,
        zone_id: &str,
        record_id: &str,
        record: &NewDnsRecord,
    ) -> Result<DnsRecord, Error> {
        endpoints::dns::update(&self.transport, zone_id, record_id, record).await
    }

    /// `DELETE zones/{z}/dns_records/{id}`. A record that is already gone counts as deleted.
    pub async fn delete_dns_record(&self, zone_id: &str, record_id: &str) -> Result<(), Error> {
        endpoints::dns::delete(&self.transport, zone_id, record_id).await
    }

    /// `GET zones/{z}/settings/ssl`.
    pub async fn get_ssl_mode(&self, zone_id: &str) -> Result<SslSetting, Error> {
        endpoints::settings::get_ssl(&self.transport, zone_id).await
    }

    /// `PATCH zones/{z}/settings/ssl`.
    pub async fn set_ssl_mode(&self, zone_id: &str, mode: SslMode) -> Result<SslSetting, Error> {
        endpoints::settings::set_ssl(&self.transport, zone_id, mode).await
    }

    /// `POST zones/{z}/origin_tls_client_auth/hostnames/certificates` — uploads a client
    /// certificate and its key for per-hostname Authenticated Origin Pulls; it starts
    /// `pending_deployment` (poll [`Self::get_hostname_client_certificate`] until `active`).
    /// The key is sent once and never comes back. A POST: not repeated after a failure that
    /// [`Error::may_have_acted`]; look in [`Self::list_hostname_client_certificates`] first.
    /// Token permission: Zone › SSL and Certificates › Edit.
    pub async fn upload_hostname_client_certificate(
        &self,
        zone_id: &str,
        upload: &NewHostnameClientCertificate,
    ) -> Result<HostnameClientCertificate, Error> {
        endpoints::origin_pulls::upload(&self.transport, zone_id, upload).await
    }

    /// `GET zones/{z}/origin_tls_client_auth/hostnames/certificates` — the zone's hostname
    /// client certificates (deleted ones are not listed). Token permission: Zone › SSL and
    /// Certificates › Read.
    pub async fn list_hostname_client_certificates(
        &self,
        zone_id: &str,
    ) -> Result<Vec<HostnameClientCertificate>, Error> {
        endpoints::origin_pulls::list(&self.transport, zone_id).await
    }

    /// `GET zones/{z}/origin_tls_client_auth/hostnames/certificates/{id}`; `None` when
    /// Cloudflare does not know it.
    pub async fn get_hostname_client_certificate(
        &self,
        zone_id: &str,
        id: &str,
    ) -> Result<Option<HostnameClientCertificate>, Error> {
        endpoints::origin_pulls::get(&self.transport, zone_id, id).await
    }

    /// `DELETE zones/{z}/origin_tls_client_auth/hostnames/certificates/{id}` — the answer says
    /// `pending_deletion`; `None` when it was already deleted or is unknown, so callers
    /// converge. Disable the hostnames using it first. Token permission: Zone › SSL and
    /// Certificates › Edit.
    pub async fn delete_hostname_client_certificate(
        &self,
        zone_id: &str,
        id: &str,
    ) -> Result<Option<HostnameClientCertificate>, Error> {
        endpoints::origin_pulls::delete(&self.transport, zone_id, id).await
    }

    /// `PUT zones/{z}/origin_tls_client_auth/hostnames` — associates hostnames with
    /// certificates (`enabled: Some(true)`), disables (`Some(false)`) or voids (`None`) the
    /// associations; answers each association as Cloudflare now holds it. Token permission:
    /// Zone › SSL and Certificates › Edit.
    pub async fn put_hostname_client_auth(
        &self,
        zone_id: &str,
        changes: &[HostnameClientAuthChange],
    ) -> Result<Vec<HostnameClientAuth>, Error> {
        endpoints::origin_pulls::put(&self.transport, zone_id, changes).await
    }

    /// `GET zones/{z}/origin_tls_client_auth/hostnames/{hostname}` — the hostname's
    /// association and its certificate's state; `None` when it has none.
    pub async fn get_hostname_client_auth(
        &self,
        zone_id: &str,
        hostname: &str,
    ) -> Result<Option<HostnameClientAuth>, Error> {
        endpoints::origin_pulls::get_association(&self.transport, zone_id, hostname).await
    }

    /// `GET zones/{z}/settings/tls_client_auth`. Token permission: Zone › Zone Settings › Read.
    pub async fn get_tls_client_auth(&self, zone_id: &str) -> Result<TlsClientAuthSetting, Error> {
        endpoints::settings::get_tls_client_auth(&self.transport, zone_id).await
    }

    /// `PATCH zones/{z}/settings/tls_client_auth` to on (`true`) or off — on lets Cloudflare
    /// present the hostnames' enabled client certificates. Token permission: Zone › Zone
    /// Settings › Edit.
    pub async fn set_tls_client_auth(
        &self,
        zone_id: &str,
        enabled: bool,
    ) -> Result<TlsClientAuthSetting, Error> {
        endpoints::settings::set_tls_client_auth(&self.transport, zone_id, enabled).await
    }

    /// `GET zones/{z}/rulesets/phases/http_config_settings/entrypoint` — the zone's
    /// Configuration Rules; `None` when the phase was never set (404, code 10003). Token
    /// permission: Zone › Config Rules › Read.
    pub async fn get_config_rules(&self, zone_id: &str) -> Result<Option<ConfigRuleset>, Error> {
        endpoints::rulesets::get(&self.transport, zone_id).await
    }

    /// `PUT zones/{z}/rulesets/phases/http_config_settings/entrypoint` with `{"rules": rules}`
    /// — replaces the zone's whole Configuration Rules list (creating the entry point), so
    /// `rules` must carry every rule to keep, as read ([`ConfigRule`] sends them back
    /// unchanged). Token permission: Zone › Config Rules › Edit.
    pub async fn put_config_rules(
        &self,
        zone_id: &str,
        rules: &[ConfigRule],
    ) -> Result<ConfigRuleset, Error> {
        endpoints::rulesets::put(&self.transport, zone_id, rules).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "s3cr3t-T0KEN-value";

    #[test]
    fn debug_output_never_shows_the_token() {
        let config = ClientConfig::new(TOKEN).with_api_base("http://127.0.0.1:1/client/v4/");
        let shown = format!("{config:?} {config:#?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("<redacted>"));
        let client = CloudflareClient::new(config).unwrap();
        let shown = format!("{client:?} {client:#?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("127.0.0.1"));
    }

    #[test]
    fn configuration_is_checked_without_echoing_the_token() {
        let bad_base = ClientConfig::new(TOKEN).with_api_base("::nope::");
        assert!(matches!(
            CloudflareClient::new(bad_base),
            Err(Error::Config(_))
        ));

        assert!(matches!(
            CloudflareClient::new(ClientConfig::new("  ")),
            Err(Error::Config(_))
        ));

        let newline_inside = format!("{TOKEN}\nextra");
        let err = CloudflareClient::new(ClientConfig::new(newline_inside)).unwrap_err();
        assert!(!err.to_string().contains(TOKEN), "{err}");

        // A trailing newline from a token file is trimmed, not an error.
        assert!(CloudflareClient::new(ClientConfig::new(format!("{TOKEN}\n"))).is_ok());

        let client = CloudflareClient::new(
            ClientConfig::new(TOKEN).with_api_base("http://127.0.0.1:1/client/v4"),
        )
        .unwrap();
        assert_eq!(client.api_base(), "http://127.0.0.1:1/client/v4/");
    }

    #[test]
    fn defaults_are_sane() {
        let config = ClientConfig::new(TOKEN);
        assert_eq!(config.api_base, DEFAULT_API_BASE);
        assert_eq!(config.max_attempts, 4);
        assert_eq!(config.request_timeout, Duration::from_secs(30));
    }
}
