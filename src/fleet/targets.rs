//! The targets file (`--targets FILE`): which databases a fleet command plans, applies or checks.
//!
//! ```toml
//! [[target]]
//! url = "postgres://app@db1.internal/shop"        # one database
//!
//! [[target]]
//! url = "postgres://app@db2.internal/postgres"
//! databases = "tenant_*"                           # every matching database on that server
//!
//! [[target]]
//! url = "postgres://app@db3.internal/saas"
//! schemas = "tenant_*"                             # every matching schema of that database
//! ```
//!
//! Every problem is reported at its file:line:col, all at once, before anything connects.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::inspect::{ConnectError, Target};
use crate::load::diag::{Diagnostic, Loc, Sources};

/// Targets files larger than this are refused before parsing.
const MAX_TARGETS_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    target: Vec<Spanned<RawTarget>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    url: Option<Spanned<String>>,
    databases: Option<Spanned<String>>,
    schemas: Option<Spanned<String>>,
}

/// One `[[target]]` entry, checked.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The URL as written (kept to resolve each database `databases` matches; never printed).
    pub url: String,
    /// The target the URL names.
    pub target: Target,
    /// `databases = "..."`: the pattern as written, and compiled.
    pub databases: Option<(String, glob::Pattern)>,
    /// `schemas = "..."` (a schema per tenant): the pattern as written, and compiled.
    pub schemas: Option<(String, glob::Pattern)>,
    /// Where the entry is, for messages about it.
    pub loc: Loc,
}

impl Entry {
    /// `host:port/db`, `host:port databases "tenant_*"` or `host:port/db schemas "tenant_*"`;
    /// never credentials.
    pub fn label(&self) -> String {
        match (&self.databases, &self.schemas) {
            (Some((pattern, _)), _) => {
                let (host, port) = self.target.host_port();
                format!("{host}:{port} databases {pattern:?}")
            }
            (None, Some((pattern, _))) => format!("{} schemas {pattern:?}", label(&self.target)),
            (None, None) => label(&self.target),
        }
    }
}

/// `host:port/database` of a target: how fleets name their members (never credentials).
pub fn label(target: &Target) -> String {
    let (host, port) = target.host_port();
    let db = target.config.get_dbname().unwrap_or("?");
    format!("{host}:{port}/{db}")
}

/// How a fleet names a tenant: `host:port/database schema NAME`.
pub fn tenant_label(target: &Target, schema: &str) -> String {
    format!("{} schema {schema}", label(target))
}

