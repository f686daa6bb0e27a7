//! Types of per-hostname Authenticated Origin Pulls: the client certificate Cloudflare presents
//! to the origin for a hostname, the hostname's association with it, and the zone setting
//! `tls_client_auth` that turns presenting on.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use zeroize::Zeroize;

use crate::types::parse_cloudflare_time;

/// A PEM private key. `Debug` and `Display` never show it and its memory is wiped on drop; it
/// is not `Serialize`, so it cannot end up in a log line or a file by accident. Read it with
/// [`PrivateKeyPem::expose`] only to send it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(String);

impl PrivateKeyPem {
    pub fn new(pem: impl Into<String>) -> Self {
        PrivateKeyPem(pem.into())
    }

    /// The key itself; keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for PrivateKeyPem {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKeyPem(<redacted>)")
    }
}

impl std::fmt::Display for PrivateKeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What [`crate::CloudflareClient::upload_hostname_client_certificate`] sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHostnameClientCertificate {
    /// PEM: the leaf client certificate first (Cloudflare refuses a CA: "missing leaf
    /// certificate"), optionally followed by its chain.
    pub certificate: String,
    pub private_key: PrivateKeyPem,
}

/// Deployment state of an origin-pull certificate or association (the official SDKs' enum).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginPullStatus {
    Initializing,
    PendingDeployment,
    Active,
    PendingDeletion,
    Deleted,
    DeploymentTimedOut,
    DeletionTimedOut,
    /// A status this client does not know (newer API).
    #[serde(other)]
    Unknown,
}

/// A per-hostname client certificate as Cloudflare stores it (never with its key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostnameClientCertificate {
    pub id: String,
    /// PEM as uploaded.
    pub certificate: String,
    pub status: OriginPullStatus,
    pub issuer: Option<String>,
    /// Signature algorithm, e.g. `SHA256WithRSA`.
    pub signature: Option<String>,
    pub serial_number: Option<String>,
    pub expires_on: Option<DateTime<Utc>>,
    pub uploaded_on: Option<DateTime<Utc>>,
}

/// A hostname's association with a client certificate, with the certificate's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostnameClientAuth {
    pub hostname: String,
    pub cert_id: Option<String>,
    /// `Some(true)`: presented (when the zone's `tls_client_auth` is on); `Some(false)`:
    /// associated but not presented; `None`: the association was voided.
    pub enabled: Option<bool>,
    /// The association's deployment state.
    pub status: Option<OriginPullStatus>,
    /// The certificate's deployment state.
    pub cert_status: Option<OriginPullStatus>,
    pub certificate: Option<String>,
    pub serial_number: Option<String>,
    pub expires_on: Option<DateTime<Utc>>,
}

impl HostnameClientAuth {
    /// Cloudflare presents the certificate for this hostname (given `tls_client_auth` on):
    /// enabled, and both the association and its certificate deployed.
    pub fn is_presenting(&self) -> bool {
        self.enabled == Some(true)
            && self.status == Some(OriginPullStatus::Active)
            && self.cert_status == Some(OriginPullStatus::Active)
    }
}

/// One entry of the hostnames `PUT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostnameClientAuthChange {
    pub hostname: String,
    pub cert_id: String,
    /// `Some(true)` enable, `Some(false)` disable (keep the association), `None` void it.
    pub enabled: Option<bool>,
}

/// The zone setting `tls_client_auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsClientAuthSetting {
    /// `value` "on".
    pub enabled: bool,
    pub editable: bool,
    pub modified_on: Option<String>,
}

fn time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.as_deref().and_then(parse_cloudflare_time)
}

/// A hostname certificate on the wire (upload, list, get and delete answers).
#[derive(Debug, Deserialize)]
pub(crate) struct WireHostnameCertificate {
    pub id: String,
    #[serde(default)]
    pub certificate: Option<String>,
    #[serde(default)]
    pub status: Option<OriginPullStatus>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(default)]
    pub uploaded_on: Option<String>,
}

impl From<WireHostnameCertificate> for HostnameClientCertificate {
    fn from(w: WireHostnameCertificate) -> Self {
        HostnameClientCertificate {
            id: w.id,
            certificate: w.certificate.unwrap_or_default(),
            status: w.status.unwrap_or(OriginPullStatus::Unknown),
            issuer: w.issuer,
            signature: w.signature,
            serial_number: w.serial_number,
            expires_on: time(w.expires_on),
            uploaded_on: time(w.uploaded_on),
        }
    }
}

/// An association on the wire (hostnames `PUT` and `GET` answers). Cloudflare's own docs show
/// `[null]` as a PUT result, so every field is optional.
#[derive(Debug, Deserialize)]
pub(crate) struct WireHostnameClientAuth {
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub cert_id: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub status: Option<OriginPullStatus>,
    #[serde(default)]
    pub cert_status: Option<OriginPullStatus>,
    #[serde(default)]
    pub certificate: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub expires_on: Option<String>,
}

impl From<WireHostnameClientAuth> for HostnameClientAuth {
    fn from(w: WireHostnameClientAuth) -> Self {
        HostnameClientAuth {
            hostname: w.hostname.unwrap_or_default(),
            cert_id: w.cert_id,
            enabled: w.enabled,
            status: w.status,
            cert_status: w.cert_status,
            certificate: w.certificate,
            serial_number: w.serial_number,
            expires_on: time(w.expires_on),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_keys_are_never_printed() {
        // A key made now, never one kept in the repository.
        let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
        let body = key.lines().nth(1).unwrap().to_string();
        let upload = NewHostnameClientCertificate {
            certificate: "-----BEGIN CERTIFICATE-----".into(),
            private_key: PrivateKeyPem::new(key.clone()),
        };
        let shown = format!("{upload:?} {upload:#?} {}", upload.private_key);
        assert!(
            !shown.contains(&body) && !shown.contains("PRIVATE KEY"),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"));
        assert_eq!(upload.private_key.expose(), key);
    }

    #[test]
    fn wire_answers_convert_leniently() {
        let cert: WireHostnameCertificate = serde_json::from_str(
            r#"{"id":"c1","certificate":"PEM","status":"pending_deployment","issuer":"CN=x",
                "signature":"ECDSAWithSHA256","serial_number":"42",
                "expires_on":"2100-01-01T00:00:00Z","uploaded_on":"2026-01-01T00:00:00.5Z",
                "new_field":1}"#,
        )
        .unwrap();
        let cert = HostnameClientCertificate::from(cert);
        assert_eq!(cert.status, OriginPullStatus::PendingDeployment);
        assert_eq!(
            cert.expires_on.unwrap().to_rfc3339(),
            "2100-01-01T00:00:00+00:00"
        );
        let odd: WireHostnameCertificate =
            serde_json::from_str(r#"{"id":"c2","status":"being_reticulated"}"#).unwrap();
        assert_eq!(
            HostnameClientCertificate::from(odd).status,
            OriginPullStatus::Unknown
        );

        let a: WireHostnameClientAuth = serde_json::from_str(
            r#"{"hostname":"api.example.com","cert_id":"c1","enabled":true,"status":"active",
                "cert_status":"active"}"#,
        )
        .unwrap();
        let a = HostnameClientAuth::from(a);
        assert!(a.is_presenting());
        let pending = HostnameClientAuth {
            status: Some(OriginPullStatus::PendingDeployment),
            ..a.clone()
        };
        assert!(!pending.is_presenting());
        let disabled = HostnameClientAuth {
            enabled: Some(false),
            ..a
        };
        assert!(!disabled.is_presenting());
    }
}
