//! First pass for views, materialized views, functions, procedures, triggers and extensions:
//! their keys, still spanned; SQL given as a file (`query_file`, `body_file`) is read here.

use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, Loc};
use super::raw::{Decls, RawIndex, list, read_index, sections};
use super::read::{Fields, Problems, Sp, type_name};
use super::spec;

/// `[extension.NAME]`.
#[derive(Debug)]
pub struct RawExtension {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub version: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
}

/// SQL text written inline (`query`, `body`) or read from a file (`query_file`, `body_file`);
/// `text.loc` is the inline string, or the file key's value.
#[derive(Debug)]
pub struct RawSql {
    pub text: Sp<String>,
    pub from_file: bool,
}

#[derive(Debug)]
pub struct RawView {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
    pub query: Option<RawSql>,
    pub columns: Option<Vec<Sp<String>>>,
    pub check_option: Option<Sp<String>>,
    pub security_barrier: Option<Sp<bool>>,
    pub security_invoker: Option<Sp<bool>>,
    pub triggers: Vec<RawTrigger>,
    pub acl: super::raw::RawAcl,
}

#[derive(Debug)]
pub struct RawMatView {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
    pub query: Option<RawSql>,
    pub columns: Option<Vec<Sp<String>>>,
    pub with_data: Option<Sp<bool>>,
    pub indexes: Vec<RawIndex>,
    pub acl: super::raw::RawAcl,
}

