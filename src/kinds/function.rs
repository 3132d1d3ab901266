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

    /// Whether this is a trigger function: `RETURNS trigger`, no arguments.
    pub fn is_trigger_function(&self) -> bool {
        self.function.as_ref().is_some_and(|f| {
            matches!(&f.returns, Returns::Type { ty, setof: false }
                if !ty.array && ty.base == crate::model::BaseType::Opaque("trigger".into()))
        }) && self.arguments.is_empty()
    }
}
