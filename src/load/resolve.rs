//! Second pass: raw declarations -> the model, with the checks that need the whole schema.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::names::{self, MAX_IDENT, NameKind};
use crate::model::types::{Serial, TypeError};
use crate::model::{
    BaseType, Check, Column, ColumnDefault, DataType, EnumType, FkAction, FkMatch, ForeignKey,
    Identity, Index, IndexKey, IndexPart, OwnedBy, PrimaryKey, QualName, Schema, Sequence,
    SequenceOptions, SqlExpr, Table, Unique,
};

use super::diag::{Diagnostic, Loc};
use super::raw::{Decls, RawColumns, RawForeignKey, RawIndex, RawTable};
use super::read::{Problems, Sp, closest};

mod kinds;
mod partition_rule;
mod privileges;

use crate::kinds::privilege::{On, Target};
mod types;

/// Where an object without `schema = ` goes, unless a resolve says otherwise ([`resolve_in`]).
const DEFAULT_SCHEMA: &str = "public";

thread_local! {
    /// The schema objects without `schema = ` go to, for the resolve running on this thread: the
    /// resolver's helpers are free functions, and this is the one setting they all share.
    static HOME: std::cell::RefCell<String> = std::cell::RefCell::new(DEFAULT_SCHEMA.to_string());
}

/// The schema of an object declared with `schema` (or without: the resolve's home schema).
fn schema_or_home(schema: Option<&Sp<String>>) -> String {
    match schema {
        Some(s) => s.value.clone(),
        None => home(),
    }
}

/// The home schema of the resolve running on this thread.
fn home() -> String {
    HOME.with(|h| h.borrow().clone())
}
/// MaxHeapAttributeNumber: the most columns a table can have.
const MAX_COLUMNS: usize = 1600;
/// INDEX_MAX_KEYS: the most columns of an index, and so of a key or a foreign key.
const MAX_KEYS: usize = 32;
/// The system columns every table has, which a column cannot be named after.
const SYSTEM_COLUMNS: &[&str] = &["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"];
const BUILTIN_TYPES: &[&str] = &[
    "smallint",
    "integer",
    "bigint",
    "serial",
    "bigserial",
    "smallserial",
    "numeric",
    "real",
    "double precision",
    "float",
    "money",
    "varchar",
    "char",
    "text",
    "bytea",
    "boolean",
    "date",
    "time",
    "timetz",
    "timestamp",
    "timestamptz",
    "interval",
    "uuid",
    "json",
    "jsonb",
    "xml",
    "inet",
    "cidr",
    "macaddr",
    "tsvector",
    "bit",
    "varbit",
];

/// Reads `identity = "always" | "by default"`, which needs an integer column without a default.
fn identity(
    p: &mut Problems,
    i: &super::raw::RawIdentity,
    c: &super::raw::RawColumn,
    ty: Option<&DataType>,
    serial: bool,
) -> Option<(Identity, Option<SequenceOptions>)> {
    let kind = match i
        .generated
        .value
        .trim()
        .to_lowercase()
        .replace('_', " ")
        .as_str()
    {
        "always" => Identity::Always,
        "by default" => Identity::ByDefault,
        _ => {
            p.push(
                Diagnostic::new(
                    i.generated.loc.clone(),
                    format!("unknown identity `{}`", i.generated.value),
                )
                .label("expected \"always\" or \"by default\""),
            );
            return None;
        }
    };
    let integer = ty.is_some_and(|t| {
        !t.array
            && matches!(
                t.base,
                BaseType::SmallInt | BaseType::Integer | BaseType::BigInt
            )
    });
    if serial || c.default.is_some() {
        p.push(
            Diagnostic::new(
                i.generated.loc.clone(),
                format!(
                    "identity column `{}` cannot also have a default or be serial",
                    c.name.value
                ),
            )
            .label("an identity column's values come from its own sequence")
            .hint("use type = \"integer\" (or bigint) with identity, and no default"),
        );
        return None;
    }
    if ty.is_some() && !integer {
        p.push(
            Diagnostic::new(
                c.ty.loc.clone(),
                format!(
                    "identity column `{}` must be smallint, integer or bigint",
                    c.name.value
                ),
            )
            .label("not an integer type"),
        );
        return None;
    }
    let base = ty.map_or(BaseType::BigInt, |t| t.base.clone());
    let given = &i.options;
    let opts = sequence_options(
        p,
        &base,
        given,
        &format!("identity of column `{}`", c.name.value),
        &i.generated.loc,
    );
    // The defaults are not written down, as the catalog side does not either.
    let opts = Some(opts).filter(|o| *o != SequenceOptions::defaults(&base, 1));
    Some((kind, opts))
}

/// A sequence's options: the declared ones over PostgreSQL's defaults for the type, checked the
/// way `CREATE SEQUENCE` checks them.
fn sequence_options(
    p: &mut Problems,
    base: &BaseType,
    given: &super::raw::RawSeqOptions,
    what: &str,
    at: &Loc,
) -> SequenceOptions {
    let super::raw::RawSeqOptions {
        start,
        increment,
        min_value,
        max_value,
        cache,
        cycle,
    } = given;
    let v = |o: &Option<Sp<i64>>| o.as_ref().map(|x| x.value);
    let inc = v(increment).unwrap_or(1);
    if let Some(i) = increment
        && inc == 0
    {
        p.push(Diagnostic::new(i.loc.clone(), "sequence increment cannot be zero").label("zero"));
    }
    let d = SequenceOptions::defaults(base, inc);
    let min = v(min_value).unwrap_or(d.min_value);
    let max = v(max_value).unwrap_or(d.max_value);
    let opts = SequenceOptions {
        start: v(start).unwrap_or(if inc >= 0 { min } else { max }),
        increment: inc,
        min_value: min,
        max_value: max,
        cache: v(cache).unwrap_or(1),
        cycle: cycle.as_ref().is_some_and(|b| b.value),
    };
    let (type_min, type_max) = crate::model::integer_range(base);
    let loc = min_value
        .as_ref()
        .or(max_value.as_ref())
        .or(start.as_ref())
        .map_or(at.clone(), |x| x.loc.clone());
    if opts.min_value >= opts.max_value
        || opts.start < opts.min_value
        || opts.start > opts.max_value
        || opts.min_value < type_min
        || opts.max_value > type_max
    {
        p.push(Diagnostic::new(loc, format!("{what} has inconsistent bounds")).label(format!(
            "needs {type_min} <= min_value ({}) < max_value ({}) <= {type_max}, with start ({}) between them",
            opts.min_value, opts.max_value, opts.start
        )));
    }
    if let Some(c) = cache
        && opts.cache < 1
    {
        p.push(
            Diagnostic::new(c.loc.clone(), "sequence cache must be at least 1").label("too small"),
        );
    }
    opts
}

/// The `[settings]` of a schema, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The managed schemas, when declared.
    pub schemas: Option<Vec<String>>,
    pub ignore: Vec<String>,
    /// Every role the declaration names (`[settings] roles`, `owner`, `for_role`), where it
    /// names it: plan checks them against the server's roles.
    pub role_refs: Vec<Sp<String>>,
}

fn settings(decls: &Decls, p: &mut Problems) -> Settings {
    let Some(first) = decls.settings.first() else {
        return Settings::default();
    };
    for extra in &decls.settings[1..] {
        p.push(duplicate(&extra.loc, &first.loc, "[settings]"));
    }
    let mut out = Settings {
        schemas: first
            .schemas
            .as_ref()
            .map(|s| s.iter().map(|x| x.value.clone()).collect()),
        ignore: Vec::new(),
        role_refs: Vec::new(),
    };
    for s in first.schemas.iter().flatten() {
        check_ident(p, s, "schema");
    }
    let mut roles: HashMap<&str, &Loc> = HashMap::new();
    for r in first.roles.iter().flatten() {
        check_ident(p, r, "role");
        if let Some(first) = roles.insert(&r.value, &r.loc) {
            p.push(duplicate(&r.loc, first, &format!("role `{}`", r.value)));
            continue;
        }
        out.role_refs.push(r.clone());
    }
    for pat in first.ignore.iter().flatten() {
        match glob::Pattern::new(&pat.value) {
            Ok(_) => out.ignore.push(pat.value.clone()),
            Err(e) => p.push(
                Diagnostic::new(pat.loc.clone(), "invalid ignore pattern").label(e.to_string()),
            ),
        }
    }
    out
}

fn sequence(p: &mut Problems, s: &super::raw::RawSequence) -> Sequence {
    let name = qualify(p, &s.schema, &s.name);
    let data_type = match &s.data_type {
        Some(t) => match DataType::parse(&t.value) {
            Ok(d)
                if matches!(
                    d.base,
                    BaseType::SmallInt | BaseType::Integer | BaseType::BigInt
                ) && !d.array =>
            {
                d
            }
            _ => {
                p.push(
                    Diagnostic::new(
                        t.loc.clone(),
                        format!(
                            "sequence type `{}` is not smallint, integer or bigint",
                            t.value
                        ),
                    )
                    .label("not a sequence type"),
                );
                DataType::new(BaseType::BigInt)
            }
        },
        None => DataType::new(BaseType::BigInt),
    };
    let given = &s.options;
    let o = sequence_options(
        p,
        &data_type.base,
        given,
        &format!("sequence {name}"),
        &s.name.loc,
    );
    if let Some(c) = &s.comment {
        check_comment(p, c);
    }
    Sequence {
        name,
        data_type,
        options: o,
        comment: s.comment.as_ref().map(|c| c.value.clone()),
        owned_by: None,
    }
}

/// `owned_by = "table.column"`: a declared column of a table in the sequence's own schema
/// (PostgreSQL links only those). A column that takes its default from the sequence and is
/// exactly what `serial` makes (the sequence named `table_column_seq`, of the column's type,
/// default bounds, the column NOT NULL) must be declared `serial`: that is how the database
/// reads back.
fn owned_by(p: &mut Problems, schema: &Schema, seq: &Sequence, o: &Sp<String>) -> Option<OwnedBy> {
    let (seq, declared) = (&seq.name, seq);
    let Some((table, column)) = o
        .value
        .rsplit_once('.')
        .filter(|(t, c)| !t.is_empty() && !c.is_empty())
    else {
        p.push(
            Diagnostic::new(
                o.loc.clone(),
                format!("cannot read `owned_by = \"{}\"`", o.value),
            )
            .label("expected `table.column`"),
        );
        return None;
    };
    let table = QualName::new(seq.schema.clone(), table);
    let Some(t) = schema.tables.get(&table) else {
        p.push(
            Diagnostic::new(
                o.loc.clone(),
                format!(
                    "sequence {seq} is owned by table {table}, which the schema does not declare"
                ),
            )
            .label("a sequence can only be owned by a table of its own schema"),
        );
        return None;
    };
    let Some(c) = t.column(column) else {
        p.push(
            Diagnostic::new(
                o.loc.clone(),
                format!(
                    "sequence {seq} is owned by column `{column}`, which {table} does not have"
                ),
            )
            .label("unknown column"),
        );
        return None;
    };
    let serial_shaped = seq.name == names::serial_sequence_name(&table.name, column)
        && !c.nullable
        && !c.ty.array
        && crate::model::types::Serial::keyword(&c.ty.base).is_some()
        && declared.data_type == DataType::new(c.ty.base.clone())
        && declared.options == SequenceOptions::defaults(&c.ty.base, 1)
        && declared.comment.is_none();
    if let Some(ColumnDefault::Expr(e)) = &c.default
        && serial_shaped
        && e.sql.to_lowercase().contains("nextval")
        && e.sql.contains(&seq.name)
    {
        p.push(
            Diagnostic::new(
                o.loc.clone(),
                format!("column `{column}` of {table} takes its default from sequence {seq} and owns it: that is a serial column"),
            )
            .label("declare the column `type = \"serial\"` (or bigserial, smallserial) instead"),
        );
        return None;
    }
    Some(OwnedBy {
        table,
        column: column.to_string(),
    })
}

