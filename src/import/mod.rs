//! Adopting an existing database: the model -> TOML schema files (the reverse of `load`). The
//! model comes from the live catalog (`inspect`), or from a SQL file run in a scratch database
//! ([`scratch`], split into statements by [`script`]) and then read by the same inspector, so
//! both imports keep exactly the same things.
//!
//! The files are laid out for people (one file per table, columns in table order, defaults in
//! their natural spelling, names only where they differ from PostgreSQL's defaults) and are
//! deterministic. The round trip must hold: loading the files gives a schema that plans no change
//! against the database they came from.

pub mod scratch;
pub mod script;
pub mod sqlalchemy;
mod write;

pub use write::{file_name, render_files};
