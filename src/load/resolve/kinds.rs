//! Second pass for extensions, functions and procedures, views, materialized views and
//! triggers. SQL text (queries, bodies) is kept as written: only what can be told without a
//! server is checked here, and nothing sqlparser merely fails to read is rejected.

use std::collections::{BTreeSet, HashMap};

use crate::kinds::extension::Extension;
use crate::kinds::function::{
    ArgMode, Argument, FunctionAttrs, Parallel, ReturnColumn, Returns, Routine, RoutineKey,
    RoutineKind, Volatility,
};
use crate::kinds::trigger::{
    ConstraintTrigger, Trigger, TriggerEnabled, TriggerEvent, TriggerLevel, TriggerTiming,
};
use crate::kinds::view::{CheckOption, MaterializedView, View};
use crate::model::{BaseType, Column, DataType, QualName, Schema, Table};

use super::super::diag::{Diagnostic, Loc};
use super::super::raw::Decls;
use super::super::raw_kinds::{RawRoutine, RawSql, RawTrigger};
use super::super::read::{Problems, Sp, closest};
use super::{
    Namer, check_comment, check_ident, duplicate, expr_or_report, home, qualify, resolve_index,
    resolve_type, schema_or_home,
};

/// PostgreSQL's pseudo-types and other types only routines take or return, by the name
/// `format_type()` gives them.
const PSEUDO_TYPES: &[&str] = &[
    "anyelement",
    "anyarray",
    "anynonarray",
    "anyenum",
    "anyrange",
    "anymultirange",
    "anycompatible",
    "anycompatiblearray",
    "anycompatiblenonarray",
    "anycompatiblerange",
    "anycompatiblemultirange",
    "cstring",
    "internal",
    "record",
    "trigger",
    "event_trigger",
    "void",
    "language_handler",
    "fdw_handler",
    "table_am_handler",
    "index_am_handler",
    "tsm_handler",
    "regclass",
    "regproc",
    "regprocedure",
    "regtype",
    "regnamespace",
    "regrole",
    "regconfig",
    "oid",
    "name",
];

/// Registers the names of views and materialized views as relations of their schema, before
/// tables are named (default index and constraint names avoid them, as PostgreSQL's do).
pub(super) fn register_relations(decls: &Decls, namer: &mut Namer) {
    let names = (decls.views.iter().map(|v| (&v.schema, &v.name))).chain(
        decls
            .materialized_views
            .iter()
            .map(|m| (&m.schema, &m.name)),
    );
    for (s, n) in names {
        namer.relation(&schema_or_home(s.as_ref()), &n.value);
    }
}

/// Reads a word from a fixed set (case-insensitive; `_` for a space: `instead_of`).
fn word<T: Copy>(p: &mut Problems, s: &Sp<String>, choices: &[(&str, T)], what: &str) -> Option<T> {
    let norm = s.value.trim().to_lowercase().replace('_', " ");
    let norm = norm.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((_, v)) = choices.iter().find(|(w, _)| *w == norm) {
        return Some(*v);
    }
    let words: Vec<&str> = choices.iter().map(|(w, _)| *w).collect();
    let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
    let mut d = Diagnostic::new(s.loc.clone(), format!("unknown {what} `{}`", s.value))
        .label(format!("expected {}", quoted.join(", ")));
    if let Some(best) = closest(&norm, &words) {
        d = d.hint(format!("did you mean `{best}`?"));
    }
    p.push(d);
    None
}

fn flag(b: &Option<Sp<bool>>) -> bool {
    b.as_ref().is_some_and(|b| b.value)
}

fn comment(p: &mut Problems, c: &Option<Sp<String>>) -> Option<String> {
    let c = c.as_ref()?;
    check_comment(p, c);
    Some(c.value.clone())
}

/// `"name"` (in `ns`) or `"schema.name"`, each part a valid identifier.
fn object_ref(p: &mut Problems, r: &Sp<String>, ns: &str, what: &str) -> Option<QualName> {
    let parts: Vec<&str> = r.value.split('.').collect();
    let (s, n) = match parts.as_slice() {
        [n] => (ns, *n),
        [s, n] => (*s, *n),
        _ => {
            p.push(
                Diagnostic::new(r.loc.clone(), format!("cannot read {what} `{}`", r.value))
                    .label("expected `name` or `schema.name`"),
            );
            return None;
        }
    };
    let before = p.list.len();
    for part in [s, n] {
        check_ident(
            p,
            &Sp {
                value: part.to_string(),
                loc: r.loc.clone(),
            },
            what,
        );
    }
    (p.list.len() == before).then(|| QualName::new(s, n))
}

/// A view's or materialized view's query: trimmed, a final `;` dropped, and one statement (a
/// `;` that would end it early is refused; anything else is for the server to judge).
fn query(p: &mut Problems, q: &RawSql, what: &str) -> Option<String> {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let mut text = q.text.value.trim();
    if text.contains('\0') {
        p.push(
            Diagnostic::new(
                q.text.loc.clone(),
                format!("the query of {what} contains a NUL character"),
            )
            .label("PostgreSQL text cannot hold a NUL character"),
        );
        return None;
    }
    // Only the tokenizer: it knows strings, quoted names, dollar quotes and comments. When it
    // cannot read the text, the server will say what is wrong.
    if let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize_with_location() {
        let significant: Vec<_> = (tokens.iter())
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect();
        // A final `;` (comments may follow it) ends the query; the text stops before it.
        if let Some(last) = significant.last()
            && last.token == Token::SemiColon
        {
            let at = offset(text, last.span.start.line, last.span.start.column);
            text = text[..at].trim_end();
        }
        let early = significant.iter().rev().skip(1).rev();
        if let Some(semi) = early.into_iter().find(|t| t.token == Token::SemiColon) {
            let line = semi.span.start.line;
            p.push(
                Diagnostic::new(
                    q.text.loc.clone(),
                    format!("the query of {what} holds more than one statement"),
                )
                .label(format!("a `;` on line {line} of the query ends it early"))
                .hint("a view is one query; only a final `;` may follow it"),
            );
            return None;
        }
    }
    if text.is_empty() {
        p.push(
            Diagnostic::new(q.text.loc.clone(), format!("the query of {what} is empty")).label(
                if q.from_file {
                    "the file holds no query"
                } else {
                    "empty query"
                },
            ),
        );
        return None;
    }
    Some(text.to_string())
}

