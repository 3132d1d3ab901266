//! Changes -> SQL statements: the phases they run in; each kind writes its own (see
//! [`crate::kinds`]). Every identifier goes through `quote_ident` and every literal through
//! `quote_literal`; expressions are inserted only after the loader checked that each is exactly one
//! SQL expression.

use crate::diff::Change;
pub use crate::kinds::column::column_def;
pub use crate::kinds::constraint::constraint_def;
pub use crate::kinds::index::{create_index, index_key};

/// When a statement runs, relative to the others: drops that others depend on come first, foreign
/// keys after every table exists (which also resolves cycles), comments last.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `renamed_from`: `ALTER ... RENAME`, before every other step, which all use the new names.
    Renames,
    /// `ALTER TYPE ... ADD VALUE`: first, because PostgreSQL only lets later statements use a new
    /// value once it is committed (apply commits early when they do).
    EnumValues,
    /// Triggers, then views and materialized views, out of the way of what they depend on
    /// (dependents first); created again in [`Phase::Views`] / [`Phase::Triggers`] when declared.
    DropTriggers,
    DropViews,
    /// `DROP POLICY`, before the columns their expressions read change.
    DropPolicies,
    DropForeignKeys,
    DropConstraints,
    CreateSchemas,
    /// `CREATE EXTENSION`: before the types, tables and functions that use what it provides.
    Extensions,
    Types,
    /// Functions and procedures, before the tables whose defaults and checks may call them
    /// (their bodies are not checked against tables that do not exist yet).
    Functions,
    CreateTables,
    /// Functions and procedures with an SQL-standard body (`BEGIN ATOMIC`): PostgreSQL parses
    /// it when they are created, so they come once the tables they read exist (a table created
    /// by the same plan cannot call one in a default or check).
    StandardBodies,
    AlterColumns,
    /// `UPDATE t SET c = <backfill> WHERE c IS NULL`, then `SET NOT NULL`: after every column
    /// exists in its final type (a backfill may read the others), before constraints.
    Backfill,
    Constraints,
    /// New indexes on existing tables: with `--concurrent-indexes`, built after the commit.
    /// Before foreign keys, which may rely on a new unique index.
    Indexes,
    ForeignKeys,
    /// Views and materialized views, once every table and column they read exists, in
    /// dependency order.
    Views,
    /// Triggers, once their tables (or views) and functions exist.
    Triggers,
    /// Row level security policies, once the columns, functions and tables they read exist.
    Policies,
    /// Owners, then revokes and grants, then default privileges: once every object exists.
    Privileges,
    Comments,
    DropTables,
    /// Functions and procedures, once no table, trigger or view uses them.
    DropFunctions,
    /// Sequences and types, once no table uses them.
    DropTypes,
    /// Extensions, once nothing uses what they provide.
    DropExtensions,
    DropSchemas,
}

/// The statements for one change, each with its phase: the change's kind writes them (see
/// [`crate::kinds`]).
pub fn statements(change: &Change) -> Vec<(Phase, String)> {
    change.as_kind().statements()
}
