//! The bad-input corpus (`tests/bad-input/*.case`, one case per file): every case is run against
//! the binary twice — human output and `--output json` — with AWS and Cloudflare pointed at
//! loopback listeners that count connections and must count none. Each run must exit with the
//! case's code, say the case's words, never say its secrets (nor the environment's token and
//! AWS secret key), never panic, and with `--output json` print exactly one JSON document.
//!
//! A case file is the config file itself, headed by `#!` lines (TOML comments, removed before
//! the file is written):
//!
//! ```text
//! #! args: ["link-domain", "--dry-run"]   the command line after --config (JSON; default link-domain)
//! #! env: {"AWS_REGION": "mars", "X": null}  on top of the base environment; null unsets
//! #! exit: 2                               the exit code (default 2)
//! #! expect: domain[0].hostname            words the output must contain (repeatable)
//! #! reject: ending in                     words it must not contain (repeatable)
//! #! secret: hunter2                       never in any output (repeatable)
//! #! config: body | none | dir | binary | utf16 | example   where --config points (default body)
//! #! json: no                              skip the --output json run (cases about --output)
//! ```
//!
//! `{dir}` in args and env is the case's directory, which also holds `root.pem` (Cloudflare's
//! Origin CA RSA root), `key.pem` (a private key's header and junk), `aws-config` (profiles
//! `dev` with region `mars-1`, and `ops` with region `us-west-2`).

use std::collections::BTreeMap;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::harness::bare_flarelink;

/// Values of the base environment that no output may contain.
const CF_TOKEN: &str = "corpus-cf-token-N7xq2";
const AWS_SECRET: &str = "corpus-aws-secret-K9vz4";

/// A loopback listener that counts connections (each request needs one).
pub struct Counter {
    pub url: String,
    hits: Arc<AtomicUsize>,
}

impl Counter {
    pub fn start() -> Counter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
            }
        });
        Counter { url, hits }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Default)]
struct Case {
    name: String,
    args: Vec<String>,
    env: BTreeMap<String, Option<String>>,
    exit: i32,
    expect: Vec<String>,
    reject: Vec<String>,
    secrets: Vec<String>,
    config: String,
    json: bool,
    body: String,
}

fn parse_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap();
    let mut case = Case {
        name: path.file_stem().unwrap().to_string_lossy().into_owned(),
        args: vec!["link-domain".into()],
        exit: 2,
        config: "body".into(),
        json: true,
        ..Default::default()
    };
    let mut body = String::new();
    for line in text.split_inclusive('\n') {
        let Some(header) = line.strip_prefix("#! ") else {
            body.push_str(line);
            continue;
        };
        let (key, value) = header
            .trim_end_matches(['\n', '\r'])
            .split_once(": ")
            .unwrap_or_else(|| panic!("{}: bad header line {line:?}", case.name));
        let bad = |what: &str| -> ! { panic!("{}: bad {key} ({what}): {value}", case.name) };
        match key {
            "args" => {
                case.args = serde_json::from_str(value).unwrap_or_else(|e| bad(&e.to_string()))
            }
            "env" => {
                let map: BTreeMap<String, Option<String>> =
                    serde_json::from_str(value).unwrap_or_else(|e| bad(&e.to_string()));
                case.env.extend(map);
            }
            "exit" => case.exit = value.parse().unwrap_or_else(|_| bad("a number")),
            "expect" => case.expect.push(value.to_string()),
            "reject" => case.reject.push(value.to_string()),
            "secret" => case.secrets.push(value.to_string()),
            "config" => case.config = value.to_string(),
            "json" => case.json = value != "no",
            "about" => {}
            _ => bad("unknown header"),
        }
    }
    case.body = body;
    case
}

