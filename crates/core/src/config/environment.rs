//! The environment variables flarelink (and the AWS SDK under it) reads, captured once and
//! checked with the file and the flags, so that a bad `AWS_REGION` or `CLOUDFLARE_API_BASE` is
//! bad input (exit 2, before any call) rather than a network failure blamed on the cloud.

use std::collections::BTreeMap;

use super::ConfigError;

pub const TOKEN_ENV: &str = "CLOUDFLARE_API_TOKEN";
pub const API_BASE_ENV: &str = "CLOUDFLARE_API_BASE";

/// Every variable looked at; the rest of the environment is never read.
pub const VARIABLES: &[&str] = &[
    TOKEN_ENV,
    API_BASE_ENV,
    "CLOUDFLARE_API_KEY",
    "CLOUDFLARE_EMAIL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ACM",
    "AWS_ENDPOINT_URL_API_GATEWAY",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
];

/// A snapshot of [`VARIABLES`]. A variable set to the empty string counts as not set (as the AWS
/// SDK treats it, and as `FOO= cmd` is commonly used to unset one).
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: BTreeMap<String, String>,
}

impl Environment {
    pub fn from_process() -> Self {
        let mut vars = BTreeMap::new();
        for name in VARIABLES {
            match std::env::var(name) {
                Ok(v) => {
                    vars.insert(name.to_string(), v);
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    vars.insert(name.to_string(), "\u{FFFD}".to_string());
                }
                Err(std::env::VarError::NotPresent) => {}
            }
        }
        Environment { vars }
    }

    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Environment {
            vars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The value, when set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Every problem with the variables that are set (whether each is *needed* is the command's
    /// business: a missing token is fine for a dry-run).
    pub fn check(&self) -> Vec<ConfigError> {
        let mut problems = Vec::new();
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let Some(v) = self.get(name) {
                if let Err((problem, fix)) = super::names::check_region(v) {
                    problems.push(ConfigError::new(name, v, problem, fix));
                }
            }
        }
        if let Some(p) = self.get("AWS_PROFILE") {
            if let Err((problem, fix)) = check_profile_name(p) {
                problems.push(ConfigError::new("AWS_PROFILE", p, problem, fix));
            }
        }
        for name in [
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_ACM",
            "AWS_ENDPOINT_URL_API_GATEWAY",
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        ] {
            if let Some(v) = self.get(name) {
                if let Err((problem, fix)) = check_endpoint_url(v, false) {
                    problems.push(ConfigError::new(name, shown_url(v), problem, fix));
                }
            }
        }
        for name in [
            "AWS_USE_FIPS_ENDPOINT",
            "AWS_USE_DUALSTACK_ENDPOINT",
            "AWS_EC2_METADATA_DISABLED",
        ] {
            if let Some(v) = self.get(name) {
                if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
                    problems.push(ConfigError::new(
                        name,
                        v,
                        "is not true or false",
                        format!("export {name}=true or {name}=false, or unset it"),
                    ));
                }
            }
        }
        let key = self.get("AWS_ACCESS_KEY_ID");
        let secret = self.get("AWS_SECRET_ACCESS_KEY");
        match (key, secret) {
            (Some(_), None) => problems.push(ConfigError::new(
                "AWS_SECRET_ACCESS_KEY",
                "(not set)",
                "is not set, but AWS_ACCESS_KEY_ID is: the SDK needs both",
                "export both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (and use a profile)",
            )),
            (None, Some(_)) => problems.push(ConfigError::new(
                "AWS_ACCESS_KEY_ID",
                "(not set)",
                "is not set, but AWS_SECRET_ACCESS_KEY is: the SDK needs both",
                "export both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (and use a profile)",
            )),
            _ => {}
        }
        if self.get("AWS_SESSION_TOKEN").is_some() && key.is_none() {
            problems.push(ConfigError::new(
                "AWS_SESSION_TOKEN",
                "(set, not shown)",
                "is set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, so it is ignored",
                "export all three from the same temporary credentials, or unset AWS_SESSION_TOKEN",
            ));
        }
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            if let Some(v) = self.get(name) {
                if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    problems.push(ConfigError::new(
                        name,
                        "(set, not shown)",
                        "contains spaces or a line break",
                        "copy the value again without spaces or line breaks",
                    ));
                }
            }
        }
        // An empty or missing token is the command's business (a dry-run does without).
        if let Some(t) = self.get(TOKEN_ENV) {
            if let Err(e) = check_token(t) {
                problems.push(e);
            }
        }
        if let Some(v) = self.get(API_BASE_ENV) {
            if let Err((problem, fix)) = check_endpoint_url(v, true) {
                problems.push(ConfigError::new(API_BASE_ENV, shown_url(v), problem, fix));
            }
        }
        problems
    }

    /// The Cloudflare token, for a command that sends it: checked as in [`Environment::check`],
    /// and its absence is a problem naming where to get one.
    pub fn cloudflare_token(&self) -> Result<String, ConfigError> {
        match self.vars.get(TOKEN_ENV) {
            None => {
                let mut fix = token_fix().to_string();
                if self.get("CLOUDFLARE_API_KEY").is_some() {
                    fix = format!("CLOUDFLARE_API_KEY (a Global API Key) is not used: {fix}");
                }
                Err(ConfigError::new(TOKEN_ENV, "(not set)", "is not set", fix))
            }
            Some(t) => check_token(t).map(|()| t.trim().to_string()),
        }
    }
}

