//! The standing local environment (`scripts/standins`) as a child process for tests: moto with
//! the API Gateway data plane and the local upstream, the Cloudflare emulator with its edge,
//! and the origin map they share. Dropping it closes the script's stdin (which stops every
//! part) and reaps it.
//!
//! Independent clients for assertions: [`Standins::boto3`] (AWS state) and
//! [`Standins::https`] (Python's http.client/ssl: a request with SNI to any stand-in address).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::{drain_keeping_tail, require_venv, workspace_root, BOTO3_PRELUDE};

/// Building nothing, starting moto and the emulator: well under this on a loaded machine.
const STANDINS_STARTUP: Duration = Duration::from_secs(120);

/// A binary of another workspace package, built beside the running test's own executable
/// (`target/<profile>/<name>`): `cargo test --workspace` builds the Cloudflare emulator's
/// binary for its own tests before any test runs. `FLARELINK_EMULATOR_BIN` overrides it.
pub fn sibling_binary(name: &str) -> PathBuf {
    if name == "cloudflare-emulator" {
        if let Some(p) = std::env::var_os("FLARELINK_EMULATOR_BIN").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
    }
    let exe = std::env::current_exe().expect("the test's own path");
    // target/debug/deps/<test>-<hash> → target/debug/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("a test executable lives in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build -p flarelink-cloudflare-emulator` (or the whole \
         `cargo test --workspace`), or set FLARELINK_EMULATOR_BIN",
        path.display()
    );
    path
}

/// An HTTP answer read by Python's http.client.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    /// Lower-case header names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// API Gateway's `{"message": ...}`.
    pub fn message(&self) -> Option<String> {
        serde_json::from_str::<Value>(&self.body)
            .ok()?
            .get("message")?
            .as_str()
            .map(str::to_owned)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
}

