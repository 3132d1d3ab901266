//! Model -> TOML text, built as `toml_edit` documents and laid out by the formatter of
//! `tableform fmt` (`load::fmt`), so the format has one writer.

use std::collections::{BTreeMap, BTreeSet};

use sha2::Digest;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table as TomlTable, Value};

use crate::kinds::extension::Extension;
use crate::kinds::function::{ArgMode, Parallel, Returns, Routine, RoutineKind, Volatility};
use crate::kinds::privilege::{On, Target};
use crate::kinds::trigger::{Trigger, TriggerEnabled, TriggerEvent, TriggerLevel, TriggerTiming};
use crate::model::names;
use crate::model::types::Serial;
use crate::model::{
    ColumnDefault, EnumType, FkAction, FkMatch, ForeignKey, Identity, Index, IndexPart, QualName,
    Schema, Sequence, SqlExpr, Table,
};

/// Every file of the declaration, by file name: one per table, one for the enum types and one
/// for the sequences of each PostgreSQL schema.
///
/// No two files share a name, even on a case-insensitive file system: the enum and sequence
/// files keep their names, and tables whose names map to one file name (`"a b"` and `a_b`,
/// `Users` and `users`, a table named `_enums`) get a suffix derived from their exact name,
/// except the one whose name the file name spells exactly.
/// The file holding the imported `[settings]`.
pub const SETTINGS_FILE: &str = "_settings.toml";

pub fn render_files(schema: &Schema) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut enums: BTreeMap<&str, Vec<&EnumType>> = BTreeMap::new();
    for e in schema.enums.values() {
        enums.entry(&e.name.schema).or_default().push(e);
    }
    for (ns, list) in enums {
        let name = if ns == "public" {
            "_enums.toml".to_string()
        } else {
            format!("{}._enums.toml", file_part(ns))
        };
        let mut doc = DocumentMut::new();
        for e in list {
            enum_type(&mut doc, e, schema);
        }
        files.insert(name, finish(doc));
    }
    // Domains and composite types, one file per schema.
    let mut types: BTreeMap<&str, DocumentMut> = BTreeMap::new();
    for d in schema.domains.values() {
        domain(types.entry(&d.name.schema).or_default(), d, schema);
    }
    for c in schema.composites.values() {
        composite(types.entry(&c.name.schema).or_default(), c, schema);
    }
    for (ns, doc) in types {
        let name = if ns == "public" {
            "_types.toml".to_string()
        } else {
            format!("{}._types.toml", file_part(ns))
        };
        files.insert(name, finish(doc));
    }
    let mut seqs: BTreeMap<&str, Vec<&Sequence>> = BTreeMap::new();
    for s in schema.sequences.values() {
        seqs.entry(&s.name.schema).or_default().push(s);
    }
    for (ns, list) in seqs {
        let name = if ns == "public" {
            "_sequences.toml".to_string()
        } else {
            format!("{}._sequences.toml", file_part(ns))
        };
        let mut doc = DocumentMut::new();
        for s in list {
            sequence(&mut doc, s, schema);
        }
        files.insert(name, finish(doc));
    }
    // Views and materialized views, one file per schema.
    let mut views: BTreeMap<&str, DocumentMut> = BTreeMap::new();
    for v in schema.views.values() {
        view(views.entry(&v.name.schema).or_default(), v, schema);
    }
    for m in schema.materialized_views.values() {
        materialized_view(views.entry(&m.name.schema).or_default(), m, schema);
    }
    for (ns, doc) in views {
        let name = if ns == "public" {
            "_views.toml".to_string()
        } else {
            format!("{}._views.toml", file_part(ns))
        };
        files.insert(name, finish(doc));
    }
    let mut exts = DocumentMut::new();
    // Only the extensions of the imported schemas: one elsewhere is not in scope.
    for e in (schema.extensions.values())
        .filter(|e| e.schema.as_ref().is_none_or(|s| schema.schemas.contains(s)))
    {
        extension(&mut exts, e);
    }
    if !exts.is_empty() {
        files.insert("_extensions.toml".to_string(), finish(exts));
    }
    let mut routines: BTreeMap<&str, Vec<&Routine>> = BTreeMap::new();
    for r in schema.functions.values() {
        routines.entry(&r.name.schema).or_default().push(r);
    }
    for (ns, list) in routines {
        let name = if ns == "public" {
            "_functions.toml".to_string()
        } else {
            format!("{}._functions.toml", file_part(ns))
        };
        files.insert(name, finish(functions(&list, schema)));
    }
    // The schemas it was imported from, even those holding nothing tableform declares: the
    // declaration manages exactly them, and a database without tables still gets a folder that
    // loads and plans (an empty database round-trips like any other).
    let mut settings = TomlTable::new();
    settings.insert("schemas", Item::Value(strings(&schema.schemas)));
    if !schema.privileges.roles.is_empty() {
        settings.insert("roles", Item::Value(strings(&schema.privileges.roles)));
    }
    if let Some(doc) = default_privileges(schema) {
        files.insert("_privileges.toml".to_string(), finish(doc));
    }
    let mut doc = DocumentMut::new();
    doc.insert("settings", Item::Table(settings));
    files.insert(SETTINGS_FILE.to_string(), finish(doc));
    if let Some(doc) = schema_sections(schema) {
        files.insert("_schemas.toml".to_string(), finish(doc));
    }
    let reserved: BTreeSet<String> = files.keys().map(|f| f.to_lowercase()).collect();
    for (name, t) in table_file_names(schema.tables.values(), &reserved) {
        let mut doc = DocumentMut::new();
        table(&mut doc, t, schema);
        files.insert(name, finish(doc));
    }
    files
}

