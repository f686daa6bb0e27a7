//! Golden tests: the exact lines a user (human output) or a script (`--output json`) reads, for
//! a dry-run, a first run, a re-run, a refusal and an unlink — and provision's dry-run, first run
//! and re-run. They pin behaviour across refactors: a change to what is printed must show up
//! here as a diff of `tests/e2e/golden/*.txt`.
//!
//! Values that differ between runs (ACM ARNs, Cloudflare ids, regional domain names, AWS ids,
//! dates, loopback ports, deployment fingerprints) are replaced by numbered placeholders in
//! order of first appearance, so the same value keeps the same placeholder within a file and
//! which line names which object stays visible. `FLARELINK_BLESS_GOLDEN=1` rewrites the files.

use std::collections::HashMap;
use std::path::PathBuf;

use regex_lite::Regex;
use serde_json::json;

use crate::harness::{bare_flarelink, Run, Stack, HOST};

const BLESS_ENV: &str = "FLARELINK_BLESS_GOLDEN";

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/golden")
}

/// Replaces what varies between runs with stable placeholders. `exact` are known ids (e.g. the
/// REST API id), each replaced by its own name.
struct Normalizer {
    exact: Vec<(String, String)>,
    patterns: Vec<(Regex, &'static str)>,
}

impl Normalizer {
    fn new(exact: Vec<(String, String)>) -> Self {
        let p = |re: &str, name: &'static str| (Regex::new(re).expect("valid pattern"), name);
        Normalizer {
            exact,
            patterns: vec![
                p(
                    r"arn:aws:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+",
                    "acm-arn",
                ),
                p(r"d-[a-z0-9]{10}\.execute-api", "regional-domain"),
                p(r"\b[0-9a-f]{32}\b", "cf-id"),
                // Origin CA certificate ids are the certificate's serial in decimal.
                p(r"\b[0-9]{15,}\b", "origin-cert"),
                p(r"\b[0-9a-f]{16}\b", "fingerprint"),
                p(r"[a-z]{2}-[a-z]+-[0-9]_[A-Za-z0-9]+", "user-pool-id"),
                p(
                    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9:]+)?)?",
                    "date",
                ),
                p(r"127\.0\.0\.1:[0-9]+", "loopback"),
            ],
        }
    }

    fn normalize(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (value, name) in &self.exact {
            out = out.replace(value.as_str(), &format!("<{name}>"));
        }
        for (re, name) in &self.patterns {
            let mut seen: HashMap<String, usize> = HashMap::new();
            out = re
                .replace_all(&out, |caps: &regex_lite::Captures<'_>| {
                    let found = caps[0].to_string();
                    let n = seen.len() + 1;
                    let n = *seen.entry(found).or_insert(n);
                    match *name {
                        // Dates differ by day, not by object: one placeholder.
                        "date" => "<date>".to_string(),
                        "loopback" => "127.0.0.1:<port>".to_string(),
                        "regional-domain" => format!("<regional-domain-{n}>.execute-api"),
                        _ => format!("<{name}-{n}>"),
                    }
                })
                .into_owned();
        }
        out
    }
}

/// What a user sees of a run: exit code, stdout, stderr.
fn transcript(run: &Run) -> String {
    format!(
        "exit {}\n--- stdout ---\n{}--- stderr ---\n{}",
        run.code, run.stdout, run.stderr
    )
}

#[track_caller]
fn check(name: &str, normalizer: &Normalizer, run: &Run) {
    let actual = normalizer.normalize(&transcript(run));
    let path = golden_dir().join(format!("{name}.txt"));
    if std::env::var_os(BLESS_ENV).is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with {BLESS_ENV}=1 to create it. Output:\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output (first at line {}); {BLESS_ENV}=1 rewrites it if the change is meant\n--- expected ---\n{expected}\n--- actual ---\n{actual}",
            path.display(),
            first + 1
        );
    }
}

