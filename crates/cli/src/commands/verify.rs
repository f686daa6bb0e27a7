//! `verify`: the end-to-end check — through Cloudflare to API Gateway, without and with a token —
//! with a diagnosis of whatever goes wrong.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use flarelink_core::config::{Config, ConfigError, ConfigErrors};
use flarelink_core::session::{self, Flow};
use flarelink_verify::{
    run_checks, BypassTargets, DefaultEndpointTarget, Probe, RegionalTarget, Secret, ANY_HOST,
};

use crate::args::{Cli, VerifyArgs};
use crate::clients::{self, Built};
use crate::commands::password;
use crate::progress::Ui;
use crate::{load_config, report_config_errors, report_error};

/// `HOST:PORT:ADDR` as curl takes it; HOST may be `*` (every name not listed otherwise), as
/// curl's. Checked as a name: `*.example.com` or a URL is refused rather than silently never
/// matching.
fn parse_resolve(value: &str) -> Result<(String, SocketAddr), ConfigError> {
    let bad = || {
        ConfigError::new(
            "--resolve",
            value,
            "is not HOST:PORT:ADDR",
            "write it like curl does: api.example.com:443:127.0.0.1 (HOST * for every other name)",
        )
    };
    let mut parts = value.splitn(3, ':');
    let (host, port, addr) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.contains('*') && host != ANY_HOST {
        return Err(ConfigError::new(
            "--resolve",
            value,
            format!("HOST {host:?} is a partial wildcard, which curl does not take either"),
            "name the host exactly (e.g. d-abc123.execute-api.us-east-1.amazonaws.com:443:127.0.0.1), or use * for every name not listed otherwise",
        ));
    }
    let name_like = host == ANY_HOST
        || (!host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    if !name_like {
        return Err(bad());
    }
    let port: u16 = port.parse().map_err(|_| bad())?;
    let addr = (addr.trim_matches(['[', ']']), port)
        .to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)?;
    Ok((host, addr))
}

/// Everything from the command line and the config, checked before any network call.
fn probe_from(config: &Config, args: &VerifyArgs) -> Result<Probe, ConfigErrors> {
    let mut problems = Vec::new();
    let hostname = match args
        .hostname
        .clone()
        .or_else(|| config.domains.first().map(|d| d.hostname.clone()))
    {
        Some(h) => h,
        None => {
            problems.push(ConfigError::new(
                "--hostname",
                "",
                "no hostname to call",
                "pass --hostname or add a [[domain]]",
            ));
            String::new()
        }
    };
    if !hostname.is_empty() {
        if let Err((problem, fix)) = flarelink_core::config::names::check_hostname(&hostname) {
            problems.push(ConfigError::new(
                "--hostname",
                hostname.clone(),
                problem,
                fix,
            ));
        }
    }
    let route = args
        .route
        .clone()
        .or_else(|| {
            config
                .api
                .as_ref()
                .and_then(|a| a.routes.first())
                .map(|r| r.path.clone())
        })
        .unwrap_or_else(|| "/ditto".into());
    if !route.starts_with('/') || route.contains(char::is_whitespace) {
        problems.push(ConfigError::new(
            "--route",
            route.clone(),
            "is not a path",
            "write it like /ditto",
        ));
    }
    let mut probe = Probe::new(format!("https://{hostname}"), route);
    probe.timeout = config.retry.request_timeout.min(Duration::from_secs(30));
    probe.require_cloudflare = !args.allow_direct;
    for r in &args.resolve {
        match parse_resolve(r) {
            Ok((host, addr)) => {
                probe.resolve.insert(host, addr);
            }
            Err(e) => problems.push(e),
        }
    }
    if let Some(path) = &args.ca_file {
        match std::fs::read_to_string(path) {
            Ok(pem) if flarelink_core::certs::parse_certificate_pem(&pem).is_ok() => {
                probe.extra_root_ca_pem = Some(pem)
            }
            Ok(_) => problems.push(ConfigError::new(
                "--ca-file",
                path.display().to_string(),
                "holds no PEM certificate",
                "give the root certificate in PEM",
            )),
            Err(e) => problems.push(ConfigError::new(
                "--ca-file",
                path.display().to_string(),
                format!("cannot be read: {e}"),
                "give a PEM file",
            )),
        }
    }
    if let Some(var) = &args.token_env {
        match std::env::var(var) {
            Ok(t) if !t.trim().is_empty() => probe.token = Some(Secret::new(t.trim().to_string())),
            _ => problems.push(ConfigError::new(
                "--token-env",
                var.clone(),
                "names a variable that is not set",
                format!("export {var}=$(flarelink token --username U) first"),
            )),
        }
    }
    if problems.is_empty() {
        Ok(probe)
    } else {
        Err(ConfigErrors(problems))
    }
}