/// `[schema.NAME]` with its comment, for each schema that has one (other than `public`'s stock
/// comment), and for each schema other than `public` that holds nothing else the declaration
/// carries: without it, that schema would not be created from the declaration.
fn schema_sections(schema: &Schema) -> Option<DocumentMut> {
    let used: BTreeSet<&str> = (schema.tables.keys())
        .chain(schema.enums.keys())
        .chain(schema.domains.keys())
        .chain(schema.composites.keys())
        .chain(schema.sequences.keys())
        .chain(schema.functions.keys().map(|k| &k.name))
        .map(|q| q.schema.as_str())
        .collect();
    let names: BTreeSet<&String> = (schema.schemas.iter())
        .chain(schema.schema_comments.keys())
        .collect();
    let mut doc = DocumentMut::new();
    let mut any = false;
    for s in names {
        let comment = (schema.schema_comments.get(s).cloned().flatten())
            .filter(|c| !(s == "public" && c == crate::model::STOCK_PUBLIC_COMMENT));
        let target = Target::schema(s);
        let acl = schema.privileges.declared(&target) != (None, None);
        if comment.is_none() && !acl && (s == "public" || used.contains(s.as_str())) {
            continue;
        }
        // Declared for its privileges, `public` keeps its stock comment (a declared schema's
        // comment is managed).
        let comment = comment.or_else(|| {
            (acl && s == "public")
                .then(|| schema.schema_comments.get(s).cloned().flatten())
                .flatten()
        });
        let t = section(&mut doc, "schema", s);
        if let Some(c) = comment {
            t.insert("comment", Item::Value(text(&c)));
        }
        privileges(t, schema, &target);
        any = true;
    }
    any.then_some(doc)
}

/// One distinct file name per table (compared case-insensitively), none of them in `reserved`.
fn table_file_names<'a>(
    tables: impl Iterator<Item = &'a Table>,
    reserved: &BTreeSet<String>,
) -> Vec<(String, &'a Table)> {
    let mut groups: BTreeMap<String, Vec<&Table>> = BTreeMap::new();
    for t in tables {
        groups
            .entry(file_name(&t.name).to_lowercase())
            .or_default()
            .push(t);
    }
    let mut taken = reserved.clone();
    // Plain names first, so that a suffixed name can never take one.
    let mut plain: BTreeSet<QualName> = BTreeSet::new();
    for (key, list) in &groups {
        if reserved.contains(key) {
            continue;
        }
        let owner = match list.as_slice() {
            [only] => Some(*only),
            _ => list
                .iter()
                .copied()
                .find(|t| file_name(&t.name) == *key && lossless(&t.name)),
        };
        if let Some(t) = owner {
            plain.insert(t.name.clone());
            taken.insert(key.clone());
        }
    }
    let mut out = Vec::new();
    for list in groups.values() {
        for t in list {
            if plain.contains(&t.name) {
                out.push((file_name(&t.name), *t));
                continue;
            }
            let full = file_name(&t.name);
            let stem = full.strip_suffix(".toml").unwrap_or(&full);
            let digest = hex::encode(sha2::Sha256::digest(
                format!("{}\0{}", t.name.schema, t.name.name).as_bytes(),
            ));
            let name = (8..=digest.len())
                .step_by(8)
                .map(|n| format!("{stem}-{}.toml", &digest[..n]))
                .find(|n| !taken.contains(&n.to_lowercase()))
                .expect("a full SHA-256 of a distinct name is a distinct file name");
            taken.insert(name.to_lowercase());
            out.push((name, *t));
        }
    }
    out
}

/// Whether the file name spells the table's name exactly (no character was replaced).
fn lossless(t: &QualName) -> bool {
    file_part(&t.name) == t.name && (t.schema == "public" || file_part(&t.schema) == t.schema)
}

/// `users.toml`, `billing.invoices.toml`; characters unsafe in file names become `_`.
pub fn file_name(t: &QualName) -> String {
    if t.schema == "public" {
        format!("{}.toml", file_part(&t.name))
    } else {
        format!("{}.{}.toml", file_part(&t.schema), file_part(&t.name))
    }
}

fn file_part(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "_".into()
    } else {
        cleaned
    }
}

/// The document's text in the canonical layout of `tableform fmt`.
fn finish(doc: DocumentMut) -> String {
    let text = doc.to_string();
    crate::load::fmt::format(&text).unwrap_or(text)
}

/// The implicit `[KIND]` table of `doc` that holds its `[KIND.NAME]` sections.
fn kind_table<'d>(doc: &'d mut DocumentMut, kind: &str) -> &'d mut TomlTable {
    doc.entry(kind)
        .or_insert_with(|| {
            let mut t = TomlTable::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .expect("a section kind is a table")
}

/// `[KIND.NAME]` in `doc` (after a blank line, unless it is the first), empty.
fn section<'d>(doc: &'d mut DocumentMut, kind: &str, name: &str) -> &'d mut TomlTable {
    let first = doc.is_empty();
    let kinds = kind_table(doc, kind);
    let mut t = TomlTable::new();
    if !first {
        t.decor_mut().set_prefix("\n");
    }
    kinds.insert(name, Item::Table(t));
    kinds[name].as_table_mut().expect("just inserted")
}

/// A string value, always a basic string on one line (`"..."` with escapes; TOML's basic-string
/// escapes are JSON's) where toml_edit would pick a literal or multi-line string (for a quote or
/// a line break): the spelling the files have always had, and one that reads well inside an
/// inline table.
fn text(s: &str) -> Value {
    let v = Value::from(s);
    let repr = v.to_string();
    if repr.trim_start().starts_with('"') && !repr.contains("\"\"\"") {
        return v;
    }
    serde_json::to_string(s)
        .ok()
        .and_then(|e| e.parse::<Value>().ok())
        .unwrap_or(v)
}

