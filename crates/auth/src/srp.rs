//! Cognito's `USER_SRP_AUTH`, client side.
//!
//! Cognito runs SRP-6a over the 3072-bit group of RFC 5054 (`N`, `g = 2`) with SHA-256 and a few
//! conventions of its own, which this module follows:
//!
//! * numbers are hashed as big-endian bytes with a `0x00` byte in front when the top bit is set
//!   (the "padded hex" of AWS's own SDKs), not padded to the length of `N`;
//! * `k = H(N | g)`, `u = H(A | B)`, `x = H(salt | H(poolName | userId | ":" | password))` where
//!   `poolName` is the part of the pool id after `_` and `userId` is the challenge's
//!   `USER_ID_FOR_SRP`; the salt is hashed as the bytes of its hex string, leading zeros kept;
//! * `S = (B - k·g^x)^(a + u·x) mod N`; the key is HKDF-SHA256 with salt `u`, input `S` and info
//!   `"Caldera Derived Key"`, 16 bytes;
//! * the claim signature is `base64(HMAC-SHA256(key, poolName | userId | secretBlock | timestamp))`
//!   with the secret block base64-decoded and the timestamp as [`cognito_timestamp`] writes it.
//!
//! The client aborts when `B mod N == 0` or `u == 0` (SRP-6a's safety checks).

use std::fmt;
use std::sync::LazyLock;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use num_bigint::BigUint;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::Secret;

type HmacSha256 = Hmac<Sha256>;

/// RFC 5054 (appendix A) / RFC 3526 3072-bit group prime, the one Cognito uses.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const G: u32 = 2;
const DERIVED_KEY_INFO: &[u8] = b"Caldera Derived Key";

static N: LazyLock<BigUint> =
    LazyLock::new(|| BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N is valid hex"));
static K: LazyLock<BigUint> = LazyLock::new(|| {
    let mut h = Sha256::new();
    h.update(padded(&N));
    h.update(padded(&BigUint::from(G)));
    BigUint::from_bytes_be(&h.finalize())
});

/// Why an SRP step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrpError {
    #[error("invalid user pool id {0:?}: expected <region>_<id>, e.g. us-east-1_AbC123xyz")]
    InvalidPoolId(String),
    #[error("invalid {field} from Cognito: {reason}")]
    InvalidChallenge { field: &'static str, reason: String },
    #[error("unsafe SRP_B from Cognito (B mod N is 0): refusing to continue")]
    UnsafeB,
    #[error("unsafe SRP parameters (u = H(A|B) is 0): refusing to continue")]
    UnsafeU,
    #[error("invalid secret a: {0}")]
    InvalidSecretA(String),
}

/// The client side of one `USER_SRP_AUTH` sign-in: holds the secret `a` between `InitiateAuth`
/// (send [`SrpSession::new`]'s `SRP_A`) and the `PASSWORD_VERIFIER` challenge
/// ([`SrpSession::password_verifier`]). `Debug` shows neither the password nor `a`.
pub struct SrpSession {
    pool_id: String,
    pool_name: String,
    username: String,
    password: Secret,
    a: BigUint,
    big_a: BigUint,
}

impl fmt::Debug for SrpSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpSession")
            .field("pool_id", &self.pool_id)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("a", &"<redacted>")
            .finish()
    }
}

impl SrpSession {
    /// Starts a sign-in with a fresh random secret `a` (128 random bytes reduced mod `N`).
    /// Returns the session and `SRP_A` as lowercase hex, for `InitiateAuth`'s `AuthParameters`.
    ///
    /// The pool id is checked when the challenge is answered ([`SrpError::InvalidPoolId`]).
    pub fn new(pool_id: &str, username: &str, password: &str) -> (SrpSession, String) {
        let mut bytes = [0u8; 128];
        loop {
            rand::rng().fill_bytes(&mut bytes);
            let a = BigUint::from_bytes_be(&bytes) % &*N;
            bytes.fill(0);
            if let Ok(pair) = Self::with_a(pool_id, username, password, a) {
                return pair;
            }
        }
    }

