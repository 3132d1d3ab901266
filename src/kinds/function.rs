//! Functions and procedures (`pg_proc`). Overloads are distinct objects: a routine is known by
//! its [`RoutineKey`], its schema, name and the types of the arguments that make its signature.
//! Bodies are kept as the text declared (read from `body_file` when given); the server judges
//! and deparses them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{DataType, QualName, SqlExpr};

/// Function or procedure: one namespace in PostgreSQL (a function and a procedure cannot share
/// a signature), so both live in `Schema::functions`, told apart by this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutineKind {
    Function,
    Procedure,
}

impl RoutineKind {
    pub fn sql(self) -> &'static str {
        match self {
            RoutineKind::Function => "FUNCTION",
            RoutineKind::Procedure => "PROCEDURE",
        }
    }
}

/// What tells overloads apart: `DROP FUNCTION s.name(types)` names exactly one routine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RoutineKey {
    pub name: QualName,
    /// The signature's argument types, in order: the `in`, `inout` and `variadic` arguments of a
    /// function; of a procedure also its `out` ones (PostgreSQL 14+ counts them for procedures).
    /// A variadic argument is its array type, as in `pg_proc.proargtypes`. Each type in the
    /// canonical spelling of [`DataType`]'s `Display` (`format_type()`'s: `integer`,
    /// `character varying`), so `int4` and `integer` are one signature.
    pub arguments: Vec<String>,
}

impl fmt::Display for RoutineKey {
    /// `public.add(integer, integer)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name, self.arguments.join(", "))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgMode {
    In,
    Out,
    InOut,
    Variadic,
}

impl ArgMode {
    pub fn sql(self) -> &'static str {
        match self {
            ArgMode::In => "IN",
            ArgMode::Out => "OUT",
            ArgMode::InOut => "INOUT",
            ArgMode::Variadic => "VARIADIC",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The declared type; for a variadic argument, the array type (`integer[]`).
    #[serde(rename = "type")]
    pub ty: DataType,
    pub mode: ArgMode,
    /// `DEFAULT expr` (input arguments only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<SqlExpr>,
}

impl Argument {
    /// Whether the argument is part of the routine's signature ([`RoutineKey`]).
    pub fn in_signature(&self, kind: RoutineKind) -> bool {
        self.mode != ArgMode::Out || kind == RoutineKind::Procedure
    }
}

/// A column of `RETURNS TABLE (...)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: DataType,
}

/// What a function returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Returns {
    /// `RETURNS t` or `RETURNS SETOF t` (`void`, `trigger`, `record` are types here too).
    Type { ty: DataType, setof: bool },
    /// `RETURNS TABLE (name type, ...)`.
    Table(Vec<ReturnColumn>),
}

impl Returns {
    /// Whether the function returns a set of rows (`SETOF`, `TABLE`).
    pub fn is_set(&self) -> bool {
        matches!(self, Returns::Type { setof: true, .. } | Returns::Table(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Volatility {
    Immutable,
    Stable,
    Volatile,
}

impl Volatility {
    pub fn sql(self) -> &'static str {
        match self {
            Volatility::Immutable => "IMMUTABLE",
            Volatility::Stable => "STABLE",
            Volatility::Volatile => "VOLATILE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parallel {
    Safe,
    Restricted,
    Unsafe,
}

impl Parallel {
    pub fn sql(self) -> &'static str {
        match self {
            Parallel::Safe => "SAFE",
            Parallel::Restricted => "RESTRICTED",
            Parallel::Unsafe => "UNSAFE",
        }
    }
}

/// A function's attributes that a procedure does not have. Every one is filled in (with
/// PostgreSQL's defaults where the declaration left it out), so two functions compare field by
/// field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionAttrs {
    pub returns: Returns,
    pub volatility: Volatility,
    /// `STRICT` (`RETURNS NULL ON NULL INPUT`).
    pub strict: bool,
    pub leakproof: bool,
    pub parallel: Parallel,
    /// `COST`; `None`: PostgreSQL's default (1 for C and internal functions, 100 otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// `ROWS` of a set-returning function; `None`: the default, 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<f64>,
}

/// `[function.NAME]` or `[procedure.NAME]` (or one item of `[[function.NAME]]`, for overloads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routine {
    pub name: QualName,
    pub kind: RoutineKind,
    pub arguments: Vec<Argument>,
    /// `Some` for functions, `None` for procedures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionAttrs>,
    /// `LANGUAGE`, in lower case: `sql`, `plpgsql`, ...
    pub language: String,
    /// The body as declared (the text between the dollar quotes of `AS $$ ... $$`).
    pub body: String,
    pub security_definer: bool,
    /// `SET name = value` clauses, by setting name (lower case), each value as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Routine {
    pub fn key(&self) -> RoutineKey {
        RoutineKey {
            name: self.name.clone(),
            arguments: (self.arguments.iter())
                .filter(|a| a.in_signature(self.kind))
                .map(|a| a.ty.to_string())
                .collect(),
        }
    }

    /// Whether the body is an SQL-standard one (PostgreSQL 14+): `BEGIN ATOMIC ... END` or
    /// `RETURN expr`, parsed when the routine is created and written without quotes.
    pub fn standard_body(&self) -> bool {
        self.language == "sql" && standard_body(&self.body)
    }

    /// Whether this is a trigger function: `RETURNS trigger`, no arguments.
    pub fn is_trigger_function(&self) -> bool {
        self.function.as_ref().is_some_and(|f| {
            matches!(&f.returns, Returns::Type { ty, setof: false }
                if !ty.array && ty.base == crate::model::BaseType::Opaque("trigger".into()))
        }) && self.arguments.is_empty()
    }
}

/// Something in the database that uses a routine and stops its `DROP` (`pg_depend`), read into
/// [`Schema::routine_users`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoutineUser {
    /// A column's default.
    Default { table: QualName, column: String },
    /// A constraint of a table (a check, an exclusion constraint's expression).
    Constraint { table: QualName, name: String },
    /// A constraint of a domain (not modelled: never rebuilt).
    DomainConstraint { domain: QualName, name: String },
    /// A view or materialized view.
    View { name: QualName, materialized: bool },
    /// An index (its expression or predicate).
    Index { table: QualName, name: String },
}

impl fmt::Display for RoutineUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::model::names::quote_ident;
        match self {
            RoutineUser::Default { table, column } => {
                write!(f, "the default of {table}.{}", quote_ident(column))
            }
            RoutineUser::Constraint { table, name } => {
                write!(f, "constraint {} on {table}", quote_ident(name))
            }
            RoutineUser::DomainConstraint { domain, name } => {
                write!(f, "constraint {} of domain {domain}", quote_ident(name))
            }
            RoutineUser::View {
                name,
                materialized: false,
            } => write!(f, "view {name}"),
            RoutineUser::View {
                name,
                materialized: true,
            } => write!(f, "materialized view {name}"),
            RoutineUser::Index { table, name } => {
                write!(f, "index {} on {table}", quote_ident(name))
            }
        }
    }
}

/// Whether `body` (of an SQL routine) is an SQL-standard body: it starts with `BEGIN ATOMIC` or
/// `RETURN` (words in any case; a quoted body never does: it would not be SQL).
pub fn standard_body(body: &str) -> bool {
    let words: Vec<String> = (body.split_whitespace().take(2))
        .map(str::to_lowercase)
        .collect();
    matches!(words.first().map(String::as_str), Some("return"))
        || (words.first().map(String::as_str) == Some("begin")
            && words.get(1).is_some_and(|w| w == "atomic"))
}

