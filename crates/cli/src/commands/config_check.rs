//! `config check`: every check a run makes before its first call — the file, the flags, the
//! environment (token shape, region, profile, endpoints) — and nothing else: no network call.
//! Exit 0 when a run would start, 2 on bad input.

use flarelink_core::config::{CertificateSource, Config, ConfigErrors, Domain, Environment};
use serde_json::json;

use crate::args::{CheckArgs, Cli};
use crate::clients;
use crate::{load_config, report_config_errors};

pub async fn run(cli: &Cli, args: &CheckArgs, human: bool) -> u8 {
    let config = match load_config(cli, &args.hostnames) {
        Ok(c) => c,
        Err(e) => return report_config_errors(&e, human),
    };
    let env = Environment::from_process();
    let mut problems = Vec::new();
    // What the configured commands need: link-domain and its steps (any [[domain]]) send the
    // Cloudflare token; they and provision, users, token and login-url need an AWS region.
    let needs_cloudflare = !config.domains.is_empty();
    let needs_aws = needs_cloudflare || config.api.is_some() || config.cognito.is_some();
    let token = if needs_cloudflare {
        match env.cloudflare_token() {
            Ok(_) => "set (CLOUDFLARE_API_TOKEN)",
            Err(e) => {
                problems.push(e);
                "missing"
            }
        }
    } else {
        "not needed (no [[domain]])"
    };
    let aws = clients::check_aws_files(&config).await;
    problems.extend(aws.problems);
    let region = config.region.clone().or(aws.profile_region.clone());
    if needs_aws && region.is_none() {
        problems.push(clients::no_region_problem());
    }
    if !problems.is_empty() {
        return report_config_errors(&ConfigErrors(problems), human);
    }
    print_summary(
        cli,
        &config,
        token,
        region.as_deref(),
        &aws.region_from,
        human,
    );
    0
}

fn print_summary(
    cli: &Cli,
    config: &Config,
    token: &str,
    region: Option<&str>,
    profile_region_from: &Option<String>,
    human: bool,
) {
    let region_from = config
        .sources
        .region
        .map(str::to_string)
        .or_else(|| profile_region_from.clone());
    let domains: Vec<_> = config
        .domains
        .iter()
        .map(|d| {
            json!({
                "hostname": d.hostname,
                "rest_api": d.rest_api,
                "stage": d.stage,
                "base_path": d.base_path_display(),
                "certificate_source": d.certificate.source,
                "key_type": d.certificate.key_type.as_str(),
                "validity_days": d.certificate.validity_days,
                "renew_before_days": d.certificate.renew_before_days,
                "validation_timeout_seconds": (d.certificate.source == CertificateSource::Acm)
                    .then_some(d.certificate.validation_timeout_seconds),
            })
        })
        .collect();
    if !human {
        let doc = json!({
            "ok": true,
            "report": {
                "config": cli.global.config.display().to_string(),
                "zone": config.zone,
                "ssl_mode": config.ssl_mode,
                "ssl_scope": config.ssl_scope,
                "cloudflare_api_base": config.cloudflare_api_base,
                "cloudflare_api_base_from": config.sources.cloudflare_api_base,
                "cloudflare_token": token,
                "region": region,
                "region_from": region_from,
                "profile": config.profile,
                "profile_from": config.sources.profile,
                "domains": domains,
                "api": config.api,
                "cognito": config.cognito,
                "remote_calls": 0,
            }
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    let row = |k: &str, v: String| println!("  {k:<20} {v}");
    println!(
        "{}: no problems found (every check of the file and the environment; nothing was sent to AWS or Cloudflare)",
        cli.global.config.display()
    );
    row("zone", config.zone.to_string());
    row(
        "SSL/TLS mode",
        format!("{:?}", config.ssl_mode).to_lowercase(),
    );
    row("SSL/TLS scope", config.ssl_scope.to_string());
    row(
        "Cloudflare API",
        format!(
            "{} ({})",
            config.cloudflare_api_base, config.sources.cloudflare_api_base
        ),
    );
    row("Cloudflare token", token.to_string());
    row(
        "AWS region",
        match (region, &region_from) {
            (Some(r), Some(from)) => format!("{r} ({from})"),
            (Some(r), None) => r.to_string(),
            (None, _) => "- (not needed)".into(),
        },
    );
    row(
        "AWS profile",
        match (&config.profile, config.sources.profile) {
            (Some(p), Some(from)) => format!("{p} ({from})"),
            _ => "- (the default credential chain)".into(),
        },
    );
    row(
        "AWS credentials",
        "resolved by the AWS chain at run time (not checked here: that can take a network call)"
            .into(),
    );
    for d in &config.domains {
        row(
            "domain",
            format!(
                "{} → {} stage {}, base path {}",
                d.hostname,
                d.rest_api,
                d.stage,
                d.base_path_display()
            ),
        );
        row("certificate", certificate_line(d));
    }
    if let Some(api) = &config.api {
        row(
            "api",
            format!(
                "{} stage {}, {} route(s)",
                api.name,
                api.stage,
                api.routes.len()
            ),
        );
    }
    if let Some(c) = &config.cognito {
        row(
            "cognito",
            format!(
                "pool {}, client {}, prefix {}",
                c.user_pool, c.app_client, c.domain_prefix
            ),
        );
    }
}

/// Where the hostname's certificate comes from, as `config check` shows it.
fn certificate_line(d: &Domain) -> String {
    let c = &d.certificate;
    let renew = match c.renew_before_days {
        Some(days) => format!("renewed {days} days before expiry"),
        None => "renewed 30 days (or a third of its lifetime) before expiry".into(),
    };
    match c.source {
        CertificateSource::OriginCa => format!(
            "{}: Cloudflare Origin CA ({}, {} days) imported into ACM, {renew}",
            d.hostname,
            c.key_type.as_str(),
            c.validity_days
        ),
        CertificateSource::Acm => format!(
            "{}: issued by ACM (DNS validation in Cloudflare, waited for up to {} s), renewed by ACM",
            d.hostname, c.validation_timeout_seconds
        ),
    }
}
