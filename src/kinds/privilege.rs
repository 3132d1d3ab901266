//! Privileges: `GRANT`/`REVOKE` on schemas, tables (and their columns), views, sequences,
//! functions, procedures and types; object owners; `ALTER DEFAULT PRIVILEGES`.
//!
//! Only the roles a declaration lists in `[settings] roles` are managed: their privileges on
//! declared objects are made exactly what the declaration says (granted, revoked). Every other
//! role's privileges are read, reported in a note, and never revoked, so adopting tableform on a
//! shared database cannot lock anyone out. Roles themselves are cluster-wide and never created;
//! one a declaration names that the server lacks is a located error at plan time (see
//! [`crate::cli`]). An object's owner holds every privilege on it implicitly, so grants to the
//! owner are neither compared nor planned.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::function::{RoutineKey, RoutineKind, catalog_key, object_of};
use super::{Change, KindChange, Sign, one};
use crate::diff::{Diff, Facts, ObjectKind, Options, Verdict};
use crate::model::names::{quote_ident, serial_sequence_name};
use crate::model::{ColumnDefault, QualName, Schema};
use crate::plan::Phase;

/// What kind of object a privilege is on, as `GRANT ... ON <kind>` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum On {
    Schema,
    Table,
    View,
    MaterializedView,
    Sequence,
    Function,
    Procedure,
    Type,
    Domain,
    Composite,
}

impl On {
    /// The privileges PostgreSQL has for this kind, lower case, in `GRANT ALL`'s order.
    pub fn privileges(self, column: bool) -> &'static [&'static str] {
        match self {
            _ if column => &["select", "insert", "update", "references"],
            On::Schema => &["usage", "create"],
            On::Table | On::View | On::MaterializedView => &[
                "select",
                "insert",
                "update",
                "delete",
                "truncate",
                "references",
                "trigger",
            ],
            On::Sequence => &["usage", "select", "update"],
            On::Function | On::Procedure => &["execute"],
            On::Type | On::Domain | On::Composite => &["usage"],
        }
    }

    /// `GRANT ... ON <this> x`.
    fn grant_word(self) -> &'static str {
        match self {
            On::Schema => "SCHEMA",
            On::Table | On::View | On::MaterializedView => "TABLE",
            On::Sequence => "SEQUENCE",
            On::Function => "FUNCTION",
            On::Procedure => "PROCEDURE",
            On::Type | On::Composite => "TYPE",
            On::Domain => "DOMAIN",
        }
    }

    /// `ALTER <this> x OWNER TO r`.
    fn alter_word(self) -> &'static str {
        match self {
            On::Schema => "SCHEMA",
            On::Table => "TABLE",
            On::View => "VIEW",
            On::MaterializedView => "MATERIALIZED VIEW",
            On::Sequence => "SEQUENCE",
            On::Function => "FUNCTION",
            On::Procedure => "PROCEDURE",
            On::Type | On::Composite => "TYPE",
            On::Domain => "DOMAIN",
        }
    }

    /// What PostgreSQL grants on a new object of this kind before anyone says otherwise,
    /// besides the owner's own privileges (`acldefault()`).
    fn default_public(self) -> &'static [&'static str] {
        match self {
            On::Function | On::Procedure => &["execute"],
            On::Type | On::Domain | On::Composite => &["usage"],
            _ => &[],
        }
    }

    /// The `pg_default_acl` object type whose default privileges new objects of this kind get.
    fn default_kind(self) -> Option<DefaultOn> {
        match self {
            On::Table | On::View | On::MaterializedView => Some(DefaultOn::Tables),
            On::Sequence => Some(DefaultOn::Sequences),
            On::Function | On::Procedure => Some(DefaultOn::Functions),
            On::Type | On::Domain | On::Composite => Some(DefaultOn::Types),
            On::Schema => None,
        }
    }
}

/// An object privileges are granted on: a schema (its name in `name.schema`, `name.name`
/// empty), a relation, a column of a table, or a routine (with its argument types).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Target {
    pub on: On,
    pub name: QualName,
    /// A routine's argument types, as [`catalog_key`] spells them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

impl Target {
    pub fn schema(name: &str) -> Self {
        Self::of(On::Schema, QualName::new(name, ""))
    }

    pub fn of(on: On, name: QualName) -> Self {
        Target {
            on,
            name,
            arguments: Vec::new(),
            column: None,
        }
    }

    pub fn routine(kind: RoutineKind, key: &RoutineKey) -> Self {
        let key = catalog_key(key);
        Target {
            on: match kind {
                RoutineKind::Function => On::Function,
                RoutineKind::Procedure => On::Procedure,
            },
            name: key.name,
            arguments: key.arguments,
            column: None,
        }
    }

    pub fn column(table: &QualName, column: &str) -> Self {
        Target {
            column: Some(column.to_string()),
            ..Self::of(On::Table, table.clone())
        }
    }

