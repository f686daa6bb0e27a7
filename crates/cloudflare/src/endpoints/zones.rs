//! Zones: the `cloudflare` crate's `ListZones` and `ZoneDetails` describe the calls; their
//! answers are parsed into our small [`Zone`], because the crate's own `Zone` demands many
//! fields (plan, owner, meta, …) that flarelink neither needs nor can count on.

use cloudflare::endpoints::zones::zone::{ListZones, ListZonesParams, ZoneDetails};

use super::path_id;
use crate::operations::{FIND_ZONE, GET_ZONE};
use crate::transport::Transport;
use crate::{Error, Zone};

/// Cloudflare's maximum `per_page` for zones.
const ZONES_PER_PAGE: u32 = 50;

pub(crate) fn list_zones_endpoint(name: &str, page: u32) -> ListZones {
    ListZones {
        params: ListZonesParams {
            name: Some(name.to_string()),
            page: Some(page),
            per_page: Some(ZONES_PER_PAGE),
            ..Default::default()
        },
    }
}

pub(crate) async fn find_by_name(transport: &Transport, name: &str) -> Result<Zone, Error> {
    let wanted = normalize(name);
    if wanted.is_empty() {
        return Err(Error::ZoneNotFound { name: name.into() });
    }
    let zones: Vec<Zone> = transport
        .call_all_pages::<_, Vec<Zone>, _, _>(FIND_ZONE, |page| list_zones_endpoint(&wanted, page))
        .await?;
    // `name=` is an exact match on Cloudflare, but check anyway: a loose server-side match
    // must never hand back a neighbouring zone.
    zones
        .into_iter()
        .find(|zone| normalize(&zone.name) == wanted)
        .ok_or_else(|| Error::ZoneNotFound { name: name.into() })
}

pub(crate) async fn get(transport: &Transport, zone_id: &str) -> Result<Zone, Error> {
    let identifier = path_id("zone id", zone_id)?;
    transport
        .call(GET_ZONE, &ZoneDetails { identifier })
        .await?
        .into_result(GET_ZONE)
}

/// DNS names are case-insensitive and may be written fully qualified.
fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}
