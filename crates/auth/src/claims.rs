//! A Cognito JWT's claims, decoded without checking the signature (API Gateway's Cognito
//! authorizer verifies it; flarelink only reads the claims to explain what it sees).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The claims flarelink reads from a Cognito ID or access token.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Claims {
    /// `https://cognito-idp.<region>.amazonaws.com/<pool-id>`
    pub iss: Option<String>,
    /// ID tokens: the app client id.
    pub aud: Option<String>,
    /// Access tokens: the app client id.
    pub client_id: Option<String>,
    /// `"id"` or `"access"`.
    pub token_use: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: Option<i64>,
    /// Issued at, seconds since the epoch.
    pub iat: Option<i64>,
    pub sub: Option<String>,
    /// `cognito:username` (ID tokens) or `username` (access tokens).
    pub username: Option<String>,
    pub email: Option<String>,
    /// Access tokens: space-separated scopes.
    pub scope: Option<String>,
}

impl Claims {
    /// The app client the token was issued to: `aud` (ID token) or `client_id` (access token).
    pub fn client(&self) -> Option<&str> {
        self.aud.as_deref().or(self.client_id.as_deref())
    }

    /// The user pool id at the end of a Cognito `iss`.
    pub fn pool_id(&self) -> Option<&str> {
        let iss = self.iss.as_deref()?;
        let id = iss.trim_end_matches('/').rsplit('/').next()?;
        (!id.is_empty() && id.contains('_')).then_some(id)
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.exp?, 0)
    }

    /// True when `exp` is at or before `now` (a token without `exp` never expires here).
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.exp.is_some_and(|exp| exp <= now.timestamp())
    }
}

/// Why a string is not a readable JWT. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    #[error("not a JWT: expected three dot-separated parts, found {0}")]
    NotAJwt(usize),
    #[error("not a JWT: the payload is not base64url")]
    Base64,
    #[error("not a JWT: the payload is not a JSON object ({0})")]
    Json(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    aud: Option<Audience>,
    client_id: Option<String>,
    token_use: Option<String>,
    exp: Option<NumericDate>,
    iat: Option<NumericDate>,
    sub: Option<String>,
    #[serde(rename = "cognito:username")]
    cognito_username: Option<String>,
    username: Option<String>,
    email: Option<String>,
    scope: Option<String>,
}

/// JWT NumericDate: an integer, though some issuers write a float.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumericDate {
    Int(i64),
    Float(f64),
}

impl NumericDate {
    fn secs(self) -> i64 {
        match self {
            NumericDate::Int(i) => i,
            NumericDate::Float(f) => f as i64,
        }
    }
}

/// Decodes a JWT's payload (a leading `Bearer ` is tolerated). Does not verify the signature.
pub fn decode_claims(token: &str) -> Result<Claims, ClaimsError> {
    let token = token.trim();
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token)
        .trim();
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(ClaimsError::NotAJwt(parts.len()));
    }
    let payload = URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .map_err(|_| ClaimsError::Base64)?;
    let raw: RawClaims =
        serde_json::from_slice(&payload).map_err(|e| ClaimsError::Json(e.to_string()))?;
    let aud = match raw.aud {
        Some(Audience::One(a)) => Some(a),
        Some(Audience::Many(v)) => v.into_iter().next(),
        None => None,
    };
    Ok(Claims {
        iss: raw.iss,
        aud,
        client_id: raw.client_id,
        token_use: raw.token_use,
        exp: raw.exp.map(NumericDate::secs),
        iat: raw.iat.map(NumericDate::secs),
        sub: raw.sub,
        username: raw.cognito_username.or(raw.username),
        email: raw.email,
        scope: raw.scope,
    })
}

/// `Some("expired 12 minutes ago — run `flarelink token`")` when the token has expired at
/// `now`; `None` while it is valid or has no `exp`.
pub fn explain_expiry(claims: &Claims, now: DateTime<Utc>) -> Option<String> {
    let exp = claims.exp?;
    let ago = now.timestamp() - exp;
    if ago < 0 {
        return None;
    }
    Some(format!(
        "expired {} ago — run `flarelink token`",
        human_duration(ago)
    ))
}

