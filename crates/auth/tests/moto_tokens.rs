//! Tokens from moto's Cognito (the local AWS stand-in): decode_claims and the `jwks` feature's
//! RS256 check against moto's `/<pool-id>/.well-known/jwks.json`, and a USER_SRP_AUTH sign-in
//! driven by SrpSession (moto accepts any signature, so this checks the flow and the parsing of
//! a real challenge; the signature itself is checked in pycognito_reference.rs).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::Utc;
use flarelink_auth::jwks::verify_rs256;
use flarelink_auth::{cognito_timestamp, decode_claims, SrpSession};
use flarelink_test_support::{boto3, Moto};

const SETUP: &str = r#"
    idp = client("cognito-idp")
    pool = idp.create_user_pool(PoolName="flarelink-auth-test")["UserPool"]["Id"]
    app = idp.create_user_pool_client(UserPoolId=pool, ClientName="cli",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    cid = app["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="superdude",
        UserAttributes=[{"Name": "email", "Value": "superdude@example.com"}], MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="superdude", Password="Superd3d$!", Permanent=True)
    r = idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "superdude", "PASSWORD": "Superd3d$!"})["AuthenticationResult"]
    emit({"pool": pool, "client": cid, "id": r["IdToken"], "access": r["AccessToken"],
          "region": idp.meta.region_name})
"#;

async fn jwks(moto: &Moto, pool: &str) -> String {
    reqwest::get(format!(
        "{}/{pool}/.well-known/jwks.json",
        moto.endpoint().trim_end_matches('/')
    ))
    .await
    .unwrap()
    .error_for_status()
    .unwrap()
    .text()
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn moto_tokens_decode_and_verify_against_its_jwks() {
    let moto = Moto::start();
    let out = boto3(SETUP, &moto);
    let pool = out["pool"].as_str().unwrap();
    let client = out["client"].as_str().unwrap();
    let region = out["region"].as_str().unwrap();
    let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{pool}");
    let keys = jwks(&moto, pool).await;

    let id = out["id"].as_str().unwrap();
    let claims = verify_rs256(id, &keys, &issuer, Some(client), true).unwrap();
    assert_eq!(claims, decode_claims(id).unwrap());
    assert_eq!(claims.token_use.as_deref(), Some("id"));
    assert_eq!(claims.username.as_deref(), Some("superdude"));
    assert_eq!(claims.client(), Some(client));
    assert_eq!(claims.pool_id(), Some(pool));
    assert!(!claims.is_expired(Utc::now()));
    assert_eq!(flarelink_auth::explain_expiry(&claims, Utc::now()), None);

    let access = out["access"].as_str().unwrap();
    let ac = verify_rs256(access, &keys, &issuer, None, true).unwrap();
    assert_eq!(ac.token_use.as_deref(), Some("access"));

    // Wrong issuer, wrong audience and a tampered payload are refused.
    assert!(verify_rs256(
        id,
        &keys,
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x",
        Some(client),
        true
    )
    .is_err());
    assert!(verify_rs256(id, &keys, &issuer, Some("otherclient"), true).is_err());
    let mut parts: Vec<String> = id.split('.').map(str::to_owned).collect();
    let mut payload = parts[1].clone().into_bytes();
    payload[10] = if payload[10] == b'A' { b'B' } else { b'A' };
    parts[1] = String::from_utf8(payload).unwrap();
    assert!(verify_rs256(&parts.join("."), &keys, &issuer, Some(client), false).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn srp_sign_in_against_moto() {
    let moto = Moto::start();
    let out = boto3(SETUP, &moto);
    let pool = out["pool"].as_str().unwrap().to_owned();
    let client = out["client"].as_str().unwrap().to_owned();

    let (session, srp_a) = SrpSession::new(&pool, "superdude", "Superd3d$!");
    let challenge = boto3(
        &format!(
            r#"
    idp = client("cognito-idp")
    r = idp.initiate_auth(ClientId={client:?}, AuthFlow="USER_SRP_AUTH",
        AuthParameters={{"USERNAME": "superdude", "SRP_A": {srp_a:?}}})
    emit({{"name": r["ChallengeName"], "params": r["ChallengeParameters"], "session": r.get("Session")}})
"#
        ),
        &moto,
    );
    assert_eq!(challenge["name"], "PASSWORD_VERIFIER");
    let p = &challenge["params"];
    let timestamp = cognito_timestamp(Utc::now());
    let user_id = p["USER_ID_FOR_SRP"].as_str().unwrap();
    let secret_block = p["SECRET_BLOCK"].as_str().unwrap();
    // Real Cognito's SECRET_BLOCK is base64, and SrpSession insists on it. moto 5.2.5 sends a
    // UUID string (and checks no signature), so sign a base64 form of it and send moto's own
    // block back.
    let signed_block = if BASE64.decode(secret_block).is_ok() {
        secret_block.to_owned()
    } else {
        assert!(session
            .password_verifier(
                p["SALT"].as_str().unwrap(),
                p["SRP_B"].as_str().unwrap(),
                secret_block,
                user_id,
                &timestamp
            )
            .is_err());
        BASE64.encode(secret_block)
    };
    let signature = session
        .password_verifier(
            p["SALT"].as_str().unwrap(),
            p["SRP_B"].as_str().unwrap(),
            &signed_block,
            user_id,
            &timestamp,
        )
        .unwrap();
    let username = p["USERNAME"].as_str().unwrap_or("superdude");
    let session_arg = match challenge["session"].as_str() {
        Some(s) => format!("Session={s:?},"),
        None => String::new(),
    };
    let tokens = boto3(
        &format!(
            r#"
    idp = client("cognito-idp")
    r = idp.respond_to_auth_challenge(ClientId={client:?}, ChallengeName="PASSWORD_VERIFIER", {session_arg}
        ChallengeResponses={{"USERNAME": {username:?}, "PASSWORD_CLAIM_SECRET_BLOCK": {secret_block:?},
                             "PASSWORD_CLAIM_SIGNATURE": {signature:?}, "TIMESTAMP": {timestamp:?}}})
    emit(r["AuthenticationResult"])
"#
        ),
        &moto,
    );
    let id = tokens["IdToken"].as_str().unwrap();
    let keys = jwks(&moto, &pool).await;
    let iss = decode_claims(id).unwrap().iss.unwrap();
    assert!(iss.ends_with(&pool));
    let claims = verify_rs256(id, &keys, &iss, Some(&client), true).unwrap();
    assert_eq!(claims.username.as_deref(), Some("superdude"));
}
