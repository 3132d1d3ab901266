//! Reaching a fleet's databases, and applying a fleet plan to them: each target on its own
//! connection, in its own transaction under its own advisory lock, at most `parallel` at once.

use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;
use serde::Serialize;

use super::document::{FleetPlan, Group, Member};
use super::targets::{self, TargetsFile};
use crate::apply::{self, ApplyError, ApplyOptions};
use crate::diff::Options;
use crate::inspect::{self, Target};
use crate::plan::file::DatabaseId;

/// One database of the fleet, or one tenant's schema in a database.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// `host:port/database`, or `host:port/database schema NAME`.
    pub label: String,
    pub target: Target,
    /// A schema per tenant: the tenant's schema, which the declaration's objects go into.
    pub tenant: Option<String>,
}

/// A `[[target]]` entry that could not be expanded (its server is down, its pattern matches
/// nothing).
#[derive(Debug, Clone)]
pub struct Unreached {
    pub label: String,
    pub error: String,
}

/// The schemas of the connected database a `schemas` pattern can match: not PostgreSQL's own.
const TENANT_SCHEMAS: &str = "SELECT nspname::text FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY nspname";

/// The databases every `databases` pattern matches, read from `pg_database` on its server
/// (connectable databases that are not templates), in name order; the schemas every `schemas`
/// pattern matches, read from `pg_namespace`, in name order; the other entries as they are.
pub async fn expand(file: &TargetsFile, parallel: usize) -> (Vec<Resolved>, Vec<Unreached>) {
    let env = |k: &str| std::env::var(k).ok();
    let found: Vec<Result<Vec<Resolved>, Unreached>> = futures_util::stream::iter(&file.entries)
        .map(|e| async move {
            let unreached = |error: String| Unreached {
                label: e.label(),
                error,
            };
            if let Some((pattern, glob)) = &e.schemas {
                let client = e.target.connect().await.map_err(|c| unreached(c.to_string()))?;
                let rows = client.query(TENANT_SCHEMAS, &[]).await.map_err(|q| {
                    unreached(format!("cannot list the schemas: {}", inspect::connect::reason(&q)))
                })?;
                let tenants: Vec<Resolved> = (rows.iter())
                    .map(|r| r.get::<_, String>(0))
                    .filter(|n| glob.matches(n))
                    .map(|n| Resolved {
                        label: targets::tenant_label(&e.target, &n),
                        target: e.target.clone(),
                        tenant: Some(n),
                    })
                    .collect();
                if tenants.is_empty() {
                    return Err(unreached(format!(
                        "schemas = {pattern:?} matches no schema of {}",
                        targets::label(&e.target)
                    )));
                }
                return Ok(tenants);
            }
            let Some((pattern, glob)) = &e.databases else {
                return Ok(vec![Resolved {
                    label: targets::label(&e.target),
                    target: e.target.clone(),
                    tenant: None,
                }]);
            };
            let client = e.target.connect().await.map_err(|c| unreached(c.to_string()))?;
            let rows = client
                .query(
                    "SELECT datname::text FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname",
                    &[],
                )
                .await
                .map_err(|q| unreached(format!("cannot list the databases: {}", inspect::connect::reason(&q))))?;
            let names: Vec<String> = (rows.iter())
                .map(|r| r.get::<_, String>(0))
                .filter(|n| glob.matches(n))
                .collect();
            if names.is_empty() {
                let (host, port) = e.target.host_port();
                return Err(unreached(format!(
                    "databases = {pattern:?} matches no database on {host}:{port}"
                )));
            }
            let mut out = Vec::new();
            for name in names {
                let t = Target::resolve_database(&e.url, &name, &env)
                    .map_err(|c| unreached(c.to_string()))?;
                out.push(Resolved {
                    label: targets::label(&t),
                    target: t,
                    tenant: None,
                });
            }
            Ok(out)
        })
        .buffered(parallel.max(1))
        .collect()
        .await;
    let mut resolved: Vec<Resolved> = Vec::new();
    let mut unreached = Vec::new();
    for f in found {
        match f {
            Ok(list) => {
                for r in list {
                    // Two patterns (or a pattern and a URL) may reach one database: once is enough.
                    if !resolved.iter().any(|x| x.label == r.label) {
                        resolved.push(r);
                    }
                }
            }
            Err(u) => unreached.push(u),
        }
    }
    (resolved, unreached)
}

