//! How flarelink marks what it creates, and recognises it later. flarelink changes or deletes only
//! what carries its mark, unless the user passes `--force`.
//!
//! - Origin CA certificate: the CSR it was issued for has `OU=` [`CSR_MARKER_OU`] and
//!   `L=aws:<region>` (Cloudflare keeps the CSR with the certificate; origin certificates have no
//!   tags). Only those of the run's region count, so a hostname linked from two regions during a
//!   migration keeps both.
//! - ACM certificate: tags [`TAG_MANAGED`], [`TAG_HOSTNAME`], [`TAG_ORIGIN_CERT_ID`], set in the
//!   ImportCertificate call itself, so no untagged import can exist.
//! - API Gateway custom domain: tags [`TAG_MANAGED`] and [`TAG_HOSTNAME`], and its certificate is
//!   a flarelink ACM certificate.
//! - DNS record: its comment starts with [`DNS_COMMENT_PREFIX`].

use std::collections::BTreeMap;

pub const CSR_MARKER_OU: &str = "flarelink-managed";
/// The CSR's locality records the AWS region the certificate is imported into: `aws:<region>`.
pub const CSR_REGION_PREFIX: &str = "aws:";
pub const TAG_MANAGED: &str = "flarelink:managed";
pub const TAG_HOSTNAME: &str = "flarelink:hostname";
pub const TAG_ORIGIN_CERT_ID: &str = "flarelink:cloudflare-origin-cert-id";
pub const DNS_COMMENT_PREFIX: &str = "managed by flarelink";

/// Tags for an ACM certificate imported for `hostname` from origin certificate `origin_id`.
pub fn acm_tags(hostname: &str, origin_id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_MANAGED.to_string(), "true".to_string()),
        (TAG_HOSTNAME.to_string(), hostname.to_string()),
        (TAG_ORIGIN_CERT_ID.to_string(), origin_id.to_string()),
    ])
}

/// Tags for an API Gateway custom domain.
pub fn domain_tags(hostname: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_MANAGED.to_string(), "true".to_string()),
        (TAG_HOSTNAME.to_string(), hostname.to_string()),
    ])
}

/// Whether ACM tags say flarelink imported this certificate for `hostname`.
pub fn is_managed_for(tags: &BTreeMap<String, String>, hostname: &str) -> bool {
    tags.get(TAG_MANAGED).map(String::as_str) == Some("true")
        && tags.get(TAG_HOSTNAME).map(String::as_str) == Some(hostname)
}

pub fn dns_comment(hostname: &str) -> String {
    format!("{DNS_COMMENT_PREFIX}: {hostname} -> API Gateway custom domain; remove with flarelink unlink-domain")
}

pub fn is_managed_comment(comment: Option<&str>) -> bool {
    comment.is_some_and(|c| c.starts_with(DNS_COMMENT_PREFIX))
}
