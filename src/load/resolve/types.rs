//! Second pass for domains and composite types: resolved after the enums (a domain may be based
//! on one) and before the tables (whose columns may be of them).

use std::collections::{BTreeSet, HashMap};

use crate::kinds::composite::{Attribute, Composite};
use crate::kinds::domain::{Domain, DomainCheck};
use crate::model::names::MAX_IDENT;
use crate::model::{BaseType, QualName, Schema};

use super::super::diag::{Diagnostic, Loc};
use super::super::raw::Decls;
use super::super::read::Problems;
use super::{
    check_comment, check_ident, collation_ok, duplicate, expr_or_report, qualify, resolve_type,
};

/// A type the declaration defines under `name` already (enum, domain or composite type: one
/// namespace in PostgreSQL).
fn taken(schema: &Schema, name: &QualName) -> Option<&'static str> {
    if schema.enums.contains_key(name) {
        Some("an enum")
    } else if schema.domains.contains_key(name) {
        Some("a domain")
    } else if schema.composites.contains_key(name) {
        Some("a composite type")
    } else {
        None
    }
}

/// A table, view or materialized view has a row type of its name: a domain or composite type
/// of that name can never be created next to it.
fn relation_clashes(p: &mut Problems, decls: &Decls, types: &HashMap<QualName, Loc>) {
    let named = |schema: &Option<super::super::read::Sp<String>>, name: &str| {
        QualName::new(super::schema_or_home(schema.as_ref()), name)
    };
    let relations = (decls.tables.iter())
        .map(|t| (named(&t.schema, &t.name.value), &t.name.loc, "table"))
        .chain((decls.views.iter()).map(|v| (named(&v.schema, &v.name.value), &v.name.loc, "view")))
        .chain((decls.materialized_views.iter()).map(|v| {
            (
                named(&v.schema, &v.name.value),
                &v.name.loc,
                "materialized view",
            )
        }));
    for (name, loc, what) in relations {
        if let Some(at) = types.get(&name) {
            p.push(
                Diagnostic::new(
                    at.clone(),
                    format!("{name} is declared as a type and as a {what}"),
                )
                .label("a table or view has a row type of its own name")
                .related(loc.clone(), format!("the {what}"))
                .hint("rename one of them"),
            );
        }
    }
}

/// A placeholder for a declared domain or composite type, so that the others may name it
/// whatever the order they are declared in; each is replaced once resolved.
fn placeholder_domain(name: &QualName) -> Domain {
    Domain {
        name: name.clone(),
        base: crate::model::DataType::new(BaseType::Text),
        default: None,
        not_null: false,
        collation: None,
        checks: Vec::new(),
        comment: None,
    }
}

