//! Plans for people: one-line summaries of changes and the text rendering of a whole plan.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::file::PlanFile;
use super::{Action, ObjectPlan, Plan};
use crate::diff::{Change, ObjectKind, Verdict};
use crate::kinds::Sign;
use crate::kinds::constraint::ConstraintChange;
use crate::model::names::quote_ident;

/// One line describing a change (its kind says it).
pub fn summarise(change: &Change) -> String {
    change.as_kind().summary()
}

/// Styles for the text rendering; all plain when colour is off.
struct Palette {
    green: Style,
    yellow: Style,
    red: Style,
    dim: Style,
    bold: Style,
}

impl Palette {
    fn new(color: bool) -> Self {
        let c = |a: AnsiColor| {
            if color {
                Style::new().fg_color(Some(a.into()))
            } else {
                Style::new()
            }
        };
        Self {
            green: c(AnsiColor::Green),
            yellow: c(AnsiColor::Yellow),
            red: c(AnsiColor::Red),
            dim: if color {
                Style::new().dimmed()
            } else {
                Style::new()
            },
            bold: if color {
                Style::new().bold()
            } else {
                Style::new()
            },
        }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        format!("{style}{text}{style:#}")
    }
}

fn object_symbol(p: &Palette, a: Action) -> String {
    match a {
        Action::Create => p.paint(p.green, "+"),
        Action::Change => p.paint(p.yellow, "~"),
        Action::Skip => p.paint(p.dim, "="),
        Action::Refuse => p.paint(p.red, "!"),
    }
}

fn change_symbol(p: &Palette, c: &Change, v: &Verdict) -> String {
    if v.is_refusal() {
        return p.paint(p.red, "!");
    }
    match c.as_kind().sign() {
        Sign::Add => p.paint(p.green, "+"),
        Sign::Remove => p.paint(p.red, "-"),
        Sign::Alter => p.paint(p.yellow, "~"),
    }
}

pub(super) fn kind_word(k: ObjectKind) -> &'static str {
    k.word()
}

fn object_title(o: &ObjectPlan) -> String {
    format!("{} {}", kind_word(o.kind), object_label(o))
}

/// The object's name as SQL; a schema is just its own name.
fn unmanaged_label(u: &crate::diff::Unmanaged) -> String {
    u.kind.label(&u.name)
}

pub(super) fn object_label(o: &ObjectPlan) -> String {
    o.kind.label(&o.name)
}

/// What apply did, in the past tense: `17 created, 2 changed`.
pub fn done_line(plan: &Plan) -> String {
    let s = plan.summary();
    format!(
        "{} created, {} changed, {} unchanged",
        s.create, s.change, s.unchanged
    )
}

/// `Plan: N to create, N to change, N unchanged, N refused.`
pub fn summary_line(plan: &Plan) -> String {
    let s = plan.summary();
    format!(
        "Plan: {} to create, {} to change, {} unchanged, {} refused.",
        s.create, s.change, s.unchanged, s.refused
    )
}