#[derive(Debug)]
pub struct RawArgument {
    pub name: Option<Sp<String>>,
    pub ty: Sp<String>,
    pub mode: Option<Sp<String>>,
    pub default: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawReturnColumn {
    pub name: Sp<String>,
    pub ty: Sp<String>,
}

/// `[function.NAME]`, `[procedure.NAME]`, or one item of `[[function.NAME]]`.
#[derive(Debug)]
pub struct RawRoutine {
    pub procedure: bool,
    pub name: Sp<String>,
    /// Where this declaration is: its header, or its first key.
    pub loc: Loc,
    pub schema: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
    pub arguments: Vec<RawArgument>,
    pub returns: Option<Sp<String>>,
    pub returns_table: Option<(Loc, Vec<RawReturnColumn>)>,
    pub language: Option<Sp<String>>,
    pub body: Option<RawSql>,
    pub volatility: Option<Sp<String>>,
    pub strict: Option<Sp<bool>>,
    pub security_definer: Option<Sp<bool>>,
    pub leakproof: Option<Sp<bool>>,
    pub parallel: Option<Sp<String>>,
    pub cost: Option<Sp<i64>>,
    pub rows: Option<Sp<i64>>,
    pub set: Vec<(Sp<String>, Sp<String>)>,
    pub acl: super::raw::RawAcl,
}

#[derive(Debug)]
pub struct RawTrigger {
    pub loc: Loc,
    pub name: Sp<String>,
    pub timing: Option<Sp<String>>,
    pub events: Vec<Sp<String>>,
    pub update_of: Option<Vec<Sp<String>>>,
    pub level: Option<Sp<String>>,
    pub when: Option<Sp<String>>,
    pub function: Sp<String>,
    pub arguments: Vec<Sp<String>>,
    pub enabled: Option<Sp<String>>,
    pub constraint: Option<Sp<bool>>,
    pub deferrable: Option<Sp<bool>>,
    pub initially_deferred: Option<Sp<bool>>,
    pub comment: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
}

/// `[domain.NAME]`.
#[derive(Debug)]
pub struct RawDomain {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub ty: Option<Sp<String>>,
    pub default: Option<Sp<String>>,
    pub not_null: Option<Sp<bool>>,
    pub collation: Option<Sp<String>>,
    pub checks: Vec<RawDomainCheck>,
    pub comment: Option<Sp<String>>,
    pub acl: super::raw::RawAcl,
}

#[derive(Debug)]
pub struct RawDomainCheck {
    pub name: Option<Sp<String>>,
    pub check: Sp<String>,
}

/// `[composite.NAME]`.
#[derive(Debug)]
pub struct RawComposite {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub attributes: Vec<RawAttribute>,
    pub comment: Option<Sp<String>>,
    pub acl: super::raw::RawAcl,
}

#[derive(Debug)]
pub struct RawAttribute {
    pub name: Sp<String>,
    pub ty: Sp<String>,
    pub collation: Option<Sp<String>>,
}

fn read_types(top: &Fields<'_, '_>, decls: &mut Decls, p: &mut Problems) {
    let file = top.file;
    if let Some(v) = top.raw("domain") {
        for (name, body) in sections(top, p, "domain", v) {
            let what = format!("domain `{}`", name.value);
            let f = Fields::new(file, body, what.clone(), spec::DOMAIN);
            let ty = f.string(p, "type");
            if ty.is_none() && body.get("type").is_none() {
                p.push(
                    Diagnostic::new(name.loc.clone(), format!("{what} has no `type`"))
                        .label("missing `type = \"...\"` (its base type)"),
                );
            }
            let checks = list(&f, p, "checks", "check", |f, p, t, span| {
                let c = Fields::new(f.file, t, "domain check", spec::DOMAIN_CHECK);
                let check = c.string(p, "expression");
                if check.is_none() && t.get("expression").is_none() {
                    p.push(
                        Diagnostic::new(c.loc(span), "domain check has no `expression`")
                            .label("missing `expression = \"VALUE ...\"`"),
                    );
                }
                let out = RawDomainCheck {
                    name: c.string(p, "name"),
                    check: check?,
                };
                c.finish(p);
                Some(out)
            });
            decls.domains.push(RawDomain {
                schema: f.string(p, "schema"),
                default: f.string(p, "default"),
                not_null: f.boolean(p, "not_null"),
                collation: f.string(p, "collation"),
                comment: f.string(p, "comment"),
                acl: super::raw::RawAcl::read(&f, p),
                checks,
                ty,
                name,
            });
            f.finish(p);
        }
    }
    if let Some(v) = top.raw("composite") {
        for (name, body) in sections(top, p, "composite", v) {
            let what = format!("composite type `{}`", name.value);
            let f = Fields::new(file, body, what.clone(), spec::COMPOSITE);
            if body.get("attributes").is_none() {
                p.push(
                    Diagnostic::new(name.loc.clone(), format!("{what} has no `attributes`"))
                        .label("missing `attributes = [{ name = \"...\", type = \"...\" }]`"),
                );
            }
            let attributes = list(&f, p, "attributes", "attribute", |f, p, t, span| {
                let a = Fields::new(f.file, t, "attribute", spec::ATTRIBUTE);
                let (n, ty) = (a.string(p, "name"), a.string(p, "type"));
                if (n.is_none() && t.get("name").is_none())
                    || (ty.is_none() && t.get("type").is_none())
                {
                    p.push(
                        Diagnostic::new(a.loc(span), "an attribute needs `name` and `type`")
                            .label("missing `name = \"...\"` or `type = \"...\"`"),
                    );
                }
                let collation = a.string(p, "collation");
                a.finish(p);
                Some(RawAttribute {
                    name: n?,
                    ty: ty?,
                    collation,
                })
            });
            decls.composites.push(RawComposite {
                schema: f.string(p, "schema"),
                comment: f.string(p, "comment"),
                acl: super::raw::RawAcl::read(&f, p),
                attributes,
                name,
            });
            f.finish(p);
        }
    }
}

pub fn read_kinds(top: &Fields<'_, '_>, dir: Option<&Path>, decls: &mut Decls, p: &mut Problems) {
    let file = top.file;
    read_types(top, decls, p);
    if let Some(v) = top.raw("extension") {
        for (name, body) in sections(top, p, "extension", v) {
            let what = format!("extension `{}`", name.value);
            let f = Fields::new(file, body, what, spec::EXTENSION);
            decls.extensions.push(RawExtension {
                schema: f.string(p, "schema"),
                version: f.string(p, "version"),
                comment: f.string(p, "comment"),
                name,
            });
            f.finish(p);
        }
    }
    if let Some(v) = top.raw("view") {
        for (name, body) in sections(top, p, "view", v) {
            let what = format!("view `{}`", name.value);
            let f = Fields::new(file, body, what.clone(), spec::VIEW);
            let query = sql_source(&f, p, dir, &name, &what, "query");
            decls.views.push(RawView {
                schema: f.string(p, "schema"),
                renamed_from: f.string(p, "renamed_from"),
                comment: f.string(p, "comment"),
                columns: f.strings(p, "columns"),
                check_option: f.string(p, "check_option"),
                security_barrier: f.boolean(p, "security_barrier"),
                security_invoker: f.boolean(p, "security_invoker"),
                triggers: list(&f, p, "triggers", "trigger", read_trigger),
                acl: super::raw::RawAcl::read(&f, p),
                query,
                name,
            });
            f.finish(p);
        }
    }
    if let Some(v) = top.raw("materialized_view") {
        for (name, body) in sections(top, p, "materialized_view", v) {
            let what = format!("materialized view `{}`", name.value);
            let f = Fields::new(file, body, what.clone(), spec::MATERIALIZED_VIEW);
            let query = sql_source(&f, p, dir, &name, &what, "query");
            decls.materialized_views.push(RawMatView {
                schema: f.string(p, "schema"),
                renamed_from: f.string(p, "renamed_from"),
                comment: f.string(p, "comment"),
                columns: f.strings(p, "columns"),
                with_data: f.boolean(p, "with_data"),
                indexes: list(&f, p, "indexes", "index", read_index),
                acl: super::raw::RawAcl::read(&f, p),
                query,
                name,
            });
            f.finish(p);
        }
    }
    for (key, procedure) in [("function", false), ("procedure", true)] {
        if let Some(v) = top.raw(key) {
            for (name, loc, body) in overloads(top, p, key, v) {
                let r = read_routine(top, p, dir, procedure, name, loc, body);
                decls.routines.push(r);
            }
        }
    }
}

/// The `[key.NAME]` sections and `[[key.NAME]]` items of a file, each with where it starts.
fn overloads<'a, 'i>(
    top: &Fields<'a, 'i>,
    p: &mut Problems,
    key: &str,
    v: &'a Spanned<DeValue<'i>>,
) -> Vec<(Sp<String>, Loc, &'a DeTable<'i>)> {
    let DeValue::Table(t) = v.get_ref() else {
        p.push(
            Diagnostic::new(
                top.loc(v.span()),
                format!(
                    "`{key}` must be a table of {key}s, not {}",
                    type_name(v.get_ref())
                ),
            )
            .label(format!("expected `[{key}.NAME]` sections"))
            .hint(format!(
                "declare each one as `[{key}.NAME]`, or `[[{key}.NAME]]` once per overload"
            )),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, body) in t.iter() {
        let name = Sp {
            value: name.get_ref().to_string(),
            loc: top.loc(name.span()),
        };
        match body.get_ref() {
            DeValue::Table(b) => out.push((name.clone(), name.loc.clone(), b)),
            DeValue::Array(items) => {
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::Table(b) => {
                            let loc = first_key(top, b).unwrap_or_else(|| name.loc.clone());
                            out.push((name.clone(), loc, b));
                        }
                        other => p.push(
                            Diagnostic::new(
                                top.loc(item.span()),
                                format!(
                                    "an overload of {key} `{}` must be a table, not {}",
                                    name.value,
                                    type_name(other)
                                ),
                            )
                            .label(format!(
                                "expected `[[{key}.{}]]` with keys below it",
                                name.value
                            )),
                        ),
                    }
                }
            }
            other => p.push(
                Diagnostic::new(
                    top.loc(body.span()),
                    format!(
                        "{key} `{}` must be a table, not {}",
                        name.value,
                        type_name(other)
                    ),
                )
                .label(format!(
                    "expected `[{key}.{}]` with keys below it",
                    name.value
                )),
            ),
        }
    }
    out
}

