//! The `[cognito]` and `[api]` sections: the guide's user pool, app client, hosted-UI domain and
//! REST API, validated before any remote call.

use super::file::{ApiSection, CognitoSection};
use super::ConfigError;

pub const DEFAULT_UPSTREAM: &str = "https://pokeapi.co/api/v2/pokemon/ditto";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub temporary_password_validity_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CognitoConfig {
    pub user_pool: String,
    pub app_client: String,
    pub domain_prefix: String,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    pub allow_user_password_auth: bool,
    pub implicit_flow: bool,
    pub deletion_protection: bool,
    pub password_policy: PasswordPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteAuth {
    Cognito,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Route {
    /// `/ditto`, `/pokemon/{name}`.
    pub path: String,
    /// Upper case: GET, POST, … or ANY.
    pub method: String,
    pub upstream: String,
    pub auth: RouteAuth,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiConfig {
    pub name: String,
    pub stage: String,
    pub routes: Vec<Route>,
}

/// The guide's single route.
pub fn default_routes() -> Vec<Route> {
    vec![Route {
        path: "/ditto".into(),
        method: "GET".into(),
        upstream: DEFAULT_UPSTREAM.into(),
        auth: RouteAuth::Cognito,
    }]
}

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

pub(super) fn check_name(field: &str, value: &str, what: &str, errors: &mut Vec<ConfigError>) {
    let ok_char = |c: char| c.is_alphanumeric() || " +=,.@-_".contains(c);
    if !value.trim().is_empty() && value.trim() != value && value.trim().chars().all(ok_char) {
        errors.push(ConfigError::new(
            field,
            value,
            "has spaces around it",
            format!("write it exactly as \"{}\"", value.trim()),
        ));
        return;
    }
    if value.trim().is_empty() || value.len() > 128 || !value.chars().all(ok_char) {
        errors.push(ConfigError::new(
            field,
            value,
            format!("is not a valid {what} name"),
            "use 1 to 128 letters, digits, spaces and + = , . @ - _",
        ));
    }
}

/// Cognito's rule for prefix domains: lower-case letters, digits and hyphens, not starting or
/// ending with a hyphen, and not containing the reserved words `aws`, `amazon` or `cognito`.
pub fn check_domain_prefix(prefix: &str) -> Result<(), (String, String)> {
    let fix = "use 1 to 63 lower-case letters, digits and hyphens, e.g. \"myapp-auth-7f3k\" (it must be unique across all of AWS in the region)";
    if prefix.is_empty() || prefix.len() > 63 {
        return Err(("must be 1 to 63 characters".into(), fix.into()));
    }
    if let Some(bad) = prefix
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err((format!("has the character {bad:?}"), fix.into()));
    }
    if prefix.starts_with('-') || prefix.ends_with('-') {
        return Err(("starts or ends with a hyphen".into(), fix.into()));
    }
    for reserved in ["aws", "amazon", "cognito"] {
        if prefix.contains(reserved) {
            return Err((
                format!("contains the reserved word {reserved:?}"),
                "Cognito refuses prefixes containing aws, amazon or cognito; choose another".into(),
            ));
        }
    }
    Ok(())
}

/// Callback and sign-out URLs: absolute https (http only for localhost), no fragment.
pub fn check_callback_url(value: &str) -> Result<(), (String, String)> {
    let fix =
        "use an absolute https:// URL without a #fragment (http:// is allowed only for localhost)";
    let url =
        url::Url::parse(value).map_err(|e| (format!("is not a URL ({e})"), fix.to_string()))?;
    let local = matches!(url.host_str(), Some("localhost") | Some("127.0.0.1"));
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        other => return Err((format!("uses {other}://"), fix.into())),
    }
    if url.fragment().is_some() {
        return Err(("has a #fragment".into(), fix.into()));
    }
    Ok(())
}

/// An API Gateway resource path: `/`-separated segments of letters, digits, `.`, `_`, `-`, or a
/// `{param}` / `{proxy+}` segment.
pub fn check_route_path(path: &str) -> Result<(), (String, String)> {
    let fix = "write it like /ditto or /pokemon/{name}: a leading '/', no trailing '/', segments of letters, digits, . _ - or {param}";
    if !path.starts_with('/') || path.len() < 2 || path.ends_with('/') {
        return Err((
            "must start with '/' and name at least one segment, without a trailing '/'".into(),
            fix.into(),
        ));
    }
    for segment in path[1..].split('/') {
        let param = segment
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .map(|s| s.strip_suffix('+').unwrap_or(s));
        let ok = match param {
            Some(name) => {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            }
            None => {
                !segment.is_empty()
                    && segment
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            }
        };
        if !ok {
            return Err((format!("has an invalid segment {segment:?}"), fix.into()));
        }
    }
    Ok(())
}

/// The names of a route path's variables: `name` for `{name}`, `proxy` for `{proxy+}`.
pub fn path_variables(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|v| v.trim_end_matches('+').to_string())
        .collect()
}