/// Every string through [`text`].
fn strings<S: AsRef<str>>(list: impl IntoIterator<Item = S>) -> Value {
    Value::Array(
        list.into_iter()
            .map(|s| text(s.as_ref()))
            .collect::<Array>(),
    )
}

/// An inline table of `(key, value)` pairs, in that order.
fn inline(pairs: Vec<(&str, Value)>) -> Value {
    let mut t = InlineTable::new();
    for (k, v) in pairs {
        t.insert(k, v);
    }
    Value::InlineTable(t)
}

/// A default in the spelling a person would write: `'active'` rather than
/// `'active'::character varying` when the cast only restates the column's type.
fn natural(e: &SqlExpr, ty: &crate::model::DataType) -> String {
    literal_forms(&e.sql, ty)
        .into_iter()
        .next()
        .unwrap_or_else(|| e.sql.clone())
}

/// Shorter spellings of a typed literal that PostgreSQL stores exactly as it is now, so that a
/// declaration written by import gives the same catalog (and `pg_dump`) when applied:
/// `'x'::t` -> `'x'` only when `t` is the column's type without its modifiers (an untyped
/// literal takes the column's type, and `x` is already that type's output form), and
/// `'-1'::integer` -> `-1` only when `integer` is what the bare number is read as
/// (`'0'::double precision` stays: a bare `0` would be stored as the integer `0`).
fn literal_forms(sql: &str, column: &crate::model::DataType) -> Vec<String> {
    use crate::model::DataType;
    let Some((lit, cast)) = sql.rsplit_once("::") else {
        return Vec::new();
    };
    let (lit, Ok(cast)) = (lit.trim(), DataType::parse(cast.trim())) else {
        return Vec::new();
    };
    let Some(inner) = lit.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')) else {
        return Vec::new();
    };
    if inner.replace("''", "").contains('\'') {
        return Vec::new(); // more than one literal (`'a' || 'b'::text`)
    }
    // The bare number first: it is what people write.
    let mut out = Vec::new();
    if numeric_literal_type(inner).and_then(|t| DataType::parse(t).ok()) == Some(cast.clone()) {
        out.push(inner.to_string());
    }
    if unmodified(&cast.to_string()) == unmodified(&column.to_string()) {
        out.push(lit.to_string());
    }
    out
}

/// A type's spelling without its modifiers: `varchar(10)` -> `varchar`.
fn unmodified(ty: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in ty.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The type PostgreSQL gives a bare numeric literal: `integer` when it fits, then `bigint`, then
/// `numeric` (decimals and exponents too); `None` for anything that is not a number.
fn numeric_literal_type(text: &str) -> Option<&'static str> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(if text.parse::<i32>().is_ok() {
            "integer"
        } else if text.parse::<i64>().is_ok() {
            "bigint"
        } else {
            "numeric"
        });
    }
    let number = digits.bytes().all(|b| {
        b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'-' || b == b'+'
    });
    (number
        && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && text.parse::<f64>().is_ok())
    .then_some("numeric")
}

/// The spelling people write for a type (`varchar(36)`, `timestamp`, `timestamptz`); it parses
/// back to the same type as PostgreSQL's own spelling. A type of the database that is neither an
/// enum the import writes nor a well-known extension type is written qualified
/// (`public.vector`), as the loader only takes such names qualified.
fn familiar(ty: &crate::model::DataType, schema: &Schema) -> String {
    if let crate::model::BaseType::Named(q) = &ty.base
        && q.schema == "public"
        && !schema.enums.contains_key(q)
        && !schema.domains.contains_key(q)
        && !schema.composites.contains_key(q)
        && !crate::load::EXTENSION_TYPES.contains(&q.name.as_str())
    {
        return format!("{}{}", q.sql(), if ty.array { "[]" } else { "" });
    }
    let s = ty.to_string();
    let replacements = [
        ("character varying", "varchar"),
        ("timestamp without time zone", "timestamp"),
        ("timestamp with time zone", "timestamptz"),
        ("time without time zone", "time"),
        ("time with time zone", "timetz"),
    ];
    for (long, short) in replacements {
        if let Some(rest) = s.strip_prefix(long) {
            return format!("{short}{rest}");
        }
    }
    s
}

/// `start = 1000`, `increment = 5`...: the options that differ from the type's defaults (the
/// loader fills those in again).
fn option_keys(
    o: &crate::model::SequenceOptions,
    ty: &crate::model::DataType,
) -> Vec<(&'static str, Value)> {
    let d = crate::model::SequenceOptions::defaults(&ty.base, o.increment);
    let mut out: Vec<(&str, Value)> = Vec::new();
    if o.start != d.start {
        out.push(("start", o.start.into()));
    }
    if o.increment != 1 {
        out.push(("increment", o.increment.into()));
    }
    if o.min_value != d.min_value {
        out.push(("min_value", o.min_value.into()));
    }
    if o.max_value != d.max_value {
        out.push(("max_value", o.max_value.into()));
    }
    if o.cache != d.cache {
        out.push(("cache", o.cache.into()));
    }
    if o.cycle != d.cycle {
        out.push(("cycle", o.cycle.into()));
    }
    out
}

fn action(a: FkAction) -> &'static str {
    match a {
        FkAction::NoAction => "no action",
        FkAction::Restrict => "restrict",
        FkAction::Cascade => "cascade",
        FkAction::SetNull => "set null",
        FkAction::SetDefault => "set default",
    }
}

/// `users(id)` or `billing.customers(id)`, relative to `from`'s schema.
fn reference(from: &QualName, fk: &ForeignKey) -> String {
    let target = if fk.ref_table.schema == from.schema {
        fk.ref_table.name.clone()
    } else {
        format!("{}.{}", fk.ref_table.schema, fk.ref_table.name)
    };
    format!("{target}({})", fk.ref_columns.join(", "))
}

