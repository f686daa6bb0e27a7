//! RS256 verification against a JWKS document (`/<pool-id>/.well-known/jwks.json`), for tests
//! that check tokens moto or a test key issued. Product code does not verify signatures: API
//! Gateway's Cognito authorizer does.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};

use crate::claims::{decode_claims, Claims};

/// Why a token did not verify.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("the JWKS document is not valid: {0}")]
    Jwks(String),
    #[error("the token header is not readable: {0}")]
    Header(String),
    #[error("the token is signed with {0:?}, not RS256")]
    Algorithm(Algorithm),
    #[error("no key with kid {0:?} in the JWKS")]
    UnknownKid(String),
    #[error("the token did not verify: {0}")]
    Invalid(String),
}

/// Verifies `token`'s RS256 signature with the JWKS key named by its `kid` (the only key when
/// it has none), and its `iss`; `aud` too when `audience` is given; `exp` when `check_exp`.
/// Returns the decoded claims.
pub fn verify_rs256(
    token: &str,
    jwks_json: &str,
    issuer: &str,
    audience: Option<&str>,
    check_exp: bool,
) -> Result<Claims, JwksError> {
    let set: JwkSet =
        serde_json::from_str(jwks_json).map_err(|e| JwksError::Jwks(e.to_string()))?;
    let header = decode_header(token).map_err(|e| JwksError::Header(e.to_string()))?;
    if header.alg != Algorithm::RS256 {
        return Err(JwksError::Algorithm(header.alg));
    }
    let jwk = match header.kid.as_deref() {
        Some(kid) => set
            .find(kid)
            .ok_or_else(|| JwksError::UnknownKid(kid.to_owned()))?,
        None if set.keys.len() == 1 => &set.keys[0],
        None => return Err(JwksError::UnknownKid(String::new())),
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|e| JwksError::Jwks(e.to_string()))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    validation.validate_exp = check_exp;
    validation.required_spec_claims.clear();
    decode::<serde_json::Value>(token, &key, &validation)
        .map_err(|e| JwksError::Invalid(e.to_string()))?;
    decode_claims(token).map_err(|e| JwksError::Invalid(e.to_string()))
}
