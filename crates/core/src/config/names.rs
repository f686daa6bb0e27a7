//! Syntax checks for the names that reach the clouds. Each returns the problem and its fix, so the
//! caller can attach the field name. Pure functions, no I/O.
//!
//! Nothing is silently rewritten: a hostname with capitals, a trailing dot or spaces around it
//! is refused with the exact form to write, because the name flarelink would use (in the
//! certificate, the custom domain, the CNAME) must be the one the user sees in the file.

/// A DNS hostname as Cloudflare and API Gateway accept it, written exactly: lower-case ASCII
/// (punycode for IDNs), no trailing dot, no spaces, at most 253 characters, labels of 1–63
/// letters, digits and hyphens, not starting or ending with one.
pub fn check_hostname(name: &str) -> Result<(), (String, String)> {
    let canonical = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if canonical != name && !canonical.is_empty() {
        check_hostname_syntax(&canonical)?;
        let mut what = Vec::new();
        if name.trim() != name {
            what.push("has spaces around it");
        }
        if name.trim().ends_with('.') {
            what.push("ends with a dot");
        }
        if name.chars().any(|c| c.is_ascii_uppercase()) {
            what.push("has capital letters");
        }
        return Err((
            format!(
                "{}; flarelink uses the name exactly as written and never rewrites it",
                what.join(" and ")
            ),
            format!("write it exactly as \"{canonical}\""),
        ));
    }
    check_hostname_syntax(name)
}

