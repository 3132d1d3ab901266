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

    /// Converts a type sqlparser already parsed (a cast's target type, for example).
    pub fn from_sqlparser(t: &ast::DataType) -> Result<DataType, TypeError> {
        from_ast(t)
    }

    /// Whether values of `self` always fit `to` unchanged, so that changing the column type loses
    /// nothing (e.g. `varchar(20)` -> `varchar(50)` or `text`, `integer` -> `bigint`).
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

fn len_of(len: &Option<CharacterLength>) -> Option<u32> {
    match len {
        Some(CharacterLength::IntegerLength { length, .. }) => Some(*length as u32),
        _ => None,
    }
}

fn tz_of(tz: &TimezoneInfo) -> bool {
    matches!(tz, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz)
}

fn numeric_of(info: &ExactNumberInfo) -> BaseType {
    match info {
        ExactNumberInfo::None => BaseType::Numeric(None),
        ExactNumberInfo::Precision(p) => BaseType::Numeric(Some((*p as u32, 0))),
        ExactNumberInfo::PrecisionAndScale(p, s) => BaseType::Numeric(Some((*p as u32, *s as i32))),
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
            precision: p.map(|p| p as u32),
            tz: tz_of(tz),
        },
        A::Timestamp(p, tz) => BaseType::Timestamp {
            precision: p.map(|p| p as u32),
            tz: tz_of(tz),
        },
        A::Interval {
            fields: None,
            precision: None,
        } => BaseType::Interval,
        A::Uuid => BaseType::Uuid,
        A::JSON => BaseType::Json,
        A::JSONB => BaseType::Jsonb,
        A::Bit(n) => BaseType::Bit(Some(n.map(|n| n as u32).unwrap_or(1))),
        A::BitVarying(n) | A::VarBit(n) => BaseType::VarBit(n.map(|n| n as u32)),
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
