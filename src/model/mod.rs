//! The schema model: what a database schema *is*, independent of where it was read from.
//!
//! Both sides of a diff lower into these types: the TOML loader (`crate::load`) and the catalog
//! introspection (`crate::inspect`). Nothing here does I/O. Names of constraints and indexes are
//! always filled in (with PostgreSQL's own default names where the declaration left them out), so
//! objects are matched by name.

pub mod expr;
pub mod names;
pub mod types;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

pub use expr::SqlExpr;
pub use types::{BaseType, DataType};

// The model types of each kind live in its home (`crate::kinds`); the model is their sum.
pub use crate::kinds::column::{Column, ColumnDefault, Identity};
pub use crate::kinds::constraint::{Check, FkAction, FkMatch, ForeignKey, PrimaryKey, Unique};
pub use crate::kinds::enum_type::EnumType;
pub use crate::kinds::index::{ImpliedKey, Index, IndexKey, IndexPart};
pub use crate::kinds::sequence::{OwnedBy, Sequence, SequenceOptions};
pub use crate::kinds::table::Table;

/// A per-thread cache of a pure function of a text (see [`memoized`]).
pub type Memo<T> = std::cell::RefCell<std::collections::HashMap<String, T>>;

/// `f(text)`, computed once per distinct text on this thread: parsing the same type or
/// expression spelling again for each of thousands of columns was a third of loading's time. At
/// most 4,096 texts are kept, so distinct texts cannot grow the cache without end.
pub fn memoized<T: Clone>(
    cache: &'static std::thread::LocalKey<Memo<T>>,
    text: &str,
    f: impl FnOnce(&str) -> T,
) -> T {
    const KEPT: usize = 4096;
    if let Some(hit) = cache.with(|c| c.borrow().get(text).cloned()) {
        return hit;
    }
    let value = f(text);
    cache.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() < KEPT {
            c.insert(text.to_string(), value.clone());
        }
    });
    value
}

/// A schema-qualified object name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualName {
    pub schema: String,
    pub name: String,
}

impl QualName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// The name as SQL, each part quoted where PostgreSQL needs it.
    pub fn sql(&self) -> String {
        format!(
            "{}.{}",
            names::quote_ident(&self.schema),
            names::quote_ident(&self.name)
        )
    }
}

impl fmt::Display for QualName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
    }
}

