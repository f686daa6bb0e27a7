//! Step 3 — custom-domain: a REGIONAL API Gateway custom domain named exactly as the hostname
//! (API Gateway routes by SNI and Host), TLS 1.2, serving the flarelink ACM certificate.
//! Regional, because Cloudflare is the CDN in front: an edge-optimized domain would add a
//! second CDN behind it.

use flarelink_aws::DomainName;

use super::Refusal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainDecision {
    /// Exists and serves the chosen certificate.
    Exists,
    Create,
    /// Exists; its certificate is replaced (rotation, or `--force` over a foreign one).
    UpdateCertificate {
        current: Option<String>,
    },
}

/// Decide. `chosen_arn` is `None` when step 2 will import a new certificate; `managed_arns`
/// are flarelink's certificates for this hostname.
pub fn decide(
    existing: Option<&DomainName>,
    chosen_arn: Option<&str>,
    managed_arns: &[String],
    force: bool,
) -> Result<DomainDecision, Refusal> {
    let Some(domain) = existing else {
        return Ok(DomainDecision::Create);
    };
    if !domain.endpoint_types.iter().any(|t| t == "REGIONAL") {
        return Err(Refusal::new(
            format!(
                "custom domain {} exists as {} (not REGIONAL); flarelink does not convert endpoint types",
                domain.name,
                domain.endpoint_types.join("/")
            ),
            "delete it in the API Gateway console (after moving its API mappings) or choose another hostname",
        ));
    }
    let current = domain.regional_certificate_arn.clone();
    if chosen_arn.is_some() && current.as_deref() == chosen_arn {
        return Ok(DomainDecision::Exists);
    }
    let ours = current
        .as_deref()
        .is_some_and(|c| managed_arns.iter().any(|m| m == c));
    if ours || force {
        return Ok(DomainDecision::UpdateCertificate { current });
    }
    Err(Refusal::new(
        format!(
            "custom domain {} already exists with certificate {} that flarelink did not import",
            domain.name,
            current.as_deref().unwrap_or("(none)")
        ),
        "pass --force to switch it to flarelink's certificate, or remove the domain yourself",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(types: &[&str], cert: Option<&str>) -> DomainName {
        DomainName {
            name: "api.example.com".into(),
            regional_domain_name: Some("d-1.execute-api.us-east-1.amazonaws.com".into()),
            regional_hosted_zone_id: None,
            regional_certificate_arn: cert.map(str::to_string),
            certificate_arn: None,
            endpoint_types: types.iter().map(|s| s.to_string()).collect(),
            security_policy: Some("TLS_1_2".into()),
            status: None,
            tags: Default::default(),
        }
    }

    #[test]
    fn decisions() {
        let ours = vec!["arn:ours".to_string(), "arn:old".to_string()];
        assert_eq!(decide(None, None, &ours, false), Ok(DomainDecision::Create));
        let d = domain(&["REGIONAL"], Some("arn:ours"));
        assert_eq!(
            decide(Some(&d), Some("arn:ours"), &ours, false),
            Ok(DomainDecision::Exists)
        );
        let d = domain(&["REGIONAL"], Some("arn:old"));
        assert!(matches!(
            decide(Some(&d), Some("arn:ours"), &ours, false),
            Ok(DomainDecision::UpdateCertificate { .. })
        ));
        assert!(matches!(
            decide(Some(&d), None, &ours, false),
            Ok(DomainDecision::UpdateCertificate { .. })
        ));
        let foreign = domain(&["REGIONAL"], Some("arn:theirs"));
        assert!(decide(Some(&foreign), Some("arn:ours"), &ours, false).is_err());
        assert!(decide(Some(&foreign), Some("arn:ours"), &ours, true).is_ok());
        let edge = domain(&["EDGE"], None);
        assert!(decide(Some(&edge), Some("arn:ours"), &ours, true).is_err());
    }
}