/// The `{name}` (or `{name+}`) placeholders an upstream URL uses, by name, in order.
pub fn upstream_placeholders(upstream: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = upstream;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = rest[start + 1..start + len]
            .trim_end_matches('+')
            .to_string();
        if !names.contains(&name) {
            names.push(name);
        }
        rest = &rest[start + len + 1..];
    }
    names
}

pub(super) fn validate_cognito(s: &CognitoSection, errors: &mut Vec<ConfigError>) -> CognitoConfig {
    if let Some(v) = &s.user_pool {
        check_name("cognito.user_pool", v, "user pool", errors);
    }
    if let Some(v) = &s.app_client {
        check_name("cognito.app_client", v, "app client", errors);
    }
    if let Some(v) = &s.domain_prefix {
        if let Err((problem, fix)) = check_domain_prefix(v) {
            errors.push(ConfigError::new("cognito.domain_prefix", v, problem, fix));
        }
    }
    if s.callback_urls.is_empty() {
        errors.push(ConfigError::new(
            "cognito.callback_urls",
            "[]",
            "is empty; the hosted UI needs somewhere to send users after sign-in",
            "add one, e.g. callback_urls = [\"https://example.com\"] (the guide's)",
        ));
    }
    for (field, urls) in [
        ("cognito.callback_urls", &s.callback_urls),
        ("cognito.logout_urls", &s.logout_urls),
    ] {
        for (i, u) in urls.iter().enumerate() {
            if let Err((problem, fix)) = check_callback_url(u) {
                errors.push(ConfigError::new(format!("{field}[{i}]"), u, problem, fix));
            }
        }
    }
    let p = &s.password_policy;
    let min_length = p.min_length.unwrap_or(8);
    if !(6..=99).contains(&min_length) {
        errors.push(ConfigError::new(
            "cognito.password_policy.min_length",
            min_length.to_string(),
            "must be between 6 and 99 (Cognito's range)",
            "8 is the default; 12 or more is better",
        ));
    }
    let temporary = p.temporary_password_validity_days.unwrap_or(7);
    if !(1..=365).contains(&temporary) {
        errors.push(ConfigError::new(
            "cognito.password_policy.temporary_password_validity_days",
            temporary.to_string(),
            "must be between 1 and 365",
            "7 is the default",
        ));
    }
    CognitoConfig {
        user_pool: s.user_pool.clone().unwrap_or_default(),
        app_client: s.app_client.clone().unwrap_or_default(),
        domain_prefix: s.domain_prefix.clone().unwrap_or_default(),
        callback_urls: s.callback_urls.clone(),
        logout_urls: s.logout_urls.clone(),
        allow_user_password_auth: s.allow_user_password_auth,
        implicit_flow: s.implicit_flow.unwrap_or(true),
        deletion_protection: s.deletion_protection.unwrap_or(true),
        password_policy: PasswordPolicy {
            min_length,
            require_uppercase: p.require_uppercase.unwrap_or(true),
            require_lowercase: p.require_lowercase.unwrap_or(true),
            require_numbers: p.require_numbers.unwrap_or(true),
            require_symbols: p.require_symbols.unwrap_or(true),
            temporary_password_validity_days: temporary,
        },
    }
}

