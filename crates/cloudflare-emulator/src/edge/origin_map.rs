//! The origin map: where the edge connects for an origin name (a CNAME target, or an A/AAAA
//! record's address written as text). It stands in for the DNS resolution Cloudflare does; the
//! system resolver is never asked, so nothing outside loopback is ever contacted.
//!
//! File format (JSON): `{"<exact name or *.suffix>": {"https": "127.0.0.1:PORT", "http":
//! "127.0.0.1:PORT"}}`. Either scheme may be missing (connecting to it then behaves as a refused
//! connection); addresses must be IPv4 loopback. An exact name wins over a wildcard, a longer
//! wildcard suffix over a shorter one; `*.suffix` matches names with one or more labels before
//! `suffix`. Names compare case-insensitively, trailing dot ignored.
//!
//! The file is read again on every request that needs it (it is small) and parsed only when its
//! bytes changed, so the stand-ins can write it after the emulator started. A missing file is an
//! empty map; a file that does not parse keeps the last good map (and the problem is logged).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

/// Where one origin name leads, per scheme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OriginEntry {
    pub https: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
}

/// A parsed origin map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginMap {
    exact: HashMap<String, OriginEntry>,
    /// `(suffix without "*.", entry)`.
    wildcards: Vec<(String, OriginEntry)>,
}

/// Why an origin map file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OriginMapError {
    #[error("origin map: not a JSON object of names ({0})")]
    NotAnObject(String),
    #[error("origin map: entry `{name}` must be an object with \"https\" and/or \"http\"")]
    EntryNotAnObject { name: String },
    #[error("origin map: entry `{name}` has unknown field `{field}` (only \"https\", \"http\")")]
    UnknownField { name: String, field: String },
    #[error("origin map: `{name}`.{scheme} = {value:?} is not an IPv4 loopback address:port (e.g. \"127.0.0.1:8443\")")]
    BadAddress {
        name: String,
        scheme: String,
        value: String,
    },
    #[error("origin map: `{0}` is not a host name or `*.suffix`")]
    BadName(String),
}

fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

impl OriginMap {
    /// Parse the JSON text of a map.
    pub fn parse(bytes: &[u8]) -> Result<Self, OriginMapError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| OriginMapError::NotAnObject(e.to_string()))?;
        let Value::Object(obj) = value else {
            return Err(OriginMapError::NotAnObject(
                "top level is not an object".into(),
            ));
        };
        let mut map = OriginMap::default();
        for (raw_name, raw_entry) in obj {
            let name = normalize(&raw_name);
            let Value::Object(fields) = raw_entry else {
                return Err(OriginMapError::EntryNotAnObject { name: raw_name });
            };
            let mut entry = OriginEntry::default();
            for (field, value) in fields {
                let slot = match field.as_str() {
                    "https" => &mut entry.https,
                    "http" => &mut entry.http,
                    _ => {
                        return Err(OriginMapError::UnknownField {
                            name: raw_name,
                            field,
                        })
                    }
                };
                let text = value.as_str().unwrap_or_default();
                let addr = text
                    .parse::<SocketAddr>()
                    .ok()
                    .filter(|a| matches!(a, SocketAddr::V4(v4) if v4.ip().is_loopback()));
                match addr {
                    Some(a) => *slot = Some(a),
                    None => {
                        return Err(OriginMapError::BadAddress {
                            name: raw_name,
                            scheme: field,
                            value: value.to_string(),
                        })
                    }
                }
            }
            if let Some(suffix) = name.strip_prefix("*.") {
                if suffix.is_empty() || suffix.contains('*') {
                    return Err(OriginMapError::BadName(raw_name));
                }
                map.wildcards.push((suffix.to_string(), entry));
            } else if name.is_empty() || name.contains('*') {
                return Err(OriginMapError::BadName(raw_name));
            } else {
                map.exact.insert(name, entry);
            }
        }
        // Longest suffix first, so the most specific wildcard wins.
        map.wildcards.sort_by_key(|w| std::cmp::Reverse(w.0.len()));
        Ok(map)
    }

    /// The entry for an origin name, if the map knows it.
    pub fn lookup(&self, name: &str) -> Option<OriginEntry> {
        let name = normalize(name);
        if let Some(e) = self.exact.get(&name) {
            return Some(*e);
        }
        self.wildcards
            .iter()
            .find(|(suffix, _)| {
                name.len() > suffix.len() + 1
                    && name.ends_with(suffix.as_str())
                    && name.as_bytes()[name.len() - suffix.len() - 1] == b'.'
            })
            .map(|(_, e)| *e)
    }
}