/// What is wrong with a declared SQL-standard body, if anything: a `BEGIN ATOMIC` block must
/// end with its `END` (no `;` after it: the body is one part of one statement).
pub fn standard_body_problem(body: &str) -> Option<String> {
    let t = body.trim();
    let lower = t.to_lowercase();
    if !lower.starts_with("begin") {
        return t
            .ends_with(';')
            .then(|| "a `RETURN` body is one expression: it does not end with `;`".to_string());
    }
    let ends_with_end = lower.ends_with("end")
        && !lower[..lower.len() - 3]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
    (!ends_with_end).then(|| {
        "a `BEGIN ATOMIC` body ends with `END` (without a `;` after it): each statement inside ends with `;`".to_string()
    })
}

/// The SQL-standard body in a `pg_get_functiondef` text: from the line that starts with
/// `BEGIN ATOMIC` or `RETURN ` (the header's lines start with a space) to the end.
pub fn body_of_functiondef(def: &str) -> Option<String> {
    let at = ["\nBEGIN ATOMIC", "\nRETURN "]
        .iter()
        .filter_map(|m| def.find(m))
        .min()?;
    Some(def[at + 1..].trim_end().to_string())
}

// ---- Catalog ----

use std::collections::BTreeSet;

use tokio_postgres::Row;

use super::comment::comment;
use super::{Change, KindChange, Sign};
use crate::diff::{Diff, Facts, ObjectKind, Options, Unmanaged, Verdict};
use crate::model::names::{quote_ident, quote_literal};
use crate::model::{BaseType, Schema};
use crate::plan::Phase;

/// The functions and procedures of the managed schemas, not the members of extensions (those
/// are the extension's) nor aggregates and window functions (not modelled). Arguments are read
/// over `proallargtypes` (out and table columns included), each with its mode, name, type and
/// default (`pg_get_function_arg_default`, 1-based over all arguments).
pub const QUERY: &str = "
WITH users AS (
  SELECT d.refobjid AS fn, 'default' AS kind, rn.nspname::text AS sch, rc.relname::text AS rel,
         a.attname::text AS obj
  FROM pg_depend d
  JOIN pg_attrdef ad ON ad.oid = d.objid
  JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
  JOIN pg_class rc ON rc.oid = ad.adrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  WHERE d.refclassid = 'pg_proc'::regclass AND d.deptype = 'n' AND d.classid = 'pg_attrdef'::regclass
  UNION
  SELECT d.refobjid, 'constraint', rn.nspname::text, rc.relname::text, c.conname::text
  FROM pg_depend d
  JOIN pg_constraint c ON c.oid = d.objid
  JOIN pg_class rc ON rc.oid = c.conrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  WHERE d.refclassid = 'pg_proc'::regclass AND d.deptype = 'n' AND d.classid = 'pg_constraint'::regclass
  UNION
  SELECT d.refobjid, 'domain', tn.nspname::text, t.typname::text, c.conname::text
  FROM pg_depend d
  JOIN pg_constraint c ON c.oid = d.objid
  JOIN pg_type t ON t.oid = c.contypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
  WHERE d.refclassid = 'pg_proc'::regclass AND d.deptype = 'n' AND d.classid = 'pg_constraint'::regclass
  UNION
  SELECT d.refobjid, CASE rc.relkind WHEN 'm' THEN 'matview' ELSE 'view' END, rn.nspname::text,
         rc.relname::text, ''
  FROM pg_depend d
  JOIN pg_rewrite r ON r.oid = d.objid
  JOIN pg_class rc ON rc.oid = r.ev_class JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  WHERE d.refclassid = 'pg_proc'::regclass AND d.deptype = 'n' AND d.classid = 'pg_rewrite'::regclass
  UNION
  SELECT d.refobjid, 'index', rn.nspname::text, rc.relname::text, ic.relname::text
  FROM pg_depend d
  JOIN pg_class ic ON ic.oid = d.objid AND ic.relkind IN ('i', 'I')
  JOIN pg_index x ON x.indexrelid = ic.oid
  JOIN pg_class rc ON rc.oid = x.indrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  WHERE d.refclassid = 'pg_proc'::regclass AND d.deptype = 'n' AND d.classid = 'pg_class'::regclass
)
SELECT n.nspname::text, p.proname::text, p.prokind::text, l.lanname::text,
       -- An SQL-standard body (PostgreSQL 14+, read by name) has no prosrc: its deparse.
       CASE WHEN to_jsonb(p) ->> 'prosqlbody' IS NOT NULL THEN pg_get_functiondef(p.oid) ELSE p.prosrc END,
       COALESCE(p.proargnames, '{}'::text[]),
       COALESCE(p.proargmodes::text[], '{}'::text[]),
       ARRAY(SELECT format_type(u.t, NULL)
             FROM unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY u(t, i)
             ORDER BY u.i),
       ARRAY(SELECT pg_get_function_arg_default(p.oid, g.i)
             FROM generate_series(1, COALESCE(cardinality(COALESCE(p.proallargtypes, p.proargtypes::oid[])), 0)) g(i)
             ORDER BY g.i),
       format_type(p.prorettype, NULL), p.proretset, p.provolatile::text, p.proisstrict,
       p.prosecdef, p.proleakproof, p.proparallel::text, p.procost::float8, p.prorows::float8,
       COALESCE(p.proconfig, '{}'::text[]), obj_description(p.oid, 'pg_proc'),
       -- What uses it and would stop a DROP (see USERS).
       ARRAY(SELECT u.kind FROM users u WHERE u.fn = p.oid ORDER BY u.kind, u.sch, u.rel, u.obj),
       ARRAY(SELECT u.sch FROM users u WHERE u.fn = p.oid ORDER BY u.kind, u.sch, u.rel, u.obj),
       ARRAY(SELECT u.rel FROM users u WHERE u.fn = p.oid ORDER BY u.kind, u.sch, u.rel, u.obj),
       ARRAY(SELECT u.obj FROM users u WHERE u.fn = p.oid ORDER BY u.kind, u.sch, u.rel, u.obj),
       to_jsonb(p) ->> 'prosqlbody' IS NOT NULL,
       -- What an SQL-standard body reads: tables, and their columns.
       ARRAY(SELECT rn.nspname::text FROM pg_depend d JOIN pg_class rc ON rc.oid = d.refobjid
             JOIN pg_namespace rn ON rn.oid = rc.relnamespace
             WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
               AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'
             ORDER BY d.refobjid, d.refobjsubid),
       ARRAY(SELECT rc.relname::text FROM pg_depend d JOIN pg_class rc ON rc.oid = d.refobjid
             WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
               AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'
             ORDER BY d.refobjid, d.refobjsubid),
       ARRAY(SELECT COALESCE(a.attname::text, '') FROM pg_depend d
             LEFT JOIN pg_attribute a ON d.refobjsubid > 0 AND a.attrelid = d.refobjid
                                     AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
               AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'
             ORDER BY d.refobjid, d.refobjsubid)
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')";

/// The type without its modifiers: PostgreSQL keeps none for arguments and results
/// (`numeric(12,2)` is `numeric` there), so the two sides compare without them.
pub fn plain(t: &DataType) -> DataType {
    let base = match &t.base {
        BaseType::Numeric(_) => BaseType::Numeric(None),
        BaseType::Varchar(_) => BaseType::Varchar(None),
        BaseType::Char(_) => BaseType::Char(1),
        BaseType::Time { tz, .. } => BaseType::Time {
            precision: None,
            tz: *tz,
        },
        BaseType::Timestamp { tz, .. } => BaseType::Timestamp {
            precision: None,
            tz: *tz,
        },
        BaseType::Bit(_) => BaseType::Bit(None),
        BaseType::VarBit(_) => BaseType::VarBit(None),
        b => b.clone(),
    };
    DataType {
        base,
        array: t.array,
    }
}

/// The key as the catalog spells it: every argument type [`plain`].
pub fn catalog_key(k: &RoutineKey) -> RoutineKey {
    RoutineKey {
        name: k.name.clone(),
        arguments: (k.arguments.iter())
            .map(|a| plain(&DataType::from_catalog(a)).to_string())
            .collect(),
    }
}