pub(super) fn validate_api(
    s: &ApiSection,
    has_cognito: bool,
    errors: &mut Vec<ConfigError>,
) -> ApiConfig {
    if let Some(v) = &s.name {
        check_name("api.name", v, "REST API", errors);
    }
    if let Some(v) = &s.stage {
        if let Err((problem, fix)) = super::names::check_stage(v) {
            errors.push(ConfigError::new("api.stage", v, problem, fix));
        }
    }
    let mut routes = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in s.routes.iter().enumerate() {
        let field = |f: &str| format!("api.route[{i}].{f}");
        let path = r.path.clone().unwrap_or_default();
        if let Some(p) = &r.path {
            if let Err((problem, fix)) = check_route_path(p) {
                errors.push(ConfigError::new(field("path"), p, problem, fix));
            }
        }
        let method = r
            .method
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        if let Some(m) = &r.method {
            if !METHODS.contains(&method.as_str()) {
                errors.push(ConfigError::new(
                    field("method"),
                    m,
                    "is not an HTTP method API Gateway accepts",
                    "use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY",
                ));
            }
        }
        let upstream = r.upstream.clone().unwrap_or_default();
        if let Some(u) = &r.upstream {
            match url::Url::parse(u) {
                Ok(url)
                    if matches!(url.scheme(), "http" | "https")
                        && url.host().is_some()
                        && u.trim() == u => {}
                _ => errors.push(ConfigError::new(
                    field("upstream"),
                    super::environment::shown_url(u),
                    "is not an http(s) URL",
                    format!("give the upstream URL, e.g. {DEFAULT_UPSTREAM}"),
                )),
            }
        }
        if let (Some(p), Some(u)) = (&r.path, &r.upstream) {
            let vars = path_variables(p);
            for name in upstream_placeholders(u) {
                if !vars.contains(&name) {
                    errors.push(ConfigError::new(
                        field("upstream"),
                        super::environment::shown_url(u),
                        format!("uses {{{name}}}, which path {p:?} has no variable for"),
                        format!(
                            "add a {{{name}}} segment to the path, or remove {{{name}}} from the upstream"
                        ),
                    ));
                }
            }
        }
        let auth = match r.auth.as_deref().unwrap_or("cognito") {
            "cognito" => RouteAuth::Cognito,
            "none" => RouteAuth::None,
            other => {
                errors.push(ConfigError::new(
                    field("auth"),
                    other,
                    "is not a route authorization",
                    "use \"cognito\" (the Cognito authorizer) or \"none\" (public)",
                ));
                RouteAuth::Cognito
            }
        };
        if auth == RouteAuth::Cognito && !has_cognito {
            errors.push(ConfigError::new(
                field("auth"),
                "cognito",
                "needs a [cognito] section for the authorizer's user pool",
                "add [cognito], or set auth = \"none\"",
            ));
        }
        if r.path.is_some() && r.method.is_some() && !seen.insert((path.clone(), method.clone())) {
            errors.push(ConfigError::new(
                field("path"),
                format!("{method} {path}"),
                "is listed twice",
                "list each method and path once",
            ));
        }
        routes.push(Route {
            path,
            method,
            upstream,
            auth,
        });
    }
    if s.routes.is_empty() {
        routes = default_routes();
        if !has_cognito {
            errors.push(ConfigError::new(
                "api.route",
                "(the guide's GET /ditto)",
                "the default route uses the Cognito authorizer, but there is no [cognito] section",
                "add [cognito], or list routes with auth = \"none\"",
            ));
        }
    }
    ApiConfig {
        name: s.name.clone().unwrap_or_default(),
        stage: s.stage.clone().unwrap_or_default(),
        routes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_prefixes() {
        assert!(check_domain_prefix("apigatewayauthonetwothree").is_ok());
        assert!(check_domain_prefix("my-app-7").is_ok());
        for bad in [
            "",
            "-x",
            "x-",
            "My-App",
            "my_app",
            "awsome",
            "my-cognito",
            "amazonian",
        ] {
            assert!(check_domain_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn callback_urls() {
        assert!(check_callback_url("https://example.com").is_ok());
        assert!(check_callback_url("http://localhost:3000/cb").is_ok());
        assert!(check_callback_url("http://example.com").is_err());
        assert!(check_callback_url("https://example.com/#x").is_err());
        assert!(check_callback_url("example.com").is_err());
    }

    #[test]
    fn path_variables_and_upstream_placeholders_are_read_by_name() {
        assert_eq!(path_variables("/pokemon/{name}"), vec!["name"]);
        assert_eq!(path_variables("/a/{id}/b/{proxy+}"), vec!["id", "proxy"]);
        assert!(path_variables("/ditto").is_empty());
        assert_eq!(
            upstream_placeholders("https://pokeapi.co/api/v2/pokemon/{name}"),
            vec!["name"]
        );
        assert_eq!(
            upstream_placeholders("https://h/{proxy}/x/{id}?q={id}"),
            vec!["proxy", "id"]
        );
        assert!(upstream_placeholders("https://pokeapi.co/api/v2/pokemon/ditto").is_empty());
    }

    #[test]
    fn route_paths() {
        for ok in ["/ditto", "/pokemon/{name}", "/a/{proxy+}", "/v1.2/x_y-z"] {
            assert!(check_route_path(ok).is_ok(), "{ok}");
        }
        for bad in ["ditto", "/", "/ditto/", "/a//b", "/a b", "/{}", "/{na-me}"] {
            assert!(check_route_path(bad).is_err(), "{bad}");
        }
    }
}
