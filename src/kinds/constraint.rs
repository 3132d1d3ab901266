//! Table constraints: primary keys, unique constraints, foreign keys and checks. Added,
//! dropped, validated (`NOT VALID` declared valid), renamed (same definition under another name,
//! or `renamed_from`); and the foreign keys that must step out of the way of a key being
//! redefined or of tables being dropped.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::comment::{CommentChange, CommentOn};
use super::{Change, KindChange, Sign, alter, ident_list, one, rename_phase};
use crate::diff::{Facts, ObjectKind, Options, Verdict};
use crate::inspect::catalog::LiveSpellings;
use crate::model::names::quote_ident;
use crate::model::{QualName, Schema, SqlExpr, StorageParams, Table};
use crate::plan::Phase;

// ---- Model ----

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
    #[serde(
        default = "crate::model::yes",
        skip_serializing_if = "crate::model::is_true"
    )]
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
    #[serde(
        default = "crate::model::yes",
        skip_serializing_if = "crate::model::is_true"
    )]
    pub valid: bool,
    /// `NO INHERIT`: not inherited by child tables.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_inherit: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

// ---- Catalog, diff, changes ----

/// Every primary key, unique, foreign key and check constraint of the managed schemas' tables:
/// [`query`] for the server.
const QUERY: &str = "
SELECT n.nspname, c.relname, con.conname, con.contype::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
       fn.nspname, fc.relname,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord),
       con.confupdtype::text, con.confdeltype::text, con.condeferrable, con.condeferred,
       pg_get_expr(con.conbin, con.conrelid),
       ARRAY(SELECT a.attname::text FROM generate_series(ux.indnkeyatts + 1, ux.indnatts) k
             JOIN pg_attribute a ON a.attrelid = ux.indrelid AND a.attnum = ux.indkey[k - 1] ORDER BY k),
       COALESCE(ui.reloptions, '{}'),
       {indnullsnotdistinct},
       con.convalidated, con.connoinherit,
       con.confmatchtype::text, dsc.description,
       -- Only an exclusion is read from its whole definition (a fifth of the query's time when
       -- asked of every constraint).
       CASE WHEN con.contype = 'x' THEN pg_get_constraintdef(con.oid) END,
       -- A key's whole definition, for the self-check ({spelled}).
       CASE WHEN {spelled} AND con.contype IN ('p', 'u') THEN pg_get_constraintdef(con.oid, true) END
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_index ux ON con.contype = 'u' AND ux.indexrelid = con.conindid
LEFT JOIN pg_class ui ON ui.oid = ux.indexrelid
LEFT JOIN pg_description dsc
       ON dsc.objoid = con.oid AND dsc.classoid = 'pg_constraint'::regclass AND dsc.objsubid = 0
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relkind IN ('r', 'p') AND n.nspname = ANY($1)
ORDER BY n.nspname, c.relname, con.conname";

/// [`QUERY`] for a server of `version` (`server_version_num`); with `spelled`, a primary key's
/// or unique constraint's row carries its whole `pg_get_constraintdef()` for the self-check.
pub fn query(version: i32, spelled: bool) -> String {
    QUERY
        .replace(
            "{indnullsnotdistinct}",
            &super::index::nulls_not_distinct(version, "ux"),
        )
        .replace("{spelled}", if spelled { "true" } else { "false" })
}

/// One row of [`query`], read as it arrives (the rows are never all held at once).
pub struct ConstraintRow {
    table: QualName,
    found: Found,
    /// The server's whole definition of a key, when it was asked for.
    spelled: Option<String>,
}

enum Found {
    Primary(PrimaryKey),
    Unique(Unique),
    Foreign(ForeignKey),
    Exclusion(Exclusion),
    Check(Check),
    /// A kind the model does not read here (a NOT NULL constraint, a trigger constraint).
    Other,
}

