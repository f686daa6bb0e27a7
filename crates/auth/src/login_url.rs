//! Cognito Hosted-UI (managed login) URLs.
//!
//! * [`login_url_code_pkce`]: authorization code grant with PKCE (S256) — the recommended flow;
//!   exchange the returned `code` with the [`PkceVerifier`] at `/oauth2/token`.
//! * [`login_url_implicit`]: the guide's `response_type=token` URL (legacy implicit grant; the ID
//!   token comes back in the redirect's fragment).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use url::form_urlencoded;

use crate::Secret;

/// Why a login URL could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginUrlError {
    #[error("invalid Cognito domain prefix {0:?}: lowercase letters, digits and hyphens, not starting or ending with a hyphen, at most 63")]
    DomainPrefix(String),
    #[error("invalid AWS region {0:?}: e.g. us-east-1")]
    Region(String),
    #[error("invalid app client id {0:?}: letters and digits only")]
    ClientId(String),
    #[error(
        "invalid redirect URI {0:?}: must be an absolute URI such as https://example.com/callback"
    )]
    RedirectUri(String),
    #[error("invalid scope {0:?}: scopes are non-empty and contain no whitespace")]
    Scope(String),
}

/// The secrets of one PKCE login: the `code_verifier` for the token exchange and the `state`
/// to compare with the redirect's. `Debug` hides the verifier.
#[derive(Debug, Clone)]
pub struct PkceVerifier {
    code_verifier: Secret,
    state: String,
}

impl PkceVerifier {
    /// The `code_verifier` (43–128 characters of `[A-Za-z0-9-_]`) for `/oauth2/token`.
    pub fn code_verifier(&self) -> &str {
        self.code_verifier.expose()
    }

    /// The `state` sent in the URL; the redirect must carry the same value.
    pub fn state(&self) -> &str {
        &self.state
    }
}

/// `base64url(SHA-256(verifier))` without padding (RFC 7636 `S256`).
pub fn pkce_challenge(code_verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()))
}

fn random_b64url(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(&buf)
}

fn base_url(domain_prefix: &str, region: &str) -> Result<String, LoginUrlError> {
    let label_ok = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && !s.starts_with('-')
            && !s.ends_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !label_ok(domain_prefix, 63) {
        return Err(LoginUrlError::DomainPrefix(domain_prefix.to_owned()));
    }
    if !label_ok(region, 32) || !region.contains('-') {
        return Err(LoginUrlError::Region(region.to_owned()));
    }
    Ok(format!(
        "https://{domain_prefix}.auth.{region}.amazoncognito.com"
    ))
}

fn check_common(client_id: &str, redirect_uri: &str, scopes: &[&str]) -> Result<(), LoginUrlError> {
    if client_id.is_empty() || !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(LoginUrlError::ClientId(client_id.to_owned()));
    }
    match url::Url::parse(redirect_uri) {
        Ok(_) => {}
        _ => return Err(LoginUrlError::RedirectUri(redirect_uri.to_owned())),
    }
    for s in scopes {
        if s.is_empty() || s.chars().any(char::is_whitespace) {
            return Err(LoginUrlError::Scope((*s).to_owned()));
        }
    }
    Ok(())
}

/// `https://<prefix>.auth.<region>.amazoncognito.com/oauth2/authorize?response_type=code&...`
/// with a fresh random `code_verifier` (64 characters), its S256 challenge and a random `state`.
pub fn login_url_code_pkce(
    domain_prefix: &str,
    region: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[&str],
) -> Result<(String, PkceVerifier), LoginUrlError> {
    let base = base_url(domain_prefix, region)?;
    check_common(client_id, redirect_uri, scopes)?;
    let verifier = PkceVerifier {
        code_verifier: Secret::new(random_b64url(48)),
        state: random_b64url(16),
    };
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri);
    if !scopes.is_empty() {
        q.append_pair("scope", &scopes.join(" "));
    }
    q.append_pair("state", &verifier.state)
        .append_pair("code_challenge", &pkce_challenge(verifier.code_verifier()))
        .append_pair("code_challenge_method", "S256");
    Ok((format!("{base}/oauth2/authorize?{}", q.finish()), verifier))
}

