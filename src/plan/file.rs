//! Saved plans: a deterministic, self-checking JSON document.
//!
//! The file holds everything apply needs and a reviewer wants to see: versions, the database it
//! was made for, the managed schemas, the options the plan was made with, both fingerprints,
//! every verdict and the exact SQL. Its `checksum` covers all of that, so a file damaged or
//! edited carelessly is rejected rather than half-trusted; its steps must be the ones its typed
//! changes give, so editing the SQL alone does not pass either; and with a key
//! ([`PLAN_KEY_ENV`]) it is signed, so that only someone holding the key can make a plan that
//! apply accepts. The same inputs always give the same bytes: maps are ordered and nothing
//! time-dependent is written.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Plan, Summary};
use crate::model::Scope;

/// Bumped when the document's structure changes incompatibly.
pub const FORMAT_VERSION: u32 = 3;

/// The environment variable holding the key that signs plans (`plan --out`) and that `apply
/// FILE` checks signatures with.
pub const PLAN_KEY_ENV: &str = "TABLEFORM_PLAN_KEY";

const SIGNATURE_PREFIX: &str = "hmac-sha256:";

/// Plan files larger than this are refused before parsing.
pub const MAX_PLAN_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    pub format_version: u32,
    pub tool_version: String,
    /// `server_version` of the PostgreSQL the plan was computed against.
    pub server_version: String,
    /// The database the plan was made for; never a user or password.
    pub database: DatabaseId,
    /// The schemas tableform manages (read again at apply time to check staleness).
    pub schemas: Vec<String>,
    /// Ignore patterns from the schema's settings: objects hidden from the plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Whether the declaration manages privileges: apply's staleness check reads them too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privileges: bool,
    pub options: PlanOptions,
    pub summary: Summary,
    #[serde(flatten)]
    pub plan: Plan,
    /// `plan --rehearse`: what the rehearsal found and when; absent when the plan was not
    /// rehearsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<super::rehearsal::Rehearsal>,
    /// `hmac-sha256:` of the document's compact JSON without `signature` and with `checksum`
    /// empty, keyed with [`PLAN_KEY_ENV`]; absent when the plan was made without a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// `sha256:` of this document's compact JSON with this field empty.
    pub checksum: String,
}

/// Where a plan was made: enough to connect there again (with credentials from the environment)
/// and to recognise the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseId {
    /// The host name or address connected to (or the Unix socket directory).
    pub host: String,
    pub port: u16,
    /// `current_database()`.
    pub name: String,
    /// `system_identifier` of `pg_control_system()`, in decimal: the same on a primary and its
    /// physical replicas, different for every other cluster. A string, since it does not fit
    /// in the integers JSON tools handle exactly.
    pub system_identifier: String,
}

impl DatabaseId {
    /// The database at `(host, port)` with the identity `inspect::identity` reads (the server's
    /// system identifier, the database's name).
    pub fn at((host, port): (String, u16), (system_identifier, name): (String, String)) -> Self {
        DatabaseId {
            host,
            port,
            name,
            system_identifier,
        }
    }

    /// `host:port (database "name")`, for messages.
    pub fn describe(&self) -> String {
        format!("{}:{} (database \"{}\")", self.host, self.port, self.name)
    }

    /// Whether `other` is the same database: the same cluster (or a physical replica of it) and
    /// the same database name; host and port may differ (a replica, a proxy, another address).
    pub fn same_database(&self, other: &DatabaseId) -> bool {
        self.system_identifier == other.system_identifier && self.name == other.name
    }
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
    #[error(
        "the plan file was modified after it was written: {0} (apply runs only the statements the plan's changes give); make a new plan"
    )]
    Inconsistent(String),
    #[error(
        "the plan file is not signed, and {PLAN_KEY_ENV} is set: only plans signed with that key are applied; make the plan with {PLAN_KEY_ENV} set"
    )]
    Unsigned,
    #[error(
        "the plan file's signature does not match {PLAN_KEY_ENV}: it was modified after it was signed, or signed with another key; make a new plan"
    )]
    BadSignature,
    #[error(
        "the plan was made for database \"{}\" on the PostgreSQL server with system identifier {} (at {}:{}), but this connection is to database \"{}\" on the server with system identifier {} (at {}:{}): apply it to the database it was made for, or make a new plan for this one",
        planned.name, planned.system_identifier, planned.host, planned.port,
        connected.name, connected.system_identifier, connected.host, connected.port
    )]
    OtherDatabase {
        planned: Box<DatabaseId>,
        connected: Box<DatabaseId>,
    },
}