/// A whole database schema (all managed PostgreSQL schemas).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// The PostgreSQL schemas (namespaces) the objects live in.
    pub schemas: BTreeSet<String>,
    pub tables: BTreeMap<QualName, Table>,
    pub enums: BTreeMap<QualName, EnumType>,
    /// Standalone sequences (not the ones serial and identity columns own).
    #[serde(default)]
    pub sequences: BTreeMap<QualName, Sequence>,
    /// Comments of PostgreSQL schemas. Declared side: the schemas declared as `[schema.NAME]`,
    /// whose comment is managed (`None`: none). Live side: every schema in scope that has one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub schema_comments: BTreeMap<String, Option<String>>,
    /// Extensions, by name (they belong to the database, not to a schema). Part of the fingerprint when
    /// there are any (as the three kinds below), so a database without them keeps its digest.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, crate::kinds::extension::Extension>,
    /// Views.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub views: BTreeMap<QualName, crate::kinds::view::View>,
    /// Materialized views.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub materialized_views: BTreeMap<QualName, crate::kinds::view::MaterializedView>,
    /// Per view and materialized view, what the model does not carry: live, its output columns
    /// and what it reads (`pg_depend`); declared, the output columns the view probe saw.
    #[serde(skip)]
    pub view_info: BTreeMap<QualName, crate::kinds::view::ViewInfo>,
    /// Functions and procedures (one namespace in PostgreSQL), each overload by its signature.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<crate::kinds::function::RoutineKey, crate::kinds::function::Routine>,
    /// Domains. Part of the fingerprint only when there are any (as composite types).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub domains: BTreeMap<QualName, crate::kinds::domain::Domain>,
    /// Composite types (`CREATE TYPE t AS (...)`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub composites: BTreeMap<QualName, crate::kinds::composite::Composite>,
    /// Live side only: per schema, the objects of kinds the model does not carry ("2 views",
    /// "1 function"). They are reported, never touched, and keep their schema from being dropped.
    /// Not part of the fingerprint.
    #[serde(skip)]
    pub unmodelled: BTreeMap<String, Vec<String>>,
    /// Grants, owners and default privileges (see [`crate::kinds::privilege`]). Live side:
    /// emptied unless the declaration manages any (see [`Scope::hide`]), so that a database's
    /// digest only covers them when they are planned.
    #[serde(
        default,
        skip_serializing_if = "crate::kinds::privilege::Privileges::is_empty"
    )]
    pub privileges: crate::kinds::privilege::Privileges,
    /// Live side only: per function or procedure, the column defaults, constraints, views and
    /// indexes that use it (they stop a `DROP`).
    #[serde(skip)]
    pub routine_users:
        BTreeMap<crate::kinds::function::RoutineKey, Vec<crate::kinds::function::RoutineUser>>,
    /// Live side only: per routine with an SQL-standard body, the tables (column `""`) and
    /// columns it reads (`pg_depend`): PostgreSQL cannot change or drop them while it exists.
    #[serde(skip)]
    pub routine_reads: BTreeMap<crate::kinds::function::RoutineKey, Vec<(QualName, String)>>,
    /// Live side only: the server's roles, which policies may name.
    #[serde(skip)]
    pub roles: BTreeSet<String>,
    /// Live side only: per schema, how many objects `[settings] ignore` hides.
    #[serde(skip)]
    pub ignored: BTreeMap<String, usize>,
    /// Live side only: how often each index (schema-qualified name) was used since the
    /// statistics were last reset (`pg_stat_user_indexes.idx_scan`), for a reviewer deciding
    /// on a drop.
    #[serde(skip)]
    pub index_scans: BTreeMap<QualName, i64>,
    /// Live side only: the current value (its start when it never handed one out) of each
    /// standalone sequence whose declared bounds differ, for bounds that would exclude it; read
    /// only for those (see `kinds::sequence::POSITIONS_QUERY`). Not part of the fingerprint: it
    /// moves with every `nextval()`.
    #[serde(skip)]
    pub sequence_values: BTreeMap<QualName, i64>,
    /// Live side only: the same for each identity column's sequence, by table and column.
    #[serde(skip)]
    pub identity_values: BTreeMap<(QualName, String), i64>,
    /// Declared side only: per table, per column, how existing rows get to the declared column
    /// (`backfill`, `using`). They describe a change, not a state: the live side never has them,
    /// and a key with nothing to do is reported as such, never a difference.
    #[serde(skip)]
    pub upgrades: BTreeMap<QualName, BTreeMap<String, ColumnUpgrade>>,
    /// Declared side only: the `renamed_from` keys, each object's new name to its old one. Like
    /// `upgrades`, they describe a change: an object already renamed is reported, never a
    /// difference.
    #[serde(skip)]
    pub renames: Renames,
    /// Declared side, a tenant's copy of a declaration (schema-per-tenant fleets): the tenant's
    /// schema, where the declared text's unqualified names are looked up first (`search_path =
    /// tenant, public`) when the server reads it. `None`: the pinned `search_path` (`public`).
    #[serde(skip)]
    pub home: Option<String>,
}

/// The declared `renamed_from` keys, new name -> old name. Tables by their (new) qualified name;
/// columns, indexes and constraints by their (new) table; enum values by their type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Renames {
    pub tables: BTreeMap<QualName, QualName>,
    pub columns: BTreeMap<QualName, BTreeMap<String, String>>,
    pub indexes: BTreeMap<QualName, BTreeMap<String, String>>,
    pub constraints: BTreeMap<QualName, BTreeMap<String, String>>,
    pub enum_values: BTreeMap<QualName, BTreeMap<String, String>>,
}

impl Renames {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
            && self.columns.is_empty()
            && self.indexes.is_empty()
            && self.constraints.is_empty()
            && self.enum_values.is_empty()
    }
}

/// What a declared column says about moving existing rows into it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnUpgrade {
    /// `backfill`: the value given to rows where the column is NULL, before `SET NOT NULL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<SqlExpr>,
    /// `using`: the conversion of a type change, `ALTER COLUMN c TYPE t USING <expr>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<SqlExpr>,
}

