//! One writing run at a time per zone: a lease kept as a TXT record both clouds' users can see,
//! `_flarelink-lock.<zone>`, whose content names its holder and when it expires:
//! `flarelink-lock holder=<id> expires=<unix seconds>`.
//!
//! Why a lock and not "every write safe to race": two runs that race can each issue and import a
//! certificate, and one run's orphan check can revoke the origin certificate the other has
//! issued but not yet imported — no single write is wrong, the interleaving is. A lease needs
//! nothing beyond Cloudflare, and it expires if its holder dies.
//!
//! Who holds it: every run that wants it creates its own marker, then reads the markers back.
//! Creating a record is atomic and Cloudflare stamps it (`created_on`), so every run sees the
//! same order: the oldest live marker (ties by record id) holds the lock. A run whose marker is
//! not the oldest deletes its own and waits, polling, until the holder's marker is gone or
//! expired, then creates a new one. The holder renews its marker (a PUT, idempotent) every
//! third of the lease; a SIGKILLed holder stops renewing and the next run takes over once the
//! lease has run out. Expiry is read against this machine's clock: the machines sharing a zone
//! must agree on the time to well within the lease.
//!
//! The marker's create goes through [`create_once`]: after a lost answer the run looks for its
//! own holder id and adopts the marker, so no stale marker of its own blocks it; a stale one of
//! a run that then died expires with its lease.
//!
//! # What the lock costs a writing run, and why not less
//!
//! A run with changes first makes a read-only look (the CLI's dry-run of the same command); when
//! the look plans no write, the look is the run and no lock is taken. A run with changes then
//! waits, in sequence, for: the marker's create, its read-back, the command's discovery again
//! (under the lock), and at the end one delete. Each idea for cutting that, checked against the
//! code:
//!
//! * (a) *Reuse the zone the look resolved* — done: `Clouds::zone` keeps the zone the look
//!   resolved, and both the lock and the discovery under it take it from there (the zone is
//!   looked up here only when the look did not need it: a step command without a zone step, or
//!   a look that failed). On a first run this also makes the re-discovery one read deep on
//!   Cloudflare's side instead of two.
//! * (b) *Create without a pre-read* — done. The pre-read only spared a doomed create: the
//!   verdict is the read-back's either way. Two runs that create together both read back
//!   after their own create, so the older marker is in every read-back that can see the younger
//!   one, and its holder's read-back (made after its own create) sees no older live one. A run
//!   that loses withdraws its marker before waiting, as before; while it exists that marker is
//!   younger than the holder's and changes no one's verdict.
//! * (c) *Release by the id this run knows* — done: the create's answer (or the adoption after
//!   a lost answer) names the marker, and every read-back or renewal read refreshes the ids of
//!   this run's markers (a second one after an unknown-outcome create is seen there too); the
//!   release deletes exactly those, side by side, with no list. A marker already gone (404)
//!   counts as released.
//! * (d) *Apply the look's plan when uncontended* — NOT done; the discovery is re-run under the
//!   lock every time. An uncontended read-back does not prove the look saw settled state: a
//!   run B can create its marker after the look began, write, and delete its marker before this
//!   run's read-back, and the read-back then shows no trace of it. Several destructive decisions
//!   are taken from discovery's data and not re-read when they act — the orphan revocation of
//!   origin certificates (`steps::origin_cert::orphans`, revoked in `origin_cert::apply` from the
//!   plan), the retirement of superseded ACM certificates and their origin certificates
//!   (`acm_import::retire_superseded`, from the plan's inventory and served set), the custom
//!   domain's certificate switch (decided from the domain as read), the CNAME's update, and
//!   `unlink-domain`'s deletes. The first is exactly the interleaving the lock exists for: a look
//!   that ran while B had issued but not yet imported its origin certificate counts that
//!   certificate an orphan, and applying that look after B finished would revoke the
//!   certificate B's domain then serves. Making each of those re-read at the point it acts would
//!   re-read almost all of discovery (the ACM inventory is the deepest part of it) and belongs to
//!   the step modules; until they do, the re-discovery stays.
//! * (e) *Start the create while the look still reads* — not done: the look proves a write only
//!   once it has decided, which is after its last read, and a create started on a guess would
//!   make a refused run (a conflict found by the look) write a marker, where today a refused run
//!   writes nothing.
//!
//! Expired markers of dead runs that the read-back shows are deleted beside the work, off its
//! critical path.
//!
//! # The floor a locked first run cannot go below
//!
//! Counted in round trips L (measured with `scripts/bench-timeline`), for a first
//! `link-domain` of one hostname, in the order the calls must wait for each other:
//!
//! 1. the look: the zone, then the zone's reads (2 L; the AWS reads — REST API list then its
//!    stage, the ACM list, the custom domain — are as deep or shallower and run beside them);
//! 2. the marker's create (1 L): only once the look has decided that the run writes — (e);
//! 3. its read-back (1 L): the create's answer names only this run's marker, and the verdict
//!    needs every live one;
//! 4. the discovery under the lock (1 L on a first run: the zone the look resolved is reused
//!    and the REST API it resolved is read again by id beside its stage, not searched again;
//!    2 L when certificates or a domain already exist, whose tags and mappings are a second
//!    read): no read may start before the read-back has answered, since a holder that released
//!    just before it may have written until then — (d);
//! 5. the writes: issue → import → custom domain → mapping ‖ CNAME (4 L; the SSL rule's PUT
//!    and read-back, 2 L, beside them);
//! 6. the release (1 L): after the last write's answer, or it would not cover it.
//!
//! That is 10 L, of which the lock's own are 2, 3 and 6, and the second discovery 4: a run
//! without the lock would need 2 + 4 = 6 L. Five hostnames add what API Gateway's domain quota
//! makes them wait at the custom domain (`quota`: one domain-name call at a time, so four more
//! L with no quota in force, four windows with it). Private keys are made from the look on
//! (`keys`), so key generation waits for none of these steps.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use flarelink_cloudflare::{CloudflareClient, DnsRecord, NewDnsRecord};
use futures::future::join_all;
use rand::Rng;