/// The first key of a table, as the place an overload is declared (an item of an array of
/// tables has no span of its own in the parsed tree).
fn first_key(top: &Fields<'_, '_>, t: &DeTable<'_>) -> Option<Loc> {
    let span = t.iter().map(|(k, _)| k.span()).min_by_key(|s| s.start)?;
    Some(top.loc(span))
}

/// `key` or `key_file`: exactly one, the file read as UTF-8, relative to the TOML file.
fn sql_source(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    dir: Option<&Path>,
    name: &Sp<String>,
    what: &str,
    key: &str,
) -> Option<RawSql> {
    let file_key = format!("{key}_file");
    let inline = f.string(p, key);
    let file = f.string(p, &file_key);
    match (inline, file) {
        (Some(i), Some(fl)) => {
            p.push(
                Diagnostic::new(
                    fl.loc.clone(),
                    format!("{what} has both `{key}` and `{file_key}`"),
                )
                .label(format!("`{file_key}` here"))
                .related(i.loc, format!("`{key}` here"))
                .hint(format!("keep one: the {key} written inline, or the file")),
            );
            None
        }
        (Some(i), None) => Some(RawSql {
            text: i,
            from_file: false,
        }),
        (None, Some(fl)) => read_sql_file(p, dir, &fl).map(|text| RawSql {
            text: Sp {
                value: text,
                loc: fl.loc.clone(),
            },
            from_file: true,
        }),
        (None, None) => {
            // A key of the wrong type is already reported.
            if f.raw(key).is_none() && f.raw(&file_key).is_none() {
                p.push(
                    Diagnostic::new(name.loc.clone(), format!("{what} has no `{key}`")).label(
                        format!("missing `{key} = \"...\"` or `{file_key} = \"path.sql\"`"),
                    ),
                );
            }
            None
        }
    }
}