pub fn parse_row(r: &Row) -> ConstraintRow {
    ConstraintRow {
        table: QualName::new(r.get::<_, String>(0), r.get::<_, String>(1)),
        found: from_row(r),
        spelled: r.get(21),
    }
}

/// The rows of [`query`] into the tables [`super::table::read`] made, and the keys' whole
/// definitions into `spellings`.
pub fn read(rows: Vec<ConstraintRow>, s: &mut Schema, spellings: &mut LiveSpellings) {
    for ConstraintRow {
        table,
        found,
        spelled,
    } in rows
    {
        let Some(t) = s.tables.get_mut(&table) else {
            continue;
        };
        if let (
            Some(def),
            Found::Primary(PrimaryKey { name, .. }) | Found::Unique(Unique { name, .. }),
        ) = (spelled, &found)
        {
            spellings
                .constraints
                .insert((table.clone(), name.clone()), def);
        }
        match found {
            Found::Primary(p) => t.primary_key = Some(p),
            Found::Unique(u) => t.uniques.push(u),
            Found::Foreign(f) => t.foreign_keys.push(f),
            Found::Exclusion(x) => t.exclusions.push(x),
            Found::Check(c) => t.checks.push(c),
            Found::Other => {}
        }
    }
}

fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

fn from_row(r: &Row) -> Found {
    let name: String = r.get(2);
    let kind: String = r.get(3);
    let columns: Vec<String> = r.get(4);
    // 13-15: a unique constraint's INCLUDE, storage parameters, NULLS NOT DISTINCT;
    // 16-19: validity, NO INHERIT, MATCH type, comment.
    let comment: Option<String> = r.get(19);
    match kind.as_str() {
        "p" => Found::Primary(PrimaryKey {
            name,
            columns,
            comment,
        }),
        "u" => Found::Unique(Unique {
            name,
            columns,
            nulls_not_distinct: r.get(15),
            deferrable: r.get(10),
            initially_deferred: r.get(11),
            include: r.get(13),
            with: StorageParams::from_reloptions(&r.get::<_, Vec<String>>(14)),
            comment,
        }),
        "f" => Found::Foreign(ForeignKey {
            name,
            columns,
            ref_table: QualName::new(r.get::<_, String>(5), r.get::<_, String>(6)),
            ref_columns: r.get(7),
            on_update: action(&r.get::<_, String>(8)),
            on_delete: action(&r.get::<_, String>(9)),
            deferrable: r.get(10),
            initially_deferred: r.get(11),
            match_type: match r.get::<_, String>(18).as_str() {
                "f" => FkMatch::Full,
                _ => FkMatch::Simple,
            },
            valid: r.get(16),
            comment,
        }),
        "x" => {
            let def: String = r.get(20);
            let def = def.trim_start_matches("EXCLUDE ");
            let def = def
                .strip_suffix(" DEFERRABLE INITIALLY DEFERRED")
                .or_else(|| def.strip_suffix(" DEFERRABLE"))
                .unwrap_or(def);
            Found::Exclusion(Exclusion {
                name,
                definition: def.to_string(),
                deferrable: r.get(10),
                initially_deferred: r.get(11),
                comment,
            })
        }
        "c" => Found::Check(Check {
            name,
            expr: SqlExpr::raw(r.get::<_, String>(12)),
            valid: r.get(16),
            no_inherit: r.get(17),
            comment,
        }),
        _ => Found::Other,
    }
}

/// `EXCLUDE USING gist (during WITH &&)`: no two rows whose elements all compare true with
/// their operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    pub name: String,
    /// What follows `EXCLUDE`: `USING gist (room WITH =, during WITH &&) WHERE (...)`, as
    /// declared (live: as `pg_get_constraintdef` spells it, the probe having the server spell
    /// the declared one), without `DEFERRABLE`.
    pub definition: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub initially_deferred: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Whether an exclusion's `definition` is one: `[USING method] (...) [INCLUDE (...)] [WITH