/// PostgreSQL's default `COST`: 1 for C and internal functions, 100 for the others.
fn default_cost(language: &str) -> f64 {
    if matches!(language, "c" | "internal") {
        1.0
    } else {
        100.0
    }
}

/// A `SET` value as compared: a `search_path` as its list, `a, b`.
fn setting_value(name: &str, value: &str) -> String {
    if name == "search_path" {
        (value.split(',').map(str::trim))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        value.to_string()
    }
}

/// The rows of [`QUERY`] into `s`, by their [`RoutineKey`].
pub fn read(rows: &[Row], s: &mut Schema) {
    for r in rows {
        let name = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let kind = if r.get::<_, String>(2) == "p" {
            RoutineKind::Procedure
        } else {
            RoutineKind::Function
        };
        let language: String = r.get(3);
        let names: Vec<String> = r.get(5);
        let modes: Vec<String> = r.get(6);
        let types: Vec<String> = r.get(7);
        let defaults: Vec<Option<String>> = r.get(8);
        let mut arguments = Vec::new();
        let mut table = Vec::new();
        for (i, ty) in types.iter().enumerate() {
            let ty = plain(&DataType::from_catalog(ty));
            let arg_name = names.get(i).filter(|n| !n.is_empty()).cloned();
            let mode = match modes.get(i).map(String::as_str) {
                Some("o") => ArgMode::Out,
                Some("b") => ArgMode::InOut,
                Some("v") => ArgMode::Variadic,
                Some("t") => {
                    table.push(ReturnColumn {
                        name: arg_name.unwrap_or_default(),
                        ty,
                    });
                    continue;
                }
                _ => ArgMode::In,
            };
            arguments.push(Argument {
                name: arg_name,
                ty,
                mode,
                default: defaults.get(i).cloned().flatten().map(SqlExpr::raw),
            });
        }
        let function = (kind == RoutineKind::Function).then(|| {
            let setof: bool = r.get(10);
            let returns = if table.is_empty() {
                Returns::Type {
                    ty: plain(&DataType::from_catalog(&r.get::<_, String>(9))),
                    setof,
                }
            } else {
                Returns::Table(table)
            };
            let cost: f64 = r.get(16);
            let rows: f64 = r.get(17);
            FunctionAttrs {
                volatility: match r.get::<_, String>(11).as_str() {
                    "i" => Volatility::Immutable,
                    "s" => Volatility::Stable,
                    _ => Volatility::Volatile,
                },
                strict: r.get(12),
                leakproof: r.get(14),
                parallel: match r.get::<_, String>(15).as_str() {
                    "s" => Parallel::Safe,
                    "r" => Parallel::Restricted,
                    _ => Parallel::Unsafe,
                },
                cost: (cost != default_cost(&language)).then_some(cost),
                rows: (setof && rows != 1000.0).then_some(rows),
                returns,
            }
        });
        let set = (r.get::<_, Vec<String>>(18).iter())
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.to_lowercase(), v.to_string()))
            })
            .collect();
        let routine = Routine {
            name,
            kind,
            arguments,
            function,
            language,
            body: if r.get::<_, bool>(24) {
                body_of_functiondef(&r.get::<_, String>(4)).unwrap_or_default()
            } else {
                r.get(4)
            },
            security_definer: r.get(13),
            set,
            comment: r.get(19),
        };
        let (kinds, schemas, relations, objects): (
            Vec<String>,
            Vec<String>,
            Vec<String>,
            Vec<String>,
        ) = (r.get(20), r.get(21), r.get(22), r.get(23));
        let used_by: Vec<RoutineUser> = (kinds.iter().zip(schemas).zip(relations).zip(objects))
            .filter_map(|(((kind, schema), relation), object)| {
                let relation = QualName::new(schema, relation);
                Some(match kind.as_str() {
                    "default" => RoutineUser::Default {
                        table: relation,
                        column: object,
                    },
                    "constraint" => RoutineUser::Constraint {
                        table: relation,
                        name: object,
                    },
                    "domain" => RoutineUser::DomainConstraint {
                        domain: relation,
                        name: object,
                    },
                    "view" => RoutineUser::View {
                        name: relation,
                        materialized: false,
                    },
                    "matview" => RoutineUser::View {
                        name: relation,
                        materialized: true,
                    },
                    "index" => RoutineUser::Index {
                        table: relation,
                        name: object,
                    },
                    _ => return None,
                })
            })
            .collect();
        if !used_by.is_empty() {
            s.routine_users.insert(routine.key(), used_by);
        }
        let (schemas, relations, columns): (Vec<String>, Vec<String>, Vec<String>) =
            (r.get(25), r.get(26), r.get(27));
        let reads: Vec<(QualName, String)> = (schemas.into_iter().zip(relations).zip(columns))
            .map(|((schema, relation), column)| (QualName::new(schema, relation), column))
            .collect();
        if !reads.is_empty() {
            s.routine_reads.insert(routine.key(), reads);
        }
        s.functions.insert(routine.key(), routine);
    }
}

// ---- Diff ----

/// How a declared routine compares with the live one: types [`plain`], PostgreSQL's defaults
/// for `COST` and `ROWS` as none, `SET` values as [`setting_value`], argument defaults and the
/// comment left out (compared on their own).
fn comparable(r: &Routine) -> Routine {
    let mut c = r.clone();
    for a in &mut c.arguments {
        a.ty = plain(&a.ty);
        a.default = None;
    }
    if let Some(f) = &mut c.function {
        f.returns = match &f.returns {
            Returns::Type { ty, setof } => Returns::Type {
                ty: plain(ty),
                setof: *setof,
            },
            Returns::Table(cols) => Returns::Table(
                cols.iter()
                    .map(|col| ReturnColumn {
                        name: col.name.clone(),
                        ty: plain(&col.ty),
                    })
                    .collect(),
            ),
        };
        f.cost = f.cost.filter(|c| *c != default_cost(&r.language));
        let set_returning = f.returns.is_set();
        f.rows = f.rows.filter(|n| set_returning && *n != 1000.0);
    }
    c.set = (r.set.iter())
        .map(|(k, v)| (k.clone(), setting_value(k, v)))
        .collect();
    c.comment = None;
    c
}

/// Why `CREATE OR REPLACE` cannot turn `from` into `to` (PostgreSQL's own rules), if it cannot.
fn not_replaceable(from: &Routine, to: &Routine) -> Option<String> {
    if from.kind != to.kind {
        return Some(format!(
            "a {} cannot be replaced by a {}",
            from.kind.sql().to_lowercase(),
            to.kind.sql().to_lowercase()
        ));
    }
    let (a, b) = (comparable(from), comparable(to));
    if let (Some(fa), Some(fb)) = (&a.function, &b.function)
        && fa.returns != fb.returns
    {
        return Some(format!(
            "PostgreSQL cannot change the return type of an existing function ({} -> {})",
            returns_sql(&fa.returns),
            returns_sql(&fb.returns)
        ));
    }
    let outs = |r: &Routine| -> Vec<(Option<String>, DataType)> {
        (r.arguments.iter())
            .filter(|x| matches!(x.mode, ArgMode::Out | ArgMode::InOut))
            .map(|x| (x.name.clone(), plain(&x.ty)))
            .collect()
    };
    if outs(from) != outs(to) {
        return Some("its out arguments change, and with them its result type".into());
    }
    for (x, y) in from.arguments.iter().zip(&to.arguments) {
        if x.mode != ArgMode::Out && x.name.is_some() && x.name != y.name {
            return Some(format!(
                "PostgreSQL cannot rename an input argument ({} -> {})",
                x.name.as_deref().unwrap_or(""),
                y.name.as_deref().unwrap_or("(none)")
            ));
        }
        if x.default.is_some() && y.default.is_none() {
            return Some(format!(
                "PostgreSQL cannot remove the default of an argument ({})",
                x.name.as_deref().unwrap_or("unnamed")
            ));
        }
    }
    None
}