pub(super) fn resolve_types(p: &mut Problems, decls: &Decls, schema: &mut Schema) {
    // Every name first (domains and composite types may name each other in any order).
    let mut locs: HashMap<QualName, Loc> = HashMap::new();
    let mut domains = Vec::new();
    for d in &decls.domains {
        let name = qualify(p, &d.schema, &d.name);
        if let Some(first) = locs.get(&name) {
            p.push(duplicate(&d.name.loc, first, &format!("domain {name}")));
            continue;
        }
        if let Some(what) = taken(schema, &name) {
            p.push(
                Diagnostic::new(
                    d.name.loc.clone(),
                    format!("domain {name} has the name of {what} declared too"),
                )
                .label("types share one namespace"),
            );
            continue;
        }
        locs.insert(name.clone(), d.name.loc.clone());
        schema
            .domains
            .insert(name.clone(), placeholder_domain(&name));
        domains.push((name, d));
    }
    let mut composites = Vec::new();
    for c in &decls.composites {
        let name = qualify(p, &c.schema, &c.name);
        if let Some(first) = locs.get(&name) {
            p.push(duplicate(
                &c.name.loc,
                first,
                &format!("composite type {name}"),
            ));
            continue;
        }
        if let Some(what) = taken(schema, &name) {
            p.push(
                Diagnostic::new(
                    c.name.loc.clone(),
                    format!("composite type {name} has the name of {what} declared too"),
                )
                .label("types share one namespace"),
            );
            continue;
        }
        locs.insert(name.clone(), c.name.loc.clone());
        schema.composites.insert(
            name.clone(),
            Composite {
                name: name.clone(),
                attributes: Vec::new(),
                comment: None,
            },
        );
        composites.push((name, c));
    }
    relation_clashes(p, decls, &locs);
    for (name, d) in domains {
        let Some(ty) = &d.ty else { continue };
        let (base, serial) = resolve_type(p, schema, &name.schema, ty);
        if serial {
            p.push(
                Diagnostic::new(ty.loc.clone(), "a domain cannot be of a serial type")
                    .label("serial is a column's shorthand for a sequence and a default")
                    .hint("use integer (or bigint) and a `default`"),
            );
            continue;
        }
        let Some(base) = base else { continue };
        let collation = (d.collation.as_ref())
            .filter(|c| collation_ok(p, c, schema, Some(&base), false))
            .map(|c| c.value.clone());
        let default = (d.default.as_ref())
            .and_then(|e| expr_or_report(p, e, &format!("default of domain {name}")));
        let mut checks: Vec<DomainCheck> = Vec::new();
        let mut seen: HashMap<String, Loc> = HashMap::new();
        let mut unnamed = 0;
        for c in &d.checks {
            let (check_name, loc) = match &c.name {
                Some(n) => {
                    check_ident(p, n, "check");
                    (n.value.clone(), n.loc.clone())
                }
                None => {
                    // As PostgreSQL names them: `<domain>_check`, `<domain>_check1`, ...
                    let n = match unnamed {
                        0 => format!("{}_check", name.name),
                        k => format!("{}_check{k}", name.name),
                    };
                    unnamed += 1;
                    if n.len() > MAX_IDENT {
                        p.push(
                            Diagnostic::new(
                                c.check.loc.clone(),
                                format!(
                                    "the default name of this check, `{n}`, is longer than 63 bytes"
                                ),
                            )
                            .label("PostgreSQL would name it otherwise")
                            .hint("give it a `name`"),
                        );
                        continue;
                    }
                    (n, c.check.loc.clone())
                }
            };
            if let Some(first) = seen.get(&check_name) {
                p.push(duplicate(
                    &loc,
                    first,
                    &format!("check `{check_name}` of domain {name}"),
                ));
                continue;
            }
            seen.insert(check_name.clone(), loc);
            if let Some(expr) = expr_or_report(p, &c.check, &format!("check of domain {name}")) {
                checks.push(DomainCheck {
                    name: check_name,
                    expr,
                    valid: true,
                });
            }
        }
        checks.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(c) = &d.comment {
            check_comment(p, c);
        }
        schema.domains.insert(
            name.clone(),
            Domain {
                name,
                base,
                default,
                not_null: d.not_null.as_ref().is_some_and(|b| b.value),
                collation,
                checks,
                comment: d.comment.as_ref().map(|c| c.value.clone()),
            },
        );
    }
    for (name, c) in composites {
        let mut attributes = Vec::new();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for a in &c.attributes {
            check_ident(p, &a.name, "attribute");
            if !seen.insert(&a.name.value) {
                p.push(Diagnostic::new(
                    a.name.loc.clone(),
                    format!(
                        "attribute `{}` of composite type {name} is declared twice",
                        a.name.value
                    ),
                ));
                continue;
            }
            let (ty, serial) = resolve_type(p, schema, &name.schema, &a.ty);
            if serial {
                p.push(
                    Diagnostic::new(a.ty.loc.clone(), "an attribute cannot be of a serial type")
                        .label("serial is a column's shorthand for a sequence and a default"),
                );
                continue;
            }
            let Some(ty) = ty else { continue };
            let collation = (a.collation.as_ref())
                .filter(|k| collation_ok(p, k, schema, Some(&ty), false))
                .map(|k| k.value.clone());
            attributes.push(Attribute {
                name: a.name.value.clone(),
                ty,
                collation,
            });
        }
        if let Some(k) = &c.comment {
            check_comment(p, k);
        }
        schema.composites.insert(
            name.clone(),
            Composite {
                name,
                attributes,
                comment: c.comment.as_ref().map(|k| k.value.clone()),
            },
        );
    }
    // A type that contains itself (through others) can never be created.
    let mut locs: Vec<(QualName, Loc)> = locs.into_iter().collect();
    locs.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, loc) in &locs {
        if crate::kinds::domain::type_depth(name, schema).is_none() {
            p.push(
                Diagnostic::new(
                    loc.clone(),
                    format!("{name} contains itself, through its base type or attributes"),
                )
                .label("PostgreSQL cannot create a type that contains itself"),
            );
        }
    }
}
