//! Zone settings `ssl` (the SSL/TLS encryption mode) and `tls_client_auth` (whether Cloudflare
//! presents per-hostname origin-pull client certificates). The `cloudflare` crate has no zone
//! settings endpoints, so the calls are described here.

use cloudflare::framework::endpoint::{spec::EndpointSpec, Method, RequestBody};
use cloudflare::framework::response::{ApiResult, ApiSuccess};
use serde::Serialize;

use super::{json_body, path_id};
use crate::operations::{GET_SSL_MODE, GET_TLS_CLIENT_AUTH, SET_SSL_MODE, SET_TLS_CLIENT_AUTH};
use crate::transport::Transport;
use crate::types::WireSslSetting;
use crate::{Error, SslMode, SslSetting, TlsClientAuthSetting};

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

/// `GET zones/{zone_id}/settings/tls_client_auth`
#[derive(Debug)]
pub(crate) struct GetTlsClientAuthSetting<'a> {
    pub zone_id: &'a str,
}

impl EndpointSpec for GetTlsClientAuthSetting<'_> {
    type JsonResponse = WireSslSetting;
    type ResponseType = ApiSuccess<WireSslSetting>;

    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        format!("zones/{}/settings/tls_client_auth", self.zone_id)
    }
}

/// `PATCH zones/{zone_id}/settings/tls_client_auth` with `{"value": "on"|"off"}`
#[derive(Debug)]
pub(crate) struct PatchTlsClientAuthSetting<'a> {
    pub zone_id: &'a str,
    pub params: PatchOnOffParams,
}

#[derive(Debug, Serialize)]
pub(crate) struct PatchOnOffParams {
    pub value: &'static str,
}

impl EndpointSpec for PatchTlsClientAuthSetting<'_> {
    type JsonResponse = WireSslSetting;
    type ResponseType = ApiSuccess<WireSslSetting>;

    fn method(&self) -> Method {
        Method::PATCH
    }
    fn path(&self) -> String {
        format!("zones/{}/settings/tls_client_auth", self.zone_id)
    }
    fn body(&self) -> Option<RequestBody<'_>> {
        json_body(&self.params)
    }
}

pub(crate) async fn get_tls_client_auth(
    transport: &Transport,
    zone_id: &str,
) -> Result<TlsClientAuthSetting, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let wire = transport
        .call(GET_TLS_CLIENT_AUTH, &GetTlsClientAuthSetting { zone_id })
        .await?
        .into_result(GET_TLS_CLIENT_AUTH)?;
    convert_on_off(GET_TLS_CLIENT_AUTH, wire)
}

pub(crate) async fn set_tls_client_auth(
    transport: &Transport,
    zone_id: &str,
    enabled: bool,
) -> Result<TlsClientAuthSetting, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let endpoint = PatchTlsClientAuthSetting {
        zone_id,
        params: PatchOnOffParams {
            value: if enabled { "on" } else { "off" },
        },
    };
    let wire = transport
        .call(SET_TLS_CLIENT_AUTH, &endpoint)
        .await?
        .into_result(SET_TLS_CLIENT_AUTH)?;
    convert_on_off(SET_TLS_CLIENT_AUTH, wire)
}

fn convert_on_off(
    operation: &'static str,
    wire: WireSslSetting,
) -> Result<TlsClientAuthSetting, Error> {
    let enabled = match wire.value.as_str() {
        "on" => true,
        "off" => false,
        other => {
            return Err(Error::InvalidResponse {
                operation,
                detail: format!("tls_client_auth value {other:?} is neither on nor off"),
            })
        }
    };
    Ok(TlsClientAuthSetting {
        enabled,
        editable: wire.editable.unwrap_or(true),
        modified_on: wire.modified_on,
    })
}
