//! User pools: find by name, describe, create, update (preserving what flarelink does not
//! manage).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, AdminCreateUserConfigType, AttributeDataType,
    DeletionProtectionType, PasswordPolicyType, RecoveryOptionNameType, RecoveryOptionType,
    SchemaAttributeType, UserPoolPolicyType, UserPoolType, UsernameConfigurationType,
    VerifiedAttributeType,
};
use aws_sdk_cognitoidentityprovider::Client;

use super::{build_error, code_is};
use crate::errors::from_sdk;
use crate::types::to_utc;
use crate::{Error, ErrorKind};

use super::types::{PasswordPolicy, UserPool, UserPoolSpec, UserPoolSummary};

/// ListUserPools' largest page.
const PAGE_SIZE: i32 = 60;

pub(crate) async fn list_user_pools_named(
    client: &Client,
    name: &str,
) -> Result<Vec<UserPoolSummary>, Error> {
    let mut pages = client
        .list_user_pools()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("ListUserPools", e))?;
        found.extend(
            page.user_pools()
                .iter()
                .filter(|p| p.name() == Some(name))
                .map(|p| UserPoolSummary {
                    id: p.id().unwrap_or_default().to_owned(),
                    name: name.to_owned(),
                    creation_date: p.creation_date().and_then(to_utc),
                }),
        );
    }
    Ok(found)
}

