/// What kind of failure, so callers can decide without string matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No region, bad profile, unusable endpoint.
    Config,
    /// No credentials, or credentials AWS rejects (expired, invalid, unrecognized).
    Credentials,
    /// The principal lacks an IAM permission.
    AccessDenied,
    /// Throttled beyond our retry budget.
    Throttled,
    NotFound,
    Conflict,
    /// AWS rejected the request's content.
    BadRequest,
    /// A quota (not a rate) is exhausted, e.g. ACM's imported-certificate limit.
    LimitExceeded,
    /// No answer (timeout, connection failure, 5xx) after retries.
    Transport,
    Other,
    /// A Cognito user pool refused a sign-in (wrong password, user disabled or not confirmed,
    /// auth flow not enabled on the app client). Not a problem with the AWS credentials.
    NotAuthorized,
}

#[derive(Debug, thiserror::Error)]
#[error("AWS {operation} failed: {message}{}", .code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
pub struct Error {
    pub operation: &'static str,
    pub kind: ErrorKind,
    /// The service's error code, e.g. `TooManyRequestsException`.
    pub code: Option<String>,
    /// The service's own message, verbatim.
    pub message: String,
}

/// The placeholder `hint()` puts where a region belongs in an ARN.
const REGION_PLACEHOLDER: &str = "REGION";

impl Error {
    /// Whether a failed call may have been carried out anyway: no answer (timeout, reset), a 5xx
    /// or an unreadable answer. A create that fails so is looked for before it is sent again.
    /// Throttling and every other refusal mean AWS did not act.
    pub fn may_have_acted(&self) -> bool {
        matches!(self.kind, ErrorKind::Transport | ErrorKind::Other)
    }

    /// What the user can do about it (e.g. the IAM action to grant), when we know.
    ///
    /// ARNs in the hint carry the placeholder `REGION`; [`Error::hint_in_region`] fills it in.
    pub fn hint(&self) -> Option<String> {
        self.hint_in_region(REGION_PLACEHOLDER)
    }

    /// Like [`Error::hint`], with `region` in the ARNs it names.
    pub fn hint_in_region(&self, region: &str) -> Option<String> {
        match self.kind {
            ErrorKind::AccessDenied => Some(access_denied_hint(self.operation, region)),
            ErrorKind::Credentials => Some(CREDENTIALS_HINT.to_string()),
            ErrorKind::Throttled => Some(throttled_hint(self.operation)),
            ErrorKind::LimitExceeded => Some(limit_hint(self.operation)),
            ErrorKind::Transport => Some(TRANSPORT_HINT.to_string()),
            ErrorKind::Config => Some(CONFIG_HINT.to_string()),
            ErrorKind::NotAuthorized => Some(not_authorized_hint(self.code.as_deref())),
            ErrorKind::NotFound
            | ErrorKind::Conflict
            | ErrorKind::BadRequest
            | ErrorKind::Other => None,
        }
    }
}

const CREDENTIALS_HINT: &str = "configure AWS credentials: set AWS_PROFILE to a profile in \
~/.aws/config (or the `profile` setting), run `aws configure` to store access keys, or \
`aws sso login --profile NAME` when an SSO session has expired; AWS_ACCESS_KEY_ID and \
AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys) work too";

const TRANSPORT_HINT: &str = "no usable answer from AWS: check the network and any proxy \
(HTTPS_PROXY), and the endpoint override if one is set (`endpoint_url` in config.toml, \
AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ACM, AWS_ENDPOINT_URL_API_GATEWAY)";

const CONFIG_HINT: &str = "set the AWS region: `region` in config.toml, --region, or AWS_REGION \
(a `region` line in the profile of ~/.aws/config works too)";

