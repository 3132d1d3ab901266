//! Reading one TOML table with a fixed set of keys, recording every problem as a [`Diagnostic`].

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, Loc};

/// A value with the place it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sp<T> {
    pub value: T,
    pub loc: Loc,
}

/// `grants = { role = [privilege, ...] }`: each role with its privileges, all located.
pub type RawGrants = Vec<(Sp<String>, Vec<Sp<String>>)>;

/// Collected problems for one load.
#[derive(Debug, Default)]
pub struct Problems {
    pub list: Vec<Diagnostic>,
}

impl Problems {
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }
}

pub fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The keys of one TOML table, read one at a time; [`Fields::finish`] reports keys nobody read.
pub struct Fields<'a, 'i> {
    pub file: usize,
    table: &'a DeTable<'i>,
    /// What this table is, for messages: "column", "table `users`".
    what: String,
    allowed: Vec<&'static str>,
}

impl<'a, 'i> Fields<'a, 'i> {
    pub fn new(
        file: usize,
        table: &'a DeTable<'i>,
        what: impl Into<String>,
        allowed: &'static [super::spec::Field],
    ) -> Self {
        Self {
            file,
            table,
            what: what.into(),
            allowed: super::spec::names(allowed),
        }
    }

    pub fn loc(&self, span: Range<usize>) -> Loc {
        Loc {
            file: self.file,
            span,
        }
    }

    fn get(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        debug_assert!(self.allowed.contains(&key), "{key} not declared");
        self.table.get(key)
    }

    fn wrong_type(&self, p: &mut Problems, key: &str, v: &Spanned<DeValue<'_>>, want: &str) {
        p.push(
            Diagnostic::new(
                self.loc(v.span()),
                format!(
                    "`{key}` of {} must be {want}, not {}",
                    self.what,
                    type_name(v.get_ref())
                ),
            )
            .label(format!("expected {want}")),
        );
    }