fn check_hostname_syntax(name: &str) -> Result<(), (String, String)> {
    if name.trim().is_empty() {
        return Err((
            "is empty".into(),
            "give a hostname such as api.example.com".into(),
        ));
    }
    if !name.is_ascii() {
        return Err((
            "contains non-ASCII characters".into(),
            "write internationalized names in their punycode (xn--) form".into(),
        ));
    }
    if name.contains('*') {
        return Err((
            "is a wildcard".into(),
            "name one hostname; API Gateway routes each custom domain by its exact name".into(),
        ));
    }
    if name.contains("://") || name.contains('/') {
        let bare = name
            .split("://")
            .last()
            .unwrap_or(name)
            .split(['/', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        return Err((
            "looks like a URL".into(),
            format!("give the bare hostname: \"{bare}\" (no scheme, no path)"),
        ));
    }
    if name.len() > 253 {
        return Err((
            format!("is {} characters long", name.len()),
            "a hostname has at most 253 characters".into(),
        ));
    }
    if let Some((_, port)) = name.rsplit_once(':') {
        if port.chars().all(|c| c.is_ascii_digit()) {
            return Err((
                "has a port".into(),
                "give the bare hostname; Cloudflare and API Gateway serve HTTPS on 443".into(),
            ));
        }
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err((
            "has a single label".into(),
            "give a fully qualified name such as api.example.com".into(),
        ));
    }
    for label in labels {
        if label.is_empty() {
            return Err((
                "has an empty label (two dots in a row, or a leading dot)".into(),
                "remove the extra dot".into(),
            ));
        }
        if label.len() > 63 {
            return Err((
                format!("has a label of {} characters ({label:.20}…)", label.len()),
                "each dot-separated label has at most 63 characters".into(),
            ));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err((
                format!("has the character {bad:?} in label {label:?}"),
                "use only letters, digits and hyphens in hostnames".into(),
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err((
                format!("has label {label:?} starting or ending with a hyphen"),
                "labels may contain hyphens but not start or end with one".into(),
            ));
        }
    }
    Ok(())
}

/// How `cloudflare.zone` was meant: a 32-hex zone id, or a zone name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneForm {
    Id,
    Name,
}

/// `cloudflare.zone`, with advice about zones (not hostnames): its name (`example.com`) or its
/// 32-character lower-case hex id. A string that is nearly an id (hex-ish, no dots) is told
/// what is wrong with it as an id.
pub fn check_zone(zone: &str) -> Result<ZoneForm, (String, String)> {
    let id_fix = "copy the Zone ID from the zone's Overview page in the Cloudflare dashboard (32 characters 0-9 a-f), or give the zone's name, e.g. \"example.com\"";
    if zone.trim().is_empty() {
        return Err((
            "is empty".into(),
            "give the zone that holds your hostnames: its name (\"example.com\") or its 32-hex zone id".into(),
        ));
    }
    if zone.len() == 32
        && zone
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    {
        return Ok(ZoneForm::Id);
    }
    let trimmed = zone.trim();
    let hexish = trimmed.chars().filter(|c| c.is_ascii_hexdigit()).count();
    if !trimmed.contains('.') && trimmed.len() >= 16 && hexish * 10 >= trimmed.len() * 8 {
        let problem = if trimmed != zone {
            "looks like a zone id with spaces around it".to_string()
        } else if trimmed.len() == 32 && trimmed.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err((
                "looks like a zone id in capitals".into(),
                format!(
                    "zone ids are lower case: write \"{}\"",
                    trimmed.to_ascii_lowercase()
                ),
            ));
        } else if trimmed.len() != 32 {
            format!(
                "looks like a zone id, but has {} characters (a zone id has exactly 32)",
                trimmed.len()
            )
        } else {
            let bad = trimmed
                .chars()
                .find(|c| !c.is_ascii_hexdigit())
                .unwrap_or('?');
            format!("looks like a zone id, but has the character {bad:?} (a zone id is hexadecimal: 0-9 a-f)")
        };
        return Err((problem, id_fix.into()));
    }
    if zone.contains("://") || zone.contains('/') {
        let bare = zone
            .split("://")
            .last()
            .unwrap_or(zone)
            .split('/')
            .next()
            .unwrap_or("");
        return Err((
            "looks like a URL".into(),
            format!(
                "cloudflare.zone is the zone's name: write \"{}\"",
                bare.to_ascii_lowercase()
            ),
        ));
    }
    if zone.contains('*') {
        return Err((
            "is a wildcard".into(),
            "give the zone's name as it appears in the Cloudflare dashboard, e.g. \"example.com\""
                .into(),
        ));
    }
    if !trimmed.contains('.') {
        return Err((
            "is neither a zone name nor a zone id".into(),
            "a zone name is a domain such as \"example.com\"; a zone id has 32 hexadecimal characters".into(),
        ));
    }
    match check_hostname(zone) {
        Ok(()) => Ok(ZoneForm::Name),
        Err((problem, fix)) => Err((
            format!("is not a valid zone name: it {problem}"),
            if fix.starts_with("write it exactly") {
                fix
            } else {
                format!("{fix} — the zone's name as the Cloudflare dashboard shows it, e.g. example.com")
            },
        )),
    }
}

/// An AWS region code such as `us-east-1`, `us-gov-west-1` or `ap-southeast-2`.
pub fn check_region(region: &str) -> Result<(), (String, String)> {
    let fix = || {
        "use a region code such as us-east-1 or eu-west-2 (not a name like \"N. Virginia\")"
            .to_string()
    };
    if region.trim() != region && check_region(region.trim()).is_ok() {
        return Err((
            "has spaces around it".into(),
            format!("write it exactly as \"{}\"", region.trim()),
        ));
    }
    if region != region.to_ascii_lowercase() && check_region(&region.to_ascii_lowercase()).is_ok() {
        return Err((
            "has capital letters".into(),
            format!("write it exactly as \"{}\"", region.to_ascii_lowercase()),
        ));
    }
    let parts: Vec<&str> = region.split('-').collect();
    let shape_ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && {
            let last = parts[parts.len() - 1];
            !last.is_empty() && last.len() <= 2 && last.chars().all(|c| c.is_ascii_digit())
        };
    if shape_ok {
        Ok(())
    } else {
        Err(("is not an AWS region code".into(), fix()))
    }
}

/// An API Gateway stage name: letters, digits, hyphens and underscores, at most 128.
pub fn check_stage(stage: &str) -> Result<(), (String, String)> {
    if stage.is_empty() || stage.len() > 128 {
        return Err((
            "must be 1 to 128 characters".into(),
            "name the deployed stage, e.g. prod".into(),
        ));
    }
    if let Some(bad) = stage
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err((
            format!("has the character {bad:?}"),
            "stage names use only letters, digits, '-' and '_'".into(),
        ));
    }
    Ok(())
}

/// The characters API Gateway allows in a base path segment.
fn is_base_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "$-_.+!*'()".contains(c)
}