/// `45 seconds`, `1 minute`, `12 minutes`, `3 hours`, `2 days`.
pub(crate) fn human_duration(secs: i64) -> String {
    let (n, unit) = if secs < 60 {
        (secs, "second")
    } else if secs < 120 * 60 {
        (secs / 60, "minute")
    } else if secs < 48 * 3600 {
        (secs / 3600, "hour")
    } else {
        (secs / 86400, "day")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn decodes_an_id_token() {
        let t = jwt(
            r#"{"sub":"u-1","aud":"client123","email_verified":true,"token_use":"id",
                "auth_time":1700000000,"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1",
                "cognito:username":"superdude","exp":1700003600,"iat":1700000000,"email":"s@example.com"}"#,
        );
        let c = decode_claims(&t).unwrap();
        assert_eq!(c.username.as_deref(), Some("superdude"));
        assert_eq!(c.client(), Some("client123"));
        assert_eq!(c.pool_id(), Some("us-east-1_Pool1"));
        assert_eq!(c.token_use.as_deref(), Some("id"));
        assert_eq!(c.exp, Some(1_700_003_600));
        assert_eq!(c.email.as_deref(), Some("s@example.com"));
        assert_eq!(decode_claims(&format!("Bearer {t}")).unwrap(), c);
    }

    #[test]
    fn decodes_an_access_token() {
        let t = jwt(
            r#"{"sub":"u-1","token_use":"access","scope":"openid email","client_id":"c2",
                "username":"superdude","exp":1700003600.0,"iat":1700000000,"aud":["x","y"]}"#,
        );
        let c = decode_claims(&t).unwrap();
        assert_eq!(c.username.as_deref(), Some("superdude"));
        assert_eq!(c.client_id.as_deref(), Some("c2"));
        assert_eq!(c.aud.as_deref(), Some("x"));
        assert_eq!(c.exp, Some(1_700_003_600));
        assert_eq!(c.scope.as_deref(), Some("openid email"));
    }

    #[test]
    fn rejects_non_jwts_without_echoing_them() {
        assert_eq!(decode_claims("abc"), Err(ClaimsError::NotAJwt(1)));
        assert_eq!(decode_claims("a.!!!.c"), Err(ClaimsError::Base64));
        let e = decode_claims(&format!("a.{}.c", URL_SAFE_NO_PAD.encode("[1]"))).unwrap_err();
        assert!(matches!(e, ClaimsError::Json(_)));
    }

    #[test]
    fn explains_expiry() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let mut c = Claims {
            exp: Some(now.timestamp() - 12 * 60 - 5),
            ..Claims::default()
        };
        assert_eq!(
            explain_expiry(&c, now).as_deref(),
            Some("expired 12 minutes ago — run `flarelink token`")
        );
        assert!(c.is_expired(now));
        c.exp = Some(now.timestamp() - 30);
        assert_eq!(
            explain_expiry(&c, now).as_deref(),
            Some("expired 30 seconds ago — run `flarelink token`")
        );
        c.exp = Some(now.timestamp() - 3 * 3600);
        assert!(explain_expiry(&c, now)
            .unwrap()
            .starts_with("expired 3 hours ago"));
        c.exp = Some(now.timestamp() - 60);
        assert!(explain_expiry(&c, now)
            .unwrap()
            .starts_with("expired 1 minute ago"));
        c.exp = Some(now.timestamp() - 5 * 86400);
        assert!(explain_expiry(&c, now)
            .unwrap()
            .starts_with("expired 5 days ago"));
        c.exp = Some(now.timestamp() + 60);
        assert_eq!(explain_expiry(&c, now), None);
        assert!(!c.is_expired(now));
        assert_eq!(explain_expiry(&Claims::default(), now), None);
    }
}