/// The IAM action (and resource) an operation needs.
fn iam_requirement(operation: &str, region: &str) -> Option<String> {
    let domains = format!("arn:aws:apigateway:{region}::/domainnames");
    let acm_certs = format!("arn:aws:acm:{region}:ACCOUNT_ID:certificate/*");
    Some(match operation {
        "ImportCertificate" => format!(
            "acm:ImportCertificate and acm:AddTagsToCertificate (importing with tags needs both) \
             on {acm_certs}"
        ),
        "ListCertificates" => "acm:ListCertificates (resource \"*\")".to_string(),
        "DescribeCertificate" => format!("acm:DescribeCertificate on {acm_certs}"),
        "ListTagsForCertificate" => format!("acm:ListTagsForCertificate on {acm_certs}"),
        "DeleteCertificate" => format!("acm:DeleteCertificate on {acm_certs}"),
        "GetDomainName" => format!("apigateway:GET on {domains}/DOMAIN"),
        "GetDomainNames" => format!("apigateway:GET on {domains}"),
        "CreateDomainName" => format!("apigateway:POST on {domains}"),
        "UpdateDomainName" => format!("apigateway:PATCH on {domains}/DOMAIN"),
        "DeleteDomainName" => format!("apigateway:DELETE on {domains}/DOMAIN"),
        "GetBasePathMappings" => {
            format!("apigateway:GET on {domains}/DOMAIN/basepathmappings")
        }
        "CreateBasePathMapping" => {
            format!("apigateway:POST on {domains}/DOMAIN/basepathmappings")
        }
        "UpdateBasePathMapping" => {
            format!("apigateway:PATCH on {domains}/DOMAIN/basepathmappings/*")
        }
        "DeleteBasePathMapping" => {
            format!("apigateway:DELETE on {domains}/DOMAIN/basepathmappings/*")
        }
        "GetRestApis" => format!("apigateway:GET on arn:aws:apigateway:{region}::/restapis"),
        "GetRestApi" => format!("apigateway:GET on arn:aws:apigateway:{region}::/restapis/*"),
        // Provisioning a REST API (resources, methods, integrations, authorizers, deployments).
        "CreateRestApi" => format!("apigateway:POST on arn:aws:apigateway:{region}::/restapis"),
        "DeleteRestApi" => {
            format!("apigateway:DELETE on arn:aws:apigateway:{region}::/restapis/*")
        }
        "GetResources" | "GetMethod" | "GetIntegration" => format!(
            "apigateway:GET on arn:aws:apigateway:{region}::/restapis/*/resources and \
             arn:aws:apigateway:{region}::/restapis/*/resources/*"
        ),
        "CreateResource" => {
            format!("apigateway:POST on arn:aws:apigateway:{region}::/restapis/*/resources/*")
        }
        "PutMethod" | "PutIntegration" => format!(
            "apigateway:PUT on arn:aws:apigateway:{region}::/restapis/*/resources/*/methods/*"
        ),
        "UpdateMethod" => format!(
            "apigateway:PATCH on arn:aws:apigateway:{region}::/restapis/*/resources/*/methods/*"
        ),
        "DeleteMethod" => format!(
            "apigateway:DELETE on arn:aws:apigateway:{region}::/restapis/*/resources/*/methods/*"
        ),
        "GetAuthorizers" => {
            format!("apigateway:GET on arn:aws:apigateway:{region}::/restapis/*/authorizers")
        }
        "CreateAuthorizer" => {
            format!("apigateway:POST on arn:aws:apigateway:{region}::/restapis/*/authorizers")
        }
        "UpdateAuthorizer" => {
            format!("apigateway:PATCH on arn:aws:apigateway:{region}::/restapis/*/authorizers/*")
        }
        "CreateDeployment" => {
            format!("apigateway:POST on arn:aws:apigateway:{region}::/restapis/*/deployments")
        }
        "GetDeployment" => {
            format!("apigateway:GET on arn:aws:apigateway:{region}::/restapis/*/deployments/*")
        }
        "GetStage" => {
            format!("apigateway:GET on arn:aws:apigateway:{region}::/restapis/*/stages/*")
        }
        op if is_cognito_operation(op) => return cognito_iam_requirement(op, region),
        _ => return None,
    })
}

fn access_denied_hint(operation: &str, region: &str) -> String {
    if is_cognito_public_operation(operation) {
        return format!(
            "{operation} is a public Cognito API (no IAM permission applies): the request was \
             refused before reaching the user pool, e.g. by an AWS WAF web ACL on the user pool"
        );
    }
    match iam_requirement(operation, region) {
        Some(need) => format!("grant the AWS principal {need}"),
        None => format!("grant the AWS principal the IAM permission for {operation}"),
    }
}

fn is_domain_quota_operation(operation: &str) -> bool {
    matches!(
        operation,
        "CreateDomainName" | "UpdateDomainName" | "DeleteDomainName"
    )
}

