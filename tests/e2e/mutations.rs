//! Property test: valid configurations, mutated — a value of another type or out of range, a key
//! removed, renamed or added, bytes flipped, inserted or deleted — and run through the binary
//! (`config check`, and for a refused mutation `link-domain` too) with both clouds pointed at
//! counting loopback listeners.
//!
//! Always: no panic, no connection, exit 0 or 2, and with `--output json` one JSON document.
//! The oracle for exit 0 versus 2 is this file's own model, independent of flarelink's code:
//! - a structured mutation knows what it did: a value is valid only if this model's rule for
//!   that key accepts it (the README's rules, written out below), a removed key only if it is
//!   optional, a renamed or added key never (flarelink's keys are all known here); a refusal
//!   must name the mutated key path (or, for a removed key, the key itself);
//! - a byte mutation is judged by the reference TOML parser (`toml::Table`): text that is no
//!   longer TOML must be refused with a line number; text that parses to the same document
//!   must be accepted; text that parses to another document must be refused when it holds a
//!   key outside flarelink's schema, and otherwise may go either way — but a refusal must then
//!   name a key path that is in the document, with its line.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::Value;
use toml::{Table, Value as Toml};

use crate::corpus::Counter;
use crate::harness::bare_flarelink;

const BASE: &str = r#"
[cloudflare]
zone = "example.com"
ssl_mode = "full"
ssl_scope = "hostname"

[aws]
region = "us-east-1"

[retry]
max_attempts = 5
max_quota_waits = 10
request_timeout_seconds = 30

[cognito]
user_pool = "APIgatewayUserPool"
app_client = "APIgatewayUserPoolClient"
domain_prefix = "apigatewayauthonetwothree"
callback_urls = ["https://example.com"]
allow_user_password_auth = false
implicit_flow = true
deletion_protection = true

[cognito.password_policy]
min_length = 8
require_uppercase = true

[api]
name = "ditto-api"
stage = "prod"

[[api.route]]
path = "/ditto"
method = "GET"
upstream = "https://pokeapi.co/api/v2/pokemon/ditto"
auth = "cognito"

[[domain]]
hostname = "api.example.com"
rest_api = "ditto-api"
stage = "prod"
base_path = ""

[domain.certificate]
key_type = "rsa2048"
validity_days = 5475
"#;

/// Every key flarelink reads, as this test knows them (`[]`: an array of tables).
const KNOWN: &[&str] = &[
    "cloudflare",
    "cloudflare.zone",
    "cloudflare.ssl_mode",
    "cloudflare.ssl_scope",
    "cloudflare.api_base",
    "cloudflare.origin_ca_roots",
    "aws",
    "aws.region",
    "aws.profile",
    "aws.truststore_bucket",
    "retry",
    "retry.max_attempts",
    "retry.max_quota_waits",
    "retry.request_timeout_seconds",
    "cognito",
    "cognito.user_pool",
    "cognito.app_client",
    "cognito.domain_prefix",
    "cognito.callback_urls",
    "cognito.logout_urls",
    "cognito.allow_user_password_auth",
    "cognito.implicit_flow",
    "cognito.deletion_protection",
    "cognito.password_policy",
    "cognito.password_policy.min_length",
    "cognito.password_policy.require_uppercase",
    "cognito.password_policy.require_lowercase",
    "cognito.password_policy.require_numbers",
    "cognito.password_policy.require_symbols",
    "cognito.password_policy.temporary_password_validity_days",
    "api",
    "api.name",
    "api.stage",
    "api.route",
    "api.route[].path",
    "api.route[].method",
    "api.route[].upstream",
    "api.route[].auth",
    "domain",
    "domain[].hostname",
    "domain[].rest_api",
    "domain[].origin_lock",
    "domain[].stage",
    "domain[].base_path",
    "domain[].certificate",
    "domain[].certificate.key_type",
    "domain[].certificate.validity_days",
];

