//! One writing run at a time per zone: a lease kept as a TXT record both clouds' users can see,
//! `_flarelink-lock.<zone>`, whose content names its holder and when it expires:
//! `flarelink-lock holder=<id> expires=<unix seconds>`.
//!
//! Why a lock and not "every write safe to race": two runs that race can each issue and import a
//! certificate, and one run's orphan check can revoke the origin certificate the other has
//! issued but not yet imported — no single write is wrong, the interleaving is. A lease needs
//! nothing beyond Cloudflare, and it expires if its holder dies.
//!
//! Who holds it: every run that finds no live marker creates its own, then reads the markers
//! back. Creating a record is atomic and Cloudflare stamps it (`created_on`), so every run sees
//! the same order: the oldest live marker (ties by record id) holds the lock. A run whose
//! marker is not the oldest deletes its own and waits, polling, until the holder's marker is
//! gone or expired. The holder renews its marker (a PUT, idempotent) every third of the lease;
//! a SIGKILLed holder stops renewing and the next run takes over once the lease has run out.
//! Expiry is read against this machine's clock: the machines sharing a zone must agree on the
//! time to well within the lease.
//!
//! The marker's create goes through [`create_once`]: after a lost answer the run looks for its
//! own holder id and adopts the marker, so no stale marker of its own blocks it; a stale one of
//! a run that then died expires with its lease.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use flarelink_cloudflare::{CloudflareClient, DnsRecord, NewDnsRecord};
use rand::Rng;

use crate::config::Config;
use crate::error::Error;
use crate::report::Progress;
use crate::write_once::{create_once, WriteError};

const PREFIX: &str = "flarelink-lock";

/// The record name of the zone's lock.
pub fn lock_name(zone: &str) -> String {
    format!("_flarelink-lock.{zone}")
}

/// One marker as read back from the zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub record_id: String,
    pub holder: String,
    /// Unix seconds.
    pub expires: i64,
    /// Cloudflare's creation time; `None` sorts last (it cannot claim to be the oldest).
    pub created: Option<DateTime<Utc>>,
}

/// `flarelink-lock holder=<id> expires=<unix>` (Cloudflare may hand TXT content back quoted).
pub fn content(holder: &str, expires: i64) -> String {
    format!("{PREFIX} holder={holder} expires={expires}")
}

/// A record that is one of flarelink's markers; any other TXT record on the name is ignored.
pub fn parse(record: &DnsRecord) -> Option<Marker> {
    if record.record_type != "TXT" {
        return None;
    }
    let text = record.content.trim().trim_matches('"');
    let mut words = text.split_whitespace();
    if words.next()? != PREFIX {
        return None;
    }
    let mut holder = None;
    let mut expires = None;
    for word in words {
        if let Some(h) = word.strip_prefix("holder=") {
            holder = Some(h.to_string());
        } else if let Some(e) = word.strip_prefix("expires=") {
            expires = e.parse().ok();
        }
    }
    Some(Marker {
        record_id: record.id.clone(),
        holder: holder?,
        expires: expires?,
        created: record
            .created_on
            .as_deref()
            .and_then(flarelink_cloudflare::parse_cloudflare_time),
    })
}

/// Who holds the lock at `now`, from the markers read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// No live marker: create one.
    Free,
    /// This run's marker is the oldest live one.
    Mine,
    /// Another run's marker is the oldest live one; it expires at `expires` unless renewed.
    Theirs { holder: String, expires: i64 },
}

pub fn standing(markers: &[Marker], me: &str, now: i64) -> Standing {
    let mut live: Vec<&Marker> = markers.iter().filter(|m| m.expires > now).collect();
    live.sort_by(|a, b| {
        let key = |m: &Marker| (m.created.is_none(), m.created, m.record_id.clone());
        key(a).cmp(&key(b))
    });
    match live.first() {
        None => Standing::Free,
        Some(m) if m.holder == me => Standing::Mine,
        Some(m) => Standing::Theirs {
            holder: m.holder.clone(),
            expires: m.expires,
        },
    }
}

/// Markers to delete: every one of this run's (on release, or when it lost), and other runs'
/// expired ones (their holders died; deleting an expired marker changes no one's standing).
pub fn to_clear<'a>(markers: &'a [Marker], me: &str, now: i64, mine_too: bool) -> Vec<&'a Marker> {
    markers
        .iter()
        .filter(|m| (mine_too && m.holder == me) || (m.holder != me && m.expires <= now))
        .collect()
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn cloud_error(doing: &str, e: flarelink_cloudflare::Error) -> Error {
    Error::Lock {
        message: format!("{doing}: {e}"),
        fix: e.hint().unwrap_or_else(|| {
            "run the command again; a lock left behind expires by itself".into()
        }),
    }
}