/// What happened to one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its plan's statements were committed.
    Applied,
    /// Its plan had nothing to do, and its catalog was still the planned one.
    Unchanged,
    /// It changed since the plan was made: nothing was applied to it.
    Stale,
    /// Its plan holds refusals, or it is not in the plan: nothing was applied to it.
    Refused,
    /// Its apply failed (connection, lock, a statement): rolled back, nothing was applied.
    Failed,
    /// Not started: an earlier target failed (or the canaries did), or the run was interrupted.
    NotStarted,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Unchanged => "unchanged",
            Outcome::Stale => "stale",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
            Outcome::NotStarted => "not started",
        }
    }

    pub const ALL: [Outcome; 6] = [
        Outcome::Applied,
        Outcome::Unchanged,
        Outcome::Stale,
        Outcome::Refused,
        Outcome::Failed,
        Outcome::NotStarted,
    ];
}

/// One line of the final report.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub target: String,
    /// The plan (1-based group number) it was to get; none when it is not in the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<usize>,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a fleet apply proceeds.
#[derive(Debug, Clone, Copy)]
pub struct Rollout {
    pub parallel: usize,
    /// Apply this many targets first; stop if any of them fails.
    pub canary: Option<usize>,
    /// Go on past failures (otherwise no new target starts after the first failure).
    pub keep_going: bool,
    pub apply: ApplyOptions,
}

struct Job<'a> {
    index: usize,
    label: String,
    work: Option<(usize, &'a Group, &'a Member, &'a Resolved)>,
}

/// Applies `doc` to the targets, matched by label: every target of the plan and every target
/// reached now has a line in the report, in the order of `targets` (then the plan's targets no
/// longer reached). `stop` (an interrupt) lets running targets stop between statements and
/// starts no other.
pub async fn apply_all(
    doc: &FleetPlan,
    targets: &[Resolved],
    rollout: Rollout,
    stop: &AtomicBool,
) -> Vec<TargetReport> {
    let mut reports = Vec::new();
    let mut jobs: Vec<Job<'_>> = Vec::new();
    let planned: Vec<(usize, &Group, &Member)> = (doc.groups.iter().enumerate())
        .flat_map(|(i, g)| g.targets.iter().map(move |m| (i, g, m)))
        .collect();
    for t in targets {
        match planned.iter().find(|(_, _, m)| m.label == t.label) {
            Some(&(i, g, m)) => jobs.push(Job {
                index: jobs.len(),
                label: t.label.clone(),
                work: Some((i, g, m, t)),
            }),
            None => jobs.push(Job {
                index: jobs.len(),
                label: t.label.clone(),
                work: None,
            }),
        }
    }
    for &(i, _, m) in &planned {
        if !targets.iter().any(|t| t.label == m.label) {
            reports.push(TargetReport {
                target: m.label.clone(),
                plan: Some(i + 1),
                outcome: Outcome::Failed,
                error: Some(
                    "the plan lists this target, but the targets file no longer reaches it; nothing was applied to it".into(),
                ),
            });
        }
    }
    let halt = AtomicBool::new(false);
    let judging = Options {
        allow_destructive: doc.options.allow_destructive,
    };
    let canaries = rollout.canary.unwrap_or(0).min(jobs.len());
    let rest = jobs.split_off(canaries);
    let parallel = rollout.parallel.max(1);
    let mut done: Vec<(usize, TargetReport)> = futures_util::stream::iter(jobs)
        .map(|job| run_job(job, (&halt, stop), (doc, &judging), &rollout))
        .buffer_unordered(parallel)
        .collect()
        .await;
    if done.iter().any(|(_, r)| r.outcome == Outcome::Failed) {
        // The canaries failed: the plan is not trusted on the others.
        halt.store(true, Ordering::SeqCst);
    }
    let more: Vec<(usize, TargetReport)> = futures_util::stream::iter(rest)
        .map(|job| run_job(job, (&halt, stop), (doc, &judging), &rollout))
        .buffer_unordered(parallel)
        .collect()
        .await;
    done.extend(more);
    done.sort_by_key(|(i, _)| *i);
    let mut out: Vec<TargetReport> = done.into_iter().map(|(_, r)| r).collect();
    out.append(&mut reports);
    out
}