/// A base path: `None` for the empty path (`""` or `(none)`), otherwise one or more segments
/// separated by `/` (multi-level paths need a regional TLS 1.2 domain, which flarelink makes).
pub fn normalize_base_path(value: Option<&str>) -> Result<Option<String>, (String, String)> {
    let raw = match value {
        None => return Ok(None),
        Some(v) => v,
    };
    if raw.is_empty() || raw == "(none)" {
        return Ok(None);
    }
    if raw.starts_with('/') || raw.ends_with('/') {
        return Err((
            "starts or ends with '/'".into(),
            format!(
                "write it without slashes at the ends: {:?}",
                raw.trim_matches('/')
            ),
        ));
    }
    for segment in raw.split('/') {
        if segment.is_empty() {
            return Err((
                "has an empty segment ('//')".into(),
                "remove the doubled slash".into(),
            ));
        }
        if segment == "." || segment == ".." {
            return Err((
                format!("has a {segment:?} segment"),
                "write the path itself, without '.' or '..' segments, e.g. \"v1\" or \"v1/pets\""
                    .into(),
            ));
        }
        if let Some(bad) = segment.chars().find(|c| !is_base_path_char(*c)) {
            return Err((
                format!("has the character {bad:?}"),
                "base paths use letters, digits and $-_.+!*'() separated by '/'; leave it empty (or \"(none)\") to map the whole domain".into(),
            ));
        }
    }
    Ok(Some(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        assert!(check_hostname("api.example.com").is_ok());
        assert!(check_hostname("a-b.c1.example.co.uk").is_ok());
        for bad in [
            "",
            "localhost",
            "*.example.com",
            "https://api.example.com",
            "api..example.com",
            ".api.example.com",
            "-api.example.com",
            "api-.example.com",
            "api_x.example.com",
            "äpi.example.com",
            "API.example.com",
            "api.example.com.",
            " api.example.com",
            "api.example.com:8443",
        ] {
            assert!(check_hostname(bad).is_err(), "{bad} should be rejected");
        }
        let long_label = format!("{}.example.com", "a".repeat(64));
        assert!(check_hostname(&long_label).is_err());
        let long_name = format!("{}example.com", "abcdefghi.".repeat(25));
        assert!(check_hostname(&long_name)
            .unwrap_err()
            .0
            .contains("characters long"));
    }

    #[test]
    fn exact_forms_are_named() {
        let (problem, fix) = check_hostname(" API.Example.com. ").unwrap_err();
        assert!(
            problem.contains("capital") && problem.contains("dot"),
            "{problem}"
        );
        assert_eq!(fix, "write it exactly as \"api.example.com\"");
    }

    #[test]
    fn zones() {
        assert_eq!(check_zone("example.com").unwrap(), ZoneForm::Name);
        assert_eq!(
            check_zone("0123456789abcdef0123456789abcdef").unwrap(),
            ZoneForm::Id
        );
        assert!(check_zone("0123456789abcdef0123456789abcde")
            .unwrap_err()
            .0
            .contains("31 characters"));
        assert!(check_zone("0123456789abcdef0123456789abcdeg")
            .unwrap_err()
            .0
            .contains("'g'"));
        assert!(check_zone("0123456789ABCDEF0123456789ABCDEF")
            .unwrap_err()
            .0
            .contains("capitals"));
        assert!(check_zone("").unwrap_err().1.contains("zone"));
        assert!(check_zone("example").unwrap_err().0.contains("zone"));
        assert!(check_zone("https://example.com/")
            .unwrap_err()
            .1
            .contains("\"example.com\""));
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-west-2",
            "us-gov-west-1",
            "ap-southeast-2",
            "il-central-1",
        ] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "useast1",
            "US-EAST-1",
            "us-east",
            "N. Virginia",
            "us-east-1a",
            "",
            " us-east-1",
            "us-east-1\n",
        ] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn base_paths() {
        assert_eq!(normalize_base_path(None).unwrap(), None);
        assert_eq!(normalize_base_path(Some("")).unwrap(), None);
        assert_eq!(normalize_base_path(Some("(none)")).unwrap(), None);
        assert_eq!(
            normalize_base_path(Some("v1")).unwrap().as_deref(),
            Some("v1")
        );
        assert_eq!(
            normalize_base_path(Some("v1/pets")).unwrap().as_deref(),
            Some("v1/pets")
        );
        assert!(normalize_base_path(Some("/v1")).is_err());
        assert!(normalize_base_path(Some("v1//x")).is_err());
        assert!(normalize_base_path(Some("v 1")).is_err());
        assert!(normalize_base_path(Some("v1?x")).is_err());
        assert!(normalize_base_path(Some("v1/../admin")).is_err());
        assert!(normalize_base_path(Some("..")).is_err());
        assert!(normalize_base_path(Some("./v1")).is_err());
    }

    #[test]
    fn stages() {
        assert!(check_stage("prod").is_ok());
        assert!(check_stage("dev_2-x").is_ok());
        assert!(check_stage("").is_err());
        assert!(check_stage("pr od").is_err());
    }
}
