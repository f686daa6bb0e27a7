//! flarelink's core: configuration, the steps of putting an API Gateway REST API behind
//! Cloudflare (`steps`, one module per step) and of the guide's API and Cognito setup
//! (`provision`, likewise), the commands that order them (`link`, `unlink`, `provision`), and
//! their reports. It speaks to the clouds only through the typed clients of
//! `flarelink-cloudflare` and `flarelink-aws`; it knows nothing of HTTP.

pub mod certs;
pub mod client_ca;
pub mod config;
pub mod error;
pub mod in_use;
pub mod keys;
pub mod link;
pub mod origin_lock;
pub mod ownership;
pub mod provision;
pub mod quota;
pub mod report;
pub mod resolve;
pub mod rotate;
pub mod run;
pub mod run_lock;
pub mod session;
pub mod settle;
pub mod step_context;
pub mod steps;
pub mod unlink;
pub mod write_once;

pub use error::Error;
pub use report::{Action, Progress, RunReport, StepId, StepReport};
pub use run::{Clouds, RunOptions, Selection};
