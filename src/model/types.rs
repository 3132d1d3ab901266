//! Column types in one canonical form, whichever way they were spelled.
//!
//! `int4`, `integer` and `int` are one type; `varchar` is `character varying`; `float` is
//! `double precision` (and `float(n)` with n <= 24 is `real`, as in PostgreSQL's grammar). Both the
//! declared spelling and the catalog's `format_type()` output are parsed by [`DataType::parse`],
//! so the two sides of a diff always go through the same function. `Display` prints the spelling
//! `format_type()` uses, which is also what generated DDL says.

use std::fmt;

use serde::{Deserialize, Serialize};
use sqlparser::ast::{self, CharacterLength, ExactNumberInfo, TimezoneInfo};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::QualName;
use super::names::quote_ident;

/// Serialised as its SQL spelling (`"character varying(36)"`), which is also what plan files and
/// `--format json` show.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DataType {
    pub base: BaseType,
    /// PostgreSQL does not enforce array dimensions, so any number of `[]` is one array type.
    pub array: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BaseType {
    SmallInt,
    Integer,
    BigInt,
    Numeric(Option<(u32, i32)>),
    Real,
    Double,
    Money,
    Varchar(Option<u32>),
    /// `character(n)`; a bare `char` is `character(1)`.
    Char(u32),
    Text,
    Bytea,
    Boolean,
    Date,
    Time {
        precision: Option<u32>,
        tz: bool,
    },
    Timestamp {
        precision: Option<u32>,
        tz: bool,
    },
    Interval,
    Uuid,
    Json,
    Jsonb,
    Xml,
    Inet,
    Cidr,
    MacAddr,
    TsVector,
    Bit(Option<u32>),
    VarBit(Option<u32>),
    /// A type defined in the database (an enum type, a domain, an extension's type).
    Named(QualName),
    /// A type of PostgreSQL's own that tableform does not model (`point`, `int4range`,
    /// `interval second(0)`, `oid`, `pg_lsn`...), as `format_type()` spells it (without `[]`):
    /// compared by that text, and written into DDL as it is.
    Opaque(String),
}

/// A `serial` pseudo-type: an integer type plus an owned sequence as default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serial {
    Small,
    Normal,
    Big,
}

impl Serial {
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "smallserial" | "serial2" => Some(Serial::Small),
            "serial" | "serial4" => Some(Serial::Normal),
            "bigserial" | "serial8" => Some(Serial::Big),
            _ => None,
        }
    }

    pub fn base(self) -> BaseType {
        match self {
            Serial::Small => BaseType::SmallInt,
            Serial::Normal => BaseType::Integer,
            Serial::Big => BaseType::BigInt,
        }
    }

    /// The keyword that creates a column of this kind.
    pub fn keyword(base: &BaseType) -> Option<&'static str> {
        match base {
            BaseType::SmallInt => Some("smallserial"),
            BaseType::Integer => Some("serial"),
            BaseType::BigInt => Some("bigserial"),
            _ => None,
        }
    }
}

/// Why a type spelling was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeError {
    Syntax(String),
    /// A name that is not a built-in type; the caller decides whether it names a declared type.
    Unknown(Vec<String>),
}

impl DataType {
    pub fn new(base: BaseType) -> Self {
        Self { base, array: false }
    }

    /// Parses a type as PostgreSQL spells it. Names that are not built-in types are returned as
    /// [`TypeError::Unknown`] with their parts, for the caller to resolve against declared types.
    pub fn parse(text: &str) -> Result<DataType, TypeError> {
        // A schema spells its types a handful of ways across thousands of columns (and the
        // catalog's format_type() spells each column's type): each spelling is parsed once.
        thread_local! {
            static SEEN: super::Memo<Result<DataType, TypeError>> = Default::default();
        }
        super::memoized(&SEEN, text, Self::parse_uncached)
    }