/// Writes the case's directory and returns the path `--config` gets.
fn prepare(case: &Case, dir: &Path) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input/fixtures");
    std::fs::copy(
        fixtures.join("origin_ca_rsa_root.pem"),
        dir.join("root.pem"),
    )
    .unwrap();
    // Spelled in two parts so that secret scanners do not flag the repository; no key is here.
    let key_header = format!("-----BEGIN {}-----", "PRIVATE KEY");
    std::fs::write(
        dir.join("key.pem"),
        format!("{key_header}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END {}-----\n", "PRIVATE KEY"),
    )
    .unwrap();
    std::fs::write(
        dir.join("aws-config"),
        "[profile dev]\nregion = mars-1\n\n[profile ops]\nregion = us-west-2\n",
    )
    .unwrap();
    let path = dir.join("config.toml");
    match case.config.as_str() {
        "body" => std::fs::write(&path, &case.body).unwrap(),
        "none" => return dir.join("missing.toml"),
        "dir" => return dir.to_path_buf(),
        "binary" => std::fs::write(
            &path,
            [0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 0x80],
        )
        .unwrap(),
        "utf16" => {
            let mut bytes = vec![0xFF, 0xFE];
            for u in "[cloudflare]\nzone = \"example.com\"\n".encode_utf16() {
                bytes.extend_from_slice(&u.to_le_bytes());
            }
            std::fs::write(&path, bytes).unwrap()
        }
        "example" => {
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml"),
                &path,
            )
            .unwrap();
        }
        other => panic!("{}: unknown config {other}", case.name),
    }
    path
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(case: &Case, config: &Path, dir: &Path, json: bool, aws: &Counter, cf: &Counter) -> Output {
    let fill = |s: &str| s.replace("{dir}", &dir.display().to_string());
    let mut cmd = bare_flarelink();
    if json {
        cmd.args(["--output", "json"]);
    }
    cmd.arg("--config")
        .arg(config)
        .args(case.args.iter().map(|a| fill(a)))
        .env("AWS_ENDPOINT_URL", &aws.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .env("CLOUDFLARE_API_BASE", format!("{}/client/v4/", cf.url))
        .env("CLOUDFLARE_API_TOKEN", CF_TOKEN)
        .stdin(std::process::Stdio::null());
    for (k, v) in &case.env {
        match v {
            Some(v) => cmd.env(k, fill(v)),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every string in a JSON document, joined: where the expected words must be.
fn strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        Value::Number(n) => {
            out.push_str(&n.to_string());
            out.push('\n');
        }
        _ => {}
    }
}

/// What is wrong with one case's two runs (empty: nothing).
fn check(case: &Case, aws: &Counter, cf: &Counter) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let config = prepare(case, dir.path());
    let mut failures = Vec::new();
    let modes: &[bool] = if case.json { &[false, true] } else { &[false] };
    for &json in modes {
        let before = (aws.hits(), cf.hits());
        let out = run(case, &config, dir.path(), json, aws, cf);
        let mode = if json { "json" } else { "human" };
        let all = format!("{}\n{}", out.stdout, out.stderr);
        let mut fail = |what: String| {
            failures.push(format!(
                "{} ({mode}): {what}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                case.name, out.stdout, out.stderr
            ))
        };
        if out.code != case.exit {
            fail(format!("exit {} instead of {}", out.code, case.exit));
        }
        let after = (aws.hits(), cf.hits());
        if after != before {
            fail(format!(
                "{} connection(s) to AWS and {} to Cloudflare",
                after.0 - before.0,
                after.1 - before.1
            ));
        }
        for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
            if all.contains(bad) {
                fail(format!("panic text {bad:?} in the output"));
            }
        }
        for secret in case
            .secrets
            .iter()
            .map(String::as_str)
            .chain([CF_TOKEN, AWS_SECRET])
        {
            if all.contains(secret) {
                fail(format!("the secret {secret:?} is in the output"));
            }
        }
        let said = if json {
            match serde_json::from_str::<Value>(&out.stdout) {
                Ok(doc) => {
                    if doc["ok"] != Value::Bool(case.exit == 0) {
                        fail(format!("\"ok\" is {} with exit {}", doc["ok"], out.code));
                    }
                    if case.exit == 2 && !doc["error"]["kind"].is_string() {
                        fail("no error.kind".into());
                    }
                    let mut s = String::new();
                    strings(&doc, &mut s);
                    s
                }
                Err(e) => {
                    fail(format!("stdout is not one JSON document: {e}"));
                    String::new()
                }
            }
        } else {
            if case.exit == 2 && !all.contains("fix") && !all.contains("Usage") {
                fail("no fix is given".into());
            }
            all.clone()
        };
        for word in &case.expect {
            if !said.contains(word.as_str()) {
                fail(format!("{word:?} is not in the output"));
            }
        }
        for word in &case.reject {
            if said.contains(word.as_str()) {
                fail(format!("{word:?} is in the output"));
            }
        }
    }
    failures
}

#[test]
fn every_bad_input_in_the_corpus_is_refused_as_promised_with_no_remote_call() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    paths.sort();
    let cases: Vec<Case> = paths.iter().map(|p| parse_case(p)).collect();
    let bad = cases.iter().filter(|c| c.exit == 2).count();
    assert!(bad >= 100, "only {bad} bad inputs in the corpus");

    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    // The binary is run per case; four workers keep two cores busy while processes start.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let (aws, cf) = (Counter::start(), Counter::start());
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    let f = check(case, &aws, &cf);
                    failures.lock().unwrap().extend(f);
                }
                assert_eq!(
                    (aws.hits(), cf.hits()),
                    (0, 0),
                    "a case reached the network"
                );
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "corpus: {} cases ({bad} bad inputs), {} failures, {:.1?}",
        cases.len(),
        failures.len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
