//! Adopting an existing database: the model -> TOML schema files (the reverse of `load`), from
//! the live catalog (`inspect`) or from a SQL DDL file ([`sql`]).
//!
//! The files are laid out for people (one file per table, columns in table order, defaults in
//! their natural spelling, names only where they differ from PostgreSQL's defaults) and are
//! deterministic. The round trip must hold: loading the files gives a schema that plans no change
//! against the database they came from.

pub mod sql;
mod write;

pub use write::{file_name, render_files};
