//! A local HTTPS stand-in for "API Gateway behind Cloudflare": a test CA and leaf certificates
//! (rcgen), a hyper server over tokio-rustls that answers as a REST API with a Cognito
//! authorizer does (401 `{"message":"Unauthorized"}`, 401 `{"message":"The incoming token has
//! expired"}`, 403 `{"message":"Forbidden"}` for a host it has no custom domain for, 403
//! `Missing Authentication Token` for an unknown route, 200 with a valid ID token), with or
//! without Cloudflare's `server`/`cf-ray` headers; and RS256 ID tokens signed with test keys.

#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;

pub const HOST: &str = "api.example.com";
pub const POOL_ID: &str = "us-east-1_TestPool1";
pub const OTHER_POOL_ID: &str = "us-east-1_OtherPool9";
pub const CLIENT_ID: &str = "testclient123";

pub fn issuer_for(pool: &str) -> String {
    format!("https://cognito-idp.us-east-1.amazonaws.com/{pool}")
}

/// A certificate authority made for one test.
pub struct Ca {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(common_name: &str, organization: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, organization);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The test CA clients are told to trust.
    pub fn test() -> Ca {
        Ca::new("flarelink test edge CA", "flarelink tests")
    }

    /// A leaf for `names`, signed by this CA.
    pub fn leaf(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

/// RS256 signing keys standing in for two Cognito user pools.
pub struct PoolKey {
    pub kid: String,
    enc: EncodingKey,
    pub dec: DecodingKey,
}

fn make_pool_key(kid: &str) -> PoolKey {
    let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let enc = EncodingKey::from_rsa_pem(key.serialize_pem().as_bytes()).unwrap();
    let jwk = Jwk::from_encoding_key(&enc, Algorithm::RS256).unwrap();
    PoolKey {
        kid: kid.into(),
        dec: DecodingKey::from_jwk(&jwk).unwrap(),
        enc,
    }
}

pub fn pool_key() -> &'static PoolKey {
    static K: OnceLock<PoolKey> = OnceLock::new();
    K.get_or_init(|| make_pool_key("pool-key"))
}

pub fn other_pool_key() -> &'static PoolKey {
    static K: OnceLock<PoolKey> = OnceLock::new();
    K.get_or_init(|| make_pool_key("other-pool-key"))
}

pub struct TokenSpec<'a> {
    pub key: &'a PoolKey,
    pub pool: &'a str,
    pub client: &'a str,
    pub token_use: &'a str,
    /// Seconds from now (negative: already expired).
    pub exp_in: i64,
}

impl Default for TokenSpec<'static> {
    fn default() -> Self {
        TokenSpec {
            key: pool_key(),
            pool: POOL_ID,
            client: CLIENT_ID,
            token_use: "id",
            exp_in: 3600,
        }
    }
}

pub fn token(spec: TokenSpec<'_>) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = serde_json::json!({
        "sub": "5f0c8d2e-0000-4000-8000-000000000001",
        "iss": issuer_for(spec.pool),
        "token_use": spec.token_use,
        "exp": now + spec.exp_in,
        "iat": now + spec.exp_in - 3600,
        "auth_time": now + spec.exp_in - 3600,
    });
    if spec.token_use == "id" {
        claims["aud"] = spec.client.into();
        claims["cognito:username"] = "superdude".into();
        claims["email"] = "superdude@example.com".into();
    } else {
        claims["client_id"] = spec.client.into();
        claims["username"] = "superdude".into();
        claims["scope"] = "aws.cognito.signin.user.admin".into();
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(spec.key.kid.clone());
    jsonwebtoken::encode(&header, &claims, &spec.key.enc).unwrap()
}

