//! Retry, paging and header behaviour against a scripted loopback HTTP server, so the transport
//! rules are pinned down independently of the emulator: each connection gets the next scripted
//! reply (or is dropped without one) and every request is recorded.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flarelink_cloudflare::{ClientConfig, CloudflareClient, Error, NewDnsRecord};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOKEN: &str = "loopback-token-0123456789";
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";

#[derive(Clone)]
enum Reply {
    Answer {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Read the request, then close the connection without answering.
    Hangup,
}

fn answer(status: u16, body: serde_json::Value) -> Reply {
    Reply::Answer {
        status,
        headers: vec![],
        body: body.to_string(),
    }
}

fn ok(result: serde_json::Value) -> Reply {
    answer(
        200,
        serde_json::json!({"success":true,"errors":[],"messages":[],"result":result}),
    )
}

fn fail(status: u16, code: u32, message: &str) -> Reply {
    answer(
        status,
        serde_json::json!({"success":false,"errors":[{"code":code,"message":message}],
            "messages":[],"result":null}),
    )
}

#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    authorization: Option<String>,
}

struct Scripted {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Scripted {
    async fn start(script: Vec<Reply>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/client/v4/", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            let mut script = script.into_iter();
            while let Ok((mut socket, _)) = listener.accept().await {
                let request = read_request(&mut socket).await;
                let mut lines = request.lines();
                let request_line = lines.next().unwrap_or_default().to_string();
                let authorization = lines
                    .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                    .map(|l| l["authorization:".len()..].trim().to_string());
                log.lock().unwrap().push(Seen {
                    request_line,
                    authorization,
                });
                match script.next() {
                    Some(Reply::Answer {
                        status,
                        headers,
                        body,
                    }) => {
                        let mut head = format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                             Content-Length: {}\r\nConnection: close\r\n",
                            body.len()
                        );
                        for (name, value) in headers {
                            head.push_str(&format!("{name}: {value}\r\n"));
                        }
                        head.push_str("\r\n");
                        let _ = socket.write_all(head.as_bytes()).await;
                        let _ = socket.write_all(body.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    Some(Reply::Hangup) | None => drop(socket),
                }
            }
        });
        Scripted { base, seen, task }
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn client(&self, max_attempts: u32) -> CloudflareClient {
        let mut config = ClientConfig::new(TOKEN).with_api_base(&self.base);
        config.max_attempts = max_attempts;
        config.request_timeout = Duration::from_secs(5);
        CloudflareClient::new(config)
            .unwrap()
            .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    let l = l.to_ascii_lowercase();
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            break;
        }
    }
    String::from_utf8_lossy(&buf).to_string()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn zone_json() -> serde_json::Value {
    serde_json::json!({"id": ZONE, "name": "example.com", "status": "active"})
}

fn record() -> NewDnsRecord {
    NewDnsRecord {
        record_type: "CNAME".into(),
        name: "api.example.com".into(),
        content: "d-1.execute-api.eu-west-1.amazonaws.com".into(),
        proxied: true,
        ttl: 1,
        comment: Some("flarelink".into()),
    }
}

#[tokio::test]
async fn transient_5xx_are_retried_then_succeed() {
    let server = Scripted::start(vec![
        fail(503, 10001, "unavailable"),
        Reply::Answer {
            status: 502,
            headers: vec![],
            body: "<html>bad gateway</html>".into(),
        },
        ok(zone_json()),
    ])
    .await;
    let zone = server.client(4).get_zone(ZONE).await.unwrap();
    assert_eq!(zone.name, "example.com");
    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .iter()
        .all(|s| s.request_line == format!("GET /client/v4/zones/{ZONE} HTTP/1.1")));
    assert!(seen
        .iter()
        .all(|s| s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")[..])));
}

#[tokio::test]
async fn attempts_are_bounded_and_the_last_error_surfaces() {
    let server = Scripted::start(vec![fail(500, 10002, "boom"); 5]).await;
    let err = server.client(3).get_zone(ZONE).await.unwrap_err();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.codes(), vec![10002]);
}

#[tokio::test]
async fn permanent_4xx_is_not_retried() {
    let server = Scripted::start(vec![
        fail(400, 1004, "DNS Validation Error"),
        ok(zone_json()),
    ])
    .await;
    let err = server
        .client(4)
        .create_dns_record(ZONE, &record())
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(err.codes(), vec![1004]);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = Scripted::start(vec![
        Reply::Answer {
            status: 429,
            headers: vec![("Retry-After", "1".into())],
            body: serde_json::json!({"success":false,
                "errors":[{"code":10100,"message":"More than 1200 requests per 300 seconds reached."}],
                "messages":[],"result":null})
            .to_string(),
        },
        ok(serde_json::json!({"id":"r1","type":"CNAME","name":"api.example.com",
            "content":"d-1.execute-api.eu-west-1.amazonaws.com","proxied":true,"ttl":1,
            "comment":"flarelink"})),
    ])
    .await;
    let started = Instant::now();
    // A POST answered 429 never reached Cloudflare's handler, so it is retried.
    let created = server
        .client(3)
        .create_dns_record(ZONE, &record())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(created.id, "r1");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_post_cut_off_after_sending_is_not_resent_but_a_get_is() {
    let server = Scripted::start(vec![Reply::Hangup, ok(serde_json::json!({"id":"x"}))]).await;
    let err = server
        .client(4)
        .create_dns_record(ZONE, &record())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1, "the POST must not be resent");

    let server = Scripted::start(vec![Reply::Hangup, ok(zone_json())]).await;
    server.client(4).get_zone(ZONE).await.unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_with_a_hint() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/client/v4/", listener.local_addr().unwrap());
    drop(listener);
    let mut config = ClientConfig::new(TOKEN).with_api_base(base);
    config.max_attempts = 2;
    let client = CloudflareClient::new(config)
        .unwrap()
        .with_backoff(Duration::from_millis(1), Duration::from_millis(2));
    let err = client.find_zone_by_name("example.com").await.unwrap_err();
    match &err {
        Error::Transport { operation, url, .. } => {
            assert_eq!(*operation, "look up zone");
            assert!(url.contains("/client/v4/zones?name=example.com"), "{url}");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
    assert!(err.hint().unwrap().contains("CLOUDFLARE_API_BASE"));
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

#[tokio::test]
async fn dns_list_follows_every_page_and_sends_name_exact() {
    let page = |n: u32, ids: &[&str]| {
        answer(
            200,
            serde_json::json!({"success":true,"errors":[],"messages":[],
                "result": ids.iter().map(|id| serde_json::json!({"id":id,"type":"TXT",
                    "name":"api.example.com","content":"x"})).collect::<Vec<_>>(),
                "result_info":{"page":n,"per_page":100,"total_pages":3,"count":ids.len(),
                    "total_count":5}}),
        )
    };
    let server = Scripted::start(vec![
        page(1, &["a", "b"]),
        page(2, &["c", "d"]),
        page(3, &["e"]),
    ])
    .await;
    let records = server
        .client(1)
        .list_dns_records(ZONE, "api.example.com")
        .await
        .unwrap();
    let ids: Vec<_> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    let lines: Vec<_> = server
        .requests()
        .into_iter()
        .map(|s| s.request_line)
        .collect();
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(
            line,
            &format!(
                "GET /client/v4/zones/{ZONE}/dns_records?name.exact=api.example.com&page={}&per_page=100 HTTP/1.1",
                i + 1
            )
        );
    }
}

#[tokio::test]
async fn revoke_converges_on_already_revoked_and_unknown() {
    let server = Scripted::start(vec![
        ok(serde_json::json!({"id":"1","revoked_at":"2024-01-01T00:00:00Z"})),
        fail(400, 1014, "Certificate already revoked."),
        fail(404, 1101, "Failed to read certificate from Database"),
        fail(400, 1100, "Failed to write certificate to database."),
    ])
    .await;
    let client = server.client(1);
    assert!(client.revoke_origin_certificate("1").await.unwrap());
    assert!(!client.revoke_origin_certificate("1").await.unwrap());
    assert!(!client.revoke_origin_certificate("2").await.unwrap());
    let err = client.revoke_origin_certificate("3").await.unwrap_err();
    assert_eq!(err.codes(), vec![1100]);
    let lines: Vec<_> = server
        .requests()
        .into_iter()
        .map(|s| s.request_line)
        .collect();
    assert_eq!(lines[0], "DELETE /client/v4/certificates/1 HTTP/1.1");
}