    fn parse_uncached(text: &str) -> Result<DataType, TypeError> {
        if let Some(t) = opaque(text) {
            return Ok(t);
        }
        let dialect = PostgreSqlDialect {};
        let mut parser = Parser::new(&dialect)
            .try_with_sql(text)
            .map_err(|e| TypeError::Syntax(clean_parser_error(&e.to_string())))?;
        let parsed = parser
            .parse_data_type()
            .map_err(|e| TypeError::Syntax(clean_parser_error(&e.to_string())))?;
        let next = parser.peek_token().token;
        if next != Token::EOF {
            return Err(TypeError::Syntax(format!(
                "unexpected `{next}` after the type"
            )));
        }
        from_ast(&parsed)
    }

    /// A type as the catalog's `format_type()` spells it: modelled when [`DataType::parse`] reads
    /// it, otherwise carried as [`BaseType::Opaque`] by that spelling, so that one column of a type
    /// tableform does not know never stops reading the database.
    pub fn from_catalog(formatted: &str) -> DataType {
        if let Ok(t) = DataType::parse(formatted) {
            return t;
        }
        // format_type() spells an array type with `[]`; `int2vector`, an array-like type of the
        // catalog, is not one.
        let text = formatted.trim_end();
        let (base, array) = match text.strip_suffix("[]") {
            Some(b) => (b, true),
            None => (text, false),
        };
        DataType {
            base: BaseType::Opaque(base.to_string()),
            array,
        }
    }

    /// Converts a type sqlparser already parsed (a cast's target type, for example).
    pub fn from_sqlparser(t: &ast::DataType) -> Result<DataType, TypeError> {
        from_ast(t)
    }

    /// Whether values of `self` always fit `to` unchanged, so that changing the column type loses
    /// nothing (e.g. `varchar(20)` -> `varchar(50)` or `text`, `integer` -> `bigint`).
    /// The `USING` expression that converts `column` (an SQL identifier) from this type to `to`:
    /// an enum goes through its text, as PostgreSQL has no cast from one enum to another.
    pub fn conversion(&self, column: &str, to: &DataType) -> String {
        if matches!(self.base, BaseType::Named(_)) && !self.array {
            format!("{column}::text::{to}")
        } else {
            format!("{column}::{to}")
        }
    }

    pub fn widens_to(&self, to: &DataType) -> bool {
        if self.array != to.array {
            return false;
        }
        use BaseType::*;
        match (&self.base, &to.base) {
            (Varchar(Some(a)), Varchar(Some(b))) => a <= b,
            (Varchar(_), Varchar(None)) | (Varchar(_), Text) => true,
            (Char(_), Text) | (Char(_), Varchar(None)) => false, // trailing blanks are trimmed
            (SmallInt, Integer) | (SmallInt, BigInt) | (Integer, BigInt) => true,
            (Numeric(Some((p1, s1))), Numeric(Some((p2, s2)))) => s1 == s2 && p1 <= p2,
            (Numeric(Some(_)), Numeric(None)) => true,
            (Real, Double) => false, // float4 -> float8 changes the decimal rendering of values
            (
                Timestamp {
                    precision: a,
                    tz: t1,
                },
                Timestamp {
                    precision: b,
                    tz: t2,
                },
            ) => t1 == t2 && precision_widens(*a, *b),
            (VarBit(Some(a)), VarBit(Some(b))) => a <= b,
            (VarBit(_), VarBit(None)) => true,
            _ => false,
        }
    }

    /// Whether changing to `to` needs PostgreSQL to rewrite every row (as opposed to a catalog-only
    /// change such as lengthening a varchar).
    pub fn change_rewrites(&self, to: &DataType) -> bool {
        use BaseType::*;
        !matches!(
            (&self.base, &to.base),
            (Varchar(_), Varchar(_))
                | (Varchar(_), Text)
                | (Numeric(_), Numeric(_))
                | (VarBit(_), VarBit(_))
                | (Timestamp { .. }, Timestamp { .. })
        )
    }

    pub fn is_numeric(&self) -> bool {
        use BaseType::*;
        !self.array
            && matches!(
                self.base,
                SmallInt | Integer | BigInt | Numeric(_) | Real | Double | Money
            )
    }
}