    /// The object as SQL: `"s"`, `"s"."t"`, `"s"."f"(integer, text)`.
    fn sql(&self) -> String {
        match self.on {
            On::Schema => quote_ident(&self.name.schema),
            On::Function | On::Procedure => {
                format!("{}({})", self.name.sql(), self.arguments.join(", "))
            }
            _ => self.name.sql(),
        }
    }

    /// The object a plan lists the change under: a column's is its table.
    pub fn object(&self) -> (ObjectKind, QualName) {
        match self.on {
            On::Schema => (ObjectKind::Schema, self.name.clone()),
            On::Table => (ObjectKind::Table, self.name.clone()),
            On::View => (ObjectKind::View, self.name.clone()),
            On::MaterializedView => (ObjectKind::MaterializedView, self.name.clone()),
            On::Sequence => (ObjectKind::Sequence, self.name.clone()),
            On::Type => (ObjectKind::Enum, self.name.clone()),
            On::Domain => (ObjectKind::Domain, self.name.clone()),
            On::Composite => (ObjectKind::Composite, self.name.clone()),
            On::Function | On::Procedure => {
                let kind = if self.on == On::Function {
                    RoutineKind::Function
                } else {
                    RoutineKind::Procedure
                };
                let key = RoutineKey {
                    name: self.name.clone(),
                    arguments: self.arguments.clone(),
                };
                object_of(kind, &key)
            }
        }
    }
}

/// One privilege a role holds, and whether it may grant it on (`WITH GRANT OPTION`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Privilege {
    pub name: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub grant_option: bool,
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.grant_option {
            f.write_str(" with grant option")?;
        }
        Ok(())
    }
}

/// Per role (`public` for `PUBLIC`), the privileges it holds.
pub type Acl = BTreeMap<String, BTreeSet<Privilege>>;

/// The kinds of object `ALTER DEFAULT PRIVILEGES` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultOn {
    Tables,
    Sequences,
    Functions,
    Types,
    Schemas,
}

impl DefaultOn {
    pub const ALL: &'static [&'static str] =
        &["tables", "sequences", "functions", "types", "schemas"];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "tables" => DefaultOn::Tables,
            "sequences" => DefaultOn::Sequences,
            "functions" | "routines" => DefaultOn::Functions,
            "types" => DefaultOn::Types,
            "schemas" => DefaultOn::Schemas,
            _ => return None,
        })
    }

    fn word(self) -> &'static str {
        match self {
            DefaultOn::Tables => "TABLES",
            DefaultOn::Sequences => "SEQUENCES",
            DefaultOn::Functions => "FUNCTIONS",
            DefaultOn::Types => "TYPES",
            DefaultOn::Schemas => "SCHEMAS",
        }
    }

    /// The privileges of the matching object kind.
    pub fn on(self) -> On {
        match self {
            DefaultOn::Tables => On::Table,
            DefaultOn::Sequences => On::Sequence,
            DefaultOn::Functions => On::Function,
            DefaultOn::Types => On::Type,
            DefaultOn::Schemas => On::Schema,
        }
    }

    fn catalog(c: &str) -> Option<Self> {
        Some(match c {
            "r" => DefaultOn::Tables,
            "S" => DefaultOn::Sequences,
            "f" => DefaultOn::Functions,
            "T" => DefaultOn::Types,
            "n" => DefaultOn::Schemas,
            _ => return None,
        })
    }
}

/// Whose new objects (`for_role`), where (`schema`; `None`: everywhere), of which kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DefaultKey {
    pub for_role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub on: DefaultOn,
}

impl fmt::Display for DefaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created by {}",
            self.on.word().to_lowercase(),
            quote_ident(&self.for_role)
        )?;
        if let Some(s) = &self.schema {
            write!(f, " in schema {}", quote_ident(s))?;
        }
        Ok(())
    }
}

/// Everything about privileges. Declared side: what the declaration says (the objects whose
/// declaration has `grants`, `owner` keys, `[[default_privileges]]`) and the managed roles.
/// Live side: every object of the managed schemas with its owner and grants, and every default
/// privilege.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Privileges {
    /// Declared: `[settings] roles`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub roles: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<(Target, Acl)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<(Target, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defaults: Vec<(DefaultKey, Acl)>,
}

impl Privileges {
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
            && self.grants.is_empty()
            && self.owners.is_empty()
            && self.defaults.is_empty()
    }

    fn grants_of(&self) -> BTreeMap<&Target, &Acl> {
        self.grants.iter().map(|(t, a)| (t, a)).collect()
    }

    fn owners_of(&self) -> BTreeMap<&Target, &String> {
        self.owners.iter().map(|(t, o)| (t, o)).collect()
    }
}

// ---- Catalog ----

