//! Users: admin create/password/confirm/get/delete, and self sign-up.

use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, DeliveryMediumType, MessageActionType, UserStatusType,
};
use aws_sdk_cognitoidentityprovider::Client;

use super::types::{SignUpOutcome, User};
use super::{build_error, code_is};
use crate::errors::from_sdk;
use crate::{Error, Secret};

fn attribute(op: &'static str, name: &str, value: &str) -> Result<AttributeType, Error> {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| build_error(op, e))
}

fn user(
    username: &str,
    status: Option<&UserStatusType>,
    enabled: bool,
    attributes: &[AttributeType],
) -> User {
    let get = |name: &str| {
        attributes
            .iter()
            .find(|a| a.name() == name)
            .and_then(|a| a.value())
            .map(str::to_owned)
    };
    User {
        username: username.to_owned(),
        status: status.map(|s| s.as_str().to_owned()),
        enabled,
        email: get("email"),
        email_verified: get("email_verified").as_deref() == Some("true"),
        sub: get("sub"),
    }
}

/// AdminCreateUser with `email` (marked verified: the administrator vouches for it, so the
/// user can recover the password by email). Without `temporary_password` Cognito makes one.
/// Unless `suppress_message`, Cognito emails the invitation (never SMS).
pub(crate) async fn admin_create_user(
    client: &Client,
    pool_id: &str,
    username: &str,
    email: &str,
    temporary_password: Option<&Secret>,
    suppress_message: bool,
) -> Result<User, Error> {
    const OP: &str = "AdminCreateUser";
    let request = client
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(username)
        .user_attributes(attribute(OP, "email", email)?)
        .user_attributes(attribute(OP, "email_verified", "true")?)
        .set_temporary_password(temporary_password.map(|p| p.expose().to_owned()));
    let request = if suppress_message {
        request.message_action(MessageActionType::Suppress)
    } else {
        request.desired_delivery_mediums(DeliveryMediumType::Email)
    };
    let out = request.send().await.map_err(|e| from_sdk(OP, e))?;
    Ok(match out.user() {
        Some(u) => user(
            u.username().unwrap_or(username),
            u.user_status(),
            u.enabled(),
            u.attributes(),
        ),
        None => User {
            username: username.to_owned(),
            status: None,
            enabled: true,
            email: Some(email.to_owned()),
            email_verified: true,
            sub: None,
        },
    })
}

/// AdminSetUserPassword. `permanent` confirms the user (CONFIRMED); otherwise the password is
/// temporary (FORCE_CHANGE_PASSWORD: the next sign-in answers NEW_PASSWORD_REQUIRED).
pub(crate) async fn admin_set_user_password(
    client: &Client,
    pool_id: &str,
    username: &str,
    password: &Secret,
    permanent: bool,
) -> Result<(), Error> {
    client
        .admin_set_user_password()
        .user_pool_id(pool_id)
        .username(username)
        .password(password.expose())
        .permanent(permanent)
        .send()
        .await
        .map_err(|e| from_sdk("AdminSetUserPassword", e))?;
    Ok(())
}

pub(crate) async fn admin_confirm_sign_up(
    client: &Client,
    pool_id: &str,
    username: &str,
) -> Result<(), Error> {
    client
        .admin_confirm_sign_up()
        .user_pool_id(pool_id)
        .username(username)
        .send()
        .await
        .map_err(|e| from_sdk("AdminConfirmSignUp", e))?;
    Ok(())
}

/// AdminGetUser; `None` when the pool has no such user (a missing pool is still an error).
pub(crate) async fn admin_get_user(
    client: &Client,
    pool_id: &str,
    username: &str,
) -> Result<Option<User>, Error> {
    match client
        .admin_get_user()
        .user_pool_id(pool_id)
        .username(username)
        .send()
        .await
    {
        Ok(out) => Ok(Some(user(
            out.username(),
            out.user_status(),
            out.enabled(),
            out.user_attributes(),
        ))),
        Err(e) => {
            let e = from_sdk("AdminGetUser", e);
            if code_is(&e, "UserNotFoundException") {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// AdminDeleteUser. `Ok(false)` when the pool had no such user.
pub(crate) async fn admin_delete_user(
    client: &Client,
    pool_id: &str,
    username: &str,
) -> Result<bool, Error> {
    match client
        .admin_delete_user()
        .user_pool_id(pool_id)
        .username(username)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = from_sdk("AdminDeleteUser", e);
            if code_is(&e, "UserNotFoundException") {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// SignUp through a public app client (no secret hash), with `email`.
pub(crate) async fn sign_up(
    client: &Client,
    client_id: &str,
    username: &str,
    password: &Secret,
    email: &str,
) -> Result<SignUpOutcome, Error> {
    const OP: &str = "SignUp";
    let out = client
        .sign_up()
        .client_id(client_id)
        .username(username)
        .password(password.expose())
        .user_attributes(attribute(OP, "email", email)?)
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    Ok(SignUpOutcome {
        user_sub: out.user_sub().to_owned(),
        confirmed: out.user_confirmed(),
        code_destination: out
            .code_delivery_details()
            .and_then(|d| d.destination())
            .map(str::to_owned),
    })
}
