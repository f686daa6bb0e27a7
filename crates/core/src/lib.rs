//! flarelink's core: configuration, the plan, and the six steps of putting an API Gateway REST
//! API behind Cloudflare. It speaks to the clouds only through the typed clients of
//! `flarelink-cloudflare` and `flarelink-aws`; it knows nothing of HTTP.

pub mod certs;
pub mod config;
pub mod error;
pub mod link;
pub mod ownership;
pub mod plan;
pub mod provision;
pub mod resolve;
pub mod session;
pub mod steps;
pub mod unlink;
pub mod write_once;

pub use error::Error;
pub use link::{Clouds, RunOptions, Selection};
pub use plan::{Action, Progress, RunReport, StepId, StepReport};
