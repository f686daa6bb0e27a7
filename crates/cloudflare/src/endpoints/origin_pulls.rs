//! Per-hostname Authenticated Origin Pulls (`zones/{z}/origin_tls_client_auth/hostnames…`).
//! The `cloudflare` crate has none of these calls, so all six are described here. The zone-wide
//! variant (`zones/{z}/origin_tls_client_auth`, a certificate any Cloudflare customer can
//! present when it is Cloudflare's shared one) is deliberately not offered.
//!
//! The upload is a POST: the transport never repeats it after a 5xx or a lost answer
//! ([`crate::Error::may_have_acted`]); a caller looks in [`list`] for the certificate PEM it sent
//! before uploading again.

use cloudflare::framework::endpoint::{spec::EndpointSpec, Method, RequestBody};
use cloudflare::framework::response::{ApiResult, ApiSuccess};
use serde::{Deserialize, Serialize};

use super::{json_body, path_id};
use crate::operations::{
    DELETE_HOSTNAME_CLIENT_CERTIFICATE, GET_HOSTNAME_CLIENT_AUTH, GET_HOSTNAME_CLIENT_CERTIFICATE,
    LIST_HOSTNAME_CLIENT_CERTIFICATES, PUT_HOSTNAME_CLIENT_AUTH,
    UPLOAD_HOSTNAME_CLIENT_CERTIFICATE,
};
use crate::origin_pulls::{WireHostnameCertificate, WireHostnameClientAuth};
use crate::transport::Transport;
use crate::{
    Error, HostnameClientAuth, HostnameClientAuthChange, HostnameClientCertificate,
    NewHostnameClientCertificate,
};

impl ApiResult for WireHostnameCertificate {}
impl ApiResult for WireHostnameClientAuth {}

#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct WireHostnameCertificates(pub Vec<WireHostnameCertificate>);
impl ApiResult for WireHostnameCertificates {}

/// Cloudflare's documented PUT answer can hold `null` entries; they are skipped.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct WireHostnameClientAuths(pub Vec<Option<WireHostnameClientAuth>>);
impl ApiResult for WireHostnameClientAuths {}

fn certificates_path(zone_id: &str) -> String {
    format!("zones/{zone_id}/origin_tls_client_auth/hostnames/certificates")
}

/// `POST zones/{z}/origin_tls_client_auth/hostnames/certificates`
#[derive(Debug)]
pub(crate) struct UploadHostnameCertificate<'a> {
    pub zone_id: &'a str,
    pub params: UploadParams<'a>,
}

#[derive(Serialize)]
pub(crate) struct UploadParams<'a> {
    pub certificate: &'a str,
    pub private_key: &'a str,
}

impl std::fmt::Debug for UploadParams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadParams")
            .field("certificate", &self.certificate)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl EndpointSpec for UploadHostnameCertificate<'_> {
    type JsonResponse = WireHostnameCertificate;
    type ResponseType = ApiSuccess<WireHostnameCertificate>;

    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        certificates_path(self.zone_id)
    }
    fn body(&self) -> Option<RequestBody<'_>> {
        json_body(&self.params)
    }
}

/// `GET zones/{z}/origin_tls_client_auth/hostnames/certificates` (one page: the zone holds at
/// most 10)
#[derive(Debug)]
pub(crate) struct ListHostnameCertificates<'a> {
    pub zone_id: &'a str,
}

impl EndpointSpec for ListHostnameCertificates<'_> {
    type JsonResponse = WireHostnameCertificates;
    type ResponseType = ApiSuccess<WireHostnameCertificates>;

    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        certificates_path(self.zone_id)
    }
}

/// `GET` or `DELETE zones/{z}/origin_tls_client_auth/hostnames/certificates/{id}`
#[derive(Debug)]
pub(crate) struct HostnameCertificate<'a> {
    pub zone_id: &'a str,
    pub id: &'a str,
    pub method: Method,
}

impl EndpointSpec for HostnameCertificate<'_> {
    type JsonResponse = WireHostnameCertificate;
    type ResponseType = ApiSuccess<WireHostnameCertificate>;

    fn method(&self) -> Method {
        self.method.clone()
    }
    fn path(&self) -> String {
        format!("{}/{}", certificates_path(self.zone_id), self.id)
    }
}

/// `PUT zones/{z}/origin_tls_client_auth/hostnames` with `{"config": […]}`
#[derive(Debug)]
pub(crate) struct PutHostnameClientAuth<'a> {
    pub zone_id: &'a str,
    pub params: PutParams<'a>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PutParams<'a> {
    pub config: Vec<PutEntry<'a>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PutEntry<'a> {
    pub hostname: &'a str,
    pub cert_id: &'a str,
    /// Sent as `null` when `None`: that voids the association.
    pub enabled: Option<bool>,
}

impl EndpointSpec for PutHostnameClientAuth<'_> {
    type JsonResponse = WireHostnameClientAuths;
    type ResponseType = ApiSuccess<WireHostnameClientAuths>;

    fn method(&self) -> Method {
        Method::PUT
    }
    fn path(&self) -> String {
        format!("zones/{}/origin_tls_client_auth/hostnames", self.zone_id)
    }
    fn body(&self) -> Option<RequestBody<'_>> {
        json_body(&self.params)
    }
}

/// `GET zones/{z}/origin_tls_client_auth/hostnames/{hostname}`
#[derive(Debug)]
pub(crate) struct GetHostnameClientAuth<'a> {
    pub zone_id: &'a str,
    pub hostname: &'a str,
}