fn read_sql_file(p: &mut Problems, dir: Option<&Path>, rel: &Sp<String>) -> Option<String> {
    let path = Path::new(&rel.value);
    if rel.value.trim().is_empty() {
        p.push(Diagnostic::new(rel.loc.clone(), "the file path is empty").label("empty path"));
        return None;
    }
    let full = match dir {
        Some(d) if path.is_relative() => d.join(path),
        _ => path.to_path_buf(),
    };
    let bytes = match std::fs::metadata(&full) {
        Ok(m) if m.is_file() && m.len() > super::MAX_FILE_BYTES as u64 => {
            p.push(
                Diagnostic::new(
                    rel.loc.clone(),
                    format!(
                        "{} is larger than {} MiB",
                        full.display(),
                        super::MAX_FILE_BYTES >> 20
                    ),
                )
                .label("too large"),
            );
            return None;
        }
        Ok(m) if m.is_file() => std::fs::read(&full),
        Ok(_) => {
            p.push(
                Diagnostic::new(rel.loc.clone(), format!("{} is not a file", full.display()))
                    .label("expected a path to a .sql file"),
            );
            return None;
        }
        Err(e) => Err(e),
    };
    match bytes {
        Ok(b) => match String::from_utf8(b) {
            Ok(t) if t.contains('\0') => {
                p.push(
                    Diagnostic::new(
                        rel.loc.clone(),
                        format!("{} contains a NUL character", full.display()),
                    )
                    .label("PostgreSQL text cannot hold a NUL character"),
                );
                None
            }
            Ok(t) => Some(t),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let (line, col) = line_col(&e.into_bytes()[..at]);
                p.push(
                    Diagnostic::new(
                        rel.loc.clone(),
                        format!("{} is not valid UTF-8", full.display()),
                    )
                    .label(format!(
                        "invalid byte sequence at {line}:{col} of that file"
                    )),
                );
                None
            }
        },
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                e.to_string()
            };
            p.push(
                Diagnostic::new(rel.loc.clone(), format!("cannot read {}", full.display()))
                    .label(why)
                    .hint("the path is relative to the directory of this TOML file"),
            );
            None
        }
    }
}