async fn run_job(
    job: Job<'_>,
    (halt, stop): (&AtomicBool, &AtomicBool),
    (doc, judging): (&FleetPlan, &Options),
    rollout: &Rollout,
) -> (usize, TargetReport) {
    let Some((i, group, member, resolved)) = job.work else {
        return (
            job.index,
            TargetReport {
                target: job.label,
                plan: None,
                outcome: Outcome::Refused,
                error: Some("not in the plan (a database added since it was made?): plan again; nothing was applied to it".into()),
            },
        );
    };
    let report = |outcome, error| TargetReport {
        target: job.label.clone(),
        plan: Some(i + 1),
        outcome,
        error,
    };
    if halt.load(Ordering::SeqCst) || stop.load(Ordering::SeqCst) {
        return (job.index, report(Outcome::NotStarted, None));
    }
    let target = &resolved.target;
    if resolved.tenant != member.tenant {
        // Only an edited (and re-sealed) file gets here: its label and its schema disagree.
        return (
            job.index,
            report(
                Outcome::Refused,
                Some(format!(
                    "the plan for this target is for schema {}; nothing was applied to it",
                    member
                        .tenant
                        .as_deref()
                        .unwrap_or("public (the whole database)")
                )),
            ),
        );
    }
    let Some(plan) = FleetPlan::plan_of(group, member) else {
        return (
            job.index,
            report(
                Outcome::Failed,
                Some(
                    "its group's plan cannot be put in its schema; nothing was applied to it"
                        .into(),
                ),
            ),
        );
    };
    let scope = doc.scope_of(&plan);
    let (outcome, error) = apply_one(
        &plan,
        member,
        target,
        (&scope, judging),
        &rollout.apply,
        stop,
    )
    .await;
    if outcome == Outcome::Failed && !rollout.keep_going {
        halt.store(true, Ordering::SeqCst);
    }
    (job.index, report(outcome, error))
}

/// One target: connect, make sure it is the database the plan was made for, and apply its
/// group's plan (which re-reads the catalog under the lock: another fingerprint is stale).
async fn apply_one(
    plan: &crate::plan::Plan,
    member: &Member,
    target: &Target,
    (scope, judging): (&crate::model::Scope, &Options),
    opts: &ApplyOptions,
    stop: &AtomicBool,
) -> (Outcome, Option<String>) {
    if plan.has_refusals() {
        return (
            Outcome::Refused,
            Some("its plan holds refusals (see the plan); nothing was applied to it".into()),
        );
    }
    let client = match target.connect().await {
        Ok(c) => c,
        Err(e) => {
            return (
                Outcome::Failed,
                Some(format!("{e}; nothing was applied to it")),
            );
        }
    };
    let connected = match inspect::identity(&client).await {
        Ok(identity) => DatabaseId::at(target.host_port(), identity),
        Err(e) => {
            return (
                Outcome::Failed,
                Some(format!("{e}; nothing was applied to it")),
            );
        }
    };
    if !member.database.same_database(&connected) {
        return (
            Outcome::Refused,
            Some(format!(
                "the plan was made for database \"{}\" on the server with system identifier {}, but {} is database \"{}\" on the server with system identifier {}; nothing was applied to it",
                member.database.name,
                member.database.system_identifier,
                member.label,
                connected.name,
                connected.system_identifier
            )),
        );
    }
    match apply::apply(&client, plan, scope, judging, opts, stop, |_, _| {}).await {
        Ok(()) if plan.steps.is_empty() => (Outcome::Unchanged, None),
        Ok(()) => (Outcome::Applied, None),
        Err(
            e @ (ApplyError::Stale { .. }
            | ApplyError::DataChanged { .. }
            | ApplyError::DataNoLongerHolds(_)),
        ) => (Outcome::Stale, Some(e.to_string())),
        Err(ApplyError::Refused) => (
            Outcome::Refused,
            Some("its plan holds refusals; nothing was applied to it".into()),
        ),
        Err(e) => (Outcome::Failed, Some(e.to_string())),
    }
}