impl Schema {
    /// The part of a live schema that is in PostgreSQL schema `name`, as reading the catalog with
    /// only that schema in scope finds it: what a tenant of a schema-per-tenant fleet is, after
    /// one read of every tenant. What belongs to the whole database (extensions, roles, default
    /// privileges for every schema) stays.
    pub fn only_schema(&self, name: &str) -> Schema {
        fn keep<V: Clone>(map: &BTreeMap<QualName, V>, name: &str) -> BTreeMap<QualName, V> {
            (map.iter())
                .filter(|(k, _)| k.schema == name)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }
        fn keyed<V: Clone>(map: &BTreeMap<String, V>, name: &str) -> BTreeMap<String, V> {
            (map.get_key_value(name).into_iter())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }
        fn routines<V: Clone>(
            map: &BTreeMap<crate::kinds::function::RoutineKey, V>,
            name: &str,
        ) -> BTreeMap<crate::kinds::function::RoutineKey, V> {
            (map.iter())
                .filter(|(k, _)| k.name.schema == name)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }
        fn on_schema<A: Clone>(
            list: &[(crate::kinds::privilege::Target, A)],
            name: &str,
        ) -> Vec<(crate::kinds::privilege::Target, A)> {
            (list.iter())
                .filter(|(t, _)| t.name.schema == name)
                .cloned()
                .collect()
        }
        let p = &self.privileges;
        Schema {
            schemas: self
                .schemas
                .iter()
                .filter(|s| *s == name)
                .cloned()
                .collect(),
            tables: keep(&self.tables, name),
            enums: keep(&self.enums, name),
            sequences: keep(&self.sequences, name),
            schema_comments: keyed(&self.schema_comments, name),
            extensions: self.extensions.clone(),
            views: keep(&self.views, name),
            materialized_views: keep(&self.materialized_views, name),
            view_info: keep(&self.view_info, name),
            functions: routines(&self.functions, name),
            domains: keep(&self.domains, name),
            composites: keep(&self.composites, name),
            unmodelled: keyed(&self.unmodelled, name),
            privileges: crate::kinds::privilege::Privileges {
                roles: p.roles.clone(),
                grants: on_schema(&p.grants, name),
                owners: on_schema(&p.owners, name),
                defaults: (p.defaults.iter())
                    .filter(|(k, _)| k.schema.as_deref().is_none_or(|s| s == name))
                    .cloned()
                    .collect(),
            },
            routine_users: routines(&self.routine_users, name),
            routine_reads: routines(&self.routine_reads, name),
            roles: self.roles.clone(),
            ignored: keyed(&self.ignored, name),
            index_scans: keep(&self.index_scans, name),
            sequence_values: keep(&self.sequence_values, name),
            identity_values: (self.identity_values.iter())
                .filter(|((t, _), _)| t.schema == name)
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            upgrades: keep(&self.upgrades, name),
            renames: Renames::default(),
            home: None,
        }
    }

    /// The declared `backfill`/`using` of a column, if any.
    pub fn upgrade(&self, table: &QualName, column: &str) -> Option<&ColumnUpgrade> {
        self.upgrades.get(table).and_then(|t| t.get(column))
    }

    /// Every `backfill` and `using` expression, with where it is declared (for the server's
    /// one-expression guard).
    pub fn upgrade_expressions(&self) -> Vec<(String, &SqlExpr)> {
        let mut out = Vec::new();
        for (t, cols) in &self.upgrades {
            for (c, u) in cols {
                if let Some(e) = &u.backfill {
                    out.push((format!("table {t}, column {c} backfill"), e));
                }
                if let Some(e) = &u.using {
                    out.push((format!("table {t}, column {c} using"), e));
                }
            }
        }
        out
    }
}

/// A live object whose definition holds more than the model carries (found by the self-check,
/// `crate::inspect::selfcheck`): reported, never planned as if it matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotCarried {
    /// `index public.users_email_idx`, `constraint users_age_check on public.users`.
    pub object: String,
    /// The table the object belongs to, and the object's own name.
    pub table: QualName,
    pub name: String,
    /// PostgreSQL's definition of the live object.
    pub live: String,
    /// PostgreSQL's definition of the object as tableform would create it (or why it could not).
    pub modelled: String,
}