/// API Gateway's hard quotas on provisioning calls, waited out in `crate::retry`.
fn rest_api_quota(operation: &str) -> Option<&'static str> {
    match operation {
        "CreateRestApi" => Some("once per 3 seconds (regional APIs)"),
        "CreateDeployment" => Some("once per 5 seconds"),
        "DeleteRestApi" => Some("once per 30 seconds"),
        _ => None,
    }
}

fn throttled_hint(operation: &str) -> String {
    if let Some(quota) = rest_api_quota(operation) {
        return format!(
            "API Gateway allows {operation} {quota} per account (a quota AWS does not raise); \
             another tool or run may be using it: wait a little and run again"
        );
    }
    if is_domain_quota_operation(operation) {
        "API Gateway allows CreateDomainName, UpdateDomainName and DeleteDomainName once per 30 \
         seconds per account (a quota AWS does not raise); another tool or run may be using it: \
         wait a minute and run again"
            .to_string()
    } else if is_cognito_operation(operation) {
        "Cognito is rate-limiting this account's requests (user-pool operations have per-category \
         quotas, e.g. UserCreation, UserAuthentication, UserPoolRead); wait a little and run \
         again, or request a higher quota in Service Quotas"
            .to_string()
    } else if operation.contains("Certificate") {
        "ACM is rate-limiting this account's requests; wait a little and run again".to_string()
    } else {
        "API Gateway's control plane allows about 10 requests per second per account (burst \
         40); wait a little and run again"
            .to_string()
    }
}

fn limit_hint(operation: &str) -> String {
    if is_cognito_operation(operation) {
        return "a Cognito limit was reached: a resource quota (e.g. user pools per account, app \
                clients per user pool) — remove unused ones or request more in Service Quotas — \
                or, for sign-in and password calls, too many attempts: wait and try again"
            .to_string();
    }
    if operation.contains("Certificate") {
        "ACM allows 2,500 imported certificates per account and region (and 5,000 imports a \
         year): delete imported certificates nothing uses, or request a higher quota in \
         Service Quotas"
            .to_string()
    } else {
        "an API Gateway quota is exhausted (e.g. custom domain names per region): remove unused \
         resources or request a higher quota in Service Quotas"
            .to_string()
    }
}

/// Cognito user-pool operations flarelink calls (service `cognito-idp`).
const COGNITO_OPERATIONS: &[&str] = &[
    "ListUserPools",
    "DescribeUserPool",
    "CreateUserPool",
    "UpdateUserPool",
    "ListUserPoolClients",
    "DescribeUserPoolClient",
    "CreateUserPoolClient",
    "UpdateUserPoolClient",
    "DescribeUserPoolDomain",
    "CreateUserPoolDomain",
    "DeleteUserPoolDomain",
    "AdminCreateUser",
    "AdminSetUserPassword",
    "AdminConfirmSignUp",
    "AdminGetUser",
    "AdminDeleteUser",
    "SignUp",
    "InitiateAuth",
    "RespondToAuthChallenge",
];

/// Cognito operations that are not IAM-authorized (a client id, not AWS credentials, names
/// the user pool).
fn is_cognito_public_operation(operation: &str) -> bool {
    matches!(
        operation,
        "SignUp" | "InitiateAuth" | "RespondToAuthChallenge"
    )
}

fn is_cognito_operation(operation: &str) -> bool {
    COGNITO_OPERATIONS.contains(&operation)
}

/// The IAM action (and resource) a Cognito operation needs.
fn cognito_iam_requirement(operation: &str, region: &str) -> Option<String> {
    let pools = format!("arn:aws:cognito-idp:{region}:ACCOUNT_ID:userpool/*");
    Some(match operation {
        // Neither names a user pool: IAM allows them on "*" only.
        "ListUserPools" | "DescribeUserPoolDomain" => {
            format!("cognito-idp:{operation} (resource \"*\")")
        }
        "CreateUserPool" => "cognito-idp:CreateUserPool (resource \"*\"), and \
             cognito-idp:TagResource when tags are given"
            .to_string(),
        "UpdateUserPool" => format!(
            "cognito-idp:UpdateUserPool on {pools} (and cognito-idp:TagResource when tags change)"
        ),
        op if is_cognito_public_operation(op) => return None,
        op => format!("cognito-idp:{op} on {pools}"),
    })
}

