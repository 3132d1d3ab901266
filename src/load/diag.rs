//! Located problems in schema files, and their rendering with the offending snippet.

use std::ops::Range;
use std::path::PathBuf;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::Buffer;
use codespan_reporting::term::{self, Config};

/// The schema files that were read, kept for pointing into them.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    pub files: Vec<(PathBuf, String)>,
}

impl Sources {
    pub fn add(&mut self, path: PathBuf, text: String) -> usize {
        self.files.push((path, text));
        self.files.len() - 1
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, file: usize, offset: usize) -> (usize, usize) {
        let text = &self.files[file].1;
        let offset = offset.min(text.len());
        let before = &text[..floor_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A location in a schema file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: usize,
    pub span: Range<usize>,
}

/// One problem, pointing at where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub loc: Loc,
    /// Text under the snippet's caret.
    pub label: String,
    /// A second place that explains the first ("first declared here").
    pub related: Option<(Loc, String)>,
    pub hint: Option<String>,
    /// A byte range inside the string value at `loc`, to point at exactly, when the value is
    /// written without escapes (see [`Diagnostic::within`]).
    pub inner: Option<Range<usize>>,
}

impl Diagnostic {
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            loc,
            label: String::new(),
            related: None,
            hint: None,
            inner: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Points at `range` of the string value `loc` spans, rather than at the whole value.
    pub fn within(mut self, range: Range<usize>) -> Self {
        self.inner = Some(range);
        self
    }

    /// Narrows `loc` to `inner` when the TOML string at `loc` holds its value byte for byte (a
    /// one-line string without escapes), so that offsets into the value are offsets into the file.
    pub fn narrow(&mut self, sources: &Sources) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let text = &sources.files[self.loc.file].1;
        let Some(token) = text.get(self.loc.span.clone()) else {
            return;
        };
        let basic = token.starts_with('"') && !token.starts_with("\"\"\"") && !token.contains('\\');
        let literal = token.starts_with('\'') && !token.starts_with("'''");
        if (basic || literal) && token.len() >= 2 && inner.end <= token.len() - 2 {
            let start = self.loc.span.start + 1;
            self.loc.span = start + inner.start..start + inner.end;
        }
    }

    pub fn related(mut self, loc: Loc, label: impl Into<String>) -> Self {
        self.related = Some((loc, label.into()));
        self
    }
}

/// Renders every diagnostic with its snippet (`error: ...`, `┌─ file:line:col`, the source line
/// and a caret), in file and position order.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut files = SimpleFiles::new();
    let ids: Vec<usize> = sources
        .files
        .iter()
        .map(|(p, t)| files.add(p.display().to_string(), t.clone()))
        .collect();
    let mut buf = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let mut out = String::new();
    let config = Config::default();
    for d in diagnostics {
        let mut labels =
            vec![Label::primary(ids[d.loc.file], clamp(&d.loc, sources)).with_message(&d.label)];
        if let Some((loc, msg)) = &d.related {
            labels.push(Label::secondary(ids[loc.file], clamp(loc, sources)).with_message(msg));
        }
        let mut cs = CsDiagnostic::error()
            .with_message(&d.message)
            .with_labels(labels);
        if let Some(h) = &d.hint {
            cs = cs.with_notes(vec![format!("hint: {h}")]);
        }
        if color {
            let _ = term::emit_to_write_style(&mut buf, &config, &files, &cs);
        } else {
            let _ = term::emit_to_string(&mut out, &config, &files, &cs);
        }
    }
    if color {
        out = String::from_utf8_lossy(buf.as_slice()).into_owned();
    }
    out
}

fn clamp(loc: &Loc, sources: &Sources) -> Range<usize> {
    let text = &sources.files[loc.file].1;
    let start = floor_boundary(text, loc.span.start.min(text.len()));
    let end = floor_boundary(text, loc.span.end.min(text.len())).max(start);
    start..end
}
