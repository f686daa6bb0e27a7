//! Names of the calls this crate makes, as carried by [`crate::Error`]'s `operation`.
//!
//! They are plain `&'static str`s so errors stay cheap and readable; [`crate::Error::hint`] maps
//! them to the API-token permission each call needs, because Cloudflare's own answer to a
//! missing permission (code 10000, "Authentication error") never says which one is missing.

pub const FIND_ZONE: &str = "look up zone";
pub const GET_ZONE: &str = "get zone";
pub const LIST_ORIGIN_CERTIFICATES: &str = "list origin certificates";
pub const GET_ORIGIN_CERTIFICATE: &str = "get origin certificate";
pub const CREATE_ORIGIN_CERTIFICATE: &str = "create origin certificate";
pub const REVOKE_ORIGIN_CERTIFICATE: &str = "revoke origin certificate";
pub const LIST_DNS_RECORDS: &str = "list DNS records";
pub const CREATE_DNS_RECORD: &str = "create DNS record";
pub const UPDATE_DNS_RECORD: &str = "update DNS record";
pub const DELETE_DNS_RECORD: &str = "delete DNS record";
pub const GET_SSL_MODE: &str = "get SSL mode";
pub const SET_SSL_MODE: &str = "set SSL mode";
pub const GET_CONFIG_RULES: &str = "get Configuration Rules";
pub const PUT_CONFIG_RULES: &str = "write Configuration Rules";
pub const UPLOAD_HOSTNAME_CLIENT_CERTIFICATE: &str = "upload hostname client certificate";
pub const LIST_HOSTNAME_CLIENT_CERTIFICATES: &str = "list hostname client certificates";
pub const GET_HOSTNAME_CLIENT_CERTIFICATE: &str = "get hostname client certificate";
pub const DELETE_HOSTNAME_CLIENT_CERTIFICATE: &str = "delete hostname client certificate";
pub const PUT_HOSTNAME_CLIENT_AUTH: &str =
    "write hostname client auth (authenticated origin pulls)";
pub const GET_HOSTNAME_CLIENT_AUTH: &str = "get hostname client auth (authenticated origin pulls)";
pub const GET_TLS_CLIENT_AUTH: &str = "get TLS client auth setting";
pub const SET_TLS_CLIENT_AUTH: &str = "set TLS client auth setting";

/// The token permission (as the dashboard names it) that `operation` needs.
///
/// Per-hostname Authenticated Origin Pulls: Cloudflare's API reference accepts "SSL and
/// Certificates Write" for the uploads, deletions and hostname PUT, and "SSL and Certificates
/// Read" (or Write) for the reads; the zone setting `tls_client_auth` is a zone setting, whose
/// edit endpoint accepts "Zone Settings Write" (reads: Zone Settings Read). A token for the
/// whole lock therefore needs Zone › SSL and Certificates › Edit and Zone › Zone Settings ›
/// Edit.
pub fn required_permission(operation: &str) -> Option<&'static str> {
    Some(match operation {
        FIND_ZONE | GET_ZONE => "Zone › Zone › Read",
        LIST_ORIGIN_CERTIFICATES
        | GET_ORIGIN_CERTIFICATE
        | CREATE_ORIGIN_CERTIFICATE
        | REVOKE_ORIGIN_CERTIFICATE => "Zone › SSL and Certificates › Edit",
        LIST_DNS_RECORDS => "Zone › DNS › Read",
        CREATE_DNS_RECORD | UPDATE_DNS_RECORD | DELETE_DNS_RECORD => "Zone › DNS › Edit",
        GET_SSL_MODE => "Zone › Zone Settings › Read",
        SET_SSL_MODE => "Zone › Zone Settings › Edit",
        GET_CONFIG_RULES => "Zone › Config Rules › Read",
        UPLOAD_HOSTNAME_CLIENT_CERTIFICATE
        | DELETE_HOSTNAME_CLIENT_CERTIFICATE
        | PUT_HOSTNAME_CLIENT_AUTH => "Zone › SSL and Certificates › Edit",
        LIST_HOSTNAME_CLIENT_CERTIFICATES
        | GET_HOSTNAME_CLIENT_CERTIFICATE
        | GET_HOSTNAME_CLIENT_AUTH => "Zone › SSL and Certificates › Read",
        GET_TLS_CLIENT_AUTH => "Zone › Zone Settings › Read",
        SET_TLS_CLIENT_AUTH => "Zone › Zone Settings › Edit",
        PUT_CONFIG_RULES => "Zone › Config Rules › Edit",
        _ => return None,
    })
}
