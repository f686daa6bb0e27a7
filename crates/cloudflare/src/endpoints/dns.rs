//! DNS records. Delete reuses the `cloudflare` crate's `DeleteDnsRecord`. List, create and
//! update are described here: the crate's list sends `name=` where the official SDKs send
//! `name.exact=`, and its create/update params have no `comment`, which flarelink uses to mark
//! the records it owns.

use cloudflare::endpoints::dns::dns::DeleteDnsRecord;
use cloudflare::framework::endpoint::{serialize_query, spec::EndpointSpec, Method, RequestBody};
use cloudflare::framework::response::{ApiResult, ApiSuccess};
use serde::{Deserialize, Serialize};

use super::{json_body, path_id};
use crate::operations::{
    CREATE_DNS_RECORD, DELETE_DNS_RECORD, LIST_DNS_RECORDS, UPDATE_DNS_RECORD,
};
use crate::transport::Transport;
use crate::{DnsRecord, Error, NewDnsRecord};

/// 100 is well under Cloudflare's DNS `per_page` maximum and keeps answers small.
pub(crate) const DNS_PER_PAGE: u32 = 100;

/// Code Cloudflare answers (with HTTP 404) for a record that does not exist.
const RECORD_DOES_NOT_EXIST: u32 = 81044;

impl ApiResult for DnsRecord {}

/// A page of records.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct DnsRecords(pub Vec<DnsRecord>);
impl ApiResult for DnsRecords {}

impl From<DnsRecords> for Vec<DnsRecord> {
    fn from(page: DnsRecords) -> Self {
        page.0
    }
}

/// `GET zones/{zone_id}/dns_records?name.exact=…&page=…&per_page=…`
#[derive(Debug)]
pub(crate) struct ListDnsRecordsByName<'a> {
    pub zone_id: &'a str,
    pub params: ListByNameParams<'a>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ListByNameParams<'a> {
    #[serde(rename = "name.exact")]
    pub name_exact: &'a str,
    pub page: u32,
    pub per_page: u32,
}

impl EndpointSpec for ListDnsRecordsByName<'_> {
    type JsonResponse = DnsRecords;
    type ResponseType = ApiSuccess<DnsRecords>;

    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        format!("zones/{}/dns_records", self.zone_id)
    }
    fn query(&self) -> Option<String> {
        serialize_query(&self.params)
    }
}

/// `GET zones/{zone_id}/dns_records?proxied=true&page=…&per_page=…`: every proxied record of
/// the zone (the hostnames a zone-wide setting reaches).
#[derive(Debug)]
pub(crate) struct ListProxiedDnsRecords<'a> {
    pub zone_id: &'a str,
    pub params: ListProxiedParams,
}

#[derive(Debug, Serialize)]
pub(crate) struct ListProxiedParams {
    pub proxied: bool,
    pub page: u32,
    pub per_page: u32,
}

impl EndpointSpec for ListProxiedDnsRecords<'_> {
    type JsonResponse = DnsRecords;
    type ResponseType = ApiSuccess<DnsRecords>;

    fn method(&self) -> Method {
        Method::GET
    }
    fn path(&self) -> String {
        format!("zones/{}/dns_records", self.zone_id)
    }
    fn query(&self) -> Option<String> {
        serialize_query(&self.params)
    }
}

/// `POST zones/{zone_id}/dns_records` (body: [`NewDnsRecord`], `comment` included).
#[derive(Debug)]
pub(crate) struct CreateDnsRecordWithComment<'a> {
    pub zone_id: &'a str,
    pub record: &'a NewDnsRecord,
}

impl EndpointSpec for CreateDnsRecordWithComment<'_> {
    type JsonResponse = DnsRecord;
    type ResponseType = ApiSuccess<DnsRecord>;

    fn method(&self) -> Method {
        Method::POST
    }
    fn path(&self) -> String {
        format!("zones/{}/dns_records", self.zone_id)
    }
    fn body(&self) -> Option<RequestBody<'_>> {
        json_body(self.record)
    }
}

