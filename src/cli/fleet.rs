//! `plan`, `apply` and `drift` with `--targets FILE`: many databases, one declaration.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;

use super::plan::{self, Declared, TargetError, fail, plan_options};
use super::{ApplyArgs, DriftArgs, DriftFormat, Format, PlanArgs, SchemaArgs, Status, output};
use crate::fleet::document::FleetPlan;
use crate::fleet::run::{self, Outcome, Resolved, Rollout, TargetReport, Unreached};
use crate::fleet::targets::{self, TargetsError};
use crate::plan::file::{PlanFile, PlanOptions, Sealed};
use crate::plan::render;

/// Reads the targets file (printing its problems at their places) and reaches its databases.
async fn reach(
    path: &Path,
    parallel: u32,
    no_color: bool,
) -> Result<(Vec<Resolved>, Vec<Unreached>), Status> {
    let file = read_targets(path, no_color)?;
    Ok(run::expand(&file, parallel as usize).await)
}

/// Reads the targets file, printing its problems at their places.
fn read_targets(path: &Path, no_color: bool) -> Result<targets::TargetsFile, Status> {
    let env = |k: &str| std::env::var(k).ok();
    let file = match targets::read(path, &env) {
        Ok(f) => f,
        Err(e @ TargetsError::Io(_)) => return Err(fail(e)),
        Err(
            ref e @ TargetsError::Invalid {
                ref diagnostics,
                ref sources,
                ..
            },
        ) => {
            let color = output::stderr_color(no_color);
            output::eprint(&crate::load::diag::render(diagnostics, sources, color));
            return Err(fail(format!("{e}; nothing was planned or changed")));
        }
    };
    for e in &file.entries {
        for w in &e.target.warnings {
            output::eprint(&format!("{}: {w}\n", e.label()));
        }
    }
    Ok(file)
}

/// Loads the declaration and reaches the targets; the declaration first, so that its problems
/// are reported before anything connects.
async fn declare_and_reach(
    schema: &SchemaArgs,
    path: &Path,
    parallel: u32,
) -> Result<(Declared, Vec<Resolved>, Vec<Unreached>), Status> {
    let file = read_targets(path, schema.no_color)?;
    let tenants = file.entries.iter().any(|e| e.schemas.is_some());
    let declared = plan::declare_keeping(schema, tenants)?;
    let (resolved, unreached) = run::expand(&file, parallel as usize).await;
    Ok((declared, resolved, unreached))
}