pub struct Standins {
    child: Child,
    stdin: Option<ChildStdin>,
    info: Value,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Standins {
    /// Runs `scripts/standins` with the given Cloudflare emulator binary and extra arguments,
    /// and waits for its JSON line.
    pub fn start(emulator_bin: &Path, args: &[&str]) -> Standins {
        require_venv();
        let mut command = Command::new("bash");
        command
            .arg(workspace_root().join("scripts").join("standins"))
            .args(args)
            .current_dir(workspace_root())
            .env("FLARELINK_EMULATOR_BIN", emulator_bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars_os() {
            let n = name.to_string_lossy();
            if n.starts_with("AWS_") || n.starts_with("CLOUDFLARE_") {
                command.env_remove(&name);
            }
        }
        let mut child = command.spawn().expect("run scripts/standins");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        {
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || drain_keeping_tail(stderr_pipe, &stderr));
        }
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        let mut standins = Standins {
            child,
            stdin,
            info: Value::Null,
            stderr,
        };
        match rx.recv_timeout(STANDINS_STARTUP) {
            Ok(line) => match serde_json::from_str::<Value>(line.trim()) {
                Ok(v) if v["edge"]["address"].is_string() => standins.info = v,
                _ => standins.fail(&format!("unexpected first line {line:?}")),
            },
            Err(_) => standins.fail("no JSON line in time"),
        }
        standins
    }

    fn fail(&mut self, what: &str) -> ! {
        self.stop();
        std::thread::sleep(Duration::from_millis(200));
        panic!(
            "scripts/standins did not start: {what}\n--- stderr ---\n{}",
            String::from_utf8_lossy(&self.stderr.lock().unwrap())
        );
    }

    fn stop(&mut self) {
        drop(self.stdin.take());
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The whole JSON line.
    pub fn info(&self) -> &Value {
        &self.info
    }

    /// `env` from the line: what flarelink, boto3 and the Cloudflare SDK need.
    pub fn env(&self) -> Vec<(String, String)> {
        self.info["env"]
            .as_object()
            .expect("env")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect()
    }

    pub fn env_var(&self, name: &str) -> String {
        self.info["env"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in env"))
            .to_owned()
    }

    /// Clears inherited `AWS_*`/`CLOUDFLARE_*` variables from `command` and sets [`Self::env`].
    pub fn configure_command(&self, command: &mut Command) {
        for (name, _) in std::env::vars_os() {
            let n = name.to_string_lossy();
            if n.starts_with("AWS_") || n.starts_with("CLOUDFLARE_") || n.starts_with("FLARELINK_")
            {
                command.env_remove(&name);
            }
        }
        command.envs(self.env());
    }

    fn address(&self, pointer: &str) -> SocketAddr {
        self.info
            .pointer(pointer)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no address at {pointer} in {}", self.info))
    }

    fn path(&self, pointer: &str) -> PathBuf {
        PathBuf::from(
            self.info
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("no path at {pointer} in {}", self.info)),
        )
    }

    /// Where proxied hostnames resolve: the edge.
    pub fn edge_address(&self) -> SocketAddr {
        self.address("/edge/address")
    }

    /// The PEM that trusts the edge's certificates.
    pub fn edge_ca_file(&self) -> PathBuf {
        self.path("/edge/ca_file")
    }

    /// The emulator's Origin CA root (what flarelink imports as the chain).
    pub fn origin_ca_root(&self) -> PathBuf {
        self.path("/cloudflare/origin_ca_root")
    }

    /// The API Gateway data plane (where a DNS-only CNAME to a regional domain would lead).
    pub fn dataplane_address(&self) -> SocketAddr {
        self.address("/dataplane/https")
    }

    /// The local CA that signs the default endpoint's `*.execute-api` certificate.
    pub fn dataplane_ca_file(&self) -> PathBuf {
        self.path("/dataplane/ca_file")
    }

    /// The stand-in public CA that signs moto's ACM-issued certificates (its root, public),
    /// which the edge trusts in Full (strict).
    pub fn acm_public_ca_file(&self) -> PathBuf {
        self.path("/moto/public_ca")
    }

    pub fn moto_endpoint(&self) -> String {
        self.info["moto"]["endpoint"].as_str().unwrap().to_owned()
    }

    pub fn cloudflare_base_url(&self) -> String {
        self.info["cloudflare"]["base_url"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn zone_id(&self, zone: &str) -> String {
        self.info["cloudflare"]["zones"][zone]
            .as_str()
            .unwrap_or_else(|| panic!("zone {zone} not seeded: {}", self.info))
            .to_owned()
    }

    /// The directory the stand-ins keep their logs, public certificates and origin map in.
    pub fn dir(&self) -> PathBuf {
        self.path("/dir")
    }

    /// Moves the data plane's clock (seconds; test-only admin endpoint).
    pub fn set_clock_offset(&self, seconds: i64) {
        let admin = self.info["dataplane"]["admin"].as_str().unwrap().to_owned();
        let doc = self.python(&format!(
            r#"
import http.client, json
host, port = {admin:?}.removeprefix("http://").rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=10)
c.request("PUT", "/clock", json.dumps({{"offset_seconds": {seconds}}}))
r = c.getresponse()
emit({{"status": r.status, "body": json.loads(r.read())}})
"#
        ));
        assert_eq!(doc["status"], 200, "{doc}");
    }

    /// A request over TLS to `address` with SNI and Host = `host`, trusting `ca_file`, read
    /// with Python's http.client (independent of flarelink's own HTTP stack).
    pub fn https(
        &self,
        address: SocketAddr,
        host: &str,
        path: &str,
        headers: &[(&str, &str)],
        ca_file: &Path,
    ) -> HttpAnswer {
        let headers: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        let doc = self.python(&format!(
            r#"
import http.client, json, socket, ssl
ctx = ssl.create_default_context(cafile={ca:?})
raw = socket.create_connection(("{ip}", {port}), timeout=30)
tls = ctx.wrap_socket(raw, server_hostname={host:?})
conn = http.client.HTTPConnection({host:?}, timeout=30)
conn.sock = tls
conn.request("GET", {path:?}, headers=json.loads({headers:?}))
r = conn.getresponse()
emit({{"status": r.status, "headers": [[k.lower(), v] for k, v in r.getheaders()], "body": r.read().decode("utf-8", "replace")}})
"#,
            ca = ca_file.display().to_string(),
            ip = address.ip(),
            port = address.port(),
            headers = Value::Object(headers).to_string(),
        ));
        HttpAnswer {
            status: doc["status"].as_u64().unwrap() as u16,
            headers: doc["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_owned(),
                        p[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
            body: doc["body"].as_str().unwrap().to_owned(),
        }
    }

    /// [`Self::https`] through the edge, trusting the edge's CA: what a client of a proxied
    /// hostname sees.
    pub fn via_edge(&self, host: &str, path: &str, headers: &[(&str, &str)]) -> HttpAnswer {
        self.https(
            self.edge_address(),
            host,
            path,
            headers,
            &self.edge_ca_file(),
        )
    }

    /// Runs a boto3 snippet against the stand-ins' moto (`client(name)`, `emit(obj)`).
    pub fn boto3(&self, script: &str) -> Value {
        self.python(script)
    }

    /// Runs a Python snippet in the venv with [`Self::env`] set, returning what it `emit`s.
    pub fn python(&self, script: &str) -> Value {
        let python = require_venv();
        let mut command = Command::new(&python);
        command
            .arg("-c")
            .arg(BOTO3_PRELUDE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.configure_command(&mut command);
        let mut child = command.spawn().expect("run python");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(script.as_bytes())
            .expect("write the snippet");
        let out = child.wait_with_output().expect("wait for python");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "python snippet failed:\n{script}\n--- stderr ---\n{stderr}"
        );
        let last = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("snippet printed no JSON ({e}): {stdout}\n{stderr}"))
    }

    /// The stand-ins' stderr so far (their logs are in [`Self::dir`]).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }
}

impl Drop for Standins {
    fn drop(&mut self) {
        self.stop();
    }
}