/// `PUT zones/{zone_id}/dns_records/{record_id}`: replaces the record whole, so a `None`
/// comment clears the comment.
#[derive(Debug)]
pub(crate) struct UpdateDnsRecordWithComment<'a> {
    pub zone_id: &'a str,
    pub record_id: &'a str,
    pub record: &'a NewDnsRecord,
}

impl EndpointSpec for UpdateDnsRecordWithComment<'_> {
    type JsonResponse = DnsRecord;
    type ResponseType = ApiSuccess<DnsRecord>;

    fn method(&self) -> Method {
        Method::PUT
    }
    fn path(&self) -> String {
        format!("zones/{}/dns_records/{}", self.zone_id, self.record_id)
    }
    fn body(&self) -> Option<RequestBody<'_>> {
        json_body(self.record)
    }
}

pub(crate) fn list_endpoint<'a>(
    zone_id: &'a str,
    name: &'a str,
    page: u32,
) -> ListDnsRecordsByName<'a> {
    ListDnsRecordsByName {
        zone_id,
        params: ListByNameParams {
            name_exact: name,
            page,
            per_page: DNS_PER_PAGE,
        },
    }
}

pub(crate) async fn list(
    transport: &Transport,
    zone_id: &str,
    name: &str,
) -> Result<Vec<DnsRecord>, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    transport
        .call_all_pages::<_, DnsRecords, _, _>(LIST_DNS_RECORDS, |page| {
            list_endpoint(zone_id, name, page)
        })
        .await
}

pub(crate) async fn list_proxied(
    transport: &Transport,
    zone_id: &str,
) -> Result<Vec<DnsRecord>, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    transport
        .call_all_pages::<_, DnsRecords, _, _>(LIST_DNS_RECORDS, |page| {
            list_proxied_endpoint(zone_id, page)
        })
        .await
}

pub(crate) fn list_proxied_endpoint(zone_id: &str, page: u32) -> ListProxiedDnsRecords<'_> {
    ListProxiedDnsRecords {
        zone_id,
        params: ListProxiedParams {
            proxied: true,
            page,
            per_page: DNS_PER_PAGE,
        },
    }
}

pub(crate) async fn create(
    transport: &Transport,
    zone_id: &str,
    record: &NewDnsRecord,
) -> Result<DnsRecord, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    transport
        .call(
            CREATE_DNS_RECORD,
            &CreateDnsRecordWithComment { zone_id, record },
        )
        .await?
        .into_result(CREATE_DNS_RECORD)
}

pub(crate) async fn update(
    transport: &Transport,
    zone_id: &str,
    record_id: &str,
    record: &NewDnsRecord,
) -> Result<DnsRecord, Error> {
    let zone_id = path_id("zone id", zone_id)?;
    let record_id = path_id("DNS record id", record_id)?;
    let endpoint = UpdateDnsRecordWithComment {
        zone_id,
        record_id,
        record,
    };
    transport
        .call(UPDATE_DNS_RECORD, &endpoint)
        .await?
        .into_result(UPDATE_DNS_RECORD)
}

/// Deleting a record that is already gone succeeds: the wanted state holds, and a DELETE
/// retried after a lost answer must not fail because its first attempt worked.
pub(crate) async fn delete(
    transport: &Transport,
    zone_id: &str,
    record_id: &str,
) -> Result<(), Error> {
    let zone_identifier = path_id("zone id", zone_id)?;
    let identifier = path_id("DNS record id", record_id)?;
    let endpoint = DeleteDnsRecord {
        zone_identifier,
        identifier,
    };
    match transport.call(DELETE_DNS_RECORD, &endpoint).await {
        Ok(_) => Ok(()),
        Err(e) if e.status() == Some(404) || e.has_code(RECORD_DOES_NOT_EXIST) => {
            tracing::debug!(record_id, "DNS record already absent");
            Ok(())
        }
        Err(e) => Err(e),
    }
}
