//! Everything that reads the database: connecting, the catalog, facts about the data, and asking
//! the server to deparse expressions. The rest of the pipeline gets plain model values.

pub mod catalog;
pub mod connect;
pub mod guard;
pub(crate) mod probe;
pub mod selfcheck;
pub mod session;
mod view_probe;

pub use catalog::{
    InspectError, Live, LiveSpellings, facts, identity, inspect, inspect_shared, inspect_spelled,
    sequence_positions,
};
pub use connect::{ConnectError, Target};
pub use probe::{ProbeOn, reconcile};
pub use view_probe::{reconcile_views, reconcile_views_in};