/// The byte offset of a 1-based line and (character) column in `text`.
fn offset(text: &str, line: u64, column: u64) -> usize {
    let mut at = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            return at
                + l.char_indices()
                    .nth(column.saturating_sub(1) as usize)
                    .map_or(l.len(), |(b, _)| b);
        }
        at += l.len();
    }
    text.len()
}

fn columns(p: &mut Problems, cols: &Option<Vec<Sp<String>>>, what: &str) -> Vec<String> {
    let mut seen: HashMap<&str, &Loc> = HashMap::new();
    for c in cols.iter().flatten() {
        check_ident(p, c, "column");
        if let Some(first) = seen.insert(&c.value, &c.loc) {
            p.push(duplicate(
                &c.loc,
                first,
                &format!("column `{}` of {what}", c.value),
            ));
        }
    }
    cols.iter().flatten().map(|c| c.value.clone()).collect()
}

fn renamed(
    p: &mut Problems,
    r: &Option<Sp<String>>,
    name: &QualName,
    what: &str,
) -> Option<QualName> {
    let r = r.as_ref()?;
    let old = object_ref(p, r, &name.schema, &format!("{what} renamed_from"))?;
    if &old == name {
        p.push(
            Diagnostic::new(
                r.loc.clone(),
                format!("{what} {name} is renamed from itself"),
            )
            .label("the same name")
            .hint("remove `renamed_from` once the rename has been applied"),
        );
        return None;
    }
    Some(old)
}

/// A type a routine takes or returns: a column type, a pseudo-type (`trigger`, `anyelement`,
/// `void`...), or the row type of a declared table or view.
fn routine_type(
    p: &mut Problems,
    schema: &Schema,
    rel: &BTreeSet<QualName>,
    ns: &str,
    ty: &Sp<String>,
) -> Option<DataType> {
    let text = ty.value.trim().to_lowercase();
    let (base, array) = match text.strip_suffix("[]") {
        Some(b) => (b.trim_end(), true),
        None => (text.as_str(), false),
    };
    if base == "any" || base == "\"any\"" {
        return Some(DataType {
            base: BaseType::Opaque("\"any\"".into()),
            array,
        });
    }
    if PSEUDO_TYPES.contains(&base) {
        return Some(DataType {
            base: BaseType::Opaque(base.to_string()),
            array,
        });
    }
    let unqualified = !base.contains('.') && !base.contains('"');
    if unqualified {
        for q in [QualName::new(ns, base), QualName::new(home(), base)] {
            if rel.contains(&q) {
                return Some(DataType {
                    base: BaseType::Named(q),
                    array,
                });
            }
        }
    }
    match resolve_type(p, schema, ns, ty) {
        (Some(_), true) => {
            p.push(
                Diagnostic::new(
                    ty.loc.clone(),
                    format!("`{}` is not a type a routine can take", ty.value.trim()),
                )
                .label("serial is a column shorthand, not a type")
                .hint("use integer (or bigint, smallint)"),
            );
            None
        }
        (t, _) => t,
    }
}