impl EndpointSpec for GetHostnameClientAuth<'_> {
    type JsonResponse = WireHostnameClientAuth;
    type ResponseType = ApiSuccess<WireHostnameClientAuth>;

    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        format!(
            "zones/{}/origin_tls_client_auth/hostnames/{}",
            self.zone_id, self.hostname
        )
    }
}

/// Checks a hostname before it is put in a URL path: DNS letters, digits, `-` and `.` only,
/// so it cannot leave its segment.
pub(crate) fn path_hostname(hostname: &str) -> Result<&str, Error> {
    let ok = !hostname.is_empty()
        && hostname.len() <= 253
        && hostname
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if ok {
        Ok(hostname)
    } else {
        Err(Error::Config(format!(
            "hostname {hostname:?} is not a valid DNS name"
        )))
    }
}

/// Cloudflare's "Could not route to …": the zone itself is unknown — an error, not absence.
const NO_ROUTE: u32 = 7003;

/// True when Cloudflare's answer means "no such certificate / association" (a 404 that is not
/// an unknown zone).
fn is_not_found(error: &Error) -> bool {
    error.status() == Some(404) && !error.has_code(NO_ROUTE)
}

pub(crate) async fn upload(
    transport: &Transport,
    zone_id: &str,
    upload: &NewHostnameClientCertificate,
) -> Result<HostnameClientCertificate, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let endpoint = UploadHostnameCertificate {
        zone_id,
        params: UploadParams {
            certificate: &upload.certificate,
            private_key: upload.private_key.expose(),
        },
    };
    let wire: WireHostnameCertificate = transport
        .call(UPLOAD_HOSTNAME_CLIENT_CERTIFICATE, &endpoint)
        .await?
        .into_result(UPLOAD_HOSTNAME_CLIENT_CERTIFICATE)?;
    Ok(wire.into())
}

pub(crate) async fn list(
    transport: &Transport,
    zone_id: &str,
) -> Result<Vec<HostnameClientCertificate>, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let wire: Option<WireHostnameCertificates> = transport
        .call(
            LIST_HOSTNAME_CLIENT_CERTIFICATES,
            &ListHostnameCertificates { zone_id },
        )
        .await?
        .into_result(LIST_HOSTNAME_CLIENT_CERTIFICATES)?;
    Ok(wire
        .map(|w| w.0.into_iter().map(Into::into).collect())
        .unwrap_or_default())
}

pub(crate) async fn get(
    transport: &Transport,
    zone_id: &str,
    id: &str,
) -> Result<Option<HostnameClientCertificate>, Error> {
    one_certificate(
        transport,
        zone_id,
        id,
        Method::GET,
        GET_HOSTNAME_CLIENT_CERTIFICATE,
    )
    .await
}

pub(crate) async fn delete(
    transport: &Transport,
    zone_id: &str,
    id: &str,
) -> Result<Option<HostnameClientCertificate>, Error> {
    let deleted = one_certificate(
        transport,
        zone_id,
        id,
        Method::DELETE,
        DELETE_HOSTNAME_CLIENT_CERTIFICATE,
    )
    .await?;
    if deleted.is_none() {
        tracing::debug!(id, "hostname client certificate already deleted or unknown");
    }
    Ok(deleted)
}

/// GET or DELETE one certificate by id: its answer, or `None` when Cloudflare does not know it.
async fn one_certificate(
    transport: &Transport,
    zone_id: &str,
    id: &str,
    method: Method,
    operation: &'static str,
) -> Result<Option<HostnameClientCertificate>, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let id = path_id("hostname client certificate id", id)?;
    let endpoint = HostnameCertificate {
        zone_id,
        id,
        method,
    };
    match transport.call(operation, &endpoint).await {
        Ok(answer) => {
            let wire: WireHostnameCertificate = answer.into_result(operation)?;
            Ok(Some(wire.into()))
        }
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn put(
    transport: &Transport,
    zone_id: &str,
    changes: &[HostnameClientAuthChange],
) -> Result<Vec<HostnameClientAuth>, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    if changes.is_empty() {
        return Err(Error::Config(
            "a hostname client auth change needs at least one hostname".into(),
        ));
    }
    let config = changes
        .iter()
        .map(|c| {
            Ok(PutEntry {
                hostname: path_hostname(&c.hostname)?,
                cert_id: path_id("hostname client certificate id", &c.cert_id)?,
                enabled: c.enabled,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let endpoint = PutHostnameClientAuth {
        zone_id,
        params: PutParams { config },
    };
    let wire: Option<WireHostnameClientAuths> = transport
        .call(PUT_HOSTNAME_CLIENT_AUTH, &endpoint)
        .await?
        .into_result(PUT_HOSTNAME_CLIENT_AUTH)?;
    Ok(wire
        .map(|w| w.0.into_iter().flatten().map(Into::into).collect())
        .unwrap_or_default())
}

pub(crate) async fn get_association(
    transport: &Transport,
    zone_id: &str,
    hostname: &str,
) -> Result<Option<HostnameClientAuth>, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let hostname = path_hostname(hostname)?;
    match transport
        .call(
            GET_HOSTNAME_CLIENT_AUTH,
            &GetHostnameClientAuth { zone_id, hostname },
        )
        .await
    {
        Ok(answer) => {
            let wire: Option<WireHostnameClientAuth> =
                answer.into_result(GET_HOSTNAME_CLIENT_AUTH)?;
            Ok(wire.map(Into::into))
        }
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}
