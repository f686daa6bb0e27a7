//! Origin CA certificates (`/certificates`). The `cloudflare` crate has none of these calls,
//! so all four are described here.

use cloudflare::framework::endpoint::{serialize_query, spec::EndpointSpec, Method, RequestBody};
use cloudflare::framework::response::{ApiResult, ApiSuccess};
use serde::{Deserialize, Serialize};

use super::{json_body, path_id};
use crate::operations::{
    CREATE_ORIGIN_CERTIFICATE, GET_ORIGIN_CERTIFICATE, LIST_ORIGIN_CERTIFICATES,
    REVOKE_ORIGIN_CERTIFICATE,
};
use crate::transport::Transport;
use crate::types::WireOriginCertificate;
use crate::{Error, NewOriginCertificate, OriginCertificate, OriginRequestType};

/// Cloudflare's maximum `per_page` for Origin CA certificates.
pub(crate) const CERTIFICATES_PER_PAGE: u32 = 50;

/// Origin CA code "Certificate already revoked".
pub(crate) const ALREADY_REVOKED: u32 = 1014;
/// Origin CA code "Failed to read certificate from database": unknown (or truncated) id.
pub(crate) const UNKNOWN_CERTIFICATE: u32 = 1101;

impl ApiResult for WireOriginCertificate {}

#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct WireOriginCertificates(pub Vec<WireOriginCertificate>);
impl ApiResult for WireOriginCertificates {}

impl From<WireOriginCertificates> for Vec<OriginCertificate> {
    fn from(page: WireOriginCertificates) -> Self {
        page.0.into_iter().map(OriginCertificate::from).collect()
    }
}

/// `GET certificates?zone_id=…&page=…&per_page=…`
#[derive(Debug)]
pub(crate) struct ListOriginCertificates<'a> {
    pub params: ListParams<'a>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ListParams<'a> {
    pub zone_id: &'a str,
    pub page: u32,
    pub per_page: u32,
}

impl EndpointSpec for ListOriginCertificates<'_> {
    type JsonResponse = WireOriginCertificates;
    type ResponseType = ApiSuccess<WireOriginCertificates>;

    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        "certificates".into()
    }
    fn query(&self) -> Option<String> {
        serialize_query(&self.params)
    }
}

/// `GET certificates/{id}`
#[derive(Debug)]
pub(crate) struct GetOriginCertificate<'a> {
    pub id: &'a str,
}

impl EndpointSpec for GetOriginCertificate<'_> {
    type JsonResponse = WireOriginCertificate;
    type ResponseType = ApiSuccess<WireOriginCertificate>;

    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        format!("certificates/{}", self.id)
    }
}

/// `POST certificates`
#[derive(Debug)]
pub(crate) struct CreateOriginCertificate<'a> {
    pub params: CreateParams<'a>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CreateParams<'a> {
    pub csr: &'a str,
    pub hostnames: &'a [String],
    pub request_type: OriginRequestType,
    pub requested_validity: u32,
}

impl EndpointSpec for CreateOriginCertificate<'_> {
    type JsonResponse = WireOriginCertificate;
    type ResponseType = ApiSuccess<WireOriginCertificate>;

    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        "certificates".into()
    }
    fn body(&self) -> Option<RequestBody<'_>> {
        json_body(&self.params)
    }
}

/// `DELETE certificates/{id}` (revokes; answers `{id, revoked_at}`)
#[derive(Debug)]
pub(crate) struct RevokeOriginCertificate<'a> {
    pub id: &'a str,
}

impl EndpointSpec for RevokeOriginCertificate<'_> {
    type JsonResponse = WireOriginCertificate;
    type ResponseType = ApiSuccess<WireOriginCertificate>;

    fn method(&self) -> Method {
        Method::DELETE
    }
    fn path(&self) -> String {
        format!("certificates/{}", self.id)
    }
}

pub(crate) fn list_endpoint(zone_id: &str, page: u32) -> ListOriginCertificates<'_> {
    ListOriginCertificates {
        params: ListParams {
            zone_id,
            page,
            per_page: CERTIFICATES_PER_PAGE,
        },
    }
}

pub(crate) async fn list(
    transport: &Transport,
    zone_id: &str,
) -> Result<Vec<OriginCertificate>, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    transport
        .call_all_pages::<_, WireOriginCertificates, _, _>(LIST_ORIGIN_CERTIFICATES, |page| {
            list_endpoint(zone_id, page)
        })
        .await
}

/// True when Cloudflare's answer means "no such certificate".
fn is_unknown(error: &Error) -> bool {
    error.status() == Some(404) || error.has_code(UNKNOWN_CERTIFICATE)
}

pub(crate) async fn get(
    transport: &Transport,
    id: &str,
) -> Result<Option<OriginCertificate>, Error> {
    let id = path_id("Origin CA certificate id", id)?;
    match transport
        .call(GET_ORIGIN_CERTIFICATE, &GetOriginCertificate { id })
        .await
    {
        Ok(answer) => {
            let wire: WireOriginCertificate = answer.into_result(GET_ORIGIN_CERTIFICATE)?;
            Ok(Some(wire.into()))
        }
        Err(e) if is_unknown(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn create(
    transport: &Transport,
    request: &NewOriginCertificate,
) -> Result<OriginCertificate, Error> {
    let endpoint = CreateOriginCertificate {
        params: CreateParams {
            csr: &request.csr,
            hostnames: &request.hostnames,
            request_type: request.request_type,
            requested_validity: request.requested_validity_days,
        },
    };
    let wire: WireOriginCertificate = transport
        .call(CREATE_ORIGIN_CERTIFICATE, &endpoint)
        .await?
        .into_result(CREATE_ORIGIN_CERTIFICATE)?;
    Ok(wire.into())
}

/// `Ok(true)` when this call revoked it; `Ok(false)` when it was already revoked (1014) or is
/// unknown (1101 / HTTP 404), so repeated runs — and a DELETE retried after a lost answer —
/// converge instead of failing.
pub(crate) async fn revoke(transport: &Transport, id: &str) -> Result<bool, Error> {
    let id = path_id("Origin CA certificate id", id)?;
    match transport
        .call(REVOKE_ORIGIN_CERTIFICATE, &RevokeOriginCertificate { id })
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.has_code(ALREADY_REVOKED) || is_unknown(&e) || says_already_revoked(&e) => {
            tracing::debug!(id, "Origin CA certificate already revoked or unknown");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Fallback for answers that say so in words under another code.
fn says_already_revoked(error: &Error) -> bool {
    matches!(error, Error::Api { status, errors, .. }
        if (400..500).contains(status)
            && errors.iter().any(|m| m.message.to_ascii_lowercase().contains("already revoked")))
}
