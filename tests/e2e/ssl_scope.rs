//! The hostname-scoped SSL/TLS mode, proven through the local edge (`scripts/standins`): on a
//! zone left on Flexible, with another proxied hostname whose origin speaks only plain HTTP,
//! `link-domain` (default `ssl_scope = "hostname"`) puts the linked hostname on Full through a
//! Configuration Rule — it reaches API Gateway over TLS — while the other hostname still gets
//! Flexible and works. The rules are read back with Cloudflare's official Python SDK; someone
//! else's rule stays byte for byte; a second run writes nothing; a later rule of someone else's
//! that would win is refused; `unlink-domain` removes flarelink's rule; the zone scope's dry-run
//! lists the proxied hostnames it would reach.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use flarelink_test_support::standins::{sibling_binary, Standins};
use serde_json::{json, Value};

use crate::guide_setup::{self, Out};

const HOST: &str = "api.example.com";
const OTHER: &str = "www.example.com";
/// The other hostname's origin name (its CNAME target), led by the origin map to a plain-HTTP
/// server only.
const PLAIN_ORIGIN: &str = "legacy-origin.example.net";
const PLAIN_BODY: &str = "plain http origin";

/// What these tests read of a run's report.
trait Report {
    fn ssl_step(&self) -> Value;
    fn writes(&self) -> Vec<String>;
}

impl Report for Out {
    /// The ssl-mode step of a `--output json` report.
    fn ssl_step(&self) -> Value {
        self.json()["report"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == "ssl-mode")
            .cloned()
            .unwrap_or_else(|| panic!("no ssl-mode step: {}", self.stdout))
    }

    fn writes(&self) -> Vec<String> {
        self.json()["report"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["action"] != "exists" && s["action"] != "skip")
            .map(|s| format!("{}:{}", s["step"], s["action"]))
            .collect()
    }
}

fn flarelink(s: &Standins, config: &Path, args: &[&str]) -> Out {
    guide_setup::flarelink(s, config, args, &[])
}

/// The guide's setup and one `[[domain]]` for `HOST`, on Full; `scope_line` sets ssl_scope.
fn config(s: &Standins, dir: &Path, scope_line: &str) -> PathBuf {
    let path = dir.join(format!("config{}.toml", scope_line.len()));
    let cloudflare = format!("ssl_mode = \"full\"\n{scope_line}\n");
    guide_setup::guide_config(s, path, HOST, &cloudflare, "", "")
}

/// A plain-HTTP origin on loopback (no TLS at all): every request answers 200 `PLAIN_BODY`.
fn plain_http_origin() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PLAIN_BODY}",
                PLAIN_BODY.len()
            );
        }
    });
    address
}

/// Adds `name → {"http": address}` to the stand-ins' origin map (written whole, atomically).
fn map_plain_origin(s: &Standins, name: &str, address: std::net::SocketAddr) {
    let path = PathBuf::from(s.info()["origin_map"].as_str().expect("origin_map path"));
    let mut map: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    map[name] = json!({"http": address.to_string()});
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, map.to_string()).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}

