//! Reports: the vocabulary of a run — the thirteen steps, what a step would do or did, and the
//! summary a user (or a script, through `--output json`) reads at the end — and the progress
//! sink that hears of each step as it settles.

use serde::Serialize;

/// The steps flarelink runs: the six of the guide's Cloudflare integration (`link-domain`), in
/// order, then the seven of its API and Cognito setup (`provision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepId {
    OriginCert,
    AcmImport,
    CustomDomain,
    ApiMapping,
    DnsRecord,
    SslMode,
    UserPool,
    AppClient,
    HostedUiDomain,
    RestApi,
    Authorizer,
    Route,
    Deployment,
    /// With `[domain.certificate] source = "acm"`, these two take the place of `origin-cert`
    /// and `acm-import` (steps 1 and 2 of `link-domain`).
    AcmRequest,
    ValidationRecord,
    /// The origin lock's four steps (`[[domain]] origin_lock = "mtls"`), run by `link-domain`
    /// after a hostname's six: Cloudflare presents a client certificate, S3 holds its CA, API
    /// Gateway requires it, and the default `execute-api` endpoint is off.
    OriginPullCert,
    Truststore,
    DomainMtls,
    DefaultEndpoint,
}

impl StepId {
    pub const ALL: [StepId; 6] = [
        StepId::OriginCert,
        StepId::AcmImport,
        StepId::CustomDomain,
        StepId::ApiMapping,
        StepId::DnsRecord,
        StepId::SslMode,
    ];

    pub const PROVISION: [StepId; 7] = [
        StepId::UserPool,
        StepId::AppClient,
        StepId::HostedUiDomain,
        StepId::RestApi,
        StepId::Authorizer,
        StepId::Route,
        StepId::Deployment,
    ];

    /// The certificate steps of an ACM-issued certificate (`source = "acm"`).
    pub const ACM: [StepId; 2] = [StepId::AcmRequest, StepId::ValidationRecord];

    /// The origin lock's steps, in the order that turns it on (off runs them in reverse).
    pub const LOCK: [StepId; 4] = [
        StepId::OriginPullCert,
        StepId::Truststore,
        StepId::DomainMtls,
        StepId::DefaultEndpoint,
    ];

    /// Position within its command: 1–6 for `link-domain`, 1–7 for `provision`.
    pub fn number(self) -> u8 {
        match self {
            StepId::AcmRequest => return 1,
            StepId::ValidationRecord => return 2,
            StepId::OriginPullCert => return 1,
            StepId::Truststore => return 2,
            StepId::DomainMtls => return 3,
            StepId::DefaultEndpoint => return 4,
            _ => {}
        }
        let i = self as u8;
        if i < 6 {
            i + 1
        } else {
            i - 5
        }
    }

    /// How many steps its command has.
    pub fn total(self) -> u8 {
        if StepId::LOCK.contains(&self) {
            return 4;
        }
        if (self as u8) < 6 || StepId::ACM.contains(&self) {
            6
        } else {
            7
        }
    }

    /// The name used in output, in `FLARELINK_FAULT_AFTER_STEP` and in subcommands.
    pub fn name(self) -> &'static str {
        match self {
            StepId::OriginCert => "origin-cert",
            StepId::AcmImport => "acm-import",
            StepId::CustomDomain => "custom-domain",
            StepId::ApiMapping => "api-mapping",
            StepId::DnsRecord => "dns-record",
            StepId::SslMode => "ssl-mode",
            StepId::UserPool => "user-pool",
            StepId::AppClient => "app-client",
            StepId::HostedUiDomain => "hosted-ui-domain",
            StepId::RestApi => "rest-api",
            StepId::Authorizer => "authorizer",
            StepId::Route => "route",
            StepId::Deployment => "deployment",
            StepId::AcmRequest => "acm-request",
            StepId::ValidationRecord => "validation-record",
            StepId::OriginPullCert => "origin-pull-cert",
            StepId::Truststore => "truststore",
            StepId::DomainMtls => "domain-mtls",
            StepId::DefaultEndpoint => "default-endpoint",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            StepId::OriginCert => "Cloudflare Origin CA certificate",
            StepId::AcmImport => "ACM certificate import",
            StepId::CustomDomain => "API Gateway custom domain (regional)",
            StepId::ApiMapping => "API mapping",
            StepId::DnsRecord => "proxied CNAME in Cloudflare",
            StepId::SslMode => "Cloudflare SSL/TLS encryption mode",
            StepId::UserPool => "Cognito user pool",
            StepId::AppClient => "Cognito app client",
            StepId::HostedUiDomain => "Cognito hosted-UI domain",
            StepId::RestApi => "REST API (regional)",
            StepId::Authorizer => "Cognito authorizer",
            StepId::Route => "route (method + HTTP integration)",
            StepId::Deployment => "deployment to the stage",
            StepId::AcmRequest => "ACM-issued certificate (DNS validation)",
            StepId::ValidationRecord => "ACM validation CNAME in Cloudflare (DNS only)",
            StepId::OriginPullCert => "Cloudflare per-hostname origin-pull client certificate",
            StepId::Truststore => "S3 truststore with the client CA",
            StepId::DomainMtls => "mutual TLS on the API Gateway custom domain",
            StepId::DefaultEndpoint => "default execute-api endpoint off",
        }
    }

    pub fn from_name(name: &str) -> Option<StepId> {
        StepId::ALL
            .into_iter()
            .chain(StepId::PROVISION)
            .chain(StepId::ACM)
            .chain(StepId::LOCK)
            .find(|s| s.name() == name)
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a step finds it must do (in a plan) or did (after applying).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Already as wanted: nothing to do.
    Exists,
    Create,
    Change,
    Delete,
    /// Nothing of flarelink's there (unlink), or left alone on purpose.
    Skip,
    /// Live state could not be read (dry-run without credentials).
    Unknown,
}