impl PlanFile {
    pub fn new(
        plan: Plan,
        server_version: String,
        database: DatabaseId,
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
            privileges: scope.privileges,
            options,
            summary: plan.summary(),
            plan,
            rehearsal: None,
            signature: None,
            checksum: String::new(),
        };
        file.checksum = file.compute_checksum();
        file
    }

    /// Records a rehearsal of the plan (and seals the document again).
    pub fn record_rehearsal(&mut self, r: super::rehearsal::Rehearsal) {
        self.rehearsal = Some(r);
        self.checksum = self.compute_checksum();
    }

    /// Refuses to apply to a database other than the one the plan was made for.
    pub fn check_database(&self, connected: &DatabaseId) -> Result<(), PlanFileError> {
        if self.database.same_database(connected) {
            Ok(())
        } else {
            Err(PlanFileError::OtherDatabase {
                planned: Box::new(self.database.clone()),
                connected: Box::new(connected.clone()),
            })
        }
    }

    /// What the checksum cannot catch (it is unkeyed: anyone can recompute it): the parts of the
    /// document that follow from others must agree with them. Steps are derived from the typed
    /// changes again, with the plan's own step builder; actions from the verdicts; the summary
    /// from the actions.
    fn check_consistency(&self) -> Result<(), PlanFileError> {
        check_plan(&self.plan, &self.summary)
    }

    /// The document as written to disk: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Parses and verifies a plan file's contents.
    pub fn parse(bytes: &[u8]) -> Result<PlanFile, PlanFileError> {
        let text = document_text(bytes)?;
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
        file.check_consistency()?;
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
            privileges: self.privileges,
        }
    }
}

/// What the checksum cannot catch (it is unkeyed: anyone can recompute it): the parts of a saved
/// plan that follow from others must agree with them. Steps are derived from the typed changes
/// again, with the plan's own step builder; actions from the verdicts; the summary from the
/// actions.
pub fn check_plan(plan: &Plan, summary: &Summary) -> Result<(), PlanFileError> {
    if let Some(o) = plan
        .objects
        .iter()
        .find(|o| o.action != super::object_action(&o.changes))
    {
        return Err(PlanFileError::Inconsistent(format!(
            "the action of {} {} does not follow from its changes",
            super::render::kind_word(o.kind),
            super::render::object_label(o)
        )));
    }
    if *summary != plan.summary() {
        return Err(PlanFileError::Inconsistent(
            "its summary does not count its objects".into(),
        ));
    }
    let derived = plan.derived_steps();
    if derived != plan.steps {
        let at = derived
            .iter()
            .zip(&plan.steps)
            .position(|(a, b)| a != b)
            .unwrap_or(derived.len().min(plan.steps.len()));
        return Err(PlanFileError::Inconsistent(format!(
            "its steps are not the ones its changes give (they differ from step {} of {} on)",
            at + 1,
            plan.steps.len()
        )));
    }
    Ok(())
}

/// A plan document's bytes as text: refused over [`MAX_PLAN_BYTES`] (before parsing) or when
/// not UTF-8. Saved plans and fleet plans both start here.
pub fn document_text(bytes: &[u8]) -> Result<&str, PlanFileError> {
    if bytes.len() > MAX_PLAN_BYTES {
        return Err(PlanFileError::TooLarge);
    }
    std::str::from_utf8(bytes)
        .map_err(|e| PlanFileError::Malformed(format!("not UTF-8 text ({e})")))
}

/// A document sealed by a checksum over its JSON and, with a key, signed: a saved plan and a
/// fleet plan. The checksum covers the document with an empty `checksum`; the signature, the
/// document without `signature` and with an empty `checksum`. Both are streamed into the hash (a
/// plan of thousands of tables is neither cloned nor held as one JSON string).
pub trait Sealed: Serialize {
    /// The document's `checksum` and `signature` fields.
    fn seals(&mut self) -> (&mut String, &mut Option<String>);

    fn compute_checksum(&mut self) -> String {
        let saved = std::mem::take(self.seals().0);
        let mut hasher = crate::model::HashWriter(Sha256::new());
        let _ = serde_json::to_writer(&mut hasher, &*self);
        *self.seals().0 = saved;
        format!("sha256:{}", hex::encode(hasher.0.finalize()))
    }

    /// Signs the document with `key` (and seals it again).
    fn sign(&mut self, key: &[u8]) {
        let mac = self.mac(key).finalize().into_bytes();
        *self.seals().1 = Some(format!("{SIGNATURE_PREFIX}{}", hex::encode(mac)));
        let checksum = self.compute_checksum();
        *self.seals().0 = checksum;
    }

