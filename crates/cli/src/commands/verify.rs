//! `verify`: the end-to-end check — through Cloudflare to API Gateway, without and with a token —
//! with a diagnosis of whatever goes wrong.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use flarelink_core::config::{Config, ConfigError, ConfigErrors};
use flarelink_core::session::{self, Flow};
use flarelink_verify::{run_checks, Probe, Secret};

use crate::args::{Cli, VerifyArgs};
use crate::clients::{self, Built};
use crate::commands::password;
use crate::progress::Ui;
use crate::{load_config, report_config_errors, report_error};

/// `HOST:PORT:ADDR` as curl takes it.
fn parse_resolve(value: &str) -> Result<(String, SocketAddr), ConfigError> {
    let bad = || {
        ConfigError::new(
            "--resolve",
            value,
            "is not HOST:PORT:ADDR",
            "write it like curl does: api.example.com:443:127.0.0.1",
        )
    };
    let mut parts = value.splitn(3, ':');
    let (host, port, addr) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    let port: u16 = port.parse().map_err(|_| bad())?;
    let addr = (addr.trim_matches(['[', ']']), port)
        .to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)?;
    Ok((host.to_ascii_lowercase(), addr))
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

    // With AWS at hand, learn which pool and client tokens must come from (and sign in).
    if let Some(c) = config.cognito.as_ref() {
        if let Ok(Built::Ready(aws)) =
            clients::aws_only(&config, true, Arc::new(Ui::new(false))).await
        {
            match session::target(&aws, c).await {
                Ok(target) => {
                    probe.expected_pool_id = Some(target.pool.id.clone());
                    probe.expected_client_id = Some(target.client.id.clone());
                    if let (Some(username), Some(password)) = (&args.username, &password) {
                        match session::sign_in(&aws, &target, username, password, Flow::Srp).await {
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
    }
}