/// (...)] [WHERE (...)]`, parentheses balanced, nothing else at the top level (so it cannot add
/// another subcommand to the `ALTER TABLE` it goes into). The error says what is wrong.
pub fn exclusion_shape(text: &str) -> Result<(), String> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .map_err(|e| e.to_string())?;
    let mut depth = 0usize;
    let mut groups = 0;
    let mut prev: Option<String> = None;
    for t in tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))) {
        match t {
            Token::LParen => {
                if depth == 0 {
                    groups += 1;
                }
                depth += 1;
            }
            Token::RParen if depth == 0 => return Err("a `)` closes nothing".into()),
            Token::RParen => depth -= 1,
            _ if depth > 0 => {}
            Token::Word(w) if w.quote_style.is_none() => {
                let word = w.value.to_ascii_uppercase();
                let allowed = matches!(word.as_str(), "USING" | "INCLUDE" | "WITH" | "WHERE")
                    || prev.as_deref() == Some("USING");
                if !allowed {
                    return Err(format!("`{}` cannot stand here", w.value));
                }
                prev = Some(word);
                continue;
            }
            t => return Err(format!("`{t}` cannot stand outside parentheses")),
        }
        prev = None;
    }
    if depth > 0 {
        return Err("a `(` is not closed".into());
    }
    if groups == 0 {
        return Err("the elements go in parentheses: `USING gist (during WITH &&)`".into());
    }
    Ok(())
}

/// A table constraint, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(Unique),
    ForeignKey(ForeignKey),
    Check(Check),
    Exclusion(Exclusion),
}

impl Constraint {
    pub fn name(&self) -> &str {
        match self {
            Constraint::PrimaryKey(c) => &c.name,
            Constraint::Unique(c) => &c.name,
            Constraint::ForeignKey(c) => &c.name,
            Constraint::Check(c) => &c.name,
            Constraint::Exclusion(c) => &c.name,
        }
    }

    pub fn comment(&self) -> &Option<String> {
        match self {
            Constraint::PrimaryKey(c) => &c.comment,
            Constraint::Unique(c) => &c.comment,
            Constraint::ForeignKey(c) => &c.comment,
            Constraint::Check(c) => &c.comment,
            Constraint::Exclusion(c) => &c.comment,
        }
    }

    /// Whether it is `NOT VALID` (only checks and foreign keys can be).
    pub fn valid(&self) -> bool {
        match self {
            Constraint::ForeignKey(c) => c.valid,
            Constraint::Check(c) => c.valid,
            Constraint::PrimaryKey(_) | Constraint::Unique(_) | Constraint::Exclusion(_) => true,
        }
    }

    /// The same constraint, marked valid.
    fn validated(&self) -> Constraint {
        let mut c = self.clone();
        match &mut c {
            Constraint::ForeignKey(f) => f.valid = true,
            Constraint::Check(k) => k.valid = true,
            Constraint::PrimaryKey(_) | Constraint::Unique(_) | Constraint::Exclusion(_) => {}
        }
        c
    }

    /// Same definition, whatever the name and the comment (validity, `NO INHERIT` and `MATCH`
    /// count).
    pub(crate) fn same_definition(&self, other: &Constraint) -> bool {
        match (self, other) {
            (Constraint::PrimaryKey(a), Constraint::PrimaryKey(b)) => a.columns == b.columns,
            (Constraint::Unique(a), Constraint::Unique(b)) => a.same_definition(b),
            (Constraint::ForeignKey(a), Constraint::ForeignKey(b)) => {
                let bare = |f: &ForeignKey| ForeignKey {
                    name: String::new(),
                    comment: None,
                    ..f.clone()
                };
                bare(a) == bare(b)
            }
            (Constraint::Check(a), Constraint::Check(b)) => {
                a.valid == b.valid
                    && a.no_inherit == b.no_inherit
                    && a.expr.equivalent(&b.expr, None)
            }
            (Constraint::Exclusion(a), Constraint::Exclusion(b)) => {
                (&a.definition, a.deferrable, a.initially_deferred)
                    == (&b.definition, b.deferrable, b.initially_deferred)
            }
            _ => false,
        }
    }