impl Action {
    pub fn is_write(self) -> bool {
        matches!(self, Action::Create | Action::Change | Action::Delete)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Exists => "exists",
            Action::Create => "create",
            Action::Change => "change",
            Action::Delete => "delete",
            Action::Skip => "skip",
            Action::Unknown => "unknown",
        }
    }
}

/// One step for one hostname (or for the zone: `ssl-mode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub step: StepId,
    pub number: u8,
    /// Steps in the command (6 for link-domain, 7 for provision).
    pub of: u8,
    /// `None` for zone-wide steps.
    pub hostname: Option<String>,
    pub action: Action,
    /// One line: what exists or what would be / was done.
    pub summary: String,
    /// Further facts, e.g. the previous value of a setting.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// Whether the action was carried out (false in a dry-run or when nothing was needed).
    pub applied: bool,
}

impl StepReport {
    pub fn new(
        step: StepId,
        hostname: Option<&str>,
        action: Action,
        summary: impl Into<String>,
    ) -> Self {
        StepReport {
            step,
            number: step.number(),
            of: step.total(),
            hostname: hostname.map(str::to_string),
            action,
            summary: summary.into(),
            details: Vec::new(),
            applied: false,
        }
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.details.push(d.into());
        self
    }
}

/// What a hostname ends up with: the facts a user needs afterwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DomainSummary {
    pub hostname: String,
    pub regional_domain_name: Option<String>,
    pub certificate_arn: Option<String>,
    pub cloudflare_certificate_id: Option<String>,
    pub rest_api_id: Option<String>,
    pub stage: String,
    pub base_path: String,
    /// The origin lock (`[[domain]] origin_lock`) and what holds it; omitted when unknown.
    #[serde(flatten)]
    pub lock: LockSummary,
}

/// A hostname's origin lock in the run's summary (see `origin_lock`). Every field is omitted
/// when not known, so the JSON of a hostname without a lock is unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LockSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_lock: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate_expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truststore_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truststore_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ownership_certificate_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execute_api_endpoint_disabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ZoneSummary {
    pub name: Option<String>,
    pub id: Option<String>,
    /// The SSL/TLS mode before this run (zone-wide).
    pub ssl_mode_before: Option<String>,
    /// The SSL/TLS mode after this run (or after it would run, in a dry-run).
    pub ssl_mode: Option<String>,
    /// Where flarelink sets the mode (`cloudflare.ssl_scope`): `hostname` (a Configuration
    /// Rule; `ssl_mode` above is then the zone's own, left as is) or `zone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_scope: Option<String>,
}

/// What `provision` leaves behind, for the summary and for `token`, `login-url` and `verify`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProvisionSummary {
    pub user_pool_id: Option<String>,
    pub user_pool_arn: Option<String>,
    pub app_client_id: Option<String>,
    pub hosted_ui: Option<String>,
    pub rest_api_id: Option<String>,
    pub stage: String,
    /// `https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`.
    pub invoke_url: Option<String>,
    pub deployment_id: Option<String>,
}

/// The whole result of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub command: String,
    pub dry_run: bool,
    pub steps: Vec<StepReport>,
    pub domains: Vec<DomainSummary>,
    pub zone: ZoneSummary,
    /// What a dry-run could not check, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// `provision`'s summary (user pool, app client, hosted UI, REST API, invoke URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned: Option<ProvisionSummary>,
}

impl RunReport {
    pub fn new(command: &str, dry_run: bool) -> Self {
        RunReport {
            command: command.to_string(),
            dry_run,
            steps: Vec::new(),
            domains: Vec::new(),
            zone: ZoneSummary::default(),
            unchecked: Vec::new(),
            warnings: Vec::new(),
            provisioned: None,
        }
    }

    /// Number of steps that changed (or would change) something.
    pub fn changes(&self) -> usize {
        self.steps.iter().filter(|s| s.action.is_write()).count()
    }
}

/// Progress as a run goes; the CLI draws it (spinner on a terminal, plain lines otherwise).
/// Waits for AWS quotas reach the CLI directly from the AWS client (`flarelink_aws::WaitNotice`).
///
/// Hostnames settle in parallel: a run over several first calls [`Progress::hostnames`], then
/// [`Progress::hostname_settled`] when a hostname's last step has settled (or it failed), so a
/// sink can keep each hostname's lines together.
pub trait Progress: Send + Sync {
    /// A step starts doing something remote (or waits for something, e.g. a quota).
    fn begin(&self, step: StepId, hostname: Option<&str>, message: &str);
    /// A step is settled.
    fn end(&self, report: &StepReport);
    /// The run is about to settle these hostnames, side by side.
    fn hostnames(&self, _hostnames: &[String]) {}
    /// Every step of `hostname` has settled (or the hostname stopped on an error).
    fn hostname_settled(&self, _hostname: &str) {}
    /// The run waits for something outside any step (another run's lock).
    fn waiting(&self, _message: &str) {}
}

/// For library callers and tests that want no output.
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _: StepId, _: Option<&str>, _: &str) {}
    fn end(&self, _: &StepReport) {}
}