/// Whether the reference can be written in the `table(col, ...)` form and read back the same.
fn simple_reference(fk: &ForeignKey) -> bool {
    let plain = |s: &str| !s.is_empty() && !s.contains(['.', '(', ')', ',']) && s.trim() == s;
    plain(&fk.ref_table.schema)
        && plain(&fk.ref_table.name)
        && fk.ref_columns.iter().all(|c| plain(c))
}

fn table(doc: &mut DocumentMut, t: &Table, schema: &Schema) {
    let tname = t.name.name.as_str();
    let out = section(doc, "table", tname);
    if t.name.schema != "public" {
        out.insert("schema", Item::Value(text(&t.name.schema)));
    }
    if let Some(c) = &t.comment {
        out.insert("comment", Item::Value(text(c)));
    }
    if t.unlogged {
        out.insert("unlogged", Item::Value(true.into()));
    }
    if !t.with.is_empty() {
        out.insert("with", Item::Value(params(&t.with)));
    }
    if let Some(k) = &t.partition_by {
        out.insert("partition_by", Item::Value(text(k)));
    }
    if t.row_level_security {
        out.insert("row_level_security", Item::Value(true.into()));
    }
    if t.force_row_level_security {
        out.insert("force_row_level_security", Item::Value(true.into()));
    }
    privileges(out, schema, &Target::of(On::Table, t.name.clone()));
    // Single-column constraints with PostgreSQL's default names are written on their column.
    // (Those with a comment, or other properties a column cannot declare, are written in full.)
    let column_pk = t.primary_key.as_ref().filter(|pk| {
        pk.columns.len() == 1 && pk.name == names::primary_key_name(tname) && pk.comment.is_none()
    });
    let column_unique = |c: &str| {
        t.uniques.iter().any(|u| {
            u.columns == [c.to_string()]
                && u.name == names::unique_name(tname, &[c])
                && u.same_definition(&crate::model::Unique {
                    columns: u.columns.clone(),
                    ..Default::default()
                })
                && u.comment.is_none()
        })
    };
    let column_fk = |c: &str| {
        t.foreign_keys.iter().find(|f| {
            f.columns == [c.to_string()]
                && f.name == names::foreign_key_name(tname, &[c])
                && !f.deferrable
                && f.valid
                && f.match_type == FkMatch::Simple
                && f.comment.is_none()
                && simple_reference(f)
        })
    };
    let columns: Array = t
        .columns
        .iter()
        .map(|c| {
            let serial = match (&c.default, Serial::keyword(&c.ty.base)) {
                (Some(ColumnDefault::Serial { .. }), Some(kw)) if !c.ty.array => Some(kw),
                _ => None,
            };
            let ty = serial.map_or_else(|| familiar(&c.ty, schema), str::to_string);
            let mut fields: Vec<(&str, Value)> = vec![("name", text(&c.name)), ("type", text(&ty))];
            if column_pk.is_some_and(|pk| pk.columns[0] == c.name) {
                fields.push(("primary_key", true.into()));
            } else if !c.nullable && serial.is_none() && c.identity.is_none() {
                fields.push(("nullable", false.into()));
            }
            if let (Some(ColumnDefault::Expr(e)), None) = (&c.default, serial) {
                fields.push(("default", text(&natural(e, &c.ty))));
            }
            if let Some(kind) = c.identity {
                let generated = match kind {
                    Identity::Always => "always",
                    Identity::ByDefault => "by default",
                };
                fields.push((
                    "identity",
                    match c.identity_sequence {
                        None => generated.into(),
                        Some(o) => inline(
                            std::iter::once(("generated", generated.into()))
                                .chain(option_keys(&o, &c.ty))
                                .collect(),
                        ),
                    },
                ));
            }
            if column_unique(&c.name) {
                fields.push(("unique", true.into()));
            }
            if let Some(fk) = column_fk(&c.name) {
                fields.push(("references", text(&reference(&t.name, fk))));
                if fk.on_delete != FkAction::NoAction {
                    fields.push(("on_delete", action(fk.on_delete).into()));
                }
                if fk.on_update != FkAction::NoAction {
                    fields.push(("on_update", action(fk.on_update).into()));
                }
            }
            if let Some(k) = &c.collation {
                fields.push(("collation", text(k)));
            }
            if let Some(g) = &c.generated {
                fields.push(("generated", text(&strip_outer_parens(&g.sql))));
            }
            if let Some(cm) = &c.comment {
                fields.push(("comment", text(cm)));
            }
            if let (_, Some(a)) = schema
                .privileges
                .declared(&Target::column(&t.name, &c.name))
            {
                fields.push(("grants", grants(a, On::Table, true)));
            }
            inline(fields)
        })
        .collect();
    out.insert("columns", Item::Value(Value::Array(columns)));
    if let (Some(pk), None) = (&t.primary_key, column_pk) {
        let mut fields = vec![("name", text(&pk.name)), ("columns", strings(&pk.columns))];
        with_comment(&mut fields, &pk.comment);
        out.insert("primary_key", Item::Value(inline(fields)));
    }
    let uniques: Vec<Value> = t
        .uniques
        .iter()
        .filter(|u| !(u.columns.len() == 1 && column_unique(&u.columns[0])))
        .map(|u| {
            let mut parts = vec![("name", text(&u.name)), ("columns", strings(&u.columns))];
            if u.nulls_not_distinct {
                parts.push(("nulls_not_distinct", true.into()));
            }
            if u.initially_deferred {
                parts.push(("initially_deferred", true.into()));
            } else if u.deferrable {
                parts.push(("deferrable", true.into()));
            }
            if !u.include.is_empty() {
                parts.push(("include", strings(&u.include)));
            }
            if !u.with.is_empty() {
                parts.push(("with", params(&u.with)));
            }
            with_comment(&mut parts, &u.comment);
            inline(parts)
        })
        .collect();
    list(out, "unique", uniques);
    let fks: Vec<Value> = t
        .foreign_keys
        .iter()
        .filter(|f| {
            !(f.columns.len() == 1 && column_fk(&f.columns[0]).is_some_and(|c| c.name == f.name))
        })
        .map(|f| foreign_key(&t.name, f))
        .collect();
    list(out, "foreign_keys", fks);
    let checks: Vec<Value> = t
        .checks
        .iter()
        .map(|c| {
            let mut parts = vec![
                ("name", text(&c.name)),
                ("expression", text(&strip_outer_parens(&c.expr.sql))),
            ];
            if !c.valid {
                parts.push(("valid", false.into()));
            }
            if c.no_inherit {
                parts.push(("no_inherit", true.into()));
            }
            with_comment(&mut parts, &c.comment);
            inline(parts)
        })
        .collect();
    list(out, "checks", checks);
    list(out, "indexes", t.indexes.iter().map(index).collect());
    triggers(out, &t.triggers);
    list(
        out,
        "exclusions",
        t.exclusions.iter().map(exclusion).collect(),
    );
    list(out, "policies", t.policies.iter().map(policy).collect());
    list(
        out,
        "partitions",
        t.partitions.iter().map(partition).collect(),
    );
}

