//! The fleet plan: one plan per group of targets that are alike, the targets of each group with
//! their live fingerprints, and one checksum (and signature, with a key) over all of it.
//!
//! Targets share a group when their live fingerprints are equal and the plans made for them are
//! the same (verdicts depend on data, so two databases with the same catalog may still be
//! judged differently). Row counts the verdicts rest on are compared by whether they are zero,
//! which is all apply re-checks: a group's plan carries the counts of its first target.
//!
//! Tenants (a schema per tenant) never have equal fingerprints: their catalogs differ in the
//! schema's name at least. They share a group when their plans are the same with each one's own
//! schema name set aside. A tenant's plan is then its group's plan with the first tenant's schema
//! name replaced by its own ([`FleetPlan::plan_of`]): checked, when the fleet plan is made, to be
//! exactly the plan made for it (a tenant whose plan is not carries its own).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{HashWriter, Scope};
use crate::plan::file::{DatabaseId, PlanFile, PlanFileError, PlanOptions, Sealed};
use crate::plan::{Plan, Summary};

/// Bumped when the fleet document's structure changes incompatibly.
pub const FLEET_FORMAT_VERSION: u32 = 1;

/// A saved fleet plan (`plan --targets FILE --out FILE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetPlan {
    /// Distinct from a single plan's `format_version`, so neither is mistaken for the other.
    pub fleet_format_version: u32,
    pub tool_version: String,
    /// The managed schemas (the same for every target).
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privileges: bool,
    pub options: PlanOptions,
    /// Fingerprint of the declaration.
    pub desired_fingerprint: String,
    pub groups: Vec<Group>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// `sha256:` of this document's compact JSON with this field empty.
    pub checksum: String,
}

/// Targets alike, and the one plan made for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub targets: Vec<Member>,
    pub summary: Summary,
    pub plan: Plan,
}

/// One target of a group: which database it is and what its catalog looked like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// `host:port/database`, or `host:port/database schema NAME` for a tenant, as the targets
    /// file reached it; never credentials.
    pub label: String,
    pub database: DatabaseId,
    pub server_version: String,
    pub live_fingerprint: String,
    /// A tenant's schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// A tenant's copy of the declaration's fingerprint (each names its own schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_fingerprint: Option<String>,
    /// A tenant's own plan, when its group's plan in its schema is not the plan made for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Box<Plan>>,
}

/// The key targets are grouped by: the plan (with its live fingerprint) with each row count
/// reduced to whether it is zero. A tenant's plan is keyed without its fingerprints and with its
/// schema's name set aside wherever it stands as a name of its own.
pub fn group_key(plan: &Plan) -> String {
    let mut normal = plan.clone();
    for f in &mut normal.facts {
        f.count = f.count.min(1);
    }
    let mut hasher = HashWriter(Sha256::new());
    match plan.tenant.as_deref() {
        None => {
            let _ = serde_json::to_writer(&mut hasher, &normal);
        }
        Some(tenant) => {
            normal.live_fingerprint.clear();
            normal.desired_fingerprint.clear();
            let text = serde_json::to_string(&normal).unwrap_or_default();
            let _ = std::io::Write::write_all(&mut hasher, set_aside(&text, tenant).as_bytes());
        }
    }
    hex::encode(hasher.0.finalize())
}

/// `text` with every occurrence of `name` that is not part of a longer identifier replaced by one
/// placeholder.
pub fn set_aside(text: &str, name: &str) -> String {
    // A NUL: JSON text never holds one unescaped.
    replace_name(text, name, "\u{0}tenant\u{0}")
}

/// `text` with every occurrence of `name` that is not part of a longer identifier (letters,
/// digits, `_`, `$` on neither side) replaced by `with`.
fn replace_name(text: &str, name: &str, with: &str) -> String {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    if name.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut before: Option<char> = None;
    while let Some(at) = rest.find(name) {
        let (head, tail) = rest.split_at(at);
        let after = tail[name.len()..].chars().next();
        let prev = head.chars().next_back().or(before);
        out.push_str(head);
        if prev.is_some_and(ident) || after.is_some_and(ident) {
            out.push_str(name);
        } else {
            out.push_str(with);
        }
        before = name.chars().next_back();
        rest = &tail[name.len()..];
    }
    out.push_str(rest);
    out
}