/// Whether the arguments' defaults say the same: exactly, or by [`SqlExpr::equivalent`] for the
/// argument's type.
fn same_defaults(want: &Routine, have: &Routine) -> bool {
    want.arguments.len() == have.arguments.len()
        && (want.arguments.iter().zip(&have.arguments)).all(|(w, h)| {
            match (&w.default, &h.default) {
                (None, None) => true,
                (Some(a), Some(b)) => a.equivalent(b, Some(&w.ty)),
                _ => false,
            }
        })
}

/// The object a routine is listed as: `schema`, `name(argument types)`.
pub fn object_of(kind: RoutineKind, key: &RoutineKey) -> (ObjectKind, QualName) {
    let k = catalog_key(key);
    let object = match kind {
        RoutineKind::Function => ObjectKind::Function,
        RoutineKind::Procedure => ObjectKind::Procedure,
    };
    (
        object,
        QualName::new(
            k.name.schema.clone(),
            format!("{}({})", quote_ident(&k.name.name), k.arguments.join(", ")),
        ),
    )
}

/// Declared routines: created, replaced (`CREATE OR REPLACE`), or dropped and created again
/// where PostgreSQL cannot replace them; their comments.
pub fn diff(desired: &Schema, live: &Schema, out: &mut Diff) {
    for (key, want) in &desired.functions {
        let Some(have) = live.functions.get(&catalog_key(key)) else {
            out.changes
                .push(RoutineChange::CreateRoutine { def: want.clone() }.into());
            continue;
        };
        let before = out.changes.len();
        if comparable(want) != comparable(have) || !same_defaults(want, have) {
            let change = match not_replaceable(have, want) {
                Some(reason) => RoutineChange::RecreateRoutine {
                    from: Box::new(have.clone()),
                    to: Box::new(want.clone()),
                    reason,
                    used_by: users_of(live, &catalog_key(key)),
                    rebuilt: Vec::new(),
                },
                None => RoutineChange::ReplaceRoutine {
                    from: Box::new(have.clone()),
                    to: Box::new(want.clone()),
                },
            };
            out.changes.push(change.into());
        }
        if want.comment != have.comment {
            out.changes.push(
                RoutineChange::SetRoutineComment {
                    kind: want.kind,
                    key: key.clone(),
                    signature: signature(want),
                    comment: want.comment.clone(),
                }
                .into(),
            );
        }
        if out.changes.len() == before {
            out.unchanged.push(object_of(want.kind, key));
        }
    }
}

/// What uses the live routine, for people.
fn users_of(live: &Schema, key: &RoutineKey) -> Vec<String> {
    (live.routine_users.get(key).into_iter().flatten())
        .map(ToString::to_string)
        .collect()
}

/// Live routines the declaration does not mention: unmanaged, or dropped with `--prune`.
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    let declared: BTreeSet<RoutineKey> = desired.functions.keys().map(catalog_key).collect();
    for (key, r) in (live.functions.iter()).filter(|(k, _)| !declared.contains(*k)) {
        if prune {
            out.changes.push(
                RoutineChange::DropRoutine {
                    kind: r.kind,
                    key: key.clone(),
                    signature: signature(r),
                    used_by: users_of(live, key),
                    declared_users: Vec::new(),
                }
                .into(),
            );
        } else {
            let (kind, name) = object_of(r.kind, key);
            out.unmanaged.push(Unmanaged {
                kind,
                name,
                kept: None,
                owned_by: None,
            });
        }
    }
}

/// PostgreSQL cannot drop a routine while a column default, constraint, view or index uses it.
/// For a routine this plan drops and creates again, the users the declaration declares are
/// dropped first and put back after it, as declared: a default is dropped and set again
/// ([`RoutineChange::DefaultAroundRoutine`]), a constraint or index dropped and added again, a
/// view or materialized view dropped and created again (with the views that read it, by
/// [`super::view::make_changes_possible`], which runs after this). When any user is not
/// declared, nothing is rebuilt and the recreation is refused, naming those. A routine that
/// `--prune` drops while a declared object uses it is refused as an inconsistent declaration.
pub fn rebuild_users(changes: &mut Vec<Change>, desired: &Schema, live: &Schema) {
    use super::column::ColumnChange;
    use super::constraint::{self as constraint, ConstraintChange};
    use super::index::IndexChange;
    let declared = |u: &RoutineUser| -> bool {
        match u {
            RoutineUser::Default { table, column } => desired
                .tables
                .get(table)
                .is_some_and(|t| t.columns.iter().any(|c| &c.name == column)),
            RoutineUser::Constraint { table, name } => desired
                .tables
                .get(table)
                .is_some_and(|t| constraint::of(t).iter().any(|c| c.name() == name)),
            RoutineUser::Index { table, name } => desired
                .tables
                .get(table)
                .is_some_and(|t| t.indexes.iter().any(|i| &i.name == name)),
            RoutineUser::View { name, materialized } => {
                if *materialized {
                    desired.materialized_views.contains_key(name)
                } else {
                    desired.views.contains_key(name)
                }
            }
            RoutineUser::DomainConstraint { .. } => false,
        }
    };
    // Users this plan drops before any routine anyway (undeclared, with --prune).
    let gone: BTreeSet<RoutineUser> = (changes.iter())
        .filter_map(|c| match c {
            Change::View(super::view::ViewChange::DropView {
                name,
                because: None,
                ..
            }) => Some(RoutineUser::View {
                name: name.clone(),
                materialized: false,
            }),
            Change::View(super::view::ViewChange::DropMaterializedView {
                name,
                because: None,
                ..
            }) => Some(RoutineUser::View {
                name: name.clone(),
                materialized: true,
            }),
            Change::Constraint(ConstraintChange::DropConstraint {
                table,
                constraint,
                because: None,
            }) => Some(RoutineUser::Constraint {
                table: table.clone(),
                name: constraint.name().to_string(),
            }),
            Change::Index(IndexChange::DropIndex {
                table,
                index,
                because: None,
            }) => Some(RoutineUser::Index {
                table: table.clone(),
                name: index.name.clone(),
            }),
            _ => None,
        })
        .collect();
    // The recreated routines whose users are all declared, with those users.
    let mut todo: Vec<(String, Vec<RoutineUser>)> = Vec::new();
    for c in changes.iter_mut() {
        match c {
            Change::Routine(RoutineChange::RecreateRoutine {
                from,
                used_by,
                rebuilt,
                ..
            }) => {
                let users = live.routine_users.get(&catalog_key(&from.key()));
                let users: Vec<RoutineUser> = (users.into_iter().flatten())
                    .filter(|u| !gone.contains(u))
                    .cloned()
                    .collect();
                if users.is_empty() {
                    continue;
                }
                let undeclared: Vec<String> = (users.iter())
                    .filter(|u| !declared(u))
                    .map(ToString::to_string)
                    .collect();
                if undeclared.is_empty() {
                    used_by.clear();
                    *rebuilt = users.iter().map(ToString::to_string).collect();
                    todo.push((signature(from), users));
                } else {
                    *used_by = undeclared;
                }
            }
            Change::Routine(RoutineChange::DropRoutine {
                key,
                used_by,
                declared_users,
                ..
            }) => {
                let users = (live.routine_users.get(key).into_iter().flatten())
                    .filter(|u| !gone.contains(u));
                *used_by = users.clone().map(ToString::to_string).collect();
                *declared_users = users
                    .filter(|u| declared(u))
                    .map(ToString::to_string)
                    .collect();
            }
            _ => {}
        }
    }
    let mut extra: Vec<Change> = Vec::new();
    let mut views: Vec<(QualName, String)> = Vec::new();
    for (sig, users) in todo {
        let why = format!("out of the way of the recreation of function {sig}");
        for u in users {
            match u {
                RoutineUser::Default { table, column } => {
                    let col = (desired.tables[&table].columns.iter())
                        .find(|c| c.name == column)
                        .expect("declared");
                    // A default another change of the column sets is left to that change.
                    let set_elsewhere = changes.iter().any(|c| {
                        matches!(c, Change::Column(ColumnChange::SetDefault { table: t, column: n, .. })
                            | Change::Column(ColumnChange::AlterType { table: t, column: n, sets_default: Some(_), .. })
                            if *t == table && *n == column)
                    });
                    let again = match &col.default {
                        Some(crate::model::ColumnDefault::Expr(e)) if !set_elsewhere => {
                            Some(e.clone())
                        }
                        _ => None,
                    };
                    extra.push(
                        RoutineChange::DefaultAroundRoutine {
                            table,
                            column,
                            routine: sig.clone(),
                            again,
                        }
                        .into(),
                    );
                }
                RoutineUser::Constraint { table, name } => {
                    // The plan drops and adds it again anyway (its definition differs).
                    let already = (changes.iter().chain(&extra)).any(|c| {
                        matches!(c, Change::Constraint(ConstraintChange::DropConstraint { table: t, constraint: k, .. })
                            if *t == table && k.name() == name)
                    });
                    let want = (constraint::of(&desired.tables[&table]).into_iter())
                        .find(|c| c.name() == name);
                    let have = (live.tables.get(&table).map(constraint::of))
                        .and_then(|cs| cs.into_iter().find(|c| c.name() == name));
                    if let (false, Some(want), Some(have)) = (already, want, have) {
                        extra.push(
                            ConstraintChange::DropConstraint {
                                table: table.clone(),
                                constraint: have,
                                because: Some(format!("{why}, then added again")),
                            }
                            .into(),
                        );
                        extra.push(
                            ConstraintChange::AddConstraint {
                                table,
                                constraint: want,
                            }
                            .into(),
                        );
                    }
                }
                RoutineUser::Index { table, name } => {
                    let already = (changes.iter().chain(&extra)).any(|c| {
                        matches!(c, Change::Index(IndexChange::DropIndex { table: t, index: i, .. })
                            if *t == table && i.name == name)
                    });
                    let want = (desired.tables[&table].indexes.iter()).find(|i| i.name == name);
                    let have = (live.tables.get(&table))
                        .and_then(|t| t.indexes.iter().find(|i| i.name == name));
                    if let (false, Some(want), Some(have)) = (already, want, have) {
                        extra.push(
                            IndexChange::DropIndex {
                                table: table.clone(),
                                index: have.clone(),
                                because: Some(format!("{why}, then created again")),
                            }
                            .into(),
                        );
                        extra.push(
                            IndexChange::CreateIndex {
                                table,
                                index: want.clone(),
                            }
                            .into(),
                        );
                    }
                }
                RoutineUser::View { name, .. } => {
                    views.push((name, format!("{why}, then created again")))
                }
                RoutineUser::DomainConstraint { .. } => {}
            }
        }
    }
    changes.extend(extra);
    for (v, because) in views {
        super::view::rebuild(changes, desired, live, &v, because);
    }
}