/// The keys whose removal keeps the file valid (the others are required, or, like
/// `cloudflare.zone`, needed).
const OPTIONAL: &[&str] = &[
    "cloudflare.ssl_mode",
    "cloudflare.ssl_scope",
    "retry",
    "retry.max_attempts",
    "retry.max_quota_waits",
    "retry.request_timeout_seconds",
    "cognito.allow_user_password_auth",
    "cognito.implicit_flow",
    "cognito.deletion_protection",
    "cognito.password_policy",
    "cognito.password_policy.min_length",
    "cognito.password_policy.require_uppercase",
    "api.route[0].auth",
    "domain[0].rest_api",
    "domain[0].stage",
    "domain[0].base_path",
    "domain[0].certificate",
    "domain[0].certificate.key_type",
    "domain[0].certificate.validity_days",
];

/// The leaves a value mutation may change, as paths into the document.
const LEAVES: &[&str] = &[
    "cloudflare.ssl_mode",
    "cloudflare.ssl_scope",
    "aws.region",
    "retry.max_attempts",
    "retry.max_quota_waits",
    "retry.request_timeout_seconds",
    "cognito.allow_user_password_auth",
    "cognito.implicit_flow",
    "cognito.deletion_protection",
    "cognito.password_policy.min_length",
    "cognito.password_policy.require_uppercase",
    "api.stage",
    "domain[0].hostname",
    "domain[0].stage",
    "domain[0].base_path",
    "domain[0].certificate.key_type",
    "domain[0].certificate.validity_days",
];

/// This test's own statement of the README's rules for each leaf.
fn model_accepts(path: &str, v: &Toml) -> bool {
    let int = |lo: i64, hi: i64| matches!(v, Toml::Integer(n) if (lo..=hi).contains(n));
    let s = v.as_str();
    let stage_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    match path {
        "cloudflare.ssl_mode" => matches!(s, Some("full" | "strict")),
        "cloudflare.ssl_scope" => matches!(s, Some("hostname" | "zone")),
        "aws.region" => s.is_some_and(|r| {
            let p: Vec<&str> = r.split('-').collect();
            p.len() >= 3
                && p[0].len() == 2
                && p.iter().all(|x| !x.is_empty())
                && p[..p.len() - 1]
                    .iter()
                    .all(|x| x.chars().all(|c| c.is_ascii_lowercase()))
                && p[p.len() - 1].len() <= 2
                && p[p.len() - 1].chars().all(|c| c.is_ascii_digit())
        }),
        "retry.max_attempts" => int(1, 10),
        "retry.max_quota_waits" => int(0, 40),
        "retry.request_timeout_seconds" => int(1, 300),
        "cognito.password_policy.min_length" => int(6, 99),
        "domain[0].certificate.validity_days" => {
            matches!(v, Toml::Integer(7 | 30 | 90 | 365 | 730 | 1095 | 5475))
        }
        "cognito.allow_user_password_auth"
        | "cognito.implicit_flow"
        | "cognito.deletion_protection"
        | "cognito.password_policy.require_uppercase" => v.is_bool(),
        "api.stage" | "domain[0].stage" => s.is_some_and(stage_ok),
        "domain[0].certificate.key_type" => {
            matches!(s, Some("rsa2048" | "rsa" | "ecdsa-p256" | "ecdsa"))
        }
        "domain[0].base_path" => s.is_some_and(|b| {
            b.is_empty()
                || b == "(none)"
                || b.split('/').all(|seg| {
                    !seg.is_empty()
                        && seg != "."
                        && seg != ".."
                        && seg
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "$-_.+!*'()".contains(c))
                })
        }),
        "domain[0].hostname" => s.is_some_and(|h| {
            let inside = h.strip_suffix(".example.com").filter(|sub| !sub.is_empty());
            inside.is_some_and(|sub| {
                h.len() <= 253
                    && sub.split('.').all(|l| {
                        !l.is_empty()
                            && l.len() <= 63
                            && !l.starts_with('-')
                            && !l.ends_with('-')
                            && l.chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    })
            })
        }),
        other => panic!("no rule for {other}"),
    }
}