    /// Checks the signature against `key`, in constant time.
    fn verify_signature(&mut self, key: &[u8]) -> Result<(), PlanFileError> {
        let Some(signature) = self.seals().1.clone() else {
            return Err(PlanFileError::Unsigned);
        };
        let bytes = signature
            .strip_prefix(SIGNATURE_PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .ok_or(PlanFileError::BadSignature)?;
        self.mac(key)
            .verify_slice(&bytes)
            .map_err(|_| PlanFileError::BadSignature)
    }

    /// The HMAC of the document without `signature` and with an empty `checksum`.
    fn mac(&mut self, key: &[u8]) -> Hmac<Sha256> {
        let (checksum, signature) = self.seals();
        let saved = (std::mem::take(checksum), signature.take());
        let mut w = MacWriter(
            Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length"),
        );
        let _ = serde_json::to_writer(&mut w, &*self);
        let (checksum, signature) = self.seals();
        (*checksum, *signature) = saved;
        w.0
    }
}

impl Sealed for PlanFile {
    fn seals(&mut self) -> (&mut String, &mut Option<String>) {
        (&mut self.checksum, &mut self.signature)
    }
}

/// Feeds serialised bytes straight into the HMAC.
struct MacWriter(Hmac<Sha256>);

impl std::io::Write for MacWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
            db("primary.internal", "7714248575412480130", "shop"),
            &Scope::default(),
            PlanOptions::default(),
        )
    }

    fn db(host: &str, system_identifier: &str, name: &str) -> DatabaseId {
        DatabaseId {
            host: host.into(),
            port: 5432,
            name: name.into(),
            system_identifier: system_identifier.into(),
        }
    }

    #[test]
    fn a_step_edited_with_a_recomputed_checksum_is_refused() {
        let mut f = file();
        f.plan.steps.push(crate::plan::Step {
            phase: crate::plan::Phase::DropTables,
            object: crate::model::QualName::new("public", "users"),
            sql: "DROP TABLE public.users".into(),
            index: None,
            contended: true,
        });
        f.checksum = f.compute_checksum();
        let err = PlanFile::parse(f.to_json().as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the plan file was modified after it was written: its steps are not the ones its changes give (they differ from step 1 of 1 on) (apply runs only the statements the plan's changes give); make a new plan"
        );
    }

    #[test]
    fn signatures_need_the_key_and_an_unchanged_document() {
        let mut signed = file();
        signed.sign(b"k1");
        let mut parsed = PlanFile::parse(signed.to_json().as_bytes()).unwrap();
        assert!(
            parsed
                .signature
                .as_deref()
                .unwrap()
                .starts_with("hmac-sha256:")
        );
        assert_eq!(parsed.verify_signature(b"k1"), Ok(()));
        assert_eq!(
            parsed.verify_signature(b"k2"),
            Err(PlanFileError::BadSignature)
        );
        // Edited, with the checksum recomputed (anyone can): the signature no longer matches.
        let mut edited = parsed.clone();
        edited.options.allow_destructive = true;
        edited.checksum = edited.compute_checksum();
        let mut edited = PlanFile::parse(edited.to_json().as_bytes()).unwrap();
        assert_eq!(
            edited.verify_signature(b"k1"),
            Err(PlanFileError::BadSignature)
        );
        let mut garbage = parsed.clone();
        garbage.signature = Some("hmac-sha256:zz".into());
        assert_eq!(
            garbage.verify_signature(b"k1"),
            Err(PlanFileError::BadSignature)
        );
        assert_eq!(file().verify_signature(b"k1"), Err(PlanFileError::Unsigned));
        // Signing does not change what the unsigned document says.
        let mut unsigned = parsed;
        unsigned.signature = None;
        unsigned.checksum = unsigned.compute_checksum();
        assert_eq!(unsigned, file());
    }

    #[test]
    fn a_plan_binds_to_its_cluster_and_database_not_to_the_address() {
        let f = file();
        // A physical replica, or another address of the same server: same cluster, same name.
        assert_eq!(
            f.check_database(&db("replica.internal", "7714248575412480130", "shop")),
            Ok(())
        );
        let other_db = f
            .check_database(&db("primary.internal", "7714248575412480130", "shop_test"))
            .unwrap_err();
        assert_eq!(
            other_db.to_string(),
            "the plan was made for database \"shop\" on the PostgreSQL server with system identifier 7714248575412480130 (at primary.internal:5432), but this connection is to database \"shop_test\" on the server with system identifier 7714248575412480130 (at primary.internal:5432): apply it to the database it was made for, or make a new plan for this one"
        );
        assert!(matches!(
            f.check_database(&db("primary.internal", "1", "shop")),
            Err(PlanFileError::OtherDatabase { .. })
        ));
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