/// The plan as text: objects with their changes, refusals with their reasons, each changed
/// table's definition before and after, the SQL that would run, unmanaged tables, and the summary
/// line.
pub fn text(file: &PlanFile, color: bool) -> String {
    let (plan, target) = (&file.plan, file.database.describe());
    let p = Palette::new(color);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n",
        p.paint(p.bold, &format!("tableform plan for {target}"))
    );
    for o in &plan.objects {
        let _ = write!(out, "  {} {}", object_symbol(&p, o.action), object_title(o));
        let _ = match o.action {
            Action::Skip => writeln!(out, " {}", p.paint(p.dim, "(unchanged)")),
            Action::Refuse => writeln!(out, " {}", p.paint(p.red, "(refused)")),
            _ => writeln!(out),
        };
        for n in &o.notes {
            let _ = writeln!(out, "        {}", p.paint(p.dim, &format!("note: {n}")));
        }
        for c in &o.changes {
            // A created table's foreign keys are counted in its summary line and shown in the SQL.
            if o.action == Action::Create
                && matches!(
                    c.change,
                    Change::Constraint(ConstraintChange::AddConstraint { .. })
                )
            {
                continue;
            }
            let _ = writeln!(
                out,
                "      {} {}",
                change_symbol(&p, &c.change, &c.verdict),
                c.summary
            );
            match &c.verdict {
                Verdict::Refuse { reason } => {
                    let _ = writeln!(
                        out,
                        "        {}",
                        p.paint(p.red, &format!("refused: {reason}"))
                    );
                }
                Verdict::Change { note: Some(n) } => {
                    let _ = writeln!(out, "        {}", p.paint(p.dim, &format!("note: {n}")));
                }
                _ => {}
            }
        }
        if !o.definition_diff.is_empty() {
            let _ = writeln!(out);
            for line in &o.definition_diff {
                let style = match line.chars().next() {
                    Some('+') => p.green,
                    Some('-') => p.red,
                    _ => p.dim,
                };
                let _ = writeln!(out, "        {}", p.paint(style, line));
            }
            let _ = writeln!(out);
        }
    }
    for u in &plan.unmanaged {
        let why = match (&u.owned_by, &u.kept) {
            (Some(tool), _) => {
                format!("(owned by {tool}: its migration bookkeeping, left untouched)")
            }
            (None, Some(why)) => format!("(not declared, but kept: it {why})"),
            (None, None) => "(unmanaged: not declared, left untouched)".into(),
        };
        let _ = writeln!(
            out,
            "  {} {} {} {}",
            p.paint(p.dim, "?"),
            kind_word(u.kind),
            unmanaged_label(u),
            p.paint(p.dim, &why)
        );
    }
    if plan.objects.is_empty() && plan.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "  (the schema declares nothing and the database holds no tables)"
        );
    }
    if !plan.not_carried.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(
                p.dim,
                "Not carried by tableform's model (the database holds more than the declaration can say; left as they are):"
            )
        );
        for n in &plan.not_carried {
            let _ = writeln!(out, "  {} {}", p.paint(p.dim, "?"), n.object);
            let _ = writeln!(out, "      database: {}", n.live);
            let _ = writeln!(out, "      modelled: {}", n.modelled);
        }
    }
    if let Some(why) = &plan.self_check_skipped {
        let _ = writeln!(out, "\n{}", p.paint(p.dim, &self_check_skipped(why)));
    }
    if !plan.not_managed.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(
                p.dim,
                "Not managed by tableform (kinds it does not model; reported, never changed):"
            )
        );
        for line in not_managed_lines(plan) {
            let _ = writeln!(out, "  {} {line}", p.paint(p.dim, "?"));
        }
    }
    if plan.has_refusals() {
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(
                p.red,
                "This plan holds refusals: nothing will be applied until they are resolved."
            )
        );
    } else if !plan.steps.is_empty() {
        let n = plan.steps.len();
        let _ = writeln!(
            out,
            "\nSQL ({n} statement{}, run in one transaction):\n",
            if n == 1 { "" } else { "s" }
        );
        if let Some(tenant) = &plan.tenant {
            // Not a step: apply sets it after reading the catalog again, before the first step.
            let _ = writeln!(
                out,
                "  {};  {}\n",
                crate::inspect::session::search_path_for(tenant),
                p.paint(p.dim, "-- the tenant's schema first, for the declared text")
            );
        }
        for s in &plan.steps {
            let _ = writeln!(out, "{}\n", indent(&format!("{};", s.sql), "  "));
        }
    } else {
        let _ = writeln!(out, "\nNo changes: the database matches the declaration.");
    }
    let _ = writeln!(out, "\n{}", p.paint(p.bold, &summary_line(plan)));
    out
}

/// The statements alone, each ending in `;`, for piping into psql. Empty when there is nothing to
/// do (and when the plan holds a refusal, which has no statements).
/// Why nothing will be applied: every refused change with its reason, for `--format sql` (whose
/// script is empty when anything is refused) to print on stderr.
pub fn refusals(plan: &Plan) -> String {
    let mut out = String::from("error: the plan holds refusals, so the SQL script is empty:\n");
    for o in &plan.objects {
        for c in &o.changes {
            if let Verdict::Refuse { reason } = &c.verdict {
                let _ = writeln!(
                    out,
                    "  {} {}: {}",
                    kind_word(o.kind),
                    object_label(o),
                    reason
                );
            }
        }
    }
    out
}

