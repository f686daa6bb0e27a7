//! The guide's last step for real, on the standing local environment (`scripts/standins`):
//! requests pass through the Cloudflare emulator's edge to the API Gateway data plane, its
//! Cognito authorizer and the HTTP integration to the local upstream. Every outcome is read
//! with an independent client (Python's http.client/ssl) as well as `flarelink verify`.

use std::path::{Path, PathBuf};

use flarelink_test_support::standins::{sibling_binary, Standins};
use serde_json::Value;

use crate::guide_setup::{flarelink, guide_config, provision_user, Out};

const HOST: &str = "api.example.com";
const PASSWORD: &str = "Superd3d$-e2e";
/// The guide's route first (verify's default), then one with a path variable its upstream uses.
const POKEMON_ROUTES: &str = "[[api.route]]\npath = \"/ditto\"\nmethod = \"GET\"\n\
     upstream = \"https://pokeapi.co/api/v2/pokemon/ditto\"\n\n\
     [[api.route]]\npath = \"/pokemon/{name}\"\nmethod = \"GET\"\n\
     upstream = \"https://pokeapi.co/api/v2/pokemon/{name}\"\n\n";

pub(crate) struct Env {
    pub(crate) s: Standins,
    dir: tempfile::TempDir,
}

impl Env {
    fn start() -> Env {
        Env::start_with(&[])
    }