/// A routine with an SQL-standard body depends on the tables and columns it reads, as a view
/// does: PostgreSQL cannot change the type or collation of such a column, drop it, or drop the
/// table while the routine exists. tableform does not drop and create a routine around such a
/// change (nor the defaults, checks and views that call it): the plan is refused, naming the
/// routine and what it reads, instead of failing at apply.
pub fn refuse_blocked_by_bodies(changes: &mut Vec<Change>, live: &Schema) {
    use super::column::ColumnChange;
    use super::table::TableChange;
    if live.routine_reads.is_empty() {
        return;
    }
    let mut roots: Vec<(QualName, Option<String>, String)> = Vec::new();
    for c in changes.iter() {
        match c {
            Change::Column(ColumnChange::AlterType { table, column, .. }) => roots.push((
                table.clone(),
                Some(column.clone()),
                format!("the type of column `{column}` of {table} changes"),
            )),
            Change::Column(ColumnChange::SetCollation { table, column, .. }) => roots.push((
                table.clone(),
                Some(column.clone()),
                format!("the collation of column `{column}` of {table} changes"),
            )),
            Change::Column(ColumnChange::DropColumn { table, column, .. }) => roots.push((
                table.clone(),
                Some(column.clone()),
                format!("column `{column}` of {table} is dropped"),
            )),
            Change::Table(TableChange::DropTable { table }) => {
                roots.push((table.clone(), None, format!("table {table} is dropped")))
            }
            _ => {}
        }
    }
    let mut blocked = Vec::new();
    for (key, reads) in &live.routine_reads {
        let Some(r) = live.functions.get(key) else {
            continue;
        };
        let hits: Vec<&String> = (roots.iter())
            .filter(|(table, column, _)| {
                reads.iter().any(|(t, c)| {
                    t == table && column.as_ref().is_none_or(|col| c.is_empty() || c == col)
                })
            })
            .map(|(_, _, why)| why)
            .collect();
        if hits.is_empty() {
            continue;
        }
        blocked.push(
            RoutineChange::RoutineBlocked {
                kind: r.kind,
                key: key.clone(),
                reason: format!(
                    "{} has an SQL-standard body that reads what this plan changes ({}): PostgreSQL cannot make that change while it exists, and tableform does not drop and create it around the change; change it by hand (drop it, apply, and let tableform create it again), or give it a quoted body (AS $$ ... $$), which PostgreSQL does not tie to what it reads",
                    signature(r),
                    (hits.iter().map(|h| h.as_str()).collect::<Vec<_>>()).join("; "),
                ),
            }
            .into(),
        );
    }
    changes.extend(blocked);
}

// ---- Changes and SQL ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoutineChange {
    /// `CREATE FUNCTION|PROCEDURE ...`
    CreateRoutine { def: Routine },
    /// `CREATE OR REPLACE FUNCTION|PROCEDURE ...`: the body or attributes differ
    ReplaceRoutine {
        from: Box<Routine>,
        to: Box<Routine>,
    },
    /// `DROP FUNCTION|PROCEDURE`, then `CREATE`: a change PostgreSQL cannot make with `CREATE
    /// OR REPLACE` (`reason` says which)
    RecreateRoutine {
        from: Box<Routine>,
        to: Box<Routine>,
        reason: String,
        /// What uses the live one, is not declared, and would stop its `DROP` (the plan is
        /// refused).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        used_by: Vec<String>,
        /// The declared objects that use it, dropped before it and put back after it (see
        /// [`rebuild_users`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rebuilt: Vec<String>,
    },
    /// `COMMENT ON FUNCTION|PROCEDURE s.f(types) IS ...`
    SetRoutineComment {
        #[serde(rename = "routine")]
        kind: RoutineKind,
        key: RoutineKey,
        signature: String,
        comment: Option<String>,
    },
    /// `DROP FUNCTION|PROCEDURE s.f(types)` (only with `--prune`)
    DropRoutine {
        #[serde(rename = "routine")]
        kind: RoutineKind,
        key: RoutineKey,
        signature: String,
        /// What uses it (and stops the `DROP`): the plan is refused.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        used_by: Vec<String>,
        /// Those of `used_by` that are declared: the declaration is inconsistent.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        declared_users: Vec<String>,
    },
    /// A change this plan cannot make because of the routine: refused, with the reason.
    RoutineBlocked {
        #[serde(rename = "routine")]
        kind: RoutineKind,
        key: RoutineKey,
        reason: String,
    },
    /// A declared column default that uses a routine this plan drops and creates again:
    /// `ALTER TABLE t ALTER COLUMN c DROP DEFAULT` before the `DROP FUNCTION`, `SET DEFAULT`
    /// (as declared) after the `CREATE FUNCTION`.
    DefaultAroundRoutine {
        table: QualName,
        column: String,
        /// The routine's signature.
        routine: String,
        /// The declared default, set again; `None`: another change of the column sets it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        again: Option<SqlExpr>,
    },
}