pub fn sql_script(plan: &Plan) -> String {
    let tenant = (plan.tenant.as_deref())
        .filter(|_| !plan.steps.is_empty())
        .map(|t| format!("{};\n", crate::inspect::session::search_path_for(t)));
    (tenant.into_iter())
        .chain(plan.steps.iter().map(|s| format!("{};\n", s.sql)))
        .collect()
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn action_word(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Change => "change",
        Action::Skip => "unchanged",
        Action::Refuse => "refused",
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// GitHub refuses a pull-request comment longer than this many characters.
pub const MARKDOWN_LIMIT: usize = 65_536;

/// The changes that drop something (a table, a column, an index, a view...): the ones a
/// reviewer must not miss. A privilege taken away is counted by the summary as a change.
fn destructive(plan: &Plan) -> Vec<(&ObjectPlan, &super::PlannedChange)> {
    (plan.objects.iter())
        .flat_map(|o| o.changes.iter().map(move |c| (o, c)))
        .filter(|(_, c)| {
            c.change.as_kind().sign() == crate::kinds::Sign::Remove
                && !matches!(c.change, Change::Privilege(_))
        })
        .collect()
}

/// The plan as GitHub-flavoured markdown for a pull-request comment: the summary with the count
/// of destructive changes, refusals with their reasons, every destructive change with its note,
/// a table of every object with each change's note, and the SQL in a collapsible block. Kept
/// under [`MARKDOWN_LIMIT`]: the SQL goes first (pointing at the saved plan), then the rows of
/// unchanged objects; refusals, destructive changes and notes are never cut.
pub fn markdown(file: &PlanFile) -> String {
    let full = markdown_with(file, true, true);
    if full.chars().count() <= MARKDOWN_LIMIT {
        return full;
    }
    let no_sql = markdown_with(file, false, true);
    if no_sql.chars().count() <= MARKDOWN_LIMIT {
        return no_sql;
    }
    let changed = markdown_with(file, false, false);
    if changed.chars().count() <= MARKDOWN_LIMIT {
        return changed;
    }
    markdown_with_rows(file, false, false, false)
}

fn markdown_with(file: &PlanFile, with_sql: bool, with_unchanged: bool) -> String {
    markdown_with_rows(file, with_sql, with_unchanged, true)
}

/// Whether a row must be shown however long the comment gets: a refusal, a drop, or a note.
fn must_show(o: &ObjectPlan) -> bool {
    o.action == Action::Refuse
        || !o.notes.is_empty()
        || o.changes.iter().any(|c| {
            matches!(
                c.verdict,
                Verdict::Change { note: Some(_) } | Verdict::Refuse { .. }
            ) || (c.change.as_kind().sign() == crate::kinds::Sign::Remove)
        })
}

fn markdown_with_rows(
    file: &PlanFile,
    with_sql: bool,
    with_unchanged: bool,
    every_row: bool,
) -> String {
    let plan = &file.plan;
    let mut out = String::new();
    let _ = writeln!(out, "<!-- tableform-plan -->\n### tableform plan\n");
    let drops = destructive(plan);
    let _ = writeln!(
        out,
        "**{}** {}\n",
        summary_line(plan),
        match drops.len() {
            0 => "Nothing is dropped.".to_string(),
            n => format!(
                "**{n} destructive change{}** (dropping objects or data), listed below.",
                if n == 1 { "" } else { "s" }
            ),
        }
    );
    let _ = writeln!(
        out,
        "Database: `{}` (PostgreSQL {})\n",
        file.database.describe(),
        file.server_version
    );
    let refused: Vec<&ObjectPlan> = plan
        .objects
        .iter()
        .filter(|o| o.action == Action::Refuse)
        .collect();
    if !refused.is_empty() {
        let _ = writeln!(
            out,
            "#### Refused: nothing will be applied until these are resolved\n"
        );
        for o in &refused {
            for c in o.changes.iter().filter(|c| c.verdict.is_refusal()) {
                if let Verdict::Refuse { reason } = &c.verdict {
                    let _ = writeln!(
                        out,
                        "- `{}`: {}: {}",
                        o.name,
                        md_escape(&c.summary),
                        md_escape(reason)
                    );
                }
            }
        }
        let _ = writeln!(out);
    }
    if !drops.is_empty() {
        let _ = writeln!(out, "#### Destructive changes\n");
        for (o, c) in &drops {
            let note = match &c.verdict {
                Verdict::Change { note: Some(n) } => format!(": {}", md_escape(n)),
                Verdict::Refuse { .. } => " (refused, see above)".to_string(),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "- `{}` {}: **{}**{note}",
                object_label(o),
                kind_word(o.kind),
                md_escape(&c.summary)
            );
        }
        let _ = writeln!(out);
    }
    let mut rows: Vec<&ObjectPlan> = plan.objects.iter().collect();
    rows.sort_by_key(|o| (o.action != Action::Refuse, o.action == Action::Skip));
    let unchanged = rows.iter().filter(|o| o.action == Action::Skip).count();
    if !with_unchanged {
        rows.retain(|o| o.action != Action::Skip);
    }
    let before = rows.len();
    if !every_row {
        rows.retain(|o| must_show(o));
    }
    let hidden = before - rows.len();
    if !rows.is_empty() || !plan.unmanaged.is_empty() {
        let _ = writeln!(out, "| object | action | changes |\n|---|---|---|");
        for o in rows {
            let changes: Vec<String> = o
                .changes
                .iter()
                .filter(|c| {
                    !(o.action == Action::Create
                        && matches!(
                            c.change,
                            Change::Constraint(ConstraintChange::AddConstraint { .. })
                        ))
                })
                .map(|c| match &c.verdict {
                    Verdict::Change { note: Some(n) } => {
                        format!(
                            "{}<br>&nbsp;&nbsp;_note: {}_",
                            md_escape(&c.summary),
                            md_escape(n)
                        )
                    }
                    Verdict::Refuse { reason } => format!(
                        "{}<br>&nbsp;&nbsp;**refused: {}**",
                        md_escape(&c.summary),
                        md_escape(reason)
                    ),
                    _ => md_escape(&c.summary),
                })
                .chain(o.notes.iter().map(|n| md_escape(&format!("note: {n}"))))
                .collect();
            let _ = writeln!(
                out,
                "| `{}` {} | {} | {} |",
                object_label(o),
                kind_word(o.kind),
                action_word(o.action),
                if changes.is_empty() {
                    "".to_string()
                } else {
                    changes.join("<br>")
                }
            );
        }
        for u in &plan.unmanaged {
            let (action, why) = match (&u.owned_by, &u.kept) {
                (Some(tool), _) => (
                    format!("owned by {tool}"),
                    "its migration bookkeeping, left untouched".to_string(),
                ),
                (None, Some(why)) => (
                    "unmanaged".into(),
                    format!("not declared, but kept: it {why}"),
                ),
                (None, None) => ("unmanaged".into(), "not declared, left untouched".into()),
            };
            let _ = writeln!(
                out,
                "| `{}` {} | {} | {why} |",
                unmanaged_label(u),
                kind_word(u.kind),
                md_escape(&action)
            );
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "| {hidden} other object{} | create or change | without notes; not listed, to keep this comment under GitHub's size limit (the saved plan file has them all) |",
                if hidden == 1 { "" } else { "s" }
            );
        }
        if !with_unchanged && unchanged > 0 {
            let _ = writeln!(
                out,
                "| {unchanged} unchanged object{} | skip | not listed, to keep this comment under GitHub's size limit |",
                if unchanged == 1 { "" } else { "s" }
            );
        }
        let _ = writeln!(out);
    }
    if !plan.not_carried.is_empty() {
        let _ = writeln!(
            out,
            "Not carried by tableform's model (the database holds more than the declaration can say; left as they are):\n"
        );
        for n in &plan.not_carried {
            let _ = writeln!(
                out,
                "- {}: database `{}`, modelled `{}`",
                md_escape(&n.object),
                md_escape(&n.live),
                md_escape(&n.modelled)
            );
        }
        let _ = writeln!(out);
    }
    if let Some(why) = &plan.self_check_skipped {
        let _ = writeln!(out, "{}\n", md_escape(&self_check_skipped(why)));
    }
    if !plan.not_managed.is_empty() {
        let _ = writeln!(
            out,
            "Not managed by tableform (kinds it does not model; reported, never changed):\n"
        );
        for line in not_managed_lines(plan) {
            let _ = writeln!(out, "- {}", md_escape(&line));
        }
        let _ = writeln!(out);
    }
    if !plan.steps.is_empty() {
        let n = plan.steps.len();
        let s = if n == 1 { "" } else { "s" };
        if with_sql {
            let _ = writeln!(
                out,
                "<details><summary>SQL ({n} statement{s}, one transaction)</summary>\n\n```sql\n{}```\n\n</details>",
                sql_script(plan)
            );
        } else {
            let _ = writeln!(
                out,
                "SQL ({n} statement{s}, one transaction): too long for a comment; it is in the saved plan file (`tableform show PLAN_FILE --format sql`)."
            );
        }
    }
    out
}

/// One difference between the declaration and the database, for drift reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DriftItem {
    pub object: String,
    pub kind: &'static str,
    pub description: String,
}