/// PostgreSQL's own types that tableform does not model but accepts by name (as [`BaseType::Opaque`]),
/// in `format_type()` spelling. Any other type of `pg_catalog` can be written qualified
/// (`pg_catalog.gtsvector`), and one the catalog reports is carried whatever it is.
pub const OPAQUE_BUILTINS: &[&str] = &[
    "\"char\"",
    "aclitem",
    "box",
    "cid",
    "circle",
    "datemultirange",
    "daterange",
    "int4multirange",
    "int4range",
    "int8multirange",
    "int8range",
    "jsonpath",
    "line",
    "lseg",
    "macaddr8",
    "name",
    "nummultirange",
    "numrange",
    "oid",
    "path",
    "pg_lsn",
    "pg_snapshot",
    "point",
    "polygon",
    "refcursor",
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
    "regtype",
    "tid",
    "tsmultirange",
    "tsquery",
    "tsrange",
    "tstzmultirange",
    "tstzrange",
    "txid_snapshot",
    "xid",
    "xid8",
];

/// The field restrictions `interval` takes, as `format_type()` spells them.
const INTERVAL_FIELDS: &[&str] = &[
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "year to month",
    "day to hour",
    "day to minute",
    "day to second",
    "hour to minute",
    "hour to second",
    "minute to second",
];

/// Whether `base` (lower case, single spaces, no space before `(`) is an unmodelled built-in type
/// in `format_type()` spelling: a name of [`OPAQUE_BUILTINS`] or an `interval` with fields or a
/// precision.
fn known_opaque(base: &str) -> bool {
    if OPAQUE_BUILTINS.contains(&base) {
        return true;
    }
    let Some(rest) = base.strip_prefix("interval") else {
        return false;
    };
    let precision = |s: &str| {
        s.strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .is_some_and(|d| !d.is_empty() && d.len() <= 4 && d.bytes().all(|b| b.is_ascii_digit()))
    };
    if rest.starts_with('(') {
        return precision(rest);
    }
    let Some(fields) = rest.strip_prefix(' ') else {
        return false;
    };
    let (fields, p) = match fields.find('(') {
        Some(i) => (&fields[..i], Some(&fields[i..])),
        None => (fields, None),
    };
    INTERVAL_FIELDS.contains(&fields)
        && match p {
            None => true,
            Some(p) => fields.ends_with("second") && precision(p),
        }
}

/// Lower case outside double quotes, one space between words, none around parentheses and
/// commas.
fn squeeze(text: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut space = false;
    for c in text.trim().chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && c.is_whitespace() {
            space = true;
            continue;
        }
        let glue = matches!(c, '(' | ')' | ',' | '[' | ']') || out.ends_with(['(', ',', '[']);
        if space && !glue && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(if quoted || c == '"' {
            vec![c]
        } else {
            c.to_lowercase().collect()
        });
    }
    out
}

/// A spelling of an unmodelled built-in type (`point`, `int4range[]`, `INTERVAL SECOND (0)`,
/// `pg_catalog.tstzrange`), as [`BaseType::Opaque`] in `format_type()` spelling.
fn opaque(text: &str) -> Option<DataType> {
    let mut s = squeeze(text);
    let mut array = false;
    while let Some(rest) = s.strip_suffix(']') {
        let open = rest.rfind('[')?;
        if !rest[open + 1..].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s = rest[..open].to_string();
        array = true;
    }
    let base = s.strip_prefix("pg_catalog.").unwrap_or(&s);
    known_opaque(base).then(|| DataType {
        base: BaseType::Opaque(base.to_string()),
        array,
    })
}

fn precision_widens(from: Option<u32>, to: Option<u32>) -> bool {
    // No precision means 6, the maximum.
    from.unwrap_or(6) <= to.unwrap_or(6)
}

