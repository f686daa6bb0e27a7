//! Sign-in through a public app client: USER_PASSWORD_AUTH, USER_SRP_AUTH (the caller does the
//! SRP math), and answering NEW_PASSWORD_REQUIRED.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType,
};
use aws_sdk_cognitoidentityprovider::Client;

use super::types::{AuthOutcome, SrpChallenge, Tokens};
use crate::errors::from_sdk;
use crate::{Error, ErrorKind, Secret};

const INITIATE: &str = "InitiateAuth";
const RESPOND: &str = "RespondToAuthChallenge";

fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn tokens(r: &AuthenticationResultType) -> Tokens {
    Tokens {
        id_token: Secret::new(r.id_token().unwrap_or_default()),
        access_token: Secret::new(r.access_token().unwrap_or_default()),
        refresh_token: r.refresh_token().map(Secret::new),
        expires_in: r.expires_in(),
        token_type: r.token_type().map(str::to_owned),
    }
}

/// Tokens if the answer has them, else the challenge it names.
fn outcome(
    operation: &'static str,
    result: Option<&AuthenticationResultType>,
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
    parameters: Option<&HashMap<String, String>>,
) -> Result<AuthOutcome, Error> {
    if let Some(r) = result {
        return Ok(AuthOutcome::Tokens(tokens(r)));
    }
    let Some(name) = challenge else {
        return Err(Error {
            operation,
            kind: ErrorKind::Other,
            code: None,
            message: "Cognito answered neither tokens nor a challenge".to_string(),
        });
    };
    Ok(AuthOutcome::Challenge {
        name: name.as_str().to_owned(),
        session: session.map(Secret::new),
        parameters: parameters
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    })
}

/// InitiateAuth with USER_PASSWORD_AUTH (the client must allow ALLOW_USER_PASSWORD_AUTH).
pub(crate) async fn initiate_user_password_auth(
    client: &Client,
    client_id: &str,
    username: &str,
    password: &Secret,
) -> Result<AuthOutcome, Error> {
    let out = client
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .set_auth_parameters(Some(params(&[
            ("USERNAME", username),
            ("PASSWORD", password.expose()),
        ])))
        .send()
        .await
        .map_err(|e| from_sdk(INITIATE, e))?;
    outcome(
        INITIATE,
        out.authentication_result(),
        out.challenge_name(),
        out.session(),
        out.challenge_parameters(),
    )
}

/// InitiateAuth with USER_SRP_AUTH and the client's public value A (hex). Cognito answers the
/// PASSWORD_VERIFIER challenge, returned with all its parameters; anything else is an error.
pub(crate) async fn initiate_srp_auth(
    client: &Client,
    client_id: &str,
    username: &str,
    srp_a_hex: &str,
) -> Result<SrpChallenge, Error> {
    let out = client
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(AuthFlowType::UserSrpAuth)
        .set_auth_parameters(Some(params(&[
            ("USERNAME", username),
            ("SRP_A", srp_a_hex),
        ])))
        .send()
        .await
        .map_err(|e| from_sdk(INITIATE, e))?;
    let unexpected = |what: String| Error {
        operation: INITIATE,
        kind: ErrorKind::Other,
        code: None,
        message: what,
    };
    if out.challenge_name() != Some(&ChallengeNameType::PasswordVerifier) {
        return Err(unexpected(format!(
            "USER_SRP_AUTH answered {} instead of the PASSWORD_VERIFIER challenge",
            out.challenge_name()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_else(|| "no challenge".to_string())
        )));
    }
    let empty = HashMap::new();
    let p = out.challenge_parameters().unwrap_or(&empty);
    let get = |name: &str| {
        p.get(name)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| unexpected(format!("PASSWORD_VERIFIER challenge without {name}")))
    };
    Ok(SrpChallenge {
        salt: get("SALT")?,
        srp_b: get("SRP_B")?,
        secret_block: Secret::new(get("SECRET_BLOCK")?),
        user_id_for_srp: get("USER_ID_FOR_SRP")?,
        username: p
            .get("USERNAME")
            .cloned()
            .unwrap_or_else(|| username.to_owned()),
        session: out.session().map(Secret::new),
    })
}

/// RespondToAuthChallenge PASSWORD_VERIFIER: the secret block and the caller's signature
/// (base64 HMAC over pool name, USER_ID_FOR_SRP, secret block and `timestamp`, which must be
/// the exact string signed, e.g. `Tue Mar 3 07:08:09 UTC 2026`).
pub(crate) async fn respond_password_verifier(
    client: &Client,
    client_id: &str,
    challenge: &SrpChallenge,
    timestamp: &str,
    signature_b64: &str,
) -> Result<AuthOutcome, Error> {
    let responses = params(&[
        ("USERNAME", challenge.username.as_str()),
        (
            "PASSWORD_CLAIM_SECRET_BLOCK",
            challenge.secret_block.expose(),
        ),
        ("PASSWORD_CLAIM_SIGNATURE", signature_b64),
        ("TIMESTAMP", timestamp),
    ]);
    respond(
        client,
        client_id,
        ChallengeNameType::PasswordVerifier,
        challenge.session.as_ref(),
        responses,
    )
    .await
}

/// RespondToAuthChallenge NEW_PASSWORD_REQUIRED (after AdminCreateUser or a temporary
/// password): sets the user's permanent password and completes the sign-in.
pub(crate) async fn respond_new_password_required(
    client: &Client,
    client_id: &str,
    username: &str,
    session: &Secret,
    new_password: &Secret,
) -> Result<AuthOutcome, Error> {
    let responses = params(&[
        ("USERNAME", username),
        ("NEW_PASSWORD", new_password.expose()),
    ]);
    respond(
        client,
        client_id,
        ChallengeNameType::NewPasswordRequired,
        Some(session),
        responses,
    )
    .await
}

async fn respond(
    client: &Client,
    client_id: &str,
    challenge: ChallengeNameType,
    session: Option<&Secret>,
    responses: HashMap<String, String>,
) -> Result<AuthOutcome, Error> {
    let out = client
        .respond_to_auth_challenge()
        .client_id(client_id)
        .challenge_name(challenge)
        .set_session(session.map(|s| s.expose().to_owned()))
        .set_challenge_responses(Some(responses))
        .send()
        .await
        .map_err(|e| from_sdk(RESPOND, e))?;
    outcome(
        RESPOND,
        out.authentication_result(),
        out.challenge_name(),
        out.session(),
        out.challenge_parameters(),
    )
}
