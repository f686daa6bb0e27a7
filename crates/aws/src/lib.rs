//! flarelink's AWS client: ACM, API Gateway (REST, v1), Cognito and S3 on the official AWS SDK
//! for Rust.
//!
//! Each operation is one small function over the SDK, returning flarelink's own small types so
//! that callers never see SDK builders. This crate knows nothing of Cloudflare or of the plan.
//!
//! Modules by concern: `config` (loading the SDK configuration: region without an IMDS probe,
//! credentials, endpoint, retry), `acm`, `apigateway::{domains, mappings, apis, mutual_tls,
//! default_endpoint}`, `s3` (the origin lock's truststore), `errors`
//! (SDK error → [`Error`]) and `retry` (waiting out API Gateway's domain-name quota).

mod acm;
mod apigateway;
pub mod cognito;
mod config;
mod error;
mod errors;
mod retry;
mod s3;
mod types;

pub use apigateway::mappings::NO_BASE_PATH;
pub use apigateway::provision::{
    Authorizer, Deployment, Integration, Method, MethodAuth, Resource, AUTHORIZATION_HEADER,
};
pub use error::{Error, ErrorKind};
pub use s3::{ObjectHead, ObjectVersionEntry, Versioning};
pub use types::*;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;

use crate::retry::QuotaPolicy;

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
    /// SDK attempts per call for transient errors; 1 = no retry (0 = the SDK's default, 3).
    pub max_attempts: u32,
    /// How often to retry a call throttled by a hard API Gateway quota (CreateDomainName and
    /// DeleteDomainName: 1 per 30 s per account) before giving up.
    pub max_quota_waits: u32,
    /// Per-attempt timeout of every call (`retry.request_timeout_seconds`); `None`: the SDK's
    /// default (none beyond its connect timeout). A stalled call then fails as a timeout, whose
    /// outcome flarelink treats as unknown for writes.
    pub request_timeout: Option<Duration>,
}

/// Told when a call waits out a quota, so the caller can say so in its progress line.
///
/// `wait` is the whole sleep (AWS's `Retry-After`; without one the quota's documented window
/// plus under a second of jitter); `attempt` counts the waits of this call from 1, and is 0 for
/// a first send held back until the quota's learned window allows it; `reason` names the quota
/// and the `Retry-After` AWS sent (or the window learned).
#[derive(Debug, Clone)]
pub struct WaitNotice {
    pub operation: &'static str,
    pub wait: Duration,
    pub attempt: u32,
    pub reason: String,
}

pub type WaitObserver = Arc<dyn Fn(WaitNotice) + Send + Sync>;

/// ACM, API Gateway, Cognito and S3 clients sharing one SDK configuration.
#[derive(Clone)]
pub struct AwsClients {
    pub acm: Acm,
    pub apigateway: ApiGateway,
    pub cognito: cognito::Cognito,
    pub s3: S3,
    region: String,
    sdk_config: aws_types::SdkConfig,
}

