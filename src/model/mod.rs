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
    /// Extensions, by name (they belong to the database, not to a schema). Not yet part of the
    /// fingerprint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, crate::kinds::extension::Extension>,
    /// Views. Not yet part of the fingerprint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub views: BTreeMap<QualName, crate::kinds::view::View>,
    /// Materialized views. Not yet part of the fingerprint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub materialized_views: BTreeMap<QualName, crate::kinds::view::MaterializedView>,
    /// Functions and procedures (one namespace in PostgreSQL), each overload by its signature.
    /// Not yet part of the fingerprint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<crate::kinds::function::RoutineKey, crate::kinds::function::Routine>,
    /// Live side only: per schema, the objects of kinds the model does not carry ("2 views",
    /// "1 function"). They are reported, never touched, and keep their schema from being dropped.
    /// Not part of the fingerprint.
    #[serde(skip)]
    pub unmodelled: BTreeMap<String, Vec<String>>,
    /// Live side only: per schema, how many objects `[settings] ignore` hides.
    #[serde(skip)]
    pub ignored: BTreeMap<String, usize>,
    /// Live side only: how often each index (schema-qualified name) was used since the
    /// statistics were last reset (`pg_stat_user_indexes.idx_scan`), for a reviewer deciding
    /// on a drop.
    #[serde(skip)]
    pub index_scans: BTreeMap<QualName, i64>,
    /// Live side only: each standalone sequence's current value (its start when it never handed
    /// one out), for bounds that would exclude it. Not part of the fingerprint: it moves with
    /// every `nextval()`.
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

/// A standalone sequence, every option spelled out (the loader fills in PostgreSQL's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub name: QualName,
    pub data_type: DataType,
    #[serde(flatten)]
    pub options: SequenceOptions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `OWNED BY table.column`: the sequence is dropped with the column (without being its
    /// default; a column whose `nextval()` default is its own sequence is `serial`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<OwnedBy>,
}

/// The column a sequence belongs to (`ALTER SEQUENCE ... OWNED BY table.column`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OwnedBy {
    pub table: QualName,
    pub column: String,
}

impl OwnedBy {
    /// `schema.table.column`, quoted as SQL needs it.
    pub fn sql(&self) -> String {
        format!("{}.{}", self.table.sql(), names::quote_ident(&self.column))
    }
}

impl fmt::Display for OwnedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
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
        if self.ignore.is_empty() {
            return;
        }
        let names = (schema.tables.keys())
            .chain(schema.enums.keys())
            .chain(schema.sequences.keys());
        let mut hidden: BTreeMap<String, usize> = BTreeMap::new();
        for n in names.filter(|n| self.ignores(n)) {
            *hidden.entry(n.schema.clone()).or_default() += 1;
        }
        schema.ignored = hidden;
        schema.tables.retain(|n, _| !self.ignores(n));
        schema.enums.retain(|n, _| !self.ignores(n));
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumType {
    pub name: QualName,
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: QualName,
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<Unique>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
    pub indexes: Vec<Index>,
    pub comment: Option<String>,
    /// Declared only: never drop or rewrite this table or its columns.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
    /// Not yet part of the fingerprint (an empty list serialises to nothing, so digests of tables
    /// without triggers are unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<crate::kinds::trigger::Trigger>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: DataType,
    pub nullable: bool,
    pub default: Option<ColumnDefault>,
    /// `GENERATED ALWAYS|BY DEFAULT AS IDENTITY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// The options of the identity's sequence; `None` means the defaults for the column's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_sequence: Option<SequenceOptions>,
    pub comment: Option<String>,
    /// `COLLATE name`, when it is not the type's default collation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Always,
    ByDefault,
}

/// The options of a sequence (an identity column's, or a standalone one's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceOptions {
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
}

impl SequenceOptions {
    /// PostgreSQL's defaults for a sequence of this integer type with this increment: ascending
    /// ones count from 1 to the type's maximum, descending ones from -1 down to its minimum.
    pub fn defaults(base: &BaseType, increment: i64) -> Self {
        let (type_min, type_max) = integer_range(base);
        let ascending = increment >= 0;
        let (min_value, max_value) = if ascending {
            (1, type_max)
        } else {
            (type_min, -1)
        };
        Self {
            start: if ascending { min_value } else { max_value },
            increment,
            min_value,
            max_value,
            cache: 1,
            cycle: false,
        }
    }

    /// What differs from `self` to `to`, for people: `increment 1 -> 10`, `cache 1 -> 5`.
    pub fn changes_to(&self, to: &SequenceOptions) -> Vec<String> {
        let pairs = [
            (
                "increment",
                self.increment.to_string(),
                to.increment.to_string(),
            ),
            (
                "min_value",
                self.min_value.to_string(),
                to.min_value.to_string(),
            ),
            (
                "max_value",
                self.max_value.to_string(),
                to.max_value.to_string(),
            ),
            ("start", self.start.to_string(), to.start.to_string()),
            ("cache", self.cache.to_string(), to.cache.to_string()),
            ("cycle", self.cycle.to_string(), to.cycle.to_string()),
        ];
        pairs
            .into_iter()
            .filter(|(_, a, b)| a != b)
            .map(|(what, a, b)| format!("{what} {a} -> {b}"))
            .collect()
    }