#[test]
fn link_and_unlink_print_exactly_the_golden_lines() {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    let n = Normalizer::new(vec![(api, "rest-api-id".into())]);
    let human = |args: &[&str]| stack.flarelink(&config, args);
    let json = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--output", "json"]);
        stack.flarelink(&config, &a)
    };

    check(
        "link-dry-run-empty.human",
        &n,
        &human(&["link-domain", "--dry-run"]),
    );
    check(
        "link-dry-run-empty.json",
        &n,
        &json(&["link-domain", "--dry-run"]),
    );
    check("link-first-run.human", &n, &human(&["link-domain"]));
    check("link-re-run.human", &n, &human(&["link-domain"]));
    check("link-re-run.json", &n, &json(&["link-domain"]));
    check(
        "link-dry-run-converged.human",
        &n,
        &human(&["link-domain", "--dry-run"]),
    );
    check(
        "unlink-dry-run.human",
        &n,
        &human(&["unlink-domain", "--dry-run"]),
    );
    check(
        "unlink-dry-run.json",
        &n,
        &json(&["unlink-domain", "--dry-run"]),
    );
    check("unlink.human", &n, &human(&["unlink-domain"]));
    check("unlink-nothing-left.human", &n, &human(&["unlink-domain"]));

    // The first run again, as JSON, now that unlink has cleared everything.
    check("link-first-run.json", &n, &json(&["link-domain"]));
    check("unlink.json", &n, &json(&["unlink-domain"]));

    // A CNAME someone else made: refused, in both forms.
    let zone = stack.zone_id();
    stack.cf_post(
        &format!("zones/{zone}/dns_records"),
        json!({"type": "CNAME", "name": HOST, "content": "legacy.example.net", "proxied": true, "ttl": 1, "comment": "old load balancer"}),
    );
    check("link-refused.human", &n, &human(&["link-domain"]));
    check("link-refused.json", &n, &json(&["link-domain"]));
}

#[test]
fn two_hostnames_keep_the_documented_json_order() {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&format!(
        "{}{}",
        Stack::domain(HOST, "ditto-api", "prod", ""),
        Stack::domain("www.example.com", "ditto-api", "prod", "v1")
    ));
    let n = Normalizer::new(vec![(api, "rest-api-id".into())]);
    let run = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    check("link-two-hostnames-first-run.json", &n, &run);
    let run = stack.flarelink(&config, &["link-domain"]);
    check("link-two-hostnames-re-run.human", &n, &run);
}

#[test]
fn provision_prints_exactly_the_golden_lines() {
    let stack = Stack::start();
    let config = stack.provision_config("", "");
    check(
        "provision-dry-run-empty.human",
        &Normalizer::new(Vec::new()),
        &stack.flarelink(&config, &["provision", "--dry-run"]),
    );
    let first = stack.flarelink(&config, &["provision", "--output", "json"]);
    let ids = provisioned_ids(&stack);
    let n = Normalizer::new(ids);
    check("provision-first-run.json", &n, &first);
    check(
        "provision-re-run.human",
        &n,
        &stack.flarelink(&config, &["provision"]),
    );
    check(
        "provision-re-run.json",
        &n,
        &stack.flarelink(&config, &["provision", "--output", "json"]),
    );
}

/// The ids moto gave what provision made, read with boto3, each with a stable name.
fn provisioned_ids(stack: &Stack) -> Vec<(String, String)> {
    let ids = stack.boto3(
        r#"
idp = client("cognito-idp")
apigw = client("apigateway")
out = []
for p in idp.list_user_pools(MaxResults=60)["UserPools"]:
    for c in idp.list_user_pool_clients(UserPoolId=p["Id"], MaxResults=60)["UserPoolClients"]:
        out.append(["app-client-id", c["ClientId"]])
for a in apigw.get_rest_apis()["items"]:
    out.append(["rest-api-id", a["id"]])
    for z in apigw.get_authorizers(restApiId=a["id"])["items"]:
        out.append(["authorizer-id", z["id"]])
    for d in apigw.get_deployments(restApiId=a["id"])["items"]:
        out.append(["deployment-id", d["id"]])
emit(out)
"#,
    );
    ids.as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[1].as_str().unwrap().to_string(),
                pair[0].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_dry_run_without_credentials_prints_the_golden_static_plan() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[cloudflare]\nzone = \"example.com\"\n[aws]\nregion = \"us-east-1\"\n\n{}",
            Stack::domain(HOST, "ditto-api", "prod", "")
        ),
    )
    .unwrap();
    let n = Normalizer::new(Vec::new());
    for (name, args) in [
        (
            "static-link-dry-run.human",
            vec!["link-domain", "--dry-run"],
        ),
        (
            "static-link-dry-run.json",
            vec!["link-domain", "--dry-run", "--output", "json"],
        ),
        (
            "static-unlink-dry-run.human",
            vec!["unlink-domain", "--dry-run"],
        ),
    ] {
        let out = bare_flarelink()
            .arg("--config")
            .arg(&config)
            .args(&args)
            .output()
            .unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        check(name, &n, &run);
    }
}