    /// With extra `scripts/standins` arguments (e.g. `--acm-validation-wait 0`).
    pub(crate) fn start_with(args: &[&str]) -> Env {
        let s = Standins::start(&sibling_binary("cloudflare-emulator"), args);
        Env {
            s,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The guide's setup (provision's defaults: GET /ditto → PokeAPI behind Cognito, unless
    /// `routes` lists `[[api.route]]`s) and one `[[domain]]` for `HOST`, the emulator's Origin
    /// CA root as the chain. The guide's zone-wide SSL/TLS mode (`ssl_scope = "zone"`): these
    /// tests change the zone's mode and add other proxied names, and expect them to follow it
    /// (the default hostname scope is proven in `ssl_scope.rs`).
    pub(crate) fn config(&self, ssl_mode: &str, routes: &str) -> PathBuf {
        let path = self.dir.path().join(format!("config-{ssl_mode}.toml"));
        let cloudflare = format!("ssl_mode = \"{ssl_mode}\"\nssl_scope = \"zone\"\n");
        guide_config(&self.s, path, HOST, &cloudflare, routes, "")
    }

    pub(crate) fn flarelink(&self, config: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
        flarelink(&self.s, config, args, env)
    }

    /// provision → users create → token → link-domain; returns the ID token.
    pub(crate) fn guide(&self, config: &Path) -> String {
        let id = provision_user(&self.s, config, "superdude", PASSWORD);
        self.flarelink(config, &["link-domain"], &[]).code(0);
        id
    }

    /// `flarelink verify` through the edge (or `via`), with the token from `$E2E_TOKEN`; every
    /// other name (the custom domain's regional name, the default endpoint: verify's direct
    /// calls) goes to the data plane, never to DNS.
    pub(crate) fn verify(
        &self,
        config: &Path,
        extra: &[&str],
        via: std::net::SocketAddr,
        token: &str,
    ) -> Out {
        let resolve_host = extra
            .windows(2)
            .find(|w| w[0] == "--hostname")
            .map(|w| w[1])
            .unwrap_or(HOST);
        let resolve = format!("{resolve_host}:{}:127.0.0.1", via.port());
        let aws_names = format!("*:{}:127.0.0.1", self.s.dataplane_address().port());
        let ca = self.s.edge_ca_file().display().to_string();
        let mut args = vec![
            "verify",
            "--resolve",
            &resolve,
            "--resolve",
            &aws_names,
            "--ca-file",
            &ca,
            "--token-env",
            "E2E_TOKEN",
            "--output",
            "json",
        ];
        args.extend_from_slice(extra);
        self.flarelink(config, &args, &[("E2E_TOKEN", token)])
    }

    /// A Cloudflare API call with the stand-ins' token (plain urllib: independent of flarelink).
    pub(crate) fn cloudflare(&self, method: &str, path: &str, body: Value) -> Value {
        self.s.python(&format!(
            r#"
import json, os, urllib.request
req = urllib.request.Request(os.environ["CLOUDFLARE_API_BASE"] + {path:?}, method={method:?},
    data=None if {method:?} == "GET" else json.dumps(json.loads({body:?})).encode(),
    headers={{"Authorization": "Bearer " + os.environ["CLOUDFLARE_API_TOKEN"], "Content-Type": "application/json"}})
doc = json.load(urllib.request.urlopen(req))
assert doc["success"], doc
emit(doc["result"])
"#,
            body = body.to_string()
        ))
    }

    fn record(&self, name: &str) -> Value {
        let zone = self.s.zone_id("example.com");
        let found = self.cloudflare(
            "GET",
            &format!("zones/{zone}/dns_records?name={name}"),
            Value::Null,
        );
        found[0].clone()
    }
}

fn diagnosis(out: &Out, check: usize) -> Value {
    out.json()["report"]["checks"][check]["diagnosis"].clone()
}

#[test]
fn the_guides_two_calls_through_the_edge_and_its_common_errors() {
    let env = Env::start();
    let config = env.config("full", POKEMON_ROUTES);
    let id = env.guide(&config);

    // Cloudflare's official Python SDK reaches the emulator with nothing but `env`.
    let zones = env.s.python(
        r#"
from cloudflare import Cloudflare
emit([z.name for z in Cloudflare().zones.list(name="example.com")])
"#,
    );
    assert_eq!(zones, serde_json::json!(["example.com"]));

    // The guide's two calls, through the edge: 401 without a token, the Pokémon with it.
    let without = env.s.via_edge(HOST, "/ditto", &[]);
    assert_eq!(without.status, 401, "{without:?}");
    assert_eq!(without.message().as_deref(), Some("Unauthorized"));
    assert!(without.header("cf-ray").is_some(), "{without:?}");
    assert!(without.header("x-amzn-requestid").is_some(), "{without:?}");
    assert!(without.header("x-amz-apigw-id").is_some(), "{without:?}");
    let with = env.s.via_edge(HOST, "/ditto", &[("Authorization", &id)]);
    assert_eq!(with.status, 200, "{with:?}");
    assert_eq!(with.json()["name"], "ditto");
    assert_eq!(with.json()["id"], 132);

    // A path variable reaches the upstream: `/pokemon/{name}` fills the upstream's `{name}`
    // (the upstream serves ditto, and 404 for any other name).
    let named = env
        .s
        .via_edge(HOST, "/pokemon/ditto", &[("Authorization", &id)]);
    assert_eq!(named.status, 200, "{named:?}");
    assert_eq!(named.json()["name"], "ditto");
    assert_eq!(named.json()["id"], 132);
    let other = env
        .s
        .via_edge(HOST, "/pokemon/pikachu", &[("Authorization", &id)]);
    assert_eq!(other.status, 404, "the upstream's own 404: {other:?}");
    let guarded = env.s.via_edge(HOST, "/pokemon/ditto", &[]);
    assert_eq!(guarded.status, 401, "{guarded:?}");

    // verify agrees, signing in itself.
    let edge = env.s.edge_address();
    let resolve = format!("{HOST}:{}:127.0.0.1", edge.port());
    let aws_names = format!("*:{}:127.0.0.1", env.s.dataplane_address().port());
    let ca = env.s.edge_ca_file().display().to_string();
    let ok = env.flarelink(
        &config,
        &[
            "verify",
            "--resolve",
            &resolve,
            "--resolve",
            &aws_names,
            "--ca-file",
            &ca,
            "--username",
            "superdude",
            "--password-env",
            "E2E_PASSWORD",
            "--output",
            "json",
        ],
        &[("E2E_PASSWORD", PASSWORD)],
    );
    ok.code(0);
    assert_eq!(ok.json()["ok"], true);

    // An unknown route: 403 Missing Authentication Token, named by verify.
    let nothing = env.s.via_edge(HOST, "/nothing", &[("Authorization", &id)]);
    assert_eq!(nothing.status, 403);
    assert_eq!(
        nothing.message().as_deref(),
        Some("Missing Authentication Token")
    );
    let out = env.verify(&config, &["--route", "/nothing"], edge, &id);
    out.code(1);
    assert_eq!(
        diagnosis(&out, 0)["kind"],
        "route_not_found",
        "{}",
        out.stdout
    );

    // The guide's first common error: an expired token (the data plane's clock moved 2 h on).
    env.s.set_clock_offset(2 * 3600);
    let expired = env.s.via_edge(HOST, "/ditto", &[("Authorization", &id)]);
    assert_eq!(expired.status, 401);
    assert_eq!(
        expired.message().as_deref(),
        Some("The incoming token has expired")
    );
    let out = env.verify(&config, &[], edge, &id);
    out.code(1);
    assert_eq!(
        diagnosis(&out, 1)["kind"],
        "token_expired",
        "{}",
        out.stdout
    );
    env.s.set_clock_offset(0);

    // The guide's second common error: a proxied name API Gateway has no custom domain for.
    let target = env.record(HOST)["content"].as_str().unwrap().to_owned();
    let zone = env.s.zone_id("example.com");
    env.cloudflare(
        "POST",
        &format!("zones/{zone}/dns_records"),
        serde_json::json!({"type": "CNAME", "name": "other.example.com", "content": target, "proxied": true, "ttl": 1}),
    );
    let other = env
        .s
        .via_edge("other.example.com", "/ditto", &[("Authorization", &id)]);
    assert_eq!(other.status, 403, "{other:?}");
    assert_eq!(other.message().as_deref(), Some("Forbidden"));
    assert!(other.header("cf-ray").is_some());
    let out = env.verify(&config, &["--hostname", "other.example.com"], edge, &id);
    out.code(1);
    assert_eq!(
        diagnosis(&out, 0)["kind"],
        "hostname_unknown_to_api_gateway",
        "{}",
        out.stdout
    );

    // A CNAME that is not proxied: DNS now leads straight to API Gateway, which serves the
    // Origin CA certificate no client trusts; verify says the record is not proxied.
    let record = env.record(HOST);
    env.cloudflare(
        "PATCH",
        &format!(
            "zones/{zone}/dns_records/{}",
            record["id"].as_str().unwrap()
        ),
        serde_json::json!({"proxied": false}),
    );
    let direct = env.s.https(
        env.s.dataplane_address(),
        HOST,
        "/ditto",
        &[],
        &env.s.origin_ca_root(),
    );
    assert_eq!(direct.status, 401, "API Gateway itself answers: {direct:?}");
    assert!(direct.header("cf-ray").is_none());
    let out = env.verify(&config, &[], env.s.dataplane_address(), &id);
    out.code(1);
    let d = diagnosis(&out, 0);
    assert_eq!(d["kind"], "tls_untrusted", "{}", out.stdout);
    assert!(
        d["summary"].as_str().unwrap().contains("not proxied"),
        "{d}"
    );
}

#[test]
fn ssl_modes_through_the_edge() {
    let env = Env::start();
    let config = env.config("strict", "");
    let id = env.guide(&config);
    let edge = env.s.edge_address();
    let zone = env.s.zone_id("example.com");

    // Full (strict) with the certificate flarelink imported (chained to the Origin CA root).
    let strict = env.s.via_edge(HOST, "/ditto", &[("Authorization", &id)]);
    assert_eq!(strict.status, 200, "{strict:?}");
    assert_eq!(strict.json()["name"], "ditto");
    env.verify(&config, &[], edge, &id).code(0);

    // Flexible: Cloudflare speaks plain HTTP to port 80, which API Gateway does not serve.
    env.cloudflare(
        "PATCH",
        &format!("zones/{zone}/settings/ssl"),
        serde_json::json!({"value": "flexible"}),
    );
    let flexible = env.s.via_edge(HOST, "/ditto", &[("Authorization", &id)]);
    assert!(
        [521, 522].contains(&flexible.status),
        "a Cloudflare origin error: {flexible:?}"
    );
    assert!(flexible.header("cf-ray").is_some());
    let out = env.verify(&config, &[], edge, &id);
    out.code(1);
    let d = diagnosis(&out, 0);
    assert_eq!(d["kind"], "cloudflare_origin_error", "{}", out.stdout);
    assert!(
        d["summary"]
            .as_str()
            .unwrap()
            .contains(&flexible.status.to_string()),
        "{d}"
    );
    assert!(d["fix"].as_str().unwrap().contains("Flexible"), "{d}");

    // Full (strict) again, but the domain now serves a self-signed certificate: 526.
    env.cloudflare(
        "PATCH",
        &format!("zones/{zone}/settings/ssl"),
        serde_json::json!({"value": "strict"}),
    );
    env.s.boto3(
        r#"
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.example.com")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
    .not_valid_after(now + datetime.timedelta(days=30))
    .add_extension(x509.SubjectAlternativeName([x509.DNSName("api.example.com")]), critical=False)
    .sign(key, hashes.SHA256()))
apigw, acm = client("apigateway"), client("acm")
arn = apigw.get_domain_name(domainName="api.example.com")["regionalCertificateArn"]
acm.import_certificate(CertificateArn=arn, Certificate=cert.public_bytes(serialization.Encoding.PEM),
    PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
emit({})
"#,
    );
    let self_signed = env.s.via_edge(HOST, "/ditto", &[("Authorization", &id)]);
    assert_eq!(self_signed.status, 526, "{self_signed:?}");
    let out = env.verify(&config, &[], edge, &id);
    out.code(1);
    let d = diagnosis(&out, 0);
    assert_eq!(d["kind"], "cloudflare_origin_error", "{}", out.stdout);
    assert!(d["summary"].as_str().unwrap().contains("526"), "{d}");

    // Two private keys were imported into ACM and served: none reached the stand-ins' files
    // (logs, certificates, origin map).
    for entry in std::fs::read_dir(env.s.dir()).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
        assert!(
            !text.contains("PRIVATE KEY"),
            "{} holds a private key",
            path.display()
        );
    }
}