fn not_authorized_hint(code: Option<&str>) -> String {
    match code {
        Some("UserNotConfirmedException") => "the user has not confirmed the sign-up: confirm it \
            (AdminConfirmSignUp, or the code Cognito sent) and sign in again"
            .to_string(),
        Some("PasswordResetRequiredException") => "the user must reset the password before \
            signing in (forgot-password flow, or AdminSetUserPassword)"
            .to_string(),
        _ => "the user pool refused the sign-in: check the username and password, that the user \
              is enabled and confirmed, and that the app client allows this auth flow \
              (ALLOW_USER_SRP_AUTH, ALLOW_USER_PASSWORD_AUTH); this is not about AWS credentials"
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_hints_name_the_iam_action_and_the_quota() {
        for (op, need) in [
            (
                "CreateRestApi",
                "apigateway:POST on arn:aws:apigateway:REGION::/restapis",
            ),
            (
                "DeleteRestApi",
                "apigateway:DELETE on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "GetResources",
                "apigateway:GET on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "CreateResource",
                "apigateway:POST on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "PutMethod",
                "apigateway:PUT on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "PutIntegration",
                "apigateway:PUT on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "UpdateMethod",
                "apigateway:PATCH on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "DeleteMethod",
                "apigateway:DELETE on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "GetAuthorizers",
                "apigateway:GET on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "CreateAuthorizer",
                "apigateway:POST on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "UpdateAuthorizer",
                "apigateway:PATCH on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "CreateDeployment",
                "apigateway:POST on arn:aws:apigateway:REGION::/restapis/*",
            ),
            (
                "GetDeployment",
                "apigateway:GET on arn:aws:apigateway:REGION::/restapis/*",
            ),
        ] {
            let hint = error(op, ErrorKind::AccessDenied).hint().unwrap();
            assert!(hint.contains(need), "{op}: {hint}");
        }
        for (op, quota) in [
            ("CreateRestApi", "3 seconds"),
            ("CreateDeployment", "5 seconds"),
            ("DeleteRestApi", "30 seconds"),
        ] {
            let hint = error(op, ErrorKind::Throttled).hint().unwrap();
            assert!(hint.contains(op) && hint.contains(quota), "{op}: {hint}");
        }
        let h = error("CreateResource", ErrorKind::Throttled)
            .hint()
            .unwrap();
        assert!(h.contains("10 requests per second"), "{h}");
    }

    fn error(operation: &'static str, kind: ErrorKind) -> Error {
        Error {
            operation,
            kind,
            code: None,
            message: "m".into(),
        }
    }

    #[test]
    fn display_carries_operation_message_and_code() {
        let e = Error {
            operation: "CreateDomainName",
            kind: ErrorKind::Throttled,
            code: Some("TooManyRequestsException".into()),
            message: "Too Many Requests".into(),
        };
        assert_eq!(
            e.to_string(),
            "AWS CreateDomainName failed: Too Many Requests (TooManyRequestsException)"
        );
    }

    #[test]
    fn access_denied_names_the_iam_action() {
        let hint = error("ImportCertificate", ErrorKind::AccessDenied)
            .hint()
            .unwrap();
        assert!(hint.contains("acm:ImportCertificate"), "{hint}");
        assert!(hint.contains("acm:AddTagsToCertificate"), "{hint}");
        let hint = error("DeleteDomainName", ErrorKind::AccessDenied)
            .hint_in_region("eu-west-1")
            .unwrap();
        assert!(
            hint.contains("apigateway:DELETE on arn:aws:apigateway:eu-west-1::/domainnames/"),
            "{hint}"
        );
        for (op, action) in [
            ("ListCertificates", "acm:ListCertificates"),
            ("DescribeCertificate", "acm:DescribeCertificate"),
            ("ListTagsForCertificate", "acm:ListTagsForCertificate"),
            ("DeleteCertificate", "acm:DeleteCertificate"),
            ("GetDomainName", "apigateway:GET"),
            ("CreateDomainName", "apigateway:POST"),
            ("UpdateDomainName", "apigateway:PATCH"),
            ("CreateBasePathMapping", "apigateway:POST"),
            ("UpdateBasePathMapping", "apigateway:PATCH"),
            ("DeleteBasePathMapping", "apigateway:DELETE"),
            ("GetBasePathMappings", "apigateway:GET"),
            ("GetRestApis", "/restapis"),
            ("GetStage", "/stages/"),
        ] {
            let hint = error(op, ErrorKind::AccessDenied).hint().unwrap();
            assert!(hint.contains(action), "{op}: {hint}");
        }
    }

    #[test]
    fn other_kinds_point_at_the_fix() {
        let h = error("GetRestApis", ErrorKind::Credentials).hint().unwrap();
        assert!(
            h.contains("AWS_PROFILE") && h.contains("aws configure") && h.contains("aws sso login")
        );
        let h = error("CreateDomainName", ErrorKind::Throttled)
            .hint()
            .unwrap();
        assert!(h.contains("30 seconds"), "{h}");
        let h = error("ImportCertificate", ErrorKind::LimitExceeded)
            .hint()
            .unwrap();
        assert!(h.contains("2,500"), "{h}");
        let h = error("GetRestApis", ErrorKind::Transport).hint().unwrap();
        assert!(h.contains("AWS_ENDPOINT_URL"), "{h}");
        let h = error("LoadConfig", ErrorKind::Config).hint().unwrap();
        assert!(h.contains("--region") && h.contains("AWS_REGION"), "{h}");
        assert_eq!(error("GetStage", ErrorKind::NotFound).hint(), None);
    }

    #[test]
    fn cognito_hints_name_the_action_and_never_blame_credentials_for_a_password() {
        let hint = error("DescribeUserPool", ErrorKind::AccessDenied)
            .hint_in_region("eu-west-1")
            .unwrap();
        assert!(
            hint.contains(
                "cognito-idp:DescribeUserPool on arn:aws:cognito-idp:eu-west-1:ACCOUNT_ID:userpool/*"
            ),
            "{hint}"
        );
        for (op, action) in [
            (
                "ListUserPools",
                "cognito-idp:ListUserPools (resource \"*\")",
            ),
            ("CreateUserPool", "cognito-idp:TagResource"),
            ("UpdateUserPool", "cognito-idp:UpdateUserPool"),
            ("ListUserPoolClients", "cognito-idp:ListUserPoolClients"),
            (
                "DescribeUserPoolClient",
                "cognito-idp:DescribeUserPoolClient",
            ),
            ("CreateUserPoolClient", "cognito-idp:CreateUserPoolClient"),
            ("UpdateUserPoolClient", "cognito-idp:UpdateUserPoolClient"),
            (
                "DescribeUserPoolDomain",
                "cognito-idp:DescribeUserPoolDomain (resource",
            ),
            ("CreateUserPoolDomain", "cognito-idp:CreateUserPoolDomain"),
            ("DeleteUserPoolDomain", "cognito-idp:DeleteUserPoolDomain"),
            ("AdminCreateUser", "cognito-idp:AdminCreateUser"),
            ("AdminSetUserPassword", "cognito-idp:AdminSetUserPassword"),
            ("AdminConfirmSignUp", "cognito-idp:AdminConfirmSignUp"),
            ("AdminGetUser", "cognito-idp:AdminGetUser"),
            ("AdminDeleteUser", "cognito-idp:AdminDeleteUser"),
        ] {
            let hint = error(op, ErrorKind::AccessDenied).hint().unwrap();
            assert!(hint.contains(action), "{op}: {hint}");
        }
        let hint = error("InitiateAuth", ErrorKind::AccessDenied)
            .hint()
            .unwrap();
        assert!(hint.contains("no IAM permission"), "{hint}");

        let hint = error("InitiateAuth", ErrorKind::NotAuthorized)
            .hint()
            .unwrap();
        assert!(hint.contains("username and password"), "{hint}");
        assert!(!hint.contains("AWS_PROFILE"), "{hint}");
        let mut unconfirmed = error("InitiateAuth", ErrorKind::NotAuthorized);
        unconfirmed.code = Some("UserNotConfirmedException".into());
        assert!(unconfirmed.hint().unwrap().contains("AdminConfirmSignUp"));

        let h = error("AdminCreateUser", ErrorKind::Throttled)
            .hint()
            .unwrap();
        assert!(h.contains("Cognito"), "{h}");
        let h = error("CreateUserPool", ErrorKind::LimitExceeded)
            .hint()
            .unwrap();
        assert!(h.contains("Cognito"), "{h}");
    }
}
