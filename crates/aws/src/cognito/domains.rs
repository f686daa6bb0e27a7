//! Hosted-UI prefix domains (`<prefix>.auth.<region>.amazoncognito.com`).

use aws_sdk_cognitoidentityprovider::Client;

use super::code_is;
use super::types::DomainInfo;
use crate::errors::from_sdk;
use crate::Error;

/// DescribeUserPoolDomain answers an empty description (not an error) for a domain nobody
/// has: that is `None`. A domain another pool owns is `Some` with that pool's id.
pub(crate) async fn describe_domain(
    client: &Client,
    prefix: &str,
) -> Result<Option<DomainInfo>, Error> {
    let out = client
        .describe_user_pool_domain()
        .domain(prefix)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeUserPoolDomain", e))?;
    let Some(d) = out.domain_description() else {
        return Ok(None);
    };
    let Some(pool_id) = d.user_pool_id().filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    Ok(Some(DomainInfo {
        prefix: d.domain().unwrap_or(prefix).to_owned(),
        user_pool_id: pool_id.to_owned(),
        status: d.status().map(|s| s.as_str().to_owned()),
        managed_login_version: d.managed_login_version(),
        cloudfront_distribution: d.cloud_front_distribution().map(str::to_owned),
    }))
}

/// CreateUserPoolDomain for a prefix domain, with Cognito's default hosted UI (classic, the
/// guide's `/login` page). A prefix another pool holds is refused by AWS
/// (InvalidParameterException); check with `describe_domain` first to name the owner.
pub(crate) async fn create_domain(
    client: &Client,
    prefix: &str,
    pool_id: &str,
) -> Result<(), Error> {
    client
        .create_user_pool_domain()
        .domain(prefix)
        .user_pool_id(pool_id)
        .customize()
        .config_override(crate::retry::cognito_create_once())
        .send()
        .await
        .map_err(|e| from_sdk("CreateUserPoolDomain", e))?;
    Ok(())
}

/// DeleteUserPoolDomain. `Ok(false)` when there was no such domain.
pub(crate) async fn delete_domain(
    client: &Client,
    prefix: &str,
    pool_id: &str,
) -> Result<bool, Error> {
    match client
        .delete_user_pool_domain()
        .domain(prefix)
        .user_pool_id(pool_id)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = from_sdk("DeleteUserPoolDomain", e);
            if code_is(&e, "ResourceNotFoundException") {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}
