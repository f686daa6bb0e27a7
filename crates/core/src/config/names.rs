//! Syntax checks for the names that reach the clouds. Each returns the problem and its fix, so the
//! caller can attach the field name. Pure functions, no I/O.

/// A DNS hostname as Cloudflare and API Gateway accept it: ASCII (punycode for IDNs), at most
/// 253 characters, labels of 1–63 letters, digits and hyphens, not starting or ending with one.
pub fn check_hostname(name: &str) -> Result<(), (String, String)> {
    if name.is_empty() {
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
        return Err((
            "looks like a URL".into(),
            "give the bare hostname, e.g. api.example.com (no scheme, no path)".into(),
        ));
    }
    if name.len() > 253 {
        return Err((
            format!("is {} characters long", name.len()),
            "a hostname has at most 253 characters".into(),
        ));
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

/// An AWS region code such as `us-east-1`, `us-gov-west-1` or `ap-southeast-2`.
pub fn check_region(region: &str) -> Result<(), (String, String)> {
    let fix = || {
        "use a region code such as us-east-1 or eu-west-2 (not a name like \"N. Virginia\")"
            .to_string()
    };
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
    }

    #[test]
    fn stages() {
        assert!(check_stage("prod").is_ok());
        assert!(check_stage("dev_2-x").is_ok());
        assert!(check_stage("").is_err());
        assert!(check_stage("pr od").is_err());
    }
}