/// A held lock: the zone, this run's id, and the lease.
pub struct Lease {
    zone_id: String,
    name: String,
    holder: String,
    lease: Duration,
}

impl Lease {
    async fn markers(
        &self,
        cf: &CloudflareClient,
    ) -> Result<Vec<Marker>, flarelink_cloudflare::Error> {
        let records = cf.list_dns_records(&self.zone_id, &self.name).await?;
        Ok(records.iter().filter_map(parse).collect())
    }

    fn record(&self) -> NewDnsRecord {
        NewDnsRecord {
            record_type: "TXT".into(),
            name: self.name.clone(),
            content: content(&self.holder, now_unix() + self.lease.as_secs() as i64),
            proxied: false,
            ttl: 60,
            comment: Some("managed by flarelink: run lock (expires by itself)".into()),
        }
    }

    async fn clear(
        &self,
        cf: &CloudflareClient,
        mine_too: bool,
    ) -> Result<(), flarelink_cloudflare::Error> {
        let markers = self.markers(cf).await?;
        for m in to_clear(&markers, &self.holder, now_unix(), mine_too) {
            cf.delete_dns_record(&self.zone_id, &m.record_id).await?;
        }
        Ok(())
    }

    /// Waits until this run holds the lock (at most ten leases).
    async fn acquire(
        &self,
        cf: &CloudflareClient,
        max_attempts: u32,
        progress: &dyn Progress,
    ) -> Result<(), Error> {
        let give_up = now_unix() + 10 * self.lease.as_secs() as i64;
        let poll = (self.lease / 5).clamp(Duration::from_millis(500), Duration::from_secs(5));
        loop {
            let markers = self
                .markers(cf)
                .await
                .map_err(|e| cloud_error("reading the lock", e))?;
            let now = now_unix();
            match standing(&markers, &self.holder, now) {
                Standing::Mine => {
                    // Expired markers of dead runs: tidy, best effort (they block no one).
                    for m in to_clear(&markers, &self.holder, now, false) {
                        let _ = cf.delete_dns_record(&self.zone_id, &m.record_id).await;
                    }
                    return Ok(());
                }
                Standing::Free => {
                    let record = self.record();
                    create_once(
                        max_attempts,
                        |e: &flarelink_cloudflare::Error| e.outcome(),
                        || cf.create_dns_record(&self.zone_id, &record),
                        || async {
                            let records = cf.list_dns_records(&self.zone_id, &self.name).await?;
                            Ok(records
                                .into_iter()
                                .find(|r| parse(r).is_some_and(|m| m.holder == self.holder)))
                        },
                    )
                    .await
                    .map_err(|e| cloud_error("creating the lock marker", e))?;
                    // Read back: another run may have created its marker first.
                }
                Standing::Theirs { holder, expires } => {
                    if markers.iter().any(|m| m.holder == self.holder) {
                        self.clear(cf, true)
                            .await
                            .map_err(|e| cloud_error("withdrawing this run's lock marker", e))?;
                    }
                    if now >= give_up {
                        return Err(Error::Lock {
                            message: format!(
                                "another flarelink run ({holder}) has held {} for {} minutes",
                                self.name,
                                10 * self.lease.as_secs() / 60
                            ),
                            fix: "wait for it to finish and run again".into(),
                        });
                    }
                    progress.waiting(&format!(
                        "waiting for another flarelink run (lock {}, holder {holder}, expires in {} s unless renewed)",
                        self.name,
                        (expires - now).max(0)
                    ));
                    tokio::time::sleep(poll).await;
                }
            }
        }
    }

    /// Renews the marker every third of the lease. Returns only if the lock was lost (another
    /// run holds it, or renewing failed until the lease ran out).
    async fn keep(&self, cf: &CloudflareClient) -> Error {
        let mut renewed = now_unix();
        loop {
            tokio::time::sleep(self.lease / 3).await;
            let markers = match self.markers(cf).await {
                Ok(m) => m,
                Err(e) if now_unix() < renewed + self.lease.as_secs() as i64 - 1 => {
                    tracing::info!(%e, "renewing the run lock failed; trying again");
                    continue;
                }
                Err(e) => return cloud_error("renewing the lock", e),
            };
            if standing(&markers, &self.holder, now_unix()) != Standing::Mine {
                return Error::Lock {
                    message: format!("this run's lock {} expired or was taken over", self.name),
                    fix: "the run stopped part-way; run the command again".into(),
                };
            }
            let mine = markers.iter().find(|m| m.holder == self.holder);
            if let Some(m) = mine {
                match cf
                    .update_dns_record(&self.zone_id, &m.record_id, &self.record())
                    .await
                {
                    Ok(_) => renewed = now_unix(),
                    Err(e) => tracing::info!(%e, "renewing the run lock failed; trying again"),
                }
            }
        }
    }
}

