//! The answers the edge makes itself: Cloudflare's 1xxx and 52x errors.
//!
//! Status codes and meanings are Cloudflare's, from its troubleshooting pages
//! (developers.cloudflare.com/support/troubleshooting/http-status-codes/…):
//! - 1001 "DNS resolution error": a request reached a Cloudflare IP for a hostname Cloudflare
//!   does not proxy. Answered `409 Conflict`, `text/plain; charset=UTF-8`, body
//!   `error code: 1001`, with `server: cloudflare` and `cf-ray` — as captured with curl in
//!   github.com/iftechfoundation/ifdb/issues/996.
//! - 1003 "Direct IP access not allowed": the Host is an IP address; 403.
//! - 1016 "Origin DNS error": the origin name (CNAME target) does not resolve; HTTP 530, whose
//!   body carries the 1xxx code (error-530 page; a 530 "Origin DNS error" page is shown in
//!   gist.github.com/theMiddleBlue/9e8f805cb964082845e1cab3556c1d0b).
//! - 520 unknown error (empty, reset or invalid answer), 521 web server is down (refused),
//!   522 connection timed out, 523 origin is unreachable, 524 a timeout occurred (connected,
//!   no answer in time), 525 SSL handshake failed, 526 invalid SSL certificate (Full (strict)).
//!
//! Body: Cloudflare serves its HTML error page to browsers and the short `error code: N` text
//! to other clients (curl); the edge does the same, choosing HTML when `Accept` names
//! `text/html`. The HTML is a plain page with the same facts (title, code, Ray ID, host), not a
//! copy of Cloudflare's markup. Cloudflare's newer JSON error bodies are not emulated.

use hyper::header::{HeaderValue, ACCEPT, CACHE_CONTROL};
use hyper::{HeaderMap, StatusCode};

/// An error the edge answers itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeError {
    /// 1001: the hostname has no proxied record on this edge.
    DnsResolution,
    /// 1003: the Host is an IP address.
    DirectIpAccess,
    /// 1016 (HTTP 530): the origin name is not in the origin map.
    OriginDns,
    /// 520: the origin's answer was empty, reset or not HTTP.
    UnknownError,
    /// 521: the origin refused the connection.
    WebServerDown,
    /// 522: the TCP connection to the origin timed out.
    ConnectionTimedOut,
    /// 523: the origin's address is unreachable.
    OriginUnreachable,
    /// 524: connected, but no answer within the response timeout.
    Timeout,
    /// 525: the TLS handshake with the origin failed.
    SslHandshakeFailed,
    /// 526: Full (strict) and the origin's certificate is not valid for the hostname.
    InvalidSslCertificate,
    /// Not Cloudflare's: a Configuration Rule that sets `ssl` has an expression the emulator
    /// cannot evaluate, so it cannot tell which mode Cloudflare would use. HTTP 500 with an
    /// emulator message (see `edge::route::effective_ssl_mode`).
    UnevaluableConfigRule,
}

impl EdgeError {
    /// The HTTP status Cloudflare answers with.
    pub fn status(self) -> StatusCode {
        let code = match self {
            EdgeError::DnsResolution => 409,
            EdgeError::DirectIpAccess => 403,
            EdgeError::OriginDns => 530,
            EdgeError::UnknownError => 520,
            EdgeError::WebServerDown => 521,
            EdgeError::ConnectionTimedOut => 522,
            EdgeError::OriginUnreachable => 523,
            EdgeError::Timeout => 524,
            EdgeError::SslHandshakeFailed => 525,
            EdgeError::InvalidSslCertificate => 526,
            EdgeError::UnevaluableConfigRule => 500,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY)
    }

    /// The code in the body: the 1xxx code, or the 52x status itself.
    pub fn code(self) -> u16 {
        match self {
            EdgeError::DnsResolution => 1001,
            EdgeError::DirectIpAccess => 1003,
            EdgeError::OriginDns => 1016,
            other => other.status().as_u16(),
        }
    }

