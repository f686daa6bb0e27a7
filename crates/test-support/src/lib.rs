//! Test harness shared by flarelink's Rust tests that need moto, the local stand-in for AWS.
//!
//! * [`Moto`] runs `scripts/moto_launcher.py` from the project's venv as a child process on a
//!   free loopback port and kills (and reaps) it on drop. Each test may start its own, so tests
//!   stay isolated and can run in parallel.
//! * [`boto3`] runs a Python snippet with boto3 pointed at a `Moto`, to read AWS state back
//!   independently of the code under test.
//!
//! Nothing here skips silently: a missing venv is a panic telling you to run
//! `scripts/setup-standins`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub mod standins;

/// How long moto may take to print its endpoint line (importing moto is slow on a cold disk).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How much of the launcher's stderr to keep for diagnostics (moto logs every request there).
const STDERR_KEEP: usize = 64 * 1024;

/// The Cargo workspace root (the directory holding `scripts/` and the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // crates/test-support → ../..
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("crates/test-support lives two levels below the workspace root")
}

/// The venv's Python: `$FLARELINK_VENV/bin/python`, else `<root>/.venv/bin/python`.
pub fn venv_python() -> PathBuf {
    let venv = match std::env::var_os("FLARELINK_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => workspace_root().join(".venv"),
    };
    venv.join("bin").join("python")
}

fn require_venv() -> PathBuf {
    let python = venv_python();
    if !python.exists() {
        panic!(
            "moto's Python venv is missing ({} does not exist): run scripts/setup-standins \
             (or point FLARELINK_VENV at a venv made from scripts/requirements.txt)",
            python.display()
        );
    }
    python
}

/// The moto launcher as a child process, serving on `127.0.0.1:<free port>`.
///
/// Dropping it kills the launcher and waits for it, so no server outlives its test.
pub struct Moto {
    child: Child,
    /// Kept open: the launcher serves until its stdin closes.
    stdin: Option<ChildStdin>,
    endpoint: String,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Moto {
    /// Starts moto with the launcher's defaults (no quota emulation).
    pub fn start() -> Moto {
        Moto::start_with_env(&[])
    }

    /// Starts moto with extra environment for the launcher, e.g.
    /// `[("FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS", "2")]`.
    ///
    /// Blocks until the launcher prints its endpoint line (at most 60 s); panics with the
    /// launcher's stderr if it does not.
    pub fn start_with_env(env: &[(&str, &str)]) -> Moto {
        let python = require_venv();
        let launcher = workspace_root().join("scripts").join("moto_launcher.py");
        let mut command = Command::new(&python);
        command
            .arg(&launcher)
            .current_dir(workspace_root())
            .env("PYTHONUNBUFFERED", "1")
            .env_remove("FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS")
            .env_remove("FLARELINK_MOTO_PORT")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {} {}: {e}",
                python.display(),
                launcher.display()
            )
        });

        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");

        // Drain stderr for the launcher's whole life (a full pipe would block moto), keeping
        // the tail for diagnostics.
        let stderr = Arc::new(Mutex::new(Vec::new()));
        {
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || drain_keeping_tail(stderr_pipe, &stderr));
        }

        // Read the endpoint line on a thread so that the wait can time out; then keep draining.
        let (tx, rx) = mpsc::channel::<std::io::Result<String>>();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|_| line);
            let _ = tx.send(first);
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });

        let mut moto = Moto {
            child,
            stdin,
            endpoint: String::new(),
            stderr,
        };
        match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Ok(line)) => match parse_endpoint(&line) {
                Some(endpoint) => moto.endpoint = endpoint,
                None => moto.fail(&format!(
                    "unexpected first line from the launcher: {line:?}"
                )),
            },
            Ok(Err(e)) => moto.fail(&format!("cannot read the launcher's stdout: {e}")),
            Err(_) => moto.fail(&format!(
                "no endpoint line within {} s",
                STARTUP_TIMEOUT.as_secs()
            )),
        }
        moto
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Forgets all of moto's state (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let status = http_post_empty(&self.endpoint, "/moto-api/reset")
            .unwrap_or_else(|e| panic!("POST {}/moto-api/reset failed: {e}", self.endpoint));
        assert_eq!(status, 200, "moto reset answered HTTP {status}");
    }

    /// Environment for a process (the flarelink binary, the AWS CLI, boto3) that must talk to
    /// this moto and nothing else: endpoint, dummy credentials, region, no instance metadata,
    /// and the developer's own `~/.aws` files never read.
    ///
    /// Inherited `AWS_*` variables not listed here (e.g. `AWS_PROFILE`, `AWS_SESSION_TOKEN`)
    /// still leak through a plain `Command::envs`; use [`Moto::configure_command`] to clear them.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Removes every inherited `AWS_*` variable from `command` and sets [`Moto::aws_env`].
    pub fn configure_command(&self, command: &mut Command) {
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        command.envs(self.aws_env());
    }

    /// The launcher's stderr so far (its tail), e.g. moto's request log, for a failing test.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    fn fail(&mut self, what: &str) -> ! {
        self.stop();
        // Give the stderr thread a moment to collect what the dying process wrote.
        std::thread::sleep(Duration::from_millis(200));
        panic!(
            "moto did not start: {what}\n--- launcher stderr ---\n{}",
            self.stderr()
        );
    }

    fn stop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for Moto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moto")
            .field("pid", &self.child.id())
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