/// Every difference, including the ones `plan` leaves alone (undeclared tables).
pub fn drift_items(plan: &Plan) -> Vec<DriftItem> {
    let mut items = Vec::new();
    for o in &plan.objects {
        for c in &o.changes {
            if o.action == Action::Create
                && matches!(
                    c.change,
                    Change::Constraint(ConstraintChange::AddConstraint { .. })
                )
            {
                continue;
            }
            let description =
                (c.change.as_kind().drift()).unwrap_or_else(|| format!("differs: {}", c.summary));
            items.push(DriftItem {
                object: object_label(o),
                kind: kind_word(o.kind),
                description,
            });
        }
    }
    // A migration tool's bookkeeping table is that tool's business, not drift.
    for u in plan.unmanaged.iter().filter(|u| u.owned_by.is_none()) {
        let mut description = format!("{} is not declared", kind_word(u.kind));
        if let Some(why) = &u.kept {
            description.push_str(&format!(" (kept: it {why})"));
        }
        items.push(DriftItem {
            object: unmanaged_label(u),
            kind: kind_word(u.kind),
            description,
        });
    }
    items
}

fn self_check_skipped(why: &str) -> String {
    format!(
        "The self-check (properties the model may not carry) did not run: {why}. See docs/security.md."
    )
}