/// An exclusion constraint as declared: its name and what follows `EXCLUDE`.
fn exclusion(x: &crate::kinds::constraint::Exclusion) -> Value {
    let mut parts = vec![("name", text(&x.name)), ("exclude", text(&x.definition))];
    if x.initially_deferred {
        parts.push(("initially_deferred", true.into()));
    } else if x.deferrable {
        parts.push(("deferrable", true.into()));
    }
    with_comment(&mut parts, &x.comment);
    inline(parts)
}

/// A partition as declared: `values` (its bounds after `FOR VALUES`), or `default`.
fn partition(p: &crate::kinds::table::Partition) -> Value {
    let mut parts = vec![("name", text(&p.name))];
    match p.bound.strip_prefix("FOR VALUES ") {
        Some(v) => parts.push(("values", text(v))),
        None => parts.push(("default", true.into())),
    }
    inline(parts)
}

/// A policy as declared: only what differs from the defaults (`all`, permissive, `public`).
fn policy(p: &crate::kinds::policy::Policy) -> Value {
    use crate::kinds::policy::PolicyCommand;
    let mut parts = vec![("name", text(&p.name))];
    if p.command != PolicyCommand::All {
        parts.push(("command", text(&p.command.sql().to_lowercase())));
    }
    if !p.permissive {
        parts.push(("as", text("restrictive")));
    }
    if p.roles != ["public"] {
        parts.push(("roles", strings(&p.roles)));
    }
    if let Some(e) = &p.using {
        parts.push(("using", text(&strip_outer_parens(&e.sql))));
    }
    if let Some(e) = &p.with_check {
        parts.push(("with_check", text(&strip_outer_parens(&e.sql))));
    }
    with_comment(&mut parts, &p.comment);
    inline(parts)
}

/// `comment = "..."`, when there is one.
fn with_comment(parts: &mut Vec<(&str, Value)>, c: &Option<String>) {
    if let Some(c) = c {
        parts.push(("comment", text(c)));
    }
}

/// `(a > 0)` -> `a > 0`, only when the outer parentheses enclose the whole expression.
fn strip_outer_parens(sql: &str) -> String {
    let s = sql.trim();
    if !(s.starts_with('(') && s.ends_with(')')) {
        return s.to_string();
    }
    let inner = &s[1..s.len() - 1];
    let mut depth = 0i32;
    let mut quote = false;
    for c in inner.chars() {
        match c {
            '\'' => quote = !quote,
            '(' if !quote => depth += 1,
            ')' if !quote => {
                depth -= 1;
                if depth < 0 {
                    return s.to_string();
                }
            }
            _ => {}
        }
    }
    inner.to_string()
}

/// `KEY = [ ... ]`, unless there is nothing to list.
fn list(out: &mut TomlTable, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        out.insert(key, Item::Value(Value::Array(items.into_iter().collect())));
    }
}

fn foreign_key(from: &QualName, f: &ForeignKey) -> Value {
    let mut parts = vec![
        ("name", text(&f.name)),
        ("columns", strings(&f.columns)),
        ("references", text(&reference(from, f))),
    ];
    if f.on_delete != FkAction::NoAction {
        parts.push(("on_delete", action(f.on_delete).into()));
    }
    if f.on_update != FkAction::NoAction {
        parts.push(("on_update", action(f.on_update).into()));
    }
    if f.initially_deferred {
        parts.push(("initially_deferred", true.into()));
    } else if f.deferrable {
        parts.push(("deferrable", true.into()));
    }
    if f.match_type == FkMatch::Full {
        parts.push(("match", "full".into()));
    }
    if !f.valid {
        parts.push(("valid", false.into()));
    }
    with_comment(&mut parts, &f.comment);
    inline(parts)
}

