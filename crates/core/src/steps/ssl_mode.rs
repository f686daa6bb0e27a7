//! Step 6 — ssl-mode: the zone's SSL/TLS encryption mode set to Full (or Full (strict)), so
//! Cloudflare reaches API Gateway over HTTPS. The setting is zone-wide: every proxied hostname of
//! the zone is affected, which the output says, together with the previous value.

use flarelink_cloudflare::{CloudflareClient, SslMode, SslSetting, Zone};

use super::Refusal;
use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;

const STEP: StepId = StepId::SslMode;

/// Discover: the zone's SSL/TLS setting.
pub async fn discover(cloudflare: &CloudflareClient, zone: &Zone) -> Result<SslSetting, Error> {
    cloudflare
        .get_ssl_mode(&zone.id)
        .await
        .step(STEP, &zone.name)
}

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

impl SslDecision {
    /// The mode the zone has after the step.
    pub fn resulting(&self) -> SslMode {
        match self {
            SslDecision::Keep { current, .. } => *current,
            SslDecision::Set { to, .. } => *to,
        }
    }
}

/// The report, which says the setting is zone-wide.
pub fn report(zone: Option<&Zone>, d: &SslDecision) -> StepReport {
    let zone_name = zone.map(|z| z.name.as_str()).unwrap_or("the zone");
    let zone_wide = format!("zone-wide: applies to every proxied hostname in {zone_name}");
    match d {
        SslDecision::Keep { current, note } => {
            let mut r = StepReport::new(
                STEP,
                None,
                Action::Exists,
                format!("SSL/TLS encryption mode is {current}"),
            )
            .detail(zone_wide);
            if let Some(n) = note {
                r = r.detail(n.clone());
            }
            r
        }
        SslDecision::Set { from, to } => StepReport::new(
            STEP,
            None,
            Action::Change,
            format!("set SSL/TLS encryption mode {from} → {to}"),
        )
        .detail(format!("before: {from}"))
        .detail(zone_wide),
    }
}

pub fn static_report(wanted: SslMode) -> StepReport {
    StepReport::new(
        STEP,
        None,
        Action::Unknown,
        format!("SSL/TLS encryption mode {wanted} (zone-wide)"),
    )
}

/// Apply: set the mode.
pub async fn apply(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    zone: &Zone,
    decision: &SslDecision,
) -> Result<StepReport, Error> {
    let mut r = report(Some(zone), decision);
    if let SslDecision::Set { to, .. } = decision {
        settle.begin(STEP, None, &r.summary);
        cloudflare
            .set_ssl_mode(&zone.id, *to)
            .await
            .step(STEP, &zone.name)?;
        r.applied = true;
    }
    Ok(r)
}

/// `unlink-domain` leaves the zone-wide mode as it is; its report says so (`live`: after
/// reading the zone; otherwise the static plan's shorter line).
pub fn removal_report(live: bool) -> StepReport {
    let summary = if live {
        "SSL/TLS encryption mode left as is (zone-wide; other hostnames may rely on it)"
    } else {
        "SSL/TLS encryption mode left as is (zone-wide)"
    };
    StepReport::new(STEP, None, Action::Skip, summary)
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
    fn the_mode_is_set_unless_already_right_never_lowered_from_strict_and_refused_when_not_editable(
    ) {
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
