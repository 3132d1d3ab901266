//! `grants`, `owner` and `[[default_privileges]]` -> [`Privileges`]: every role checked to be a
//! managed one (`[settings] roles`), every privilege to be one the object's kind has.

use std::collections::{BTreeMap, BTreeSet};

use super::super::raw::{Decls, RawAcl};
use super::{Diagnostic, Problems, Sp, check_ident, closest, duplicate};
use crate::kinds::privilege::{Acl, DefaultKey, DefaultOn, On, Privilege, Target};
use crate::model::Schema;

use super::super::read::RawGrants;

/// The roles a declaration names, each where it is named: checked against the server at plan
/// time (roles are cluster-wide; a missing one is an error there, at this place).
pub type RoleRefs = Vec<Sp<String>>;

/// `grants` of one object into an [`Acl`]: roles must be managed, privileges of the kind
/// (`all`: every one; `x with grant option`).
fn acl(
    p: &mut Problems,
    schema: &Schema,
    on: On,
    column: bool,
    grants: &RawGrants,
    what: &str,
) -> Acl {
    let mut out = Acl::new();
    let mut seen: BTreeMap<&str, &Sp<String>> = BTreeMap::new();
    let valid = on.privileges(column);
    for (role, privileges) in grants {
        if let Some(first) = seen.insert(&role.value, role) {
            p.push(duplicate(
                &role.loc,
                &first.loc,
                &format!("role `{}`", role.value),
            ));
            continue;
        }
        if !schema.privileges.roles.contains(&role.value) {
            let managed: Vec<&str> = schema.privileges.roles.iter().map(String::as_str).collect();
            let mut d = Diagnostic::new(
                role.loc.clone(),
                format!("`grants` of {what} names role `{}`, which is not managed", role.value),
            )
            .label("not in [settings] roles")
            .hint(format!(
                "add \"{}\" to `roles` in [settings]: only the privileges of the roles listed there are managed",
                role.value
            ));
            if let Some(best) = closest(&role.value, &managed) {
                d = d.hint(format!("did you mean `{best}`?"));
            }
            p.push(d);
            continue;
        }
        let set: &mut BTreeSet<Privilege> = out.entry(role.value.clone()).or_default();
        for privilege in privileges {
            let text = privilege.value.trim().to_lowercase();
            let words: Vec<&str> = text.split_whitespace().collect();
            let (name, grant_option) = match words.as_slice() {
                [name] => (*name, false),
                [name, "with", "grant", "option"] => (*name, true),
                _ => ("", false),
            };
            let names: Vec<&str> = match name {
                "all" | "all privileges" => valid.to_vec(),
                n if valid.contains(&n) => vec![n],
                _ => {
                    let d = Diagnostic::new(
                        privilege.loc.clone(),
                        format!("`{}` is not a privilege of {what}", privilege.value.trim()),
                    )
                    .label(format!("one of: {}, all", valid.join(", ")));
                    p.push(match closest(&text, valid) {
                        Some(best) => d.hint(format!("did you mean `{best}`?")),
                        None if words.len() > 1 => {
                            d.hint("a grant option is written `select with grant option`")
                        }
                        None => d,
                    });
                    continue;
                }
            };
            for n in names {
                set.insert(Privilege {
                    name: n.to_string(),
                    grant_option,
                });
            }
        }
        // `select` and `select with grant option` both written: the stronger one.
        let strong: BTreeSet<String> = (set.iter())
            .filter(|x| x.grant_option)
            .map(|x| x.name.clone())
            .collect();
        set.retain(|x| x.grant_option || !strong.contains(&x.name));
    }
    out
}

/// The `grants` and `owner` of one declared object.
pub(super) fn object(
    p: &mut Problems,
    schema: &mut Schema,
    refs: &mut RoleRefs,
    target: Target,
    raw: &RawAcl,
    what: &str,
) {
    if let Some(owner) = &raw.owner {
        check_ident(p, owner, "role");
        refs.push(owner.clone());
        schema
            .privileges
            .owners
            .push((target.clone(), owner.value.clone()));
    }
    if let Some(grants) = &raw.grants {
        let a = acl(p, schema, target.on, false, grants, what);
        schema.privileges.grants.push((target, a));
    }
}

/// The `grants` of a declared column.
pub(super) fn column(p: &mut Problems, schema: &mut Schema, target: Target, grants: &RawGrants) {
    let what = format!("column `{}`", target.column.clone().unwrap_or_default());
    let a = acl(p, schema, On::Table, true, grants, &what);
    schema.privileges.grants.push((target, a));
}

/// `[[default_privileges]]`.
pub(super) fn defaults(p: &mut Problems, schema: &mut Schema, refs: &mut RoleRefs, decls: &Decls) {
    let mut seen: BTreeMap<DefaultKey, &super::super::diag::Loc> = BTreeMap::new();
    for d in &decls.default_privileges {
        let mut missing = Vec::new();
        for (key, present) in [
            ("for_role", d.for_role.is_some()),
            ("on", d.on.is_some()),
            ("grants", d.grants.is_some()),
        ] {
            if !present {
                missing.push(key);
            }
        }
        if !missing.is_empty() {
            p.push(
                Diagnostic::new(
                    d.loc.clone(),
                    format!("default privileges without `{}`", missing.join("`, `")),
                )
                .label("every [[default_privileges]] says whose new objects (`for_role`), of which kind (`on`), and what the managed roles get (`grants`)"),
            );
            continue;
        }
        let (Some(for_role), Some(on), Some(grants)) = (&d.for_role, &d.on, &d.grants) else {
            continue;
        };
        check_ident(p, for_role, "role");
        refs.push(for_role.clone());
        let Some(kind) = DefaultOn::parse(&on.value.trim().to_lowercase()) else {
            p.push(
                Diagnostic::new(on.loc.clone(), format!("unknown kind `{}`", on.value))
                    .label(format!("one of: {}", DefaultOn::ALL.join(", "))),
            );
            continue;
        };
        if let Some(s) = &d.schema {
            check_ident(p, s, "schema");
            if kind == DefaultOn::Schemas {
                p.push(
                    Diagnostic::new(
                        s.loc.clone(),
                        "default privileges on schemas cannot be limited to a schema",
                    )
                    .label("PostgreSQL refuses IN SCHEMA with ON SCHEMAS: leave `schema` out"),
                );
                continue;
            }
        }
        let key = DefaultKey {
            for_role: for_role.value.clone(),
            schema: d.schema.as_ref().map(|s| s.value.clone()),
            on: kind,
        };
        if let Some(first) = seen.get(&key) {
            p.push(duplicate(
                &d.loc,
                first,
                &format!("default privileges of {key}"),
            ));
            continue;
        }
        seen.insert(key.clone(), &d.loc);
        // The schema is created if missing, as any schema the declaration uses.
        if let Some(s) = &key.schema {
            schema.schemas.insert(s.clone());
        }
        let a = acl(
            p,
            schema,
            kind.on(),
            false,
            grants,
            &format!("default privileges of {key}"),
        );
        schema.privileges.defaults.push((key, a));
    }
}