fn index(i: &Index) -> Value {
    let keys: Vec<String> = i
        .keys
        .iter()
        .map(|k| match &k.part {
            // A bare column name is read back literally, whatever characters it holds.
            IndexPart::Column(c)
                if !k.descending
                    && k.nulls_first.is_none()
                    && k.collation.is_none()
                    && k.opclass.is_none() =>
            {
                c.clone()
            }
            _ => crate::plan::sql::index_key(k),
        })
        .collect();
    let mut parts = vec![("name", text(&i.name)), ("columns", strings(&keys))];
    if i.unique {
        parts.push(("unique", true.into()));
    }
    if let Some(p) = &i.predicate {
        parts.push(("where", text(&strip_outer_parens(&p.sql))));
    }
    if i.method != "btree" {
        parts.push(("method", text(&i.method)));
    }
    if !i.include.is_empty() {
        parts.push(("include", strings(&i.include)));
    }
    if !i.with.is_empty() {
        parts.push(("with", params(&i.with)));
    }
    if i.nulls_not_distinct {
        parts.push(("nulls_not_distinct", true.into()));
    }
    with_comment(&mut parts, &i.comment);
    inline(parts)
}

/// Storage parameters as an inline table: numbers and booleans bare, anything else a string.
fn params(w: &crate::model::StorageParams) -> Value {
    let mut t = InlineTable::new();
    for (k, v) in &w.0 {
        let bare = crate::model::StorageParams::bare(v)
            .then(|| v.parse::<Value>().ok())
            .flatten();
        t.insert(k, bare.unwrap_or_else(|| text(v)));
    }
    Value::InlineTable(t)
}

fn enum_type(doc: &mut DocumentMut, e: &EnumType, schema: &Schema) {
    let out = section(doc, "enum", &e.name.name);
    if e.name.schema != "public" {
        out.insert("schema", Item::Value(text(&e.name.schema)));
    }
    out.insert("values", Item::Value(strings(&e.values)));
    if let Some(c) = &e.comment {
        out.insert("comment", Item::Value(text(c)));
    }
    privileges(out, schema, &Target::of(On::Type, e.name.clone()));
}

/// `owner` and `grants` of an object, when the import declares them (see
/// [`crate::kinds::privilege::for_import`]).
fn privileges(out: &mut TomlTable, schema: &Schema, target: &Target) {
    let (owner, acl) = schema.privileges.declared(target);
    if let Some(o) = owner {
        out.insert("owner", Item::Value(text(o)));
    }
    if let Some(a) = acl {
        out.insert("grants", Item::Value(grants(a, target.on, false)));
    }
}

/// `{ role = ["select", ...], ... }`.
fn grants(acl: &crate::kinds::privilege::Acl, on: On, column: bool) -> Value {
    let mut t = InlineTable::new();
    for (role, list) in crate::kinds::privilege::written(acl, on, column) {
        t.insert(&role, strings(&list));
    }
    Value::InlineTable(t)
}

/// `[[default_privileges]]`, one per creating role, schema and kind.
fn default_privileges(schema: &Schema) -> Option<DocumentMut> {
    let defaults = &schema.privileges.defaults;
    if defaults.is_empty() {
        return None;
    }
    let mut aot = toml_edit::ArrayOfTables::new();
    for (key, acl) in defaults {
        let mut t = TomlTable::new();
        t.insert("for_role", Item::Value(text(&key.for_role)));
        if let Some(s) = &key.schema {
            t.insert("schema", Item::Value(text(s)));
        }
        let on = serde_json::to_value(key.on).ok();
        let on = on.as_ref().and_then(|v| v.as_str()).unwrap_or_default();
        t.insert("on", Item::Value(text(on)));
        t.insert("grants", Item::Value(grants(acl, key.on.on(), false)));
        aot.push(t);
    }
    let mut doc = DocumentMut::new();
    doc.insert("default_privileges", Item::ArrayOfTables(aot));
    Some(doc)
}

fn domain(doc: &mut DocumentMut, d: &crate::kinds::domain::Domain, schema: &Schema) {
    let out = section(doc, "domain", &d.name.name);
    if d.name.schema != "public" {
        out.insert("schema", Item::Value(text(&d.name.schema)));
    }
    out.insert("type", Item::Value(text(&familiar(&d.base, schema))));
    if let Some(e) = &d.default {
        out.insert("default", Item::Value(text(&e.sql)));
    }
    if d.not_null {
        out.insert("not_null", Item::Value(Value::from(true)));
    }
    if let Some(c) = &d.collation {
        out.insert("collation", Item::Value(text(c)));
    }
    if !d.checks.is_empty() {
        let mut list = toml_edit::Array::new();
        for c in &d.checks {
            let mut t = InlineTable::new();
            t.insert("name", text(&c.name));
            t.insert("expression", text(&c.expr.sql));
            list.push(Value::InlineTable(t));
        }
        out.insert("checks", Item::Value(Value::Array(list)));
    }
    if let Some(c) = &d.comment {
        out.insert("comment", Item::Value(text(c)));
    }
    privileges(out, schema, &Target::of(On::Domain, d.name.clone()));
}

fn composite(doc: &mut DocumentMut, c: &crate::kinds::composite::Composite, schema: &Schema) {
    let out = section(doc, "composite", &c.name.name);
    if c.name.schema != "public" {
        out.insert("schema", Item::Value(text(&c.name.schema)));
    }
    let mut list = toml_edit::Array::new();
    for a in &c.attributes {
        let mut t = InlineTable::new();
        t.insert("name", text(&a.name));
        t.insert("type", text(&familiar(&a.ty, schema)));
        if let Some(k) = &a.collation {
            t.insert("collation", text(k));
        }
        list.push(Value::InlineTable(t));
    }
    out.insert("attributes", Item::Value(Value::Array(list)));
    if let Some(k) = &c.comment {
        out.insert("comment", Item::Value(text(k)));
    }
    privileges(out, schema, &Target::of(On::Composite, c.name.clone()));
}

