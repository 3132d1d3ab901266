//! Fleets: one declaration applied to many databases (`--targets FILE`).
//!
//! [`targets`] reads the targets file; [`run::expand`] finds the databases its patterns match;
//! [`document`] groups the targets whose plans are alike into one saved document;
//! [`run::apply_all`] applies it, each target in its own transaction; the CLI prints.

pub mod document;
pub mod run;
pub mod targets;
