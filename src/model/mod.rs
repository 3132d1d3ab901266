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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumType {
    pub name: QualName,
    pub values: Vec<String>,
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
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub ty: DataType,
    pub nullable: bool,
    pub default: Option<ColumnDefault>,
    pub comment: Option<String>,
}

/// A column default. `serial` columns are modelled as such (not as their `nextval()` expression) so
/// that a declared `serial` matches a live column whatever its sequence is called.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unique {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub expr: SqlExpr,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub method: String,
    /// Key parts: a column name, or an expression (kept in parentheses), with its options.
    pub keys: Vec<IndexKey>,
    pub predicate: Option<SqlExpr>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexKey {
    pub part: IndexPart,
    pub descending: bool,
    /// Whether NULLs sort first. Normalised: PostgreSQL's default (first for DESC, last for ASC)
    /// is stored as `None`, so `DESC NULLS FIRST` and `DESC` compare equal.
    pub nulls_first: Option<bool>,
}

impl IndexKey {
    pub fn new(part: IndexPart, descending: bool, nulls_first: Option<bool>) -> Self {
        let nulls_first = nulls_first.filter(|&nf| nf != descending);
        Self {
            part,
            descending,
            nulls_first,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IndexPart {
    Column(String),
    Expr(SqlExpr),
}

/// A stable digest of a schema: SHA-256 of its JSON form (maps are ordered, lists come in catalog
/// or declaration order), so the same schema always gives the same fingerprint.
pub fn fingerprint(schema: &Schema) -> String {
    use sha2::{Digest, Sha256};
    // JSON maps need string keys, so the ordered maps are hashed as ordered lists.
    let canonical = (
        &schema.schemas,
        schema.tables.values().collect::<Vec<_>>(),
        schema.enums.values().collect::<Vec<_>>(),
    );
    let json = serde_json::to_vec(&canonical).expect("the schema model always serialises");
    format!("sha256:{}", hex::encode(Sha256::digest(&json)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
