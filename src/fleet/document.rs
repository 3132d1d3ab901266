//! The fleet plan: one plan per group of targets that are alike, the targets of each group with
//! their live fingerprints, and one checksum (and signature, with a key) over all of it.
//!
//! Targets share a group when their live fingerprints are equal and the plans made for them are
//! the same (verdicts depend on data, so two databases with the same catalog may still be
//! judged differently). Row counts the verdicts rest on are compared by whether they are zero,
//! which is all apply re-checks: a group's plan carries the counts of its first target.

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// `host:port/database`, as the targets file reached it; never credentials.
    pub label: String,
    pub database: DatabaseId,
    pub server_version: String,
    pub live_fingerprint: String,
}

/// The key targets are grouped by: the live fingerprint, and the plan with each row count
/// reduced to whether it is zero.
pub fn group_key(plan: &Plan) -> String {
    let mut normal = plan.clone();
    for f in &mut normal.facts {
        f.count = f.count.min(1);
    }
    let mut hasher = HashWriter(Sha256::new());
    let _ = serde_json::to_writer(&mut hasher, &normal);
    hex::encode(hasher.0.finalize())
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
            let member = Member {
                label,
                database: file.database.clone(),
                server_version: file.server_version.clone(),
                live_fingerprint: file.plan.live_fingerprint.clone(),
            };
            match keys.iter().position(|k| *k == key) {
                Some(i) => groups[i].targets.push(member),
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
        PlanFile::new(
            group.plan.clone(),
            member.server_version.clone(),
            member.database.clone(),
            &self.scope(),
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
            if let Some(m) = g
                .targets
                .iter()
                .find(|m| m.live_fingerprint != g.plan.live_fingerprint)
            {
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
