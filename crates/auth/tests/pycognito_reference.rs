//! flarelink's SRP against an independent implementation: `pycognito`'s `AWSSRP` (pinned in
//! `scripts/requirements.txt`), fed the same secret `a`, salt, B, secret block, user, password,
//! pool and timestamp. moto accepts any `PASSWORD_CLAIM_SIGNATURE`, so this is what shows that
//! real Cognito would accept ours.
//!
//! For the "server" cases the Python side also plays Cognito: it makes the verifier
//! `v = g^x` from the password, picks `B = k·v + g^b`, and computes the signature it expects
//! from the server's side of the exchange, `S = (A·v^u)^b`, which shares no code path with the
//! client's formula.
//!
//! A missing venv fails the test (run `scripts/setup-standins`); it never skips.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{TimeZone, Utc};
use flarelink_auth::{cognito_timestamp, SrpSession};
use serde_json::{json, Value};

const SCRIPT: &str = r#"
import base64, datetime, hashlib, hmac, json, sys
from pycognito.aws_srp import (AWSSRP, N_HEX, G_HEX, calculate_u, compute_hkdf, hash_sha256,
                               hex_hash, hex_to_long, long_to_hex, pad_hex)

req = json.load(sys.stdin)
N = hex_to_long(N_HEX)
g = hex_to_long(G_HEX)
k = hex_to_long(hex_hash("00" + N_HEX + "0" + G_HEX))
out = {"n_hex": N_HEX, "cases": [], "timestamps": []}
for c in req["cases"]:
    pool_name = c["pool_id"].split("_")[1]
    if "server_b_hex" in c:
        # Play Cognito: verifier from the real password, B = k*v + g^b.
        x = hex_to_long(hex_hash(pad_hex(c["salt_hex"]) + hash_sha256(
            (pool_name + c["user_id"] + ":" + c["password"]).encode("utf-8"))))
        v = pow(g, x, N)
        b = int(c["server_b_hex"], 16)
        B = (k * v + pow(g, b, N)) % N
        b_hex = long_to_hex(B)
    else:
        b_hex = c["b_hex"]
    srp = AWSSRP(username=c["username"], password=c["password"], pool_id=c["pool_id"],
                 client_id="testclient", client=object())
    srp.small_a_value = int(c["a_hex"], 16)
    srp.large_a_value = srp.calculate_a()
    srp.get_cognito_formatted_timestamp = lambda _now, ts=c["timestamp"]: ts
    resp = srp.process_challenge(
        {"USER_ID_FOR_SRP": c["user_id"], "SALT": c["salt_hex"], "SRP_B": b_hex,
         "SECRET_BLOCK": c["secret_block"], "USERNAME": c["username"]},
        {"USERNAME": c["username"]})
    result = {"a": long_to_hex(srp.large_a_value), "b_hex": b_hex,
              "signature": resp["PASSWORD_CLAIM_SIGNATURE"], "timestamp": resp["TIMESTAMP"]}
    if "server_b_hex" in c:
        A = srp.large_a_value
        u = calculate_u(A, B)
        S = pow(A * pow(v, u, N), b, N)
        key = compute_hkdf(bytearray.fromhex(pad_hex(S)), bytearray.fromhex(pad_hex(long_to_hex(u))))
        msg = (pool_name.encode() + c["user_id"].encode() + base64.standard_b64decode(c["secret_block"])
               + c["timestamp"].encode())
        result["server_expects"] = base64.standard_b64encode(
            hmac.new(key, msg, hashlib.sha256).digest()).decode()
    out["cases"].append(result)
for t in req["timestamps"]:
    out["timestamps"].append(AWSSRP.get_cognito_formatted_timestamp(datetime.datetime(*t)))
json.dump(out, sys.stdout)
"#;

fn python() -> std::path::PathBuf {
    let python = flarelink_test_support::venv_python();
    assert!(
        python.exists(),
        "the Python venv with pycognito is missing ({} does not exist): run scripts/setup-standins",
        python.display()
    );
    python
}

fn run_reference(request: &Value) -> Value {
    let mut child = Command::new(python())
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the venv's python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pycognito reference failed (if pycognito is missing, run scripts/setup-standins):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("reference output is JSON")
}

struct Case {
    pool_id: &'static str,
    username: &'static str,
    user_id: &'static str,
    password: &'static str,
    a_hex: String,
    salt_hex: &'static str,
    /// Fixed SRP_B, or None to let the Python "server" make B from its own secret b.
    b_hex: Option<String>,
    server_b_hex: String,
    secret_block: String,
    timestamp: String,
}