pub fn resolve(decls: &Decls, p: &mut Problems) -> (Schema, Settings) {
    resolve_in(decls, p, DEFAULT_SCHEMA)
}

/// [`resolve`], with objects declared without `schema = ` (and the names that refer to them
/// without one) in `home` instead of `public`: a tenant's copy of a declaration.
pub fn resolve_in(decls: &Decls, p: &mut Problems, home: &str) -> (Schema, Settings) {
    struct Restore(String);
    impl Drop for Restore {
        fn drop(&mut self) {
            HOME.with(|h| *h.borrow_mut() = std::mem::take(&mut self.0));
        }
    }
    let _restore = Restore(HOME.with(|h| h.replace(home.to_string())));
    resolve_all(decls, p)
}

fn resolve_all(decls: &Decls, p: &mut Problems) -> (Schema, Settings) {
    let mut settings = settings(decls, p);
    let mut schema = Schema::default();
    schema.privileges.roles = settings.role_refs.iter().map(|r| r.value.clone()).collect();
    let mut role_refs = std::mem::take(&mut settings.role_refs);
    let mut seq_locs: HashMap<QualName, Loc> = HashMap::new();
    for s in &decls.sequences {
        let seq = sequence(p, s);
        if let Some(first) = seq_locs.get(&seq.name) {
            p.push(duplicate(
                &s.name.loc,
                first,
                &format!("sequence {}", seq.name),
            ));
            continue;
        }
        seq_locs.insert(seq.name.clone(), s.name.loc.clone());
        privileges::object(
            p,
            &mut schema,
            &mut role_refs,
            Target::of(On::Sequence, seq.name.clone()),
            &s.acl,
            &format!("sequence {}", seq.name),
        );
        schema.sequences.insert(seq.name.clone(), seq);
    }
    let mut enum_locs: HashMap<QualName, Loc> = HashMap::new();
    for e in &decls.enums {
        let name = qualify(p, &e.schema, &e.name);
        if let Some(first) = enum_locs.get(&name) {
            p.push(duplicate(&e.name.loc, first, &format!("enum {name}")));
            continue;
        }
        enum_locs.insert(name.clone(), e.name.loc.clone());
        let mut seen: HashMap<&str, &Loc> = HashMap::new();
        for v in &e.values {
            if v.value.contains('\0') {
                p.push(
                    Diagnostic::new(v.loc.clone(), "enum value contains a NUL character")
                        .label("PostgreSQL cannot store it"),
                );
            } else if v.value.len() > MAX_IDENT {
                p.push(
                    Diagnostic::new(
                        v.loc.clone(),
                        format!("enum value `{}` is longer than 63 bytes", v.value),
                    )
                    .label(format!("{} bytes", v.value.len())),
                );
            }
            if let Some(first) = seen.insert(&v.value, &v.loc) {
                p.push(duplicate(
                    &v.loc,
                    first,
                    &format!("enum value `{}`", v.value),
                ));
            }
        }
        if e.values.is_empty() {
            p.push(Diagnostic::new(
                e.name.loc.clone(),
                format!("enum {name} has no values"),
            ));
        }
        let values = e.values.iter().map(|v| v.value.clone()).collect();
        if let Some(c) = &e.comment {
            check_comment(p, c);
        }
        let comment = e.comment.as_ref().map(|c| c.value.clone());
        privileges::object(
            p,
            &mut schema,
            &mut role_refs,
            Target::of(On::Type, name.clone()),
            &e.acl,
            &format!("enum {name}"),
        );
        schema.enums.insert(
            name.clone(),
            EnumType {
                name,
                values,
                comment,
            },
        );
    }

    types::resolve_types(p, decls, &mut schema);
    let types = (decls
        .domains
        .iter()
        .map(|d| (On::Domain, &d.schema, &d.name, &d.acl)))
    .chain((decls.composites.iter()).map(|c| (On::Composite, &c.schema, &c.name, &c.acl)));
    for (on, ns, name, acl) in types {
        let name = QualName::new(schema_or_home(ns.as_ref()), name.value.clone());
        let declared = match on {
            On::Domain => schema.domains.contains_key(&name),
            _ => schema.composites.contains_key(&name),
        };
        if declared {
            let what = format!(
                "{} {name}",
                if on == On::Domain {
                    "domain"
                } else {
                    "composite type"
                }
            );
            privileges::object(
                p,
                &mut schema,
                &mut role_refs,
                Target::of(on, name),
                acl,
                &what,
            );
        }
    }

    let mut first_loc: HashMap<QualName, &Loc> = HashMap::new();
    let mut raw_by_name: BTreeMap<QualName, &RawTable> = BTreeMap::new();
    for t in &decls.tables {
        let name = qualify(p, &t.schema, &t.name);
        if let Some(first) = first_loc.get(&name) {
            p.push(duplicate(&t.name.loc, first, &format!("table {name}")));
            continue;
        }
        first_loc.insert(name.clone(), &t.name.loc);
        raw_by_name.insert(name, t);
    }

    let mut namer = Namer::default();
    for name in raw_by_name.keys().chain(schema.sequences.keys()) {
        namer.relation(&name.schema, &name.name);
    }
    kinds::register_relations(decls, &mut namer);
    for (name, raw) in &raw_by_name {
        let mut renamed = Vec::new();
        let table = resolve_table(p, &schema, &mut namer, name, raw, &mut renamed);
        part_renames(p, &mut schema.renames, raw, &table, renamed);
        let upgrades = column_upgrades(p, raw, &table);
        if !upgrades.is_empty() {
            schema.upgrades.insert(name.clone(), upgrades);
        }
        schema.tables.insert(name.clone(), table);
        privileges::object(
            p,
            &mut schema,
            &mut role_refs,
            Target::of(On::Table, name.clone()),
            &raw.acl,
            &format!("table {name}"),
        );
        for c in &raw.columns {
            if let Some(g) = &c.more().grants {
                privileges::column(p, &mut schema, Target::column(name, &c.name.value), g);
            }
        }
    }
    table_renames(p, &mut schema, &raw_by_name);
    enum_renames(p, &mut schema, decls);
    // A sequence's owner is a declared column.
    let mut owners_seen: BTreeSet<QualName> = BTreeSet::new();
    for s in &decls.sequences {
        let name = QualName::new(schema_or_home(s.schema.as_ref()), s.name.value.clone());
        // A sequence declared twice is already reported; the first declaration counts.
        if !owners_seen.insert(name.clone()) {
            continue;
        }
        if let (Some(o), Some(declared)) = (&s.owned_by, schema.sequences.get(&name)) {
            let owner = owned_by(p, &schema, &declared.clone(), o);
            if let Some(seq) = schema.sequences.get_mut(&name) {
                seq.owned_by = owner;
            }
        }
    }
    // Foreign keys need every table, so they are checked once all are resolved.
    for (name, raw) in &raw_by_name {
        // `references = "users"` means users' primary key: fill its columns in.
        let filled = check_foreign_keys(p, &schema, name, raw);
        if let Some(t) = schema.tables.get_mut(name) {
            for (i, cols) in filled {
                t.foreign_keys[i].ref_columns = cols;
            }
        }
    }
    kinds::resolve_kinds(p, decls, &mut schema, &mut namer, &mut role_refs);
    privileges::defaults(p, &mut schema, &mut role_refs, decls);
    let namespaces = schema
        .tables
        .keys()
        .chain(schema.enums.keys())
        .chain(schema.domains.keys())
        .chain(schema.composites.keys())
        .chain(schema.sequences.keys())
        .map(|q| q.schema.clone());
    schema.schemas.extend(namespaces);
    let mut schema_locs: HashMap<&str, &Loc> = HashMap::new();
    for s in &decls.schemas {
        check_ident(p, &s.name, "schema");
        if let Some(first) = schema_locs.insert(&s.name.value, &s.name.loc) {
            p.push(duplicate(
                &s.name.loc,
                first,
                &format!("schema `{}`", s.name.value),
            ));
            continue;
        }
        if let Some(c) = &s.comment {
            check_comment(p, c);
        }
        schema.schemas.insert(s.name.value.clone());
        privileges::object(
            p,
            &mut schema,
            &mut role_refs,
            Target::schema(&s.name.value),
            &s.acl,
            &format!("schema `{}`", s.name.value),
        );
        schema.schema_comments.insert(
            s.name.value.clone(),
            s.comment.as_ref().map(|c| c.value.clone()),
        );
    }
    settings.role_refs = role_refs;
    schema.privileges.sort();
    (schema, settings)
}

/// A table's `exclusions`: each a name and the text after `EXCLUDE`, checked to be one
/// constraint's definition and nothing more.
fn exclusions(p: &mut Problems, raw: &RawTable) -> Vec<crate::kinds::constraint::Exclusion> {
    let mut out = Vec::new();
    for x in &raw.exclusions {
        check_ident(p, &x.name, "exclusion constraint");
        if !sql_text_ok(p, &x.exclude, "exclusion constraint") {
            continue;
        }
        if let Err(why) = crate::kinds::constraint::exclusion_shape(&x.exclude.value) {
            p.push(
                Diagnostic::new(x.exclude.loc.clone(), "invalid exclusion constraint")
                    .label(why)
                    .hint("write what follows EXCLUDE: \"USING gist (during WITH &&)\""),
            );
            continue;
        }
        if let Some(cm) = &x.comment {
            check_comment(p, cm);
        }
        let initially_deferred = x.initially_deferred.as_ref().is_some_and(|b| b.value);
        out.push(crate::kinds::constraint::Exclusion {
            name: x.name.value.clone(),
            definition: x.exclude.value.trim().to_string(),
            deferrable: initially_deferred || x.deferrable.as_ref().is_some_and(|b| b.value),
            initially_deferred,
            comment: x.comment.as_ref().map(|c| c.value.clone()),
        });
    }
    out
}