fn sequence(doc: &mut DocumentMut, s: &Sequence, schema: &Schema) {
    let out = section(doc, "sequence", &s.name.name);
    if s.name.schema != "public" {
        out.insert("schema", Item::Value(text(&s.name.schema)));
    }
    out.insert("type", Item::Value(text(&s.data_type.to_string())));
    for (key, value) in option_keys(&s.options, &s.data_type) {
        out.insert(key, Item::Value(value));
    }
    if let Some(o) = &s.owned_by {
        let owner = format!("{}.{}", o.table.name, o.column);
        out.insert("owned_by", Item::Value(text(&owner)));
    }
    if let Some(c) = &s.comment {
        out.insert("comment", Item::Value(text(c)));
    }
    privileges(out, schema, &Target::of(On::Sequence, s.name.clone()));
}

/// A query as a multi-line literal string (as a person writes SQL), without the `;` the
/// server's deparse ends with; a basic string when it holds `'''`.
fn query(q: &str) -> Value {
    let body = crate::kinds::view::body(q).trim();
    if body.contains("'''") {
        return text(body);
    }
    format!("'''\n{body}\n'''")
        .parse::<Value>()
        .unwrap_or_else(|_| text(body))
}

/// `[view.NAME]`: the server's deparse of the query carries the column names (`AS name`), so
/// `columns` is left out.
fn view(doc: &mut DocumentMut, v: &crate::kinds::view::View, schema: &Schema) {
    let out = section(doc, "view", &v.name.name);
    if v.name.schema != "public" {
        out.insert("schema", Item::Value(text(&v.name.schema)));
    }
    if let Some(c) = &v.comment {
        out.insert("comment", Item::Value(text(c)));
    }
    if v.security_barrier {
        out.insert("security_barrier", Item::Value(true.into()));
    }
    if v.security_invoker {
        out.insert("security_invoker", Item::Value(true.into()));
    }
    if let Some(c) = v.check_option {
        out.insert("check_option", Item::Value(text(&c.sql().to_lowercase())));
    }
    out.insert("query", Item::Value(query(&v.query)));
    privileges(out, schema, &Target::of(On::View, v.name.clone()));
    triggers(out, &v.triggers);
}

fn materialized_view(
    doc: &mut DocumentMut,
    m: &crate::kinds::view::MaterializedView,
    schema: &Schema,
) {
    let out = section(doc, "materialized_view", &m.name.name);
    if m.name.schema != "public" {
        out.insert("schema", Item::Value(text(&m.name.schema)));
    }
    if let Some(c) = &m.comment {
        out.insert("comment", Item::Value(text(c)));
    }
    if !m.with_data {
        out.insert("with_data", Item::Value(false.into()));
    }
    out.insert("query", Item::Value(query(&m.query)));
    if !m.indexes.is_empty() {
        list(out, "indexes", m.indexes.iter().map(index).collect());
    }
    privileges(
        out,
        schema,
        &Target::of(On::MaterializedView, m.name.clone()),
    );
}

fn extension(doc: &mut DocumentMut, e: &Extension) {
    let out = section(doc, "extension", &e.name);
    if let Some(s) = e.schema.as_ref().filter(|s| *s != "public") {
        out.insert("schema", Item::Value(text(s)));
    }
    if let Some(v) = &e.version {
        out.insert("version", Item::Value(text(v)));
    }
    if let Some(c) = &e.comment {
        out.insert("comment", Item::Value(text(c)));
    }
}

/// A body as written in a file: a multi-line literal string `'''...'''` where it can hold it
/// exactly (PostgreSQL keeps the body verbatim, and so must the round trip), else a basic
/// string with escapes.
fn body(s: &str) -> Value {
    let plain = s.contains('\n')
        && !s.contains("'''")
        && !s.ends_with('\'')
        && !s.contains('\r')
        && s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control());
    if plain {
        // The newline right after the opening quotes is not part of the string.
        if let Ok(v) = format!("'''\n{s}'''").parse::<Value>()
            && v.as_str() == Some(s)
        {
            return v;
        }
    }
    text(s)
}

/// A routine's argument or result type as people write it (`trigger`, not `pg_catalog.trigger`).
fn routine_type(ty: &crate::model::DataType, schema: &Schema) -> String {
    let s = familiar(ty, schema);
    s.strip_prefix("pg_catalog.")
        .map(str::to_string)
        .unwrap_or(s)
}

/// `[function.NAME]`, `[[function.NAME]]` for overloads, `[procedure.NAME]`, of one schema.
fn functions(list: &[&Routine], schema: &Schema) -> DocumentMut {
    let mut doc = DocumentMut::new();
    let mut by_name: BTreeMap<(&str, &str), Vec<&Routine>> = BTreeMap::new();
    for r in list {
        let kind = match r.kind {
            RoutineKind::Function => "function",
            RoutineKind::Procedure => "procedure",
        };
        by_name.entry((kind, &r.name.name)).or_default().push(r);
    }
    for ((kind, name), overloads) in by_name {
        let tables: Vec<TomlTable> = overloads.iter().map(|r| routine(r, schema)).collect();
        let first = doc.is_empty();
        let kinds = kind_table(&mut doc, kind);
        let mut tables = tables;
        if !first {
            tables[0].decor_mut().set_prefix("\n");
        }
        if tables.len() == 1 {
            kinds.insert(name, Item::Table(tables.remove(0)));
        } else {
            let mut aot = toml_edit::ArrayOfTables::new();
            for (i, mut t) in tables.into_iter().enumerate() {
                if i > 0 {
                    t.decor_mut().set_prefix("\n");
                }
                aot.push(t);
            }
            kinds.insert(name, Item::ArrayOfTables(aot));
        }
    }
    doc
}