/// A Cloudflare API call with plain urllib (independent of flarelink).
fn cloudflare(s: &Standins, method: &str, path: &str, body: Value) -> Value {
    s.python(&format!(
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

/// The zone's Configuration Rules read with Cloudflare's official Python SDK: the entry
/// point's raw JSON (so rules compare byte for byte), after checking the SDK's own types
/// accept it. `{"exists": false}` for a never-set phase.
fn rules_via_sdk(s: &Standins, zone: &str) -> Value {
    s.python(&format!(
        r#"
import json
from cloudflare import Cloudflare, NotFoundError
c = Cloudflare()
try:
    raw = c.rulesets.phases.with_raw_response.get("http_config_settings", zone_id={zone:?})
except NotFoundError:
    emit({{"exists": False, "rules": []}})
else:
    typed = raw.parse()
    assert typed.phase == "http_config_settings", typed
    doc = json.loads(raw.http_response.text)["result"]
    emit({{"exists": True, "version": doc["version"], "rules": doc.get("rules") or []}})
"#
    ))
}

/// Sets the zone's rules with the official SDK (someone else's edit).
fn put_rules_via_sdk(s: &Standins, zone: &str, rules: &Value) {
    s.python(&format!(
        r#"
import json
from cloudflare import Cloudflare
Cloudflare().rulesets.phases.update("http_config_settings", zone_id={zone:?}, rules=json.loads({rules:?}))
emit({{}})
"#,
        rules = rules.to_string()
    ));
}

fn marked(rules: &Value) -> Vec<Value> {
    rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["description"]
                .as_str()
                .is_some_and(|d| d.starts_with("flarelink: ssl "))
        })
        .cloned()
        .collect()
}

#[test]
fn the_linked_hostname_gets_full_through_a_rule_while_the_zone_and_its_other_hostname_stay_flexible(
) {
    let s = Standins::start(&sibling_binary("cloudflare-emulator"), &[]);
    let dir = tempfile::tempdir().unwrap();
    let zone = s.zone_id("example.com");
    let config = config(&s, dir.path(), "");

    // The zone as a user has it: Flexible (the stand-ins' default), another proxied hostname
    // whose origin speaks only plain HTTP, and a Configuration Rule of their own.
    assert_eq!(
        cloudflare(
            &s,
            "GET",
            &format!("zones/{zone}/settings/ssl"),
            Value::Null
        )["value"],
        "flexible"
    );
    map_plain_origin(&s, PLAIN_ORIGIN, plain_http_origin());
    cloudflare(
        &s,
        "POST",
        &format!("zones/{zone}/dns_records"),
        json!({"type": "CNAME", "name": OTHER, "content": PLAIN_ORIGIN, "proxied": true, "ttl": 1}),
    );
    let plain = s.via_edge(OTHER, "/", &[]);
    assert_eq!(
        plain.status, 200,
        "Flexible reaches the HTTP-only origin: {plain:?}"
    );
    assert_eq!(plain.body, PLAIN_BODY);
    put_rules_via_sdk(
        &s,
        &zone,
        &json!([{"action": "set_config", "expression": "(http.request.uri.path contains \"/legacy/\")",
                 "action_parameters": {"bic": false}, "description": "someone else's rule", "enabled": true}]),
    );
    let theirs = rules_via_sdk(&s, &zone)["rules"][0].clone();
    assert_eq!(theirs["description"], "someone else's rule");

    flarelink(&s, &config, &["provision"]).code(0);

    // The dry-run says what it would do, and does nothing.
    let dry = flarelink(
        &s,
        &config,
        &["link-domain", "--dry-run", "--output", "json"],
    );
    dry.code(0);
    let step = dry.ssl_step();
    assert_eq!(step["action"], "create", "{step}");
    assert_eq!(
        step["summary"],
        "full for api.example.com (Configuration Rule), zone stays flexible"
    );
    assert_eq!(dry.json()["report"]["zone"]["ssl_scope"], "hostname");
    assert_eq!(rules_via_sdk(&s, &zone)["rules"], json!([theirs]));

    let first = flarelink(&s, &config, &["link-domain", "--output", "json"]);
    first.code(0);
    assert_eq!(first.ssl_step()["summary"], step["summary"]);
    let human = flarelink(&s, &config, &["link-domain", "--dry-run"]);
    assert!(
        human
            .stdout
            .contains("full for api.example.com (Configuration Rule), zone stays flexible"),
        "{}",
        human.stdout
    );

    // Read back with the official SDK: someone else's rule byte for byte, first; then
    // flarelink's, matching exactly the hostname.
    let after = rules_via_sdk(&s, &zone);
    let rules = after["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2, "{after:#}");
    assert_eq!(rules[0], theirs, "someone else's rule is unchanged");
    assert_eq!(rules[1]["action"], "set_config");
    assert_eq!(rules[1]["expression"], "(http.host eq \"api.example.com\")");
    assert_eq!(rules[1]["action_parameters"], json!({"ssl": "full"}));
    assert_eq!(
        rules[1]["description"],
        "flarelink: ssl full for linked hostnames"
    );
    assert_eq!(rules[1]["enabled"], true);
    assert_eq!(
        cloudflare(
            &s,
            "GET",
            &format!("zones/{zone}/settings/ssl"),
            Value::Null
        )["value"],
        "flexible",
        "the zone's own mode is left alone"
    );

    // Through the edge: the linked hostname reaches API Gateway over TLS (Full: its Cognito
    // authorizer answers), the other one still gets Flexible and its plain-HTTP origin.
    let linked = s.via_edge(HOST, "/ditto", &[]);
    assert_eq!(
        linked.status, 401,
        "API Gateway answers over TLS: {linked:?}"
    );
    assert!(linked.header("x-amzn-requestid").is_some(), "{linked:?}");
    assert!(linked.header("cf-ray").is_some(), "{linked:?}");
    let plain = s.via_edge(OTHER, "/", &[]);
    assert_eq!(plain.status, 200, "still Flexible: {plain:?}");
    assert_eq!(plain.body, PLAIN_BODY);

    // A second run writes nothing: the ruleset's version does not move.
    let again = flarelink(&s, &config, &["link-domain", "--output", "json"]);
    again.code(0);
    assert!(again.writes().is_empty(), "{:?}", again.writes());
    assert_eq!(again.ssl_step()["action"], "exists");
    assert_eq!(rules_via_sdk(&s, &zone), after);

    // Someone else's rule after flarelink's that names the hostname would win: refused, and
    // nothing is written.
    let mut with_later = after["rules"].clone();
    with_later.as_array_mut().unwrap().push(json!({
        "action": "set_config", "expression": "(http.host eq \"api.example.com\")",
        "action_parameters": {"ssl": "flexible"}, "description": "later", "enabled": true}));
    let clean: Vec<Value> = with_later
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let o = r.as_object_mut().unwrap();
            o.remove("version");
            o.remove("last_updated");
            r
        })
        .collect();
    put_rules_via_sdk(&s, &zone, &Value::Array(clean));
    let before_refusal = rules_via_sdk(&s, &zone);
    let refused = flarelink(&s, &config, &["link-domain", "--output", "json"]);
    refused.code(1);
    assert!(
        refused
            .stdout
            .contains("comes after flarelink's Configuration Rule"),
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains("--force"), "{}", refused.stdout);
    assert_eq!(rules_via_sdk(&s, &zone), before_refusal);
    let later = before_refusal["rules"][2].clone();
    assert_eq!(later["description"], "later");
    // Someone else takes it away again (flarelink never edits it).
    let without_later: Vec<Value> = before_refusal["rules"].as_array().unwrap()[..2]
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let o = r.as_object_mut().unwrap();
            o.remove("version");
            o.remove("last_updated");
            r
        })
        .collect();
    put_rules_via_sdk(&s, &zone, &Value::Array(without_later));

    // unlink-domain takes the hostname out; its rule, left naming nobody, goes; the entry point
    // and someone else's rule stay.
    let unlink = flarelink(&s, &config, &["unlink-domain", "--output", "json"]);
    unlink.code(0);
    assert_eq!(unlink.ssl_step()["action"], "delete", "{}", unlink.stdout);
    let left = rules_via_sdk(&s, &zone);
    assert_eq!(left["exists"], true, "the phase itself stays");
    assert_eq!(left["rules"].as_array().unwrap().len(), 1, "{left:#}");
    assert_eq!(left["rules"][0]["id"], theirs["id"]);
    assert_eq!(left["rules"][0]["expression"], theirs["expression"]);
    assert_eq!(
        left["rules"][0]["action_parameters"],
        theirs["action_parameters"]
    );
    assert!(marked(&left["rules"]).is_empty(), "{left:#}");
    let plain = s.via_edge(OTHER, "/", &[]);
    assert_eq!(plain.status, 200, "{plain:?}");

    // The zone scope's dry-run lists which proxied hostnames the zone-wide change would reach
    // (the linked one, whose CNAME link-domain would create, and the other one).
    let zone_config = config_zone_scope(&s, dir.path());
    let dry = flarelink(
        &s,
        &zone_config,
        &["link-domain", "--dry-run", "--output", "json"],
    );
    dry.code(0);
    let step = dry.ssl_step();
    assert_eq!(step["action"], "change", "{step}");
    let details: Vec<&str> = step["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(
        details.contains(&"proxied hostnames affected: api.example.com, www.example.com"),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("changed too: www.example.com")),
        "{details:?}"
    );
    assert_eq!(
        cloudflare(
            &s,
            "GET",
            &format!("zones/{zone}/settings/ssl"),
            Value::Null
        )["value"],
        "flexible",
        "a dry-run changes nothing"
    );
}