pub(super) fn resolve_kinds(
    p: &mut Problems,
    decls: &Decls,
    schema: &mut Schema,
    namer: &mut Namer,
    role_refs: &mut super::privileges::RoleRefs,
) {
    use crate::kinds::privilege::{On, Target};
    extensions(p, decls, schema);
    // Relations whose row type a routine may take: declared tables, views, materialized views.
    let mut rel: BTreeSet<QualName> = schema.tables.keys().cloned().collect();
    for (s, n) in (decls.views.iter().map(|v| (&v.schema, &v.name))).chain(
        decls
            .materialized_views
            .iter()
            .map(|m| (&m.schema, &m.name)),
    ) {
        rel.insert(QualName::new(schema_or_home(s.as_ref()), n.value.clone()));
    }
    let mut routine_locs: HashMap<RoutineKey, Loc> = HashMap::new();
    for r in &decls.routines {
        if let Some(routine) = routine(p, schema, &rel, r) {
            let key = routine.key();
            if let Some(first) = routine_locs.get(&key) {
                let kind = if r.procedure { "procedure" } else { "function" };
                let other = schema.functions.get(&key).map_or(kind, |f| match f.kind {
                    RoutineKind::Function => "function",
                    RoutineKind::Procedure => "procedure",
                });
                let d = Diagnostic::new(r.loc.clone(), format!("{kind} {key} is declared twice"))
                    .label("declared again here")
                    .related(first.clone(), format!("first declared here (a {other})"))
                    .hint("overloads must differ in their input argument types; argument names and out arguments do not count");
                p.push(d);
                continue;
            }
            routine_locs.insert(key.clone(), r.loc.clone());
            let what = format!(
                "{} {key}",
                if r.procedure { "procedure" } else { "function" }
            );
            let target = Target::routine(routine.kind, &key);
            super::privileges::object(p, schema, role_refs, target, &r.acl, &what);
            schema.functions.insert(key, routine);
        }
    }
    // Relation names: one namespace with tables and sequences.
    let mut relation_locs: HashMap<QualName, (Loc, &str)> = HashMap::new();
    for t in &decls.tables {
        relation_locs
            .entry(QualName::new(
                schema_or_home(t.schema.as_ref()),
                t.name.value.clone(),
            ))
            .or_insert((t.name.loc.clone(), "table"));
    }
    for sq in &decls.sequences {
        relation_locs
            .entry(QualName::new(
                schema_or_home(sq.schema.as_ref()),
                sq.name.value.clone(),
            ))
            .or_insert((sq.name.loc.clone(), "sequence"));
    }
    let mut clash = |p: &mut Problems, name: &QualName, loc: &Loc, what: &'static str| -> bool {
        if let Some((first, kind)) = relation_locs.get(name) {
            let msg = if *kind == what {
                format!("{what} {name} is declared twice")
            } else {
                format!("{what} {name} has the name of a {kind}: they share one namespace")
            };
            p.push(
                Diagnostic::new(loc.clone(), msg)
                    .label("declared again here")
                    .related(first.clone(), "first declared here"),
            );
            return true;
        }
        relation_locs.insert(name.clone(), (loc.clone(), what));
        false
    };
    for v in &decls.views {
        let name = qualify(p, &v.schema, &v.name);
        if clash(p, &name, &v.name.loc, "view") {
            continue;
        }
        let what = format!("view {name}");
        let Some(q) = v.query.as_ref().and_then(|q| query(p, q, &what)) else {
            continue;
        };
        let cols = columns(p, &v.columns, &what);
        let check_option = v.check_option.as_ref().and_then(|c| {
            word(
                p,
                c,
                &[
                    ("local", CheckOption::Local),
                    ("cascaded", CheckOption::Cascaded),
                ],
                "check option",
            )
        });
        let view = View {
            renamed_from: renamed(p, &v.renamed_from, &name, "view"),
            comment: comment(p, &v.comment),
            name: name.clone(),
            query: q,
            columns: cols,
            security_barrier: flag(&v.security_barrier),
            security_invoker: flag(&v.security_invoker),
            check_option,
            triggers: Vec::new(),
        };
        let target = Target::of(On::View, name.clone());
        super::privileges::object(
            p,
            schema,
            role_refs,
            target,
            &v.acl,
            &format!("view {name}"),
        );
        schema.views.insert(name, view);
    }
    for m in &decls.materialized_views {
        let name = qualify(p, &m.schema, &m.name);
        if clash(p, &name, &m.name.loc, "materialized view") {
            continue;
        }
        let what = format!("materialized view {name}");
        let Some(q) = m.query.as_ref().and_then(|q| query(p, q, &what)) else {
            continue;
        };
        let cols = columns(p, &m.columns, &what);
        // Indexes are checked against the declared column names; without them, against the
        // names the indexes use (the server knows the query's columns).
        let mut known: Vec<String> = cols.clone();
        if known.is_empty() {
            for i in &m.indexes {
                for c in i.columns.iter().chain(i.include.iter().flatten()) {
                    let word = c.value.split_whitespace().next().unwrap_or("");
                    if !word.starts_with('(') && !word.is_empty() {
                        known.push(word.trim_matches('"').to_string());
                    }
                }
            }
        }
        let fake = Table {
            columns: known
                .iter()
                .map(|c| Column {
                    name: c.clone(),
                    ty: DataType::new(BaseType::Text),
                    nullable: true,
                    default: None,
                    identity: None,
                    identity_sequence: None,
                    generated: None,
                    comment: None,
                    collation: None,
                })
                .collect(),
            ..Table::empty(name.clone())
        };
        let mut indexes = Vec::new();
        for idx in &m.indexes {
            if let Some(r) = &idx.renamed_from {
                p.push(
                    Diagnostic::new(
                        r.loc.clone(),
                        "`renamed_from` is not supported on a materialized view's index yet",
                    )
                    .label("not supported here"),
                );
            }
            if let Some(i) = resolve_index(p, namer, &fake, idx) {
                indexes.push(i);
            }
        }
        let mv = MaterializedView {
            renamed_from: renamed(p, &m.renamed_from, &name, "materialized view"),
            comment: comment(p, &m.comment),
            name: name.clone(),
            query: q,
            columns: cols,
            with_data: m.with_data.as_ref().is_none_or(|b| b.value),
            indexes,
        };
        let target = Target::of(On::MaterializedView, name.clone());
        let what = format!("materialized view {name}");
        super::privileges::object(p, schema, role_refs, target, &m.acl, &what);
        schema.materialized_views.insert(name, mv);
    }
    // Triggers, once every function is known.
    for t in &decls.tables {
        let name = qualify(&mut Problems::default(), &t.schema, &t.name);
        let Some(table) = schema.tables.get(&name) else {
            continue;
        };
        let cols: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let triggers = triggers(p, schema, &name, Some(&cols), false, &t.triggers);
        if let Some(table) = schema.tables.get_mut(&name) {
            table.triggers = triggers;
        }
    }
    for v in &decls.views {
        let name = qualify(&mut Problems::default(), &v.schema, &v.name);
        let Some(view) = schema.views.get(&name) else {
            continue;
        };
        let cols = (!view.columns.is_empty()).then(|| view.columns.clone());
        let triggers = triggers(p, schema, &name, cols.as_ref(), true, &v.triggers);
        if let Some(view) = schema.views.get_mut(&name) {
            view.triggers = triggers;
        }
    }
    let used = (schema.views.keys())
        .chain(schema.materialized_views.keys())
        .chain(schema.functions.keys().map(|k| &k.name))
        .map(|q| q.schema.clone())
        .chain(schema.extensions.values().filter_map(|e| e.schema.clone()))
        .collect::<Vec<_>>();
    schema.schemas.extend(used);
}

