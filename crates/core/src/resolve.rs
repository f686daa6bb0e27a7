//! Looking up what the configuration names: the Cloudflare zone and the REST API and stage.

use flarelink_aws::{ApiGateway, RestApi};
use flarelink_cloudflare::{CloudflareClient, Zone};

use crate::config::{names, ConfigError, ConfigErrors, ZoneRef};
use crate::error::{Context, Error};
use crate::report::StepId;

/// The zone by name or id. With an id, the hostname-inside-zone check that `Config` could not
/// make offline is made here, still before any write.
pub async fn zone(
    cloudflare: &CloudflareClient,
    zone: &ZoneRef,
    hostnames: &[String],
) -> Result<Zone, Error> {
    let found = match zone {
        ZoneRef::Name(name) => cloudflare.find_zone_by_name(name).await,
        ZoneRef::Id(id) => cloudflare.get_zone(id).await,
    };
    let found = match found {
        Ok(z) => z,
        Err(flarelink_cloudflare::Error::ZoneNotFound { name }) => {
            return Err(Error::Precondition {
                step: StepId::DnsRecord,
                hostname: hostnames.first().cloned().unwrap_or_default(),
                message: format!("Cloudflare zone {name:?} was not found"),
                fix: "check cloudflare.zone, and that the token's Zone Resources include this zone"
                    .into(),
            })
        }
        Err(e) => return Err(e).step(StepId::DnsRecord, &zone.to_string()),
    };
    if let ZoneRef::Id(_) = zone {
        let mut errors = Vec::new();
        for h in hostnames {
            if h == &found.name || !h.ends_with(&format!(".{}", found.name)) {
                errors.push(ConfigError::new(
                    "domain.hostname",
                    h.clone(),
                    format!("is not a subdomain of zone {} ({})", found.name, found.id),
                    format!("use a name ending in .{}", found.name),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Config(ConfigErrors(errors)));
        }
    }
    Ok(found)
}

/// A REST API id is 10 lower-case letters and digits.
fn looks_like_api_id(s: &str) -> bool {
    s.len() == 10
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// The REST API by id or by name (a name must be unambiguous), and its stage must exist.
pub async fn rest_api(
    apigateway: &ApiGateway,
    wanted: &str,
    stage: &str,
    hostname: &str,
) -> Result<RestApi, Error> {
    let step = StepId::ApiMapping;
    let mut api = None;
    if looks_like_api_id(wanted) {
        api = apigateway.get_rest_api(wanted).await.step(step, hostname)?;
    }
    let api = match api {
        Some(a) => a,
        None => {
            let all = apigateway.list_rest_apis().await.step(step, hostname)?;
            let mut named: Vec<RestApi> = all.into_iter().filter(|a| a.name == wanted).collect();
            match named.len() {
                1 => named.remove(0),
                0 => {
                    return Err(Error::Precondition {
                        step,
                        hostname: hostname.into(),
                        message: format!("no REST API named or with id {wanted:?} in this region"),
                        fix: "check rest_api and aws.region (REST APIs are regional), or create the API first".into(),
                    })
                }
                _ => {
                    return Err(Error::Precondition {
                        step,
                        hostname: hostname.into(),
                        message: format!(
                            "{} REST APIs are named {wanted:?} (ids {})",
                            named.len(),
                            named.iter().map(|a| a.id.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                        fix: "set rest_api to the id of the one to map".into(),
                    })
                }
            }
        }
    };
    debug_assert!(names::check_stage(stage).is_ok());
    if apigateway
        .get_stage(&api.id, stage)
        .await
        .step(step, hostname)?
        .is_none()
    {
        return Err(Error::Precondition {
            step,
            hostname: hostname.into(),
            message: format!("REST API {} ({}) has no stage {stage:?}", api.name, api.id),
            fix: "deploy the API to that stage first (or fix domain.stage)".into(),
        });
    }
    Ok(api)
}