/// What one connection plans: a database, or every tenant of one database (read in one pass).
enum Unit<'a> {
    Database(&'a Resolved),
    Tenants(&'a Resolved, Vec<String>),
}

/// Plans every target, at most `parallel` databases at once; in the order of `targets`.
async fn plan_all(
    declared: &Declared,
    targets: &[Resolved],
    dev_url: Option<&str>,
    options: PlanOptions,
    (parallel, strict): (u32, bool),
) -> Vec<(String, Result<PlanFile, String>)> {
    let mut units: Vec<Unit<'_>> = Vec::new();
    for t in targets {
        let Some(tenant) = &t.tenant else {
            units.push(Unit::Database(t));
            continue;
        };
        let same = |u: &Unit<'_>| matches!(u, Unit::Tenants(first, _) if targets::label(&first.target) == targets::label(&t.target));
        match units.iter_mut().find(|u| same(u)) {
            Some(Unit::Tenants(_, list)) => list.push(tenant.clone()),
            _ => units.push(Unit::Tenants(t, vec![tenant.clone()])),
        }
    }
    let strict_check = |file: PlanFile| -> Result<PlanFile, String> {
        let findings = render::strict_findings(&file.plan);
        if strict && !findings.is_empty() {
            return Err(format!(
                "--strict: the database holds what tableform does not carry or manage: {}",
                findings.join("; ")
            ));
        }
        Ok(file)
    };
    let planned: Vec<Vec<(String, Result<PlanFile, String>)>> = futures_util::stream::iter(units)
        .map(|unit| async move {
            match unit {
                Unit::Database(t) => {
                    let planned = async {
                        let client = t.target.connect().await.map_err(|e| e.to_string())?;
                        let planned = plan::plan_target(
                            (declared, declared.schema.clone()),
                            (t.target.clone(), client, None),
                            dev_url,
                            options,
                            None,
                        )
                        .await
                        .map_err(|e| target_error(declared, e))?;
                        strict_check(planned.file)
                    };
                    vec![(t.label.clone(), planned.await)]
                }
                Unit::Tenants(first, tenants) => {
                    let label = |n: &str| targets::tenant_label(&first.target, n);
                    match plan::plan_tenants(declared, &first.target, &tenants, dev_url, options)
                        .await
                    {
                        Ok(files) => (tenants.iter().zip(files))
                            .map(|(n, f)| {
                                let f = f.map_err(|e| target_error(declared, e));
                                (label(n), f.and_then(strict_check))
                            })
                            .collect(),
                        Err(e) => {
                            let e = target_error(declared, e);
                            (tenants.iter())
                                .map(|n| (label(n), Err(e.clone())))
                                .collect()
                        }
                    }
                }
            }
        })
        .buffered(parallel.max(1) as usize)
        .collect()
        .await;
    let mut planned: Vec<(String, Result<PlanFile, String>)> =
        planned.into_iter().flatten().collect();
    // In the order of `targets` (tenants of one database were planned together).
    let order = |label: &str| targets.iter().position(|t| t.label == label);
    planned.sort_by_key(|(label, _)| order(label));
    planned
}

fn target_error(declared: &Declared, e: TargetError) -> String {
    match e {
        TargetError::Message(m) => m,
        TargetError::MissingRoles(d) => {
            let places: Vec<String> = (d.iter())
                .map(|d| {
                    let (l, c) = declared.sources.line_col(d.loc.file, d.loc.span.start);
                    let file = declared.sources.files[d.loc.file].0.display();
                    format!("{} ({file}:{l}:{c})", d.message)
                })
                .collect();
            places.join("; ")
        }
    }
}

/// Load, reach and plan: the fleet plan, or the status after printing why not.
async fn make_fleet_plan(
    schema: &SchemaArgs,
    o: &super::PlanOpts,
    path: &Path,
    options: PlanOptions,
) -> Result<(FleetPlan, Vec<Resolved>), Status> {
    let (declared, resolved, unreached) = declare_and_reach(schema, path, o.fleet.parallel).await?;
    let planned = plan_all(
        &declared,
        &resolved,
        o.conn.dev_url.as_deref(),
        options,
        (o.fleet.parallel, o.strict),
    )
    .await;
    let mut failures: Vec<(String, String)> = (unreached.into_iter())
        .map(|u| (u.label, u.error))
        .collect();
    let mut ok = Vec::new();
    for (label, r) in planned {
        match r {
            Ok(f) => ok.push((label, f)),
            Err(e) => failures.push((label, e)),
        }
    }
    if !failures.is_empty() {
        let mut msg = format!(
            "{} of the fleet's targets could not be planned; nothing was written or changed:",
            failures.len()
        );
        for (label, e) in &failures {
            let _ = write!(msg, "\n  {label}: {}", e.replace('\n', "\n    "));
        }
        return Err(fail(msg));
    }
    let doc = FleetPlan::new(ok, &declared.scope, options, declared.fingerprint.clone());
    Ok((doc, resolved))
}

/// The fleet plan as text: each distinct plan once, with the targets it is for.
fn text(doc: &FleetPlan, color: bool) -> String {
    let n = doc.groups.len();
    let mut out = format!(
        "tableform plan for {} target{}: {n} distinct plan{}\n",
        doc.target_count(),
        if doc.target_count() == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" }
    );
    for (i, g) in doc.groups.iter().enumerate() {
        let k = g.targets.len();
        let _ = writeln!(
            out,
            "\n=== Plan {} of {n}, for {k} target{}:",
            i + 1,
            if k == 1 { "" } else { "s" }
        );
        for m in &g.targets {
            let _ = writeln!(out, "  {}", m.label);
        }
        if let (Some(tenant), true) = (&g.plan.tenant, k > 1) {
            let _ = writeln!(
                out,
                "  (shown for schema {tenant}: each tenant's plan is this one in its own schema)"
            );
        }
        out.push('\n');
        let single = render::text(&doc.single(g, &g.targets[0]), color);
        // Without its first line ("tableform plan for <one database>"): the targets are above.
        out.push_str(
            single
                .split_once("\n\n")
                .map_or(single.as_str(), |(_, body)| body),
        );
    }
    let count = |f: &dyn Fn(&crate::plan::Plan) -> bool| -> usize {
        (doc.groups.iter())
            .filter(|g| f(&g.plan))
            .map(|g| g.targets.len())
            .sum()
    };
    let _ = writeln!(
        out,
        "\nFleet: {} with changes, {} with nothing to do, {} refused.",
        count(&|p| p.has_changes() && !p.has_refusals()),
        count(&|p| !p.has_changes() && !p.has_refusals()),
        count(&|p| p.has_refusals()),
    );
    out
}

pub async fn plan(args: &PlanArgs, path: &Path) -> Status {
    let o = &args.opts;
    if args.rehearse {
        return fail(
            "--rehearse is not available with --targets: rehearse one database of each plan with `tableform plan --rehearse --database-url URL`; nothing was planned",
        );
    }
    if matches!(args.format, Format::Markdown | Format::Sql) {
        return fail("with --targets, --format is text or json; nothing was planned");
    }
    let (mut doc, _) = match make_fleet_plan(&o.schema, o, path, plan_options(o)).await {
        Ok(d) => d,
        Err(s) => return s,
    };
    if let Some(key) = plan::plan_key() {
        doc.sign(&key);
    }
    if let Some(out) = &args.out
        && let Err(e) = super::plan::write_plan(out, &doc.to_json())
    {
        return fail(format!("cannot write the plan to {}: {e}", out.display()));
    }
    match args.format {
        Format::Json => output::print(&doc.to_json()),
        _ => {
            output::print(&text(&doc, output::stdout_color(o.schema.no_color)));
            if let Some(out) = &args.out {
                output::print(&format!(
                    "\nSaved the fleet plan to {}. Apply exactly these plans with: tableform apply --targets {} {}\n",
                    out.display(),
                    path.display(),
                    out.display()
                ));
            }
        }
    }
    if doc.has_refusals() {
        Status::Refused
    } else if args.detailed_exitcode && doc.has_changes() {
        Status::Changes
    } else {
        Status::Ok
    }
}

pub async fn apply(args: &ApplyArgs, path: &Path) -> Status {
    let o = &args.opts;
    if args.rehearse {
        return fail("--rehearse is not available with --targets; nothing was changed");
    }
    let json = args.format == DriftFormat::Json;
    let (doc, resolved) = match &args.file {
        Some(file) => {
            if o.schema.schema.is_some() || o.prune || o.allow_destructive {
                return fail(
                    "a saved plan carries its own schema and options: pass PLAN_FILE alone, without --schema, --prune or --allow-destructive",
                );
            }
            let mut doc = match FleetPlan::read(file) {
                Ok(d) => d,
                Err(e) => return fail(format!("{}: {e}", file.display())),
            };
            if let Some(key) = plan::plan_key()
                && let Err(e) = doc.verify_signature(&key)
            {
                return fail(format!("{}: {e}", file.display()));
            }
            let (resolved, unreached) = match reach(path, o.fleet.parallel, o.schema.no_color).await
            {
                Ok(r) => r,
                Err(s) => return s,
            };
            if !unreached.is_empty() {
                let mut msg = String::from(
                    "the targets file's patterns could not be expanded; nothing was changed:",
                );
                for u in &unreached {
                    let _ = write!(msg, "\n  {}: {}", u.label, u.error);
                }
                return fail(msg);
            }
            (doc, resolved)
        }
        None => {
            let (doc, resolved) = match make_fleet_plan(&o.schema, o, path, plan_options(o)).await {
                Ok(d) => d,
                Err(s) => return s,
            };
            let shown = text(&doc, output::stdout_color(o.schema.no_color));
            if json {
                output::eprint(&shown);
            } else {
                output::print(&shown);
            }
            if !doc.has_changes() && !doc.has_refusals() {
                let msg = "Nothing to apply: every target matches the declaration.\n";
                if json {
                    output::eprint(msg);
                } else {
                    output::print(msg);
                }
                // Still each target's report: nothing to do is checked under the lock too.
            }
            if doc.has_changes() && !args.auto_approve && !super::apply::confirm() {
                output::error("apply cancelled; nothing was changed");
                return Status::Error;
            }
            (doc, resolved)
        }
    };
    let rollout = Rollout {
        parallel: o.fleet.parallel as usize,
        canary: args.canary,
        keep_going: args.keep_going,
        apply: crate::apply::ApplyOptions {
            concurrent_indexes: args.concurrent_indexes,
            ..super::apply::apply_options(&args.lock)
        },
    };
    let stop = AtomicBool::new(false);
    let work = run::apply_all(&doc, &resolved, rollout, &stop);
    tokio::pin!(work);
    let reports = tokio::select! {
        r = &mut work => r,
        _ = super::apply::interrupted() => {
            // Start no other target; running ones stop between statements and roll back.
            stop.store(true, Ordering::SeqCst);
            output::error("interrupted: no new target starts; running ones stop at their next statement");
            work.await
        }
    };
    output::print(&if json {
        report_json(&reports)
    } else {
        report_text(&reports)
    });
    apply_status(&reports)
}

fn apply_status(reports: &[TargetReport]) -> Status {
    let any = |o: Outcome| reports.iter().any(|r| r.outcome == o);
    if any(Outcome::Failed) || any(Outcome::Stale) || any(Outcome::NotStarted) {
        Status::Error
    } else if any(Outcome::Refused) {
        Status::Refused
    } else {
        Status::Ok
    }
}

fn counts(reports: &[TargetReport]) -> Vec<(Outcome, usize)> {
    (Outcome::ALL.iter())
        .map(|&o| (o, reports.iter().filter(|r| r.outcome == o).count()))
        .collect()
}

fn report_text(reports: &[TargetReport]) -> String {
    let line: Vec<String> = (counts(reports).iter())
        .map(|(o, n)| format!("{n} {}", o.word()))
        .collect();
    let mut out = format!("\nFleet apply: {}.\n", line.join(", "));
    for r in reports {
        let plan = r.plan.map(|p| format!(" (plan {p})")).unwrap_or_default();
        let _ = writeln!(out, "  {:<11} {}{plan}", r.outcome.word(), r.target);
        if let Some(e) = &r.error {
            let _ = writeln!(out, "      {}", e.replace('\n', "\n      "));
        }
    }
    out
}

fn report_json(reports: &[TargetReport]) -> String {
    let counts: serde_json::Map<String, serde_json::Value> = (counts(reports).into_iter())
        .map(|(o, n)| (o.word().replace(' ', "_"), n.into()))
        .collect();
    let doc = serde_json::json!({
        "format_version": 1,
        "ok": apply_status(reports) == Status::Ok,
        "counts": counts,
        "targets": reports,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

pub async fn drift(args: &DriftArgs, path: &Path) -> Status {
    let (declared, resolved, unreached) =
        match declare_and_reach(&args.schema, path, args.fleet.parallel).await {
            Ok(r) => r,
            Err(s) => return s,
        };
    let planned = plan_all(
        &declared,
        &resolved,
        args.conn.dev_url.as_deref(),
        PlanOptions::default(),
        (args.fleet.parallel, args.strict),
    )
    .await;
    #[derive(serde::Serialize)]
    struct Line {
        target: String,
        status: &'static str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        items: Vec<render::DriftItem>,
        #[serde(skip_serializing_if = "Option::is_none")]
        live_fingerprint: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    }
    let mut lines: Vec<Line> = Vec::new();
    for (label, r) in planned {
        lines.push(match r {
            Ok(f) => {
                let items = render::drift_items(&f.plan);
                Line {
                    target: label,
                    status: if items.is_empty() { "ok" } else { "drifted" },
                    items,
                    live_fingerprint: Some(f.plan.live_fingerprint.clone()),
                    error: None,
                }
            }
            Err(e) => Line {
                target: label,
                status: "error",
                items: Vec::new(),
                live_fingerprint: None,
                error: Some(e),
            },
        });
    }
    for u in unreached {
        lines.push(Line {
            target: u.label,
            status: "error",
            items: Vec::new(),
            live_fingerprint: None,
            error: Some(u.error),
        });
    }
    let n = |s: &str| lines.iter().filter(|l| l.status == s).count();
    let (ok, drifted, errors) = (n("ok"), n("drifted"), n("error"));
    match args.format {
        DriftFormat::Json => {
            let doc = serde_json::json!({
                "format_version": 1,
                "drifted": drifted > 0,
                "counts": {"ok": ok, "drifted": drifted, "error": errors},
                "targets": lines,
            });
            output::print(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"));
        }
        DriftFormat::Text => {
            let mut out = format!(
                "tableform drift check for {} targets: {drifted} drifted, {ok} matching, {errors} not checked\n",
                lines.len()
            );
            for l in &lines {
                let _ = writeln!(out, "\n  {} {}", l.status, l.target);
                for i in &l.items {
                    let _ = writeln!(out, "      {} {}: {}", i.kind, i.object, i.description);
                }
                if let Some(e) = &l.error {
                    let _ = writeln!(out, "      {}", e.replace('\n', "\n      "));
                }
            }
            output::print(&out);
        }
    }
    if errors > 0 {
        Status::Error
    } else if drifted > 0 {
        Status::Changes
    } else {
        Status::Ok
    }
}