fn token_fix() -> &'static str {
    "create an API token (My Profile › API Tokens) with Zone › Zone › Read, Zone › DNS › Edit, Zone › SSL and Certificates › Edit, Zone › Zone Settings › Edit and Zone › Config Rules › Edit for the zone, then export CLOUDFLARE_API_TOKEN=<token>"
}

/// The token's shape: the mistakes that would otherwise come back as a confusing 400 or 403
/// from Cloudflare. The value itself is never shown.
fn check_token(t: &str) -> Result<(), ConfigError> {
    let err =
        |problem: &str, fix: &str| Err(ConfigError::new(TOKEN_ENV, "(not shown)", problem, fix));
    if t.trim().is_empty() {
        return Err(ConfigError::new(
            TOKEN_ENV,
            "(empty)",
            "is empty",
            token_fix(),
        ));
    }
    let trimmed = t.trim();
    if trimmed.len() >= 7 && trimmed[..7].eq_ignore_ascii_case("bearer ") {
        return err(
            "includes the \"Bearer \" prefix",
            "set only the token itself; flarelink adds the Authorization header",
        );
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return err(
            "contains whitespace",
            "copy the token again without spaces or line breaks",
        );
    }
    if t != trimmed {
        return err(
            "has spaces or a line break around it",
            "export the token without surrounding whitespace (e.g. no trailing newline from a file: use $(tr -d '\\n' < file))",
        );
    }
    if trimmed.starts_with(['"', '\'']) || trimmed.ends_with(['"', '\'']) {
        return err(
            "is wrapped in quotes",
            "export the token without literal quote characters",
        );
    }
    if !trimmed.is_ascii() {
        return err(
            "contains non-ASCII characters",
            "copy the token again: API tokens are plain ASCII",
        );
    }
    if trimmed.len() == 37 && trimmed.chars().all(|c| c.is_ascii_hexdigit()) {
        return err(
            "looks like a Global API Key, not an API token",
            "flarelink authenticates with a scoped API token; create one under My Profile › API Tokens",
        );
    }
    if trimmed.starts_with("v1.0-") {
        return err(
            "looks like an Origin CA Key, which Cloudflare retired",
            "use an API token with Zone › SSL and Certificates › Edit instead",
        );
    }
    Ok(())
}