    /// Test-only: a session with a chosen secret `a` (hex), so that tests can compare A and the
    /// signature with an independent implementation. Never use outside tests.
    #[doc(hidden)]
    pub fn with_secret_a_hex(
        pool_id: &str,
        username: &str,
        password: &str,
        a_hex: &str,
    ) -> Result<(SrpSession, String), SrpError> {
        let a = BigUint::parse_bytes(a_hex.as_bytes(), 16)
            .ok_or_else(|| SrpError::InvalidSecretA("not hex".into()))?;
        Self::with_a(pool_id, username, password, a)
    }

    fn with_a(
        pool_id: &str,
        username: &str,
        password: &str,
        a: BigUint,
    ) -> Result<(SrpSession, String), SrpError> {
        if a == BigUint::ZERO || a >= *N {
            return Err(SrpError::InvalidSecretA("must be in 1..N".into()));
        }
        let big_a = BigUint::from(G).modpow(&a, &N);
        if big_a == BigUint::ZERO {
            return Err(SrpError::InvalidSecretA("A mod N is 0".into()));
        }
        let a_hex = big_a.to_str_radix(16);
        let session = SrpSession {
            pool_id: pool_id.to_owned(),
            pool_name: pool_name(pool_id).unwrap_or_default().to_owned(),
            username: username.to_owned(),
            password: Secret::new(password),
            a,
            big_a,
        };
        Ok((session, a_hex))
    }

    /// The username this session signs in (`USERNAME` in `InitiateAuth`).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// `SRP_A` as lowercase hex without leading zeros.
    pub fn srp_a_hex(&self) -> String {
        self.big_a.to_str_radix(16)
    }

    /// Answers the `PASSWORD_VERIFIER` challenge: returns `PASSWORD_CLAIM_SIGNATURE` (base64).
    ///
    /// `salt_hex`, `srp_b_hex`, `secret_block_b64` and `user_id_for_srp` are the challenge's
    /// `SALT`, `SRP_B`, `SECRET_BLOCK` and `USER_ID_FOR_SRP`; `timestamp` is what you send as
    /// `TIMESTAMP`, made by [`cognito_timestamp`].
    pub fn password_verifier(
        &self,
        salt_hex: &str,
        srp_b_hex: &str,
        secret_block_b64: &str,
        user_id_for_srp: &str,
        timestamp: &str,
    ) -> Result<String, SrpError> {
        pool_name(&self.pool_id).ok_or_else(|| SrpError::InvalidPoolId(self.pool_id.clone()))?;
        let salt = hex_bytes("SALT", salt_hex)?;
        let big_b = BigUint::from_bytes_be(&hex_bytes("SRP_B", srp_b_hex)?);
        let secret_block =
            BASE64
                .decode(secret_block_b64.trim())
                .map_err(|e| SrpError::InvalidChallenge {
                    field: "SECRET_BLOCK",
                    reason: format!("not base64: {e}"),
                })?;
        if user_id_for_srp.is_empty() {
            return Err(SrpError::InvalidChallenge {
                field: "USER_ID_FOR_SRP",
                reason: "empty".into(),
            });
        }

        let b_mod_n = &big_b % &*N;
        if b_mod_n == BigUint::ZERO {
            return Err(SrpError::UnsafeB);
        }
        let u = {
            let mut h = Sha256::new();
            h.update(padded(&self.big_a));
            h.update(padded(&big_b));
            BigUint::from_bytes_be(&h.finalize())
        };
        if u == BigUint::ZERO {
            return Err(SrpError::UnsafeU);
        }

        let identity = {
            let mut h = Sha256::new();
            h.update(self.pool_name.as_bytes());
            h.update(user_id_for_srp.as_bytes());
            h.update(b":");
            h.update(self.password.expose().as_bytes());
            h.finalize()
        };
        let x = {
            let mut h = Sha256::new();
            h.update(pad_bytes(salt));
            h.update(identity);
            BigUint::from_bytes_be(&h.finalize())
        };

        // base = (B - k·g^x) mod N, kept non-negative.
        let k_gx = (&*K * BigUint::from(G).modpow(&x, &N)) % &*N;
        let base = (b_mod_n + &*N - k_gx) % &*N;
        let exponent = &self.a + &u * &x;
        let s = base.modpow(&exponent, &N);

        let key = hkdf_16(&padded(&u), &padded(&s));
        let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(self.pool_name.as_bytes());
        mac.update(user_id_for_srp.as_bytes());
        mac.update(&secret_block);
        mac.update(timestamp.as_bytes());
        Ok(BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// Cognito's `TIMESTAMP` format: `Tue Nov 24 21:20:57 UTC 2026`, the day of the month without
/// padding (`Thu Jan 1 00:00:00 UTC 1970`).
pub fn cognito_timestamp(now: DateTime<Utc>) -> String {
    now.format("%a %b %-d %H:%M:%S UTC %Y").to_string()
}

/// The pool name: the pool id's part after the single `_` (`us-east-1_AbC` → `AbC`).
fn pool_name(pool_id: &str) -> Option<&str> {
    let (region, name) = pool_id.split_once('_')?;
    (!region.is_empty() && !name.is_empty() && !name.contains('_')).then_some(name)
}

fn hex_bytes(field: &'static str, value: &str) -> Result<Vec<u8>, SrpError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(SrpError::InvalidChallenge {
            field,
            reason: "empty".into(),
        });
    }
    let even;
    let value = if value.len() % 2 == 1 {
        even = format!("0{value}");
        even.as_str()
    } else {
        value
    };
    hex::decode(value).map_err(|e| SrpError::InvalidChallenge {
        field,
        reason: format!("not hex: {e}"),
    })
}