pub async fn run(cli: &Cli, args: &VerifyArgs, human: bool) -> u8 {
    let config = match load_config(cli, &[]) {
        Ok(c) => c,
        Err(e) => return report_config_errors(&e, human),
    };
    let mut probe = match probe_from(&config, args) {
        Ok(p) => p,
        Err(e) => return report_config_errors(&e, human),
    };
    let password = match &args.username {
        Some(u) => match password::read(&args.password, &format!("password for {u}: ")) {
            Ok(p) => Some(p),
            Err(e) => return report_config_errors(&e.into(), human),
        },
        None => None,
    };

    // AWS, when at hand: which pool and client tokens must come from (and the sign-in), and
    // where the ways around Cloudflare are. Without it verify still calls the hostname.
    let aws = match clients::aws_only(&config, true, Arc::new(Ui::new(false))).await {
        Ok(Built::Ready(aws)) => Some(aws),
        _ => None,
    };
    if let Some(c) = config.cognito.as_ref() {
        if let Some(aws) = &aws {
            match session::target(aws, c).await {
                Ok(target) => {
                    probe.expected_pool_id = Some(target.pool.id.clone());
                    probe.expected_client_id = Some(target.client.id.clone());
                    if let (Some(username), Some(password)) = (&args.username, &password) {
                        match session::sign_in(aws, &target, username, password, Flow::Srp).await {
                            Ok(tokens) => {
                                probe.token =
                                    Some(Secret::new(tokens.id_token.expose().to_string()))
                            }
                            Err(e) => return report_error(&e, human),
                        }
                    }
                }
                Err(e) if args.username.is_some() => return report_error(&e, human),
                Err(_) => {}
            }
        }
    }
    if args.username.is_some() && probe.token.is_none() {
        return report_config_errors(
            &ConfigError::new(
                "--username",
                args.username.clone().unwrap_or_default(),
                "cannot sign in without AWS credentials and a [cognito] section",
                "configure both, or pass --token-env VAR",
            )
            .into(),
            human,
        );
    }

    let hostname = probe.base_url.trim_start_matches("https://").to_owned();
    probe.bypass = Some(
        bypass_targets(
            aws.as_deref(),
            &config,
            &hostname,
            &probe.route,
            args.require_origin_lock,
        )
        .await,
    );

    match run_checks(&probe).await {
        Ok(report) => {
            if human {
                print!("{report}");
                if probe.token.is_none() {
                    println!("(no token given: only the unauthenticated call was checked; pass --username or --token-env)");
                }
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"ok": report.ok, "report": report})
                    )
                    .expect("json")
                );
            }
            // Both answers must be as expected: without a token only one was checked.
            if report.ok && probe.token.is_some() {
                0
            } else {
                1
            }
        }
        // Input was checked before any call; what is left is a probe that could not be set up.
        Err(e) => {
            let e = flarelink_core::Error::Precondition {
                step: flarelink_core::StepId::DnsRecord,
                hostname: probe.base_url.clone(),
                message: format!("the check could not run: {e}"),
                fix: "check --hostname, --route, --resolve and --ca-file".into(),
            };
            report_error(&e, human)
        }
    }
}

/// The route below the API mapping: the hostname's route without the mapping's base path
/// (the default endpoint has the stage where the custom domain has the base path).
fn below_base_path(route: &str, base_path: Option<&str>) -> String {
    let Some(base) = base_path
        .map(|b| b.trim_matches('/'))
        .filter(|b| !b.is_empty())
    else {
        return route.to_owned();
    };
    match route.strip_prefix('/').and_then(|r| r.strip_prefix(base)) {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => route.to_owned(),
    }
}