impl AwsClients {
    /// Loads the SDK configuration (credential chain, profile, region, endpoint override).
    /// Fails with `ErrorKind::Config` when no region can be found.
    pub async fn load(settings: &AwsSettings) -> Result<Self, Error> {
        let loaded = config::load(settings).await?;
        Ok(AwsClients {
            acm: Acm {
                client: aws_sdk_acm::Client::new(&loaded.sdk),
            },
            apigateway: ApiGateway {
                client: aws_sdk_apigateway::Client::new(&loaded.sdk),
                quota: QuotaPolicy {
                    max_waits: settings.max_quota_waits,
                    observer: None,
                    pace: Default::default(),
                },
            },
            cognito: cognito::Cognito::new(&loaded.sdk),
            s3: S3::new(&loaded.sdk, &loaded.region),
            region: loaded.region,
            sdk_config: loaded.sdk,
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The loaded SDK configuration, for callers that need another AWS client on the same
    /// credentials, region and endpoint.
    pub fn sdk_config(&self) -> &aws_types::SdkConfig {
        &self.sdk_config
    }

    /// Whether the credential chain yields credentials, without calling any AWS service.
    /// `Err` carries the chain's explanation (for dry-run's "could not check").
    pub async fn check_credentials(&self) -> Result<(), Error> {
        const OP: &str = "ResolveCredentials";
        let provider = self.sdk_config.credentials_provider().ok_or(Error {
            operation: OP,
            kind: ErrorKind::Credentials,
            code: None,
            message: "no AWS credentials provider is configured".to_string(),
        })?;
        provider
            .provide_credentials()
            .await
            .map(|_| ())
            .map_err(|e| errors::credentials(OP, &e))
    }

    /// Installs the observer told about quota waits (see `WaitNotice`).
    pub fn set_wait_observer(&mut self, observer: WaitObserver) {
        self.apigateway.set_wait_observer(observer);
    }
}

/// AWS Certificate Manager.
#[derive(Clone)]
pub struct Acm {
    client: aws_sdk_acm::Client,
}

impl Acm {
    /// Every certificate ARN in the region (all pages, all statuses).
    pub async fn list_certificate_arns(&self) -> Result<Vec<String>, Error> {
        acm::list_certificate_arns(&self.client).await
    }

    /// Every certificate in the region with the names ListCertificates reports (all pages, all
    /// key types), so a caller can describe only the certificates that can matter to it.
    pub async fn list_certificates(&self) -> Result<Vec<CertificateSummary>, Error> {
        acm::list_certificates(&self.client).await
    }

    /// DescribeCertificate; `None` when ACM does not know the ARN.
    pub async fn describe_certificate(&self, arn: &str) -> Result<Option<Certificate>, Error> {
        acm::describe_certificate(&self.client, arn).await
    }

    /// ListTagsForCertificate.
    pub async fn certificate_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, Error> {
        acm::certificate_tags(&self.client, arn).await
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
        acm::import_certificate(
            &self.client,
            certificate_pem,
            private_key_pem,
            chain_pem,
            tags,
        )
        .await
    }

    /// RequestCertificate of a public certificate for `domain_name` with DNS validation, tagged
    /// in the same call; the same `idempotency_token` within an hour answers the same ARN.
    pub async fn request_certificate(
        &self,
        domain_name: &str,
        idempotency_token: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, Error> {
        acm::request_certificate(&self.client, domain_name, idempotency_token, tags).await
    }

    /// DeleteCertificate. `Ok(false)` when it was already gone.
    pub async fn delete_certificate(&self, arn: &str) -> Result<bool, Error> {
        acm::delete_certificate(&self.client, arn).await
    }

    /// ImportCertificate into the existing `arn` (rotation in place: what uses the ARN keeps
    /// it). No tags (ACM refuses them on a re-import). Sent once, like the first import.
    pub async fn reimport_certificate(
        &self,
        arn: &str,
        certificate_pem: &str,
        private_key_pem: &SecretPem,
        chain_pem: Option<&str>,
    ) -> Result<(), Error> {
        acm::reimport_certificate(
            &self.client,
            arn,
            certificate_pem,
            private_key_pem,
            chain_pem,
        )
        .await
    }

    /// GetCertificate: the certificate (PEM) the ARN holds now; `None` when ACM does not know it.
    pub async fn certificate_body(&self, arn: &str) -> Result<Option<String>, Error> {
        acm::certificate_body(&self.client, arn).await
    }

    /// AddTagsToCertificate (adds or overwrites the given tags).
    pub async fn add_tags_to_certificate(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), Error> {
        acm::add_tags_to_certificate(&self.client, arn, tags).await
    }
}

/// API Gateway (REST APIs, v1).
#[derive(Clone)]
pub struct ApiGateway {
    client: aws_sdk_apigateway::Client,
    quota: QuotaPolicy,
}

impl ApiGateway {
    /// Installs the observer told about quota waits on this client (and its later clones).
    pub fn set_wait_observer(&mut self, observer: WaitObserver) {
        self.quota.observer = Some(observer);
    }

    /// GetDomainName; `None` on NotFound.
    pub async fn get_domain_name(&self, name: &str) -> Result<Option<DomainName>, Error> {
        apigateway::domains::get_domain_name(&self.client, name).await
    }

    /// GetDomainNames, all pages: every custom domain in the region.
    pub async fn list_domain_names(&self) -> Result<Vec<DomainName>, Error> {
        apigateway::domains::list_domain_names(&self.client).await
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
        apigateway::domains::create_regional_domain_name(
            &self.client,
            &self.quota,
            name,
            certificate_arn,
            tags,
        )
        .await
    }

    /// UpdateDomainName: replace the regional certificate (same quota handling as create).
    pub async fn set_domain_certificate(
        &self,
        name: &str,
        certificate_arn: &str,
    ) -> Result<DomainName, Error> {
        apigateway::domains::set_domain_certificate(
            &self.client,
            &self.quota,
            name,
            certificate_arn,
        )
        .await
    }

    /// DeleteDomainName (same quota handling). `Ok(false)` when it was already gone.
    pub async fn delete_domain_name(&self, name: &str) -> Result<bool, Error> {
        apigateway::domains::delete_domain_name(&self.client, &self.quota, name).await
    }

    /// GetBasePathMappings, all pages; NotFound (no mappings, or no such domain) is empty.
    pub async fn list_base_path_mappings(
        &self,
        domain_name: &str,
    ) -> Result<Vec<BasePathMapping>, Error> {
        apigateway::mappings::list_base_path_mappings(&self.client, domain_name).await
    }

    /// CreateBasePathMapping. `base_path` "(none)" or "" = no base path.
    pub async fn create_base_path_mapping(
        &self,
        domain_name: &str,
        base_path: &str,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<BasePathMapping, Error> {
        apigateway::mappings::create_base_path_mapping(
            &self.client,
            domain_name,
            base_path,
            rest_api_id,
            stage,
        )
        .await
    }

    /// UpdateBasePathMapping: point an existing base path at another API and stage.
    pub async fn update_base_path_mapping(
        &self,
        domain_name: &str,
        base_path: &str,
        rest_api_id: &str,
        stage: &str,
    ) -> Result<BasePathMapping, Error> {
        apigateway::mappings::update_base_path_mapping(
            &self.client,
            domain_name,
            base_path,
            rest_api_id,
            stage,
        )
        .await
    }

    /// DeleteBasePathMapping. `Ok(false)` when it was already gone.
    pub async fn delete_base_path_mapping(
        &self,
        domain_name: &str,
        base_path: &str,
    ) -> Result<bool, Error> {
        apigateway::mappings::delete_base_path_mapping(&self.client, domain_name, base_path).await
    }

    /// GetRestApis, all pages.
    pub async fn list_rest_apis(&self) -> Result<Vec<RestApi>, Error> {
        apigateway::apis::list_rest_apis(&self.client).await
    }

    /// GetRestApi; `None` on NotFound.
    pub async fn get_rest_api(&self, id: &str) -> Result<Option<RestApi>, Error> {
        apigateway::apis::get_rest_api(&self.client, id).await
    }

    /// GetStage; `None` on NotFound.
    pub async fn get_stage(&self, rest_api_id: &str, stage: &str) -> Result<Option<Stage>, Error> {
        apigateway::apis::get_stage(&self.client, rest_api_id, stage).await
    }

    /// GetDomainName's mutual TLS and ownership-verification certificate; `None` on NotFound.
    pub async fn get_domain_client_auth(
        &self,
        name: &str,
    ) -> Result<Option<DomainClientAuth>, Error> {
        apigateway::mutual_tls::get_domain_client_auth(&self.client, name).await
    }

    /// UpdateDomainName: require client certificates verified against the S3 truststore
    /// `truststore_uri` (at `truststore_version`), with the ownership-verification certificate
    /// an imported serving certificate needs, in one call (quota handling as for create).
    pub async fn enable_domain_mutual_tls(
        &self,
        name: &str,
        truststore_uri: &str,
        truststore_version: Option<&str>,
        ownership_certificate_arn: Option<&str>,
    ) -> Result<DomainClientAuth, Error> {
        apigateway::mutual_tls::enable_mutual_tls(
            &self.client,
            &self.quota,
            name,
            truststore_uri,
            truststore_version,
            ownership_certificate_arn,
        )
        .await
    }

    /// UpdateDomainName: point mutual TLS at another version of the truststore object.
    pub async fn set_domain_truststore_version(
        &self,
        name: &str,
        truststore_version: &str,
    ) -> Result<DomainClientAuth, Error> {
        apigateway::mutual_tls::set_truststore_version(
            &self.client,
            &self.quota,
            name,
            truststore_version,
        )
        .await
    }

    /// UpdateDomainName: replace the ownership-verification certificate.
    pub async fn set_domain_ownership_certificate(
        &self,
        name: &str,
        certificate_arn: &str,
    ) -> Result<DomainClientAuth, Error> {
        apigateway::mutual_tls::set_ownership_certificate(
            &self.client,
            &self.quota,
            name,
            certificate_arn,
        )
        .await
    }

    /// UpdateDomainName: stop requiring client certificates (an empty truststoreUri).
    pub async fn disable_domain_mutual_tls(&self, name: &str) -> Result<DomainClientAuth, Error> {
        apigateway::mutual_tls::disable_mutual_tls(&self.client, &self.quota, name).await
    }

    /// GetRestApi's `disableExecuteApiEndpoint`; `None` on NotFound.
    pub async fn execute_api_endpoint_disabled(
        &self,
        rest_api_id: &str,
    ) -> Result<Option<bool>, Error> {
        apigateway::default_endpoint::execute_api_endpoint_disabled(&self.client, rest_api_id).await
    }

    /// UpdateRestApi `disableExecuteApiEndpoint`; returns the value now held. Served only
    /// after the next deployment.
    pub async fn set_execute_api_endpoint_disabled(
        &self,
        rest_api_id: &str,
        disabled: bool,
    ) -> Result<bool, Error> {
        apigateway::default_endpoint::set_execute_api_endpoint_disabled(
            &self.client,
            rest_api_id,
            disabled,
        )
        .await
    }
}

/// S3, for the origin lock's truststore bucket and object.
#[derive(Clone)]
pub struct S3 {
    client: aws_sdk_s3::Client,
    region: String,
}

impl S3 {
    fn new(sdk: &aws_types::SdkConfig, region: &str) -> Self {
        // With an endpoint override (an S3-compatible or local endpoint) buckets are addressed
        // by path: virtual-hosted names (`bucket.host`) need wildcard DNS that such endpoints
        // rarely have. AWS's own endpoints keep virtual-hosted addressing.
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        S3 {
            client: aws_sdk_s3::Client::from_conf(config),
            region: region.to_owned(),
        }
    }

    /// CreateBucket in the clients' region (no LocationConstraint in us-east-1). Not retried
    /// by the SDK: on an unknown outcome look with [`S3::bucket_exists`] first. Tag it right
    /// after with [`S3::put_bucket_tags`] to mark it as flarelink's.
    pub async fn create_bucket(&self, bucket: &str) -> Result<(), Error> {
        s3::create_bucket(&self.client, &self.region, bucket).await
    }

    /// HeadBucket: `false` when there is no such bucket.
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool, Error> {
        s3::bucket_exists(&self.client, bucket).await
    }

    /// PutBucketTagging (replaces the whole tag set).
    pub async fn put_bucket_tags(
        &self,
        bucket: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), Error> {
        s3::put_bucket_tags(&self.client, bucket, tags).await
    }

    /// GetBucketTagging; empty when the bucket has no tags.
    pub async fn bucket_tags(&self, bucket: &str) -> Result<BTreeMap<String, String>, Error> {
        s3::bucket_tags(&self.client, bucket).await
    }

    /// PutBucketVersioning `Enabled`.
    pub async fn enable_versioning(&self, bucket: &str) -> Result<(), Error> {
        s3::enable_versioning(&self.client, bucket).await
    }

    /// GetBucketVersioning.
    pub async fn versioning(&self, bucket: &str) -> Result<Versioning, Error> {
        s3::versioning(&self.client, bucket).await
    }

    /// PutObject; the new version's id (`None` without versioning). Not retried by the SDK.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<Option<String>, Error> {
        s3::put_object(&self.client, bucket, key, body, content_type).await
    }

    /// HeadObject (a version, or the current one); `None` when there is none.
    pub async fn head_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<ObjectHead>, Error> {
        s3::head_object(&self.client, bucket, key, version_id).await
    }

    /// GetObject (a version, or the current one): its bytes; `None` when there is none.
    pub async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<Vec<u8>>, Error> {
        s3::get_object(&self.client, bucket, key, version_id).await
    }

    /// ListObjectVersions, all pages, versions and delete markers under `prefix`.
    pub async fn list_object_versions(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectVersionEntry>, Error> {
        s3::list_object_versions(&self.client, bucket, prefix).await
    }

    /// DeleteObject of one version for good; `Ok(false)` when already gone.
    pub async fn delete_object_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<bool, Error> {
        s3::delete_object_version(&self.client, bucket, key, version_id).await
    }

    /// DeleteBucket (must be empty); `Ok(false)` when already gone.
    pub async fn delete_bucket(&self, bucket: &str) -> Result<bool, Error> {
        s3::delete_bucket(&self.client, bucket).await
    }
}