    /// What a plan calls it.
    fn word(&self) -> &'static str {
        match self {
            Constraint::PrimaryKey(_) => "primary key",
            Constraint::Unique(_) => "unique constraint",
            Constraint::ForeignKey(_) => "foreign key",
            Constraint::Check(_) => "check",
            Constraint::Exclusion(_) => "exclusion constraint",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConstraintChange {
    /// `ALTER TABLE t ADD CONSTRAINT ...`
    AddConstraint {
        table: QualName,
        constraint: Constraint,
    },
    /// `ALTER TABLE t DROP CONSTRAINT n`
    DropConstraint {
        table: QualName,
        constraint: Constraint,
        /// Why a constraint that is not going away is dropped (a foreign key out of the way of
        /// the key it references, added again afterwards); none for an undeclared one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        because: Option<String>,
    },
    /// `ALTER TABLE t VALIDATE CONSTRAINT n`: a check or foreign key that is live `NOT VALID`
    /// and declared valid
    ValidateConstraint { table: QualName, name: String },
    /// `ALTER TABLE t RENAME CONSTRAINT a TO b` (same definition, other name; or `declared`:
    /// its `renamed_from`, run before everything else)
    RenameConstraint {
        table: QualName,
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        declared: bool,
    },
}

/// A table's constraints, in the order the diff walks them.
pub fn of(t: &Table) -> Vec<Constraint> {
    let mut out = Vec::new();
    out.extend(t.primary_key.clone().map(Constraint::PrimaryKey));
    out.extend(t.uniques.iter().cloned().map(Constraint::Unique));
    out.extend(t.checks.iter().cloned().map(Constraint::Check));
    out.extend(t.foreign_keys.iter().cloned().map(Constraint::ForeignKey));
    out.extend(t.exclusions.iter().cloned().map(Constraint::Exclusion));
    out
}

/// The constraints of a declared table that exists. Matches by name; a same-definition pair
/// under different names is a rename.
pub fn diff(out: &mut Vec<Change>, want_table: &Table, have_table: &Table) {
    let table = &want_table.name;
    let (want, have) = (of(want_table), of(have_table));
    let have_by_name: BTreeMap<&str, &Constraint> = have.iter().map(|c| (c.name(), c)).collect();
    let want_names: BTreeSet<&str> = want.iter().map(Constraint::name).collect();
    let mut spare: Vec<&Constraint> = have
        .iter()
        .filter(|c| !want_names.contains(c.name()))
        .collect();
    let comment = |out: &mut Vec<Change>, w: &Constraint, h: &Constraint| {
        if w.comment() != h.comment() {
            out.push(
                CommentChange::SetComment {
                    target: CommentOn::Constraint {
                        table: table.clone(),
                        constraint: w.name().to_string(),
                    },
                    comment: w.comment().clone(),
                }
                .into(),
            );
        }
    };
    for w in &want {
        match have_by_name.get(w.name()) {
            Some(h) if w.same_definition(h) => comment(out, w, h),
            // Declared valid, live NOT VALID, otherwise the same: validated in place.
            Some(h) if w.valid() && !h.valid() && w.same_definition(&h.validated()) => {
                out.push(
                    ConstraintChange::ValidateConstraint {
                        table: table.clone(),
                        name: w.name().to_string(),
                    }
                    .into(),
                );
                comment(out, w, h);
            }
            Some(h) => {
                out.push(
                    ConstraintChange::DropConstraint {
                        table: table.clone(),
                        constraint: (*h).clone(),
                        because: Some(
                            "to be added again as declared: its definition differs".into(),
                        ),
                    }
                    .into(),
                );
                out.push(
                    ConstraintChange::AddConstraint {
                        table: table.clone(),
                        constraint: w.clone(),
                    }
                    .into(),
                );
            }
            None => match spare.iter().position(|h| w.same_definition(h)) {
                Some(i) => {
                    let h = spare.remove(i);
                    out.push(
                        ConstraintChange::RenameConstraint {
                            table: table.clone(),
                            from: h.name().to_string(),
                            to: w.name().to_string(),
                            declared: false,
                        }
                        .into(),
                    );
                    comment(out, w, h);
                }
                None => out.push(
                    ConstraintChange::AddConstraint {
                        table: table.clone(),
                        constraint: w.clone(),
                    }
                    .into(),
                ),
            },
        }
    }
    for h in spare {
        out.push(
            ConstraintChange::DropConstraint {
                table: table.clone(),
                constraint: h.clone(),
                because: None,
            }
            .into(),
        );
    }
}

/// PostgreSQL refuses to drop what something else depends on. Two cases a plan meets:
/// - a primary key or unique constraint that is dropped (and added again with its new
///   definition) while foreign keys reference its columns: those foreign keys are dropped first
///   and added again afterwards (as declared, or as they are when their table is not declared);
/// - tables dropped by `--prune` that reference each other (in a cycle, too): the foreign keys
///   between them are dropped before any table.
///
/// Foreign keys are dropped in the first phase and added in the last, so the order holds.
pub fn make_drops_possible(changes: &mut Vec<Change>, desired: &Schema, live: &Schema) {
    let dropped_fk = |changes: &[Change], table: &QualName, name: &str| {
        changes.iter().any(|c| {
            matches!(c, Change::Constraint(ConstraintChange::DropConstraint { table: t, constraint: Constraint::ForeignKey(f), .. })
                if t == table && f.name == name)
        })
    };
    let mut extra: Vec<Change> = Vec::new();
    for c in changes.iter() {
        let Change::Constraint(ConstraintChange::DropConstraint {
            table, constraint, ..
        }) = c
        else {
            continue;
        };
        let key: BTreeSet<&String> = match constraint {
            Constraint::PrimaryKey(k) => k.columns.iter().collect(),
            Constraint::Unique(u) => u.columns.iter().collect(),
            _ => continue,
        };
        for (from, t) in &live.tables {
            for fk in &t.foreign_keys {
                let refs: BTreeSet<&String> = fk.ref_columns.iter().collect();
                if &fk.ref_table != table || refs != key || dropped_fk(changes, from, &fk.name) {
                    continue;
                }
                let again = match desired.tables.get(from) {
                    Some(d) => d.foreign_keys.iter().find(|f| f.name == fk.name).cloned(),
                    None => Some(fk.clone()),
                };
                extra.push(
                    ConstraintChange::DropConstraint {
                        table: from.clone(),
                        constraint: Constraint::ForeignKey(fk.clone()),
                        because: Some(format!(
                            "out of the way of {table}'s {}, then added again",
                            constraint.name()
                        )),
                    }
                    .into(),
                );
                if let Some(again) = again {
                    extra.push(
                        ConstraintChange::AddConstraint {
                            table: from.clone(),
                            constraint: Constraint::ForeignKey(again),
                        }
                        .into(),
                    );
                }
            }
        }
    }
    let pruned: BTreeSet<&QualName> = (changes.iter())
        .filter_map(|c| match c {
            Change::Table(super::table::TableChange::DropTable { table }) => Some(table),
            _ => None,
        })
        .collect();
    for t in &pruned {
        for fk in live.tables.get(*t).map_or(&[][..], |t| &t.foreign_keys) {
            if pruned.contains(&fk.ref_table) && !dropped_fk(changes, t, &fk.name) {
                extra.push(
                    ConstraintChange::DropConstraint {
                        table: (*t).clone(),
                        constraint: Constraint::ForeignKey(fk.clone()),
                        because: Some(format!(
                            "before the tables are dropped: {} is dropped too",
                            fk.ref_table
                        )),
                    }
                    .into(),
                );
            }
        }
    }
    changes.extend(extra);
}

fn action_clause(kw: &str, a: FkAction) -> String {
    if a == FkAction::NoAction {
        String::new()
    } else {
        format!(" ON {kw} {}", a.sql())
    }
}

fn foreign_key_def(fk: &ForeignKey) -> String {
    let mut s = format!(
        "FOREIGN KEY ({}) REFERENCES {}({}){}{}",
        ident_list(&fk.columns),
        fk.ref_table.sql(),
        ident_list(&fk.ref_columns),
        action_clause("UPDATE", fk.on_update),
        action_clause("DELETE", fk.on_delete),
    );
    if fk.match_type == FkMatch::Full {
        s.push_str(" MATCH FULL");
    }
    if fk.deferrable {
        s.push_str(" DEFERRABLE");
        if fk.initially_deferred {
            s.push_str(" INITIALLY DEFERRED");
        }
    }
    if !fk.valid {
        s.push_str(" NOT VALID");
    }
    s
}

/// `CHECK (e) [NO INHERIT] [NOT VALID]`.
fn check_def(ch: &Check) -> String {
    let mut s = format!("CHECK ({})", ch.expr.sql);
    if ch.no_inherit {
        s.push_str(" NO INHERIT");
    }
    if !ch.valid {
        s.push_str(" NOT VALID");
    }
    s
}

/// `UNIQUE [NULLS NOT DISTINCT] (cols) [INCLUDE (...)] [WITH (...)] [DEFERRABLE ...]`
fn unique_def(u: &Unique) -> String {
    let mut s = String::from("UNIQUE ");
    if u.nulls_not_distinct {
        s.push_str("NULLS NOT DISTINCT ");
    }
    s.push_str(&format!("({})", ident_list(&u.columns)));
    if !u.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", ident_list(&u.include)));
    }
    s.push_str(&u.with.sql());
    if u.deferrable || u.initially_deferred {
        s.push_str(" DEFERRABLE");
        if u.initially_deferred {
            s.push_str(" INITIALLY DEFERRED");
        }
    }
    s
}

/// `CONSTRAINT name ...` as it appears in CREATE TABLE and ADD CONSTRAINT.
pub fn constraint_def(c: &Constraint) -> String {
    let body = match c {
        Constraint::PrimaryKey(pk) => format!("PRIMARY KEY ({})", ident_list(&pk.columns)),
        Constraint::Unique(u) => unique_def(u),
        Constraint::Check(ch) => check_def(ch),
        Constraint::ForeignKey(fk) => foreign_key_def(fk),
        Constraint::Exclusion(x) => {
            let mut s = format!("EXCLUDE {}", x.definition);
            if x.deferrable || x.initially_deferred {
                s.push_str(" DEFERRABLE");
                if x.initially_deferred {
                    s.push_str(" INITIALLY DEFERRED");
                }
            }
            s
        }
    };
    format!("CONSTRAINT {} {body}", quote_ident(c.name()))
}

/// The `COMMENT ON CONSTRAINT` a newly added constraint needs, if it has a comment.
pub(crate) fn constraint_comment(table: &QualName, c: &Constraint) -> Option<(Phase, String)> {
    c.comment().as_ref()?;
    let on = CommentOn::Constraint {
        table: table.clone(),
        constraint: c.name().to_string(),
    };
    Some(super::comment::set(&on, c.comment()))
}

impl KindChange for ConstraintChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let (ConstraintChange::AddConstraint { table, .. }
        | ConstraintChange::DropConstraint { table, .. }
        | ConstraintChange::ValidateConstraint { table, .. }
        | ConstraintChange::RenameConstraint { table, .. }) = self;
        (ObjectKind::Table, table.clone())
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        match self {
            ConstraintChange::ValidateConstraint { .. } => Verdict::note(
                "checks every existing row; it fails, and the whole apply rolls back, if one violates it",
            ),
            _ => Verdict::change(),
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        match self {
            ConstraintChange::AddConstraint { table, constraint } => {
                let phase = match constraint {
                    Constraint::ForeignKey(_) => Phase::ForeignKeys,
                    _ => Phase::Constraints,
                };
                let mut out = one(
                    phase,
                    format!("{} ADD {}", alter(table), constraint_def(constraint)),
                );
                out.extend(constraint_comment(table, constraint));
                out
            }
            ConstraintChange::DropConstraint {
                table, constraint, ..
            } => {
                let phase = match constraint {
                    Constraint::ForeignKey(_) => Phase::DropForeignKeys,
                    _ => Phase::DropConstraints,
                };
                one(
                    phase,
                    format!(
                        "{} DROP CONSTRAINT {}",
                        alter(table),
                        quote_ident(constraint.name())
                    ),
                )
            }
            ConstraintChange::ValidateConstraint { table, name } => one(
                Phase::ForeignKeys,
                format!("{} VALIDATE CONSTRAINT {}", alter(table), quote_ident(name)),
            ),
            ConstraintChange::RenameConstraint {
                table,
                from,
                to,
                declared,
            } => one(
                rename_phase(*declared),
                format!(
                    "{} RENAME CONSTRAINT {} TO {}",
                    alter(table),
                    quote_ident(from),
                    quote_ident(to)
                ),
            ),
        }
    }