use crate::config::Config;
use crate::error::Error;
use crate::report::Progress;
use crate::run::Clouds;
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

/// A held (or wanted) lock: the zone, this run's id, the lease, and the ids of this run's
/// markers as last seen (what the release deletes).
struct Lease {
    zone_id: String,
    name: String,
    holder: String,
    lease: Duration,
    mine: Mutex<BTreeSet<String>>,
}

impl Lease {
    /// Reads the markers and refreshes which of them are this run's.
    async fn markers(
        &self,
        cf: &CloudflareClient,
    ) -> Result<Vec<Marker>, flarelink_cloudflare::Error> {
        let records = cf.list_dns_records(&self.zone_id, &self.name).await?;
        let markers: Vec<Marker> = records.iter().filter_map(parse).collect();
        let seen = markers
            .iter()
            .filter(|m| m.holder == self.holder)
            .map(|m| m.record_id.clone());
        self.mine.lock().expect("lock ids").extend(seen);
        Ok(markers)
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

    /// Creates this run's marker (no read first: the read-back decides).
    async fn create(&self, cf: &CloudflareClient, max_attempts: u32) -> Result<(), Error> {
        let record = self.record();
        let made = create_once(
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
        .map_err(|e| cloud_error("creating the lock marker", e))?
        .into_inner();
        self.mine.lock().expect("lock ids").insert(made.id);
        Ok(())
    }

    /// Deletes every marker of this run it knows of, side by side; one already gone counts.
    async fn withdraw(&self, cf: &CloudflareClient) -> Result<(), flarelink_cloudflare::Error> {
        let ids: Vec<String> = self
            .mine
            .lock()
            .expect("lock ids")
            .iter()
            .cloned()
            .collect();
        let deleted = join_all(ids.iter().map(|id| async move {
            match cf.delete_dns_record(&self.zone_id, id).await {
                Ok(()) => Ok(id.clone()),
                Err(e) if e.status() == Some(404) => Ok(id.clone()),
                Err(e) => Err(e),
            }
        }))
        .await;
        let mut first_error = None;
        let mut mine = self.mine.lock().expect("lock ids");
        for outcome in deleted {
            match outcome {
                Ok(id) => {
                    mine.remove(&id);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Waits until this run holds the lock (at most ten leases). Returns the expired markers of
    /// dead runs the read-back showed, for the caller to tidy away beside its work.
    async fn acquire(
        &self,
        cf: &CloudflareClient,
        max_attempts: u32,
        progress: &dyn Progress,
    ) -> Result<Vec<String>, Error> {
        let give_up = now_unix() + 10 * self.lease.as_secs() as i64;
        let poll = (self.lease / 5).clamp(Duration::from_millis(500), Duration::from_secs(5));
        let mut create = true;
        loop {
            if create {
                self.create(cf, max_attempts).await?;
            }
            let markers = self
                .markers(cf)
                .await
                .map_err(|e| cloud_error("reading the lock", e))?;
            let now = now_unix();
            match standing(&markers, &self.holder, now) {
                Standing::Mine => {
                    return Ok(to_clear(&markers, &self.holder, now, false)
                        .into_iter()
                        .map(|m| m.record_id.clone())
                        .collect())
                }
                // No live marker at all (this run's is not there): make one.
                Standing::Free => create = true,
                Standing::Theirs { holder, expires } => {
                    if markers.iter().any(|m| m.holder == self.holder) {
                        self.withdraw(cf)
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
                    create = false;
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

/// Deletes expired markers of dead runs: best effort, they block no one.
async fn tidy(cf: &CloudflareClient, zone_id: &str, expired: Vec<String>) {
    join_all(
        expired
            .iter()
            .map(|id| async move { cf.delete_dns_record(zone_id, id).await }),
    )
    .await;
}

/// Runs `work` holding the zone's lock: waits for it (shown in progress), renews it while
/// `work` runs, and releases it afterwards whatever `work` returned. If the lock is lost
/// meanwhile, `work` is stopped (as a crash would; every step is crash-safe) and the run fails.
/// The zone is the one the read-only look resolved (`Clouds::zone` keeps it): no second lookup.
pub async fn exclusive<T, F>(
    config: &Config,
    clouds: &Clouds,
    progress: &dyn Progress,
    work: F,
) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let cf = &clouds.cloudflare;
    let zone = clouds.zone(config).await?;
    let lease = Lease {
        zone_id: zone.id.clone(),
        name: lock_name(&zone.name),
        holder: format!(
            "{:016x}-{}",
            rand::rng().random::<u64>(),
            std::process::id()
        ),
        lease: config.lock_lease,
        mine: Mutex::new(BTreeSet::new()),
    };
    let expired = match lease.acquire(cf, config.retry.max_attempts, progress).await {
        Ok(expired) => expired,
        Err(e) => {
            // A marker this run made before failing would block others until it expires.
            let _ = lease.withdraw(cf).await;
            return Err(e);
        }
    };
    let held = async {
        tokio::select! {
            r = work => r,
            lost = lease.keep(cf) => Err(lost),
        }
    };
    let (result, ()) = tokio::join!(held, tidy(cf, &lease.zone_id, expired));
    if let Err(e) = lease.withdraw(cf).await {
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
