//! Saved plans: a deterministic, self-checking JSON document.
//!
//! The file holds everything apply needs and a reviewer wants to see: versions, the managed
//! schemas, the options the plan was made with, both fingerprints, every verdict and the exact
//! SQL. Its `checksum` covers all of that, so a file edited by hand (or damaged) is rejected
//! rather than half-trusted. The same inputs always give the same bytes: maps are ordered and
//! nothing time-dependent is written.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Plan, Summary};
use crate::model::Scope;

/// Bumped when the document's structure changes incompatibly.
pub const FORMAT_VERSION: u32 = 2;

/// Plan files larger than this are refused before parsing.
pub const MAX_PLAN_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    pub format_version: u32,
    pub tool_version: String,
    /// `server_version` of the PostgreSQL the plan was computed against.
    pub server_version: String,
    /// `host:port (database "name")`; never a password.
    pub database: String,
    /// The schemas tableform manages (read again at apply time to check staleness).
    pub schemas: Vec<String>,
    /// Ignore patterns from the schema's settings: objects hidden from the plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    pub options: PlanOptions,
    pub summary: Summary,
    #[serde(flatten)]
    pub plan: Plan,
    /// `sha256:` of this document's compact JSON with this field empty.
    pub checksum: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanOptions {
    pub allow_destructive: bool,
    pub prune: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanFileError {
    #[error("{0}")]
    Io(String),
    #[error("the plan file is larger than {} MiB", MAX_PLAN_BYTES >> 20)]
    TooLarge,
    #[error("not a tableform plan file: {0}")]
    Malformed(String),
    #[error(
        "the plan file has format version {found}; this tableform reads version {FORMAT_VERSION}"
    )]
    Version { found: u32 },
    #[error("the plan file was modified after it was written (checksum mismatch); make a new plan")]
    Tampered,
    #[error("the plan was made by tableform {found}; this is tableform {}: make a new plan with this version", env!("CARGO_PKG_VERSION"))]
    OtherTool { found: String },
}

impl PlanFile {
    pub fn new(
        plan: Plan,
        server_version: String,
        database: String,
        scope: &Scope,
        options: PlanOptions,
    ) -> Self {
        let mut file = PlanFile {
            format_version: FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            server_version,
            database,
            schemas: scope.schemas.iter().cloned().collect(),
            ignore: scope.ignore.clone(),
            options,
            summary: plan.summary(),
            plan,
            checksum: String::new(),
        };
        file.checksum = file.compute_checksum();
        file
    }

    /// The checksum of the document with an empty `checksum`, streamed into the hash (a plan of
    /// thousands of tables is neither cloned nor held as one JSON string).
    fn compute_checksum(&mut self) -> String {
        let saved = std::mem::take(&mut self.checksum);
        let mut hasher = crate::model::HashWriter(Sha256::new());
        let _ = serde_json::to_writer(&mut hasher, &*self);
        self.checksum = saved;
        format!("sha256:{}", hex::encode(hasher.0.finalize()))
    }

    /// The document as written to disk: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Parses and verifies a plan file's contents.
    pub fn parse(bytes: &[u8]) -> Result<PlanFile, PlanFileError> {
        if bytes.len() > MAX_PLAN_BYTES {
            return Err(PlanFileError::TooLarge);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| PlanFileError::Malformed(format!("not UTF-8 text ({e})")))?;
        // Read the version first, so an old or new file gets the right message (without holding
        // the whole document as a JSON value).
        #[derive(Deserialize)]
        struct Version {
            format_version: Option<serde_json::Value>,
        }
        let version: Version =
            serde_json::from_str(text).map_err(|e| PlanFileError::Malformed(e.to_string()))?;
        match version
            .format_version
            .as_ref()
            .and_then(serde_json::Value::as_u64)
        {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(PlanFileError::Version {
                    found: v.min(u64::from(u32::MAX)) as u32,
                });
            }
            None => return Err(PlanFileError::Malformed("no `format_version`".into())),
        }
        let mut file: PlanFile =
            serde_json::from_str(text).map_err(|e| PlanFileError::Malformed(e.to_string()))?;
        let expected = file.compute_checksum();
        if file.checksum != expected {
            return Err(PlanFileError::Tampered);
        }
        // Fingerprints and SQL are only comparable within one version of tableform.
        if file.tool_version != env!("CARGO_PKG_VERSION") {
            return Err(PlanFileError::OtherTool {
                found: file.tool_version,
            });
        }
        Ok(file)
    }

    /// Reads and verifies a plan file. At most [`MAX_PLAN_BYTES`] + 1 bytes are read, whatever
    /// the file is: a device (`/dev/zero`) or a FIFO has no meaningful size, so the cap is on what
    /// is read, not on what `metadata` reports.
    pub fn read(path: &std::path::Path) -> Result<PlanFile, PlanFileError> {
        use std::io::Read;
        let io =
            |e: std::io::Error| PlanFileError::Io(format!("cannot read {}: {e}", path.display()));
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_PLAN_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        Self::parse(&bytes)
    }

    /// What the plan looked at, for re-reading the database at apply time.
    pub fn scope(&self) -> Scope {
        Scope {
            schemas: self.schemas.iter().cloned().collect(),
            ignore: self.ignore.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Diff, Facts, Options};
    use crate::model::Schema;

    fn file() -> PlanFile {
        let empty = Schema::default();
        let plan = Plan::build(
            (&empty, &empty),
            &Diff::default(),
            &Facts::new(),
            &Options::default(),
            ("a".into(), "b".into()),
        );
        PlanFile::new(
            plan,
            "15".into(),
            "db".into(),
            &Scope::default(),
            PlanOptions::default(),
        )
    }

    #[test]
    fn a_plan_from_another_tableform_is_refused_even_with_a_valid_checksum() {
        let mut f = file();
        f.tool_version = "0.0.1".into();
        f.checksum = f.compute_checksum();
        let err = PlanFile::parse(f.to_json().as_bytes()).unwrap_err();
        assert_eq!(
            err,
            PlanFileError::OtherTool {
                found: "0.0.1".into()
            }
        );
        assert!(
            err.to_string()
                .starts_with("the plan was made by tableform 0.0.1; this is tableform ")
        );
        assert_eq!(
            PlanFile::parse(file().to_json().as_bytes()).map(|p| p.tool_version),
            Ok(env!("CARGO_PKG_VERSION").into())
        );
    }

    #[test]
    fn an_oversized_plan_is_refused_before_parsing() {
        let big = vec![b' '; MAX_PLAN_BYTES + 1];
        assert_eq!(PlanFile::parse(&big), Err(PlanFileError::TooLarge));
        assert_eq!(
            PlanFileError::TooLarge.to_string(),
            "the plan file is larger than 64 MiB"
        );
    }
}