/// What `--strict` turns into an error: everything the plan reports as not carried, not managed
/// or not checked, one line each. Empty when the model holds the whole database.
pub fn strict_findings(plan: &Plan) -> Vec<String> {
    let carried = (plan.not_carried.iter()).map(|n| {
        format!(
            "{} is not carried by the model (database: {}; modelled: {})",
            n.object, n.live, n.modelled
        )
    });
    let managed = not_managed_lines(plan)
        .into_iter()
        .map(|l| format!("{l}, not managed by tableform"));
    let skipped = (plan.self_check_skipped.iter()).map(|why| {
        format!("the self-check (properties the model may not carry) did not run: {why}")
    });
    carried.chain(managed).chain(skipped).collect()
}

/// `schema public holds 2 views, 1 function`, one line per schema.
fn not_managed_lines(plan: &Plan) -> Vec<String> {
    (plan.not_managed.iter())
        .map(|n| {
            format!(
                "schema {} holds {}",
                quote_ident(&n.schema),
                n.holds.join(", ")
            )
        })
        .collect()
}

/// `table public.alembic_version: owned by Alembic`, one line per bookkeeping table.
fn owned_lines(plan: &Plan) -> Vec<String> {
    (plan.unmanaged.iter())
        .filter_map(|u| {
            let tool = u.owned_by.as_ref()?;
            Some(format!(
                "{} {}: owned by {tool}",
                kind_word(u.kind),
                unmanaged_label(u)
            ))
        })
        .collect()
}

pub fn drift_text(file: &PlanFile, items: &[DriftItem]) -> String {
    let mut out = format!("tableform drift check for {}\n\n", file.database.describe());
    if !file.plan.not_carried.is_empty() {
        out.push_str("Not carried by tableform's model (not drift; the database holds more than the declaration can say):\n");
        for n in &file.plan.not_carried {
            let _ = writeln!(
                out,
                "  {}\n    database: {}\n    modelled: {}",
                n.object, n.live, n.modelled
            );
        }
        out.push('\n');
    }
    if let Some(why) = &file.plan.self_check_skipped {
        let _ = writeln!(out, "{}\n", self_check_skipped(why));
    }
    let not_managed = not_managed_lines(&file.plan);
    if !not_managed.is_empty() {
        out.push_str("Not managed by tableform (not drift; kinds it does not model):\n");
        for line in not_managed {
            let _ = writeln!(out, "  {line}");
        }
        out.push('\n');
    }
    let owned = owned_lines(&file.plan);
    if !owned.is_empty() {
        out.push_str("Owned by migration tools (not drift; never touched):\n");
        for line in owned {
            let _ = writeln!(out, "  {line}");
        }
        out.push('\n');
    }
    if items.is_empty() {
        out.push_str("No drift: the database matches the declaration.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "Drift: {} difference{} between the declaration and the database:\n",
        items.len(),
        if items.len() == 1 { "" } else { "s" }
    );
    for i in items {
        let _ = writeln!(out, "  {} {}: {}", i.kind, i.object, i.description);
    }
    out
}

pub fn drift_json(file: &PlanFile, items: &[DriftItem]) -> String {
    let doc = serde_json::json!({
        "format_version": 1,
        "database": file.database.describe(),
        "drifted": !items.is_empty(),
        "live_fingerprint": file.plan.live_fingerprint,
        "desired_fingerprint": file.plan.desired_fingerprint,
        "items": items,
        "not_managed": file.plan.not_managed,
        "not_carried": file.plan.not_carried,
        "owned_by_tools": (file.plan.unmanaged.iter())
            .filter(|u| u.owned_by.is_some())
            .collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