    fn summary(&self) -> String {
        match self {
            ConstraintChange::AddConstraint { constraint, .. } => {
                format!("add {}", constraint_def(constraint))
            }
            ConstraintChange::DropConstraint {
                constraint,
                because,
                ..
            } => format!(
                "drop {} {} ({})",
                constraint.word(),
                quote_ident(constraint.name()),
                because.as_deref().unwrap_or("not declared")
            ),
            ConstraintChange::ValidateConstraint { name, .. } => {
                format!("validate constraint {} (NOT VALID)", quote_ident(name))
            }
            ConstraintChange::RenameConstraint {
                from, to, declared, ..
            } => format!(
                "rename constraint {} to {}{}",
                quote_ident(from),
                quote_ident(to),
                if *declared { " (renamed_from)" } else { "" }
            ),
        }
    }

    fn drift(&self) -> Option<String> {
        match self {
            ConstraintChange::DropConstraint {
                constraint,
                because: None,
                ..
            } => Some(format!(
                "constraint {} is not declared",
                quote_ident(constraint.name())
            )),
            ConstraintChange::DropConstraint {
                constraint,
                because: Some(why),
                ..
            } => Some(format!(
                "constraint {} is dropped {why}",
                quote_ident(constraint.name())
            )),
            ConstraintChange::AddConstraint { constraint, .. } => Some(format!(
                "constraint {} is declared but missing",
                quote_ident(constraint.name())
            )),
            _ => None,
        }
    }

    fn sign(&self) -> Sign {
        match self {
            ConstraintChange::AddConstraint { .. } => Sign::Add,
            ConstraintChange::DropConstraint { .. } => Sign::Remove,
            _ => Sign::Alter,
        }
    }

    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        match self {
            ConstraintChange::AddConstraint {
                constraint: Constraint::Check(c),
                ..
            } => vec![(format!("check {}", c.name), &c.expr)],
            _ => Vec::new(),
        }
    }

    /// A foreign key between two tables this plan creates waits for no one.
    fn contended(&self, created: &BTreeSet<&QualName>) -> bool {
        match self {
            ConstraintChange::AddConstraint {
                table,
                constraint: Constraint::ForeignKey(fk),
            } => !(created.contains(table) && created.contains(&fk.ref_table)),
            _ => true,
        }
    }
}