    /// The options that differ from `defaults`, as `CREATE SEQUENCE` options.
    pub fn sql_differences(&self, defaults: &SequenceOptions) -> Vec<String> {
        let mut out = Vec::new();
        if self.start != defaults.start {
            out.push(format!("START WITH {}", self.start));
        }
        if self.increment != defaults.increment {
            out.push(format!("INCREMENT BY {}", self.increment));
        }
        if self.min_value != defaults.min_value {
            out.push(format!("MINVALUE {}", self.min_value));
        }
        if self.max_value != defaults.max_value {
            out.push(format!("MAXVALUE {}", self.max_value));
        }
        if self.cache != defaults.cache {
            out.push(format!("CACHE {}", self.cache));
        }
        if self.cycle != defaults.cycle {
            out.push(if self.cycle {
                "CYCLE".into()
            } else {
                "NO CYCLE".into()
            });
        }
        out
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

impl Column {
    /// The identity's sequence options, with the type's defaults filled in.
    pub fn identity_options(&self) -> Option<SequenceOptions> {
        self.identity?;
        Some(
            self.identity_sequence
                .unwrap_or_else(|| SequenceOptions::defaults(&self.ty.base, 1)),
        )
    }

    /// `GENERATED ... AS IDENTITY [ (options that differ from the defaults) ]`.
    pub fn identity_sql(&self) -> Option<String> {
        let kind = self.identity?;
        let opts = self.identity_options()?;
        let diff = opts.sql_differences(&SequenceOptions::defaults(&self.ty.base, opts.increment));
        let mut diff = diff;
        if opts.increment != 1 {
            diff.insert(0, format!("INCREMENT BY {}", opts.increment));
        }
        Some(if diff.is_empty() {
            kind.sql().to_string()
        } else {
            format!("{} ({})", kind.sql(), diff.join(" "))
        })
    }
}

impl Identity {
    pub fn sql(self) -> &'static str {
        match self {
            Identity::Always => "GENERATED ALWAYS AS IDENTITY",
            Identity::ByDefault => "GENERATED BY DEFAULT AS IDENTITY",
        }
    }
}

/// A column default. `serial` columns are modelled as such (not as their `nextval()` expression) so
/// that a declared `serial` matches a live column whatever its sequence is called.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnDefault {
    Expr(SqlExpr),
    /// `nextval()` of a sequence owned by this column, as `serial`/`bigserial` create it.
    Serial {
        sequence: Option<String>,
    },
}

