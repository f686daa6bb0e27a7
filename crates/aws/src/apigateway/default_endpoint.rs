//! A REST API's default `execute-api` endpoint: `disableExecuteApiEndpoint`, read with
//! GetRestApi and set with UpdateRestApi `replace /disableExecuteApiEndpoint`. It takes effect
//! only after the next deployment (AWS: "After you disable the default endpoint, you must deploy
//! your API for the change to take effect"); the caller redeploys. A `replace` is idempotent, so
//! the SDK's retry stays on.

use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_sdk_apigateway::Client;

use crate::acm::none_if_not_found;
use crate::errors::from_sdk;
use crate::Error;

/// GetRestApi's `disableExecuteApiEndpoint`; `None` when there is no such API.
pub(crate) async fn execute_api_endpoint_disabled(
    client: &Client,
    rest_api_id: &str,
) -> Result<Option<bool>, Error> {
    match client.get_rest_api().rest_api_id(rest_api_id).send().await {
        Ok(api) => Ok(Some(api.disable_execute_api_endpoint())),
        Err(e) => none_if_not_found(from_sdk("GetRestApi", e)),
    }
}

/// UpdateRestApi: turns the default endpoint off (`disabled`) or on again; returns the value
/// API Gateway now holds.
pub(crate) async fn set_execute_api_endpoint_disabled(
    client: &Client,
    rest_api_id: &str,
    disabled: bool,
) -> Result<bool, Error> {
    let replace = PatchOperation::builder()
        .op(Op::Replace)
        .path("/disableExecuteApiEndpoint")
        .value(if disabled { "true" } else { "false" })
        .build();
    client
        .update_rest_api()
        .rest_api_id(rest_api_id)
        .patch_operations(replace)
        .send()
        .await
        .map(|api| api.disable_execute_api_endpoint())
        .map_err(|e| from_sdk("UpdateRestApi", e))
}