fn parse_endpoint(line: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    let endpoint = value.get("endpoint")?.as_str()?;
    endpoint
        .starts_with("http://")
        .then(|| endpoint.to_string())
}

fn drain_keeping_tail(mut pipe: impl Read, keep: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut kept = keep.lock().unwrap();
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * STDERR_KEEP {
                    let cut = kept.len() - STDERR_KEEP;
                    kept.drain(..cut);
                }
            }
        }
    }
}

/// A bodiless `POST` over plain HTTP/1.1; returns the status code.
fn http_post_empty(endpoint: &str, path: &str) -> std::io::Result<u16> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("endpoint is not http://"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    BufReader::new(stream).read_line(&mut response)?;
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {response:?}")))
}

/// Python run before every [`boto3`] snippet: `client(name)` makes a boto3 client pointed at
/// moto, `emit(obj)` prints it as the one JSON document (datetimes and bytes as strings).
const BOTO3_PRELUDE: &str = r#"
import json, sys, textwrap
import boto3

def client(name, **kwargs):
    return boto3.client(name, **kwargs)

def emit(obj):
    print(json.dumps(obj, default=str))

exec(compile(textwrap.dedent(sys.stdin.read()), "<boto3 snippet>", "exec"))
"#;

/// Runs a Python snippet with boto3 pointed at `moto` and returns the JSON document it prints.
///
/// The snippet is dedented; it can call `client("acm")` / `client("apigateway")` and
/// `emit(obj)` (or print JSON itself). Panics with the snippet's stderr if it fails or prints
/// something that is not JSON.
///
/// ```text
/// let tags = boto3(r#"
///     acm = client("acm")
///     emit(acm.list_tags_for_certificate(CertificateArn=ARN)["Tags"])
/// "#.replace("ARN", &format!("{arn:?}")), &moto);
/// ```
pub fn boto3(script: &str, moto: &Moto) -> serde_json::Value {
    let python = require_venv();
    let mut command = Command::new(&python);
    command
        .arg("-c")
        .arg(BOTO3_PRELUDE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    moto.configure_command(&mut command);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    {
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin
            .write_all(script.as_bytes())
            .expect("write the snippet to python");
    }
    let output = child.wait_with_output().expect("wait for python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        panic!(
            "boto3 snippet failed ({}):\n--- snippet ---\n{script}\n--- stderr ---\n{stderr}\n--- stdout ---\n{stdout}",
            output.status
        );
    }
    let text = stdout.trim();
    serde_json::from_str(text)
        .or_else(|_| {
            // Tolerate chatter before the document: take the last non-empty line.
            let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            serde_json::from_str(last)
        })
        .unwrap_or_else(|e| {
            panic!("boto3 snippet did not print JSON ({e}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}")
        })
}

/// Formats a Rust string as a Python string literal (for splicing values into snippets).
pub fn py_str(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_launcher() {
        assert!(workspace_root().join("scripts/moto_launcher.py").is_file());
        assert!(workspace_root().join("Cargo.toml").is_file());
    }

    #[test]
    fn parses_the_endpoint_line() {
        assert_eq!(
            parse_endpoint("{\"endpoint\": \"http://127.0.0.1:5000\"}\n").as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(parse_endpoint("Traceback (most recent call last):"), None);
    }

    #[test]
    fn moto_starts_resets_and_boto3_reads_back() {
        let moto = Moto::start();
        assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
        let created = boto3(
            r#"
            apigw = client("apigateway")
            api = apigw.create_rest_api(name="harness")
            emit({"id": api["id"]})
            "#,
            &moto,
        );
        assert!(created["id"].as_str().is_some_and(|s| !s.is_empty()));
        let count = boto3(
            r#"emit(len(client("apigateway").get_rest_apis()["items"]))"#,
            &moto,
        );
        assert_eq!(count, 1);
        moto.reset();
        let count = boto3(
            r#"emit(len(client("apigateway").get_rest_apis()["items"]))"#,
            &moto,
        );
        assert_eq!(count, 0);
    }

    #[test]
    fn aws_env_never_reads_the_developers_files() {
        let moto = Moto::start();
        let env = moto.aws_env();
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_ENDPOINT_URL"), Some(moto.endpoint()));
        assert_eq!(get("AWS_REGION"), Some("us-east-1"));
        assert_eq!(get("AWS_EC2_METADATA_DISABLED"), Some("true"));
        assert_eq!(get("AWS_CONFIG_FILE"), Some("/dev/null"));
        assert_eq!(get("AWS_SHARED_CREDENTIALS_FILE"), Some("/dev/null"));
    }

    #[test]
    fn drop_kills_the_launcher() {
        let moto = Moto::start();
        let pid = moto.child.id();
        drop(moto);
        // Reaped: no /proc entry left (not even a zombie).
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn py_str_quotes() {
        assert_eq!(py_str("a\"b"), "\"a\\\"b\"");
    }
}
