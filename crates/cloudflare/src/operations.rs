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

/// The token permission (as the dashboard names it) that `operation` needs.
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
        PUT_CONFIG_RULES => "Zone › Config Rules › Edit",
        _ => return None,
    })
}