fn config_zone_scope(s: &Standins, dir: &Path) -> PathBuf {
    config(s, dir, "ssl_scope = \"zone\"")
}

/// The `ssl-mode` step alone (it needs only Cloudflare), for the merge rules that need no data
/// plane: two configurations on one zone share flarelink's rule, unlinking one keeps the
/// other's hostname, and a zone already on Full (strict) is not lowered for a new hostname.
#[test]
fn two_configurations_share_the_rule_and_a_strict_zone_is_not_lowered() {
    use crate::harness::Stack;
    use flarelink_cloudflare_emulator::EmulatorOptions;

    let stack = Stack::start();
    let a = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    stack
        .flarelink(&a, &["ssl-mode", "--output", "json"])
        .assert_code(0);
    let other_dir = tempfile::tempdir().unwrap();
    let b_text = std::fs::read_to_string(&a)
        .unwrap()
        .replace(HOST, "b.example.com")
        .replace(
            "\"origin-root.pem\"",
            &format!("{:?}", stack.dir.path().join("origin-root.pem")),
        );
    let b = other_dir.path().join("b.toml");
    std::fs::write(&b, b_text).unwrap();
    let run = stack.flarelink(&b, &["ssl-mode", "--output", "json"]);
    run.assert_code(0);
    let rules = stack.config_rules();
    assert_eq!(rules.len(), 1, "{rules:#?}");
    assert_eq!(
        rules[0]["expression"], "(http.host in {\"api.example.com\" \"b.example.com\"})",
        "the other configuration's hostname is kept"
    );
    assert_eq!(stack.ssl_mode(), "flexible");

    // unlink-domain of the second configuration takes only its own hostname out.
    stack
        .flarelink(&b, &["unlink-domain", "--output", "json"])
        .assert_code(0);
    let rules = stack.config_rules();
    assert_eq!(rules.len(), 1, "{rules:#?}");
    assert_eq!(rules[0]["expression"], "(http.host eq \"api.example.com\")");
    let writes = stack.stats().writes;
    let again = stack.flarelink(&a, &["ssl-mode", "--output", "json"]);
    again.assert_code(0);
    assert_eq!(again.writes(), Vec::<String>::new());
    assert_eq!(
        stack.stats().writes,
        writes,
        "a converged run writes nothing"
    );

    // A zone already on Full (strict): asking Full for a hostname writes no rule and says why.
    let options = EmulatorOptions {
        initial_ssl_mode: "strict".into(),
        ..EmulatorOptions::default()
    };
    let strict = Stack::start_with(&[], options);
    let config = strict.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    let run = strict.flarelink(&config, &["ssl-mode", "--output", "json"]);
    run.assert_code(0);
    assert_eq!(run.writes(), Vec::<String>::new());
    let step = &run.json()["report"]["steps"][0];
    assert_eq!(
        step["summary"],
        "strict for api.example.com (zone setting, not lowered), zone stays strict"
    );
    assert!(
        step["details"].to_string().contains("not lowered to Full"),
        "{step}"
    );
    assert!(strict.config_rules().is_empty());
    assert_eq!(strict.stats().writes, 0);
}
