//! Step 3 — custom-domain: a REGIONAL API Gateway custom domain named exactly as the hostname
//! (API Gateway routes by SNI and Host), TLS 1.2, serving the flarelink ACM certificate.
//! Regional, because Cloudflare is the CDN in front: an edge-optimized domain would add a
//! second CDN behind it.

use flarelink_aws::{ApiGateway, DomainName};

use super::Refusal;
use crate::ownership;
use crate::write_once::{create_once, WriteError, Written};

/// Decide: after a CreateDomainName whose answer was lost, whether the domain found is the one
/// it made: flarelink's tags for this hostname (set in the create call). Its certificate may
/// differ only if something switched it since; the next run's decide settles that.
pub fn is_created_domain(found: &DomainName, hostname: &str) -> bool {
    found.name.eq_ignore_ascii_case(hostname) && ownership::is_managed_for(&found.tags, hostname)
}

/// Act: create the REGIONAL domain; after an unknown outcome, adopt the hostname's domain if it
/// carries flarelink's tags, or send again only when there is none.
pub async fn create(
    apigw: &ApiGateway,
    hostname: &str,
    certificate_arn: &str,
    max_attempts: u32,
) -> Result<Written<DomainName>, flarelink_aws::Error> {
    let tags = ownership::domain_tags(hostname);
    create_once(
        max_attempts,
        WriteError::outcome,
        || apigw.create_regional_domain_name(hostname, certificate_arn, &tags),
        || async {
            Ok(apigw
                .get_domain_name(hostname)
                .await?
                .filter(|d| is_created_domain(d, hostname)))
        },
    )
    .await
}

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

    #[test]
    fn a_lost_domain_create_is_adopted_only_with_flarelinks_tags_for_the_hostname() {
        let mut d = DomainName {
            name: "api.example.com".into(),
            regional_domain_name: None,
            regional_hosted_zone_id: None,
            regional_certificate_arn: Some("arn".into()),
            certificate_arn: None,
            endpoint_types: vec!["REGIONAL".into()],
            security_policy: None,
            status: None,
            tags: Default::default(),
        };
        assert!(!is_created_domain(&d, "api.example.com"));
        d.tags = ownership::domain_tags("api.example.com");
        assert!(is_created_domain(&d, "api.example.com"));
        d.tags = ownership::domain_tags("www.example.com");
        assert!(!is_created_domain(&d, "api.example.com"));
    }
}
