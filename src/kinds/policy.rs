//! Row level security policies (`CREATE POLICY`), on their table: which rows each command may
//! see (`USING`) and write (`WITH CHECK`), for which roles. Their expressions are compared as the
//! server spells them (the probe deparses the declared ones). Roles are cluster-wide and never
//! created: a policy naming a role the server lacks is refused.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::comment::comment;
use super::{Change, KindChange, Sign, one};
use crate::diff::{Facts, ObjectKind, Options, Verdict};
use crate::model::names::{quote_ident, quote_literal};
use crate::model::{QualName, Schema, SqlExpr, Table};
use crate::plan::Phase;

// ---- Model ----

/// `FOR ALL | SELECT | INSERT | UPDATE | DELETE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub fn sql(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }

    /// From `pg_policy.polcmd`.
    fn from_code(c: &str) -> Self {
        match c {
            "r" => PolicyCommand::Select,
            "a" => PolicyCommand::Insert,
            "w" => PolicyCommand::Update,
            "d" => PolicyCommand::Delete,
            _ => PolicyCommand::All,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub command: PolicyCommand,
    /// `AS PERMISSIVE` (any permissive policy may let a row through) or `RESTRICTIVE` (every
    /// restrictive one must).
    pub permissive: bool,
    /// `TO ...`, sorted; `public` is every role.
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<SqlExpr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_check: Option<SqlExpr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Policy {
    /// Same roles, expressions and comment, whatever their spelling.
    fn same_as(&self, other: &Policy) -> bool {
        let same = |a: &Option<SqlExpr>, b: &Option<SqlExpr>| match (a, b) {
            (None, None) => true,
            (Some(x), Some(y)) => x.equivalent(y, None),
            _ => false,
        };
        self.command == other.command
            && self.permissive == other.permissive
            && self.roles == other.roles
            && same(&self.using, &other.using)
            && same(&self.with_check, &other.with_check)
    }

    /// `TO a, b` as SQL (`public` is the keyword `PUBLIC`).
    fn to_roles(&self) -> String {
        let roles: Vec<String> = (self.roles.iter())
            .map(|r| match r.as_str() {
                "public" => "PUBLIC".to_string(),
                r => quote_ident(r),
            })
            .collect();
        roles.join(", ")
    }

    fn clauses(&self) -> String {
        let mut s = String::new();
        if let Some(e) = &self.using {
            s.push_str(&format!(" USING ({})", e.sql));
        }
        if let Some(e) = &self.with_check {
            s.push_str(&format!(" WITH CHECK ({})", e.sql));
        }
        s
    }
}

// ---- Catalog ----

/// Every policy on the managed schemas' tables; `polroles` holds 0 for `PUBLIC`.
pub const QUERY: &str = "
SELECT n.nspname, c.relname, pol.polname, pol.polcmd::text, pol.polpermissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE (SELECT rolname::text FROM pg_roles WHERE oid = r) END
             FROM unnest(pol.polroles) r ORDER BY 1),
       pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid),
       obj_description(pol.oid, 'pg_policy')
FROM pg_policy pol
JOIN pg_class c ON c.oid = pol.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1)
ORDER BY 1, 2, 3";

/// The roles of the server, which declared policies may name.
pub const ROLES: &str = "SELECT rolname::text FROM pg_roles";

/// The rows of [`QUERY`] into the tables of `s`, and of [`ROLES`] into its role names.
pub fn read(rows: &[Row], roles: &[Row], s: &mut Schema) {
    s.roles = roles.iter().map(|r| r.get::<_, String>(0)).collect();
    for r in rows {
        let table = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let Some(t) = s.tables.get_mut(&table) else {
            continue;
        };
        t.policies.push(Policy {
            name: r.get(2),
            command: PolicyCommand::from_code(&r.get::<_, String>(3)),
            permissive: r.get(4),
            roles: r.get(5),
            using: r.get::<_, Option<String>>(6).map(SqlExpr::raw),
            with_check: r.get::<_, Option<String>>(7).map(SqlExpr::raw),
            comment: r.get(8),
        });
    }
}

// ---- Diff, changes ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyChange {
    /// `CREATE POLICY p ON t AS ... FOR ... TO ... USING (...) WITH CHECK (...)`
    CreatePolicy {
        table: QualName,
        policy: Policy,
        /// Roles it names that the server does not have (the plan is refused).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        missing_roles: Vec<String>,
    },
    /// `ALTER POLICY p ON t TO ... USING (...) WITH CHECK (...)`: roles or expressions changed
    /// (a changed command or permissiveness is a drop and a create).
    AlterPolicy {
        table: QualName,
        from: Policy,
        to: Policy,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        missing_roles: Vec<String>,
    },
    /// `DROP POLICY p ON t`: not declared, or `because` it is created again.
    DropPolicy {
        table: QualName,
        policy: Policy,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        because: Option<String>,
    },
    /// `COMMENT ON POLICY p ON t IS ...`
    SetPolicyComment {
        table: QualName,
        name: String,
        comment: Option<String>,
    },
}