/// Every object of the managed schemas that can hold privileges, with its owner, and one row per
/// privilege granted on it to a role other than its owner (none: one row with a NULL grantee).
/// A NULL ACL is read as `acldefault()`, what PostgreSQL applies to it. Objects that belong to
/// an extension are left out (their privileges are the extension's).
pub const QUERY: &str = "
WITH o AS (
  SELECT 'schema' AS kind, n.nspname::text AS sch, ''::text AS name, '{}'::text[] AS args, NULL::text AS col,
         n.nspowner AS owner, COALESCE(n.nspacl, acldefault('n', n.nspowner)) AS acl
  FROM pg_namespace n WHERE n.nspname = ANY($1)
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' ELSE 'table' END,
         n.nspname::text, c.relname::text, '{}', NULL, c.relowner,
         COALESCE(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'table', n.nspname::text, c.relname::text, '{}', a.attname::text, c.relowner, a.attacl
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, n.nspname::text, p.proname::text,
         ARRAY(SELECT format_type(u.t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i) ORDER BY u.i),
         NULL, p.proowner, COALESCE(p.proacl, acldefault('f', p.proowner))
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite' ELSE 'type' END,
         n.nspname::text, t.typname::text, '{}', NULL, t.typowner, COALESCE(t.typacl, acldefault('T', t.typowner))
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = ANY($1)
    AND (t.typtype IN ('e', 'd')
         OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
)
SELECT o.kind, o.sch, o.name, o.args, o.col, pg_get_userbyid(o.owner)::text,
       CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_get_userbyid(x.grantee)::text END,
       lower(x.privilege_type), x.is_grantable
FROM o LEFT JOIN LATERAL (SELECT * FROM aclexplode(o.acl) e WHERE e.grantee <> o.owner) x ON true";

/// Every default privilege (`ALTER DEFAULT PRIVILEGES`) of the database, everywhere or in a
/// managed schema, one row per grantee and privilege.
pub const DEFAULTS_QUERY: &str = "
SELECT pg_get_userbyid(d.defaclrole)::text, n.nspname::text, d.defaclobjtype::text,
       CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_get_userbyid(x.grantee)::text END,
       lower(x.privilege_type), x.is_grantable
FROM pg_default_acl d
LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
LEFT JOIN LATERAL (SELECT * FROM aclexplode(d.defaclacl) e WHERE e.grantee <> d.defaclrole) x ON true
WHERE d.defaclnamespace = 0 OR n.nspname = ANY($1)";

/// The rows of [`QUERY`] and [`DEFAULTS_QUERY`] into `s.privileges`.
pub fn read(rows: &[Row], defaults: &[Row], s: &mut Schema) {
    let mut grants: BTreeMap<Target, Acl> = BTreeMap::new();
    let mut owners: BTreeMap<Target, String> = BTreeMap::new();
    for r in rows {
        let kind: String = r.get(0);
        let name = QualName::new(r.get::<_, String>(1), r.get::<_, String>(2));
        let column: Option<String> = r.get(4);
        let target = match kind.as_str() {
            "schema" => Target::schema(&name.schema),
            "function" | "procedure" => {
                let key = RoutineKey {
                    name,
                    arguments: r.get(3),
                };
                let kind = if kind == "function" {
                    RoutineKind::Function
                } else {
                    RoutineKind::Procedure
                };
                Target::routine(kind, &key)
            }
            _ if column.is_some() => Target::column(&name, column.as_deref().unwrap_or_default()),
            "sequence" => Target::of(On::Sequence, name),
            "view" => Target::of(On::View, name),
            "materialized_view" => Target::of(On::MaterializedView, name),
            "type" => Target::of(On::Type, name),
            "domain" => Target::of(On::Domain, name),
            "composite" => Target::of(On::Composite, name),
            _ => Target::of(On::Table, name),
        };
        if target.column.is_none() {
            owners.insert(target.clone(), r.get(5));
        }
        let acl = grants.entry(target).or_default();
        if let Some(grantee) = r.get::<_, Option<String>>(6) {
            acl.entry(grantee).or_default().insert(Privilege {
                name: r.get(7),
                grant_option: r.get(8),
            });
        }
    }
    let mut defs: BTreeMap<DefaultKey, Acl> = BTreeMap::new();
    for r in defaults {
        let Some(on) = DefaultOn::catalog(&r.get::<_, String>(2)) else {
            continue;
        };
        let key = DefaultKey {
            for_role: r.get(0),
            schema: r.get(1),
            on,
        };
        let acl = defs.entry(key).or_default();
        if let Some(grantee) = r.get::<_, Option<String>>(3) {
            acl.entry(grantee).or_default().insert(Privilege {
                name: r.get(4),
                grant_option: r.get(5),
            });
        }
    }
    s.privileges = Privileges {
        roles: BTreeSet::new(),
        grants: grants.into_iter().collect(),
        owners: owners.into_iter().collect(),
        defaults: defs.into_iter().collect(),
    };
}

// ---- Diff ----

/// Every declared object that can hold privileges, as a target. Schemas count when declared as
/// `[schema.NAME]`.
fn declared_targets(desired: &Schema) -> Vec<Target> {
    let mut out: Vec<Target> = (desired.schema_comments.keys())
        .map(|s| Target::schema(s))
        .collect();
    for t in desired.tables.values() {
        out.push(Target::of(On::Table, t.name.clone()));
    }
    out.extend((desired.views.keys()).map(|n| Target::of(On::View, n.clone())));
    out.extend(
        (desired.materialized_views.keys()).map(|n| Target::of(On::MaterializedView, n.clone())),
    );
    out.extend((desired.sequences.keys()).map(|n| Target::of(On::Sequence, n.clone())));
    out.extend((desired.enums.keys()).map(|n| Target::of(On::Type, n.clone())));
    out.extend((desired.domains.keys()).map(|n| Target::of(On::Domain, n.clone())));
    out.extend((desired.composites.keys()).map(|n| Target::of(On::Composite, n.clone())));
    out.extend((desired.functions.values()).map(|r| Target::routine(r.kind, &r.key())));
    out
}

/// Whether PUBLIC holding `held` on `t` is how PostgreSQL makes such an object: `EXECUTE` on a
/// routine, `USAGE` on a type, `USAGE` (PostgreSQL 15+) or `USAGE, CREATE` (before) on the
/// `public` schema, nothing elsewhere.
fn stock_public(t: &Target, held: &BTreeSet<&str>) -> bool {
    if t.column.is_some() {
        return held.is_empty();
    }
    if t.on == On::Schema && t.name.schema == "public" {
        return *held == BTreeSet::from(["usage"]) || *held == BTreeSet::from(["usage", "create"]);
    }
    *held
        == t.on
            .default_public()
            .iter()
            .copied()
            .collect::<BTreeSet<&str>>()
}

/// The objects this plan drops and creates again (a view or function recreated, an enum type
/// rebuilt): their privileges are gone after the drop. One pass over the changes.
fn recreated(changes: &[Change]) -> BTreeSet<(ObjectKind, QualName)> {
    use super::enum_type::EnumChange;
    use super::function::RoutineChange;
    let (mut added, mut removed, mut rebuilt) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for c in changes {
        let object = c.object();
        if matches!(
            c,
            Change::Routine(RoutineChange::RecreateRoutine { .. })
                | Change::Enum(EnumChange::ReshapeEnum { .. })
        ) {
            rebuilt.insert(object);
        } else if !matches!(object.0, ObjectKind::Table | ObjectKind::Schema) {
            match c.as_kind().sign() {
                Sign::Add => added.insert(object),
                Sign::Remove => removed.insert(object),
                Sign::Alter => false,
            };
        }
    }
    rebuilt.extend(added.intersection(&removed).cloned());
    rebuilt
}

/// What a new object of `target`'s kind holds right after `CREATE`, for the managed roles: the
/// built-in defaults, and whatever default privileges might apply to it (any creating role's,
/// everywhere or in its schema: a superset, so that the plan revokes what it may not need to
/// rather than leaving what it should not).
fn on_creation(target: &Target, live: &Privileges, desired: &Privileges) -> Acl {
    let mut acl = Acl::new();
    if target.column.is_some() {
        return acl;
    }
    for p in target.on.default_public() {
        acl.entry("public".into()).or_default().insert(Privilege {
            name: p.to_string(),
            grant_option: false,
        });
    }
    let Some(kind) = target.on.default_kind() else {
        return acl;
    };
    for (key, a) in live.defaults.iter().chain(desired.defaults.iter()) {
        if key.on == kind && key.schema.as_ref().is_none_or(|s| *s == target.name.schema) {
            for (role, privs) in a {
                acl.entry(role.clone())
                    .or_default()
                    .extend(privs.iter().cloned());
            }
        }
    }
    acl
}

/// The changes that make each managed role's privileges what the declaration says, on every
/// declared object and for every declared default; notes on other roles' grants, kept.
pub fn diff(desired: &Schema, live: &Schema, out: &mut Diff) {
    let want = &desired.privileges;
    if want.is_empty() {
        return;
    }
    let have = &live.privileges;
    let again = recreated(&out.changes);
    let (want_grants, have_grants) = (want.grants_of(), have.grants_of());
    let (want_owners, have_owners) = (want.owners_of(), have.owners_of());
    let mut changes: Vec<Change> = Vec::new();
    // Owners first: the grants below leave out whoever owns the object.
    for (target, role) in &want_owners {
        let from = have_owners.get(target).map(|o| o.to_string());
        let fresh = !have_owners.contains_key(target) || again.contains(&target.object());
        if fresh || from.as_deref() != Some(role.as_str()) {
            changes.push(
                PrivilegeChange::SetOwner {
                    target: (*target).clone(),
                    from: if fresh { None } else { from },
                    to: (*role).clone(),
                }
                .into(),
            );
        }
    }
    let mut targets = declared_targets(desired);
    // Columns: those declared with grants, and the live ones of declared tables that have some.
    let columns: BTreeSet<Target> = (want_grants.keys().chain(have_grants.keys()))
        .filter(|t| t.column.is_some())
        .filter(|t| {
            (desired.tables.get(&t.name))
                .is_some_and(|tab| (tab.columns.iter()).any(|c| Some(&c.name) == t.column.as_ref()))
        })
        .map(|t| (*t).clone())
        .collect();
    targets.extend(columns);
    // A serial column's sequence: USAGE for every managed role that may INSERT into the table
    // (nextval() needs it), and nothing else.
    let mut derived: BTreeMap<Target, Acl> = BTreeMap::new();
    for t in desired.tables.values() {
        let table_acl = want_grants.get(&Target::of(On::Table, t.name.clone()));
        for c in t
            .columns
            .iter()
            .filter(|c| matches!(c.default, Some(ColumnDefault::Serial { .. })))
        {
            let live_seq = (live.tables.get(&t.name))
                .and_then(|lt| lt.columns.iter().find(|lc| lc.name == c.name))
                .and_then(|lc| match &lc.default {
                    Some(ColumnDefault::Serial { sequence: Some(s) }) => Some(s.clone()),
                    _ => None,
                });
            let seq = live_seq.unwrap_or_else(|| serial_sequence_name(&t.name.name, &c.name));
            let target = Target::of(On::Sequence, QualName::new(t.name.schema.clone(), seq));
            let mut acl = Acl::new();
            for (role, privs) in table_acl.into_iter().flat_map(|a| a.iter()) {
                if privs.iter().any(|p| p.name == "insert") {
                    acl.entry(role.clone()).or_default().insert(Privilege {
                        name: "usage".into(),
                        grant_option: false,
                    });
                }
            }
            targets.push(target.clone());
            derived.insert(target, acl);
        }
    }
    let empty = Acl::new();
    for target in &targets {
        let object = target.object();
        let owner = (want_owners.get(target).map(|s| s.as_str()))
            .or_else(|| have_owners.get(target).map(|s| s.as_str()));
        let exists = have_grants.contains_key(target)
            || (target.column.is_some() && live.tables.contains_key(&target.name));
        let fresh = !exists || again.contains(&object);
        let held: Acl = if fresh && target.column.is_none() {
            on_creation(target, have, want)
        } else {
            have_grants
                .get(target)
                .copied()
                .cloned()
                .unwrap_or_default()
        };
        let wanted = (derived.get(target))
            .or_else(|| want_grants.get(target).copied())
            .unwrap_or(&empty);
        for role in &want.roles {
            if Some(role.as_str()) == owner {
                continue;
            }
            let none = BTreeSet::new();
            let h = held.get(role).unwrap_or(&none);
            let mut w = wanted.get(role).unwrap_or(&none).clone();
            // A serial's sequence: USAGE added where needed, nothing taken away.
            if derived.contains_key(target) {
                w.extend(h.iter().cloned());
            }
            changes.extend(role_changes(&w, h, |privileges, grant, option| {
                if grant {
                    PrivilegeChange::Grant {
                        target: target.clone(),
                        role: role.clone(),
                        privileges,
                        with_grant_option: option,
                    }
                } else {
                    PrivilegeChange::Revoke {
                        target: target.clone(),
                        role: role.clone(),
                        privileges,
                        grant_option_only: option,
                        created: fresh,
                    }
                }
            }));
        }
        // Other roles' grants: kept, and said so (PostgreSQL's own defaults are not worth a
        // note).
        if fresh {
            continue;
        }
        let others: Vec<String> = (held.iter())
            .filter(|(r, _)| !want.roles.contains(*r) && Some(r.as_str()) != owner)
            .filter(|(r, privs)| {
                let names: BTreeSet<&str> = privs.iter().map(|p| p.name.as_str()).collect();
                !(r.as_str() == "public" && stock_public(target, &names))
            })
            .map(|(r, privs)| {
                let privs: Vec<String> = privs.iter().map(|p| p.to_string()).collect();
                format!("{} ({})", quote_ident(r), privs.join(", "))
            })
            .collect();
        if !others.is_empty() {
            let what = match &target.column {
                Some(c) => format!("on column {}", quote_ident(c)),
                None => "on it".into(),
            };
            out.notes.entry(object).or_default().push(format!(
                "grants {what} to roles not in [settings] roles are kept as they are: {}",
                others.join(", ")
            ));
        }
    }
    // Default privileges: every declared entry, and the live ones of the same creating roles.
    let for_roles: BTreeSet<&String> = want.defaults.iter().map(|(k, _)| &k.for_role).collect();
    let want_defaults: BTreeMap<&DefaultKey, &Acl> =
        want.defaults.iter().map(|(k, a)| (k, a)).collect();
    let have_defaults: BTreeMap<&DefaultKey, &Acl> =
        have.defaults.iter().map(|(k, a)| (k, a)).collect();
    let keys: BTreeSet<&DefaultKey> = (want_defaults.keys().copied())
        .chain(
            have_defaults
                .keys()
                .copied()
                .filter(|k| for_roles.contains(&k.for_role)),
        )
        .collect();
    for key in keys {
        let wanted = want_defaults.get(key).copied().unwrap_or(&empty);
        let held: Acl = match have_defaults.get(key) {
            Some(a) => (*a).clone(),
            // No entry everywhere: PostgreSQL's built-in defaults apply.
            None if key.schema.is_none() => {
                let mut a = Acl::new();
                for p in key.on.on().default_public() {
                    a.entry("public".into()).or_default().insert(Privilege {
                        name: p.to_string(),
                        grant_option: false,
                    });
                }
                a
            }
            None => Acl::new(),
        };
        for role in &want.roles {
            if *role == key.for_role {
                continue;
            }
            let none = BTreeSet::new();
            let w = wanted.get(role).unwrap_or(&none);
            let h = held.get(role).unwrap_or(&none);
            changes.extend(role_changes(w, h, |privileges, grant, option| {
                PrivilegeChange::SetDefault {
                    key: key.clone(),
                    role: role.clone(),
                    privileges,
                    grant,
                    grant_option: option,
                }
            }));
        }
    }
    out.changes.extend(changes);
}

/// The grants and revokes that turn `have` into `want` for one role: `make(privileges, grant,
/// option)`; `option`: with grant option (a grant) or of the grant option only (a revoke).
fn role_changes(
    want: &BTreeSet<Privilege>,
    have: &BTreeSet<Privilege>,
    make: impl Fn(Vec<String>, bool, bool) -> PrivilegeChange,
) -> Vec<Change> {
    fn holds<'a>(set: &'a BTreeSet<Privilege>, name: &str) -> Option<&'a Privilege> {
        set.iter().find(|p| p.name == name)
    }
    let names =
        |v: Vec<&Privilege>| -> Vec<String> { v.into_iter().map(|p| p.name.clone()).collect() };
    let revoke: Vec<&Privilege> = have
        .iter()
        .filter(|h| holds(want, &h.name).is_none())
        .collect();
    let revoke_option: Vec<&Privilege> = (have.iter())
        .filter(|h| h.grant_option && holds(want, &h.name).is_some_and(|w| !w.grant_option))
        .collect();
    let grant: Vec<&Privilege> = (want.iter())
        .filter(|w| !w.grant_option && holds(have, &w.name).is_none())
        .collect();
    let grant_option: Vec<&Privilege> = (want.iter())
        .filter(|w| w.grant_option && !holds(have, &w.name).is_some_and(|h| h.grant_option))
        .collect();
    let mut out = Vec::new();
    for (list, grant, option) in [
        (revoke, false, false),
        (revoke_option, false, true),
        (grant, true, false),
        (grant_option, true, true),
    ] {
        if !list.is_empty() {
            out.push(make(names(list), grant, option).into());
        }
    }
    out
}