    /// Cloudflare's title for the error.
    pub fn title(self) -> &'static str {
        match self {
            EdgeError::DnsResolution => "DNS resolution error",
            EdgeError::DirectIpAccess => "Direct IP access not allowed",
            EdgeError::OriginDns => "Origin DNS error",
            EdgeError::UnknownError => "Web server is returning an unknown error",
            EdgeError::WebServerDown => "Web server is down",
            EdgeError::ConnectionTimedOut => "Connection timed out",
            EdgeError::OriginUnreachable => "Origin is unreachable",
            EdgeError::Timeout => "A timeout occurred",
            EdgeError::SslHandshakeFailed => "SSL handshake failed",
            EdgeError::InvalidSslCertificate => "Invalid SSL certificate",
            EdgeError::UnevaluableConfigRule => {
                "Cloudflare emulator: a Configuration Rule's expression cannot be evaluated"
            }
        }
    }
}

/// A rendered error answer: content type and body.
pub struct Page {
    pub content_type: &'static str,
    pub body: String,
}

fn wants_html(request_headers: &HeaderMap) -> bool {
    request_headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page for `error`, as text or HTML depending on the request's `Accept`.
pub fn render(error: EdgeError, host: &str, ray: &str, request_headers: &HeaderMap) -> Page {
    if error == EdgeError::UnevaluableConfigRule {
        return Page {
            content_type: "text/plain; charset=UTF-8",
            body: "cloudflare emulator: a Configuration Rule (http_config_settings) that sets \
                   ssl has an expression the emulator cannot evaluate, so it cannot tell which \
                   SSL/TLS mode Cloudflare would use; the emulator's log names the rule"
                .to_string(),
        };
    }
    if !wants_html(request_headers) {
        return Page {
            content_type: "text/plain; charset=UTF-8",
            body: format!("error code: {}", error.code()),
        };
    }
    let host = escape(host);
    let title = error.title();
    let code = error.code();
    let heading = if code >= 1000 {
        format!("Error {code}")
    } else {
        format!("Error code {code}")
    };
    Page {
        content_type: "text/html; charset=UTF-8",
        body: format!(
            "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head><title>{host} | {code}: {title}</title>\
             <meta charset=\"UTF-8\" /><meta name=\"robots\" content=\"noindex, nofollow\" /></head>\n\
             <body><h1>{title}</h1><p>{heading}</p><p>{host}</p>\
             <p>Cloudflare Ray ID: <strong>{ray}</strong></p>\
             <p>(flarelink's local Cloudflare edge emulator)</p></body>\n</html>\n"
        ),
    }
}

/// Headers Cloudflare puts on its own error answers (seen in the 1001 capture cited above).
pub fn error_headers(headers: &mut HeaderMap) {
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(
            "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0",
        ),
    );
    headers.insert(
        "expires",
        HeaderValue::from_static("Thu, 01 Jan 1970 00:00:01 GMT"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes_are_cloudflares() {
        assert_eq!(EdgeError::DnsResolution.status().as_u16(), 409);
        assert_eq!(EdgeError::DnsResolution.code(), 1001);
        assert_eq!(EdgeError::OriginDns.status().as_u16(), 530);
        assert_eq!(EdgeError::OriginDns.code(), 1016);
        assert_eq!(EdgeError::InvalidSslCertificate.code(), 526);
    }

    #[test]
    fn curl_gets_text_browsers_get_html() {
        let plain = render(EdgeError::WebServerDown, "h", "r", &HeaderMap::new());
        assert_eq!(plain.body, "error code: 521");
        let mut accept = HeaderMap::new();
        accept.insert(ACCEPT, HeaderValue::from_static("text/html,*/*"));
        let html = render(EdgeError::WebServerDown, "a<b", "ray-1", &accept);
        assert!(html.content_type.starts_with("text/html"));
        assert!(html.body.contains("a&lt;b | 521: Web server is down"));
        assert!(html.body.contains("ray-1"));
    }
}