impl ColumnDefault {
    pub fn describe(&self) -> String {
        match self {
            ColumnDefault::Expr(e) => e.sql.clone(),
            ColumnDefault::Serial { sequence: Some(s) } => {
                format!("nextval('{}'::regclass)", s.replace('\'', "''"))
            }
            ColumnDefault::Serial { sequence: None } => "(serial sequence)".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryKey {
    pub name: String,
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unique {
    pub name: String,
    pub columns: Vec<String>,
    /// `NULLS NOT DISTINCT` (PostgreSQL 15): rows whose key holds NULL still clash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub initially_deferred: bool,
    /// `INCLUDE (...)`: columns stored in the constraint's index, not part of the key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Storage parameters of the constraint's index (`WITH (fillfactor = 70)`).
    #[serde(default, skip_serializing_if = "StorageParams::is_empty")]
    pub with: StorageParams,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Unique {
    /// Same definition, whatever the name.
    pub fn same_definition(&self, other: &Unique) -> bool {
        self.columns == other.columns
            && self.nulls_not_distinct == other.nulls_not_distinct
            && self.deferrable == other.deferrable
            && self.initially_deferred == other.initially_deferred
            && self.include == other.include
            && self.with.same_as(&other.with)
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }

    /// Parses the spelling used in schema files (`"set null"`, case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        let norm: Vec<String> = s.split_whitespace().map(|w| w.to_lowercase()).collect();
        match norm.join(" ").as_str() {
            "no action" => Some(FkAction::NoAction),
            "restrict" => Some(FkAction::Restrict),
            "cascade" => Some(FkAction::Cascade),
            "set null" => Some(FkAction::SetNull),
            "set default" => Some(FkAction::SetDefault),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: QualName,
    pub ref_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// `MATCH FULL` or `MATCH SIMPLE` (the default).
    #[serde(default, rename = "match", skip_serializing_if = "FkMatch::is_simple")]
    pub match_type: FkMatch,
    /// False for a foreign key added `NOT VALID` and not validated since.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// How a multi-column foreign key treats NULLs (`MATCH PARTIAL` is not implemented by PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FkMatch {
    #[default]
    Simple,
    Full,
}

impl FkMatch {
    pub fn is_simple(&self) -> bool {
        *self == FkMatch::Simple
    }

    pub fn sql(self) -> &'static str {
        match self {
            FkMatch::Simple => "MATCH SIMPLE",
            FkMatch::Full => "MATCH FULL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub expr: SqlExpr,
    /// False for a check added `NOT VALID` and not validated since.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub valid: bool,
    /// `NO INHERIT`: not inherited by child tables.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_inherit: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub method: String,
    /// Key parts: a column name, or an expression (kept in parentheses), with its options.
    pub keys: Vec<IndexKey>,
    pub predicate: Option<SqlExpr>,
    /// `INCLUDE (...)`: columns stored in the index, not part of its key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Storage parameters (`WITH (fillfactor = 70)`).
    #[serde(default, skip_serializing_if = "StorageParams::is_empty")]
    pub with: StorageParams,
    /// `NULLS NOT DISTINCT` (PostgreSQL 15, unique indexes): rows whose key holds NULL clash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    /// False for an index a failed `CREATE INDEX CONCURRENTLY` left behind; such an index is
    /// dropped and built again.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexKey {
    pub part: IndexPart,
    pub descending: bool,
    /// Whether NULLs sort first. Normalised: PostgreSQL's default (first for DESC, last for ASC)
    /// is stored as `None`, so `DESC NULLS FIRST` and `DESC` compare equal.
    pub nulls_first: Option<bool>,
    /// `COLLATE`, when it is not the key's own collation; the name as SQL (`"C"`,
    /// `"en-x-icu"`, `myschema."Mine"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// The operator class, when it is not the default one for the key's type and the index
    /// method; the name as SQL (`text_pattern_ops`, `myschema.my_ops`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// Live side only: the collation and operator class the key has when the two above are
    /// `None` (the defaults), so that a declaration spelling a default out matches.
    #[serde(skip)]
    pub implied: ImpliedKey,
}

/// What a live index key uses by default (see [`IndexKey::implied`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpliedKey {
    pub collation: Option<String>,
    pub opclass: Option<String>,
}

impl IndexKey {
    pub fn new(part: IndexPart, descending: bool, nulls_first: Option<bool>) -> Self {
        let nulls_first = nulls_first.filter(|&nf| nf != descending);
        Self {
            part,
            descending,
            nulls_first,
            collation: None,
            opclass: None,
            implied: ImpliedKey::default(),
        }
    }

    /// Whether the two keys use the same collation and operator class: equal as written, or one
    /// leaves out what the other's live key uses by default.
    pub fn same_options(&self, other: &IndexKey) -> bool {
        fn same(
            a: &Option<String>,
            b: &Option<String>,
            a_implied: &Option<String>,
            b_implied: &Option<String>,
        ) -> bool {
            match (a, b) {
                (Some(x), None) => b_implied.as_ref() == Some(x),
                (None, Some(y)) => a_implied.as_ref() == Some(y),
                _ => a == b,
            }
        }
        same(
            &self.collation,
            &other.collation,
            &self.implied.collation,
            &other.implied.collation,
        ) && same(
            &self.opclass,
            &other.opclass,
            &self.implied.opclass,
            &other.implied.opclass,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexPart {
    Column(String),
    Expr(SqlExpr),
}

impl Index {
    /// Its expressions (key expressions, then the predicate), each with where it is.
    pub fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        let mut out: Vec<(String, &SqlExpr)> = (self.keys.iter().enumerate())
            .filter_map(|(i, k)| match &k.part {
                IndexPart::Expr(e) => Some((format!("index {} key {}", self.name, i + 1), e)),
                IndexPart::Column(_) => None,
            })
            .collect();
        if let Some(p) = &self.predicate {
            out.push((format!("index {} WHERE", self.name), p));
        }
        out
    }
}

impl Column {
    /// Its default, when that is an SQL expression.
    pub fn default_expr(&self) -> Option<(String, &SqlExpr)> {
        match &self.default {
            Some(ColumnDefault::Expr(e)) => Some((format!("column {} default", self.name), e)),
            _ => None,
        }
    }
}

impl Table {
    /// Every SQL expression the table holds, each with where it is (for messages).
    pub fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        let mut out: Vec<(String, &SqlExpr)> = self
            .columns
            .iter()
            .filter_map(Column::default_expr)
            .collect();
        out.extend((self.checks.iter()).map(|c| (format!("check {}", c.name), &c.expr)));
        out.extend(self.indexes.iter().flat_map(Index::expressions));
        out
    }
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
    let written = if comments.is_empty() {
        serde_json::to_writer(&mut hasher, &canonical)
    } else {
        let (a, b, c, d) = canonical;
        serde_json::to_writer(&mut hasher, &(a, b, c, d, &comments))
    };
    written.expect("the schema model always serialises");
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
                indexes: vec![],
                comment: None,
                prevent_destroy: false,
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