/// The roles `p` names that `live` (the server) does not have.
fn missing(p: &Policy, live: &Schema) -> Vec<String> {
    (p.roles.iter())
        .filter(|r| *r != "public" && !live.roles.contains(*r))
        .cloned()
        .collect()
}

/// `CREATE POLICY` of `p` on `table`, with the roles it names that the server lacks.
fn create_change(table: &QualName, p: &Policy, live: &Schema) -> Change {
    PolicyChange::CreatePolicy {
        table: table.clone(),
        policy: p.clone(),
        missing_roles: missing(p, live),
    }
    .into()
}

/// A new table's policies, created with it.
pub fn create_all(out: &mut Vec<Change>, t: &Table, live: &Schema) {
    for p in &t.policies {
        out.push(create_change(&t.name, p, live));
    }
}

/// The policies of a declared table that exists, by name.
pub fn diff(out: &mut Vec<Change>, want: &Table, have: &Table, live: &Schema) {
    let table = &want.name;
    for w in &want.policies {
        let Some(h) = have.policies.iter().find(|h| h.name == w.name) else {
            out.push(create_change(table, w, live));
            continue;
        };
        if !w.same_as(h) {
            if (w.command, w.permissive) == (h.command, h.permissive) {
                out.push(
                    PolicyChange::AlterPolicy {
                        table: table.clone(),
                        from: h.clone(),
                        to: w.clone(),
                        missing_roles: missing(w, live),
                    }
                    .into(),
                );
            } else {
                out.push(
                    PolicyChange::DropPolicy {
                        table: table.clone(),
                        policy: h.clone(),
                        because: Some(
                            "its command or permissiveness changes, which ALTER POLICY cannot do: created again as declared".into(),
                        ),
                    }
                    .into(),
                );
                out.push(create_change(table, w, live));
                continue;
            }
        }
        if w.comment != h.comment {
            out.push(
                PolicyChange::SetPolicyComment {
                    table: table.clone(),
                    name: w.name.clone(),
                    comment: w.comment.clone(),
                }
                .into(),
            );
        }
    }
    for h in (have.policies.iter()).filter(|h| !want.policies.iter().any(|w| w.name == h.name)) {
        out.push(
            PolicyChange::DropPolicy {
                table: table.clone(),
                policy: h.clone(),
                because: None,
            }
            .into(),
        );
    }
}

/// PostgreSQL refuses to change the type of, or drop, a column a policy's expressions read
/// (`cannot alter type of a column used in a policy definition`). Such live policies that this
/// plan keeps are dropped first and created again after, as declared (a policy that is not
/// declared any more is dropped by [`diff`] already).
pub fn rebuild_around_columns(out: &mut Vec<Change>, want: &Table, have: &Table, live: &Schema) {
    use super::column::ColumnChange;
    let table = &want.name;
    let columns: Vec<&str> = (out.iter())
        .filter_map(|c| match c {
            Change::Column(
                ColumnChange::AlterType {
                    table: t, column, ..
                }
                | ColumnChange::SetCollation {
                    table: t, column, ..
                }
                | ColumnChange::DropColumn {
                    table: t, column, ..
                },
            ) if t == table => Some(column.as_str()),
            _ => None,
        })
        .collect();
    if columns.is_empty() {
        return;
    }
    let reads = |p: &Policy| {
        [&p.using, &p.with_check]
            .into_iter()
            .flatten()
            .any(|e| (columns.iter()).any(|c| super::enum_type::mentions(&e.sql, c)))
    };
    let mut extra = Vec::new();
    for h in have.policies.iter().filter(|h| reads(h)) {
        let handled = out.iter().any(|c| {
            matches!(c, Change::Policy(PolicyChange::DropPolicy { table: t, policy, .. } | PolicyChange::CreatePolicy { table: t, policy, .. })
                if t == table && policy.name == h.name)
        });
        let Some(w) = want.policies.iter().find(|w| w.name == h.name) else {
            continue;
        };
        if handled {
            continue;
        }
        extra.push(
            PolicyChange::DropPolicy {
                table: table.clone(),
                policy: h.clone(),
                because: Some(
                    "out of the way of a change to a column it reads, then created again".into(),
                ),
            }
            .into(),
        );
        extra.push(create_change(table, w, live));
    }
    out.extend(extra);
}

fn create(table: &QualName, p: &Policy) -> Vec<(Phase, String)> {
    let mut out = one(
        Phase::Policies,
        format!(
            "CREATE POLICY {} ON {} AS {} FOR {} TO {}{}",
            quote_ident(&p.name),
            table.sql(),
            if p.permissive {
                "PERMISSIVE"
            } else {
                "RESTRICTIVE"
            },
            p.command.sql(),
            p.to_roles(),
            p.clauses()
        ),
    );
    if p.comment.is_some() {
        out.push((Phase::Comments, comment(target(table, &p.name), &p.comment)));
    }
    out
}

/// `POLICY p AS PERMISSIVE FOR ALL TO public USING (...)`, a line of a table's definition.
pub fn definition(p: &Policy) -> String {
    format!(
        "POLICY {} AS {} FOR {} TO {}{}",
        quote_ident(&p.name),
        if p.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        p.command.sql(),
        p.to_roles(),
        p.clauses()
    )
}