/// sqlparser errors read "sql parser error: Expected: ..., found: ..."; keep the useful part.
pub fn clean_parser_error(msg: &str) -> String {
    let msg = msg.strip_prefix("sql parser error: ").unwrap_or(msg);
    // Positions refer to the snippet, not the file; the caller points at the snippet.
    match msg.find(" at Line: ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// A modifier as written, saturated (so that an absurd one is reported as out of range rather
/// than wrapped around into a valid one).
fn sat(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn sat_i(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

fn len_of(len: &Option<CharacterLength>) -> Option<u32> {
    match len {
        Some(CharacterLength::IntegerLength { length, .. }) => Some(sat(*length)),
        _ => None,
    }
}

fn tz_of(tz: &TimezoneInfo) -> bool {
    matches!(tz, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz)
}

fn numeric_of(info: &ExactNumberInfo) -> BaseType {
    match info {
        ExactNumberInfo::None => BaseType::Numeric(None),
        ExactNumberInfo::Precision(p) => BaseType::Numeric(Some((sat(*p), 0))),
        ExactNumberInfo::PrecisionAndScale(p, s) => BaseType::Numeric(Some((sat(*p), sat_i(*s)))),
    }
}

fn from_ast(t: &ast::DataType) -> Result<DataType, TypeError> {
    use ast::DataType as A;
    let base = match t {
        A::Array(def) => {
            let inner = match def {
                ast::ArrayElemTypeDef::SquareBracket(inner, _)
                | ast::ArrayElemTypeDef::AngleBracket(inner)
                | ast::ArrayElemTypeDef::Parenthesis(inner) => inner,
                ast::ArrayElemTypeDef::None | ast::ArrayElemTypeDef::Qualified(..) => {
                    return Err(TypeError::Syntax("array of what?".into()));
                }
            };
            let mut dt = from_ast(inner)?;
            dt.array = true;
            return Ok(dt);
        }
        A::SmallInt(_) | A::Int2(_) => BaseType::SmallInt,
        A::Int(_) | A::Integer(_) | A::Int4(_) => BaseType::Integer,
        A::BigInt(_) | A::Int8(_) => BaseType::BigInt,
        A::Numeric(i) | A::Decimal(i) | A::Dec(i) => numeric_of(i),
        A::Real | A::Float4 => BaseType::Real,
        A::Float8 | A::DoublePrecision | A::Double(ExactNumberInfo::None) => BaseType::Double,
        // float(p): PostgreSQL's grammar maps p <= 24 to real, 25..53 to double precision.
        A::Float(ExactNumberInfo::None) => BaseType::Double,
        A::Float(ExactNumberInfo::Precision(p)) if (1..=24).contains(p) => BaseType::Real,
        A::Float(ExactNumberInfo::Precision(p)) if (25..=53).contains(p) => BaseType::Double,
        A::Varchar(l) | A::CharacterVarying(l) | A::CharVarying(l) => BaseType::Varchar(len_of(l)),
        A::Char(l) | A::Character(l) => BaseType::Char(len_of(l).unwrap_or(1)),
        A::Text => BaseType::Text,
        A::Bytea => BaseType::Bytea,
        A::Bool | A::Boolean => BaseType::Boolean,
        A::Date => BaseType::Date,
        A::Time(p, tz) => BaseType::Time {
            precision: p.map(sat),
            tz: tz_of(tz),
        },
        A::Timestamp(p, tz) => BaseType::Timestamp {
            precision: p.map(sat),
            tz: tz_of(tz),
        },
        A::Interval {
            fields: None,
            precision: None,
        } => BaseType::Interval,
        A::Uuid => BaseType::Uuid,
        A::JSON => BaseType::Json,
        A::JSONB => BaseType::Jsonb,
        A::Bit(n) => BaseType::Bit(Some(n.map(sat).unwrap_or(1))),
        A::BitVarying(n) | A::VarBit(n) => BaseType::VarBit(n.map(sat)),
        A::TsVector => BaseType::TsVector,
        A::Custom(name, mods) => return custom(name, mods),
        other => {
            return Err(TypeError::Syntax(format!(
                "`{other}` is not a PostgreSQL column type tableform supports"
            )));
        }
    };
    Ok(DataType::new(base))
}

/// Types sqlparser leaves as plain names.
fn custom(name: &ast::ObjectName, mods: &[String]) -> Result<DataType, TypeError> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p.as_ident() {
            Some(id) if id.quote_style.is_some() => id.value.clone(),
            Some(id) => id.value.to_lowercase(),
            None => p.to_string(),
        })
        .collect();
    let unqualified = parts.len() == 1 || (parts.len() == 2 && parts[0] == "pg_catalog");
    let last = parts.last().map(String::as_str).unwrap_or("");
    let int_mod = |i: usize| mods.get(i).and_then(|m| m.parse::<u32>().ok());
    let base = match (unqualified, last) {
        (true, "int" | "int4" | "integer") => BaseType::Integer,
        (true, "int2" | "smallint") => BaseType::SmallInt,
        (true, "int8" | "bigint") => BaseType::BigInt,
        (true, "float4") => BaseType::Real,
        (true, "float8") => BaseType::Double,
        (true, "money") => BaseType::Money,
        (true, "bpchar") => BaseType::Char(int_mod(0).unwrap_or(1)),
        (true, "timestamptz") => BaseType::Timestamp {
            precision: int_mod(0),
            tz: true,
        },
        (true, "timetz") => BaseType::Time {
            precision: int_mod(0),
            tz: true,
        },
        (true, "bool") => BaseType::Boolean,
        (true, "xml") => BaseType::Xml,
        (true, "inet") => BaseType::Inet,
        (true, "cidr") => BaseType::Cidr,
        (true, "macaddr") => BaseType::MacAddr,
        (true, "interval") if mods.is_empty() => BaseType::Interval,
        (true, "tsvector") => BaseType::TsVector,
        (true, "varbit") => BaseType::VarBit(int_mod(0)),
        (true, n) if mods.is_empty() && OPAQUE_BUILTINS.contains(&n) => BaseType::Opaque(n.into()),
        // Any other type of PostgreSQL's own, written qualified.
        (true, n) if parts.len() == 2 && mods.is_empty() => BaseType::Opaque(n.into()),
        _ => {
            if !mods.is_empty() {
                return Err(TypeError::Syntax(format!(
                    "type modifiers are not supported on `{}`",
                    parts.join(".")
                )));
            }
            return Err(TypeError::Unknown(parts));
        }
    };
    Ok(DataType::new(base))
}

impl fmt::Display for BaseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BaseType::*;
        let prec = |p: &Option<u32>| p.map(|p| format!("({p})")).unwrap_or_default();
        let zone = |tz: bool| {
            if tz {
                "with time zone"
            } else {
                "without time zone"
            }
        };
        match self {
            SmallInt => f.write_str("smallint"),
            Integer => f.write_str("integer"),
            BigInt => f.write_str("bigint"),
            Numeric(None) => f.write_str("numeric"),
            Numeric(Some((p, s))) => write!(f, "numeric({p},{s})"),
            Real => f.write_str("real"),
            Double => f.write_str("double precision"),
            Money => f.write_str("money"),
            Varchar(n) => write!(f, "character varying{}", prec(n)),
            Char(n) => write!(f, "character({n})"),
            Text => f.write_str("text"),
            Bytea => f.write_str("bytea"),
            Boolean => f.write_str("boolean"),
            Date => f.write_str("date"),
            Time { precision, tz } => write!(f, "time{} {}", prec(precision), zone(*tz)),
            Timestamp { precision, tz } => {
                write!(f, "timestamp{} {}", prec(precision), zone(*tz))
            }
            Interval => f.write_str("interval"),
            Uuid => f.write_str("uuid"),
            Json => f.write_str("json"),
            Jsonb => f.write_str("jsonb"),
            Xml => f.write_str("xml"),
            Inet => f.write_str("inet"),
            Cidr => f.write_str("cidr"),
            MacAddr => f.write_str("macaddr"),
            TsVector => f.write_str("tsvector"),
            Bit(n) => write!(f, "bit{}", prec(n)),
            VarBit(n) => write!(f, "bit varying{}", prec(n)),
            Opaque(text) if known_opaque(text) || !plain_name(text) => f.write_str(text),
            // Qualified, so that it reads back as this type and not a `public` one.
            Opaque(text) => write!(f, "pg_catalog.{text}"),
            Named(q) => {
                if q.schema == "public" {
                    f.write_str(&quote_ident(&q.name))
                } else {
                    f.write_str(&q.sql())
                }
            }
        }
    }
}