impl Sealed for FleetPlan {
    fn seals(&mut self) -> (&mut String, &mut Option<String>) {
        (&mut self.checksum, &mut self.signature)
    }
}

impl FleetPlan {
    /// Groups the targets' plans (in the order given; groups in the order of their first
    /// target). Every file must have been made with `scope` and `options`.
    pub fn new(
        planned: Vec<(String, PlanFile)>,
        scope: &Scope,
        options: PlanOptions,
        desired_fingerprint: String,
    ) -> Self {
        let mut keys: Vec<String> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        for (label, file) in planned {
            let key = group_key(&file.plan);
            let tenant = file.plan.tenant.clone();
            let mut member = Member {
                label,
                database: file.database.clone(),
                server_version: file.server_version.clone(),
                live_fingerprint: file.plan.live_fingerprint.clone(),
                desired_fingerprint: tenant
                    .as_ref()
                    .map(|_| file.plan.desired_fingerprint.clone()),
                tenant,
                plan: None,
            };
            match keys.iter().position(|k| *k == key) {
                Some(i) => {
                    if Self::plan_of(&groups[i], &member).as_deref() != Some(&file.plan) {
                        member.plan = Some(Box::new(file.plan));
                    }
                    groups[i].targets.push(member)
                }
                None => {
                    keys.push(key);
                    groups.push(Group {
                        targets: vec![member],
                        summary: file.summary,
                        plan: file.plan,
                    });
                }
            }
        }
        let mut doc = FleetPlan {
            fleet_format_version: FLEET_FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            schemas: scope.schemas.iter().cloned().collect(),
            ignore: scope.ignore.clone(),
            privileges: scope.privileges,
            options,
            desired_fingerprint,
            groups,
            signature: None,
            checksum: String::new(),
        };
        doc.checksum = doc.compute_checksum();
        doc
    }

    pub fn scope(&self) -> Scope {
        Scope {
            schemas: self.schemas.iter().cloned().collect(),
            ignore: self.ignore.clone(),
            privileges: self.privileges,
        }
    }

    /// What `plan` looked at: the fleet's schemas, or a tenant's own schema.
    pub fn scope_of(&self, plan: &Plan) -> Scope {
        match &plan.tenant {
            Some(t) => Scope {
                schemas: [t.clone()].into(),
                ..self.scope()
            },
            None => self.scope(),
        }
    }

    /// The plan apply runs on `member` of `group`: its own, the group's in its schema (a tenant),
    /// or the group's. `None` when the group's plan cannot be put in its schema, which a file
    /// [`FleetPlan::parse`] accepted never has.
    pub fn plan_of<'a>(group: &'a Group, member: &'a Member) -> Option<Cow<'a, Plan>> {
        if let Some(own) = &member.plan {
            return Some(Cow::Borrowed(own));
        }
        match (&group.plan.tenant, &member.tenant) {
            (Some(from), Some(to)) if from != to => {
                let text = serde_json::to_string(&group.plan).ok()?;
                let to_json = serde_json::to_string(to).ok()?;
                let to_json = &to_json[1..to_json.len() - 1];
                let mut plan: Plan =
                    serde_json::from_str(&replace_name(&text, from, to_json)).ok()?;
                plan.live_fingerprint = member.live_fingerprint.clone();
                plan.desired_fingerprint = member.desired_fingerprint.clone()?;
                (plan.tenant.as_ref() == Some(to)).then_some(Cow::Owned(plan))
            }
            (None, None) => Some(Cow::Borrowed(&group.plan)),
            _ => (group.plan.tenant == member.tenant).then_some(Cow::Borrowed(&group.plan)),
        }
    }

    pub fn target_count(&self) -> usize {
        self.groups.iter().map(|g| g.targets.len()).sum()
    }

    pub fn has_refusals(&self) -> bool {
        self.groups.iter().any(|g| g.plan.has_refusals())
    }

    pub fn has_changes(&self) -> bool {
        self.groups.iter().any(|g| g.plan.has_changes())
    }

