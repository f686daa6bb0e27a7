//! Recognising secrets where they do not belong — by the name of a key (`api_token = …` in
//! config.toml) or by the shape of a value (an AWS access key, a private key, a JWT) — so that
//! the error names where the secret should come from instead and never repeats it.

/// What an error shows instead of a secret.
pub const REDACTED: &str = "(redacted: looks like a secret)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    CloudflareToken,
    CloudflareGlobalKey,
    AwsAccessKey,
    AwsSecretKey,
    AwsSessionToken,
    Password,
    PrivateKey,
    Jwt,
    /// A long random-looking string: some token or key.
    Opaque,
}

impl SecretKind {
    /// Whether the shape leaves no doubt (a long random string might still be a name).
    pub fn is_certain(self) -> bool {
        self != SecretKind::Opaque
    }

    /// Where this secret comes from instead of the file.
    pub fn advice(self) -> &'static str {
        match self {
            SecretKind::CloudflareToken | SecretKind::CloudflareGlobalKey => {
                "remove it from the file (and rotate it if the file was shared): the Cloudflare API token comes only from the CLOUDFLARE_API_TOKEN environment variable (an API token, not the Global API Key)"
            }
            SecretKind::AwsAccessKey | SecretKind::AwsSecretKey | SecretKind::AwsSessionToken => {
                "remove it from the file (and rotate the key if the file was shared): AWS credentials come from the standard AWS chain — AWS_PROFILE / --profile / aws.profile with ~/.aws/credentials or `aws sso login`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
            }
            SecretKind::Password => {
                "remove it from the file: passwords come from --password-stdin, --password-env VAR or the terminal prompt, never from config.toml or the command line"
            }
            SecretKind::PrivateKey => {
                "remove it: flarelink makes each certificate's private key itself, in memory, and never reads or writes one"
            }
            SecretKind::Jwt => {
                "remove it: tokens are short-lived; get one with `flarelink token` and pass it to verify with --token-env VAR"
            }
            SecretKind::Opaque => {
                "secrets never go in config.toml: the Cloudflare token comes from CLOUDFLARE_API_TOKEN, AWS credentials from the AWS chain (AWS_PROFILE, ~/.aws/credentials, SSO, environment)"
            }
        }
    }
}

/// A key name that can only mean a secret.
pub fn key_kind(key: &str) -> Option<SecretKind> {
    let k = key.to_ascii_lowercase().replace('-', "_");
    let has = |s: &str| k.contains(s);
    if has("private_key") || k == "key_pem" || has("privkey") {
        return Some(SecretKind::PrivateKey);
    }
    if has("password") || has("passwd") || k == "pwd" || k == "pass" {
        return Some(SecretKind::Password);
    }
    if has("secret_access_key") || k == "secret_key" || k == "aws_secret" {
        return Some(SecretKind::AwsSecretKey);
    }
    if has("access_key") {
        return Some(SecretKind::AwsAccessKey);
    }
    if has("session_token") {
        return Some(SecretKind::AwsSessionToken);
    }
    if has("global_api_key")
        || has("auth_key")
        || k == "api_key"
        || k == "apikey"
        || has("service_key")
        || has("origin_ca_key")
    {
        return Some(SecretKind::CloudflareGlobalKey);
    }
    if has("token") || k == "bearer" || k == "authorization" {
        return Some(SecretKind::CloudflareToken);
    }
    if k == "secret" || k.ends_with("_secret") || k.starts_with("secret_") {
        return Some(SecretKind::Opaque);
    }
    None
}

/// A value whose shape gives it away as a secret. Names, hostnames, URLs and ids that the
/// configuration legitimately holds never match: they have dots, are short, or are hex ids.
pub fn value_kind(value: &str) -> Option<SecretKind> {
    let v = value.trim();
    if v.contains("PRIVATE KEY-----") {
        return Some(SecretKind::PrivateKey);
    }
    if v.len() >= 7 && v[..7].eq_ignore_ascii_case("bearer ") {
        return Some(SecretKind::CloudflareToken);
    }
    let upper_alnum = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    if v.len() == 20
        && ["AKIA", "ASIA", "AROA", "AIDA", "ABIA", "ACCA"]
            .iter()
            .any(|p| v.starts_with(p))
        && upper_alnum(v)
    {
        return Some(SecretKind::AwsAccessKey);
    }
    let parts: Vec<&str> = v.split('.').collect();
    if v.starts_with("eyJ") && parts.len() == 3 && parts.iter().all(|p| p.len() >= 4) {
        return Some(SecretKind::Jwt);
    }
    if v.len() == 37
        && v.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    {
        return Some(SecretKind::CloudflareGlobalKey);
    }
    if v.starts_with("v1.0-") && v.len() > 40 {
        return Some(SecretKind::CloudflareGlobalKey);
    }
    let token_chars = |c: char| c.is_ascii_alphanumeric() || "_-/+=".contains(c);
    let mixed = v.chars().any(|c| c.is_ascii_uppercase())
        && v.chars().any(|c| c.is_ascii_lowercase())
        && v.chars().any(|c| c.is_ascii_digit());
    if v.len() >= 30 && v.chars().all(token_chars) && mixed {
        // Cloudflare API tokens and AWS secret keys are 40 such characters.
        return Some(if v.len() == 40 && (v.contains('/') || v.contains('+')) {
            SecretKind::AwsSecretKey
        } else {
            SecretKind::Opaque
        });
    }
    if v.len() >= 100 && !v.contains(' ') && !v.contains("://") {
        // Session tokens and the like: very long, no spaces, not a URL.
        return Some(SecretKind::Opaque);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_recognised() {
        let pem = format!("-----BEGIN {}-----\nMIIB\n", "PRIVATE KEY");
        assert_eq!(value_kind(&pem), Some(SecretKind::PrivateKey));
        assert_eq!(
            value_kind("AKIAIOSFODNN7EXAMPLE"),
            Some(SecretKind::AwsAccessKey)
        );
        assert_eq!(
            value_kind("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            Some(SecretKind::AwsSecretKey)
        );
        assert!(value_kind("Bearer abc").is_some());
        assert!(value_kind("Xy7kP2mN9qR4sT6vW8zA1bC3dE5fG7hJ9kL2mN4p").is_some());
        for fine in [
            "example.com",
            "api.example.com",
            "0123456789abcdef0123456789abcdef",
            "ditto-api",
            "APIgatewayUserPoolClient",
            "https://pokeapi.co/api/v2/pokemon/ditto",
            "us-east-1",
            "a1b2c3d4e5",
            "",
        ] {
            assert_eq!(value_kind(fine), None, "{fine}");
        }
    }

    #[test]
    fn secret_keys_are_recognised() {
        for (k, want) in [
            ("api_token", SecretKind::CloudflareToken),
            ("token", SecretKind::CloudflareToken),
            ("aws_access_key_id", SecretKind::AwsAccessKey),
            ("aws_secret_access_key", SecretKind::AwsSecretKey),
            ("password", SecretKind::Password),
            ("private_key", SecretKind::PrivateKey),
            ("api_key", SecretKind::CloudflareGlobalKey),
        ] {
            assert_eq!(key_kind(k), Some(want), "{k}");
        }
        for fine in ["key_type", "hostname", "zone", "validity_days", "region"] {
            assert_eq!(key_kind(fine), None, "{fine}");
        }
    }
}