/// `public.f(IN integer, OUT text)`: what `DROP` and `COMMENT ON` name (an out argument of a
/// function is ignored there, one of a procedure counts).
/// What uses a routine, and the words that agree with how many there are.
struct Users {
    list: String,
    use_it: &'static str,
    while_: &'static str,
    them: &'static str,
}

impl Users {
    fn of(used_by: &[String]) -> Users {
        let one = used_by.len() == 1;
        Users {
            list: used_by.join(", "),
            use_it: if one { "uses it" } else { "use it" },
            while_: if one { "that uses it" } else { "they do" },
            them: if one { "that" } else { "them" },
        }
    }
}

pub fn signature(r: &Routine) -> String {
    let args: Vec<String> = (r.arguments.iter())
        .map(|a| format!("{} {}", a.mode.sql(), a.ty))
        .collect();
    format!("{}({})", r.name.sql(), args.join(", "))
}

/// `SETOF t`, `TABLE (a integer)`, `t`.
fn returns_sql(r: &Returns) -> String {
    match r {
        Returns::Type { ty, setof: true } => format!("SETOF {ty}"),
        Returns::Type { ty, setof: false } => ty.to_string(),
        Returns::Table(cols) => format!(
            "TABLE ({})",
            cols.iter()
                .map(|c| format!("{} {}", quote_ident(&c.name), c.ty))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A dollar-quote tag that does not occur in `body`: `$tf$`, `$tf1$`, ... (the body followed
/// by the tag must hold it only at its end).
fn dollar_tag(body: &str) -> String {
    (0..)
        .map(|i| {
            if i == 0 {
                "$tf$".to_string()
            } else {
                format!("$tf{i}$")
            }
        })
        .find(|tag| format!("{body}{tag}").find(tag.as_str()) == Some(body.len()))
        .expect("some tag is unused")
}

/// `SET name = 'value'`; a `search_path` as a list of literals (`'pg_catalog', 'public'`: one
/// literal would name one schema called "pg_catalog, public").
fn set_clause(name: &str, value: &str) -> String {
    let value = if name == "search_path" {
        (value.split(',').map(str::trim))
            .map(|s| {
                quote_literal(
                    s.strip_prefix('"')
                        .and_then(|s| s.strip_suffix('"'))
                        .unwrap_or(s),
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        quote_literal(value)
    };
    format!("SET {} = {value}", quote_ident(name))
}

/// `CREATE [OR REPLACE] FUNCTION ...`, one statement; the body in a dollar quote whose tag it
/// does not hold.
pub fn create_sql(r: &Routine, or_replace: bool) -> String {
    let args: Vec<String> = (r.arguments.iter())
        .map(|a| {
            let mut s = String::new();
            if a.mode != ArgMode::In {
                s.push_str(a.mode.sql());
                s.push(' ');
            }
            if let Some(n) = &a.name {
                s.push_str(&quote_ident(n));
                s.push(' ');
            }
            s.push_str(&a.ty.to_string());
            if let Some(d) = &a.default {
                s.push_str(&format!(" DEFAULT {}", d.sql));
            }
            s
        })
        .collect();
    let mut sql = format!(
        "CREATE {}{} {}({})",
        if or_replace { "OR REPLACE " } else { "" },
        r.kind.sql(),
        r.name.sql(),
        args.join(", ")
    );
    if let Some(f) = &r.function {
        sql.push_str(&format!("\n    RETURNS {}", returns_sql(&f.returns)));
    }
    sql.push_str(&format!("\n    LANGUAGE {}", quote_ident(&r.language)));
    if let Some(f) = &r.function {
        let mut attrs = vec![f.volatility.sql().to_string()];
        if f.strict {
            attrs.push("STRICT".into());
        }
        if f.leakproof {
            attrs.push("LEAKPROOF".into());
        }
        attrs.push(format!("PARALLEL {}", f.parallel.sql()));
        if let Some(c) = f.cost {
            attrs.push(format!("COST {c}"));
        }
        if let Some(n) = f.rows {
            attrs.push(format!("ROWS {n}"));
        }
        sql.push_str(&format!("\n    {}", attrs.join(" ")));
    }
    if r.security_definer {
        sql.push_str("\n    SECURITY DEFINER");
    }
    for (k, v) in &r.set {
        sql.push_str(&format!("\n    {}", set_clause(k, v)));
    }
    if r.standard_body() {
        sql.push_str(&format!("\n{}", r.body.trim()));
    } else {
        let tag = dollar_tag(&r.body);
        sql.push_str(&format!("\nAS {tag}{}{tag}", r.body));
    }
    sql
}

/// Before creating a SQL function: its body is checked when it is created, and may read a table
/// this plan creates later (functions come before tables); pg_dump does the same.
fn unchecked_bodies(r: &Routine) -> Option<(Phase, String)> {
    (r.language == "sql" && !r.standard_body()).then(|| {
        (
            Phase::Functions,
            "SET LOCAL check_function_bodies = off".to_string(),
        )
    })
}

/// When a routine is created: with the others, before the tables; one with an SQL-standard
/// body once the tables exist (its body is parsed then, and may read them).
fn create_phase(r: &Routine) -> Phase {
    if r.standard_body() {
        Phase::StandardBodies
    } else {
        Phase::Functions
    }
}

fn kind_word(kind: RoutineKind) -> &'static str {
    match kind {
        RoutineKind::Function => "function",
        RoutineKind::Procedure => "procedure",
    }
}

/// What differs between two routines PostgreSQL can replace one with the other, for people.
fn differences(from: &Routine, to: &Routine) -> Vec<String> {
    let (a, b) = (comparable(from), comparable(to));
    let mut parts = Vec::new();
    if a.body != b.body {
        parts.push("body".to_string());
    }
    if a.language != b.language {
        parts.push(format!("language {} -> {}", a.language, b.language));
    }
    if !same_defaults(to, from) {
        parts.push("argument defaults".into());
    }
    if a.arguments
        .iter()
        .map(|x| &x.name)
        .ne(b.arguments.iter().map(|x| &x.name))
    {
        parts.push("argument names".into());
    }
    if a.security_definer != b.security_definer {
        parts.push(format!(
            "security definer {} -> {}",
            a.security_definer, b.security_definer
        ));
    }
    if a.set != b.set {
        parts.push("settings (SET)".into());
    }
    if let (Some(x), Some(y)) = (&a.function, &b.function) {
        if x.volatility != y.volatility {
            parts.push(format!(
                "volatility {} -> {}",
                x.volatility.sql().to_lowercase(),
                y.volatility.sql().to_lowercase()
            ));
        }
        if x.strict != y.strict {
            parts.push(format!("strict {} -> {}", x.strict, y.strict));
        }
        if x.leakproof != y.leakproof {
            parts.push(format!("leakproof {} -> {}", x.leakproof, y.leakproof));
        }
        if x.parallel != y.parallel {
            parts.push(format!(
                "parallel {} -> {}",
                x.parallel.sql().to_lowercase(),
                y.parallel.sql().to_lowercase()
            ));
        }
        if x.cost != y.cost {
            parts.push("cost".into());
        }
        if x.rows != y.rows {
            parts.push("rows".into());
        }
        if x.returns != y.returns {
            parts.push(format!(
                "returns {} -> {}",
                returns_sql(&x.returns),
                returns_sql(&y.returns)
            ));
        }
    }
    parts
}

impl RoutineChange {
    fn routine_kind(&self) -> RoutineKind {
        match self {
            RoutineChange::CreateRoutine { def } => def.kind,
            RoutineChange::ReplaceRoutine { to, .. }
            | RoutineChange::RecreateRoutine { to, .. } => to.kind,
            RoutineChange::SetRoutineComment { kind, .. }
            | RoutineChange::RoutineBlocked { kind, .. }
            | RoutineChange::DropRoutine { kind, .. } => *kind,
            RoutineChange::DefaultAroundRoutine { .. } => RoutineKind::Function,
        }
    }
}

impl KindChange for RoutineChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let key = match self {
            RoutineChange::CreateRoutine { def } => def.key(),
            RoutineChange::ReplaceRoutine { to, .. }
            | RoutineChange::RecreateRoutine { to, .. } => to.key(),
            RoutineChange::SetRoutineComment { key, .. }
            | RoutineChange::RoutineBlocked { key, .. }
            | RoutineChange::DropRoutine { key, .. } => key.clone(),
            RoutineChange::DefaultAroundRoutine { table, .. } => {
                return (ObjectKind::Table, table.clone());
            }
        };
        object_of(self.routine_kind(), &key)
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        match self {
            RoutineChange::CreateRoutine { .. } => Verdict::Create,
            RoutineChange::ReplaceRoutine { .. } | RoutineChange::SetRoutineComment { .. } => {
                Verdict::change()
            }
            RoutineChange::RecreateRoutine { from, used_by, .. } if !used_by.is_empty() => {
                let u = Users::of(used_by);
                Verdict::refuse(format!(
                    "{} must be dropped and created again, and {} {} and {} not declared: PostgreSQL cannot drop it while {}, and tableform rebuilds only declared objects around it; declare {} (`tableform import` writes declarations), keep its signature, result and argument names (so that CREATE OR REPLACE changes it in place), or change {} by hand",
                    signature(from),
                    u.list,
                    u.use_it,
                    if used_by.len() == 1 { "is" } else { "are" },
                    u.while_,
                    u.them,
                    u.them,
                ))
            }
            RoutineChange::RecreateRoutine {
                reason, rebuilt, ..
            } => Verdict::note(format!(
                "dropped and created again: {reason}; triggers that call it are dropped first and created again after{}",
                if rebuilt.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", and so are the declared objects that use it: {}",
                        rebuilt.join(", ")
                    )
                }
            )),
            RoutineChange::DropRoutine {
                signature,
                declared_users,
                ..
            } if !declared_users.is_empty() => {
                let u = Users::of(declared_users);
                Verdict::refuse(format!(
                    "the declaration is inconsistent: {} {} declared and {} {signature}, which is not declared (--prune would drop it, and PostgreSQL cannot drop it while {}); declare the function, or change {} not to use it",
                    u.list,
                    if declared_users.len() == 1 {
                        "is"
                    } else {
                        "are"
                    },
                    if declared_users.len() == 1 {
                        "uses"
                    } else {
                        "use"
                    },
                    u.while_,
                    u.them,
                ))
            }
            RoutineChange::DropRoutine {
                signature, used_by, ..
            } if !used_by.is_empty() => {
                let u = Users::of(used_by);
                Verdict::refuse(format!(
                    "{signature} is not declared, but {} {}: it cannot be dropped while {}; declare it, or change {} first",
                    u.list, u.use_it, u.while_, u.them,
                ))
            }
            RoutineChange::DropRoutine { .. } => Verdict::note(
                "not declared (--prune); no column default, constraint, view or index uses it",
            ),
            RoutineChange::RoutineBlocked { reason, .. } => Verdict::refuse(reason.clone()),
            RoutineChange::DefaultAroundRoutine { routine, .. } => Verdict::note(format!(
                "dropped while {routine} is dropped and created again (PostgreSQL cannot drop a function a default uses), then set again as declared"
            )),
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        let mut out = Vec::new();
        match self {
            RoutineChange::CreateRoutine { def } => {
                out.extend(unchecked_bodies(def));
                out.push((create_phase(def), create_sql(def, false)));
                if def.comment.is_some() {
                    let target = format!("{} {}", def.kind.sql(), signature(def));
                    out.push((Phase::Comments, comment(target, &def.comment)));
                }
            }
            RoutineChange::ReplaceRoutine { to, .. } => {
                out.extend(unchecked_bodies(to));
                out.push((create_phase(to), create_sql(to, true)));
            }
            RoutineChange::RecreateRoutine { from, to, .. } => {
                out.push((
                    Phase::Functions,
                    format!("DROP {} {}", from.kind.sql(), signature(from)),
                ));
                out.extend(unchecked_bodies(to));
                out.push((create_phase(to), create_sql(to, false)));
                if to.comment.is_some() {
                    let target = format!("{} {}", to.kind.sql(), signature(to));
                    out.push((Phase::Comments, comment(target, &to.comment)));
                }
            }
            RoutineChange::SetRoutineComment {
                kind,
                signature,
                comment: c,
                ..
            } => out.push((
                Phase::Comments,
                comment(format!("{} {signature}", kind.sql()), c),
            )),
            RoutineChange::DropRoutine {
                kind, signature, ..
            } => out.push((
                Phase::DropFunctions,
                format!("DROP {} {signature}", kind.sql()),
            )),
            RoutineChange::RoutineBlocked { .. } => {}
            RoutineChange::DefaultAroundRoutine {
                table,
                column,
                again,
                ..
            } => {
                let at = format!(
                    "{} ALTER COLUMN {}",
                    super::alter(table),
                    quote_ident(column)
                );
                out.push((Phase::DropConstraints, format!("{at} DROP DEFAULT")));
                if let Some(e) = again {
                    out.push((Phase::AlterColumns, format!("{at} SET DEFAULT {}", e.sql)));
                }
            }
        }
        out
    }

    fn summary(&self) -> String {
        let word = kind_word(self.routine_kind());
        match self {
            RoutineChange::CreateRoutine { def } => format!(
                "create {word} (language {}{})",
                def.language,
                def.function
                    .as_ref()
                    .map(|f| format!(", returns {}", returns_sql(&f.returns)))
                    .unwrap_or_default()
            ),
            RoutineChange::ReplaceRoutine { from, to } => {
                format!("replace {word}: {}", differences(from, to).join(", "))
            }
            RoutineChange::RecreateRoutine { from, to, .. } => format!(
                "drop and create {word} again: {}",
                differences(from, to).join(", ")
            ),
            RoutineChange::SetRoutineComment { comment, .. } => match comment {
                Some(_) => format!("set {word} comment"),
                None => format!("remove {word} comment"),
            },
            RoutineChange::DropRoutine { .. } => format!("drop {word} (not declared)"),
            RoutineChange::RoutineBlocked { .. } => "stands in the way of this plan".into(),
            RoutineChange::DefaultAroundRoutine {
                column, routine, ..
            } => format!(
                "drop the default of `{column}` while {routine} is dropped and created again, then set it again"
            ),
        }
    }

    fn drift(&self) -> Option<String> {
        matches!(self, RoutineChange::CreateRoutine { .. })
            .then(|| "declared but missing from the database".to_string())
    }

    fn sign(&self) -> Sign {
        match self {
            RoutineChange::CreateRoutine { .. } => Sign::Add,
            RoutineChange::DropRoutine { .. } => Sign::Remove,
            _ => Sign::Alter,
        }
    }

    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        if let RoutineChange::DefaultAroundRoutine {
            column,
            again: Some(e),
            ..
        } = self
        {
            return vec![(format!("default of {column}"), e)];
        }
        let def = match self {
            RoutineChange::CreateRoutine { def } => def,
            RoutineChange::ReplaceRoutine { to, .. }
            | RoutineChange::RecreateRoutine { to, .. } => to,
            _ => return Vec::new(),
        };
        (def.arguments.iter())
            .filter_map(|a| {
                let d = a.default.as_ref()?;
                Some((
                    format!(
                        "default of argument {}",
                        a.name.as_deref().unwrap_or("(unnamed)")
                    ),
                    d,
                ))
            })
            .collect()
    }

    fn contended(&self, _created: &BTreeSet<&QualName>) -> bool {
        !matches!(self, RoutineChange::CreateRoutine { .. })
    }
}

// ---- Argument defaults, canonicalised by the server ----

/// For the expression probe ([`crate::inspect::probe`]): one table per declared routine whose
/// argument defaults differ from the live ones as far as [`SqlExpr::equivalent`] can tell, a
/// column `a<i>` of the argument's type per such argument, holding the declared default
/// (first schema) and the live one (second). The third value says which routine each table is.
pub fn default_probes(
    desired: &Schema,
    live: &Schema,
) -> (Schema, Schema, Vec<(RoutineKey, QualName)>) {
    use crate::model::{Column, ColumnDefault, Table};
    let (mut want, mut have, mut at) = (Schema::default(), Schema::default(), Vec::new());
    for (key, w) in &desired.functions {
        let Some(h) = live.functions.get(&catalog_key(key)) else {
            continue;
        };
        if w.arguments.len() != h.arguments.len() {
            continue;
        }
        let column = |i: usize, ty: &DataType, e: &SqlExpr| Column {
            name: format!("a{i}"),
            ty: ty.clone(),
            nullable: true,
            default: Some(ColumnDefault::Expr(e.clone())),
            identity: None,
            identity_sequence: None,
            comment: None,
            collation: None,
            generated: None,
        };
        let (mut wc, mut hc) = (Vec::new(), Vec::new());
        for (i, (a, b)) in w.arguments.iter().zip(&h.arguments).enumerate() {
            if let (Some(x), Some(y)) = (&a.default, &b.default)
                && !x.equivalent(y, Some(&a.ty))
            {
                wc.push(column(i, &a.ty, x));
                hc.push(column(i, &b.ty, y));
            }
        }
        if wc.is_empty() {
            continue;
        }
        let name = QualName::new("pg_temp", format!("routine_{}", at.len()));
        let table = |columns| Table {
            columns,
            ..Table::empty(name.clone())
        };
        want.tables.insert(name.clone(), table(wc));
        have.tables.insert(name.clone(), table(hc));
        at.push((key.clone(), name));
    }
    (want, have, at)
}

/// The probed defaults of [`default_probes`] back into the declared routines.
pub fn take_spellings(desired: &mut Schema, probed: &Schema, at: &[(RoutineKey, QualName)]) {
    use crate::model::ColumnDefault;
    for (key, table) in at {
        let (Some(r), Some(t)) = (desired.functions.get_mut(key), probed.tables.get(table)) else {
            continue;
        };
        for c in &t.columns {
            let i: usize = c.name[1..].parse().unwrap_or(usize::MAX);
            if let (Some(a), Some(ColumnDefault::Expr(e))) = (r.arguments.get_mut(i), &c.default) {
                a.default = Some(e.clone());
            }
        }
    }
}

// ---- SQL-standard bodies, deparsed by the server ----

/// Where a declared SQL-standard body (`BEGIN ATOMIC ... END`, `RETURN expr`) differs in text
/// from the live one (which is the server's deparse), asks the server how it deparses the
/// declared one: inside a transaction that is always rolled back, the declared routine is
/// created in `pg_temp` under its own name (a deparse qualifies arguments by the routine's
/// name), each under a savepoint, and `pg_get_functiondef` tells. When that deparse equals the
/// live body, the declared routine takes it. A body the server rejects (it reads what this plan
/// creates) keeps its text: the diff shows it, and apply reports the server's message. Returns
/// the round trips.
pub async fn reconcile_bodies(
    client: &mut tokio_postgres::Client,
    desired: &mut Schema,
    live: &Schema,
) -> Result<usize, crate::inspect::InspectError> {
    use crate::inspect::session;
    let asks: Vec<(RoutineKey, String)> = (desired.functions.iter())
        .filter_map(|(k, w)| {
            let h = live.functions.get(&catalog_key(k))?;
            (w.standard_body() && h.standard_body() && w.body != h.body)
                .then(|| (k.clone(), h.body.clone()))
        })
        .collect();
    if asks.is_empty() {
        return Ok(0);
    }
    let home = desired.home.clone();
    let tx = client.transaction().await?;
    session::declared_path(tx.client(), home.as_deref()).await?;
    let mut trips = 2; // BEGIN, ROLLBACK
    let mut same = Vec::new();
    for (key, live_body) in &asks {
        let w = &desired.functions[key];
        let probe = Routine {
            name: QualName::new("pg_temp", w.name.name.clone()),
            comment: None,
            ..w.clone()
        };
        session::run(tx.client(), "SAVEPOINT tableform_probe").await?;
        trips += 3;
        if session::run(tx.client(), &create_sql(&probe, false))
            .await
            .is_ok()
        {
            // Undone by the rollback to the savepoint below.
            session::catalog_path(tx.client(), home.as_deref()).await?;
            let row = tx
                .client()
                .query_one(
                    "SELECT pg_get_functiondef(p.oid) FROM pg_proc p
                     WHERE p.pronamespace = pg_my_temp_schema() AND p.proname = $1
                     ORDER BY p.oid DESC LIMIT 1",
                    &[&w.name.name],
                )
                .await?;
            trips += 1;
            if body_of_functiondef(&row.get::<_, String>(0)).as_deref() == Some(live_body.as_str())
            {
                same.push((key.clone(), live_body.clone()));
            }
        }
        session::run(tx.client(), "ROLLBACK TO SAVEPOINT tableform_probe").await?;
    }
    tx.rollback().await?;
    for (key, body) in same {
        if let Some(r) = desired.functions.get_mut(&key) {
            r.body = body;
        }
    }
    Ok(trips)
}

#[cfg(test)]
mod tests {
    use super::{
        body_of_functiondef, dollar_tag, set_clause, standard_body, standard_body_problem,
    };

    #[test]
    fn sql_standard_bodies_are_told_from_quoted_ones_and_must_end_as_one() {
        assert!(standard_body("BEGIN ATOMIC SELECT 1; END"));
        assert!(standard_body("  begin\n  atomic select 1; end"));
        assert!(standard_body("RETURN x + 1"));
        assert!(!standard_body("SELECT 1"));
        assert!(!standard_body("BEGIN RETURN 1; END"));
        assert_eq!(standard_body_problem("BEGIN ATOMIC SELECT 1; END"), None);
        assert_eq!(standard_body_problem("begin atomic select 1; end\n"), None);
        assert!(standard_body_problem("BEGIN ATOMIC SELECT 1; END;").is_some());
        assert!(standard_body_problem("BEGIN ATOMIC SELECT 1; weekend").is_some());
        assert!(standard_body_problem("RETURN 1;").is_some());
        assert_eq!(standard_body_problem("RETURN 1"), None);
    }

    #[test]
    fn the_body_is_read_from_the_functiondef() {
        let def = "CREATE OR REPLACE FUNCTION public.f(x integer)\n RETURNS integer\n LANGUAGE sql\nBEGIN ATOMIC\n SELECT (x + 1);\nEND\n";
        assert_eq!(
            body_of_functiondef(def).as_deref(),
            Some("BEGIN ATOMIC\n SELECT (x + 1);\nEND")
        );
        let def = "CREATE OR REPLACE FUNCTION public.g(x integer)\n RETURNS integer\n LANGUAGE sql\nRETURN (x + 1)\n";
        assert_eq!(body_of_functiondef(def).as_deref(), Some("RETURN (x + 1)"));
    }

    #[test]
    fn the_dollar_quote_tag_never_occurs_in_the_body() {
        assert_eq!(dollar_tag("SELECT 1"), "$tf$");
        assert_eq!(dollar_tag("SELECT '$tf$'"), "$tf1$");
        // The body's end and the closing tag must not make an earlier tag.
        assert_eq!(dollar_tag("SELECT 1 -- $tf"), "$tf1$");
        assert_eq!(dollar_tag("$tf$ $tf1$"), "$tf2$");
    }

    #[test]
    fn a_search_path_is_set_as_a_list_of_literals() {
        assert_eq!(
            set_clause("search_path", "pg_catalog, \"$user\""),
            "SET search_path = 'pg_catalog', '$user'"
        );
        assert_eq!(set_clause("work_mem", "64MB"), "SET work_mem = '64MB'");
    }
}
