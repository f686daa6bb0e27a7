//! Zone setting `ssl` (the SSL/TLS encryption mode). The `cloudflare` crate has no zone
//! settings endpoints, so both calls are described here.

use cloudflare::framework::endpoint::{spec::EndpointSpec, Method, RequestBody};
use cloudflare::framework::response::{ApiResult, ApiSuccess};
use serde::Serialize;

use super::{json_body, path_id};
use crate::operations::{GET_SSL_MODE, SET_SSL_MODE};
use crate::transport::Transport;
use crate::types::WireSslSetting;
use crate::{Error, SslMode, SslSetting};

impl ApiResult for WireSslSetting {}

/// `GET zones/{zone_id}/settings/ssl`
#[derive(Debug)]
pub(crate) struct GetSslSetting<'a> {
    pub zone_id: &'a str,
}

impl EndpointSpec for GetSslSetting<'_> {
    type JsonResponse = WireSslSetting;
    type ResponseType = ApiSuccess<WireSslSetting>;

    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        format!("zones/{}/settings/ssl", self.zone_id)
    }
}

/// `PATCH zones/{zone_id}/settings/ssl` with `{"value": mode}`
#[derive(Debug)]
pub(crate) struct PatchSslSetting<'a> {
    pub zone_id: &'a str,
    pub params: PatchSslParams,
}

#[derive(Debug, Serialize)]
pub(crate) struct PatchSslParams {
    pub value: SslMode,
}

impl EndpointSpec for PatchSslSetting<'_> {
    type JsonResponse = WireSslSetting;
    type ResponseType = ApiSuccess<WireSslSetting>;

    fn method(&self) -> Method {
        Method::PATCH
    }
    fn path(&self) -> String {
        format!("zones/{}/settings/ssl", self.zone_id)
    }
    fn body(&self) -> Option<RequestBody<'_>> {
        json_body(&self.params)
    }
}

pub(crate) async fn get_ssl(transport: &Transport, zone_id: &str) -> Result<SslSetting, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let wire = transport
        .call(GET_SSL_MODE, &GetSslSetting { zone_id })
        .await?
        .into_result(GET_SSL_MODE)?;
    convert(GET_SSL_MODE, wire)
}

pub(crate) async fn set_ssl(
    transport: &Transport,
    zone_id: &str,
    mode: SslMode,
) -> Result<SslSetting, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let endpoint = PatchSslSetting {
        zone_id,
        params: PatchSslParams { value: mode },
    };
    let wire = transport
        .call(SET_SSL_MODE, &endpoint)
        .await?
        .into_result(SET_SSL_MODE)?;
    convert(SET_SSL_MODE, wire)
}

fn convert(operation: &'static str, wire: WireSslSetting) -> Result<SslSetting, Error> {
    let value = SslMode::parse(&wire.value).ok_or_else(|| Error::InvalidResponse {
        operation,
        detail: format!("unknown SSL mode {:?}", wire.value),
    })?;
    Ok(SslSetting {
        value,
        // Cloudflare always sends `editable`; if absent, assume the setting can be written
        // and let a write fail with Cloudflare's own reason.
        editable: wire.editable.unwrap_or(true),
        modified_on: wire.modified_on,
    })
}
