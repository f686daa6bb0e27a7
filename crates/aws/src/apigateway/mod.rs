//! API Gateway (REST APIs, v1): one small function per operation, by concern.

pub(crate) mod apis;
pub(crate) mod default_endpoint;
pub(crate) mod domains;
pub(crate) mod mappings;
pub(crate) mod mutual_tls;
pub(crate) mod provision;

use aws_sdk_apigateway::types::EndpointConfiguration;

fn endpoint_types(config: Option<&EndpointConfiguration>) -> Vec<String> {
    config
        .map(|c| c.types().iter().map(|t| t.as_str().to_owned()).collect())
        .unwrap_or_default()
}