/// 1-based line and column just after `valid` (the bytes before a UTF-8 error).
fn line_col(valid: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(valid);
    let line = text.matches('\n').count() + 1;
    let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn read_routine(
    top: &Fields<'_, '_>,
    p: &mut Problems,
    dir: Option<&Path>,
    procedure: bool,
    name: Sp<String>,
    loc: Loc,
    body: &DeTable<'_>,
) -> RawRoutine {
    let kind = if procedure { "procedure" } else { "function" };
    let what = format!("{kind} `{}`", name.value);
    let allowed = if procedure {
        spec::PROCEDURE
    } else {
        spec::FUNCTION
    };
    let f = Fields::new(top.file, body, what.clone(), allowed);
    let routine_body = sql_source(
        &f,
        p,
        dir,
        &Sp {
            value: name.value.clone(),
            loc: loc.clone(),
        },
        &what,
        "body",
    );
    let language = f.string(p, "language");
    if language.is_none() && f.raw("language").is_none() {
        p.push(
            Diagnostic::new(loc.clone(), format!("{what} has no `language`"))
                .label("missing `language = \"sql\"` (or \"plpgsql\", ...)"),
        );
    }
    let arguments = list(&f, p, "arguments", "argument", |f, p, t, span| {
        let a = Fields::new(f.file, t, "argument", spec::ARGUMENT);
        let ty = a.string(p, "type");
        if ty.is_none() && t.get("type").is_none() {
            p.push(
                Diagnostic::new(a.loc(span), "argument has no `type`")
                    .label("missing `type = \"...\"`"),
            );
        }
        let out = RawArgument {
            name: a.string(p, "name"),
            mode: a.string(p, "mode"),
            default: a.string(p, "default"),
            ty: ty?,
        };
        a.finish(p);
        Some(out)
    });
    let mut r = RawRoutine {
        acl: super::raw::RawAcl::read(&f, p),
        procedure,
        schema: f.string(p, "schema"),
        comment: f.string(p, "comment"),
        arguments,
        returns: None,
        returns_table: None,
        language,
        body: routine_body,
        volatility: None,
        strict: None,
        security_definer: f.boolean(p, "security_definer"),
        leakproof: None,
        parallel: None,
        cost: None,
        rows: None,
        set: f.params(p, "set").unwrap_or_default(),
        name,
        loc,
    };
    if procedure {
        // What only a function has, in words that say so (not merely "unknown key").
        for key in spec::FUNCTION_ONLY {
            if let Some(at) = f.present(key) {
                let mut d = Diagnostic::new(at, format!("{what} cannot have `{key}`"))
                    .label("a function's attribute");
                d = if key.starts_with("returns") {
                    d.hint("a procedure returns nothing (it may have `out` arguments); declare a [function.NAME] to return a value")
                } else {
                    d.hint(format!("PostgreSQL has no `{key}` for procedures; declare a [function.NAME] if it needs one"))
                };
                p.push(d);
            }
        }
        f.finish_except(p, spec::FUNCTION_ONLY);
    } else {
        r.returns = f.string(p, "returns");
        r.returns_table = f.raw("returns_table").map(|v| {
            let cols = list(
                &f,
                p,
                "returns_table",
                "returned column",
                |f, p, t, span| {
                    let c = Fields::new(f.file, t, "returned column", spec::RETURN_COLUMN);
                    let (n, ty) = (c.string(p, "name"), c.string(p, "type"));
                    if n.is_none() || ty.is_none() {
                        p.push(
                            Diagnostic::new(
                                c.loc(span),
                                "a returned column needs `name` and `type`",
                            )
                            .label("missing `name = \"...\"` or `type = \"...\"`"),
                        );
                    }
                    c.finish(p);
                    Some(RawReturnColumn { name: n?, ty: ty? })
                },
            );
            (f.loc(v.span()), cols)
        });
        r.volatility = f.string(p, "volatility");
        r.strict = f.boolean(p, "strict");
        r.leakproof = f.boolean(p, "leakproof");
        r.parallel = f.string(p, "parallel");
        r.cost = f.integer(p, "cost");
        r.rows = f.integer(p, "rows");
        f.finish(p);
    }
    r
}

/// One trigger: an item of `[[table.NAME.triggers]]` (or of `triggers = [...]`).
pub(super) fn read_trigger(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    t: &DeTable<'_>,
    span: std::ops::Range<usize>,
) -> Option<RawTrigger> {
    let c = Fields::new(f.file, t, "trigger", spec::TRIGGER);
    let at = first_key(f, t).unwrap_or_else(|| c.loc(span));
    let name = c.string(p, "name");
    let function = c.string(p, "function");
    let events = c.strings(p, "events");
    for (key, value, example) in [
        ("name", name.is_some(), "name = \"...\""),
        ("function", function.is_some(), "function = \"schema.name\""),
        (
            "events",
            events.is_some(),
            "events = [\"insert\", \"update\"]",
        ),
        ("timing", t.get("timing").is_some(), "timing = \"before\""),
    ] {
        if !value && t.get(key).is_none() {
            let what = match &name {
                Some(n) => format!("trigger `{}` has no `{key}`", n.value),
                None => format!("trigger has no `{key}`"),
            };
            p.push(Diagnostic::new(at.clone(), what).label(format!("missing `{example}`")));
        }
    }
    let out = RawTrigger {
        loc: at,
        timing: c.string(p, "timing"),
        update_of: c.strings(p, "update_of"),
        level: c.string(p, "level"),
        when: c.string(p, "when"),
        arguments: c.strings(p, "arguments").unwrap_or_default(),
        enabled: c.string(p, "enabled"),
        constraint: c.boolean(p, "constraint"),
        deferrable: c.boolean(p, "deferrable"),
        initially_deferred: c.boolean(p, "initially_deferred"),
        comment: c.string(p, "comment"),
        renamed_from: c.string(p, "renamed_from"),
        name: name?,
        function: function?,
        events: events?,
    };
    c.finish(p);
    Some(out)
}