fn routine(r: &Routine, schema: &Schema) -> TomlTable {
    let mut out = TomlTable::new();
    if r.name.schema != "public" {
        out.insert("schema", Item::Value(text(&r.name.schema)));
    }
    if let Some(c) = &r.comment {
        out.insert("comment", Item::Value(text(c)));
    }
    privileges(&mut out, schema, &Target::routine(r.kind, &r.key()));
    if !r.arguments.is_empty() {
        let args: Vec<Value> = (r.arguments.iter())
            .map(|a| {
                let mut parts = Vec::new();
                if let Some(n) = &a.name {
                    parts.push(("name", text(n)));
                }
                parts.push(("type", text(&routine_type(&a.ty, schema))));
                let mode = match a.mode {
                    ArgMode::In => None,
                    ArgMode::Out => Some("out"),
                    ArgMode::InOut => Some("inout"),
                    ArgMode::Variadic => Some("variadic"),
                };
                if let Some(m) = mode {
                    parts.push(("mode", text(m)));
                }
                if let Some(d) = &a.default {
                    parts.push(("default", text(&d.sql)));
                }
                inline(parts)
            })
            .collect();
        out.insert(
            "arguments",
            Item::Value(Value::Array(args.into_iter().collect())),
        );
    }
    if let Some(f) = &r.function {
        match &f.returns {
            Returns::Type { ty, setof } => {
                let t = routine_type(ty, schema);
                let t = if *setof { format!("setof {t}") } else { t };
                out.insert("returns", Item::Value(text(&t)));
            }
            Returns::Table(cols) => {
                let cols: Vec<Value> = (cols.iter())
                    .map(|c| {
                        inline(vec![
                            ("name", text(&c.name)),
                            ("type", text(&routine_type(&c.ty, schema))),
                        ])
                    })
                    .collect();
                out.insert(
                    "returns_table",
                    Item::Value(Value::Array(cols.into_iter().collect())),
                );
            }
        }
    }
    out.insert("language", Item::Value(text(&r.language)));
    if let Some(f) = &r.function {
        let vol = match f.volatility {
            Volatility::Immutable => Some("immutable"),
            Volatility::Stable => Some("stable"),
            Volatility::Volatile => None,
        };
        if let Some(v) = vol {
            out.insert("volatility", Item::Value(text(v)));
        }
        if f.strict {
            out.insert("strict", Item::Value(true.into()));
        }
        if f.leakproof {
            out.insert("leakproof", Item::Value(true.into()));
        }
        let par = match f.parallel {
            Parallel::Safe => Some("safe"),
            Parallel::Restricted => Some("restricted"),
            Parallel::Unsafe => None,
        };
        if let Some(p) = par {
            out.insert("parallel", Item::Value(text(p)));
        }
        if let Some(c) = f.cost {
            out.insert("cost", Item::Value((c.round() as i64).into()));
        }
        if let Some(n) = f.rows {
            out.insert("rows", Item::Value((n.round() as i64).into()));
        }
    }
    if r.security_definer {
        out.insert("security_definer", Item::Value(true.into()));
    }
    if !r.set.is_empty() {
        let mut t = InlineTable::new();
        for (k, v) in &r.set {
            t.insert(k, text(v));
        }
        out.insert("set", Item::Value(Value::InlineTable(t)));
    }
    out.insert("body", Item::Value(body(&r.body)));
    out
}

/// `[[table.NAME.triggers]]` (or `[[view.NAME.triggers]]`), one per trigger.
fn triggers(out: &mut TomlTable, triggers: &[Trigger]) {
    if triggers.is_empty() {
        return;
    }
    let mut aot = toml_edit::ArrayOfTables::new();
    for tr in triggers {
        aot.push(trigger(tr));
    }
    out.insert("triggers", Item::ArrayOfTables(aot));
}

fn trigger(t: &Trigger) -> TomlTable {
    let mut out = TomlTable::new();
    out.decor_mut().set_prefix("\n");
    out.insert("name", Item::Value(text(&t.name)));
    let timing = match t.timing {
        TriggerTiming::Before => "before",
        TriggerTiming::After => "after",
        TriggerTiming::InsteadOf => "instead of",
    };
    out.insert("timing", Item::Value(text(timing)));
    let events: Vec<&str> = (t.events.iter())
        .map(|e| match e {
            TriggerEvent::Insert => "insert",
            TriggerEvent::Delete => "delete",
            TriggerEvent::Update => "update",
            TriggerEvent::Truncate => "truncate",
        })
        .collect();
    out.insert("events", Item::Value(strings(events)));
    if !t.update_of.is_empty() {
        out.insert("update_of", Item::Value(strings(&t.update_of)));
    }
    let level = match t.level {
        TriggerLevel::Row => "row",
        TriggerLevel::Statement => "statement",
    };
    out.insert("level", Item::Value(text(level)));
    if let Some(w) = &t.when {
        out.insert("when", Item::Value(text(&strip_outer_parens(&w.sql))));
    }
    out.insert(
        "function",
        Item::Value(text(&format!("{}.{}", t.function.schema, t.function.name))),
    );
    if !t.arguments.is_empty() {
        out.insert("arguments", Item::Value(strings(&t.arguments)));
    }
    let enabled = match t.enabled {
        TriggerEnabled::Origin => None,
        TriggerEnabled::Always => Some("always"),
        TriggerEnabled::Replica => Some("replica"),
        TriggerEnabled::Disabled => Some("disabled"),
    };
    if let Some(e) = enabled {
        out.insert("enabled", Item::Value(text(e)));
    }
    if let Some(c) = &t.constraint {
        out.insert("constraint", Item::Value(true.into()));
        if c.deferrable {
            out.insert("deferrable", Item::Value(true.into()));
        }
        if c.initially_deferred {
            out.insert("initially_deferred", Item::Value(true.into()));
        }
    }
    if let Some(c) = &t.comment {
        out.insert("comment", Item::Value(text(c)));
    }
    out
}