fn extensions(p: &mut Problems, decls: &Decls, schema: &mut Schema) {
    let mut locs: HashMap<&str, &Loc> = HashMap::new();
    for e in &decls.extensions {
        check_ident(p, &e.name, "extension");
        if let Some(s) = &e.schema {
            check_ident(p, s, "schema");
        }
        if let Some(first) = locs.insert(&e.name.value, &e.name.loc) {
            p.push(duplicate(
                &e.name.loc,
                first,
                &format!("extension `{}`", e.name.value),
            ));
            continue;
        }
        if let Some(v) = &e.version
            && (v.value.trim().is_empty() || v.value.contains('\0'))
        {
            p.push(
                Diagnostic::new(v.loc.clone(), "extension version is empty")
                    .label("leave `version` out for the default version"),
            );
        }
        schema.extensions.insert(
            e.name.value.clone(),
            Extension {
                name: e.name.value.clone(),
                schema: e.schema.as_ref().map(|s| s.value.clone()),
                version: e.version.as_ref().map(|v| v.value.clone()),
                comment: comment(p, &e.comment),
            },
        );
    }
}

fn routine(
    p: &mut Problems,
    schema: &Schema,
    rel: &BTreeSet<QualName>,
    r: &RawRoutine,
) -> Option<Routine> {
    let kind = if r.procedure {
        RoutineKind::Procedure
    } else {
        RoutineKind::Function
    };
    let kind_word = if r.procedure { "procedure" } else { "function" };
    let name = qualify(p, &r.schema, &r.name);
    let ns = name.schema.clone();
    let what = format!("{kind_word} {name}");
    let mut ok = true;
    let modes = [
        ("in", ArgMode::In),
        ("out", ArgMode::Out),
        ("inout", ArgMode::InOut),
        ("variadic", ArgMode::Variadic),
    ];
    let mut arguments = Vec::new();
    let mut names: HashMap<&str, &Loc> = HashMap::new();
    let mut defaulted: Option<&Loc> = None;
    let mut variadic: Option<&Loc> = None;
    for a in &r.arguments {
        let mode = match &a.mode {
            Some(m) => word(p, m, &modes, "argument mode").unwrap_or(ArgMode::In),
            None => ArgMode::In,
        };
        if let Some(n) = &a.name {
            check_ident(p, n, "argument");
            if let Some(first) = names.insert(&n.value, &n.loc) {
                p.push(duplicate(
                    &n.loc,
                    first,
                    &format!("argument `{}` of {what}", n.value),
                ));
                ok = false;
            }
        }
        let ty = routine_type(p, schema, rel, &ns, &a.ty);
        let input = mode != ArgMode::Out;
        if let Some(v) = variadic
            && input
        {
            p.push(
                Diagnostic::new(
                    a.ty.loc.clone(),
                    format!("{what} has an input argument after its variadic one"),
                )
                .label("after the variadic argument")
                .related(v.clone(), "variadic here")
                .hint("the variadic argument must be the last input argument"),
            );
            ok = false;
        }
        if mode == ArgMode::Variadic {
            variadic = Some(&a.ty.loc);
            if let Some(t) = &ty
                && !t.array
                && t.base != BaseType::Opaque("\"any\"".into())
            {
                p.push(
                    Diagnostic::new(
                        a.ty.loc.clone(),
                        format!("the variadic argument of {what} must be an array type"),
                    )
                    .label(format!("`{}` is not an array", a.ty.value.trim()))
                    .hint(format!("write `type = \"{}[]\"`", a.ty.value.trim())),
                );
                ok = false;
            }
        }
        let default = match &a.default {
            Some(d) if !input => {
                p.push(
                    Diagnostic::new(
                        d.loc.clone(),
                        format!("an out argument of {what} cannot have a default"),
                    )
                    .label("only input arguments have defaults"),
                );
                ok = false;
                None
            }
            Some(d) => {
                defaulted = Some(&d.loc);
                expr_or_report(p, d, "argument default")
            }
            None => {
                if let (Some(first), true) = (defaulted, input) {
                    p.push(
                        Diagnostic::new(a.ty.loc.clone(), format!("an input argument of {what} without a default follows one with a default"))
                            .label("needs a default")
                            .related(first.clone(), "default given here"),
                    );
                    ok = false;
                }
                None
            }
        };
        match ty {
            Some(ty) => arguments.push(Argument {
                name: a.name.as_ref().map(|n| n.value.clone()),
                ty,
                mode,
                default,
            }),
            None => ok = false,
        }
    }
    let language = r.language.as_ref().map(|l| l.value.trim().to_lowercase());
    if let (Some(l), Some(raw)) = (&language, &r.language)
        && l.is_empty()
    {
        p.push(
            Diagnostic::new(raw.loc.clone(), "language is empty")
                .label("expected sql, plpgsql, ..."),
        );
        ok = false;
    }
    let body = r.body.as_ref().and_then(|b| {
        if b.text.value.trim().is_empty() {
            p.push(
                Diagnostic::new(b.text.loc.clone(), format!("the body of {what} is empty")).label(
                    if b.from_file {
                        "the file is empty"
                    } else {
                        "empty body"
                    },
                ),
            );
            None
        } else if b.text.value.contains('\0') {
            p.push(
                Diagnostic::new(
                    b.text.loc.clone(),
                    format!("the body of {what} contains a NUL character"),
                )
                .label("PostgreSQL text cannot hold a NUL character"),
            );
            None
        } else if language.as_deref() == Some("sql")
            && crate::kinds::function::standard_body(&b.text.value)
            && let Some(problem) = crate::kinds::function::standard_body_problem(&b.text.value)
        {
            p.push(
                Diagnostic::new(
                    b.text.loc.clone(),
                    format!("the SQL-standard body of {what} does not end as one: {problem}"),
                )
                .label("BEGIN ATOMIC ... END, or RETURN expr"),
            );
            None
        } else {
            Some(b.text.value.clone())
        }
    });
    let mut set = std::collections::BTreeMap::new();
    for (k, v) in &r.set {
        check_ident(p, k, "setting");
        if v.value.contains('\0') {
            p.push(
                Diagnostic::new(v.loc.clone(), "setting value contains a NUL character")
                    .label("PostgreSQL text cannot hold it"),
            );
            ok = false;
        }
        set.insert(k.value.to_lowercase(), v.value.clone());
    }
    let function = if r.procedure {
        None
    } else {
        function_attrs(p, schema, rel, r, &ns, &what, &arguments, &mut ok)
    };
    if !ok || (!r.procedure && function.is_none()) {
        return None;
    }
    let routine = Routine {
        name,
        kind,
        arguments,
        function,
        language: language?,
        body: body?,
        security_definer: flag(&r.security_definer),
        set,
        comment: comment(p, &r.comment),
    };
    if let Some(f) = &routine.function
        && matches!(&f.returns, Returns::Type { ty, setof: false } if ty.base == BaseType::Opaque("trigger".into()))
        && !routine.arguments.is_empty()
    {
        p.push(
            Diagnostic::new(
                r.loc.clone(),
                format!("trigger function {} cannot declare arguments", routine.name),
            )
            .label("returns trigger")
            .hint("a trigger passes its `arguments` to the function as TG_ARGV"),
        );
        return None;
    }
    Some(routine)
}