/// An AWS profile name as it appears in `[profile NAME]`.
pub fn check_profile_name(p: &str) -> Result<(), (String, String)> {
    if p.trim().is_empty() || p.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err((
            "is not a profile name (it has spaces or line breaks)".into(),
            "name a profile from ~/.aws/config, e.g. \"default\", or unset it to use the default chain"
                .into(),
        ));
    }
    if p.starts_with('[') || p.starts_with("profile") && p.contains(' ') {
        return Err((
            "is a section header, not a profile name".into(),
            "give only the name: for [profile dev] write dev".into(),
        ));
    }
    Ok(())
}

/// An endpoint URL (the Cloudflare API base, or an AWS endpoint override). The Cloudflare token
/// travels to it, so plain http is accepted only on loopback, and user:password in the URL never.
pub fn check_endpoint_url(value: &str, carries_token: bool) -> Result<(), (String, String)> {
    let example = if carries_token {
        "https://api.cloudflare.com/client/v4/"
    } else {
        "https://apigateway.us-east-1.amazonaws.com or http://127.0.0.1:5000 for a local stand-in"
    };
    if value.trim() != value {
        return Err((
            "has spaces around it".into(),
            format!("write the URL alone, e.g. {example}"),
        ));
    }
    let url = match url::Url::parse(value) {
        Ok(u) => u,
        Err(e) => return Err((format!("is not a URL ({e})"), format!("use e.g. {example}"))),
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err((
            "is not an http(s) URL".into(),
            format!("use e.g. {example}"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err((
            "has a user name or password in it".into(),
            "remove the credentials from the URL; they come from the environment or the AWS chain"
                .into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err((
            "has a ?query or #fragment".into(),
            format!("use the base URL alone, e.g. {example}"),
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if carries_token && url.scheme() == "http" && !loopback {
        return Err((
            "is plain http to another machine, which would send the API token unencrypted".into(),
            "use https:// (http:// is accepted only for 127.0.0.1 or localhost, e.g. the local emulator)".into(),
        ));
    }
    Ok(())
}

/// A URL as an error may show it: without any user:password part.
pub fn shown_url(value: &str) -> String {
    match url::Url::parse(value) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            format!("{u} (credentials removed)")
        }
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<String> {
        Environment::from_pairs(pairs)
            .check()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn every_variable_is_checked() {
        assert!(fields(&[("AWS_REGION", "us-east-1"), (TOKEN_ENV, "abc-123")]).is_empty());
        assert_eq!(fields(&[("AWS_REGION", "mars")]), ["AWS_REGION"]);
        assert_eq!(
            fields(&[("AWS_DEFAULT_REGION", "US-EAST-1")]),
            ["AWS_DEFAULT_REGION"]
        );
        assert_eq!(fields(&[("AWS_PROFILE", "my profile")]), ["AWS_PROFILE"]);
        assert_eq!(
            fields(&[("AWS_ENDPOINT_URL", "localhost:5000")]),
            ["AWS_ENDPOINT_URL"]
        );
        assert_eq!(
            fields(&[(API_BASE_ENV, "http://api.example.net/")]),
            [API_BASE_ENV]
        );
        assert!(fields(&[(API_BASE_ENV, "http://127.0.0.1:9/client/v4/")]).is_empty());
        assert_eq!(
            fields(&[("AWS_ACCESS_KEY_ID", "x")]),
            ["AWS_SECRET_ACCESS_KEY"]
        );
        assert_eq!(fields(&[(TOKEN_ENV, "Bearer x")]), [TOKEN_ENV]);
        assert_eq!(fields(&[(TOKEN_ENV, "\"abc\"")]), [TOKEN_ENV]);
        assert_eq!(fields(&[(TOKEN_ENV, "abc\n")]), [TOKEN_ENV]);
        // Empty means unset.
        assert!(fields(&[("AWS_REGION", "")]).is_empty());
    }

    #[test]
    fn token_values_are_never_shown() {
        let env = Environment::from_pairs(&[(TOKEN_ENV, "Bearer sekrit-value")]);
        let e = env.cloudflare_token().unwrap_err();
        assert!(!format!("{e}").contains("sekrit"), "{e}");
        let e = Environment::default().cloudflare_token().unwrap_err();
        assert_eq!(e.field, TOKEN_ENV);
    }
}