/// A path into the document: `domain[0].certificate.validity_days` → segments with indices.
fn get_table<'a>(doc: &'a mut Table, path: &str) -> (&'a mut Table, String) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap().to_string();
    let mut t = doc;
    for p in parts {
        t = match p.split_once('[') {
            Some((name, idx)) => {
                let i: usize = idx.trim_end_matches(']').parse().unwrap();
                t.get_mut(name).unwrap().as_array_mut().unwrap()[i]
                    .as_table_mut()
                    .unwrap()
            }
            None => t.get_mut(p).unwrap().as_table_mut().unwrap(),
        };
    }
    (t, last)
}

#[derive(Debug, Clone)]
enum Mutation {
    SetValue(&'static str, Toml),
    Remove(&'static str),
    Rename(&'static str, String),
    Add(&'static str, String, Toml),
}

fn any_value() -> impl Strategy<Value = Toml> {
    prop_oneof![
        // Strings near and far from the rules: cases, dots, spaces, slashes, hyphens.
        "[a-zA-Z0-9 ./_-]{0,12}".prop_map(Toml::String),
        "[a-z0-9-]{1,8}(\\.[a-z0-9-]{1,8})?\\.example\\.com\\.?".prop_map(Toml::String),
        "(v1|\\.\\.|\\.|x|\\(none\\)|)(/(v1|\\.\\.|\\.|x|))?".prop_map(Toml::String),
        "(us|eu|ap|US)-(east|west|gov-west)-[0-9]{1,3}".prop_map(Toml::String),
        prop::sample::select(vec![
            "full",
            "strict",
            "Full",
            "flexible",
            "rsa2048",
            "ecdsa-p256",
            "RSA2048",
            "prod"
        ])
        .prop_map(|s| Toml::String(s.to_string())),
        any::<i64>().prop_map(Toml::Integer),
        (-5i64..6000).prop_map(Toml::Integer),
        prop::sample::select(vec![7i64, 30, 90, 365, 730, 1095, 5475]).prop_map(Toml::Integer),
        any::<bool>().prop_map(Toml::Boolean),
        (-1e6f64..1e6).prop_map(Toml::Float),
        prop::collection::vec("[a-z]{0,4}".prop_map(Toml::String), 0..3).prop_map(Toml::Array),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tables = vec![
        "cloudflare",
        "aws",
        "retry",
        "cognito",
        "api",
        "domain[0]",
        "domain[0].certificate",
    ];
    prop_oneof![
        4 => (prop::sample::select(LEAVES.to_vec()), any_value()).prop_map(|(p, v)| Mutation::SetValue(p, v)),
        1 => prop::sample::select(
            KNOWN.iter().copied().filter(|k| k.contains('.') && !k.starts_with("api.route")).map(|k| k.replace("[]", "[0]")).map(|k| Box::leak(k.into_boxed_str()) as &'static str).collect::<Vec<_>>()
        ).prop_map(Mutation::Remove),
        1 => (prop::sample::select(LEAVES.to_vec()), "x[a-z_]{1,8}").prop_map(|(p, n)| Mutation::Rename(p, n)),
        1 => (prop::sample::select(tables), "x[a-z_]{1,8}", any_value()).prop_map(|(t, n, v)| Mutation::Add(t, n, v)),
    ]
}

/// Applies `m` to the base document; returns the text, whether the model says it is valid, and
/// the key path a refusal must name.
fn apply(m: &Mutation) -> (String, bool, String) {
    let mut doc: Table = toml::from_str(BASE).unwrap();
    let (valid, path) = match m {
        Mutation::SetValue(path, v) => {
            let (t, key) = get_table(&mut doc, path);
            t.insert(key, v.clone());
            (model_accepts(path, v), path.to_string())
        }
        Mutation::Remove(path) => {
            let (t, key) = get_table(&mut doc, path);
            // Removing a key the base does not have changes nothing.
            let existed = t.remove(&key).is_some();
            (!existed || OPTIONAL.contains(path), path.to_string())
        }
        Mutation::Rename(path, new) => {
            let (t, key) = get_table(&mut doc, path);
            let v = t.remove(&key).unwrap();
            t.insert(new.clone(), v);
            let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
            (false, format!("{parent}.{new}"))
        }
        Mutation::Add(table, new, v) => {
            let (t, key) = get_table(&mut doc, &format!("{table}.x"));
            let _ = key;
            t.insert(new.clone(), v.clone());
            (false, format!("{table}.{new}"))
        }
    };
    (toml::to_string(&doc).unwrap(), valid, path)
}

struct Ran {
    code: i32,
    doc: Value,
    text: String,
}

fn run(config: &Path, command: &[&str], aws: &Counter, cf: &Counter) -> Ran {
    let out = bare_flarelink()
        .args(["--output", "json", "--config"])
        .arg(config)
        .args(command)
        .env("AWS_ENDPOINT_URL", &aws.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("CLOUDFLARE_API_BASE", format!("{}/client/v4/", cf.url))
        .env("CLOUDFLARE_API_TOKEN", "mutation-test-token")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let text = format!("{stdout}\n--- stderr ---\n{stderr}");
    assert!(!text.contains("panicked"), "panic:\n{text}");
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"));
    Ran {
        code: out.status.code().unwrap_or(-1),
        doc,
        text,
    }
}

fn problems(doc: &Value) -> Vec<Value> {
    doc["error"]["problems"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `cases` per property (kept small: each case runs the binary), or
/// `FLARELINK_PROPTEST_CASES` for a longer local run.
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("FLARELINK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 64,
        ..RunnerConfig::default()
    })
}

#[test]
fn mutated_configs_are_refused_naming_the_key_or_accepted_only_when_valid() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let (aws, cf) = (Counter::start(), Counter::start());
    let seen = std::cell::Cell::new((0, 0));
    runner(80)
        .run(&mutation(), |m| {
            let (text, valid, path) = apply(&m);
            std::fs::write(&config, &text).unwrap();
            let check = run(&config, &["config", "check"], &aws, &cf);
            prop_assert_eq!((aws.hits(), cf.hits()), (0, 0), "a remote call for {:?}", m);
            if valid {
                prop_assert_eq!(
                    check.code,
                    0,
                    "{:?} is valid by the model, refused:\n{}\n{}",
                    m,
                    text,
                    check.text
                );
                seen.set((seen.get().0 + 1, seen.get().1));
                return Ok(());
            }
            prop_assert_eq!(
                check.code,
                2,
                "{:?} is invalid by the model, accepted:\n{}\n{}",
                m,
                text,
                check.text
            );
            // A hostname outside the zone is, by design, reported on the zone when no hostname
            // is inside it.
            let also = if path == "domain[0].hostname" {
                "cloudflare.zone"
            } else {
                ""
            };
            let named = problems(&check.doc).iter().any(|p| {
                p["field"]
                    .as_str()
                    .is_some_and(|f| f == path || f == also || f.starts_with(&format!("{path}[")))
            });
            prop_assert!(named, "{:?}: no problem names {}:\n{}", m, path, check.text);
            // The real command refuses it too, before any call.
            let link = run(&config, &["link-domain"], &aws, &cf);
            prop_assert_eq!(link.code, 2, "link-domain: {}", link.text);
            prop_assert_eq!((aws.hits(), cf.hits()), (0, 0), "a remote call for {:?}", m);
            seen.set((seen.get().0, seen.get().1 + 1));
            Ok(())
        })
        .unwrap();
    let seen = seen.get();
    eprintln!("structured mutations: {} valid, {} invalid", seen.0, seen.1);
    assert!(
        seen.0 > 0 && seen.1 > 0,
        "both outcomes were exercised: {seen:?}"
    );
}

/// Every key path (with indices) of a TOML document, for the byte-mutation oracle.
fn key_paths(t: &Table, prefix: &str, schema_prefix: &str, out: &mut Vec<(String, String)>) {
    for (k, v) in t {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let schema = if schema_prefix.is_empty() {
            k.clone()
        } else {
            format!("{schema_prefix}.{k}")
        };
        out.push((path.clone(), schema.clone()));
        match v {
            Toml::Table(sub) => key_paths(sub, &path, &schema, out),
            Toml::Array(items) if items.iter().all(Toml::is_table) && !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    key_paths(
                        item.as_table().unwrap(),
                        &format!("{path}[{i}]"),
                        &format!("{schema}[]"),
                        out,
                    );
                }
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone)]
enum ByteEdit {
    Flip(u8),
    Insert(u8),
    Delete,
}

#[test]
fn byte_mutations_never_panic_or_call_and_are_refused_with_a_place() {
    let base =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml")).unwrap();
    let original: Table = toml::from_str(&base).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let (aws, cf) = (Counter::start(), Counter::start());
    let bytes = prop::sample::select(b"\"'=[]{}.,#\n \t0aZ-_\\\x00\xff".to_vec());
    let edit = prop_oneof![
        (any::<prop::sample::Index>(), bytes.clone()).prop_map(|(i, b)| (i, ByteEdit::Flip(b))),
        (any::<prop::sample::Index>(), bytes).prop_map(|(i, b)| (i, ByteEdit::Insert(b))),
        any::<prop::sample::Index>().prop_map(|i| (i, ByteEdit::Delete)),
    ];
    let outcomes = std::cell::Cell::new([0usize; 3]);
    runner(80)
        .run(&prop::collection::vec(edit, 1..4), |edits| {
            let mut text = base.clone().into_bytes();
            for (i, e) in &edits {
                let at = i.index(text.len());
                match e {
                    ByteEdit::Flip(b) => text[at] = *b,
                    ByteEdit::Insert(b) => text.insert(at, *b),
                    ByteEdit::Delete => {
                        text.remove(at);
                    }
                }
            }
            std::fs::write(&config, &text).unwrap();
            let ran = run(&config, &["config", "check"], &aws, &cf);
            prop_assert_eq!(
                (aws.hits(), cf.hits()),
                (0, 0),
                "a remote call:\n{}",
                ran.text
            );
            prop_assert!(
                ran.code == 0 || ran.code == 2,
                "exit {}:\n{}",
                ran.code,
                ran.text
            );
            let parsed = std::str::from_utf8(&text)
                .ok()
                .and_then(|t| toml::from_str::<Table>(t).ok());
            match &parsed {
                None => {
                    // Not TOML (or not UTF-8) for the reference parser: refused, with a place.
                    prop_assert_eq!(ran.code, 2, "accepted text that is not TOML:\n{}", ran.text);
                    let placed = problems(&ran.doc).iter().all(|p| {
                        p["line"].is_u64()
                            || p["problem"]
                                .as_str()
                                .is_some_and(|s| s.contains("not TOML"))
                    });
                    prop_assert!(placed, "a syntax problem without a line:\n{}", ran.text);
                    outcomes.set({
                        let mut o = outcomes.get();
                        o[0] += 1;
                        o
                    });
                }
                Some(doc) if doc == &original => {
                    prop_assert_eq!(
                        ran.code,
                        0,
                        "refused a file that means the same:\n{}",
                        ran.text
                    );
                    outcomes.set({
                        let mut o = outcomes.get();
                        o[1] += 1;
                        o
                    });
                }
                Some(doc) => {
                    let mut paths = Vec::new();
                    key_paths(doc, "", "", &mut paths);
                    let unknown = paths
                        .iter()
                        .any(|(_, schema)| !KNOWN.contains(&schema.as_str()));
                    if unknown {
                        prop_assert_eq!(ran.code, 2, "accepted an unknown key:\n{}", ran.text);
                    }
                    if ran.code == 2 {
                        let in_doc = |f: &str| {
                            paths.iter().any(|(p, _)| {
                                p == f
                                    || f.starts_with(&format!("{p}["))
                                    || f.starts_with(&format!("{p}."))
                            })
                        };
                        let named = problems(&ran.doc).iter().all(|p| {
                            p["field"].as_str().is_some_and(|f| {
                                in_doc(f) || KNOWN.contains(&f.replace("[0]", "[]").as_str())
                            })
                        });
                        prop_assert!(
                            named,
                            "a problem that names no key of the file:\n{}",
                            ran.text
                        );
                    }
                    outcomes.set({
                        let mut o = outcomes.get();
                        o[2] += 1;
                        o
                    });
                }
            }
            Ok(())
        })
        .unwrap();
    let o = outcomes.get();
    eprintln!(
        "byte mutations: {} not TOML, {} same document, {} other document",
        o[0], o[1], o[2]
    );
}