fn target(table: &QualName, name: &str) -> String {
    format!("POLICY {} ON {}", quote_ident(name), table.sql())
}

fn refuse_missing(roles: &[String]) -> Option<Verdict> {
    (!roles.is_empty()).then(|| {
        let list: Vec<String> = roles.iter().map(|r| quote_literal(r)).collect();
        Verdict::refuse(format!(
            "it names role{} {} that this server does not have; roles are cluster-wide and tableform does not create them: create {} first, or remove {} from the policy",
            if roles.len() == 1 { "" } else { "s" },
            list.join(", "),
            if roles.len() == 1 { "it" } else { "them" },
            if roles.len() == 1 { "it" } else { "them" },
        ))
    })
}

/// What a policy lets through, for people: "select for app_user, USING (...)".
fn describe(p: &Policy) -> String {
    format!(
        "{} {} to {}{}",
        if p.permissive {
            "permissive"
        } else {
            "restrictive"
        },
        p.command.sql().to_lowercase(),
        p.roles.join(", "),
        p.clauses()
    )
}

impl KindChange for PolicyChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let (PolicyChange::CreatePolicy { table, .. }
        | PolicyChange::AlterPolicy { table, .. }
        | PolicyChange::DropPolicy { table, .. }
        | PolicyChange::SetPolicyComment { table, .. }) = self;
        (ObjectKind::Table, table.clone())
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        match self {
            PolicyChange::CreatePolicy { missing_roles, .. }
            | PolicyChange::AlterPolicy { missing_roles, .. } => {
                refuse_missing(missing_roles).unwrap_or_else(Verdict::change)
            }
            PolicyChange::DropPolicy {
                policy,
                because: None,
                ..
            } => Verdict::note(if policy.permissive {
                "the rows only this policy let through are no longer visible or writable to its roles"
            } else {
                "the rows this restrictive policy held back become visible or writable to its roles"
            }),
            PolicyChange::DropPolicy { .. } | PolicyChange::SetPolicyComment { .. } => {
                Verdict::change()
            }
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        match self {
            PolicyChange::CreatePolicy { table, policy, .. } => create(table, policy),
            PolicyChange::AlterPolicy { table, to, .. } => {
                let mut s = format!(
                    "ALTER POLICY {} ON {} TO {}",
                    quote_ident(&to.name),
                    table.sql(),
                    to.to_roles()
                );
                s.push_str(&to.clauses());
                one(Phase::Policies, s)
            }
            PolicyChange::DropPolicy { table, policy, .. } => one(
                Phase::DropPolicies,
                format!(
                    "DROP POLICY {} ON {}",
                    quote_ident(&policy.name),
                    table.sql()
                ),
            ),
            PolicyChange::SetPolicyComment {
                table,
                name,
                comment: text,
            } => one(Phase::Comments, comment(target(table, name), text)),
        }
    }

    fn summary(&self) -> String {
        match self {
            PolicyChange::CreatePolicy { policy, .. } => format!(
                "create policy {} ({})",
                quote_ident(&policy.name),
                describe(policy)
            ),
            PolicyChange::AlterPolicy { from, to, .. } => format!(
                "policy {}: {} -> {}",
                quote_ident(&to.name),
                describe(from),
                describe(to)
            ),
            PolicyChange::DropPolicy {
                policy, because, ..
            } => format!(
                "drop policy {} ({})",
                quote_ident(&policy.name),
                because.as_deref().unwrap_or("not declared")
            ),
            PolicyChange::SetPolicyComment { name, comment, .. } => match comment {
                Some(_) => format!("comment on policy {}", quote_ident(name)),
                None => format!("remove the comment on policy {}", quote_ident(name)),
            },
        }
    }

    fn drift(&self) -> Option<String> {
        match self {
            PolicyChange::CreatePolicy { policy, .. } => Some(format!(
                "policy {} is declared but missing",
                quote_ident(&policy.name)
            )),
            PolicyChange::DropPolicy {
                policy,
                because: None,
                ..
            } => Some(format!(
                "policy {} is not declared",
                quote_ident(&policy.name)
            )),
            _ => None,
        }
    }

    fn sign(&self) -> Sign {
        match self {
            PolicyChange::CreatePolicy { .. } => Sign::Add,
            PolicyChange::DropPolicy { .. } => Sign::Remove,
            _ => Sign::Alter,
        }
    }

    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        let p = match self {
            PolicyChange::CreatePolicy { policy, .. } => policy,
            PolicyChange::AlterPolicy { to, .. } => to,
            _ => return Vec::new(),
        };
        let mut out = Vec::new();
        if let Some(e) = &p.using {
            out.push((format!("policy {} using", p.name), e));
        }
        if let Some(e) = &p.with_check {
            out.push((format!("policy {} with_check", p.name), e));
        }
        out
    }

    fn contended(&self, created: &BTreeSet<&QualName>) -> bool {
        match self {
            PolicyChange::CreatePolicy { table, .. } => !created.contains(table),
            _ => true,
        }
    }
}