// ---- Changes ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PrivilegeChange {
    /// `GRANT p, ... ON x TO r [WITH GRANT OPTION]` (a column's: `GRANT p (c) ON t TO r`)
    Grant {
        target: Target,
        role: String,
        privileges: Vec<String>,
        #[serde(default)]
        with_grant_option: bool,
    },
    /// `REVOKE [GRANT OPTION FOR] p, ... ON x FROM r`
    Revoke {
        target: Target,
        role: String,
        privileges: Vec<String>,
        #[serde(default)]
        grant_option_only: bool,
        /// The object is created by this plan (what it is given on creation is taken back
        /// before anyone can use it).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        created: bool,
    },
    /// `ALTER <kind> x OWNER TO r`
    SetOwner {
        target: Target,
        /// `None`: the object is created (or created again) by this plan.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        to: String,
    },
    /// `ALTER DEFAULT PRIVILEGES FOR ROLE o [IN SCHEMA s] GRANT|REVOKE ... ON <kinds> TO|FROM r`
    SetDefault {
        key: DefaultKey,
        role: String,
        privileges: Vec<String>,
        grant: bool,
        #[serde(default)]
        grant_option: bool,
    },
}

fn role_sql(role: &str) -> String {
    if role == "public" {
        "PUBLIC".into()
    } else {
        quote_ident(role)
    }
}