/// Runs `work` holding the zone's lock: waits for it (shown in progress), renews it while
/// `work` runs, and releases it afterwards whatever `work` returned. If the lock is lost
/// meanwhile, `work` is stopped (as a crash would; every step is crash-safe) and the run fails.
pub async fn exclusive<T, F>(
    config: &Config,
    cf: &CloudflareClient,
    progress: &dyn Progress,
    work: F,
) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let hostnames: Vec<String> = config.domains.iter().map(|d| d.hostname.clone()).collect();
    let zone = crate::resolve::zone(cf, &config.zone, &hostnames).await?;
    let lease = Lease {
        zone_id: zone.id.clone(),
        name: lock_name(&zone.name),
        holder: format!(
            "{:016x}-{}",
            rand::rng().random::<u64>(),
            std::process::id()
        ),
        lease: config.lock_lease,
    };
    lease
        .acquire(cf, config.retry.max_attempts, progress)
        .await?;
    let result = tokio::select! {
        r = work => r,
        lost = lease.keep(cf) => Err(lost),
    };
    if let Err(e) = lease.clear(cf, true).await {
        // It expires by itself; the work's own outcome decides the exit code.
        tracing::warn!(%e, "releasing the run lock failed; it expires within the lease");
        progress.waiting(&format!(
            "could not release the run lock {} ({e}); it expires by itself within {} s",
            lease.name,
            lease.lease.as_secs()
        ));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(id: &str, holder: &str, expires: i64, created_s: Option<i64>) -> Marker {
        Marker {
            record_id: id.into(),
            holder: holder.into(),
            expires,
            created: created_s.map(|s| DateTime::from_timestamp(s, 0).unwrap()),
        }
    }

    #[test]
    fn no_live_marker_means_the_lock_is_free() {
        assert_eq!(standing(&[], "me", 100), Standing::Free);
        let expired = [marker("a", "dead", 100, Some(1))];
        assert_eq!(standing(&expired, "me", 100), Standing::Free);
    }

    #[test]
    fn the_oldest_live_marker_holds_the_lock_whoever_reads_it() {
        let markers = [
            marker("b", "late", 500, Some(20)),
            marker("a", "early", 500, Some(10)),
        ];
        assert_eq!(standing(&markers, "early", 100), Standing::Mine);
        assert_eq!(
            standing(&markers, "late", 100),
            Standing::Theirs {
                holder: "early".into(),
                expires: 500
            }
        );
    }

    #[test]
    fn an_expired_older_marker_is_passed_over_for_the_next_live_one() {
        let markers = [
            marker("a", "dead", 99, Some(1)),
            marker("b", "me", 500, Some(2)),
        ];
        assert_eq!(standing(&markers, "me", 100), Standing::Mine);
    }

    #[test]
    fn markers_created_in_the_same_instant_are_ordered_by_record_id() {
        let markers = [
            marker("z", "one", 500, Some(5)),
            marker("c", "two", 500, Some(5)),
        ];
        assert_eq!(standing(&markers, "two", 100), Standing::Mine);
        assert!(matches!(
            standing(&markers, "one", 100),
            Standing::Theirs { .. }
        ));
    }

    #[test]
    fn a_marker_without_a_creation_time_never_counts_as_oldest() {
        let markers = [
            marker("a", "unknown", 500, None),
            marker("b", "me", 500, Some(9)),
        ];
        assert_eq!(standing(&markers, "me", 100), Standing::Mine);
    }

    #[test]
    fn release_clears_this_runs_markers_and_only_expired_foreign_ones() {
        let markers = [
            marker("a", "me", 500, Some(1)),
            marker("b", "dead", 50, Some(0)),
            marker("c", "alive", 500, Some(2)),
        ];
        let ids = |v: Vec<&Marker>| v.iter().map(|m| m.record_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(to_clear(&markers, "me", 100, true)), ["a", "b"]);
        assert_eq!(ids(to_clear(&markers, "me", 100, false)), ["b"]);
    }

    #[test]
    fn only_flarelink_markers_parse_and_quoted_content_is_accepted() {
        let rec = |t: &str, c: &str| DnsRecord {
            id: "r".into(),
            record_type: t.into(),
            name: "_flarelink-lock.example.com".into(),
            content: c.into(),
            proxied: None,
            ttl: None,
            comment: None,
            created_on: Some("2026-12-01T15:00:00.123456Z".into()),
        };
        let m = parse(&rec("TXT", "\"flarelink-lock holder=h1 expires=42\"")).unwrap();
        assert_eq!((m.holder.as_str(), m.expires), ("h1", 42));
        assert!(m.created.is_some());
        assert_eq!(parse(&rec("TXT", "v=spf1 -all")), None);
        assert_eq!(parse(&rec("TXT", "flarelink-lock holder=h1")), None);
        assert_eq!(parse(&rec("CNAME", &content("h1", 42))), None);
    }
}
