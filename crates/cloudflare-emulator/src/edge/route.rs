//! What the edge does with a request for a hostname, read from the emulator's state: which
//! zone, which proxied record, which origin name, which SSL/TLS mode.
//!
//! - The Host is an IP address → 1003.
//! - No zone, no A/AAAA/CNAME record for the name (exact, else the most specific `*.` wildcard
//!   record), or the record is DNS only (not proxied) → 1001: to Cloudflare's edge the name is
//!   not a proxied hostname (approximation: what Cloudflare answers for a DNS-only name sent to
//!   its IPs is not documented; 1001 is its answer for names it does not serve).
//! - Otherwise the origin name is the record's content (CNAME target, or the A/AAAA address as
//!   text), looked up later in the origin map.
//! - The SSL/TLS mode: the zone's Configuration Rules first, then the zone's `ssl` setting
//!   ([`effective_ssl_mode`]).

use std::net::IpAddr;

use serde_json::Value;

use crate::edge::pages::EdgeError;
use crate::expression::RequestFacts;
use crate::rulesets::CONFIG_PHASE;
use crate::state::{Data, DnsRecord, Zone};

/// The scheme the visitor used to reach the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitorScheme {
    Http,
    Https,
}

impl VisitorScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            VisitorScheme::Http => "http",
            VisitorScheme::Https => "https",
        }
    }
}

/// Cloudflare's SSL/TLS encryption modes (zone setting `ssl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Off,
    Flexible,
    Full,
    Strict,
    /// "Strict (SSL-Only Origin Pull)", only settable by a Configuration Rule: TLS to the
    /// origin, verified, whatever scheme the visitor used.
    OriginPull,
}

impl SslMode {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "off" => Some(SslMode::Off),
            "flexible" => Some(SslMode::Flexible),
            "full" => Some(SslMode::Full),
            "strict" => Some(SslMode::Strict),
            "origin_pull" => Some(SslMode::OriginPull),
            _ => None,
        }
    }
}

/// How the edge talks to the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginTransport {
    /// Plain HTTP to the origin's `http` address.
    PlainHttp,
    /// TLS to the `https` address, certificate not checked (Full).
    TlsUnverified,
    /// TLS to the `https` address, chain checked against the Origin CA root and the name
    /// checked (Full (strict)).
    TlsVerified,
}

/// Everything the proxy needs to reach the origin for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPlan {
    /// The requested hostname: the origin's SNI and Host.
    pub hostname: String,
    /// The origin name (CNAME target or address text), looked up in the origin map.
    pub origin_name: String,
    pub ssl_mode: SslMode,
    pub transport: OriginTransport,
}

