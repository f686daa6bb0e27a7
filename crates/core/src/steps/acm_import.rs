//! Step 2 — acm-import: the origin certificate and its key in AWS Certificate Manager, tagged as
//! flarelink's with the hostname and the Cloudflare certificate id (in the import call itself,
//! so an untagged flarelink certificate cannot exist). A flarelink certificate that covers the
//! hostname, has the configured key type and is more than 30 days from expiry (a third of its
//! lifetime, for certificates shorter than 90 days) is reused instead of importing another.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use flarelink_aws::{Acm, SecretPem};
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::certs::name_covers;
use crate::config::KeyType;
use crate::ownership;

/// Reuse a certificate only if it has more than this many days left…
pub const REUSE_MIN_DAYS_LEFT: i64 = 30;
/// …or, for short-lived certificates (7 or 30 days), more than this share of its lifetime, so
/// that a second run still converges instead of replacing the certificate every time.
const REUSE_MIN_LIFETIME_DIVISOR: i32 = 3;

/// ACM calls in flight at once while taking inventory (ACM's per-account rate is ~10 rps).
const INVENTORY_CONCURRENCY: usize = 8;

/// A certificate flarelink imported for a hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedCertificate {
    pub arn: String,
    pub origin_cert_id: Option<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    pub status: Option<String>,
    /// ACM's name for the key, e.g. `RSA_2048`, `EC_prime256v1`.
    pub key_algorithm: Option<String>,
    /// Whether its names cover the hostname.
    pub covers: bool,
    pub in_use_by: Vec<String>,
}

/// Discover: every flarelink certificate in the region for each of `hostnames` (one inventory
/// for the whole run: list once, read tags concurrently, describe only flarelink's).
pub async fn discover(
    acm: &Acm,
    hostnames: &[String],
) -> Result<Vec<(String, ManagedCertificate)>, flarelink_aws::Error> {
    let wanted: BTreeSet<&str> = hostnames.iter().map(String::as_str).collect();
    let arns = acm.list_certificate_arns().await?;
    let tagged: Vec<(String, String, Option<String>)> = stream::iter(arns)
        .map(|arn| async move {
            let tags = acm.certificate_tags(&arn).await?;
            Ok::<_, flarelink_aws::Error>((arn, tags))
        })
        .buffer_unordered(INVENTORY_CONCURRENCY)
        .try_filter_map(|(arn, tags)| {
            let host = tags.get(ownership::TAG_HOSTNAME).cloned();
            let managed = host
                .as_deref()
                .is_some_and(|h| wanted.contains(h) && ownership::is_managed_for(&tags, h));
            let origin = tags.get(ownership::TAG_ORIGIN_CERT_ID).cloned();
            async move {
                Ok(if managed {
                    Some((arn, host.unwrap_or_default(), origin))
                } else {
                    None
                })
            }
        })
        .try_collect()
        .await?;

    let described = stream::iter(tagged)
        .map(|(arn, host, origin)| async move {
            let cert = acm.describe_certificate(&arn).await?;
            Ok::<_, flarelink_aws::Error>(cert.map(|c| {
                let covers = c
                    .subject_alternative_names
                    .iter()
                    .chain(c.domain_name.iter())
                    .any(|n| name_covers(n, &host));
                (
                    host.clone(),
                    ManagedCertificate {
                        arn: c.arn,
                        origin_cert_id: origin,
                        not_before: c.not_before,
                        not_after: c.not_after,
                        status: c.status,
                        key_algorithm: c.key_algorithm,
                        covers,
                        in_use_by: c.in_use_by,
                    },
                )
            }))
        })
        .buffer_unordered(INVENTORY_CONCURRENCY)
        .try_filter_map(|c| async move { Ok(c) })
        .try_collect::<Vec<_>>()
        .await?;
    let mut described = described;
    described.sort_by(|a, b| a.1.arn.cmp(&b.1.arn));
    Ok(described)
}

/// ACM's `KeyAlgorithm` for a configured key type.
pub fn acm_key_algorithm(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::Rsa2048 => "RSA_2048",
        KeyType::EcdsaP256 => "EC_prime256v1",
    }
}

/// How much validity a certificate must have left to be reused.
fn renewal_margin(c: &ManagedCertificate) -> Duration {
    let margin = Duration::days(REUSE_MIN_DAYS_LEFT);
    match (c.not_before, c.not_after) {
        (Some(from), Some(to)) => margin.min((to - from) / REUSE_MIN_LIFETIME_DIVISOR),
        _ => margin,
    }
}