/// Big-endian bytes with a leading `0x00` when the top bit is set.
fn padded(n: &BigUint) -> Vec<u8> {
    pad_bytes(n.to_bytes_be())
}

fn pad_bytes(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.first().is_some_and(|b| *b >= 0x80) {
        bytes.insert(0, 0);
    }
    bytes
}

/// HKDF-SHA256 (RFC 5869) with one output block, truncated to 16 bytes.
fn hkdf_16(salt: &[u8], ikm: &[u8]) -> [u8; 16] {
    let mut extract = HmacSha256::new_from_slice(salt).expect("HMAC takes any key length");
    extract.update(ikm);
    let prk = extract.finalize().into_bytes();
    let mut expand = HmacSha256::new_from_slice(&prk).expect("HMAC takes any key length");
    expand.update(DERIVED_KEY_INFO);
    expand.update(&[1]);
    let okm = expand.finalize().into_bytes();
    let mut key = [0u8; 16];
    key.copy_from_slice(&okm[..16]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const POOL: &str = "us-east-1_AbCdEf123";

    #[test]
    fn timestamp_has_unpadded_day() {
        let t = Utc.with_ymd_and_hms(2026, 11, 24, 21, 20, 57).unwrap();
        assert_eq!(cognito_timestamp(t), "Tue Nov 24 21:20:57 UTC 2026");
        let t = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(cognito_timestamp(t), "Thu Jan 1 00:00:00 UTC 1970");
        let t = Utc.with_ymd_and_hms(2025, 2, 3, 8, 5, 9).unwrap();
        assert_eq!(cognito_timestamp(t), "Mon Feb 3 08:05:09 UTC 2025");
    }

    #[test]
    fn debug_redacts_password_and_a() {
        let (s, _) = SrpSession::new(POOL, "alice", "Sup3r$ecret");
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("Sup3r$ecret"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
        assert!(dbg.contains("alice"));
    }

    #[test]
    fn a_is_fresh_and_in_range() {
        let (s1, a1) = SrpSession::new(POOL, "alice", "pw");
        let (_, a2) = SrpSession::new(POOL, "alice", "pw");
        assert_ne!(a1, a2);
        assert_eq!(a1, s1.srp_a_hex());
        let big_a = BigUint::parse_bytes(a1.as_bytes(), 16).unwrap();
        assert!(big_a > BigUint::ZERO && big_a < *N);
        assert!(!a1.starts_with('0'));
    }

    #[test]
    fn k_matches_the_published_value() {
        // k = H(00 | N | 02), the multiplier every Cognito client computes.
        let mut h = Sha256::new();
        h.update(hex::decode(format!("00{N_HEX}02")).unwrap());
        assert_eq!(*K, BigUint::from_bytes_be(&h.finalize()));
        assert_eq!(N.bits(), 3072);
    }

    #[test]
    fn rejects_b_multiple_of_n_and_bad_inputs() {
        let (s, _) = SrpSession::with_secret_a_hex(POOL, "alice", "pw", "1234").unwrap();
        let block = BASE64.encode(b"block");
        let ts = "Tue Nov 24 21:20:57 UTC 2026";
        assert_eq!(
            s.password_verifier("ab", "0", &block, "alice", ts),
            Err(SrpError::UnsafeB)
        );
        assert_eq!(
            s.password_verifier("ab", N_HEX, &block, "alice", ts),
            Err(SrpError::UnsafeB)
        );
        let two_n = (&*N * 2u32).to_str_radix(16);
        assert_eq!(
            s.password_verifier("ab", &two_n, &block, "alice", ts),
            Err(SrpError::UnsafeB)
        );
        assert!(matches!(
            s.password_verifier("zz", "05", &block, "alice", ts),
            Err(SrpError::InvalidChallenge { field: "SALT", .. })
        ));
        assert!(matches!(
            s.password_verifier("ab", "05", "***", "alice", ts),
            Err(SrpError::InvalidChallenge {
                field: "SECRET_BLOCK",
                ..
            })
        ));
        let (bad, _) = SrpSession::with_secret_a_hex("nounderscore", "a", "pw", "12").unwrap();
        assert!(matches!(
            bad.password_verifier("ab", "05", &block, "alice", ts),
            Err(SrpError::InvalidPoolId(_))
        ));
        assert!(SrpSession::with_secret_a_hex(POOL, "a", "pw", "0").is_err());
        assert!(SrpSession::with_secret_a_hex(POOL, "a", "pw", N_HEX).is_err());
    }

    #[test]
    fn signature_depends_on_every_input() {
        let (s, _) = SrpSession::with_secret_a_hex(POOL, "alice", "pw", "abcdef0123").unwrap();
        let block = BASE64.encode([7u8; 48]);
        let ts = "Tue Nov 24 21:20:57 UTC 2026";
        let b = "5d1f3a";
        let base = s.password_verifier("00ab", b, &block, "alice", ts).unwrap();
        assert_eq!(BASE64.decode(&base).unwrap().len(), 32);
        for other in [
            s.password_verifier("00ac", b, &block, "alice", ts).unwrap(),
            s.password_verifier("00ab", "5d1f3b", &block, "alice", ts)
                .unwrap(),
            s.password_verifier("00ab", b, &BASE64.encode([8u8; 48]), "alice", ts)
                .unwrap(),
            s.password_verifier("00ab", b, &block, "bob", ts).unwrap(),
            s.password_verifier("00ab", b, &block, "alice", "Wed Nov 25 21:20:57 UTC 2026")
                .unwrap(),
        ] {
            assert_ne!(base, other);
        }
        // Salts hash as their padded bytes: "ab", "0ab" and "00ab" are all 0x00 0xab.
        for same in ["ab", "0ab"] {
            assert_eq!(
                base,
                s.password_verifier(same, b, &block, "alice", ts).unwrap()
            );
        }
        let (s2, _) = SrpSession::with_secret_a_hex(POOL, "alice", "pw2", "abcdef0123").unwrap();
        assert_ne!(
            base,
            s2.password_verifier("00ab", b, &block, "alice", ts)
                .unwrap()
        );
    }
}