    pub fn string(&self, p: &mut Problems, key: &str) -> Option<Sp<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Sp {
                value: s.to_string(),
                loc: self.loc(v.span()),
            }),
            _ => {
                self.wrong_type(p, key, v, "a string");
                None
            }
        }
    }

    pub fn integer(&self, p: &mut Problems, key: &str) -> Option<Sp<i64>> {
        let v = self.get(key)?;
        let parsed = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => {
                self.wrong_type(p, key, v, "an integer");
                return None;
            }
        };
        match parsed {
            Some(value) => Some(Sp {
                value,
                loc: self.loc(v.span()),
            }),
            None => {
                p.push(
                    Diagnostic::new(
                        self.loc(v.span()),
                        format!("`{key}` of {} is out of range", self.what),
                    )
                    .label("not a 64-bit integer"),
                );
                None
            }
        }
    }

    pub fn boolean(&self, p: &mut Problems, key: &str) -> Option<Sp<bool>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(Sp {
                value: *b,
                loc: self.loc(v.span()),
            }),
            _ => {
                self.wrong_type(p, key, v, "true or false");
                None
            }
        }
    }

    pub fn array(&self, p: &mut Problems, key: &str) -> Option<&'a [Spanned<DeValue<'i>>]> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Array(a) => Some(a.as_ref()),
            _ => {
                self.wrong_type(p, key, v, "an array");
                None
            }
        }
    }

    /// An array of strings, each with its location.
    pub fn strings(&self, p: &mut Problems, key: &str) -> Option<Vec<Sp<String>>> {
        let items = self.array(p, key)?;
        let what = format!("`{key}` of {} must hold strings", self.what);
        Some(self.string_items(p, items, &what, "expected a string"))
    }

    /// The strings of an array, each located; any other item is reported as `what, not <type>`.
    fn string_items(
        &self,
        p: &mut Problems,
        items: &[Spanned<DeValue<'_>>],
        what: &str,
        label: &str,
    ) -> Vec<Sp<String>> {
        let mut out = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => out.push(Sp {
                    value: s.to_string(),
                    loc: self.loc(item.span()),
                }),
                other => p.push(
                    Diagnostic::new(
                        self.loc(item.span()),
                        format!("{what}, not {}", type_name(other)),
                    )
                    .label(label),
                ),
            }
        }
        out
    }

    /// An inline table of free names, each a string, integer, float or boolean, as text
    /// (storage parameters: `with = { fillfactor = 70 }`).
    pub fn params(&self, p: &mut Problems, key: &str) -> Option<Vec<(Sp<String>, Sp<String>)>> {
        let v = self.get(key)?;
        let DeValue::Table(t) = v.get_ref() else {
            self.wrong_type(p, key, v, "a table");
            return None;
        };
        let mut out = Vec::new();
        for (name, value) in t.iter() {
            let text = match value.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                    Ok(n) => n.to_string(),
                    Err(_) => i.as_str().to_string(),
                },
                DeValue::Float(f) => f.as_str().to_string(),
                DeValue::Boolean(b) => b.to_string(),
                other => {
                    p.push(
                        Diagnostic::new(
                            self.loc(value.span()),
                            format!(
                                "`{key}` of {} must hold strings, numbers or booleans, not {}",
                                self.what,
                                type_name(other)
                            ),
                        )
                        .label("expected a string, a number or true/false"),
                    );
                    continue;
                }
            };
            out.push((
                Sp {
                    value: name.get_ref().to_string(),
                    loc: self.loc(name.span()),
                },
                Sp {
                    value: text,
                    loc: self.loc(value.span()),
                },
            ));
        }
        Some(out)
    }

    /// `grants = { role = ["select", ...], ... }`: per role, its privileges, each located.
    pub fn grants(&self, p: &mut Problems, key: &str) -> Option<RawGrants> {
        let v = self.get(key)?;
        let DeValue::Table(t) = v.get_ref() else {
            self.wrong_type(p, key, v, "a table of roles, each an array of privileges");
            return None;
        };
        let mut out = Vec::new();
        for (role, value) in t.iter() {
            let role = Sp {
                value: role.get_ref().to_string(),
                loc: self.loc(role.span()),
            };
            let DeValue::Array(items) = value.get_ref() else {
                p.push(
                    Diagnostic::new(
                        self.loc(value.span()),
                        format!(
                            "the privileges of `{}` in `{key}` of {} must be an array, not {}",
                            role.value,
                            self.what,
                            type_name(value.get_ref())
                        ),
                    )
                    .label("expected [\"select\", ...]"),
                );
                continue;
            };
            let what = format!("a privilege in `{key}` of {} must be a string", self.what);
            let privileges =
                self.string_items(p, items, &what, "expected a string such as \"select\"");
            out.push((role, privileges));
        }
        Some(out)
    }

    /// Either a boolean (`primary_key = true`) or a table (`primary_key = { columns = [...] }`).
    pub fn raw(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.get(key)
    }

    /// A key of the table, whether or not it is one of the allowed keys, with its location.
    pub fn present(&self, key: &str) -> Option<Loc> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(k, _)| self.loc(k.span()))
    }

    /// Reports every key that is not one of `allowed`, with the closest allowed key as a hint.
    pub fn finish(self, p: &mut Problems) {
        self.finish_ref(p);
    }

    /// [`Fields::finish`] without giving up the reader.
    pub fn finish_ref(&self, p: &mut Problems) {
        self.finish_except(p, &[]);
    }

    /// [`Fields::finish`], but for keys in `skip`, which the caller reports in its own words.
    pub fn finish_except(&self, p: &mut Problems, skip: &[&str]) {
        for (key, _) in self.table.iter() {
            let name = key.get_ref().as_ref();
            if self.allowed.contains(&name) || skip.contains(&name) {
                continue;
            }
            let mut d = Diagnostic::new(
                self.loc(key.span()),
                format!("unknown key `{name}` in {}", self.what),
            )
            .label("not a key tableform knows");
            d = match closest(name, &self.allowed) {
                Some(best) => d.hint(format!("did you mean `{best}`?")),
                None => d.hint(format!(
                    "the keys of {} are: {}",
                    self.what,
                    self.allowed.join(", ")
                )),
            };
            p.push(d);
        }
    }
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

impl Fields<'_, '_> {
    /// From the first key to the end of the last value of the table.
    pub fn extent(&self) -> Option<Range<usize>> {
        let start = self.table.iter().map(|(k, _)| k.span().start).min()?;
        let end = self.table.iter().map(|(_, v)| v.span().end).max()?;
        Some(start..end)
    }
}