fn privilege_list(privileges: &[String], column: Option<&String>) -> String {
    let col = column
        .map(|c| format!(" ({})", quote_ident(c)))
        .unwrap_or_default();
    (privileges.iter())
        .map(|p| format!("{}{col}", p.to_uppercase()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl KindChange for PrivilegeChange {
    fn object(&self) -> (ObjectKind, QualName) {
        match self {
            PrivilegeChange::Grant { target, .. }
            | PrivilegeChange::Revoke { target, .. }
            | PrivilegeChange::SetOwner { target, .. } => target.object(),
            PrivilegeChange::SetDefault { key, .. } => (
                ObjectKind::DefaultPrivileges,
                QualName::new(key.schema.clone().unwrap_or_default(), key.to_string()),
            ),
        }
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        match self {
            PrivilegeChange::Revoke { created: true, .. } => Verdict::change(),
            PrivilegeChange::Revoke { role, .. } => Verdict::note(format!(
                "{} can no longer do this; statements of its sessions that need it fail from the commit on",
                role_sql(role)
            )),
            _ => Verdict::change(),
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        let sql = match self {
            PrivilegeChange::Grant {
                target,
                role,
                privileges,
                with_grant_option,
            } => format!(
                "GRANT {} ON {} {} TO {}{}",
                privilege_list(privileges, target.column.as_ref()),
                target.on.grant_word(),
                target.sql(),
                role_sql(role),
                if *with_grant_option {
                    " WITH GRANT OPTION"
                } else {
                    ""
                }
            ),
            PrivilegeChange::Revoke {
                target,
                role,
                privileges,
                grant_option_only,
                ..
            } => format!(
                "REVOKE {}{} ON {} {} FROM {}",
                if *grant_option_only {
                    "GRANT OPTION FOR "
                } else {
                    ""
                },
                privilege_list(privileges, target.column.as_ref()),
                target.on.grant_word(),
                target.sql(),
                role_sql(role)
            ),
            PrivilegeChange::SetOwner { target, to, .. } => format!(
                "ALTER {} {} OWNER TO {}",
                target.on.alter_word(),
                target.sql(),
                quote_ident(to)
            ),
            PrivilegeChange::SetDefault {
                key,
                role,
                privileges,
                grant,
                grant_option,
            } => {
                let mut s = format!(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {}",
                    quote_ident(&key.for_role)
                );
                if let Some(schema) = &key.schema {
                    s.push_str(&format!(" IN SCHEMA {}", quote_ident(schema)));
                }
                let list = privilege_list(privileges, None);
                if *grant {
                    s.push_str(&format!(
                        " GRANT {list} ON {} TO {}{}",
                        key.on.word(),
                        role_sql(role),
                        if *grant_option {
                            " WITH GRANT OPTION"
                        } else {
                            ""
                        }
                    ));
                } else {
                    s.push_str(&format!(
                        " REVOKE {}{list} ON {} FROM {}",
                        if *grant_option {
                            "GRANT OPTION FOR "
                        } else {
                            ""
                        },
                        key.on.word(),
                        role_sql(role)
                    ));
                }
                s
            }
        };
        one(Phase::Privileges, sql)
    }

    fn rank(&self, _phase: Phase) -> i64 {
        match self {
            PrivilegeChange::SetOwner { .. } => 0,
            PrivilegeChange::Revoke { .. } => 1,
            PrivilegeChange::Grant { .. } => 2,
            PrivilegeChange::SetDefault { .. } => 3,
        }
    }

    fn summary(&self) -> String {
        let on_column = |t: &Target| match &t.column {
            Some(c) => format!(" on column {}", quote_ident(c)),
            None => String::new(),
        };
        match self {
            PrivilegeChange::Grant {
                target,
                role,
                privileges,
                with_grant_option,
            } => format!(
                "grant {}{} to {}{}",
                privileges.join(", "),
                on_column(target),
                role_sql(role),
                if *with_grant_option {
                    " with grant option"
                } else {
                    ""
                }
            ),
            PrivilegeChange::Revoke {
                target,
                role,
                privileges,
                grant_option_only,
                ..
            } => format!(
                "revoke {}{}{} from {}",
                if *grant_option_only {
                    "the grant option for "
                } else {
                    ""
                },
                privileges.join(", "),
                on_column(target),
                role_sql(role)
            ),
            PrivilegeChange::SetOwner { from, to, .. } => match from {
                Some(f) => format!("owner {} -> {}", quote_ident(f), quote_ident(to)),
                None => format!("owner {}", quote_ident(to)),
            },
            PrivilegeChange::SetDefault {
                role,
                privileges,
                grant,
                grant_option,
                ..
            } => {
                format!(
                    "{} {}{} {} {}",
                    if *grant { "grant" } else { "revoke" },
                    if *grant_option && !grant {
                        "the grant option for "
                    } else {
                        ""
                    },
                    privileges.join(", "),
                    if *grant { "to" } else { "from" },
                    role_sql(role)
                ) + if *grant_option && *grant {
                    " with grant option"
                } else {
                    ""
                }
            }
        }
    }

    fn sign(&self) -> Sign {
        match self {
            PrivilegeChange::Grant { .. } | PrivilegeChange::SetDefault { grant: true, .. } => {
                Sign::Add
            }
            PrivilegeChange::Revoke { .. } | PrivilegeChange::SetDefault { grant: false, .. } => {
                Sign::Remove
            }
            _ => Sign::Alter,
        }
    }
}

// ---- Import ----

/// `grants = { role = [...] }` as written in a declaration: per role its privileges, `all`
/// where it holds every one of the kind.
pub fn written(acl: &Acl, on: On, column: bool) -> Vec<(String, Vec<String>)> {
    let every = on.privileges(column);
    (acl.iter())
        .map(|(role, privs)| {
            let plain = |p: &Privilege| p.to_string();
            let all = every
                .iter()
                .all(|e| privs.iter().any(|p| p.name == *e && !p.grant_option));
            let list = if all && privs.len() == every.len() && every.len() > 1 {
                vec!["all".to_string()]
            } else {
                privs.iter().map(plain).collect()
            };
            (role.clone(), list)
        })
        .collect()
}

impl Privileges {
    /// The owner and grants declared for `target`, if any (the lists are sorted by target: see
    /// [`Privileges::sort`]).
    pub fn declared(&self, target: &Target) -> (Option<&String>, Option<&Acl>) {
        fn find<'a, V>(list: &'a [(Target, V)], target: &Target) -> Option<&'a V> {
            (list.binary_search_by(|(t, _)| t.cmp(target)).ok()).map(|i| &list[i].1)
        }
        (find(&self.owners, target), find(&self.grants, target))
    }

    /// Orders every list by its key, as the catalog reader and [`for_import`] leave them; the
    /// loader calls it once all objects are read.
    pub fn sort(&mut self) {
        self.grants.sort_by(|a, b| a.0.cmp(&b.0));
        self.owners.sort_by(|a, b| a.0.cmp(&b.0));
        self.defaults.sort_by(|a, b| a.0.cmp(&b.0));
    }
}

/// Turns the live privileges of `schema` (as read) into what a declaration of it says: every
/// role holding a privilege on an imported object becomes a managed role (PUBLIC only when it
/// holds something other than PostgreSQL's defaults somewhere), each object's grants to them
/// are written, owners other than `user` (the importing role, which will own what it creates)
/// too, and the default privileges of every creating role.
pub fn for_import(schema: &mut Schema, user: &str) {
    let live = std::mem::take(&mut schema.privileges);
    let mut declared: BTreeSet<Target> = declared_targets(schema).into_iter().collect();
    declared.extend(schema.schemas.iter().map(|s| Target::schema(s)));
    let imported = |t: &Target| match &t.column {
        Some(c) => (schema.tables.get(&t.name))
            .is_some_and(|tab| tab.columns.iter().any(|col| &col.name == c)),
        None => declared.contains(t),
    };
    let mut roles: BTreeSet<String> = BTreeSet::new();
    let mut public = false;
    for (t, acl) in live.grants.iter().filter(|(t, _)| imported(t)) {
        for (role, privs) in acl {
            if role != "public" {
                roles.insert(role.clone());
                continue;
            }
            let held: BTreeSet<&str> = privs.iter().map(|p| p.name.as_str()).collect();
            public |= !stock_public(t, &held) || privs.iter().any(|p| p.grant_option);
        }
        // PUBLIC's defaults revoked: only a managed PUBLIC can say so.
        public |= !acl.contains_key("public") && !stock_public(t, &BTreeSet::new());
    }
    for (k, acl) in &live.defaults {
        for role in acl.keys() {
            if role == "public" {
                public = true;
            } else {
                roles.insert(role.clone());
            }
        }
        let no_public = !acl.contains_key("public");
        public |= k.schema.is_none() && no_public && !k.on.on().default_public().is_empty();
    }
    if public {
        roles.insert("public".into());
    }
    let owners: Vec<(Target, String)> = (live.owners.iter())
        .filter(|(t, o)| imported(t) && o != user)
        // The stock owner of `public` (PostgreSQL 15+), which every new database has.
        .filter(|(t, o)| {
            !(t.on == On::Schema && t.name.schema == "public" && o == "pg_database_owner")
        })
        .cloned()
        .collect();
    if roles.is_empty() && owners.is_empty() {
        return;
    }
    let only = |acl: &Acl| -> Acl {
        (acl.iter())
            .filter(|(r, _)| roles.contains(*r))
            .map(|(r, p)| (r.clone(), p.clone()))
            .collect()
    };
    let grants: Vec<(Target, Acl)> = (live.grants.iter())
        .filter(|(t, _)| imported(t))
        .map(|(t, a)| (t.clone(), only(a)))
        .filter(|(_, a)| !a.is_empty())
        .collect();
    let defaults: Vec<(DefaultKey, Acl)> = (live.defaults.iter())
        .map(|(k, a)| (k.clone(), only(a)))
        .collect();
    schema.privileges = Privileges {
        roles,
        grants,
        owners,
        defaults,
    };
}
