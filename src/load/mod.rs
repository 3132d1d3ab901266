//! TOML schema files -> [`Schema`](crate::model::Schema).
//!
//! Loading runs in two passes. [`raw`] reads every file into spanned raw declarations, reporting
//! TOML syntax errors, wrong value types and unknown keys; [`resolve`] turns them into the model,
//! reporting what only the whole schema can tell (duplicates, unknown types, foreign keys to
//! nothing, invalid expressions). Every problem is collected before loading stops, so one
//! `validate` run shows them all, each at `file:line:col`.

pub mod diag;
pub mod fmt;
mod raw;
mod raw_kinds;
mod read;
mod resolve;
pub mod spec;

use std::path::{Path, PathBuf};

use crate::model::Schema;
pub use diag::{Diagnostic, Loc, Sources};
pub use resolve::{EXTENSION_TYPES, Settings};

/// Schema files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug)]
pub struct Loaded {
    pub schema: Schema,
    pub settings: Settings,
    pub sources: Sources,
    /// The files' declarations, to resolve again with another home schema.
    pub declarations: Declarations,
}

/// The declarations of the schema files, as read (before the model): what a tenant's copy of
/// the declaration is resolved from.
#[derive(Debug)]
pub struct Declarations(raw::Decls);

impl Declarations {
    /// The declaration with every object declared without `schema = ` (and every name that
    /// refers to one without a schema) in `home` instead of `public`: a tenant's copy. Errors are
    /// what only that schema makes wrong.
    pub fn in_schema(&self, home: &str) -> Result<(Schema, Settings), Vec<Diagnostic>> {
        let mut problems = read::Problems::default();
        let (mut schema, settings) = resolve::resolve_in(&self.0, &mut problems, home);
        schema.home = Some(home.to_string());
        if problems.list.is_empty() {
            Ok((schema, settings))
        } else {
            Err(problems.list)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read schema directory {path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path} holds no .toml schema files")]
    Empty { path: PathBuf },
    /// `*.toml` entries that cannot be read as schema files (a dangling symbolic link, a FIFO, a
    /// directory...): skipping them would make their tables look undeclared, and `--prune` drop
    /// them.
    #[error("{}", not_files.iter().map(|(p, what)| format!("{} is {what}, not a schema file (a regular file or a symbolic link to one)", p.display())).collect::<Vec<_>>().join("\nerror: "))]
    NotAFile { not_files: Vec<(PathBuf, String)> },
    #[error("{} problem(s) in the schema files", diagnostics.len())]
    Invalid {
        diagnostics: Vec<Diagnostic>,
        sources: Sources,
    },
}

/// Loads every `*.toml` file of `dir` (in name order) as one schema.
pub fn load_dir(dir: &Path) -> Result<Loaded, LoadError> {
    let io = |e: std::io::Error| LoadError::Io {
        path: dir.to_path_buf(),
        message: e.to_string(),
    };
    if !dir.is_dir() {
        return Err(LoadError::Io {
            path: dir.to_path_buf(),
            message: if dir.exists() {
                "not a directory".into()
            } else {
                "no such directory".into()
            },
        });
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    // The type is checked before anything is opened: reading a FIFO would block.
    let not_files: Vec<(PathBuf, String)> = paths
        .iter()
        .filter_map(|p| not_a_regular_file(p).map(|what| (p.clone(), what)))
        .collect();
    if !not_files.is_empty() {
        return Err(LoadError::NotAFile { not_files });
    }
    if paths.is_empty() {
        return Err(LoadError::Empty {
            path: dir.to_path_buf(),
        });
    }
    let mut files = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|e| LoadError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        files.push((path, bytes));
    }
    load_files(files)
}

/// What `path` is when it is not a regular file nor a symbolic link to one.
fn not_a_regular_file(path: &Path) -> Option<String> {
    let own = match std::fs::symlink_metadata(path) {
        Ok(m) => m.file_type(),
        Err(e) => return Some(format!("unreadable ({e})")),
    };
    if own.is_file() {
        return None;
    }
    if !own.is_symlink() {
        return Some(kind(own));
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) => Some(format!("a symbolic link to {}", kind(m.file_type()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some("a dangling symbolic link (its target does not exist)".into())
        }
        Err(e) => Some(format!("a symbolic link that cannot be followed ({e})")),
    }
}

fn kind(t: std::fs::FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)".into();
        }
        if t.is_socket() {
            return "a socket".into();
        }
        if t.is_block_device() {
            return "a block device".into();
        }
        if t.is_char_device() {
            return "a character device".into();
        }
    }
    if t.is_dir() {
        "a directory".into()
    } else if t.is_symlink() {
        "a symbolic link".into()
    } else {
        "not a regular file".into()
    }
}

/// Loads schema files given as (path, contents); the path is only used in messages.
pub fn load_files(files: Vec<(PathBuf, Vec<u8>)>) -> Result<Loaded, LoadError> {
    let mut sources = Sources::default();
    let mut problems = read::Problems::default();
    let mut decls = raw::Decls::default();
    for (path, bytes) in files {
        let dir = path.parent().map(Path::to_path_buf);
        let (text, bad_utf8) = match String::from_utf8(bytes) {
            Ok(t) => (t, None),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
            }
        };
        let too_big = text.len() > MAX_FILE_BYTES;
        let shown = if too_big {
            String::new()
        } else {
            printable(&text)
        };
        let file = sources.add(path, shown);
        let loc = |span| Loc { file, span };
        if too_big {
            problems.push(Diagnostic::new(
                loc(0..0),
                format!("the file is larger than {} MiB", MAX_FILE_BYTES >> 20),
            ));
            continue;
        }
        if let Some(at) = bad_utf8 {
            problems.push(
                Diagnostic::new(loc(at..at + 1), "the file is not valid UTF-8")
                    .label("invalid byte sequence here"),
            );
            continue;
        }
        raw::read_file(file, &text, dir.as_deref(), &mut decls, &mut problems);
    }
    let (schema, settings) = resolve::resolve(&decls, &mut problems);
    if problems.list.is_empty() {
        Ok(Loaded {
            schema,
            settings,
            sources,
            declarations: Declarations(decls),
        })
    } else {
        let mut diagnostics = problems.list;
        for d in &mut diagnostics {
            d.narrow(&sources);
        }
        diagnostics.sort_by_key(|d| (d.loc.file, d.loc.span.start));
        Err(LoadError::Invalid {
            diagnostics,
            sources,
        })
    }
}

/// The text as it is shown in diagnostics: control characters (which would act on the terminal)
/// become `?`, byte for byte, so that spans still point at the same places.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' && c != '\r' && c.len_utf8() == 1 {
                '?'
            } else {
                c
            }
        })
        .collect()
}