fn plain_name(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl From<DataType> for String {
    fn from(t: DataType) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for DataType {
    type Error = String;

    /// Reads back what `Display` wrote; a name that is not built in is a type in the database.
    fn try_from(s: String) -> Result<Self, String> {
        match DataType::parse(&s) {
            Ok(t) => Ok(t),
            Err(TypeError::Unknown(parts)) => {
                let name = match parts.as_slice() {
                    [n] => QualName::new("public", n.clone()),
                    [schema, n] => QualName::new(schema.clone(), n.clone()),
                    _ => return Err(format!("cannot read type `{s}`")),
                };
                Ok(DataType {
                    base: BaseType::Named(name),
                    array: s.trim_end().ends_with(']'),
                })
            }
            Err(TypeError::Syntax(m)) => Err(format!("cannot read type `{s}`: {m}")),
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.base, if self.array { "[]" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        DataType::parse(s).unwrap().to_string()
    }

    #[test]
    fn aliases_share_one_form() {
        assert_eq!(canon("int4"), "integer");
        assert_eq!(canon("INT"), "integer");
        assert_eq!(canon("varchar"), "character varying");
        assert_eq!(canon("VARCHAR(36)"), "character varying(36)");
        assert_eq!(canon("float"), "double precision");
        assert_eq!(canon("float(10)"), "real");
        assert_eq!(canon("timestamptz"), "timestamp with time zone");
        assert_eq!(
            canon("timestamp(3) without time zone"),
            "timestamp(3) without time zone"
        );
        assert_eq!(canon("decimal(10,2)"), "numeric(10,2)");
        assert_eq!(canon("char"), "character(1)");
        assert_eq!(canon("text[]"), "text[]");
        assert_eq!(canon("int[][]"), "integer[]");
        assert_eq!(canon("character varying(36)[]"), "character varying(36)[]");
        assert_eq!(canon("bool"), "boolean");
    }

    #[test]
    fn unknown_names_are_left_to_the_caller() {
        assert_eq!(
            DataType::parse("mood"),
            Err(TypeError::Unknown(vec!["mood".into()]))
        );
        assert!(matches!(
            DataType::parse("varchar(("),
            Err(TypeError::Syntax(_))
        ));
        assert!(matches!(
            DataType::parse("int extra"),
            Err(TypeError::Syntax(_))
        ));
    }

    #[test]
    fn unmodelled_built_in_types_are_opaque_in_format_type_spelling() {
        assert_eq!(canon("POINT"), "point");
        assert_eq!(canon("pg_catalog.tstzrange"), "tstzrange");
        assert_eq!(canon("int4range[]"), "int4range[]");
        assert_eq!(canon("INTERVAL  SECOND (0)"), "interval second(0)");
        assert_eq!(
            canon("interval day to second(3)"),
            "interval day to second(3)"
        );
        assert_eq!(canon("interval(2)"), "interval(2)");
        assert_eq!(canon("interval"), "interval");
        assert_eq!(canon("\"char\""), "\"char\"");
        assert_eq!(canon("pg_catalog.gtsvector"), "pg_catalog.gtsvector");
        assert!(DataType::parse("interval second to day").is_err());
        assert!(DataType::parse("point(3)").is_err());
        for text in [
            "point",
            "int4range[]",
            "interval second(0)",
            "int2vector",
            "pg_lsn",
        ] {
            let t = DataType::from_catalog(text);
            assert!(matches!(t.base, BaseType::Opaque(_)), "{text}");
            // what plan files and JSON hold reads back as the same type
            assert_eq!(DataType::try_from(String::from(t.clone())), Ok(t));
        }
        assert_eq!(
            DataType::from_catalog("int2vector").to_string(),
            "pg_catalog.int2vector"
        );
        assert_eq!(
            DataType::from_catalog("integer[]"),
            DataType::parse("int[]").unwrap()
        );
    }

    #[test]
    fn widening() {
        let t = |s: &str| DataType::parse(s).unwrap();
        assert!(t("varchar(10)").widens_to(&t("varchar(20)")));
        assert!(t("varchar(10)").widens_to(&t("text")));
        assert!(!t("varchar(20)").widens_to(&t("varchar(10)")));
        assert!(t("integer").widens_to(&t("bigint")));
        assert!(!t("bigint").widens_to(&t("integer")));
        assert!(!t("text").widens_to(&t("integer")));
    }
}