/// The map file, re-read when its contents change.
#[derive(Debug)]
pub struct OriginMapFile {
    path: Option<PathBuf>,
    /// The bytes last parsed (successfully or not) and the map in force.
    cache: Mutex<(Option<Vec<u8>>, OriginMap)>,
}

impl OriginMapFile {
    /// Read and check the file once at start: a file that exists but does not parse is an
    /// error then (a typo should not be discovered one request at a time). No path: empty map.
    pub fn open(path: Option<&Path>) -> Result<Self, String> {
        let mut cache = (None, OriginMap::default());
        if let Some(p) = path {
            match std::fs::read(p) {
                Ok(bytes) => {
                    cache.1 =
                        OriginMap::parse(&bytes).map_err(|e| format!("{}: {e}", p.display()))?;
                    cache.0 = Some(bytes);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("reading {}: {e}", p.display())),
            }
        }
        Ok(Self {
            path: path.map(Path::to_path_buf),
            cache: Mutex::new(cache),
        })
    }

    /// The map in force now (the file is read again; parsed only if it changed).
    pub async fn current(&self) -> OriginMap {
        let Some(path) = &self.path else {
            return OriginMap::default();
        };
        let bytes = match tokio::fs::read(path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "origin map unreadable; keeping the last one");
                return self.lock().1.clone();
            }
        };
        let mut cache = self.lock();
        if cache.0.as_deref() != Some(bytes.as_slice()) {
            if bytes.is_empty() {
                cache.1 = OriginMap::default();
            } else {
                match OriginMap::parse(&bytes) {
                    Ok(map) => {
                        tracing::info!(path = %path.display(), "origin map (re)loaded");
                        cache.1 = map;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "origin map refused; keeping the last good one")
                    }
                }
            }
            cache.0 = Some(bytes);
        }
        cache.1.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<Vec<u8>>, OriginMap)> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_beats_wildcard_and_longer_suffix_wins() {
        let map = OriginMap::parse(
            br#"{"*.amazonaws.com": {"https": "127.0.0.1:1"},
                 "*.execute-api.us-east-1.amazonaws.com": {"https": "127.0.0.1:2"},
                 "d-1.execute-api.us-east-1.amazonaws.com.": {"http": "127.0.0.1:3"}}"#,
        )
        .unwrap();
        let port = |n: &str| {
            map.lookup(n)
                .and_then(|e| e.https.or(e.http))
                .map(|a| a.port())
        };
        assert_eq!(port("D-1.execute-api.us-east-1.amazonaws.com"), Some(3));
        assert_eq!(port("d-2.execute-api.us-east-1.amazonaws.com"), Some(2));
        assert_eq!(port("s3.amazonaws.com"), Some(1));
        assert_eq!(port("amazonaws.com"), None);
        assert_eq!(port("xamazonaws.com"), None);
        assert_eq!(
            map.lookup("d-1.execute-api.us-east-1.amazonaws.com")
                .unwrap()
                .https,
            None
        );
    }

    #[test]
    fn refuses_non_loopback_and_unknown_fields() {
        assert!(matches!(
            OriginMap::parse(br#"{"a.test": {"https": "10.0.0.1:443"}}"#),
            Err(OriginMapError::BadAddress { .. })
        ));
        assert!(matches!(
            OriginMap::parse(br#"{"a.test": {"https": "localhost:443"}}"#),
            Err(OriginMapError::BadAddress { .. })
        ));
        assert!(matches!(
            OriginMap::parse(br#"{"a.test": {"ftp": "127.0.0.1:21"}}"#),
            Err(OriginMapError::UnknownField { .. })
        ));
        assert!(OriginMap::parse(b"[]").is_err());
    }
}
