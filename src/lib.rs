//! tableform: declare PostgreSQL tables in TOML, plan and apply the difference like Terraform.
//!
//! # Stages
//! Data flows one way; only [`cli`] prints or decides exit codes.
//!
//! ```text
//! load (TOML) ──> model <── inspect (catalog)
//!                   │
//!        diff: model × model -> typed changes; verdicts (pure, no I/O)
//!                   │
//!        plan: ordered SQL steps, rendering, saved files (no I/O)
//!                   │
//!        apply: lock, re-check, one transaction
//! ```
//!
//! - [`load`] reads the declaration, reporting every problem at its file:line:col.
//! - [`inspect`] reads the live database: one catalog query per kind, all pipelined; the probe
//!   and self-check have the server canonicalise declared expressions (in transactions that
//!   always roll back).
//! - [`diff`] compares the two models kind by kind and judges each change ([`diff::judge`]).
//! - [`plan`] orders each change's statements by [`plan::Phase`] and renders the plan.
//! - [`apply`] runs a plan; [`import`] writes a declaration from a live database or a SQL file.
//!
//! # Kinds
//! Each kind of object has one home in [`kinds`], which owns its model type, its catalog query
//! and row reader, its diff, its typed changes with their verdicts, SQL, summary and drift
//! lines. The stages walk the kinds and dispatch through [`kinds::KindChange`]; none of them
//! holds a `match` over every change.
//!
//! | kind | module | listed in plans as |
//! |---|---|---|
//! | schema | [`kinds::schema`] | schema |
//! | enum type | [`kinds::enum_type`] | enum |
//! | domain | [`kinds::domain`] | domain |
//! | composite type | [`kinds::composite`] | composite type |
//! | sequence | [`kinds::sequence`] | sequence |
//! | table | [`kinds::table`] | table |
//! | column | [`kinds::column`] | its table |
//! | constraint | [`kinds::constraint`] | its table |
//! | index | [`kinds::index`] | its table |
//! | comment (of schemas, enums, domains, composite types, sequences, indexes, constraints) | [`kinds::comment`] | its object |
//! | `renamed_from` (detection; refused ambiguous renames) | [`kinds::rename`] | its object |
//! | privileges: grants, owners, default privileges | [`kinds::privilege`] | their object (default privileges: their own) |
//! | extension, function, procedure, view, materialized view, trigger | [`kinds::extension`], [`kinds::function`], [`kinds::view`], [`kinds::trigger`] | their own (triggers: their table or view) |
//!
//! # Adding a kind
//! 1. `src/kinds/<kind>.rs`: the model type; `QUERY` and `read` (rows -> model); `diff` (declared
//!    objects) and `undeclared` (live ones the declaration does not mention: unmanaged, or
//!    dropped with `--prune`); its change enum and `impl KindChange`.
//! 2. Register it: a `pub mod` and a line in the `kinds!` list in [`kinds`]; its query and
//!    reader in [`inspect::catalog::inspect`]; its `diff`/`undeclared` in [`diff::diff`]; a field
//!    on [`model::Schema`] (part of [`model::fingerprint`]); an [`diff::ObjectKind`] if plans list
//!    it as an object of its own; a [`plan::Phase`] if its statements run at a new point.
//! 3. Its declaration: keys in `load/spec.rs` (the JSON Schema follows), reading in
//!    `load/resolve.rs`, writing in `import/write.rs`; docs in `docs/format.md` and
//!    `docs/verdicts.md`.
//! 4. Tests: diff cases under `tests/diff_cases/` (each applied, re-planned to nothing and
//!    compared by catalog) and an import round trip.

pub mod apply;
pub mod cli;
pub mod diff;
pub mod fleet;
pub mod import;
pub mod inspect;
pub mod kinds;
pub mod load;
pub mod model;
pub mod plan;