/// A table's `partition_by` and `partitions`: the strategy word checked, each partition with
/// `values` or `default` (one of them), the SQL text checked like an expression's.
fn partitioning(
    p: &mut Problems,
    raw: &RawTable,
) -> (Option<String>, Vec<crate::kinds::table::Partition>) {
    let key = raw.partition_by.as_ref().and_then(|k| {
        if !sql_text_ok(p, k, "partition key") {
            return None;
        }
        let text = k.value.trim();
        let word = text
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or("");
        let rest = text[word.len()..].trim_start();
        if !matches!(
            word.to_ascii_lowercase().as_str(),
            "range" | "list" | "hash"
        ) {
            p.push(
                Diagnostic::new(k.loc.clone(), format!("unknown partitioning `{word}`"))
                    .label("expected range (...), list (...) or hash (...)"),
            );
            return None;
        }
        if !(rest.starts_with('(') && rest.ends_with(')')) {
            p.push(
                Diagnostic::new(k.loc.clone(), "the partition key goes in parentheses").label(
                    format!("e.g. \"{} (created_at)\"", word.to_ascii_lowercase()),
                ),
            );
            return None;
        }
        Some(format!("{} {rest}", word.to_ascii_uppercase()))
    });
    let mut generated = Vec::new();
    if let Some(rule) = &raw.partition_rule {
        generated = partition_rule::expand(p, &raw.name.value, key.as_deref(), rule);
    }
    if raw.partition_by.is_none()
        && let Some(first) = raw.partitions.first()
    {
        p.push(
            Diagnostic::new(
                first.loc.clone(),
                "partitions need `partition_by` on their table",
            )
            .label("add `partition_by = \"range (column)\"` to the table"),
        );
    }
    let mut out = Vec::new();
    let mut seen: HashMap<&str, &Loc> = HashMap::new();
    for r in &raw.partitions {
        check_ident(p, &r.name, "partition");
        if let Some(first) = seen.insert(&r.name.value, &r.name.loc) {
            p.push(duplicate(
                &r.name.loc,
                first,
                &format!("partition `{}`", r.name.value),
            ));
        }
        let bound = match (&r.values, r.default.as_ref().is_some_and(|d| d.value)) {
            (Some(v), false) => sql_text_ok(p, v, "partition bound")
                .then(|| format!("FOR VALUES {}", v.value.trim())),
            (None, true) => Some("DEFAULT".to_string()),
            (Some(v), true) => {
                p.push(
                    Diagnostic::new(
                        v.loc.clone(),
                        "a partition has `values` or `default`, not both",
                    )
                    .label("remove one"),
                );
                None
            }
            (None, false) => {
                p.push(
                    Diagnostic::new(
                        r.name.loc.clone(),
                        format!("partition `{}` has no bounds", r.name.value),
                    )
                    .label("add `values = \"FROM (...) TO (...)\"`, or `default = true`"),
                );
                None
            }
        };
        if let Some(bound) = bound {
            out.push(crate::kinds::table::Partition {
                name: r.name.value.clone(),
                bound,
            });
        }
    }
    for g in generated {
        if let Some(first) = seen.get(g.name.as_str()) {
            p.push(
                Diagnostic::new(
                    (*first).clone(),
                    format!("partition `{}` is declared twice", g.name),
                )
                .label("the table's partition_rule declares it too"),
            );
            continue;
        }
        out.push(g);
    }
    (key, out)
}

/// A table's `policies`: names, words and expressions checked; `roles` default to `public`.
fn policies(p: &mut Problems, raw: &[super::raw::RawPolicy]) -> Vec<crate::kinds::policy::Policy> {
    use crate::kinds::policy::{Policy, PolicyCommand};
    let mut out = Vec::new();
    let mut seen: HashMap<&str, &Loc> = HashMap::new();
    for r in raw {
        check_ident(p, &r.name, "policy");
        if let Some(first) = seen.insert(&r.name.value, &r.name.loc) {
            p.push(duplicate(
                &r.name.loc,
                first,
                &format!("policy `{}`", r.name.value),
            ));
        }
        let command = match r.command.as_ref().map(|c| c.value.to_ascii_lowercase()) {
            None => PolicyCommand::All,
            Some(c) => match c.as_str() {
                "all" => PolicyCommand::All,
                "select" => PolicyCommand::Select,
                "insert" => PolicyCommand::Insert,
                "update" => PolicyCommand::Update,
                "delete" => PolicyCommand::Delete,
                _ => {
                    let at = r.command.as_ref().map_or(r.loc.clone(), |c| c.loc.clone());
                    p.push(
                        Diagnostic::new(at, format!("unknown policy command `{c}`"))
                            .label("expected all, select, insert, update or delete"),
                    );
                    PolicyCommand::All
                }
            },
        };
        let permissive = match r.as_.as_ref().map(|a| a.value.to_ascii_lowercase()) {
            None => true,
            Some(a) if a == "permissive" => true,
            Some(a) if a == "restrictive" => false,
            Some(a) => {
                let at = r.as_.as_ref().map_or(r.loc.clone(), |c| c.loc.clone());
                p.push(
                    Diagnostic::new(at, format!("unknown policy kind `{a}`"))
                        .label("expected permissive or restrictive"),
                );
                true
            }
        };
        let mut roles: Vec<String> = Vec::new();
        for role in r.roles.iter().flatten() {
            check_ident(p, role, "role");
            let name = if role.value.eq_ignore_ascii_case("public") {
                "public".to_string()
            } else {
                role.value.clone()
            };
            if !roles.contains(&name) {
                roles.push(name);
            }
        }
        if roles.len() > 1 && roles.iter().any(|r| r == "public") {
            let at = (r.roles.iter().flatten())
                .find(|x| x.value.eq_ignore_ascii_case("public"))
                .map_or(r.loc.clone(), |x| x.loc.clone());
            p.push(
                Diagnostic::new(at, "`public` already means every role")
                    .label("list `public` alone, or only the other roles"),
            );
        }
        if roles.is_empty() {
            roles.push("public".into());
        }
        roles.sort();
        let forbid = |p: &mut Problems, key: &Option<Sp<String>>, what: &str, why: &str| {
            if let Some(k) = key {
                p.push(
                    Diagnostic::new(k.loc.clone(), format!("a {why} policy has no `{what}`"))
                        .label(format!("remove `{what}`")),
                );
            }
        };
        match command {
            PolicyCommand::Insert => forbid(p, &r.using, "using", "FOR INSERT"),
            PolicyCommand::Select => forbid(p, &r.with_check, "with_check", "FOR SELECT"),
            PolicyCommand::Delete => forbid(p, &r.with_check, "with_check", "FOR DELETE"),
            PolicyCommand::All | PolicyCommand::Update => {}
        }
        if r.using.is_none() && r.with_check.is_none() {
            p.push(
                Diagnostic::new(
                    r.name.loc.clone(),
                    format!(
                        "policy `{}` has neither `using` nor `with_check`",
                        r.name.value
                    ),
                )
                .label("add `using = \"...\"` (which rows it lets through)"),
            );
        }
        let using = r
            .using
            .as_ref()
            .and_then(|u| expr_or_report(p, u, "policy `using`"));
        let with_check =
            (r.with_check.as_ref()).and_then(|u| expr_or_report(p, u, "policy `with_check`"));
        out.push(Policy {
            name: r.name.value.clone(),
            command,
            permissive,
            roles,
            using,
            with_check,
            comment: r.comment.as_ref().map(|c| c.value.clone()),
        });
    }
    out
}

fn duplicate(loc: &Loc, first: &Loc, what: &str) -> Diagnostic {
    Diagnostic::new(loc.clone(), format!("{what} is declared twice"))
        .label("declared again here")
        .related(first.clone(), "first declared here")
}

fn check_ident(p: &mut Problems, name: &Sp<String>, what: &str) {
    if name.value.is_empty() {
        p.push(
            Diagnostic::new(name.loc.clone(), format!("{what} name is empty")).label("empty name"),
        );
    } else if name.value.len() > MAX_IDENT {
        p.push(
            Diagnostic::new(
                name.loc.clone(),
                format!("{what} name `{}` is longer than 63 bytes", name.value),
            )
            .label("too long")
            .hint(format!(
                "PostgreSQL would silently cut it to `{}`",
                names::truncate_ident(&name.value)
            )),
        );
    } else if name.value.contains('\0') {
        p.push(Diagnostic::new(
            name.loc.clone(),
            format!("{what} name contains a NUL character"),
        ));
    } else if what == "schema"
        && (name.value.starts_with("pg_") || name.value == "information_schema")
    {
        p.push(
            Diagnostic::new(
                name.loc.clone(),
                format!("schema name `{}` is reserved", name.value),
            )
            .label("PostgreSQL's own")
            .hint(
                "names starting with `pg_` and `information_schema` belong to the system catalogs",
            ),
        );
    }
}

/// A comment PostgreSQL cannot store as written: with a NUL character (text cannot hold one) or
/// empty (`COMMENT ... IS ''` removes the comment, so it would never match).
fn check_comment(p: &mut Problems, c: &Sp<String>) {
    if c.value.contains('\0') {
        p.push(
            Diagnostic::new(c.loc.clone(), "comment contains a NUL character")
                .label("PostgreSQL text cannot hold a NUL character"),
        );
    } else if c.value.is_empty() {
        p.push(
            Diagnostic::new(c.loc.clone(), "comment is empty")
                .label("PostgreSQL removes an empty comment, so this would never match")
                .hint("leave the comment out"),
        );
    }
}

fn qualify(p: &mut Problems, schema: &Option<Sp<String>>, name: &Sp<String>) -> QualName {
    check_ident(p, name, "object");
    if let Some(s) = schema {
        check_ident(p, s, "schema");
    }
    QualName::new(schema_or_home(schema.as_ref()), name.value.clone())
}

/// Where a declared name clashed: with another constraint of the table, or with a relation
/// (table, index, key constraint) of the schema; and where the first one was declared, if it was.
struct Clash {
    on_table: bool,
    first: Option<Loc>,
}

/// PostgreSQL's default names ([`names::Namer`]), plus where each declared name was first
/// written, to point at both places when two clash.
#[derive(Default)]
struct Namer {
    names: names::Namer,
    /// Where each declared name was first written, by scope.
    locs: HashMap<(String, String), Loc>,
}

impl Namer {
    fn relation(&mut self, schema: &str, name: &str) {
        self.names.relation(schema, name);
    }

    fn choose(
        &mut self,
        schema: &str,
        n1: &str,
        n2: Option<&str>,
        label: &str,
        kind: NameKind,
    ) -> String {
        self.names.choose(schema, n1, n2, label, kind)
    }

    /// Records a declared name. Returns `Some(first place)` when it clashes: index, primary key
    /// and unique constraint names share the schema's namespace with tables (they are relations),
    /// and constraint names of every kind must be unique on their table.
    fn given(
        &mut self,
        schema: &str,
        table: &str,
        name: &Sp<String>,
        kind: NameKind,
    ) -> Option<Clash> {
        let relation = kind != NameKind::Constraint;
        let constraint = kind != NameKind::Relation;
        let table_key = (format!("c:{schema}.{table}"), name.value.clone());
        let schema_key = (format!("r:{schema}"), name.value.clone());
        let clash_rel = relation && self.names.has_relation(schema, &name.value);
        let clash_con = constraint && self.locs.contains_key(&table_key);
        let clash = if clash_con {
            Some(Clash {
                on_table: true,
                first: self.locs.get(&table_key).cloned(),
            })
        } else if clash_rel {
            Some(Clash {
                on_table: false,
                first: self.locs.get(&schema_key).cloned(),
            })
        } else {
            None
        };
        if relation {
            self.locs
                .entry(schema_key)
                .or_insert_with(|| name.loc.clone());
        }
        if constraint {
            self.locs
                .entry(table_key)
                .or_insert_with(|| name.loc.clone());
        }
        self.names.given(schema, &name.value, kind);
        clash
    }
}