    /// A group's plan as a single-database plan document, for `member` (to render it with the
    /// single plan's renderers).
    pub fn single(&self, group: &Group, member: &Member) -> PlanFile {
        let plan = Self::plan_of(group, member).unwrap_or(Cow::Borrowed(&group.plan));
        PlanFile::new(
            plan.clone().into_owned(),
            member.server_version.clone(),
            member.database.clone(),
            &self.scope_of(&plan),
            self.options,
        )
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Parses and verifies a fleet plan file's contents: checksum, tool version, and every
    /// group's steps, actions and summary against its typed changes.
    pub fn parse(bytes: &[u8]) -> Result<FleetPlan, PlanFileError> {
        let text = crate::plan::file::document_text(bytes)?;
        #[derive(Deserialize)]
        struct Version {
            fleet_format_version: Option<serde_json::Value>,
            format_version: Option<serde_json::Value>,
        }
        let version: Version =
            serde_json::from_str(text).map_err(|e| PlanFileError::Malformed(e.to_string()))?;
        match version
            .fleet_format_version
            .as_ref()
            .and_then(serde_json::Value::as_u64)
        {
            Some(v) if v == u64::from(FLEET_FORMAT_VERSION) => {}
            Some(v) => {
                return Err(PlanFileError::Malformed(format!(
                    "the fleet plan has format version {v}; this tableform reads version {FLEET_FORMAT_VERSION}"
                )));
            }
            None if version.format_version.is_some() => {
                return Err(PlanFileError::Malformed(
                    "this is the plan of one database, not of a fleet: apply it without --targets"
                        .into(),
                ));
            }
            None => {
                return Err(PlanFileError::Malformed("no `fleet_format_version`".into()));
            }
        }
        let mut doc: FleetPlan =
            serde_json::from_str(text).map_err(|e| PlanFileError::Malformed(e.to_string()))?;
        let expected = doc.compute_checksum();
        if doc.checksum != expected {
            return Err(PlanFileError::Tampered);
        }
        if doc.tool_version != env!("CARGO_PKG_VERSION") {
            return Err(PlanFileError::OtherTool {
                found: doc.tool_version,
            });
        }
        for (i, g) in doc.groups.iter().enumerate() {
            crate::plan::file::check_plan(&g.plan, &g.summary).map_err(|e| match e {
                PlanFileError::Inconsistent(m) => {
                    PlanFileError::Inconsistent(format!("in group {}: {m}", i + 1))
                }
                other => other,
            })?;
            let key = group_key(&g.plan);
            for m in g.targets.iter().filter(|m| m.tenant.is_some()) {
                let named = m.tenant.as_ref().map(|t| format!(" schema {t}"));
                if !named.is_some_and(|n| m.label.ends_with(&n)) {
                    return Err(PlanFileError::Inconsistent(format!(
                        "target {} of group {} is not named for its schema",
                        m.label,
                        i + 1
                    )));
                }
                let Some(own) = Self::plan_of(g, m) else {
                    return Err(PlanFileError::Inconsistent(format!(
                        "the plan of group {} cannot be put in the schema of its target {}",
                        i + 1,
                        m.label
                    )));
                };
                crate::plan::file::check_plan(&own, &g.summary).map_err(|e| match e {
                    PlanFileError::Inconsistent(msg) => PlanFileError::Inconsistent(format!(
                        "in the plan of target {} of group {}: {msg}",
                        m.label,
                        i + 1
                    )),
                    other => other,
                })?;
                if own.tenant != m.tenant || group_key(&own) != key {
                    return Err(PlanFileError::Inconsistent(format!(
                        "target {} of group {} has a plan of its own that is not its group's",
                        m.label,
                        i + 1
                    )));
                }
            }
            if let Some(m) = (g.targets.iter()).find(|m| {
                Self::plan_of(g, m).is_none_or(|p| p.live_fingerprint != m.live_fingerprint)
            }) {
                return Err(PlanFileError::Inconsistent(format!(
                    "target {} of group {} has another live fingerprint than its group's plan",
                    m.label,
                    i + 1
                )));
            }
            if g.targets.is_empty() {
                return Err(PlanFileError::Inconsistent(format!(
                    "group {} has no targets",
                    i + 1
                )));
            }
        }
        Ok(doc)
    }

    pub fn read(path: &std::path::Path) -> Result<FleetPlan, PlanFileError> {
        use std::io::Read;
        let io =
            |e: std::io::Error| PlanFileError::Io(format!("cannot read {}: {e}", path.display()));
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(crate::plan::file::MAX_PLAN_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        Self::parse(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Diff, Facts, Options};
    use crate::model::Schema;

    fn planned(label: &str, live_fp: &str) -> (String, PlanFile) {
        let empty = Schema::default();
        let plan = Plan::build(
            (&empty, &empty),
            &Diff::default(),
            &Facts::new(),
            &Options::default(),
            (live_fp.into(), "d".into()),
        );
        let db = DatabaseId {
            host: "h".into(),
            port: 5432,
            name: label.into(),
            system_identifier: "1".into(),
        };
        let file = PlanFile::new(
            plan,
            "16".into(),
            db,
            &Scope::default(),
            PlanOptions::default(),
        );
        (label.into(), file)
    }

    #[test]
    fn targets_with_equal_fingerprints_share_a_group_and_the_file_checks_itself() {
        let doc = FleetPlan::new(
            vec![planned("a", "x"), planned("b", "y"), planned("c", "x")],
            &Scope::default(),
            PlanOptions::default(),
            "d".into(),
        );
        let labels: Vec<Vec<&str>> = (doc.groups.iter())
            .map(|g| g.targets.iter().map(|m| m.label.as_str()).collect())
            .collect();
        assert_eq!(labels, [vec!["a", "c"], vec!["b"]]);
        let parsed = FleetPlan::parse(doc.to_json().as_bytes()).unwrap();
        assert_eq!(parsed, doc);

        // A target moved to the other group, with the checksum recomputed: refused.
        let mut edited = doc.clone();
        let m = edited.groups[0].targets.pop().unwrap();
        edited.groups[1].targets.push(m);
        edited.checksum = edited.compute_checksum();
        assert_eq!(
            FleetPlan::parse(edited.to_json().as_bytes())
                .unwrap_err()
                .to_string(),
            "the plan file was modified after it was written: target c of group 2 has another live fingerprint than its group's plan (apply runs only the statements the plan's changes give); make a new plan"
        );
        let mut tampered = doc.to_json();
        tampered = tampered.replace("\"a\"", "\"z\"");
        assert_eq!(
            FleetPlan::parse(tampered.as_bytes()),
            Err(PlanFileError::Tampered)
        );
    }

    #[test]
    fn a_tenant_name_is_set_aside_only_where_it_stands_alone() {
        let text = r#"{"schema":"t_1","sql":"ALTER TABLE t_1.users ADD COLUMN t_10 int; -- xt_1"}"#;
        assert_eq!(
            set_aside(text, "t_1"),
            "{\"schema\":\"\u{0}tenant\u{0}\",\"sql\":\"ALTER TABLE \u{0}tenant\u{0}.users ADD COLUMN t_10 int; -- xt_1\"}"
        );
        assert_eq!(
            replace_name("t_1.a, \"t_1\".b, t_12.c", "t_1", "acme"),
            "acme.a, \"acme\".b, t_12.c"
        );
        assert_eq!(set_aside("abc", ""), "abc");
    }

    #[test]
    fn signatures_need_the_key() {
        let mut doc = FleetPlan::new(
            vec![planned("a", "x")],
            &Scope::default(),
            PlanOptions::default(),
            "d".into(),
        );
        assert_eq!(doc.verify_signature(b"k"), Err(PlanFileError::Unsigned));
        doc.sign(b"k");
        let mut parsed = FleetPlan::parse(doc.to_json().as_bytes()).unwrap();
        assert_eq!(parsed.verify_signature(b"k"), Ok(()));
        assert_eq!(
            parsed.verify_signature(b"other"),
            Err(PlanFileError::BadSignature)
        );
    }

    #[test]
    fn a_single_plan_is_not_a_fleet_plan() {
        let (_, single) = planned("a", "x");
        let err = FleetPlan::parse(single.to_json().as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a tableform plan file: this is the plan of one database, not of a fleet: apply it without --targets"
        );
    }
}
