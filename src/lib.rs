//! tableform: declare PostgreSQL tables in TOML, plan and apply the difference like Terraform.
//!
//! The pipeline runs one way: [`load`] (TOML) -> [`model`] <- [`inspect`] (catalog);
//! [`diff`] (model x model -> typed changes) -> [`plan`] (ordered SQL steps, rendering, saved
//! files) -> [`apply`]. Only `cli` prints or decides exit codes.

pub mod apply;
pub mod cli;
pub mod diff;
pub mod import;
pub mod inspect;
pub mod kinds;
pub mod load;
pub mod model;
pub mod plan;