pub(crate) async fn find_user_pool_by_name(
    client: &Client,
    name: &str,
) -> Result<Option<UserPool>, Error> {
    let named = list_user_pools_named(client, name).await?;
    match named.as_slice() {
        [] => Ok(None),
        [one] => describe_user_pool(client, &one.id).await,
        many => Err(Error {
            operation: "ListUserPools",
            kind: ErrorKind::Conflict,
            code: None,
            message: format!(
                "{} user pools are named {name:?} ({}); name the one to use by its id",
                many.len(),
                many.iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

pub(crate) async fn describe_user_pool(
    client: &Client,
    id: &str,
) -> Result<Option<UserPool>, Error> {
    match describe_raw(client, id).await {
        Ok(pool) => Ok(Some(user_pool(&pool))),
        Err(e) if code_is(&e, "ResourceNotFoundException") => Ok(None),
        Err(e) => Err(e),
    }
}

async fn describe_raw(client: &Client, id: &str) -> Result<UserPoolType, Error> {
    const OP: &str = "DescribeUserPool";
    let out = client
        .describe_user_pool()
        .user_pool_id(id)
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    out.user_pool().cloned().ok_or_else(|| Error {
        operation: OP,
        kind: ErrorKind::Other,
        code: None,
        message: format!("DescribeUserPool answered no user pool for {id}"),
    })
}

pub(crate) fn user_pool(p: &UserPoolType) -> UserPool {
    UserPool {
        id: p.id().unwrap_or_default().to_owned(),
        name: p.name().unwrap_or_default().to_owned(),
        arn: p.arn().map(str::to_owned),
        self_sign_up: p
            .admin_create_user_config()
            .is_some_and(|c| !c.allow_admin_create_user_only()),
        auto_verified_attributes: p
            .auto_verified_attributes()
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        required_attributes: p
            .schema_attributes()
            .iter()
            .filter(|a| a.required() == Some(true))
            .filter_map(|a| a.name().map(str::to_owned))
            .collect(),
        username_attributes: p
            .username_attributes()
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        password_policy: p
            .policies()
            .and_then(|p| p.password_policy())
            .map(|pp| PasswordPolicy {
                min_length: pp.minimum_length().unwrap_or(8),
                require_uppercase: pp.require_uppercase(),
                require_lowercase: pp.require_lowercase(),
                require_numbers: pp.require_numbers(),
                require_symbols: pp.require_symbols(),
                temporary_password_validity_days: pp.temporary_password_validity_days(),
            }),
        deletion_protection: p.deletion_protection() == Some(&DeletionProtectionType::Active),
        domain: p.domain().map(str::to_owned),
        custom_domain: p.custom_domain().map(str::to_owned),
        mfa_configuration: p.mfa_configuration().map(|m| m.as_str().to_owned()),
        tags: p
            .user_pool_tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }
}

fn password_policy(spec: &PasswordPolicy, keep: Option<&PasswordPolicyType>) -> PasswordPolicyType {
    PasswordPolicyType::builder()
        .minimum_length(spec.min_length)
        .require_uppercase(spec.require_uppercase)
        .require_lowercase(spec.require_lowercase)
        .require_numbers(spec.require_numbers)
        .require_symbols(spec.require_symbols)
        .temporary_password_validity_days(spec.temporary_password_validity_days)
        .set_password_history_size(keep.and_then(|k| k.password_history_size()))
        .build()
}

fn auto_verified(spec: &UserPoolSpec) -> Vec<VerifiedAttributeType> {
    if spec.auto_verify_email {
        vec![VerifiedAttributeType::Email]
    } else {
        Vec::new()
    }
}

fn deletion_protection(on: bool) -> DeletionProtectionType {
    if on {
        DeletionProtectionType::Active
    } else {
        DeletionProtectionType::Inactive
    }
}

fn tags(tags: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!tags.is_empty()).then(|| tags.clone().into_iter().collect())
}

/// CreateUserPool: sign-in with a case-insensitive username; `email` required (mutable) and
/// auto-verified as the spec says; account recovery by verified email; password policy,
/// self sign-up, deletion protection and tags from the spec.
pub(crate) async fn create_user_pool(
    client: &Client,
    spec: &UserPoolSpec,
) -> Result<UserPool, Error> {
    const OP: &str = "CreateUserPool";
    let schema = spec.email_required.then(|| {
        vec![SchemaAttributeType::builder()
            .name("email")
            .attribute_data_type(AttributeDataType::String)
            .required(true)
            .mutable(true)
            .build()]
    });
    let recovery = AccountRecoverySettingType::builder()
        .recovery_mechanisms(
            RecoveryOptionType::builder()
                .name(RecoveryOptionNameType::VerifiedEmail)
                .priority(1)
                .build()
                .map_err(|e| build_error(OP, e))?,
        )
        .build();
    let out = client
        .create_user_pool()
        .pool_name(&spec.name)
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(password_policy(&spec.password_policy, None))
                .build(),
        )
        .admin_create_user_config(
            AdminCreateUserConfigType::builder()
                .allow_admin_create_user_only(!spec.self_sign_up)
                .build(),
        )
        .set_auto_verified_attributes(Some(auto_verified(spec)))
        .set_schema(schema)
        .username_configuration(
            UsernameConfigurationType::builder()
                .case_sensitive(false)
                .build()
                .map_err(|e| build_error(OP, e))?,
        )
        .account_recovery_setting(recovery)
        .deletion_protection(deletion_protection(spec.deletion_protection))
        .set_user_pool_tags(tags(&spec.tags))
        .customize()
        .config_override(crate::retry::cognito_create_once())
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    out.user_pool().map(user_pool).ok_or_else(|| Error {
        operation: OP,
        kind: ErrorKind::Other,
        code: None,
        message: "CreateUserPool answered no user pool".to_string(),
    })
}

/// UpdateUserPool resets every setting the request omits to its default (Lambda triggers,
/// message templates, MFA, email/SMS configuration, ...). So this reads the pool first
/// (DescribeUserPool) and sends every updatable setting: the managed ones from `spec`
/// (name, password policy, self sign-up, auto-verified attributes, deletion protection, tags
/// merged over the pool's others) and all others exactly as the pool has them.
///
/// Never copied: `AdminCreateUserConfig.UnusedAccountValidityDays` (deprecated; AWS refuses a
/// value next to `PasswordPolicy.TemporaryPasswordValidityDays` — "Please use
/// TemporaryPasswordValidityDays ..." — but accepts 0, which is what this SDK writes when it is
/// unset), and the legacy `EmailVerificationMessage`/`EmailVerificationSubject`/
/// `SmsVerificationMessage` when the pool has a `VerificationMessageTemplate` (their
/// successor; both at once must agree).
/// Schema, username attributes and alias attributes cannot change after creation, so
/// `spec.email_required` is ignored here.
pub(crate) async fn update_user_pool(
    client: &Client,
    id: &str,
    spec: &UserPoolSpec,
) -> Result<(), Error> {
    const OP: &str = "UpdateUserPool";
    let current = describe_raw(client, id).await?;

    let keep_password = current.policies().and_then(|p| p.password_policy());
    let policies = UserPoolPolicyType::builder()
        .password_policy(password_policy(&spec.password_policy, keep_password))
        .set_sign_in_policy(current.policies().and_then(|p| p.sign_in_policy()).cloned())
        .build();
    let admin_create_user_config = AdminCreateUserConfigType::builder()
        .allow_admin_create_user_only(!spec.self_sign_up)
        .set_invite_message_template(
            current
                .admin_create_user_config()
                .and_then(|c| c.invite_message_template())
                .cloned(),
        )
        .build();
    let mut merged_tags: BTreeMap<String, String> = current
        .user_pool_tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    merged_tags.extend(spec.tags.clone());
    let template = current.verification_message_template().cloned();
    let legacy = |v: Option<&str>| match template {
        Some(_) => None,
        None => v.map(str::to_owned),
    };

    client
        .update_user_pool()
        .user_pool_id(id)
        // Managed.
        .pool_name(&spec.name)
        .policies(policies)
        .admin_create_user_config(admin_create_user_config)
        .set_auto_verified_attributes(Some(auto_verified(spec)))
        .deletion_protection(deletion_protection(spec.deletion_protection))
        .set_user_pool_tags(tags(&merged_tags))
        // Preserved as they are.
        .set_lambda_config(current.lambda_config().cloned())
        .set_verification_message_template(template.clone())
        .set_email_verification_message(legacy(current.email_verification_message()))
        .set_email_verification_subject(legacy(current.email_verification_subject()))
        .set_sms_verification_message(legacy(current.sms_verification_message()))
        .set_sms_authentication_message(current.sms_authentication_message().map(str::to_owned))
        .set_user_attribute_update_settings(current.user_attribute_update_settings().cloned())
        .set_mfa_configuration(current.mfa_configuration().cloned())
        .set_device_configuration(current.device_configuration().cloned())
        .set_email_configuration(current.email_configuration().cloned())
        .set_sms_configuration(current.sms_configuration().cloned())
        .set_user_pool_add_ons(current.user_pool_add_ons().cloned())
        .set_account_recovery_setting(current.account_recovery_setting().cloned())
        .set_user_pool_tier(current.user_pool_tier().cloned())
        .set_key_configuration(current.key_configuration().cloned())
        .set_issuer_configuration(current.issuer_configuration().cloned())
        .set_acr_configuration(current.acr_configuration().cloned())
        .send()
        .await
        .map_err(|e| from_sdk(OP, e))?;
    Ok(())
}
