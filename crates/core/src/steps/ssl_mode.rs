//! Step 6 — ssl-mode: the zone's SSL/TLS encryption mode set to Full (or Full (strict)), so
//! Cloudflare reaches API Gateway over HTTPS. The setting is zone-wide: every proxied hostname of
//! the zone is affected, which the output says, together with the previous value.

use flarelink_cloudflare::{SslMode, SslSetting};

use super::Refusal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SslDecision {
    Keep {
        current: SslMode,
        note: Option<String>,
    },
    Set {
        from: SslMode,
        to: SslMode,
    },
}

pub fn decide(current: &SslSetting, wanted: SslMode) -> Result<SslDecision, Refusal> {
    if current.value == wanted {
        return Ok(SslDecision::Keep {
            current: current.value,
            note: None,
        });
    }
    if wanted == SslMode::Full && current.value == SslMode::Strict {
        // Never weaken: Full (strict) also accepts an Origin CA certificate.
        return Ok(SslDecision::Keep {
            current: current.value,
            note: Some("already Full (strict), which also accepts the Origin CA certificate; not lowered to Full".into()),
        });
    }
    if !current.editable {
        return Err(Refusal::new(
            format!(
                "the zone's SSL/TLS mode is {} and Cloudflare marks it not editable",
                current.value
            ),
            "check the zone's plan and any Configuration Rules that pin the SSL setting",
        ));
    }
    Ok(SslDecision::Set {
        from: current.value,
        to: wanted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: SslMode, editable: bool) -> SslSetting {
        SslSetting {
            value: v,
            editable,
            modified_on: None,
        }
    }

    #[test]
    fn decisions() {
        assert!(matches!(
            decide(&s(SslMode::Full, true), SslMode::Full),
            Ok(SslDecision::Keep { note: None, .. })
        ));
        assert!(matches!(
            decide(&s(SslMode::Strict, true), SslMode::Full),
            Ok(SslDecision::Keep { note: Some(_), .. })
        ));
        assert_eq!(
            decide(&s(SslMode::Flexible, true), SslMode::Full),
            Ok(SslDecision::Set {
                from: SslMode::Flexible,
                to: SslMode::Full
            })
        );
        assert_eq!(
            decide(&s(SslMode::Full, true), SslMode::Strict),
            Ok(SslDecision::Set {
                from: SslMode::Full,
                to: SslMode::Strict
            })
        );
        assert!(decide(&s(SslMode::Off, false), SslMode::Full).is_err());
    }
}
