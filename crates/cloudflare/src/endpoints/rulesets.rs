//! Rulesets: the zone's `http_config_settings` phase entry point (Configuration Rules). The
//! `cloudflare` crate has no Rulesets endpoints, so both calls are described here.
//!
//! `GET zones/{z}/rulesets/phases/http_config_settings/entrypoint` answers 404 with code
//! 10003 ("could not find entrypoint ruleset in the http_config_settings phase") for a phase
//! that was never set; that is `Ok(None)`, while other 404s (an unknown zone: 7003) stay errors.
//! `PUT` on the same path replaces the whole rule list (and creates the entry point). A PUT is
//! retried on transient failures like every idempotent call: sending the same list again leaves
//! the same rules (a new rule's id may differ, never doubled).

use cloudflare::framework::endpoint::{spec::EndpointSpec, Method, RequestBody};
use cloudflare::framework::response::{ApiResult, ApiSuccess};
use serde::Serialize;

use super::{json_body, path_id};
use crate::config_rules::{ConfigRule, ConfigRuleset, WireRuleset};
use crate::operations::{GET_CONFIG_RULES, PUT_CONFIG_RULES};
use crate::transport::Transport;
use crate::Error;

/// The phase of Configuration Rules.
pub(crate) const CONFIG_PHASE: &str = "http_config_settings";

/// Cloudflare's code for a phase whose entry point was never created.
const ENTRYPOINT_NOT_FOUND: u32 = 10003;

impl ApiResult for WireRuleset {}

fn entrypoint_path(zone_id: &str) -> String {
    format!("zones/{zone_id}/rulesets/phases/{CONFIG_PHASE}/entrypoint")
}

/// `GET zones/{zone_id}/rulesets/phases/http_config_settings/entrypoint`
#[derive(Debug)]
pub(crate) struct GetConfigEntrypoint<'a> {
    pub zone_id: &'a str,
}

impl EndpointSpec for GetConfigEntrypoint<'_> {
    type JsonResponse = WireRuleset;
    type ResponseType = ApiSuccess<WireRuleset>;

    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        entrypoint_path(self.zone_id)
    }
}

/// `PUT zones/{zone_id}/rulesets/phases/http_config_settings/entrypoint` with `{"rules": […]}`
#[derive(Debug)]
pub(crate) struct PutConfigEntrypoint<'a> {
    pub zone_id: &'a str,
    pub params: PutConfigParams,
}

#[derive(Debug, Serialize)]
pub(crate) struct PutConfigParams {
    /// [`ConfigRule::request_fields`] of each rule, in order.
    pub rules: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl PutConfigParams {
    pub fn new(rules: &[ConfigRule]) -> Self {
        PutConfigParams {
            rules: rules.iter().map(ConfigRule::request_fields).collect(),
        }
    }
}

impl EndpointSpec for PutConfigEntrypoint<'_> {
    type JsonResponse = WireRuleset;
    type ResponseType = ApiSuccess<WireRuleset>;

    fn method(&self) -> Method {
        Method::PUT
    }
    fn path(&self) -> String {
        entrypoint_path(self.zone_id)
    }
    fn body(&self) -> Option<RequestBody<'_>> {
        json_body(&self.params)
    }
}

pub(crate) async fn get(
    transport: &Transport,
    zone_id: &str,
) -> Result<Option<ConfigRuleset>, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    match transport
        .call(GET_CONFIG_RULES, &GetConfigEntrypoint { zone_id })
        .await
    {
        Ok(answer) => Ok(Some(
            answer.into_result::<WireRuleset>(GET_CONFIG_RULES)?.into(),
        )),
        Err(e) if e.status() == Some(404) && e.has_code(ENTRYPOINT_NOT_FOUND) => {
            tracing::debug!(zone_id, "no Configuration Rules entry point yet");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

pub(crate) async fn put(
    transport: &Transport,
    zone_id: &str,
    rules: &[ConfigRule],
) -> Result<ConfigRuleset, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let endpoint = PutConfigEntrypoint {
        zone_id,
        params: PutConfigParams::new(rules),
    };
    let wire: WireRuleset = transport
        .call(PUT_CONFIG_RULES, &endpoint)
        .await?
        .into_result(PUT_CONFIG_RULES)?;
    Ok(wire.into())
}
