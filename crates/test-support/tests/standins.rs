//! `scripts/standins` itself: its one JSON line carries what the README promises, every part
//! listens, and closing its stdin stops every part and removes its directory.

use std::net::TcpStream;
use std::time::Duration;

use flarelink_test_support::standins::{sibling_binary, Standins};

#[test]
fn announces_everything_and_stops_everything_when_stdin_closes() {
    let s = Standins::start(&sibling_binary("cloudflare-emulator"), &[]);
    let env = s.env();
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    for want in [
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "CLOUDFLARE_API_BASE",
        "CLOUDFLARE_BASE_URL",
        "CLOUDFLARE_API_TOKEN",
    ] {
        assert!(names.contains(&want), "{want} missing from env: {names:?}");
    }
    let listening = [
        s.edge_address(),
        s.dataplane_address(),
        s.moto_endpoint()
            .trim_start_matches("http://")
            .parse()
            .unwrap(),
        s.cloudflare_base_url()
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap(),
    ];
    for addr in listening {
        assert!(addr.ip().is_loopback(), "{addr}");
        TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{addr} does not listen: {e}"));
    }
    for file in [s.edge_ca_file(), s.origin_ca_root(), s.dataplane_ca_file()] {
        let pem = std::fs::read_to_string(&file).unwrap();
        assert!(pem.contains("BEGIN CERTIFICATE"), "{}", file.display());
        assert!(!pem.contains("PRIVATE KEY"), "{}", file.display());
    }
    let map: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.dir().join("origin-map.json")).unwrap())
            .unwrap();
    assert_eq!(
        map["*.execute-api.us-east-1.amazonaws.com"]["https"],
        s.info()["dataplane"]["https"]
    );
    assert!(map["pokeapi.co"]["https"].is_string());
    // No private key anywhere in its directory.
    for entry in std::fs::read_dir(s.dir()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("PRIVATE KEY"),
            "{} holds a private key",
            path.display()
        );
    }

    let dir = s.dir();
    drop(s); // closes its stdin
    assert!(!dir.exists(), "{} was not removed", dir.display());
    for addr in listening {
        assert!(
            TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
            "{addr} still listens"
        );
    }
}