/// Where the two ways around Cloudflare are for `hostname`, read from API Gateway (reads only:
/// GetDomainName, the REST API and its `disableExecuteApiEndpoint`). Without AWS access, or
/// without a custom domain / `[[domain]]`, a target says why it is unknown.
async fn bypass_targets(
    aws: Option<&flarelink_aws::AwsClients>,
    config: &Config,
    hostname: &str,
    route: &str,
    require: bool,
) -> BypassTargets {
    let domain = config.domains.iter().find(|d| d.hostname == hostname);
    let lock_required = require || domain.is_some_and(|d| d.origin_lock_required());
    let Some(aws) = aws else {
        let why =
            "no AWS access (credentials and region) to read the custom domain and the REST API"
                .to_owned();
        return BypassTargets {
            lock_required,
            regional: Err(why.clone()),
            default_endpoint: Err(why),
        };
    };
    let apigw = &aws.apigateway;
    let regional = match apigw.get_domain_name(hostname).await {
        Ok(Some(d)) => match d.regional_domain_name {
            Some(regional_name) => {
                let mutual_tls_configured = match apigw.get_domain_client_auth(hostname).await {
                    Ok(Some(auth)) => Some(auth.mutual_tls.is_some()),
                    _ => None,
                };
                Ok(RegionalTarget {
                    regional_name,
                    mutual_tls_configured,
                })
            }
            None => Err(format!(
                "the custom domain {hostname} has no regional name (not a REGIONAL domain)"
            )),
        },
        Ok(None) => Err(format!(
            "API Gateway has no custom domain {hostname} in {}",
            aws.region()
        )),
        Err(e) => Err(format!("could not read the custom domain {hostname}: {e}")),
    };
    let default_endpoint = match domain {
        None => Err(format!(
            "{hostname} is not a [[domain]] of the configuration, so its REST API is not known"
        )),
        Some(d) => {
            match flarelink_core::resolve::rest_api(apigw, &d.rest_api, &d.stage, hostname).await {
                Ok(api) => Ok(DefaultEndpointTarget {
                    disabled_setting: apigw
                        .execute_api_endpoint_disabled(&api.id)
                        .await
                        .ok()
                        .flatten(),
                    rest_api_id: api.id,
                    region: aws.region().to_owned(),
                    stage: d.stage.clone(),
                    path: below_base_path(route, d.base_path.as_deref()),
                }),
                Err(e) => Err(format!("could not find the REST API: {e}")),
            }
        }
    };
    BypassTargets {
        lock_required,
        regional,
        default_endpoint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_like_curl() {
        let (h, a) = parse_resolve("API.example.com:443:127.0.0.1").unwrap();
        assert_eq!(h, "api.example.com");
        assert_eq!(a, "127.0.0.1:443".parse().unwrap());
        assert!(parse_resolve("api.example.com:443").is_err());
        assert!(parse_resolve("api.example.com:x:127.0.0.1").is_err());
        assert!(parse_resolve("api.example.com:443:[::1]").is_ok());
        let (h, a) = parse_resolve("*:8443:127.0.0.1").unwrap();
        assert_eq!((h.as_str(), a.port()), ("*", 8443));
        let e = parse_resolve("*.execute-api.us-east-1.amazonaws.com:443:127.0.0.1").unwrap_err();
        assert!(e.to_string().contains("partial wildcard"), "{e}");
        assert!(parse_resolve(":443:127.0.0.1").is_err());
        assert!(parse_resolve("https://api.example.com:443:127.0.0.1").is_err());
    }

    #[test]
    fn default_endpoint_path_drops_the_base_path() {
        assert_eq!(below_base_path("/ditto", None), "/ditto");
        assert_eq!(below_base_path("/v1/ditto", Some("v1")), "/ditto");
        assert_eq!(below_base_path("/v1", Some("v1")), "/");
        assert_eq!(below_base_path("/v10/ditto", Some("v1")), "/v10/ditto");
        assert_eq!(below_base_path("/a/b/c", Some("a/b")), "/c");
    }
}