/// What tableform looks at: the managed PostgreSQL schemas, minus objects hidden by `ignore`
/// patterns. Planning and apply's staleness check both see the database through it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub schemas: BTreeSet<String>,
    pub ignore: Vec<String>,
    /// Whether the declaration manages privileges (`[settings] roles`, `owner`,
    /// `[[default_privileges]]`): if not, the live ones are not looked at.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privileges: bool,
}

impl Scope {
    /// Whether `name` (a table, enum type, sequence, index or constraint) matches an ignore
    /// pattern: `*` matches any run of characters; a pattern with one `.` is matched against
    /// `schema.name`, one without against the name alone.
    pub fn ignores(&self, name: &QualName) -> bool {
        self.ignore.iter().any(|p| {
            let subject = match p.matches('.').count() {
                0 => name.name.clone(),
                1 => format!("{}.{}", name.schema, name.name),
                _ => return false,
            };
            glob::Pattern::new(p).is_ok_and(|g| g.matches(&subject))
        })
    }

    /// Whether a column matches a pattern with two dots: `schema.table.column`.
    pub fn ignores_column(&self, table: &QualName, column: &str) -> bool {
        let subject = format!("{}.{}.{column}", table.schema, table.name);
        (self.ignore.iter())
            .filter(|p| p.matches('.').count() == 2)
            .any(|p| glob::Pattern::new(p).is_ok_and(|g| g.matches(&subject)))
    }

    /// Removes ignored objects.
    pub fn hide(&self, schema: &mut Schema) {
        if !self.privileges {
            schema.privileges = Default::default();
        }
        if self.ignore.is_empty() {
            return;
        }
        let names = (schema.tables.keys())
            .chain(schema.enums.keys())
            .chain(schema.domains.keys())
            .chain(schema.composites.keys())
            .chain(schema.sequences.keys());
        let mut hidden: BTreeMap<String, usize> = BTreeMap::new();
        for n in names.filter(|n| self.ignores(n)) {
            *hidden.entry(n.schema.clone()).or_default() += 1;
        }
        schema.ignored = hidden;
        schema.tables.retain(|n, _| !self.ignores(n));
        schema.enums.retain(|n, _| !self.ignores(n));
        schema.domains.retain(|n, _| !self.ignores(n));
        schema.composites.retain(|n, _| !self.ignores(n));
        schema.sequences.retain(|n, _| !self.ignores(n));
        for t in schema.tables.values_mut() {
            self.hide_parts(t);
        }
    }

    /// Removes a table's ignored indexes, constraints and columns (a DBA's hot-fix index
    /// `ix_hotfix_*`, a column another tool owns): neither planned nor dropped.
    fn hide_parts(&self, t: &mut Table) {
        let hidden = |name: &str| self.ignores(&QualName::new(t.name.schema.clone(), name));
        t.indexes.retain(|i| !hidden(&i.name));
        t.checks.retain(|c| !hidden(&c.name));
        t.uniques.retain(|u| !hidden(&u.name));
        t.foreign_keys.retain(|f| !hidden(&f.name));
        if t.primary_key.as_ref().is_some_and(|pk| hidden(&pk.name)) {
            t.primary_key = None;
        }
        let table = t.name.clone();
        t.columns.retain(|c| !self.ignores_column(&table, &c.name));
    }
}

/// The range of smallint, integer or bigint (bigint's for anything else).
pub fn integer_range(base: &BaseType) -> (i64, i64) {
    match base {
        BaseType::SmallInt => (i64::from(i16::MIN), i64::from(i16::MAX)),
        BaseType::Integer => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    }
}

/// Storage parameters of an index (`WITH (name = value, ...)`), by name, each value in the text
/// PostgreSQL keeps in `pg_class.reloptions` (`fillfactor` -> `"70"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StorageParams(pub BTreeMap<String, String>);