/// How the stand-in answers.
#[derive(Clone)]
pub struct Behaviour {
    /// Add Cloudflare's `server: cloudflare` and `cf-ray` headers.
    pub cloudflare: bool,
    /// Hostnames API Gateway has a custom domain (and mapping) for; others get 403 Forbidden.
    pub known_hosts: Vec<String>,
    pub route: String,
    /// The method has the Cognito authorizer.
    pub protected: bool,
    /// Answer every request with this status and body instead.
    pub fixed: Option<(u16, String)>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            cloudflare: true,
            known_hosts: vec![HOST.into()],
            route: "/ditto".into(),
            protected: true,
            fixed: None,
        }
    }
}

fn respond(
    b: &Behaviour,
    status: u16,
    body: &str,
    error_type: Option<&str>,
) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", "6f1e2d3c-0000-4000-8000-00000000abcd")
        .header("x-amz-apigw-id", "Ab1CdEfGhIJKLmN=");
    if let Some(t) = error_type {
        r = r.header("x-amzn-errortype", t);
    }
    if b.cloudflare {
        r = r
            .header("server", "cloudflare")
            .header("cf-ray", "8c1f2e3d4c5b6a79-LHR")
            .header("cf-cache-status", "DYNAMIC");
    }
    r.body(Full::new(Bytes::from(body.to_owned()))).unwrap()
}

fn answer(
    b: &Behaviour,
    req: &hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    if let Some((status, body)) = &b.fixed {
        return respond(b, *status, body, None);
    }
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_owned())
        .unwrap_or_default();
    if !b.known_hosts.contains(&host) {
        return respond(
            b,
            403,
            r#"{"message":"Forbidden"}"#,
            Some("ForbiddenException"),
        );
    }
    if req.uri().path() != b.route || req.method() != hyper::Method::GET {
        return respond(
            b,
            403,
            r#"{"message":"Missing Authentication Token"}"#,
            Some("MissingAuthenticationTokenException"),
        );
    }
    if b.protected {
        let unauthorized = || {
            respond(
                b,
                401,
                r#"{"message":"Unauthorized"}"#,
                Some("UnauthorizedException"),
            )
        };
        let Some(token) = req
            .headers()
            .get("authorization")
            .and_then(|h| h.to_str().ok())
        else {
            return unauthorized();
        };
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[issuer_for(POOL_ID)]);
        v.set_audience(&[CLIENT_ID]);
        v.leeway = 0;
        match jsonwebtoken::decode::<serde_json::Value>(token, &pool_key().dec, &v) {
            Ok(data) if data.claims["token_use"] == "id" => {}
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                return respond(
                    b,
                    401,
                    r#"{"message":"The incoming token has expired"}"#,
                    Some("UnauthorizedException"),
                );
            }
            _ => return unauthorized(),
        }
    }
    respond(b, 200, r#"{"name":"ditto","id":132}"#, None)
}

/// A running stand-in; stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn serve(
    cert: (CertificateDer<'static>, PrivateKeyDer<'static>),
    behaviour: Behaviour,
) -> Server {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.0], cert.1)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let behaviour = Arc::new(behaviour);
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let behaviour = behaviour.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = service_fn(move |req| {
                    let b = behaviour.clone();
                    async move { Ok::<_, Infallible>(answer(&b, &req)) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    Server { addr, task }
}

/// Accepts TCP connections and never answers (for timeouts).
pub async fn black_hole() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    Server { addr, task }
}

/// A probe of `https://api.example.com/ditto` that reaches `addr` and trusts `ca_pem`.
pub fn probe(addr: SocketAddr, ca_pem: &str, token: Option<String>) -> flarelink_verify::Probe {
    let mut p = flarelink_verify::Probe::new(format!("https://{HOST}"), "/ditto");
    p.resolve.insert(HOST.into(), addr);
    p.system_dns = false;
    p.extra_root_ca_pem = Some(ca_pem.to_owned());
    p.timeout = Duration::from_secs(5);
    p.token = token.map(Into::into);
    p.expected_pool_id = Some(POOL_ID.into());
    p.expected_client_id = Some(CLIENT_ID.into());
    p
}