/// A read targets file.
#[derive(Debug, Clone)]
pub struct TargetsFile {
    pub entries: Vec<Entry>,
    pub sources: Sources,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetsError {
    #[error("{0}")]
    Io(String),
    #[error("the targets file {path} has {} problem{}", diagnostics.len(), if diagnostics.len() == 1 { "" } else { "s" })]
    Invalid {
        path: String,
        diagnostics: Vec<Diagnostic>,
        sources: Sources,
    },
}

/// Reads and checks a targets file; `env` resolves credentials as for `--database-url`.
pub fn read(
    path: &Path,
    env: crate::inspect::connect::Env<'_>,
) -> Result<TargetsFile, TargetsError> {
    use std::io::Read;
    let io = |e: std::io::Error| TargetsError::Io(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_TARGETS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_TARGETS_BYTES {
        return Err(TargetsError::Io(format!(
            "{}: the targets file is larger than {} MiB",
            path.display(),
            MAX_TARGETS_BYTES >> 20
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| TargetsError::Io(format!("{}: not UTF-8 text ({e})", path.display())))?;
    parse(path, text, env)
}

/// Checks the text of a targets file (named `path` in messages).
pub fn parse(
    path: &Path,
    text: String,
    env: crate::inspect::connect::Env<'_>,
) -> Result<TargetsFile, TargetsError> {
    let mut sources = Sources::default();
    let file = sources.add(path.to_path_buf(), text.clone());
    let loc = |span: std::ops::Range<usize>| Loc { file, span };
    let mut problems = Vec::new();
    let raw: RawFile = match toml::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            let d = if message.starts_with("unknown field") {
                Diagnostic::new(loc(span), message)
                    .label("not a targets file key")
                    .hint("a targets file holds [[target]] entries with `url`, and optionally `databases` or `schemas`")
            } else {
                Diagnostic::new(loc(span), "invalid targets file").label(message)
            };
            return Err(invalid(path, vec![d], sources));
        }
    };
    if raw.target.is_empty() {
        problems.push(
            Diagnostic::new(loc(0..0), "the targets file lists no targets")
                .label("no [[target]] entry")
                .hint("add one per server or database:\n[[target]]\nurl = \"postgres://user@host:5432/database\""),
        );
    }
    let mut entries = Vec::new();
    let mut seen: Vec<(String, Loc)> = Vec::new();
    for t in raw.target {
        let span = t.span();
        let t = t.into_inner();
        let Some(url) = t.url else {
            problems.push(
                Diagnostic::new(loc(span), "this target has no `url`")
                    .label("missing `url`")
                    .hint("every [[target]] names its server (and database) with url = \"postgres://user@host:5432/database\""),
            );
            continue;
        };
        if let (Some(_), Some(s)) = (&t.databases, &t.schemas) {
            problems.push(
                Diagnostic::new(
                    loc(s.span()),
                    "a target has `databases` or `schemas`, not both",
                )
                .label("second pattern")
                .related(
                    loc(t.databases.as_ref().map_or(0..0, |d| d.span())),
                    "first pattern",
                ),
            );
            continue;
        }
        let target = match Target::resolve(Some(url.get_ref()), env) {
            Ok(target) => target,
            Err(e) => {
                problems.push(Diagnostic::new(loc(url.span()), url_problem(&e)).label("this URL"));
                continue;
            }
        };
        let mut pattern = |key: &str, p: &Option<Spanned<String>>| match p {
            None => Ok(None),
            Some(p) if p.get_ref().is_empty() => {
                problems.push(
                    Diagnostic::new(loc(p.span()), format!("`{key}` is empty"))
                        .label("empty pattern")
                        .hint("a pattern such as \"tenant_*\": `*` matches any run of characters, `?` one character"),
                );
                Err(())
            }
            Some(p) => match glob::Pattern::new(p.get_ref()) {
                Ok(g) => Ok(Some((p.get_ref().clone(), g))),
                Err(e) => {
                    problems.push(
                        Diagnostic::new(
                            loc(p.span()),
                            format!("`{key}` is not a valid pattern: {}", e.msg),
                        )
                        .label("invalid pattern")
                        .within(e.pos..e.pos + 1),
                    );
                    Err(())
                }
            },
        };
        let (Ok(databases), Ok(schemas)) = (
            pattern("databases", &t.databases),
            pattern("schemas", &t.schemas),
        ) else {
            continue;
        };
        let entry = Entry {
            url: url.get_ref().clone(),
            target,
            databases,
            schemas,
            loc: loc(span.clone()),
        };
        let name = entry.label();
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            problems.push(
                Diagnostic::new(loc(url.span()), format!("{name} is listed twice"))
                    .label("listed again")
                    .related(first.clone(), "first listed here"),
            );
            continue;
        }
        seen.push((name, entry.loc.clone()));
        entries.push(entry);
    }
    if !problems.is_empty() {
        for d in &mut problems {
            d.narrow(&sources);
        }
        return Err(invalid(path, problems, sources));
    }
    Ok(TargetsFile { entries, sources })
}

fn invalid(path: &Path, diagnostics: Vec<Diagnostic>, sources: Sources) -> TargetsError {
    TargetsError::Invalid {
        path: path.display().to_string(),
        diagnostics,
        sources,
    }
}

/// The connection error for a URL in the targets file; its messages never hold the password.
fn url_problem(e: &ConnectError) -> String {
    format!("unusable target URL: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<TargetsFile, Vec<String>> {
        let env = |_: &str| None;
        parse(Path::new("targets.toml"), text.to_string(), &env).map_err(|e| match e {
            TargetsError::Invalid {
                diagnostics,
                sources,
                ..
            } => diagnostics
                .iter()
                .map(|d| {
                    let (l, c) = sources.line_col(d.loc.file, d.loc.span.start);
                    format!("{l}:{c}: {}", d.message)
                })
                .collect(),
            TargetsError::Io(m) => vec![m],
        })
    }

    #[test]
    fn entries_and_labels() {
        let f = check(
            "[[target]]\nurl = \"postgres://u:secret@h1:5433/shop\"\n\n[[target]]\nurl = \"postgres://u@h2/postgres\"\ndatabases = \"tenant_?*\"\n\n[[target]]\nurl = \"postgres://u@h3/saas\"\nschemas = \"t_*\"\n",
        )
        .unwrap();
        let labels: Vec<String> = f.entries.iter().map(Entry::label).collect();
        assert_eq!(
            labels,
            [
                "h1:5433/shop",
                "h2:5432 databases \"tenant_?*\"",
                "h3:5432/saas schemas \"t_*\""
            ]
        );
        assert!(f.entries[2].schemas.as_ref().unwrap().1.matches("t_9"));
        assert!(
            check("[[target]]\nurl = \"postgres://h/db\"\nschemas = \"\"\n").unwrap_err()[0]
                .starts_with("3:11: `schemas` is empty")
        );
        assert!(
            f.entries[1]
                .databases
                .as_ref()
                .unwrap()
                .1
                .matches("tenant_7")
        );
        assert!(
            !f.entries[1]
                .databases
                .as_ref()
                .unwrap()
                .1
                .matches("tenant_")
        );
    }

    #[test]
    fn every_problem_is_located() {
        let errs = check(
            "[[target]]\ndatabases = \"a*\"\n\n[[target]]\nurl = \"mysql://x\"\n\n[[target]]\nurl = \"postgres://h/db\"\ndatabases = \"[\"\n\n[[target]]\nurl = \"postgres://h/db\"\n[[target]]\nurl = \"postgres://h/db\"\nschemas = \"t_*\"\n[[target]]\nurl = \"postgres://h/db\"\n",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 4, "{errs:#?}");
        assert_eq!(errs[0], "1:1: this target has no `url`");
        assert!(
            errs[1].starts_with("5:7: unusable target URL"),
            "{}",
            errs[1]
        );
        assert!(
            errs[2].starts_with("9:14: `databases` is not a valid pattern"),
            "{}",
            errs[2]
        );
        assert_eq!(errs[3], "17:7: h:5432/db is listed twice");
    }

    #[test]
    fn unknown_keys_and_empty_files() {
        let errs = check("[[target]]\nurl = \"postgres://h/db\"\npassword = \"x\"\n").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].starts_with("3:1: unknown field `password`"),
            "{}",
            errs[0]
        );
        assert_eq!(
            check("# nothing\n").unwrap_err(),
            ["1:1: the targets file lists no targets"]
        );
        assert!(check("[[target]\n").unwrap_err()[0].starts_with("1:"));
    }
}