fn cases() -> Vec<Case> {
    let block = |seed: u8, len: usize| {
        BASE64.encode(
            (0..len)
                .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed))
                .collect::<Vec<_>>(),
        )
    };
    let ts = |d, h| cognito_timestamp(Utc.with_ymd_and_hms(2026, 11, d, h, 20, 57).unwrap());
    vec![
        // Small a and a small, fixed B; salt with a leading zero byte.
        Case {
            pool_id: "us-east-1_AbCdEf123",
            username: "superdude",
            user_id: "superdude",
            password: "Superd3d$",
            a_hex: "1234567890abcdef".into(),
            salt_hex: "00d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5",
            b_hex: Some("5d1f3a9c".into()),
            server_b_hex: String::new(),
            secret_block: block(1, 64),
            timestamp: ts(24, 21),
        },
        // 128-byte a; B with the top bit set; salt with the top bit set; single-digit day.
        Case {
            pool_id: "eu-west-2_Zz9",
            username: "alice@example.com",
            user_id: "7f3c9a52-1b2d-4c5e-8f90-a1b2c3d4e5f6",
            password: "pässwörd with spaces ✓",
            a_hex: "a5".repeat(128),
            salt_hex: "f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8",
            b_hex: Some(format!("c{}", "3e".repeat(190))),
            server_b_hex: String::new(),
            secret_block: block(9, 1000),
            timestamp: ts(3, 7),
        },
        // Odd-length salt and B (Cognito's hex has no leading zeros).
        Case {
            pool_id: "ap-southeast-2_q",
            username: "bob",
            user_id: "bob",
            password: "x",
            a_hex: "7".repeat(255),
            salt_hex: "abc",
            b_hex: Some("9".repeat(767)),
            server_b_hex: String::new(),
            secret_block: block(200, 17),
            timestamp: ts(1, 0),
        },
        // Full exchange: Python plays Cognito and computes the server's expected signature.
        Case {
            pool_id: "us-east-1_ServerSide1",
            username: "superdude",
            user_id: "0b1e3c4d-5f60-4718-9a2b-3c4d5e6f7081",
            password: "Superd3d$",
            a_hex: "3c".repeat(128),
            salt_hex: "8e2b4c6d8f0a1b3c5d7e9f1a2b4c6d8e",
            b_hex: None,
            server_b_hex: "42b1c3d5e7f9".into(),
            secret_block: block(77, 1024),
            timestamp: ts(9, 13),
        },
        Case {
            pool_id: "us-west-2_AnotherPool",
            username: "carol",
            user_id: "carol",
            password: "correct horse battery staple",
            a_hex: "1".into(),
            salt_hex: "0001",
            b_hex: None,
            server_b_hex: "e1".repeat(64),
            secret_block: block(3, 48),
            timestamp: ts(30, 23),
        },
    ]
}

#[test]
fn a_and_signature_match_pycognito_and_a_cognito_server() {
    let cases = cases();
    let request = json!({
        "cases": cases.iter().map(|c| {
            let mut v = json!({
                "pool_id": c.pool_id, "username": c.username, "user_id": c.user_id,
                "password": c.password, "a_hex": c.a_hex, "salt_hex": c.salt_hex,
                "secret_block": c.secret_block, "timestamp": c.timestamp,
            });
            match &c.b_hex {
                Some(b) => v["b_hex"] = json!(b),
                None => v["server_b_hex"] = json!(c.server_b_hex),
            }
            v
        }).collect::<Vec<_>>(),
        "timestamps": [[2026, 11, 24, 21, 20, 57], [1970, 1, 1, 0, 0, 0], [2025, 2, 3, 8, 5, 9],
                       [2024, 2, 29, 23, 59, 59], [2031, 12, 9, 10, 0, 1]],
    });
    let reference = run_reference(&request);

    for (i, (c, r)) in cases
        .iter()
        .zip(reference["cases"].as_array().unwrap())
        .enumerate()
    {
        let (session, a) =
            SrpSession::with_secret_a_hex(c.pool_id, c.username, c.password, &c.a_hex).unwrap();
        assert_eq!(
            a,
            r["a"].as_str().unwrap(),
            "case {i}: SRP_A differs from pycognito"
        );
        let b_hex = r["b_hex"].as_str().unwrap();
        let sig = session
            .password_verifier(c.salt_hex, b_hex, &c.secret_block, c.user_id, &c.timestamp)
            .unwrap();
        assert_eq!(r["timestamp"].as_str().unwrap(), c.timestamp);
        assert_eq!(
            sig,
            r["signature"].as_str().unwrap(),
            "case {i}: PASSWORD_CLAIM_SIGNATURE differs from pycognito"
        );
        if let Some(expected) = r.get("server_expects") {
            assert_eq!(
                sig,
                expected.as_str().unwrap(),
                "case {i}: the server side of the exchange expects another signature"
            );
        }

        // A wrong password gives another signature.
        let (wrong, _) =
            SrpSession::with_secret_a_hex(c.pool_id, c.username, "wrong-password", &c.a_hex)
                .unwrap();
        let wrong_sig = wrong
            .password_verifier(c.salt_hex, b_hex, &c.secret_block, c.user_id, &c.timestamp)
            .unwrap();
        assert_ne!(wrong_sig, sig, "case {i}: wrong password, same signature");
        if let Some(expected) = r.get("server_expects") {
            assert_ne!(wrong_sig, expected.as_str().unwrap());
        }
    }

    let expected_ts = [
        Utc.with_ymd_and_hms(2026, 11, 24, 21, 20, 57).unwrap(),
        Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2025, 2, 3, 8, 5, 9).unwrap(),
        Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap(),
        Utc.with_ymd_and_hms(2031, 12, 9, 10, 0, 1).unwrap(),
    ];
    for (t, py) in expected_ts
        .iter()
        .zip(reference["timestamps"].as_array().unwrap())
    {
        assert_eq!(cognito_timestamp(*t), py.as_str().unwrap());
    }
}