#[allow(clippy::too_many_arguments)]
fn function_attrs(
    p: &mut Problems,
    schema: &Schema,
    rel: &BTreeSet<QualName>,
    r: &RawRoutine,
    ns: &str,
    what: &str,
    arguments: &[Argument],
    ok: &mut bool,
) -> Option<FunctionAttrs> {
    let has_out = arguments
        .iter()
        .any(|a| matches!(a.mode, ArgMode::Out | ArgMode::InOut));
    let returns = match (&r.returns, &r.returns_table) {
        (Some(t), Some((at, _))) => {
            p.push(
                Diagnostic::new(
                    at.clone(),
                    format!("{what} has both `returns` and `returns_table`"),
                )
                .label("`returns_table` here")
                .related(t.loc.clone(), "`returns` here")
                .hint("keep one"),
            );
            None
        }
        (Some(t), None) => {
            let text = t.value.trim();
            let lower = text.to_lowercase();
            if lower.starts_with("table") && lower[5..].trim_start().starts_with('(') {
                p.push(
                    Diagnostic::new(
                        t.loc.clone(),
                        format!("`returns` of {what} cannot be a table"),
                    )
                    .label("RETURNS TABLE (...) is declared with `returns_table`")
                    .hint("returns_table = [{ name = \"id\", type = \"integer\" }, ...]"),
                );
                None
            } else {
                let (setof, rest) = match lower.strip_prefix("setof") {
                    Some(rest) if rest.starts_with(char::is_whitespace) => (true, &text[5..]),
                    _ => (false, text),
                };
                let sp = Sp {
                    value: rest.trim().to_string(),
                    loc: t.loc.clone(),
                };
                routine_type(p, schema, rel, ns, &sp).map(|ty| Returns::Type { ty, setof })
            }
        }
        (None, Some((at, cols))) => {
            if has_out {
                p.push(
                    Diagnostic::new(
                        at.clone(),
                        format!("{what} has both out arguments and `returns_table`"),
                    )
                    .label("RETURNS TABLE declares the output columns")
                    .hint("declare the output either as out arguments or as returns_table"),
                );
                None
            } else if cols.is_empty() {
                p.push(
                    Diagnostic::new(at.clone(), format!("`returns_table` of {what} is empty"))
                        .label("no columns"),
                );
                None
            } else {
                let mut out = Vec::new();
                let mut seen: HashMap<&str, &Loc> = HashMap::new();
                for c in cols {
                    check_ident(p, &c.name, "column");
                    if let Some(first) = seen.insert(&c.name.value, &c.name.loc) {
                        p.push(duplicate(
                            &c.name.loc,
                            first,
                            &format!("returned column `{}`", c.name.value),
                        ));
                    }
                    if let Some(ty) = routine_type(p, schema, rel, ns, &c.ty) {
                        out.push(ReturnColumn {
                            name: c.name.value.clone(),
                            ty,
                        });
                    }
                }
                (out.len() == cols.len()).then_some(Returns::Table(out))
            }
        }
        (None, None) if has_out => {
            // PostgreSQL derives it: the one out argument's type, or record.
            let outs: Vec<&Argument> = arguments
                .iter()
                .filter(|a| matches!(a.mode, ArgMode::Out | ArgMode::InOut))
                .collect();
            Some(match outs.as_slice() {
                [one] => Returns::Type {
                    ty: one.ty.clone(),
                    setof: false,
                },
                _ => Returns::Type {
                    ty: DataType::new(BaseType::Opaque("record".into())),
                    setof: false,
                },
            })
        }
        (None, None) => {
            p.push(
                Diagnostic::new(r.loc.clone(), format!("{what} has no `returns`"))
                    .label("missing `returns = \"...\"` (\"void\" for nothing)")
                    .hint("or `returns_table = [...]`, or out arguments"),
            );
            None
        }
    };
    let volatility = r
        .volatility
        .as_ref()
        .map_or(Some(Volatility::Volatile), |v| {
            word(
                p,
                v,
                &[
                    ("immutable", Volatility::Immutable),
                    ("stable", Volatility::Stable),
                    ("volatile", Volatility::Volatile),
                ],
                "volatility",
            )
        });
    let parallel = r.parallel.as_ref().map_or(Some(Parallel::Unsafe), |v| {
        word(
            p,
            v,
            &[
                ("safe", Parallel::Safe),
                ("restricted", Parallel::Restricted),
                ("unsafe", Parallel::Unsafe),
            ],
            "parallel mode",
        )
    });
    if let Some(c) = &r.cost
        && c.value <= 0
    {
        p.push(Diagnostic::new(c.loc.clone(), "`cost` must be positive").label("not above zero"));
        *ok = false;
    }
    if let Some(n) = &r.rows {
        if n.value <= 0 {
            p.push(
                Diagnostic::new(n.loc.clone(), "`rows` must be positive").label("not above zero"),
            );
            *ok = false;
        } else if returns.as_ref().is_some_and(|r| !r.is_set()) {
            p.push(
                Diagnostic::new(
                    n.loc.clone(),
                    format!(
                        "`rows` is only for a set-returning function, and {what} returns one value"
                    ),
                )
                .label("ROWS needs RETURNS SETOF or TABLE"),
            );
            *ok = false;
        }
    }
    Some(FunctionAttrs {
        returns: returns?,
        volatility: volatility?,
        strict: flag(&r.strict),
        leakproof: flag(&r.leakproof),
        parallel: parallel?,
        cost: r.cost.as_ref().map(|c| c.value as f64),
        rows: r.rows.as_ref().map(|c| c.value as f64),
    })
}

