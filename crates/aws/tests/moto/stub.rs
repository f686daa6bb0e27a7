//! A scripted HTTP/1.1 stub: answers each request with the next canned response and records
//! what it was sent. For UpdateDomainName, which moto 5.2.5 does not implement.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: String,
}

pub struct Canned {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

pub struct Stub {
    endpoint: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Stub {
    /// Serves `responses` in order (the last one repeats).
    pub fn start(responses: Vec<Canned>) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind stub");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        std::thread::spawn(move || {
            let responses = Arc::new(responses);
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let recorded = Arc::clone(&recorded);
                let responses = Arc::clone(&responses);
                std::thread::spawn(move || serve(stream, &recorded, &responses));
            }
        });
        Stub { endpoint, requests }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, recorded: &Mutex<Vec<Recorded>>, responses: &[Canned]) {
    // One request per connection: every answer says `Connection: close`.
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let index = {
        let mut all = recorded.lock().unwrap();
        all.push(Recorded {
            method,
            path,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        all.len() - 1
    };
    let canned = &responses[index.min(responses.len() - 1)];
    let mut head = format!("HTTP/1.1 {} Stub\r\n", canned.status);
    for (name, value) in &canned.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        canned.body.len()
    ));
    let _ = writer.write_all(head.as_bytes());
    let _ = writer.write_all(canned.body.as_bytes());
    let _ = writer.flush();
}
