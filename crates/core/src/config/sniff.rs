//! When config.toml is not TOML at all: what it looks like instead (YAML, JSON, a log, a PEM
//! file, binary), so the user hears "this is not TOML (it looks like YAML)" rather than a
//! parser's complaint about column 9. And, for a real TOML syntax error, which key it is in.

/// What a file that failed to parse as TOML looks like, if it is clearly something else.
pub fn looks_like(text: &str) -> Option<&'static str> {
    let body: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let first = body.first().copied().unwrap_or("");
    if first.starts_with("-----BEGIN") {
        return Some("a PEM certificate or key");
    }
    if first.starts_with('{') || serde_json::from_str::<serde_json::Value>(text).is_ok() {
        return Some("JSON");
    }
    if first.starts_with('[') && !is_table_header(first) {
        return Some("JSON");
    }
    if first.starts_with('<') {
        return Some("HTML or XML");
    }
    let log_lines = body.iter().filter(|l| is_log_line(l)).count();
    if log_lines > 0 && log_lines * 2 >= body.len() {
        return Some("a log file");
    }
    let headers = body.iter().filter(|l| is_table_header(l)).count();
    let yaml_lines = body.iter().filter(|l| is_yaml_line(l)).count();
    if first == "---" || (headers == 0 && yaml_lines > 0 && yaml_lines * 2 >= body.len()) {
        return Some("YAML");
    }
    None
}

fn is_table_header(line: &str) -> bool {
    let inner = line
        .strip_prefix("[[")
        .and_then(|l| l.split(']').next())
        .or_else(|| line.strip_prefix('[').and_then(|l| l.split(']').next()));
    match inner {
        Some(name) => {
            !name.trim().is_empty()
                && name
                    .trim()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-\" ".contains(c))
        }
        None => false,
    }
}

/// `key: value`, `key:`, `- item` — and no `=`.
fn is_yaml_line(line: &str) -> bool {
    if line.contains('=') && !line.contains(": ") {
        return false;
    }
    if line.starts_with("- ") || line == "-" {
        return true;
    }
    match line.split_once(':') {
        Some((key, rest)) => {
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-. \"'".contains(c))
                && (rest.is_empty() || rest.starts_with(' '))
        }
        None => false,
    }
}

/// A line that starts with a timestamp or a log level.
fn is_log_line(line: &str) -> bool {
    let l = line.trim_start_matches('[');
    let b = l.as_bytes();
    let date = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-';
    let time = b.len() >= 8 && b[..2].iter().all(u8::is_ascii_digit) && b[2] == b':';
    let level = ["INFO", "WARN", "ERROR", "DEBUG", "TRACE", "FATAL"]
        .iter()
        .any(|lvl| l.starts_with(lvl) && l[lvl.len()..].starts_with([' ', ':', ']']));
    date || time || level
}

/// The key path a syntax error at `offset` is in, as far as the lines above tell: the last
/// table header (with its `[[…]]` index) and the key on the error's line.
pub fn key_path_at(text: &str, offset: usize) -> Option<String> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut current = String::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let end = line_start + line.len();
        let trimmed = line.trim();
        if offset < end {
            let key = trimmed.split('=').next().unwrap_or("").trim();
            let bare = !key.is_empty()
                && trimmed.contains('=')
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
            return match (bare, current.is_empty()) {
                (true, true) => Some(key.to_string()),
                (true, false) => Some(format!("{current}.{key}")),
                (false, false) => Some(current),
                (false, true) => None,
            };
        }
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|l| l.split("]]").next())
        {
            let name = name.trim().to_string();
            let n = counts.get(&name).copied().unwrap_or(0);
            current = format!("{}[{}]", resolve(&name, &counts, true), n);
            counts.insert(name, n + 1);
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = resolve(name.trim(), &counts, false);
        }
        line_start = end;
    }
    None
}

/// `domain.certificate` → `domain[1].certificate` after two `[[domain]]` headers.
fn resolve(
    name: &str,
    counts: &std::collections::BTreeMap<String, usize>,
    last_is_array: bool,
) -> String {
    let parts: Vec<&str> = name.split('.').map(str::trim).collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(part);
        let prefix = parts[..=i].join(".");
        let is_last = i + 1 == parts.len();
        if let Some(n) = counts.get(&prefix) {
            if !(is_last && last_is_array) && *n > 0 {
                out.push_str(&format!("[{}]", n - 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_formats_are_named() {
        assert_eq!(
            looks_like("cloudflare:\n  zone: example.com\n"),
            Some("YAML")
        );
        assert_eq!(looks_like("---\nzone: x\n"), Some("YAML"));
        assert_eq!(
            looks_like("{\"cloudflare\": {\"zone\": \"x\"}}"),
            Some("JSON")
        );
        assert_eq!(
            looks_like("2026-01-01T10:00:00Z INFO started\n2026-01-01T10:00:01Z ERROR boom\n"),
            Some("a log file")
        );
        assert_eq!(looks_like("[cloudflare]\nzone = example.com\n"), None);
        assert_eq!(looks_like("[cloudflare]\nzone: \"example.com\"\n"), None);
    }

    #[test]
    fn syntax_errors_know_their_key() {
        let text = "[cloudflare]\nzone = \"x\"\n[[domain]]\nhostname = \"a\"\n[[domain]]\nhostname = \"b\"\n[domain.certificate]\nvalidity_days = 9x\n";
        let at = text.find("9x").unwrap();
        assert_eq!(
            key_path_at(text, at).as_deref(),
            Some("domain[1].certificate.validity_days")
        );
        assert_eq!(key_path_at("zone = x", 7).as_deref(), Some("zone"));
    }
}