/// The trigger function a trigger names: a declared function of that name in the relation's
/// schema, else in `public`; an undeclared one is taken as written (`public` when unqualified)
/// and left to the server.
fn trigger_function(
    p: &mut Problems,
    schema: &Schema,
    rel: &QualName,
    f: &Sp<String>,
) -> Option<QualName> {
    let text = f.value.trim();
    let text = text.strip_suffix("()").unwrap_or(text);
    if text.contains('(') {
        p.push(
            Diagnostic::new(
                f.loc.clone(),
                format!("cannot read trigger function `{}`", f.value),
            )
            .label("expected `name` or `schema.name`")
            .hint("the function's arguments go in the trigger's `arguments = [...]`"),
        );
        return None;
    }
    let sp = Sp {
        value: text.to_string(),
        loc: f.loc.clone(),
    };
    let candidates: Vec<QualName> = if text.contains('.') {
        vec![object_ref(p, &sp, &rel.schema, "trigger function")?]
    } else {
        let named = object_ref(p, &sp, &rel.schema, "trigger function")?;
        vec![named.clone(), QualName::new(home(), named.name)]
    };
    for q in &candidates {
        let declared: Vec<&Routine> = schema.functions.values().filter(|r| &r.name == q).collect();
        if declared.is_empty() {
            continue;
        }
        if declared.iter().any(|r| r.is_trigger_function()) {
            return Some(q.clone());
        }
        let all_procs = declared.iter().all(|r| r.kind == RoutineKind::Procedure);
        p.push(
            Diagnostic::new(f.loc.clone(), format!("{q} is not a trigger function"))
                .label(if all_procs {
                    "declared as a procedure".to_string()
                } else {
                    "declared, but not with `returns = \"trigger\"` and no arguments".to_string()
                })
                .hint("a trigger function returns trigger and takes no arguments (its inputs are TG_ARGV)"),
        );
        return None;
    }
    // Not declared: the server says whether it exists (an unqualified name is looked up in
    // `public`, the usual search path's).
    let q = candidates[0].clone();
    Some(if text.contains('.') {
        q
    } else {
        QualName::new(home(), q.name)
    })
}