/// The SSL/TLS mode in force for a request to `facts.host` in `zone`.
///
/// The one place the mode is decided. A Configuration Rule (the zone's `http_config_settings`
/// phase entry point, action `set_config` with `action_parameters.ssl`) wins over the zone's
/// `ssl` setting for the requests it matches; when several enabled rules match, the last one
/// in rule order wins ("for non-terminating actions the last change made by rules in the same
/// phase will win (later rules can overwrite changes done by previous rules)", Cloudflare's
/// Configuration Rules docs). Disabled rules and rules that do not set `ssl` are skipped.
///
/// Rules are read from the last one back: the first (from the end) whose expression matches
/// decides. A rule setting `ssl` whose expression the emulator cannot evaluate
/// ([`crate::expression`]) and that would decide — nothing after it matched — makes the edge
/// answer [`EdgeError::UnevaluableConfigRule`] instead of guessing which mode Cloudflare would
/// use.
pub fn effective_ssl_mode(
    data: &Data,
    zone: &Zone,
    facts: &RequestFacts,
) -> Result<SslMode, EdgeError> {
    let zone_mode = SslMode::parse(&zone.ssl_value).unwrap_or(SslMode::Flexible);
    let Some(ruleset) = data.entrypoint(&zone.id, CONFIG_PHASE) else {
        return Ok(zone_mode);
    };
    for rule in ruleset.rules.iter().rev() {
        let fields = &rule.fields;
        let enabled = fields
            .get("enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let ssl = fields
            .get("action_parameters")
            .and_then(|p| p.get("ssl"))
            .and_then(Value::as_str)
            .and_then(SslMode::parse);
        let (true, Some(mode)) = (enabled, ssl) else {
            continue;
        };
        match rule.expression.eval(facts) {
            Ok(true) => {
                tracing::info!(
                    rule = rule.id,
                    host = facts.host,
                    ssl = ?mode,
                    "edge: a Configuration Rule sets the SSL/TLS mode"
                );
                return Ok(mode);
            }
            Ok(false) => {}
            Err(unsupported) => {
                tracing::warn!(
                    rule = rule.id,
                    host = facts.host,
                    reason = %unsupported,
                    "edge: a Configuration Rule that sets ssl has an expression the emulator \
                     cannot evaluate; refusing the request rather than guessing"
                );
                return Err(EdgeError::UnevaluableConfigRule);
            }
        }
    }
    Ok(zone_mode)
}

/// Cloudflare's documented mapping (developers.cloudflare.com/ssl/origin-configuration/ssl-modes/):
/// Off and Flexible reach the origin over plain HTTP; Full and Full (strict) "connect to the
/// origin using the scheme requested by the visitor" — TLS for an HTTPS visitor, plain HTTP for
/// an HTTP one; strict additionally validates the origin certificate.
///
/// Deviation: with Off, Cloudflare redirects HTTPS visitors to `http://`; the edge proxies them
/// over plain HTTP like Flexible (a redirect to port 80 could not be followed on loopback).
pub fn origin_transport(mode: SslMode, visitor: VisitorScheme) -> OriginTransport {
    match (mode, visitor) {
        (SslMode::OriginPull, _) => OriginTransport::TlsVerified,
        (SslMode::Off | SslMode::Flexible, _) | (_, VisitorScheme::Http) => {
            OriginTransport::PlainHttp
        }
        (SslMode::Full, VisitorScheme::Https) => OriginTransport::TlsUnverified,
        (SslMode::Strict, VisitorScheme::Https) => OriginTransport::TlsVerified,
    }
}

fn proxiable_type(r: &DnsRecord) -> bool {
    matches!(r.rtype.as_str(), "A" | "AAAA" | "CNAME")
}

/// The record that answers `host` in `zone`: an exact one, else the most specific wildcard.
fn record_for<'a>(data: &'a Data, zone: &Zone, host: &str) -> Option<&'a DnsRecord> {
    let in_zone = || {
        data.dns
            .iter()
            .filter(|r| r.zone_id == zone.id && proxiable_type(r))
    };
    if let Some(r) = in_zone().find(|r| r.name == host) {
        return Some(r);
    }
    in_zone()
        .filter_map(|r| {
            let suffix = r.name.strip_prefix("*.")?;
            let matches = host.len() > suffix.len() + 1
                && host.ends_with(suffix)
                && host.as_bytes()[host.len() - suffix.len() - 1] == b'.';
            matches.then_some((suffix.len(), r))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, r)| r)
}

/// Normalise a Host header value: lower case, no port, no trailing dot.
pub fn hostname_of(host_header: &str) -> String {
    let h = host_header.trim();
    let without_port = if let Some(rest) = h.strip_prefix('[') {
        // [v6]:port
        rest.split(']').next().unwrap_or(rest)
    } else {
        match h.rsplit_once(':') {
            Some((name, port))
                if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                name
            }
            _ => h,
        }
    };
    without_port.trim_end_matches('.').to_ascii_lowercase()
}

/// Decide how to serve a request for `hostname` (already normalised) and `path`.
pub fn plan(
    data: &Data,
    hostname: &str,
    path: &str,
    visitor: VisitorScheme,
) -> Result<OriginPlan, EdgeError> {
    if hostname.is_empty() || hostname.parse::<IpAddr>().is_ok() {
        return Err(EdgeError::DirectIpAccess);
    }
    let zone = data
        .zone_for_host(hostname)
        .ok_or(EdgeError::DnsResolution)?;
    let record = record_for(data, zone, hostname).ok_or(EdgeError::DnsResolution)?;
    if !record.proxied {
        return Err(EdgeError::DnsResolution);
    }
    let facts = RequestFacts {
        host: hostname,
        path,
        https: visitor == VisitorScheme::Https,
    };
    let ssl_mode = effective_ssl_mode(data, zone, &facts)?;
    Ok(OriginPlan {
        hostname: hostname.to_string(),
        origin_name: record.content.trim_end_matches('.').to_ascii_lowercase(),
        ssl_mode,
        transport: origin_transport(ssl_mode, visitor),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_header_loses_port_and_case() {
        assert_eq!(hostname_of("API.Example.com:8443"), "api.example.com");
        assert_eq!(hostname_of("api.example.com."), "api.example.com");
        assert_eq!(hostname_of("[::1]:443"), "::1");
        assert_eq!(hostname_of("127.0.0.1:80"), "127.0.0.1");
    }

    #[test]
    fn modes_follow_cloudflare() {
        use OriginTransport::*;
        use VisitorScheme::*;
        assert_eq!(origin_transport(SslMode::Off, Https), PlainHttp);
        assert_eq!(origin_transport(SslMode::Flexible, Https), PlainHttp);
        assert_eq!(origin_transport(SslMode::Full, Https), TlsUnverified);
        assert_eq!(origin_transport(SslMode::Strict, Https), TlsVerified);
        assert_eq!(origin_transport(SslMode::Strict, Http), PlainHttp);
        assert_eq!(origin_transport(SslMode::OriginPull, Http), TlsVerified);
    }
}