fn resolve_table(
    p: &mut Problems,
    schema: &Schema,
    namer: &mut Namer,
    name: &QualName,
    raw: &RawTable,
    renamed: &mut Vec<(String, Sp<String>, &'static str)>,
) -> Table {
    let tname = name.name.as_str();
    let ns = name.schema.as_str();
    let mut columns: Vec<Column> = Vec::new();
    let mut seen: HashMap<&str, &Loc> = HashMap::new();
    for c in &raw.columns {
        check_ident(p, &c.name, "column");
        if let Some(first) = seen.insert(&c.name.value, &c.name.loc) {
            p.push(duplicate(
                &c.name.loc,
                first,
                &format!("column `{}` of {name}", c.name.value),
            ));
            continue;
        }
        let (ty, serial) = resolve_type(p, schema, ns, &c.ty);
        let mut default = None;
        if let Some(d) = c.default.as_ref().filter(|d| {
            sql_text_ok(
                p,
                d,
                &format!("default expression for column `{}`", c.name.value),
            )
        }) {
            match SqlExpr::parse(&d.value) {
                Ok(e) if let Some(word) = e.bare_name() => p.push(
                    Diagnostic::new(
                        d.loc.clone(),
                        format!("the default of column `{}` reads as a column name, `{word}`", c.name.value),
                    )
                    .label("a default is SQL, and a DEFAULT cannot read a column")
                    .hint(format!(
                        "for the text, quote it as SQL: default = \"'{}'\"",
                        word.replace('\'', "''")
                    )),
                ),
                Ok(e) => default = Some(ColumnDefault::Expr(e)),
                Err(msg) => p.push(
                    Diagnostic::new(d.loc.clone(), format!("invalid default expression for column `{}`", c.name.value))
                        .label(msg)
                        .hint("a default is a SQL expression; a string literal keeps its quotes: default = \"'text'\""),
                ),
            }
        }
        if serial {
            if let Some(d) = &c.default {
                p.push(
                    Diagnostic::new(
                        d.loc.clone(),
                        format!("column `{}` is serial and has a default", c.name.value),
                    )
                    .label("a serial column's default is its sequence"),
                );
            }
            let seq = names::serial_sequence_name(tname, &c.name.value);
            namer.relation(ns, &seq);
            default = Some(ColumnDefault::Serial { sequence: None });
        }
        let pk = c.primary_key.as_ref().is_some_and(|b| b.value);
        let nullable = c.nullable.as_ref().is_none_or(|b| b.value);
        if let (true, Some(n)) = (pk, &c.nullable)
            && n.value
        {
            p.push(
                Diagnostic::new(
                    n.loc.clone(),
                    format!("primary key column `{}` cannot be nullable", c.name.value),
                )
                .label("primary key columns are always NOT NULL"),
            );
        }
        if let Some(cm) = &c.more().comment {
            check_comment(p, cm);
        }
        if SYSTEM_COLUMNS.contains(&c.name.value.as_str()) {
            p.push(
                Diagnostic::new(
                    c.name.loc.clone(),
                    format!("column name `{}` is a system column's", c.name.value),
                )
                .label("every table already has this column")
                .hint(format!("system columns: {}", SYSTEM_COLUMNS.join(", "))),
            );
        }
        let comment = c.more().comment.as_ref().map(|s| s.value.clone());
        let collation = c
            .more()
            .collation
            .as_ref()
            .filter(|k| collation_ok(p, k, schema, ty.as_ref(), serial));
        let (identity, identity_sequence) = c
            .more()
            .identity
            .as_ref()
            .and_then(|i| identity(p, i, c, ty.as_ref(), serial))
            .map_or((None, None), |(k, o)| (Some(k), o));
        let generated = c.more().generated.as_ref().and_then(|g| {
            let e = expr_or_report(
                p,
                g,
                &format!("generated expression for column `{}`", c.name.value),
            )?;
            let clash = [
                ("a default", c.default.as_ref().map(|d| &d.loc)),
                (
                    "an identity",
                    c.more().identity.as_ref().map(|i| &i.generated.loc),
                ),
            ];
            for (what, at) in clash {
                if let Some(at) = at {
                    p.push(
                        Diagnostic::new(
                            at.clone(),
                            format!("column `{}` is generated and has {what}", c.name.value),
                        )
                        .label("a generated column is computed: remove one"),
                    );
                }
            }
            if serial {
                p.push(
                    Diagnostic::new(
                        g.loc.clone(),
                        format!("column `{}` is serial and generated", c.name.value),
                    )
                    .label("declare it as an integer type"),
                );
            }
            Some(e)
        });
        columns.push(Column {
            generated,
            name: c.name.value.clone(),
            ty: ty.unwrap_or(DataType::new(BaseType::Text)),
            // serial, identity and primary key columns are NOT NULL whatever was written
            nullable: nullable && !pk && !serial && identity.is_none(),
            default,
            identity,
            identity_sequence,
            comment,
            collation: collation.map(|k| k.value.clone()),
        });
    }
    if let Some(cm) = &raw.comment {
        check_comment(p, cm);
    }
    if columns.len() > MAX_COLUMNS {
        p.push(
            Diagnostic::new(
                raw.name.loc.clone(),
                format!(
                    "{name} has {} columns; PostgreSQL allows at most {MAX_COLUMNS}",
                    columns.len()
                ),
            )
            .label("too many columns"),
        );
    }
    let flag = |b: &Option<Sp<bool>>| b.as_ref().is_some_and(|b| b.value);
    let mut table = Table {
        columns,
        comment: raw.comment.as_ref().map(|c| c.value.clone()),
        prevent_destroy: flag(&raw.prevent_destroy),
        unlogged: flag(&raw.unlogged),
        with: storage_params(p, &raw.with),
        row_level_security: flag(&raw.row_level_security),
        force_row_level_security: flag(&raw.force_row_level_security),
        ..Table::empty(name.clone())
    };

    // Primary key: on columns, or at table level, not both.
    let pk_cols: Vec<&Sp<String>> = raw
        .columns
        .iter()
        .filter(|c| c.primary_key.as_ref().is_some_and(|b| b.value))
        .map(|c| &c.name)
        .collect();
    if let Some(tpk) = &raw.primary_key {
        if let Some(first) = pk_cols.first() {
            p.push(
                Diagnostic::new(
                    tpk.loc.clone(),
                    format!("{name} declares its primary key twice"),
                )
                .label("table-level primary key")
                .related(first.loc.clone(), "column marked primary_key = true"),
            );
        }
        check_key_count(p, tpk.columns.len(), &tpk.loc, "primary key");
        let cols = known_columns(p, &table, &tpk.columns, "primary key");
        for c in &cols {
            if let Some(col) = table.columns.iter_mut().find(|x| &x.name == c) {
                col.nullable = false;
            }
        }
        let pk_name = given_or(
            p,
            namer,
            (ns, tname),
            &tpk.name,
            NameKind::KeyConstraint,
            |n| n.choose(ns, tname, None, "pkey", NameKind::KeyConstraint),
        );
        if let Some(cm) = &tpk.comment {
            check_comment(p, cm);
        }
        if let Some(r) = &tpk.renamed_from {
            renamed.push((pk_name.clone(), r.clone(), "constraint"));
        }
        table.primary_key = Some(PrimaryKey {
            name: pk_name,
            columns: cols,
            comment: tpk.comment.as_ref().map(|c| c.value.clone()),
        });
    } else if pk_cols.len() > 1 {
        p.push(
            Diagnostic::new(pk_cols[1].loc.clone(), format!("{name} has more than one column with primary_key = true"))
                .label("second primary key column")
                .hint("declare a composite key at table level: primary_key = { columns = [\"a\", \"b\"] }"),
        );
    } else if let Some(c) = pk_cols.first() {
        let pk_name = namer.choose(ns, tname, None, "pkey", NameKind::KeyConstraint);
        table.primary_key = Some(PrimaryKey {
            name: pk_name,
            columns: vec![c.value.clone()],
            comment: None,
        });
    }

    // Column-level unique, checks and references come first, in column order, as PostgreSQL
    // creates them in that order (which decides the numbering of clashing default names).
    for c in &raw.columns {
        if c.more().unique.as_ref().is_some_and(|b| b.value) {
            let n = namer.choose(
                ns,
                tname,
                Some(&c.name.value),
                "key",
                NameKind::KeyConstraint,
            );
            table.uniques.push(Unique {
                name: n,
                columns: vec![c.name.value.clone()],
                ..Unique::default()
            });
        }
    }
    for u in &raw.uniques {
        let resolved = resolve_unique(p, namer, &table, u);
        if let Some(r) = &u.renamed_from {
            renamed.push((resolved.name.clone(), r.clone(), "constraint"));
        }
        table.uniques.push(resolved);
    }
    redundant_keys(p, &table, raw);
    for c in &raw.columns {
        if let Some(chk) = &c.more().check
            && let Some(expr) = expr_or_report(p, chk, "check expression")
        {
            // Named by the expression, not by the column it is written on (as PostgreSQL does).
            let only = only_column_mentioned(&expr.sql, &table);
            let n = namer.choose(ns, tname, only.as_deref(), "check", NameKind::Constraint);
            table.checks.push(Check {
                name: n,
                expr,
                valid: true,
                no_inherit: false,
                comment: None,
            });
        }
    }
    for chk in &raw.checks {
        if let Some(expr) = expr_or_report(p, &chk.expression, "check expression") {
            let first_col = only_column_mentioned(&expr.sql, &table);
            let n = given_or(
                p,
                namer,
                (ns, tname),
                &chk.name,
                NameKind::Constraint,
                |n| {
                    n.choose(
                        ns,
                        tname,
                        first_col.as_deref(),
                        "check",
                        NameKind::Constraint,
                    )
                },
            );
            if let Some(cm) = &chk.comment {
                check_comment(p, cm);
            }
            if let Some(r) = &chk.renamed_from {
                renamed.push((n.clone(), r.clone(), "constraint"));
            }
            table.checks.push(Check {
                name: n,
                expr,
                valid: chk.valid.as_ref().is_none_or(|b| b.value),
                no_inherit: chk.no_inherit.as_ref().is_some_and(|b| b.value),
                comment: chk.comment.as_ref().map(|c| c.value.clone()),
            });
        }
    }
    for idx in &raw.indexes {
        if let Some(i) = resolve_index(p, namer, &table, idx) {
            if let Some(r) = &idx.renamed_from {
                renamed.push((i.name.clone(), r.clone(), "index"));
            }
            table.indexes.push(i);
        }
    }
    // Foreign keys are named now (the namer is order-sensitive) and validated later.
    for c in &raw.columns {
        if let Some(r) = &c.references {
            let (on_delete, on_update) = (
                action(p, &c.more().on_delete),
                action(p, &c.more().on_update),
            );
            if let Some((ref_table, ref_columns)) = parse_reference(p, r, ns) {
                let n = namer.choose(ns, tname, Some(&c.name.value), "fkey", NameKind::Constraint);
                table.foreign_keys.push(ForeignKey {
                    name: n,
                    columns: vec![c.name.value.clone()],
                    ref_table,
                    ref_columns,
                    on_delete,
                    on_update,
                    deferrable: false,
                    initially_deferred: false,
                    match_type: FkMatch::Simple,
                    valid: true,
                    comment: None,
                });
            }
        } else if let Some(a) = c.more().on_delete.as_ref().or(c.more().on_update.as_ref()) {
            p.push(
                Diagnostic::new(
                    a.loc.clone(),
                    format!(
                        "column `{}` has an action but no `references`",
                        c.name.value
                    ),
                )
                .label("only meaningful with `references`"),
            );
        }
    }
    table.policies = policies(p, &raw.policies);
    (table.partition_by, table.partitions) = partitioning(p, raw);
    table.exclusions = exclusions(p, raw);
    for fk in &raw.foreign_keys {
        if let Some(f) = resolve_fk(p, namer, &table, fk) {
            if let Some(r) = &fk.renamed_from {
                renamed.push((f.name.clone(), r.clone(), "constraint"));
            }
            table.foreign_keys.push(f);
        }
    }
    table
}

/// A unique constraint on exactly the columns (in order) of the primary key or of an earlier
/// unique constraint: `CREATE TABLE` drops it as redundant (and may give the primary key its
/// name), so the declaration would never match the database.
fn redundant_keys(p: &mut Problems, table: &Table, raw: &RawTable) {
    let pk_loc = raw.primary_key.as_ref().map(|k| k.loc.clone()).or_else(|| {
        raw.columns.iter().find_map(|c| {
            c.primary_key
                .as_ref()
                .filter(|b| b.value)
                .map(|b| b.loc.clone())
        })
    });
    // Where each of table.uniques was written: column-level ones first, as resolve_table adds them.
    let locs: Vec<Loc> = raw
        .columns
        .iter()
        .filter_map(|c| {
            c.more()
                .unique
                .as_ref()
                .filter(|b| b.value)
                .map(|b| b.loc.clone())
        })
        .chain(raw.uniques.iter().map(|u| u.loc.clone()))
        .collect();
    if locs.len() != table.uniques.len() {
        return;
    }
    // PostgreSQL only drops a constraint whose columns, INCLUDE list, NULLS NOT DISTINCT and
    // deferral all repeat an earlier one's.
    let signature = |u: &Unique| Unique {
        name: String::new(),
        with: Default::default(),
        ..u.clone()
    };
    let mut earlier: Vec<(Unique, Loc, &str)> = Vec::new();
    if let (Some(pk), Some(loc)) = (&table.primary_key, pk_loc) {
        let key = Unique {
            columns: pk.columns.clone(),
            ..Unique::default()
        };
        earlier.push((key, loc, "the primary key"));
    }
    for (u, loc) in table.uniques.iter().zip(locs) {
        if u.columns.is_empty() {
            continue;
        }
        if let Some((_, first, what)) = earlier.iter().find(|(k, ..)| *k == signature(u)) {
            p.push(
                Diagnostic::new(
                    loc.clone(),
                    format!(
                        "unique constraint on ({}) of {} repeats {what}",
                        u.columns.join(", "),
                        table.name
                    ),
                )
                .label("redundant: PostgreSQL would not create it")
                .related(first.clone(), format!("{what} is on the same columns"))
                .hint("remove it; the columns are already unique"),
            );
        } else {
            earlier.push((signature(u), loc, "another unique constraint"));
        }
    }
}

/// Reports a key, index or foreign key of more columns than PostgreSQL allows in an index.
fn check_key_count(p: &mut Problems, n: usize, loc: &Loc, what: &str) {
    if n > MAX_KEYS {
        p.push(
            Diagnostic::new(
                loc.clone(),
                format!("{what} has {n} columns; PostgreSQL allows at most {MAX_KEYS}"),
            )
            .label("too many columns"),
        );
    }
}

/// The declared name, checked for clashes, or PostgreSQL's default name.
fn given_or(
    p: &mut Problems,
    namer: &mut Namer,
    (ns, table): (&str, &str),
    given: &Option<Sp<String>>,
    kind: NameKind,
    default: impl FnOnce(&mut Namer) -> String,
) -> String {
    let Some(n) = given else {
        return default(namer);
    };
    check_ident(p, n, "constraint or index");
    if let Some(Clash { on_table, first }) = namer.given(ns, table, n, kind) {
        let what = if !on_table {
            format!(
                "the name `{}` is already taken in schema `{ns}` (by a table, index or constraint)",
                n.value
            )
        } else {
            format!("table `{table}` has two constraints named `{}`", n.value)
        };
        let mut d = Diagnostic::new(n.loc.clone(), what).label("used again here");
        if let Some(f) = first {
            d = d.related(f, "first used here");
        }
        p.push(d);
    }
    n.value.clone()
}

/// Types extensions commonly define, accepted by their bare name as a type in `public` (where
/// `CREATE EXTENSION` puts them unless told otherwise); any other external type is written
/// qualified, `schema.type`.
pub const EXTENSION_TYPES: &[&str] = &[
    "citext",
    "hstore",
    "ltree",
    "lquery",
    "ltxtquery",
    "cube",
    "seg",
    "isbn",
    "isbn13",
    "ismn",
    "ismn13",
    "issn",
    "issn13",
    "ean13",
    "upc",
    "geometry",
    "geography",
    "vector",
];

fn resolve_type(
    p: &mut Problems,
    schema: &Schema,
    ns: &str,
    ty: &Sp<String>,
) -> (Option<DataType>, bool) {
    if let Some(s) = Serial::from_name(&ty.value) {
        return (Some(DataType::new(s.base())), true);
    }
    if let Some(bad) = crate::model::expr::lexical_problem(&ty.value) {
        p.push(
            Diagnostic::new(
                ty.loc.clone(),
                format!("invalid type `{}`", ty.value.trim()),
            )
            .within(bad.at)
            .label(bad.message),
        );
        return (None, false);
    }
    let array = ty.value.trim_end().ends_with(']');
    match DataType::parse(&ty.value) {
        Ok(t) => {
            if let Some(why) = out_of_range(&t) {
                p.push(
                    Diagnostic::new(
                        ty.loc.clone(),
                        format!("type `{}` can never be created as written", ty.value.trim()),
                    )
                    .label(why),
                );
                return (None, false);
            }
            (Some(t), false)
        }
        Err(TypeError::Unknown(parts)) => {
            let candidates: Vec<QualName> = match parts.as_slice() {
                [n] => vec![QualName::new(ns, n), QualName::new(home(), n)],
                [s, n] => vec![QualName::new(s, n)],
                _ => vec![],
            };
            if let Some(q) = candidates.into_iter().find(|q| {
                schema.enums.contains_key(q)
                    || schema.domains.contains_key(q)
                    || schema.composites.contains_key(q)
            }) {
                return (
                    Some(DataType {
                        base: BaseType::Named(q),
                        array,
                    }),
                    false,
                );
            }
            // An extension's type by its usual name, or any type written qualified: the
            // database, not the schema files, says whether it exists.
            let external = match parts.as_slice() {
                // Extensions are installed in `public` (for a tenant's copy too).
                [n] if EXTENSION_TYPES.contains(&n.as_str()) => {
                    Some(QualName::new(DEFAULT_SCHEMA, n))
                }
                [s, n] => Some(QualName::new(s, n)),
                _ => None,
            };
            if let Some(q) = external {
                return (
                    Some(DataType {
                        base: BaseType::Named(q),
                        array,
                    }),
                    false,
                );
            }
            let word = parts.join(".");
            let d = Diagnostic::new(
                ty.loc.clone(),
                format!("unknown type `{}`", ty.value.trim()),
            )
            .label("not a PostgreSQL type, nor an enum, domain or composite type declared in this schema");
            p.push(did_you_mean(d, schema, &word));
            (None, false)
        }
        Err(TypeError::Syntax(msg)) => {
            // `varchr(20)`: the name before the modifiers may be a typo
            let word = ty.value.trim().split(['(', ' ', '[']).next().unwrap_or("");
            let word = word.to_lowercase();
            let known = DataType::parse(&word).is_ok() || Serial::from_name(&word).is_some();
            p.push(if known {
                Diagnostic::new(
                    ty.loc.clone(),
                    format!("invalid type `{}`", ty.value.trim()),
                )
                .label(msg)
            } else {
                let d = Diagnostic::new(
                    ty.loc.clone(),
                    format!("unknown type `{}`", ty.value.trim()),
                )
                .label(format!(
                    "`{word}` is not a PostgreSQL type, nor one declared in this schema"
                ));
                did_you_mean(d, schema, &word)
            });
            (None, false)
        }
    }
}

fn did_you_mean(d: Diagnostic, schema: &Schema, word: &str) -> Diagnostic {
    let mut all: Vec<String> = BUILTIN_TYPES.iter().map(|s| s.to_string()).collect();
    all.extend(
        (schema.enums.keys())
            .chain(schema.domains.keys())
            .chain(schema.composites.keys())
            .map(|q| q.name.clone()),
    );
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    match closest(word, &refs) {
        Some(best) => d.hint(format!("did you mean `{best}`?")),
        None => d,
    }
}

/// Why a type with these modifiers can never be created as written, as the server checks them
/// (or silently changes them, so that the declaration would never converge).
fn out_of_range(t: &DataType) -> Option<String> {
    const MAX_CHAR: u32 = 10_485_760;
    const MAX_BIT: u32 = 83_886_080;
    let precision = |p: Option<u32>, what: &str| match p {
        Some(p) if p > 6 => Some(format!(
            "{what} precision must be 0..6; PostgreSQL would reduce {p} to 6, so this would never match"
        )),
        _ => None,
    };
    match &t.base {
        BaseType::Varchar(Some(n)) | BaseType::Char(n) if *n == 0 || *n > MAX_CHAR => {
            Some(format!("the length must be 1..{MAX_CHAR}, not {n}"))
        }
        BaseType::Bit(Some(n)) | BaseType::VarBit(Some(n)) if *n == 0 || *n > MAX_BIT => {
            Some(format!("the length must be 1..{MAX_BIT}, not {n}"))
        }
        BaseType::Numeric(Some((p, _))) if *p == 0 || *p > 1000 => Some(format!(
            "numeric precision must be 1..1000, not {}",
            if *p == u32::MAX {
                "more".to_string()
            } else {
                p.to_string()
            }
        )),
        BaseType::Numeric(Some((_, s))) if !(-1000..=1000).contains(s) => {
            Some(format!("numeric scale must be -1000..1000, not {s}"))
        }
        BaseType::Time { precision: p, .. } => precision(*p, "time"),
        BaseType::Timestamp { precision: p, .. } => precision(*p, "timestamp"),
        BaseType::Opaque(text) if text.starts_with("interval") => {
            let digits = text.rsplit_once('(').map(|(_, d)| d.trim_end_matches(')'));
            precision(digits.and_then(|d| d.parse().ok()), "interval")
        }
        _ => None,
    }
}

/// Reports a comment, a top-level `;` or an unterminated literal in declared SQL text, pointing at
/// it: such text would change the statement it is placed into.
fn sql_text_ok(p: &mut Problems, text: &Sp<String>, what: &str) -> bool {
    let Some(bad) = crate::model::expr::lexical_problem(&text.value) else {
        return true;
    };
    let mut d = Diagnostic::new(text.loc.clone(), format!("invalid {what}"))
        .within(bad.at)
        .label(bad.message);
    if bad.structural {
        d = d.hint(
            "SQL comments and `;` are not allowed in declared expressions; use TOML `#` comments",
        );
    }
    p.push(d);
    false
}

fn expr_or_report(p: &mut Problems, text: &Sp<String>, what: &str) -> Option<SqlExpr> {
    if !sql_text_ok(p, text, what) {
        return None;
    }
    match SqlExpr::parse(&text.value) {
        Ok(e) => Some(e),
        Err(msg) => {
            p.push(Diagnostic::new(text.loc.clone(), format!("invalid {what}")).label(msg));
            None
        }
    }
}

/// The `backfill` and `using` keys of a table's columns, each parsed as one SQL expression.
/// A backfill only means something for a column that ends NOT NULL and does not fill itself.
fn column_upgrades(
    p: &mut Problems,
    raw: &RawTable,
    table: &Table,
) -> BTreeMap<String, crate::model::ColumnUpgrade> {
    let mut out: BTreeMap<String, crate::model::ColumnUpgrade> = BTreeMap::new();
    for c in &raw.columns {
        if c.more().backfill.is_none() && c.more().using.is_none() {
            continue;
        }
        // A duplicate column was reported already; its keys belong to neither.
        if out.contains_key(&c.name.value) {
            continue;
        }
        let Some(col) = table.column(&c.name.value) else {
            continue;
        };
        let mut up = crate::model::ColumnUpgrade::default();
        if let Some(b) = &c.more().backfill {
            let what = format!("backfill expression for column `{}`", c.name.value);
            let expr = expr_or_report(p, b, &what);
            if col.nullable {
                p.push(
                    Diagnostic::new(
                        b.loc.clone(),
                        format!("column `{}` has a backfill but is nullable", c.name.value),
                    )
                    .label("a backfill fills NULLs before NOT NULL is set")
                    .hint("declare `nullable = false`, or remove the backfill"),
                );
            } else if col.identity.is_some()
                || matches!(col.default, Some(ColumnDefault::Serial { .. }))
            {
                p.push(
                    Diagnostic::new(
                        b.loc.clone(),
                        format!(
                            "column `{}` has a backfill but fills itself (serial or identity)",
                            c.name.value
                        ),
                    )
                    .label("remove the backfill"),
                );
            } else {
                up.backfill = expr;
            }
        }
        if let Some(u) = &c.more().using {
            let what = format!("using expression for column `{}`", c.name.value);
            up.using = expr_or_report(p, u, &what);
        }
        if up.backfill.is_some() || up.using.is_some() {
            out.insert(c.name.value.clone(), up);
        }
    }
    out
}

/// Names in `cols` that are columns of `table`; reports the others.
fn known_columns(p: &mut Problems, table: &Table, cols: &[Sp<String>], what: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in cols {
        if table.column(&c.value).is_some() {
            out.push(c.value.clone());
        } else {
            p.push(unknown_column(table, c, what));
        }
    }
    if cols.is_empty() {
        // nothing to point at but the (empty) list itself; the caller's loc is better
    }
    out
}

fn unknown_column(table: &Table, c: &Sp<String>, what: &str) -> Diagnostic {
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let mut d = Diagnostic::new(
        c.loc.clone(),
        format!(
            "{what} names column `{}`, which {} does not have",
            c.value, table.name
        ),
    )
    .label("no such column");
    if let Some(best) = closest(&c.value, &names) {
        d = d.hint(format!("did you mean `{best}`?"));
    }
    d
}

fn resolve_unique(p: &mut Problems, namer: &mut Namer, table: &Table, u: &RawColumns) -> Unique {
    let cols = known_columns(p, table, &u.columns, "unique constraint");
    if u.columns.is_empty() {
        p.push(
            Diagnostic::new(u.loc.clone(), "unique constraint has no columns")
                .label("empty `columns`"),
        );
    }
    let o = &u.options;
    let include = include_columns(p, table, &o.include, "unique constraint");
    let (ns, t) = (table.name.schema.as_str(), table.name.name.as_str());
    // PostgreSQL names the constraint after its key and INCLUDE columns alike.
    let labels = with_labels(cols.clone(), &include);
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let name = given_or(p, namer, (ns, t), &u.name, NameKind::KeyConstraint, |n| {
        n.choose(
            ns,
            t,
            Some(&names::column_addition(&refs)),
            "key",
            NameKind::KeyConstraint,
        )
    });
    if let Some(cm) = &u.comment {
        check_comment(p, cm);
    }
    check_key_count(
        p,
        u.columns.len() + include.len(),
        &u.loc,
        "unique constraint",
    );
    let initially_deferred = o.initially_deferred.as_ref().is_some_and(|b| b.value);
    Unique {
        name,
        columns: cols,
        nulls_not_distinct: o.nulls_not_distinct.as_ref().is_some_and(|b| b.value),
        deferrable: initially_deferred || o.deferrable.as_ref().is_some_and(|b| b.value),
        initially_deferred,
        include,
        with: storage_params(p, &o.with),
        comment: u.comment.as_ref().map(|c| c.value.clone()),
    }
}

/// The `include = [...]` columns, each a column of the table (a key column may be repeated, as
/// PostgreSQL allows).
fn include_columns(
    p: &mut Problems,
    table: &Table,
    include: &Option<Vec<Sp<String>>>,
    what: &str,
) -> Vec<String> {
    match include {
        Some(list) => known_columns(p, table, list, what),
        None => Vec::new(),
    }
}

/// The words of a default index or constraint name: the key labels, then the INCLUDE
/// columns, numbered when repeated (`a`, `a1`), as `ChooseIndexColumnNames` does.
fn with_labels(keys: Vec<String>, include: &[String]) -> Vec<String> {
    let mut out = keys;
    for c in include {
        let label = unique_label(&out, c.clone());
        out.push(label);
    }
    out
}

/// The `with = { ... }` storage parameters, their names folded to lower case as PostgreSQL
/// folds them. Whether the index method knows a parameter is the server's business.
fn storage_params(
    p: &mut Problems,
    with: &Option<Vec<(Sp<String>, Sp<String>)>>,
) -> crate::model::StorageParams {
    let mut out = BTreeMap::new();
    for (name, value) in with.iter().flatten() {
        let lower = name.value.to_ascii_lowercase();
        let plain = lower.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && lower
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain {
            p.push(
                Diagnostic::new(
                    name.loc.clone(),
                    format!("invalid storage parameter name `{}`", name.value),
                )
                .label("expected a word such as `fillfactor`"),
            );
            continue;
        }
        if value.value.contains('\0') {
            p.push(
                Diagnostic::new(value.loc.clone(), "a storage parameter cannot hold NUL")
                    .label("NUL character"),
            );
            continue;
        }
        if out.insert(lower.clone(), value.value.clone()).is_some() {
            p.push(
                Diagnostic::new(
                    name.loc.clone(),
                    format!("storage parameter `{lower}` is given twice"),
                )
                .label("repeated"),
            );
        }
    }
    crate::model::StorageParams(out)
}

fn action(p: &mut Problems, a: &Option<Sp<String>>) -> FkAction {
    let Some(a) = a else {
        return FkAction::NoAction;
    };
    FkAction::parse(&a.value).unwrap_or_else(|| {
        let opts = super::spec::ACTIONS;
        let mut d = Diagnostic::new(
            a.loc.clone(),
            format!("unknown referential action `{}`", a.value),
        )
        .label("not an ON DELETE/ON UPDATE action");
        d = match closest(&a.value.to_lowercase(), opts) {
            Some(best) => d.hint(format!("did you mean `{best}`?")),
            None => d.hint(format!("one of: {}", opts.join(", "))),
        };
        p.push(d);
        FkAction::NoAction
    })
}

/// `"table(col, ...)"`, `"schema.table(col, ...)"` or just `"table"` (its primary key).
fn parse_reference(p: &mut Problems, r: &Sp<String>, ns: &str) -> Option<(QualName, Vec<String>)> {
    let text = r.value.trim();
    let (target, cols) = match text.find('(') {
        Some(open) if text.ends_with(')') => {
            let cols: Vec<String> = text[open + 1..text.len() - 1]
                .split(',')
                .map(|c| c.trim().to_string())
                .collect();
            (&text[..open], cols)
        }
        Some(_) => {
            p.push(
                Diagnostic::new(r.loc.clone(), format!("cannot read reference `{text}`"))
                    .label("expected `table(column, ...)`"),
            );
            return None;
        }
        None => (text, Vec::new()),
    };
    let parts: Vec<&str> = target.trim().split('.').map(str::trim).collect();
    let name = match parts.as_slice() {
        [t] if !t.is_empty() => QualName::new(ns, *t),
        [s, t] if !s.is_empty() && !t.is_empty() => QualName::new(*s, *t),
        _ => {
            p.push(
                Diagnostic::new(r.loc.clone(), format!("cannot read reference `{text}`"))
                    .label("expected `table(column)` or `schema.table(column)`"),
            );
            return None;
        }
    };
    if cols.iter().any(String::is_empty) {
        p.push(
            Diagnostic::new(
                r.loc.clone(),
                format!("reference `{text}` has an empty column name"),
            )
            .label("expected `table(column, ...)`"),
        );
        return None;
    }
    Some((name, cols))
}

fn resolve_fk(
    p: &mut Problems,
    namer: &mut Namer,
    table: &Table,
    fk: &RawForeignKey,
) -> Option<ForeignKey> {
    check_key_count(p, fk.columns.len(), &fk.loc, "foreign key");
    let cols = known_columns(p, table, &fk.columns, "foreign key");
    if cols.len() != fk.columns.len() {
        return None; // an unknown column is already reported
    }
    if fk.columns.is_empty() {
        p.push(
            Diagnostic::new(fk.loc.clone(), "foreign key has no columns").label("empty `columns`"),
        );
    }
    let (ref_table, ref_columns) = parse_reference(p, &fk.references, &table.name.schema)?;
    let (ns, t) = (table.name.schema.as_str(), table.name.name.as_str());
    let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let name = given_or(p, namer, (ns, t), &fk.name, NameKind::Constraint, |n| {
        n.choose(
            ns,
            t,
            Some(&names::column_addition(&refs)),
            "fkey",
            NameKind::Constraint,
        )
    });
    let initially_deferred = fk.initially_deferred.as_ref().is_some_and(|b| b.value);
    Some(ForeignKey {
        name,
        columns: cols,
        ref_table,
        ref_columns,
        on_delete: action(p, &fk.on_delete),
        on_update: action(p, &fk.on_update),
        deferrable: initially_deferred || fk.deferrable.as_ref().is_some_and(|b| b.value),
        initially_deferred,
        match_type: match_type(p, &fk.match_type),
        valid: fk.valid.as_ref().is_none_or(|b| b.value),
        comment: fk.comment.as_ref().map(|c| c.value.clone()),
    })
}

/// `match = "full" | "simple"`.
fn match_type(p: &mut Problems, m: &Option<Sp<String>>) -> FkMatch {
    let Some(m) = m else {
        return FkMatch::Simple;
    };
    match m.value.trim().to_lowercase().as_str() {
        "simple" => FkMatch::Simple,
        "full" => FkMatch::Full,
        other => {
            let mut d = Diagnostic::new(m.loc.clone(), format!("unknown match type `{}`", m.value))
                .label("expected \"simple\" or \"full\"");
            if other == "partial" {
                d = d.hint("PostgreSQL does not implement MATCH PARTIAL");
            }
            p.push(d);
            FkMatch::Simple
        }
    }
}

/// A declared collation that can never match: empty, holding a NUL, `default` (the type's own,
/// which the catalog does not record as a collation of the column), or on a type that has no
/// collation.
fn collation_ok(
    p: &mut Problems,
    c: &Sp<String>,
    schema: &Schema,
    ty: Option<&DataType>,
    serial: bool,
) -> bool {
    let problem = if c.value.is_empty() {
        Some((
            "collation name is empty",
            "leave the key out for the type's default",
        ))
    } else if c.value.contains('\0') {
        Some((
            "collation name contains a NUL character",
            "PostgreSQL cannot store it",
        ))
    } else if c.value == "default" {
        Some((
            "collation `default` is the type's own collation",
            "leave the key out: PostgreSQL does not record it as the column's collation",
        ))
    } else if serial
        || ty.is_some_and(|t| match &t.base {
            BaseType::Text | BaseType::Varchar(_) | BaseType::Char(_) | BaseType::Opaque(_) => {
                false
            }
            // An enum or composite type declared here has no collation; a domain has its base
            // type's; another type may (citext).
            BaseType::Named(q) => {
                schema.enums.contains_key(q)
                    || schema.composites.contains_key(q)
                    || (schema.domains.get(q)).is_some_and(|d| {
                        !matches!(
                            d.base.base,
                            BaseType::Text
                                | BaseType::Varchar(_)
                                | BaseType::Char(_)
                                | BaseType::Opaque(_)
                        )
                    })
            }
            _ => true,
        })
    {
        Some((
            "this column's type has no collation",
            "only text types (text, varchar, char, citext...) can have a collation",
        ))
    } else {
        None
    };
    match problem {
        Some((message, label)) => {
            p.push(Diagnostic::new(c.loc.clone(), message).label(label));
            false
        }
        None => true,
    }
}

/// Where each foreign key of `raw` was written, in the order `resolve_table` created them.
fn fk_locations(raw: &RawTable) -> Vec<Loc> {
    raw.columns
        .iter()
        .filter_map(|c| c.references.as_ref().map(|r| r.loc.clone()))
        .chain(raw.foreign_keys.iter().map(|f| f.references.loc.clone()))
        .collect()
}

/// Checks every foreign key of a table against its target; returns the referenced columns of
/// those written without them (`references = "users"`), by foreign key index.
fn check_foreign_keys(
    p: &mut Problems,
    schema: &Schema,
    name: &QualName,
    raw: &RawTable,
) -> Vec<(usize, Vec<String>)> {
    let mut filled = Vec::new();
    let Some(table) = schema.tables.get(name) else {
        return filled;
    };
    let locs = fk_locations(raw);
    if locs.len() != table.foreign_keys.len() {
        return filled; // a reference could not be read; that is already reported
    }
    for (fk_index, (fk, loc)) in table.foreign_keys.iter().zip(locs).enumerate() {
        let Some(target) = schema.tables.get(&fk.ref_table) else {
            let names: Vec<String> = schema.tables.keys().map(|q| q.name.clone()).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut d = Diagnostic::new(
                loc,
                format!(
                    "foreign key `{}` references table {}, which the schema does not declare",
                    fk.name, fk.ref_table
                ),
            )
            .label("no such table");
            if let Some(best) = closest(&fk.ref_table.name, &refs) {
                d = d.hint(format!("did you mean `{best}`?"));
            }
            p.push(d);
            continue;
        };
        let ref_cols: Vec<String> = if fk.ref_columns.is_empty() {
            match &target.primary_key {
                Some(pk) => {
                    filled.push((fk_index, pk.columns.clone()));
                    pk.columns.clone()
                }
                None => {
                    p.push(
                        Diagnostic::new(
                            loc,
                            format!("{} has no primary key to reference", target.name),
                        )
                        .label("name the referenced columns: table(column)"),
                    );
                    continue;
                }
            }
        } else {
            fk.ref_columns.clone()
        };
        let mut ok = true;
        for c in &ref_cols {
            if target.column(c).is_none() {
                ok = false;
                let names: Vec<&str> = target.columns.iter().map(|c| c.name.as_str()).collect();
                let mut d = Diagnostic::new(
                    loc.clone(),
                    format!(
                        "foreign key `{}` references column `{c}`, which {} does not have",
                        fk.name, target.name
                    ),
                )
                .label("no such column");
                if let Some(best) = closest(c, &names) {
                    d = d.hint(format!("did you mean `{best}`?"));
                }
                p.push(d);
            }
        }
        if !ok {
            continue;
        }
        if ref_cols.len() != fk.columns.len() {
            p.push(
                Diagnostic::new(
                    loc,
                    format!(
                        "foreign key `{}` has {} column(s) but references {}",
                        fk.name,
                        fk.columns.len(),
                        ref_cols.len()
                    ),
                )
                .label("column counts differ"),
            );
            continue;
        }
        if !is_unique_key(target, &ref_cols) {
            p.push(
                Diagnostic::new(
                    loc,
                    format!(
                        "foreign key `{}` references ({}) of {}, which is neither its primary key nor unique",
                        fk.name,
                        ref_cols.join(", "),
                        target.name
                    ),
                )
                .label("PostgreSQL requires a unique constraint on the referenced columns"),
            );
        }
    }
    filled
}

/// Whether `cols` (in any order) are exactly the primary key or a unique constraint that is
/// not deferrable (PostgreSQL refuses a foreign key to a deferrable one) or a non-partial unique
/// index on plain columns.
fn is_unique_key(t: &Table, cols: &[String]) -> bool {
    let want: BTreeSet<&String> = cols.iter().collect();
    let same = |c: &[String]| c.iter().collect::<BTreeSet<_>>() == want;
    t.primary_key.as_ref().is_some_and(|pk| same(&pk.columns))
        || t.uniques.iter().any(|u| !u.deferrable && same(&u.columns))
        || t.indexes.iter().any(|i| {
            i.unique
                && i.predicate.is_none()
                && same(
                    &i.keys
                        .iter()
                        .filter_map(|k| match &k.part {
                            IndexPart::Column(c) => Some(c.clone()),
                            IndexPart::Expr(_) => None,
                        })
                        .collect::<Vec<_>>(),
                )
        })
}

fn resolve_index(
    p: &mut Problems,
    namer: &mut Namer,
    table: &Table,
    idx: &RawIndex,
) -> Option<Index> {
    if idx.columns.is_empty() {
        p.push(Diagnostic::new(idx.loc.clone(), "index has no columns").label("empty `columns`"));
        return None;
    }
    let mut keys = Vec::new();
    let mut name_parts = Vec::new();
    for c in &idx.columns {
        if table.column(&c.value).is_some() {
            name_parts.push(c.value.clone());
            keys.push(IndexKey::new(
                IndexPart::Column(c.value.clone()),
                false,
                None,
            ));
            continue;
        }
        if !sql_text_ok(p, c, "index column") {
            continue;
        }
        match index_key(&c.value) {
            Ok((key, label)) => {
                if let IndexPart::Column(col) = &key.part
                    && table.column(col).is_none()
                {
                    p.push(unknown_column(
                        table,
                        &Sp {
                            value: col.clone(),
                            loc: c.loc.clone(),
                        },
                        "index",
                    ));
                    continue;
                }
                name_parts.push(unique_label(&name_parts, label));
                keys.push(key);
            }
            Err(msg) => p.push(Diagnostic::new(c.loc.clone(), "invalid index column").label(msg)),
        }
    }
    let include = include_columns(p, table, &idx.include, "index");
    check_key_count(p, idx.columns.len() + include.len(), &idx.loc, "index");
    let predicate = match &idx.predicate {
        Some(w) => Some(expr_or_report(p, w, "index predicate")?),
        None => None,
    };
    let method = match &idx.method {
        Some(m) => {
            let lower = m.value.to_lowercase();
            if !super::spec::METHODS.contains(&lower.as_str()) {
                let mut d =
                    Diagnostic::new(m.loc.clone(), format!("unknown index method `{}`", m.value))
                        .label("not a built-in index access method");
                if let Some(best) = closest(&lower, super::spec::METHODS) {
                    d = d.hint(format!("did you mean `{best}`?"));
                }
                p.push(d);
            }
            lower
        }
        None => "btree".to_string(),
    };
    if let (Some(u), Some(m)) = (&idx.unique, &idx.method)
        && u.value
        && method != "btree"
        && super::spec::METHODS.contains(&method.as_str())
    {
        p.push(
            Diagnostic::new(
                m.loc.clone(),
                format!("a unique index cannot use `{method}`"),
            )
            .label("only btree indexes can be unique")
            .related(u.loc.clone(), "declared unique here"),
        );
    }
    if let (Some(inc), Some(m)) = (&idx.include, &idx.method)
        && !inc.is_empty()
        && ["hash", "gin", "brin"].contains(&method.as_str())
    {
        p.push(
            Diagnostic::new(
                m.loc.clone(),
                format!("a `{method}` index cannot have `include` columns"),
            )
            .label("only btree, gist and spgist indexes support INCLUDE"),
        );
    }
    let unique = idx.unique.as_ref().is_some_and(|b| b.value);
    if let Some(nnd) = &idx.nulls_not_distinct
        && nnd.value
        && !unique
    {
        p.push(
            Diagnostic::new(nnd.loc.clone(), "`nulls_not_distinct` needs a unique index")
                .label("only unique indexes treat NULLs as distinct or not")
                .hint("add `unique = true`, or remove it"),
        );
    }
    let (ns, t) = (table.name.schema.as_str(), table.name.name.as_str());
    let labels = with_labels(name_parts, &include);
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let name = given_or(p, namer, (ns, t), &idx.name, NameKind::Relation, |n| {
        n.choose(
            ns,
            t,
            Some(&names::column_addition(&refs)),
            "idx",
            NameKind::Relation,
        )
    });
    Some(Index {
        name,
        unique,
        method,
        keys,
        predicate,
        include,
        with: storage_params(p, &idx.with),
        nulls_not_distinct: idx.nulls_not_distinct.as_ref().is_some_and(|b| b.value),
        valid: true,
        comment: idx.comment.as_ref().map(|c| {
            check_comment(p, c);
            c.value.clone()
        }),
    })
}

/// One index key written as SQL, as in `CREATE INDEX`: a column or an expression, then
/// `COLLATE name`, an operator class, `ASC`/`DESC` and `NULLS FIRST|LAST`, each optional:
/// `col`, `col DESC NULLS LAST`, `(lower(email))`, `email text_pattern_ops`,
/// `name COLLATE "C" DESC`. Returns the key and the word PostgreSQL uses for it in a default
/// index name.
fn index_key(text: &str) -> Result<(IndexKey, String), String> {
    use sqlparser::ast::Expr;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::keywords::Keyword;
    use sqlparser::parser::Parser;
    use sqlparser::tokenizer::Token;
    let dialect = PostgreSqlDialect {};
    let clean =
        |e: sqlparser::parser::ParserError| crate::model::types::clean_parser_error(&e.to_string());
    let mut parser = Parser::new(&dialect)
        .try_with_sql(text)
        .map_err(|e| e.to_string())?;
    let mut expr = parser.parse_expr().map_err(clean)?;
    // `x COLLATE c` and `(x COLLATE c)` are one key, as PostgreSQL strips a top-level COLLATE.
    let mut collation = None;
    loop {
        match expr {
            Expr::Nested(inner) => expr = *inner,
            Expr::Collate {
                expr: inner,
                collation: c,
            } if collation.is_none() => {
                collation = Some(object_name(&c));
                expr = *inner;
            }
            _ => break,
        }
    }
    let opclass = match parser.peek_token().token {
        Token::Word(w)
            if !matches!(w.keyword, Keyword::ASC | Keyword::DESC | Keyword::NULLS)
                || w.quote_style.is_some() =>
        {
            Some(object_name(
                &parser.parse_object_name(false).map_err(clean)?,
            ))
        }
        _ => None,
    };
    let descending = matches!(
        parser.parse_one_of_keywords(&[Keyword::ASC, Keyword::DESC]),
        Some(Keyword::DESC)
    );
    let nulls_first = if parser.parse_keywords(&[Keyword::NULLS, Keyword::FIRST]) {
        Some(true)
    } else if parser.parse_keywords(&[Keyword::NULLS, Keyword::LAST]) {
        Some(false)
    } else {
        None
    };
    if parser.peek_token().token != Token::EOF {
        return Err(format!(
            "unexpected `{}` after the index key",
            parser.peek_token().token
        ));
    }
    let (part, label) = match &expr {
        Expr::Identifier(id) => {
            let name = if id.quote_style.is_some() {
                id.value.clone()
            } else {
                id.value.to_lowercase()
            };
            (IndexPart::Column(name.clone()), name)
        }
        other => (
            IndexPart::Expr(SqlExpr::raw(other.to_string())),
            names::figure_index_colname(other),
        ),
    };
    let mut key = IndexKey::new(part, descending, nulls_first);
    key.collation = collation;
    key.opclass = opclass;
    Ok((key, label))
}

/// A collation's or operator class's name as PostgreSQL prints it: each part folded to lower
/// case unless quoted, quoted where needed, and without `pg_catalog.` (always visible).
fn object_name(n: &sqlparser::ast::ObjectName) -> String {
    let mut parts: Vec<String> = (n.0.iter())
        .filter_map(|p| p.as_ident())
        .map(|id| {
            if id.quote_style.is_some() {
                id.value.clone()
            } else {
                id.value.to_lowercase()
            }
        })
        .collect();
    if parts.len() == 2 && parts[0] == "pg_catalog" {
        parts.remove(0);
    }
    (parts.iter())
        .map(|p| names::quote_ident(p))
        .collect::<Vec<_>>()
        .join(".")
}

/// PostgreSQL numbers repeated names within one index: `lower`, `lower1`, `lower2`.
fn unique_label(taken: &[String], label: String) -> String {
    if !taken.contains(&label) {
        return label;
    }
    (1..)
        .map(|i| format!("{label}{i}"))
        .find(|l| !taken.contains(l))
        .unwrap_or(label)
}

/// The column a check expression mentions, when it mentions exactly one (PostgreSQL then names
/// the check `<table>_<column>_check`; otherwise `<table>_check`).
fn only_column_mentioned(sql: &str, table: &Table) -> Option<String> {
    let mentioned = columns_mentioned(sql, table);
    match mentioned.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// The distinct columns of `table` an expression mentions, in order of first mention.
fn columns_mentioned(sql: &str, table: &Table) -> Vec<String> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for t in tokens {
        if let Token::Word(w) = t {
            let name = if w.quote_style.is_some() {
                w.value
            } else {
                w.value.to_lowercase()
            };
            if let Some(c) = table.column(&name)
                && !out.contains(&c.name)
            {
                out.push(c.name.clone());
            }
        }
    }
    out
}

/// A `renamed_from` value: a valid name, not the object's own.
fn rename_ok(p: &mut Problems, old: &Sp<String>, new: &str, what: &str) -> bool {
    let before = p.list.len();
    check_ident(p, old, &format!("{what} renamed_from"));
    if p.list.len() > before {
        return false;
    }
    if old.value == new {
        p.push(
            Diagnostic::new(
                old.loc.clone(),
                format!("{what} `{new}` is renamed from itself"),
            )
            .label("renamed_from names the object's own name")
            .hint("give the old name, or remove the key"),
        );
        return false;
    }
    true
}

/// The old name is declared too: then it is not a rename.
fn rename_of_declared(old: &Sp<String>, what: &str, new: &str) -> Diagnostic {
    Diagnostic::new(
        old.loc.clone(),
        format!(
            "{what} `{new}` is renamed from `{}`, which is declared too",
            old.value
        ),
    )
    .label("an object that is still declared cannot be the old name of another")
    .hint("remove the old declaration, or the renamed_from key")
}

/// The `renamed_from` keys of a table's columns, indexes and constraints (names as resolved).
fn part_renames(
    p: &mut Problems,
    renames: &mut crate::model::Renames,
    raw: &RawTable,
    table: &Table,
    parts: Vec<(String, Sp<String>, &'static str)>,
) {
    let mut seen: HashMap<(&'static str, String), Loc> = HashMap::new();
    let mut once = |p: &mut Problems, what: &'static str, old: &Sp<String>| {
        if let Some(first) = seen.get(&(what, old.value.clone())) {
            p.push(
                Diagnostic::new(
                    old.loc.clone(),
                    format!("two {what}s are renamed from `{}`", old.value),
                )
                .label("renamed from the same name again")
                .related(first.clone(), "first renamed from it here"),
            );
            return false;
        }
        seen.insert((what, old.value.clone()), old.loc.clone());
        true
    };
    for c in &raw.columns {
        let Some(old) = &c.more().renamed_from else {
            continue;
        };
        if !rename_ok(p, old, &c.name.value, "column") || !once(p, "column", old) {
            continue;
        }
        if table.column(&old.value).is_some() {
            p.push(rename_of_declared(old, "column", &c.name.value));
            continue;
        }
        (renames.columns.entry(table.name.clone()).or_default())
            .insert(c.name.value.clone(), old.value.clone());
    }
    let constraint_names: BTreeSet<&str> = (table.primary_key.iter().map(|k| k.name.as_str()))
        .chain(table.uniques.iter().map(|u| u.name.as_str()))
        .chain(table.checks.iter().map(|c| c.name.as_str()))
        .chain(table.foreign_keys.iter().map(|f| f.name.as_str()))
        .collect();
    for (new, old, what) in parts {
        if !rename_ok(p, &old, &new, what) || !once(p, what, &old) {
            continue;
        }
        let declared = match what {
            "index" => table.indexes.iter().any(|i| i.name == old.value),
            _ => constraint_names.contains(old.value.as_str()),
        };
        if declared {
            p.push(rename_of_declared(&old, what, &new));
            continue;
        }
        let map = match what {
            "index" => &mut renames.indexes,
            _ => &mut renames.constraints,
        };
        (map.entry(table.name.clone()).or_default()).insert(new, old.value.clone());
    }
}

/// `renamed_from` of tables: `name` (the table's schema) or `schema.name`.
fn table_renames(
    p: &mut Problems,
    schema: &mut Schema,
    raw_by_name: &BTreeMap<QualName, &RawTable>,
) {
    let mut seen: HashMap<QualName, Loc> = HashMap::new();
    for (name, raw) in raw_by_name {
        let Some(old) = &raw.renamed_from else {
            continue;
        };
        let parts: Vec<&str> = old.value.split('.').collect();
        let old_name = match parts.as_slice() {
            [n] => QualName::new(name.schema.clone(), *n),
            [s, n] => QualName::new(*s, *n),
            _ => {
                p.push(
                    Diagnostic::new(
                        old.loc.clone(),
                        format!("table renamed_from `{}` is not a table name", old.value),
                    )
                    .label("expected \"name\" or \"schema.name\""),
                );
                continue;
            }
        };
        let part = |v: &str| Sp {
            value: v.to_string(),
            loc: old.loc.clone(),
        };
        let before = p.list.len();
        check_ident(p, &part(&old_name.name), "table renamed_from");
        check_ident(p, &part(&old_name.schema), "table renamed_from schema");
        if p.list.len() > before {
            continue;
        }
        if old_name == *name {
            p.push(
                Diagnostic::new(
                    old.loc.clone(),
                    format!("table {name} is renamed from itself"),
                )
                .label("renamed_from names the table's own name")
                .hint("give the old name, or remove the key"),
            );
            continue;
        }
        if schema.tables.contains_key(&old_name) {
            p.push(rename_of_declared(old, "table", &name.to_string()));
            continue;
        }
        if let Some(first) = seen.get(&old_name) {
            p.push(
                Diagnostic::new(
                    old.loc.clone(),
                    format!("two tables are renamed from {old_name}"),
                )
                .label("renamed from the same table again")
                .related(first.clone(), "first renamed from it here"),
            );
            continue;
        }
        seen.insert(old_name.clone(), old.loc.clone());
        schema.renames.tables.insert(name.clone(), old_name);
    }
}

/// `renamed_values = { new = "old" }` of enums: the new value is declared, the old one is not.
fn enum_renames(p: &mut Problems, schema: &mut Schema, decls: &Decls) {
    for e in &decls.enums {
        if e.renamed_values.is_empty() {
            continue;
        }
        let name = QualName::new(schema_or_home(e.schema.as_ref()), e.name.value.clone());
        let Some(def) = schema.enums.get(&name) else {
            continue;
        };
        let values = def.values.clone();
        let mut olds: HashMap<String, Loc> = HashMap::new();
        for (new, old) in &e.renamed_values {
            if !values.contains(&new.value) {
                p.push(
                    Diagnostic::new(
                        new.loc.clone(),
                        format!("`{}` is not a value of enum {name}", new.value),
                    )
                    .label("renamed_values maps a declared value to its old name")
                    .hint("add it to `values`, or remove it here"),
                );
                continue;
            }
            if old.value.is_empty() {
                p.push(
                    Diagnostic::new(old.loc.clone(), "enum value renamed_from is empty")
                        .label("empty name"),
                );
                continue;
            }
            if old.value == new.value {
                p.push(
                    Diagnostic::new(
                        old.loc.clone(),
                        format!("enum value `{}` is renamed from itself", new.value),
                    )
                    .label("the old name is the value's own")
                    .hint("give the old name, or remove the entry"),
                );
                continue;
            }
            if values.contains(&old.value) {
                p.push(rename_of_declared(old, "enum value", &new.value));
                continue;
            }
            if let Some(first) = olds.get(&old.value) {
                p.push(
                    Diagnostic::new(
                        old.loc.clone(),
                        format!("two values are renamed from `{}`", old.value),
                    )
                    .related(first.clone(), "first renamed from it here"),
                );
                continue;
            }
            olds.insert(old.value.clone(), old.loc.clone());
            (schema.renames.enum_values.entry(name.clone()).or_default())
                .insert(new.value.clone(), old.value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::index_key;
    use crate::model::IndexPart;

    #[test]
    fn an_index_key_reads_collation_operator_class_and_order_as_create_index_does() {
        let (k, label) =
            index_key(r#"Email COLLATE "C" TEXT_PATTERN_OPS DESC NULLS LAST"#).unwrap();
        assert_eq!(k.part, IndexPart::Column("email".into()));
        assert_eq!(label, "email");
        assert_eq!(k.collation.as_deref(), Some(r#""C""#));
        assert_eq!(k.opclass.as_deref(), Some("text_pattern_ops"));
        assert!(k.descending);
        assert_eq!(k.nulls_first, Some(false));

        // A COLLATE in parentheses is the key's, and pg_catalog is left out as PostgreSQL prints it.
        let (k, _) = index_key(r#"(name COLLATE pg_catalog."POSIX")"#).unwrap();
        assert_eq!(k.part, IndexPart::Column("name".into()));
        assert_eq!(k.collation.as_deref(), Some(r#""POSIX""#));
        assert_eq!(k.opclass, None);

        let (k, label) = index_key("(lower(name)) myschema.My_Ops").unwrap();
        assert!(matches!(k.part, IndexPart::Expr(_)));
        assert_eq!(label, "lower");
        assert_eq!(k.opclass.as_deref(), Some("myschema.my_ops"));
        assert!(!k.descending);

        let (k, _) = index_key("doc ASC").unwrap();
        assert_eq!((k.opclass, k.descending), (None, false));

        assert!(index_key("name text_pattern_ops extra").is_err());
    }
}