fn triggers(
    p: &mut Problems,
    schema: &Schema,
    rel: &QualName,
    columns: Option<&Vec<String>>,
    on_view: bool,
    raw: &[RawTrigger],
) -> Vec<Trigger> {
    let relation = if on_view {
        format!("view {rel}")
    } else {
        format!("table {rel}")
    };
    let mut out = Vec::new();
    let mut seen: HashMap<&str, &Loc> = HashMap::new();
    for t in raw {
        check_ident(p, &t.name, "trigger");
        if let Some(first) = seen.insert(&t.name.value, &t.name.loc) {
            p.push(duplicate(
                &t.name.loc,
                first,
                &format!("trigger `{}` on {relation}", t.name.value),
            ));
            continue;
        }
        let what = format!("trigger `{}` on {relation}", t.name.value);
        let before = p.list.len();
        let timing = t.timing.as_ref().and_then(|s| {
            word(
                p,
                s,
                &[
                    ("before", TriggerTiming::Before),
                    ("after", TriggerTiming::After),
                    ("instead of", TriggerTiming::InsteadOf),
                ],
                "trigger timing",
            )
        });
        let level = match &t.level {
            Some(l) => word(
                p,
                l,
                &[
                    ("row", TriggerLevel::Row),
                    ("statement", TriggerLevel::Statement),
                ],
                "trigger level",
            ),
            None => Some(TriggerLevel::Statement),
        };
        let level_loc = t.level.as_ref().map_or(&t.loc, |l| &l.loc).clone();
        let mut events = BTreeSet::new();
        let mut event_locs: HashMap<TriggerEvent, &Loc> = HashMap::new();
        for e in &t.events {
            let Some(ev) = word(
                p,
                e,
                &[
                    ("insert", TriggerEvent::Insert),
                    ("update", TriggerEvent::Update),
                    ("delete", TriggerEvent::Delete),
                    ("truncate", TriggerEvent::Truncate),
                ],
                "trigger event",
            ) else {
                continue;
            };
            if let Some(first) = event_locs.insert(ev, &e.loc) {
                p.push(duplicate(
                    &e.loc,
                    first,
                    &format!("event `{}` of {what}", e.value),
                ));
            }
            events.insert(ev);
        }
        if t.events.is_empty() {
            p.push(
                Diagnostic::new(t.loc.clone(), format!("{what} has no events"))
                    .label("empty `events`")
                    .hint("events = [\"insert\", \"update\", \"delete\"] (or \"truncate\")"),
            );
        }
        let enabled = match &t.enabled {
            Some(e) => word(
                p,
                e,
                &[
                    ("origin", TriggerEnabled::Origin),
                    ("always", TriggerEnabled::Always),
                    ("replica", TriggerEnabled::Replica),
                    ("disabled", TriggerEnabled::Disabled),
                ],
                "trigger state",
            ),
            None => Some(TriggerEnabled::Origin),
        };
        if on_view
            && let (Some(e), Some(state)) = (&t.enabled, enabled)
            && state != TriggerEnabled::Origin
        {
            p.push(
                Diagnostic::new(
                    e.loc.clone(),
                    format!(
                        "{what} cannot be `{}`: PostgreSQL cannot change the state of a view's trigger",
                        e.value
                    ),
                )
                .label("only on tables")
                .hint("leave `enabled` out (a view's triggers always fire)"),
            );
        }
        let (Some(timing), Some(level)) = (timing, level) else {
            continue;
        };
        let row = level == TriggerLevel::Row;
        let timing_loc = t.timing.as_ref().map_or(&t.loc, |s| &s.loc).clone();
        if timing == TriggerTiming::InsteadOf {
            if !on_view {
                p.push(
                    Diagnostic::new(
                        timing_loc.clone(),
                        format!("{what} is INSTEAD OF, which only views can have"),
                    )
                    .label("a table's triggers are before or after")
                    .hint("declare it on a view, as [[view.NAME.triggers]]"),
                );
            } else if !row {
                p.push(
                    Diagnostic::new(
                        level_loc.clone(),
                        format!("{what} is INSTEAD OF, so it must be row level"),
                    )
                    .label(if t.level.is_some() {
                        "statement level"
                    } else {
                        "statement level (the default)"
                    })
                    .related(timing_loc.clone(), "instead of")
                    .hint("add `level = \"row\"`"),
                );
            }
        } else if on_view && row {
            p.push(
                Diagnostic::new(
                    level_loc.clone(),
                    format!(
                        "{what} is a row-level {} trigger, which views cannot have",
                        timing.sql().to_lowercase()
                    ),
                )
                .label("row level")
                .hint("a view's row-level triggers are `timing = \"instead of\"`"),
            );
        }
        if let Some(e) = t
            .events
            .iter()
            .find(|e| e.value.trim().eq_ignore_ascii_case("truncate"))
        {
            if row {
                p.push(
                    Diagnostic::new(
                        e.loc.clone(),
                        format!(
                            "{what} fires on truncate, which only statement-level triggers can"
                        ),
                    )
                    .label("truncate")
                    .related(level_loc.clone(), "row level")
                    .hint("declare a separate trigger for truncate, at statement level"),
                );
            } else if on_view {
                p.push(
                    Diagnostic::new(
                        e.loc.clone(),
                        format!("{what} fires on truncate, which views do not have"),
                    )
                    .label("truncate"),
                );
            }
        }
        let mut update_of = Vec::new();
        if let Some(cols) = &t.update_of {
            if !events.contains(&TriggerEvent::Update)
                && let Some(first) = cols.first()
            {
                p.push(
                    Diagnostic::new(
                        first.loc.clone(),
                        format!("{what} has `update_of` but does not fire on update"),
                    )
                    .label("UPDATE OF columns")
                    .hint("add \"update\" to `events`"),
                );
            }
            if timing == TriggerTiming::InsteadOf
                && let Some(first) = cols.first()
            {
                p.push(
                    Diagnostic::new(
                        first.loc.clone(),
                        format!("{what} is INSTEAD OF, which cannot have a column list"),
                    )
                    .label("UPDATE OF columns"),
                );
            }
            let mut seen_cols: HashMap<&str, &Loc> = HashMap::new();
            for c in cols {
                if let Some(first) = seen_cols.insert(&c.value, &c.loc) {
                    p.push(duplicate(
                        &c.loc,
                        first,
                        &format!("column `{}` in `update_of`", c.value),
                    ));
                    continue;
                }
                if let Some(known) = columns
                    && !known.contains(&c.value)
                {
                    let refs: Vec<&str> = known.iter().map(String::as_str).collect();
                    let mut d = Diagnostic::new(c.loc.clone(), format!("{what} fires on updates of column `{}`, which {relation} does not have", c.value))
                        .label("unknown column");
                    if let Some(best) = closest(&c.value, &refs) {
                        d = d.hint(format!("did you mean `{best}`?"));
                    }
                    p.push(d);
                    continue;
                }
                update_of.push(c.value.clone());
            }
        }
        let when = match &t.when {
            Some(w) if !row => {
                p.push(
                    Diagnostic::new(
                        w.loc.clone(),
                        format!(
                            "{what} has a `when` condition, which only row-level triggers can have"
                        ),
                    )
                    .label("WHEN")
                    .related(
                        level_loc.clone(),
                        if t.level.is_some() {
                            "statement level"
                        } else {
                            "statement level (the default)"
                        },
                    )
                    .hint("add `level = \"row\"`, or test the condition in the function"),
                );
                None
            }
            Some(w) if timing == TriggerTiming::InsteadOf => {
                p.push(
                    Diagnostic::new(
                        w.loc.clone(),
                        format!("{what} is INSTEAD OF, which cannot have a `when` condition"),
                    )
                    .label("WHEN"),
                );
                None
            }
            Some(w) => expr_or_report(p, w, "trigger condition"),
            None => None,
        };
        let constraint = if flag(&t.constraint) {
            let c = t
                .constraint
                .as_ref()
                .map(|c| c.loc.clone())
                .unwrap_or_else(|| t.loc.clone());
            if timing != TriggerTiming::After || !row || on_view {
                p.push(
                    Diagnostic::new(c, format!("{what} is a constraint trigger, which must be AFTER ... FOR EACH ROW on a table"))
                        .label(format!(
                            "{}{} level{}",
                            timing.sql().to_lowercase(),
                            if row { ", row" } else { ", statement" },
                            if on_view { ", on a view" } else { "" }
                        ))
                        .hint("set `timing = \"after\"` and `level = \"row\"`"),
                );
            }
            let deferred = flag(&t.initially_deferred);
            Some(ConstraintTrigger {
                deferrable: flag(&t.deferrable) || deferred,
                initially_deferred: deferred,
            })
        } else {
            for d in [&t.deferrable, &t.initially_deferred].into_iter().flatten() {
                if d.value {
                    p.push(
                        Diagnostic::new(
                            d.loc.clone(),
                            format!("{what} is not a constraint trigger, so it cannot be deferred"),
                        )
                        .label("deferral")
                        .hint("add `constraint = true`"),
                    );
                }
            }
            None
        };
        for a in &t.arguments {
            if a.value.contains('\0') {
                p.push(
                    Diagnostic::new(a.loc.clone(), "trigger argument contains a NUL character")
                        .label("PostgreSQL text cannot hold it"),
                );
            }
        }
        let function = trigger_function(p, schema, rel, &t.function);
        let renamed_from = t.renamed_from.as_ref().and_then(|r| {
            check_ident(p, r, "trigger renamed_from");
            if r.value == t.name.value {
                p.push(
                    Diagnostic::new(r.loc.clone(), format!("{what} is renamed from itself"))
                        .label("the same name")
                        .hint("remove `renamed_from` once the rename has been applied"),
                );
                return None;
            }
            Some(r.value.clone())
        });
        let comment = comment(p, &t.comment);
        if p.list.len() > before {
            continue;
        }
        let (Some(function), Some(enabled)) = (function, enabled) else {
            continue;
        };
        out.push(Trigger {
            name: t.name.value.clone(),
            timing,
            events,
            update_of,
            level,
            when,
            function,
            arguments: t.arguments.iter().map(|a| a.value.clone()).collect(),
            enabled,
            constraint,
            comment,
            renamed_from,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> (Option<String>, usize) {
        let mut p = Problems::default();
        let raw = RawSql {
            text: Sp {
                value: text.to_string(),
                loc: Loc {
                    file: 0,
                    span: 0..0,
                },
            },
            from_file: false,
        };
        let out = query(&mut p, &raw, "view v");
        (out, p.list.len())
    }

    #[test]
    fn a_query_is_one_statement_by_the_tokenizer_not_by_searching_for_semicolons() {
        assert_eq!(q("SELECT 1\n"), (Some("SELECT 1".into()), 0));
        assert_eq!(q("SELECT 1;\n"), (Some("SELECT 1".into()), 0));
        assert_eq!(q("SELECT 1; -- the end\n"), (Some("SELECT 1".into()), 0));
        // `;` in a string, a quoted name, a dollar quote or a comment ends nothing.
        for text in [
            "SELECT ';' AS a",
            "SELECT 1 AS \"a;b\"",
            "SELECT $$x;y$$ AS a",
            "SELECT 1 /* ; */ AS a",
            "SELECT 1 AS a -- ;\nFROM t",
        ] {
            assert_eq!(q(text), (Some(text.into()), 0), "{text}");
        }
        assert_eq!(q("SELECT 1; DROP TABLE t").1, 1);
        assert_eq!(q("SELECT 1;;").1, 1);
        assert_eq!(q(" ; ").1, 1, "empty");
        // What the tokenizer cannot read is left to the server.
        assert_eq!(q("SELECT 'unterminated").1, 0);
    }
}
