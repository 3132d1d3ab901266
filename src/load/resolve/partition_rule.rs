//! `partition_rule = { every, from, to }`: range partitions generated at load time, so the rest
//! of tableform sees them as if each were declared (`<table>_2026_01`, `FROM ('2026-01-01') TO
//! ('2026-02-01')`). The rule is a pure function of the declaration, never of the clock: a plan
//! made today and applied tomorrow is the same plan.

use super::super::raw::RawPartitionRule;
use super::{Diagnostic, Problems};
use crate::kinds::table::Partition;
use crate::model::names::MAX_IDENT;

/// More partitions than this from one rule is a mistake (a `from` a century early).
const MAX_GENERATED: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Date {
    y: i32,
    m: u32,
    d: u32,
}

impl Date {
    fn parse(s: &str) -> Option<Date> {
        let parts: Vec<&str> = s.trim().split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return None;
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let date = Date {
            y: y.parse().ok()?,
            m: m.parse().ok()?,
            d: d.parse().ok()?,
        };
        ((1..=12).contains(&date.m) && (1..=days_in(date.y, date.m)).contains(&date.d))
            .then_some(date)
    }

    fn next(self, every: Every) -> Date {
        match every {
            Every::Year => Date {
                y: self.y + 1,
                ..self
            },
            Every::Month if self.m == 12 => Date {
                y: self.y + 1,
                m: 1,
                ..self
            },
            Every::Month => Date {
                m: self.m + 1,
                ..self
            },
            Every::Day if self.d < days_in(self.y, self.m) => Date {
                d: self.d + 1,
                ..self
            },
            Every::Day => Date { d: 1, ..self }.next(Every::Month),
        }
    }

    fn sql(self) -> String {
        format!("{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
}

fn days_in(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Every {
    Day,
    Month,
    Year,
}

/// The partitions `rule` declares for `table`, whose key is `key` (normalised, `RANGE (...)`).
pub(super) fn expand(
    p: &mut Problems,
    table: &str,
    key: Option<&str>,
    rule: &RawPartitionRule,
) -> Vec<Partition> {
    let (Some(every), Some(from), Some(to)) = (&rule.every, &rule.from, &rule.to) else {
        let missing: Vec<&str> = [
            ("every", rule.every.is_none()),
            ("from", rule.from.is_none()),
            ("to", rule.to.is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(k, _)| k)
        .collect();
        p.push(
            Diagnostic::new(
                rule.loc.clone(),
                format!("partition rule without `{}`", missing.join("`, `")),
            )
            .label("a rule says how long each partition is (`every`), and from when to when (`from`, `to`)"),
        );
        return Vec::new();
    };
    let Some(key) = key else {
        p.push(
            Diagnostic::new(
                rule.loc.clone(),
                "a partition rule needs `partition_by` on its table",
            )
            .label("add `partition_by = \"range (column)\"` to the table"),
        );
        return Vec::new();
    };
    let inner = key.strip_prefix("RANGE ").unwrap_or("");
    if inner.is_empty() || inner.contains(',') {
        p.push(
            Diagnostic::new(
                rule.loc.clone(),
                "a partition rule makes range partitions over one column",
            )
            .label(format!(
                "the table is partitioned by {key}: declare its partitions one by one"
            )),
        );
        return Vec::new();
    }
    let every_kind = match every.value.trim().to_lowercase().as_str() {
        "day" => Every::Day,
        "month" => Every::Month,
        "year" => Every::Year,
        other => {
            p.push(
                Diagnostic::new(every.loc.clone(), format!("unknown period `{other}`"))
                    .label("one of: day, month, year"),
            );
            return Vec::new();
        }
    };
    let mut dates = Vec::new();
    for d in [from, to] {
        match Date::parse(&d.value) {
            Some(date)
                if (every_kind == Every::Day)
                    || (date.d == 1 && (every_kind == Every::Month || date.m == 1)) =>
            {
                dates.push(date)
            }
            Some(_) => p.push(
                Diagnostic::new(
                    d.loc.clone(),
                    format!(
                        "`{}` does not start a {}",
                        d.value.trim(),
                        every.value.trim()
                    ),
                )
                .label(match every_kind {
                    Every::Year => "a year starts on January 1st: YYYY-01-01",
                    _ => "a month starts on its 1st: YYYY-MM-01",
                }),
            ),
            None => p.push(
                Diagnostic::new(d.loc.clone(), format!("invalid date `{}`", d.value.trim()))
                    .label("expected a date as YYYY-MM-DD"),
            ),
        }
    }
    let [start, end] = dates.as_slice() else {
        return Vec::new();
    };
    if start >= end {
        p.push(
            Diagnostic::new(to.loc.clone(), "`to` must come after `from`")
                .label("the rule would declare no partition"),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut at = *start;
    while at < *end {
        if out.len() == MAX_GENERATED {
            p.push(
                Diagnostic::new(
                    rule.loc.clone(),
                    format!("the rule declares more than {MAX_GENERATED} partitions"),
                )
                .label("narrow `from` and `to`, or choose a longer period"),
            );
            return Vec::new();
        }
        let next = at.next(every_kind);
        let suffix = match every_kind {
            Every::Year => format!("{:04}", at.y),
            Every::Month => format!("{:04}_{:02}", at.y, at.m),
            Every::Day => format!("{:04}_{:02}_{:02}", at.y, at.m, at.d),
        };
        let name = format!("{table}_{suffix}");
        if name.len() > MAX_IDENT {
            p.push(
                Diagnostic::new(rule.loc.clone(), format!("partition name `{name}` is longer than {MAX_IDENT} bytes"))
                    .label("PostgreSQL would cut it short: shorten the table name, or declare the partitions one by one"),
            );
            return Vec::new();
        }
        out.push(Partition {
            name,
            bound: format!("FOR VALUES FROM ('{}') TO ('{}')", at.sql(), next.sql()),
        });
        at = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_days_and_years_step_across_their_boundaries() {
        let d = |s| Date::parse(s).unwrap();
        assert_eq!(d("2026-12-01").next(Every::Month), d("2027-01-01"));
        assert_eq!(d("2024-02-28").next(Every::Day), d("2024-02-29"));
        assert_eq!(d("2023-02-28").next(Every::Day), d("2023-03-01"));
        assert_eq!(d("2026-12-31").next(Every::Day), d("2027-01-01"));
        assert_eq!(d("2026-01-01").next(Every::Year), d("2027-01-01"));
        assert!(Date::parse("2026-02-30").is_none());
        assert!(Date::parse("26-01-01").is_none());
    }
}