impl StorageParams {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads `pg_class.reloptions` (`["fillfactor=70", ...]`).
    pub fn from_reloptions(options: &[String]) -> Self {
        Self(
            options
                .iter()
                .map(|o| match o.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (o.clone(), String::new()),
                })
                .collect(),
        )
    }

    /// Equal as PostgreSQL reads them: a boolean parameter written `on`, `true`, `yes` or `1`
    /// is one value.
    pub fn same_as(&self, other: &StorageParams) -> bool {
        fn norm(v: &str) -> String {
            match v.to_ascii_lowercase().as_str() {
                "on" | "true" | "yes" => "true".into(),
                "off" | "false" | "no" => "false".into(),
                other => other.to_string(),
            }
        }
        self.0.len() == other.0.len()
            && (self.0.iter().zip(&other.0)).all(|((a, x), (b, y))| a == b && norm(x) == norm(y))
    }

    /// ` WITH (fillfactor = 70, ...)`, or nothing. Numbers and `true`/`false` go in bare,
    /// anything else as a string literal, which PostgreSQL accepts for every parameter.
    pub fn sql(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = (self.0.iter())
            .map(|(k, v)| {
                let value = if Self::bare(v) {
                    v.clone()
                } else {
                    names::quote_literal(v)
                };
                format!("{} = {value}", names::quote_ident(k))
            })
            .collect();
        format!(" WITH ({})", parts.join(", "))
    }

    /// Whether a value is a plain number (`70`, `-1`, `0.5`) or `true`/`false`, which SQL and
    /// TOML both take without quotes.
    pub fn bare(v: &str) -> bool {
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        // TOML allows no leading zero (`007`).
        let whole = |s: &str| digits(s) && (s == "0" || !s.starts_with('0'));
        let unsigned = v.strip_prefix('-').unwrap_or(v);
        let number = match unsigned.split_once('.') {
            Some((w, frac)) => whole(w) && digits(frac),
            None => whole(unsigned),
        };
        number || v == "true" || v == "false"
    }

    /// `fillfactor=70, deduplicate_items=off`, for people.
    pub fn describe(&self) -> String {
        (self.0.iter())
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(crate) fn yes() -> bool {
    true
}

pub(crate) fn is_true(b: &bool) -> bool {
    *b
}

/// The comment PostgreSQL gives schema `public` when it creates a database.
pub const STOCK_PUBLIC_COMMENT: &str = "standard public schema";

/// A stable digest of a schema: SHA-256 of its JSON form (maps are ordered, lists come in catalog
/// or declaration order), so the same schema always gives the same fingerprint.
pub fn fingerprint(schema: &Schema) -> String {
    use sha2::{Digest, Sha256};
    // JSON maps need string keys, so the ordered maps are hashed as ordered lists.
    let canonical = (
        &schema.schemas,
        schema.tables.values().collect::<Vec<_>>(),
        schema.enums.values().collect::<Vec<_>>(),
        schema.sequences.values().collect::<Vec<_>>(),
    );
    let mut hasher = HashWriter(Sha256::new());
    // Schema comments are hashed only when there are any besides the one every database starts
    // with, so a database without them keeps the digest it had before they were modelled (and
    // plans saved before then stay applicable).
    let comments: BTreeMap<&String, &Option<String>> = (schema.schema_comments.iter())
        .filter(|(s, c)| !(s.as_str() == "public" && c.as_deref() == Some(STOCK_PUBLIC_COMMENT)))
        .collect();
    // The same for the kinds modelled later (a table's triggers are part of the table, and
    // serialised only when it has some).
    let later = (
        schema.extensions.values().collect::<Vec<_>>(),
        schema.functions.values().collect::<Vec<_>>(),
        schema.views.values().collect::<Vec<_>>(),
        schema.materialized_views.values().collect::<Vec<_>>(),
    );
    let has_later = !(later.0.is_empty()
        && later.1.is_empty()
        && later.2.is_empty()
        && later.3.is_empty()
        && schema.privileges.is_empty());
    let (a, b, c, d) = canonical;
    let written = match (comments.is_empty(), has_later) {
        (true, false) => serde_json::to_writer(&mut hasher, &(a, b, c, d)),
        (false, false) => serde_json::to_writer(&mut hasher, &(a, b, c, d, &comments)),
        (_, true) if schema.privileges.is_empty() => {
            serde_json::to_writer(&mut hasher, &(a, b, c, d, &comments, &later))
        }
        (_, true) => serde_json::to_writer(
            &mut hasher,
            &(a, b, c, d, &comments, &later, &schema.privileges),
        ),
    };
    written.expect("the schema model always serialises");
    // Domains and composite types, only when there are any, so that a database without them
    // keeps the digest it had before they were modelled.
    if !(schema.domains.is_empty() && schema.composites.is_empty()) {
        let types = (
            schema.domains.values().collect::<Vec<_>>(),
            schema.composites.values().collect::<Vec<_>>(),
        );
        serde_json::to_writer(&mut hasher, &types).expect("the schema model always serialises");
    }
    format!("sha256:{}", hex::encode(hasher.0.finalize()))
}

/// Feeds serialised bytes straight into a hash, so that hashing a large schema or plan needs no
/// buffer the size of its JSON.
pub struct HashWriter(pub sha2::Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(&mut self.0, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_parameters_compare_as_postgresql_reads_them() {
        let p = |opts: &[&str]| {
            StorageParams::from_reloptions(&opts.iter().map(|o| o.to_string()).collect::<Vec<_>>())
        };
        assert!(
            p(&["fastupdate=on", "fillfactor=70"])
                .same_as(&p(&["fillfactor=70", "fastupdate=true"]))
        );
        assert!(p(&["deduplicate_items=OFF"]).same_as(&p(&["deduplicate_items=false"])));
        assert!(!p(&["fillfactor=70"]).same_as(&p(&["fillfactor=80"])));
        assert!(!p(&["fillfactor=70"]).same_as(&p(&[])));
        assert_eq!(
            p(&["fillfactor=70", "buffering=auto", "x=-0.5"]).sql(),
            " WITH (buffering = 'auto', fillfactor = 70, x = -0.5)"
        );
        assert_eq!(p(&["x=007"]).sql(), " WITH (x = '007')");
        assert_eq!(p(&[]).sql(), "");
    }

    #[test]
    fn a_key_that_leaves_out_a_default_matches_the_live_key_using_it() {
        let mut live = IndexKey::new(IndexPart::Column("email".into()), false, None);
        live.implied = ImpliedKey {
            collation: Some("\"default\"".into()),
            opclass: Some("text_ops".into()),
        };
        let mut declared = IndexKey::new(IndexPart::Column("email".into()), false, None);
        assert!(declared.same_options(&live));
        declared.opclass = Some("text_ops".into());
        assert!(declared.same_options(&live) && live.same_options(&declared));
        declared.opclass = Some("text_pattern_ops".into());
        assert!(!declared.same_options(&live));
        declared.opclass = None;
        declared.collation = Some("\"C\"".into());
        assert!(!declared.same_options(&live));
    }

    #[test]
    fn fingerprints_tell_schemas_apart() {
        let empty = Schema::default();
        let mut one = Schema::default();
        one.schemas.insert("public".into());
        let t = QualName::new("public", "t");
        one.tables.insert(
            t.clone(),
            Table {
                name: t,
                columns: vec![],
                primary_key: None,
                uniques: vec![],
                foreign_keys: vec![],
                checks: vec![],
                exclusions: vec![],
                indexes: vec![],
                comment: None,
                prevent_destroy: false,
                unlogged: false,
                with: Default::default(),
                row_level_security: false,
                force_row_level_security: false,
                policies: vec![],
                partition_by: None,
                partitions: vec![],
                triggers: vec![],
            },
        );
        assert_ne!(fingerprint(&empty), fingerprint(&one));
        assert_eq!(fingerprint(&one), fingerprint(&one.clone()));
        // Not the digest of nothing: serialisation must not fail silently.
        assert_ne!(
            fingerprint(&one),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn schema_comments_count_in_the_fingerprint_except_publics_stock_one() {
        let plain = Schema::default();
        let mut stock = Schema::default();
        stock
            .schema_comments
            .insert("public".into(), Some(STOCK_PUBLIC_COMMENT.into()));
        assert_eq!(fingerprint(&plain), fingerprint(&stock));
        let mut changed = Schema::default();
        changed
            .schema_comments
            .insert("public".into(), Some("the application".into()));
        assert_ne!(fingerprint(&plain), fingerprint(&changed));
        let mut other = Schema::default();
        other
            .schema_comments
            .insert("billing".into(), Some(STOCK_PUBLIC_COMMENT.into()));
        assert_ne!(fingerprint(&plain), fingerprint(&other));
    }
}