/// The guide's implicit-grant URL:
/// `https://<prefix>.auth.<region>.amazoncognito.com/login?client_id=..&response_type=token&scope=..&redirect_uri=..`.
/// The app client must allow the implicit grant (legacy; prefer [`login_url_code_pkce`]).
pub fn login_url_implicit(
    domain_prefix: &str,
    region: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[&str],
) -> Result<String, LoginUrlError> {
    let base = base_url(domain_prefix, region)?;
    check_common(client_id, redirect_uri, scopes)?;
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", client_id)
        .append_pair("response_type", "token");
    if !scopes.is_empty() {
        q.append_pair("scope", &scopes.join(" "));
    }
    q.append_pair("redirect_uri", redirect_uri);
    Ok(format!("{base}/login?{}", q.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE_SCOPES: &[&str] = &[
        "aws.cognito.signin.user.admin",
        "email",
        "openid",
        "phone",
        "profile",
    ];

    #[test]
    fn implicit_url_is_the_guides() {
        let url = login_url_implicit(
            "apigatewayauthonetwo",
            "us-east-1",
            "24522a8kqqaq4ujnb29v48eptu",
            "https://example.com",
            GUIDE_SCOPES,
        )
        .unwrap();
        assert_eq!(
            url,
            "https://apigatewayauthonetwo.auth.us-east-1.amazoncognito.com/login?client_id=24522a8kqqaq4ujnb29v48eptu&response_type=token&scope=aws.cognito.signin.user.admin+email+openid+phone+profile&redirect_uri=https%3A%2F%2Fexample.com"
        );
    }

    #[test]
    fn pkce_challenge_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn pkce_url_shape_and_secrets() {
        let (url, v) = login_url_code_pkce(
            "apigatewayauthonetwothree",
            "eu-west-2",
            "24522a8kqqaq4ujnb29v48eptu",
            "http://localhost:8765/callback?x=1&y=2",
            &["openid", "email"],
        )
        .unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(
            parsed.host_str(),
            Some("apigatewayauthonetwothree.auth.eu-west-2.amazoncognito.com")
        );
        assert_eq!(parsed.path(), "/oauth2/authorize");
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "24522a8kqqaq4ujnb29v48eptu");
        assert_eq!(q["redirect_uri"], "http://localhost:8765/callback?x=1&y=2");
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce_challenge(v.code_verifier()));
        assert_eq!(q["state"], v.state());
        // The redirect URI's own query is encoded, not merged into ours.
        assert!(
            url.contains("redirect_uri=http%3A%2F%2Flocalhost%3A8765%2Fcallback%3Fx%3D1%26y%3D2")
        );
        assert!(url.contains("scope=openid+email"));
        let len = v.code_verifier().len();
        assert!((43..=128).contains(&len), "{len}");
        assert!(v
            .code_verifier()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(!url.contains(v.code_verifier()));
        assert!(!format!("{v:?}").contains(v.code_verifier()));
        let (_, v2) = login_url_code_pkce("p", "us-east-1", "c", "https://e.com", &[]).unwrap();
        assert_ne!(v.code_verifier(), v2.code_verifier());
        assert_ne!(v.state(), v2.state());
    }

    #[test]
    fn rejects_bad_inputs() {
        let ok = |p, r, c, u, s: &[&str]| login_url_implicit(p, r, c, u, s);
        assert!(matches!(
            ok("evil.com/x", "us-east-1", "c", "https://e.com", &[]),
            Err(LoginUrlError::DomainPrefix(_))
        ));
        assert!(matches!(
            ok("Upper", "us-east-1", "c", "https://e.com", &[]),
            Err(LoginUrlError::DomainPrefix(_))
        ));
        assert!(matches!(
            ok("p", "us east", "c", "https://e.com", &[]),
            Err(LoginUrlError::Region(_))
        ));
        assert!(matches!(
            ok("p", "us-east-1", "c&x=1", "https://e.com", &[]),
            Err(LoginUrlError::ClientId(_))
        ));
        assert!(matches!(
            ok("p", "us-east-1", "c", "/relative", &[]),
            Err(LoginUrlError::RedirectUri(_))
        ));
        assert!(matches!(
            ok("p", "us-east-1", "c", "https://e.com", &["a b"]),
            Err(LoginUrlError::Scope(_))
        ));
        // Custom-scheme redirect URIs (native apps) are fine.
        assert!(ok("p", "us-east-1", "c", "myapp://callback", &["openid"]).is_ok());
    }
}