/// Decide: the flarelink certificate to use, if one is good enough. The one the custom domain
/// already serves wins (no needless rotation); otherwise the one that lasts longest. Changing
/// `key_type` in the configuration makes the old certificates unsuitable, so a new one is made.
pub fn reusable<'a>(
    certs: &'a [ManagedCertificate],
    now: DateTime<Utc>,
    in_use_arn: Option<&str>,
    key_type: KeyType,
) -> Option<&'a ManagedCertificate> {
    let wanted_algorithm = acm_key_algorithm(key_type);
    let good = |c: &&ManagedCertificate| {
        c.covers
            && c.status.as_deref().is_none_or(|s| s == "ISSUED")
            && c.key_algorithm
                .as_deref()
                .is_none_or(|k| k == wanted_algorithm)
            && c.not_after.is_some_and(|t| t - now > renewal_margin(c))
    };
    if let Some(current) = in_use_arn {
        if let Some(c) = certs.iter().filter(good).find(|c| c.arn == current) {
            return Some(c);
        }
    }
    certs.iter().filter(good).max_by_key(|c| c.not_after)
}

/// Decide: flarelink certificates for the hostname that the custom domain no longer serves once
/// it serves `serving_arn` (rotation, key type change). Retiring them keeps the account clear of
/// the ACM quota (2,500 imported certificates) and revokes keys that nothing uses. One that ACM
/// says is in use by anything but the hostname's own domain is kept.
pub fn superseded<'a>(
    certs: &'a [ManagedCertificate],
    serving_arn: Option<&str>,
    hostname: &str,
) -> Vec<&'a ManagedCertificate> {
    let own_domain = format!("/domainnames/{hostname}");
    certs
        .iter()
        .filter(|c| Some(c.arn.as_str()) != serving_arn)
        .filter(|c| c.in_use_by.iter().all(|u| u.ends_with(&own_domain)))
        .collect()
}

/// Whether an import error proves ACM stored nothing (it refused the request), as opposed to a
/// timeout, a dropped connection or a 5xx after which the certificate may exist.
pub fn surely_not_imported(e: &flarelink_aws::Error) -> bool {
    use flarelink_aws::ErrorKind::*;
    matches!(
        e.kind,
        Config | Credentials | AccessDenied | BadRequest | LimitExceeded | NotAuthorized
    )
}

/// Act: import a new certificate (never a re-import: ACM drops tags on re-import and cannot
/// change key types), tagged as flarelink's.
pub async fn import(
    acm: &Acm,
    hostname: &str,
    origin_cert_id: &str,
    certificate_pem: &str,
    key_pem: &SecretPem,
    chain_pem: Option<&str>,
) -> Result<String, flarelink_aws::Error> {
    let tags = ownership::acm_tags(hostname, origin_cert_id);
    acm.import_certificate(certificate_pem, key_pem, chain_pem, &tags)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(arn: &str, days_left: i64, covers: bool, status: &str) -> ManagedCertificate {
        ManagedCertificate {
            arn: arn.into(),
            origin_cert_id: Some("1".into()),
            not_before: Some(Utc::now() - Duration::days(365)),
            not_after: Some(Utc::now() + Duration::days(days_left)),
            status: Some(status.into()),
            key_algorithm: Some("RSA_2048".into()),
            covers,
            in_use_by: vec![],
        }
    }

    const RSA: KeyType = KeyType::Rsa2048;

    #[test]
    fn a_changed_key_type_is_not_reused() {
        let now = Utc::now();
        let certs = [cert("a", 400, true, "ISSUED")];
        assert!(reusable(&certs, now, None, RSA).is_some());
        assert!(reusable(&certs, now, None, KeyType::EcdsaP256).is_none());
    }

    #[test]
    fn short_lived_certificates_still_converge() {
        let now = Utc::now();
        let mut weekly = cert("w", 6, true, "ISSUED");
        weekly.not_before = Some(now - Duration::days(1));
        assert!(reusable(std::slice::from_ref(&weekly), now, None, RSA).is_some());
        weekly.not_before = Some(now - Duration::days(6));
        weekly.not_after = Some(now + Duration::days(1));
        assert!(reusable(&[weekly], now, None, RSA).is_none());
    }

    #[test]
    fn reuse_needs_coverage_issued_status_and_more_than_30_days() {
        let now = Utc::now();
        assert!(reusable(&[cert("a", 29, true, "ISSUED")], now, None, RSA).is_none());
        assert!(reusable(&[cert("a", 400, false, "ISSUED")], now, None, RSA).is_none());
        assert!(reusable(&[cert("a", 400, true, "EXPIRED")], now, None, RSA).is_none());
        assert_eq!(
            reusable(&[cert("a", 31, true, "ISSUED")], now, None, RSA)
                .unwrap()
                .arn,
            "a"
        );
    }

    #[test]
    fn reuse_prefers_the_certificate_in_use_then_the_longest_lived() {
        let now = Utc::now();
        let certs = [
            cert("a", 100, true, "ISSUED"),
            cert("b", 900, true, "ISSUED"),
        ];
        assert_eq!(reusable(&certs, now, None, RSA).unwrap().arn, "b");
        assert_eq!(reusable(&certs, now, Some("a"), RSA).unwrap().arn, "a");
        assert_eq!(reusable(&certs, now, Some("zzz"), RSA).unwrap().arn, "b");
    }
}
