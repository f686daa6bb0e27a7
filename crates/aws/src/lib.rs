//! flarelink's AWS client: ACM and API Gateway (REST, v1) on the official AWS SDK for Rust.
//!
//! Each operation is one small function over the SDK, returning flarelink's own small types so
//! that callers never see SDK builders. This crate knows nothing of Cloudflare or of the plan.

mod error;
mod types;

pub use error::{Error, ErrorKind};
pub use types::*;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How to build the SDK configuration.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// Region from config or `--region`; when `None`, `AWS_REGION`/profile decide. With a region
    /// known no instance-metadata probe is made (no start-up delay off EC2).
    pub region: Option<String>,
    /// Named profile from the shared config files.
    pub profile: Option<String>,
    /// Endpoint override (tests, local stand-ins). `AWS_ENDPOINT_URL` is honoured by the SDK too.
    pub endpoint_url: Option<String>,
    /// SDK attempts per call for transient errors; 1 = no retry.
    pub max_attempts: u32,
    /// How often to retry a call throttled by a hard API Gateway quota (CreateDomainName and
    /// DeleteDomainName: 1 per 30 s per account) before giving up.
    pub max_quota_waits: u32,
}

/// Told when a call waits out a quota, so the caller can say so in its progress line.
#[derive(Debug, Clone)]
pub struct WaitNotice {
    pub operation: &'static str,
    pub wait: Duration,
    pub attempt: u32,
    pub reason: String,
}

pub type WaitObserver = Arc<dyn Fn(WaitNotice) + Send + Sync>;

/// ACM and API Gateway clients sharing one SDK configuration.
#[derive(Clone)]
pub struct AwsClients {
    pub acm: Acm,
    pub apigateway: ApiGateway,
    region: String,
}

impl AwsClients {
    /// Loads the SDK configuration (credential chain, profile, region, endpoint override).
    /// Fails with `ErrorKind::Config` when no region can be found.
    pub async fn load(settings: &AwsSettings) -> Result<Self, Error> {
        let _ = settings;
        todo!()
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Whether the credential chain yields credentials, without calling any AWS service.
    /// `Err` carries the chain's explanation (for dry-run's "could not check").
    pub async fn check_credentials(&self) -> Result<(), Error> {
        todo!()
    }

    /// Installs the observer told about quota waits (see `WaitNotice`).
    pub fn set_wait_observer(&mut self, observer: WaitObserver) {
        let _ = observer;
        todo!()
    }
}

/// AWS Certificate Manager.
#[derive(Clone)]
pub struct Acm {
    _private: (),
}

impl Acm {
    /// Every certificate ARN in the region (all pages, all statuses).
    pub async fn list_certificate_arns(&self) -> Result<Vec<String>, Error> {
        todo!()
    }

    /// DescribeCertificate; `None` when ACM does not know the ARN.
    pub async fn describe_certificate(&self, arn: &str) -> Result<Option<Certificate>, Error> {
        let _ = arn;
        todo!()
    }

    /// ListTagsForCertificate.
    pub async fn certificate_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, Error> {
        let _ = arn;
        todo!()
    }

    /// ImportCertificate of a new certificate (never a re-import), tagged in the same call.
    /// Returns the new ARN. The key is sent to ACM only.
    pub async fn import_certificate(
        &self,
        certificate_pem: &str,
        private_key_pem: &SecretPem,
        chain_pem: Option<&str>,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, Error> {
        let _ = (certificate_pem, private_key_pem, chain_pem, tags);
        todo!()
    }

    /// DeleteCertificate. `Ok(false)` when it was already gone.
    pub async fn delete_certificate(&self, arn: &str) -> Result<bool, Error> {
        let _ = arn;
        todo!()
    }
}

/// API Gateway (REST APIs, v1).
#[derive(Clone)]
pub struct ApiGateway {
    _private: (),
}

impl ApiGateway {
    /// GetDomainName; `None` on NotFound.
    pub async fn get_domain_name(&self, name: &str) -> Result<Option<DomainName>, Error> {
        let _ = name;
        todo!()
    }

    /// CreateDomainName: REGIONAL endpoint, TLS_1_2, the given ACM certificate, tags.
    /// Waits out `TooManyRequestsException` (1 per 30 s quota) honouring its Retry-After, up to
    /// `max_quota_waits` times, telling the wait observer each time.
    pub async fn create_regional_domain_name(
        &self,
        name: &str,
        certificate_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<DomainName, Error> {
        let _ = (name, certificate_arn, tags);
        todo!()
    }

    /// UpdateDomainName: replace the regional certificate (same quota handling as create).
    pub async fn set_domain_certificate(
        &self,
        name: &str,
        certificate_arn: &str,
    ) -> Result<DomainName, Error> {
        let _ = (name, certificate_arn);
        todo!()
    }

    /// DeleteDomainName (same quota handling). `Ok(false)` when it was already gone.
    pub async fn delete_domain_name(&self, name: &str) -> Result<bool, Error> {
        let _ = name;
        todo!()
    }

    /// GetBasePathMappings, all pages; NotFound (no mappings, or no such domain) is empty.
    pub async fn list_base_path_mappings(
        &self,
        domain_name: &str,
    ) -> Result<Vec<BasePathMapping>, Error> {
        let _ = domain_name;
        todo!()
    }

    /// CreateBasePathMapping. `base_path` "(none)" or "" = no base path.
    pub async fn create_base_path_mapping(
        &self,
        domain_name: &str,
        base_path: &str,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<BasePathMapping, Error> {
        let _ = (domain_name, base_path, rest_api_id, stage);
        todo!()
    }

    /// UpdateBasePathMapping: point an existing base path at another API and stage.
    pub async fn update_base_path_mapping(
        &self,
        domain_name: &str,
        base_path: &str,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<BasePathMapping, Error> {
        let _ = (domain_name, base_path, rest_api_id, stage);
        todo!()
    }

    /// DeleteBasePathMapping. `Ok(false)` when it was already gone.
    pub async fn delete_base_path_mapping(
        &self,
        domain_name: &str,
        base_path: &str,
    ) -> Result<bool, Error> {
        let _ = (domain_name, base_path);
        todo!()
    }

    /// GetRestApis, all pages.
    pub async fn list_rest_apis(&self) -> Result<Vec<RestApi>, Error> {
        todo!()
    }

    /// GetRestApi; `None` on NotFound.
    pub async fn get_rest_api(&self, id: &str) -> Result<Option<RestApi>, Error> {
        let _ = id;
        todo!()
    }

    /// GetStage; `None` on NotFound.
    pub async fn get_stage(&self, rest_api_id: &str, stage: &str) -> Result<Option<Stage>, Error> {
        let _ = (rest_api_id, stage);
        todo!()
    }
}
