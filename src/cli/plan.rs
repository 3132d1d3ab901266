//! `tableform plan`, and the planning that `apply` and `drift` share.

use std::collections::BTreeSet;

use tokio_postgres::Client;

use super::{ConnArgs, Format, PlanArgs, PlanOpts, SchemaArgs, Status, output, validate};
use crate::diff::{self, Options};
use crate::inspect::{self, Target};
use crate::load::Settings;
use crate::model::{self, Scope};
use crate::plan::file::{DatabaseId, PLAN_KEY_ENV, PlanFile, PlanOptions, Sealed};
use crate::plan::{Plan, render};

/// A plan document and the connection it was computed on.
pub struct Planned {
    pub file: PlanFile,
    /// The declaration, with the server's spellings of its expressions (for a rehearsal's
    /// second diff).
    pub desired: model::Schema,
    pub client: Client,
    pub target: Target,
    pub scope: Scope,
}

pub fn fail(e: impl std::fmt::Display) -> Status {
    output::error(&e.to_string());
    Status::Error
}

pub async fn connect(conn: &ConnArgs) -> Result<(Target, Client), Status> {
    let env = |k: &str| std::env::var(k).ok();
    let target = Target::resolve(conn.database_url.as_deref(), &env).map_err(fail)?;
    (target.warnings.iter()).for_each(|w| output::eprint(&format!("{w}\n")));
    let client = target.connect().await.map_err(fail)?;
    Ok((target, client))
}

/// Load, connect, inspect, diff and judge. Errors are printed here; `Err` carries the status.
pub async fn make_plan(
    schema: &SchemaArgs,
    conn: &ConnArgs,
    options: PlanOptions,
) -> Result<Planned, Status> {
    let activity = output::Activity::start("planning");
    activity.stage("loading the schema files");
    let mut declared = declare(schema)?;
    activity.stage("connecting");
    let (target, client) = connect(conn).await?;
    // A second connection reads half of the catalog beside the first (without one, the first
    // reads it all).
    let helper = target.connect().await.ok();
    // One target: its plan takes the declaration itself rather than a copy of every table.
    let desired = std::mem::take(&mut declared.schema);
    plan_target(
        (&declared, desired),
        (target, client, helper),
        conn.dev_url.as_deref(),
        options,
        Some(&activity),
    )
    .await
    .map_err(|e| match e {
        TargetError::Message(m) => fail(m),
        TargetError::MissingRoles(d) => report_missing_roles(schema, &declared, &d),
    })
}

/// The declaration, loaded once and made ready to plan against any number of databases.
pub struct Declared {
    /// The declaration with the scope's ignore patterns applied.
    pub schema: model::Schema,
    pub settings: Settings,
    pub sources: crate::load::Sources,
    pub scope: Scope,
    /// Fingerprint of `schema` before the server's spellings are read.
    pub fingerprint: String,
    /// Every declared expression, to check that the server reads each as one expression.
    pub expressions: Vec<(String, String)>,
    /// Kept for a fleet with a schema per tenant: each tenant's copy is resolved from them.
    pub declarations: Option<crate::load::Declarations>,
}

/// Loads the schema files (printing their problems) and computes what every target's plan shares.
pub fn declare(schema: &SchemaArgs) -> Result<Declared, Status> {
    declare_keeping(schema, false)
}

/// [`declare`]; with `tenants`, keeping the declarations to make each tenant's copy from.
pub fn declare_keeping(schema: &SchemaArgs, tenants: bool) -> Result<Declared, Status> {
    let loaded = validate::load_or_report(schema).ok_or(Status::Error)?;
    let mut desired = loaded.schema;
    let expressions: Vec<(String, String)> = (desired.tables.values())
        .flat_map(|t| {
            let name = &t.name;
            t.expressions()
                .into_iter()
                .map(move |(place, e)| (format!("table {name}, {place}"), e.sql.clone()))
        })
        // `backfill` and `using` expressions, which the steps may carry too.
        .chain((desired.upgrade_expressions().into_iter()).map(|(place, e)| (place, e.sql.clone())))
        .collect();
    let scope = scope(&desired, &loaded.settings);
    scope.hide(&mut desired);
    let fingerprint = model::fingerprint(&desired);
    Ok(Declared {
        schema: desired,
        settings: loaded.settings,
        sources: loaded.sources,
        scope,
        fingerprint,
        expressions,
        declarations: tenants.then_some(loaded.declarations),
    })
}

/// Why planning one target failed, for the caller to print (one database) or collect (a fleet).
#[derive(Debug)]
pub enum TargetError {
    Message(String),
    /// Roles the declaration names that the target's server does not have, at their places.
    MissingRoles(Vec<crate::load::Diagnostic>),
}

impl<E: std::fmt::Display> From<E> for TargetError {
    fn from(e: E) -> Self {
        TargetError::Message(e.to_string())
    }
}

/// Guard, inspect, probe, self-check, diff, facts and build the plan of `desired` (the
/// declaration's schema, or a copy of it), on one connected target. Prints nothing; `activity`
/// (when given) is told the stages.
pub async fn plan_target(
    (declared, desired): (&Declared, model::Schema),
    (target, mut client, helper): (Target, Client, Option<Client>),
    dev_url: Option<&str>,
    options: PlanOptions,
    activity: Option<&output::Activity>,
) -> Result<Planned, TargetError> {
    let stage = |s: &str| {
        if let Some(a) = activity {
            a.stage(s);
        }
    };
    guard(declared, &client).await?;
    let scope = declared.scope.clone();
    stage("reading the catalog");
    let mut live = match &helper {
        Some(helper) => inspect::inspect_shared(&client, helper, &scope.schemas).await?,
        None => inspect::inspect_spelled(&client, &scope.schemas).await?,
    };
    drop(helper);
    scope.hide(&mut live.schema);
    let missing = missing_roles(&declared.settings, &live.schema);
    if !missing.is_empty() {
        return Err(TargetError::MissingRoles(missing));
    }
    // Never fatal: a check that cannot run is reported as skipped, with the reason.
    stage("the self-check");
    let check = self_check(&mut client, &mut live).await;
    let read = live.queries + check.queries;
    let (file, desired, spent) = plan_seen(
        (desired, declared.fingerprint.clone(), &scope),
        (&target, &mut client),
        (live, check),
        dev_url,
        options,
        &stage,
    )
    .await?;
    report_queries(read + spent);
    Ok(Planned {
        file,
        desired,
        client,
        target,
        scope,
    })
}

/// A database with a schema per tenant: the catalog of every tenant in `tenants` read once (the
/// catalog queries read all the schemas in scope at once) and the self-check run once, then each
/// tenant planned on its part of it, with its own copy of the declaration. The plans are in the
/// order of `tenants`; an `Err` is what no tenant could be planned for.
pub async fn plan_tenants(
    declared: &Declared,
    target: &Target,
    tenants: &[String],
    dev_url: Option<&str>,
    options: PlanOptions,
) -> Result<Vec<Result<PlanFile, TargetError>>, TargetError> {
    let Some(declarations) = &declared.declarations else {
        return Err(TargetError::Message(
            "the declaration was loaded without what a tenant's copy is made from".into(),
        ));
    };
    tenant_rules(declared)?;
    let mut client = target.connect().await?;
    guard(declared, &client).await?;
    let all = Scope {
        schemas: tenants.iter().cloned().collect(),
        ..declared.scope.clone()
    };
    let mut live = inspect::inspect_spelled(&client, &all.schemas).await?;
    all.hide(&mut live.schema);
    let missing = missing_roles(&declared.settings, &live.schema);
    if !missing.is_empty() {
        return Err(TargetError::MissingRoles(missing));
    }
    let check = self_check(&mut client, &mut live).await;
    let mut queries = live.queries + check.queries;
    let mut compared = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        let scope = Scope {
            schemas: [tenant.clone()].into(),
            ..declared.scope.clone()
        };
        let own = |list: &[model::NotCarried]| -> Vec<model::NotCarried> {
            (list.iter())
                .filter(|n| n.table.schema == *tenant)
                .cloned()
                .collect()
        };
        let seen = inspect::Live {
            schema: live.schema.only_schema(tenant),
            not_carried: own(&live.not_carried),
            queries: 0,
            server_version: live.server_version.clone(),
            system_identifier: live.system_identifier.clone(),
            database: live.database.clone(),
            spellings: Default::default(),
        };
        let checked = inspect::selfcheck::SelfCheck {
            not_carried: own(&check.not_carried),
            queries: 0,
            skipped: check.skipped.clone(),
        };
        let one = async {
            let mut desired = tenant_copy(declarations, tenant)?;
            scope.hide(&mut desired);
            let fp = model::fingerprint(&desired);
            compare(
                (desired, fp),
                &mut client,
                (seen, checked),
                dev_url,
                options,
                &|_| {},
            )
            .await
        };
        let one = one.await;
        if let Ok(c) = &one {
            queries += c.spent;
        }
        compared.push((scope, one));
    }
    // The data questions of every tenant in one round trip (each names its tenant's tables).
    let questions: Vec<diff::Question> = (compared.iter())
        .filter_map(|(_, c)| c.as_ref().ok())
        .flat_map(|c| c.questions.iter().cloned())
        .collect();
    let facts = inspect::facts(&client, &questions).await?;
    queries += usize::from(!questions.is_empty());
    report_queries(queries);
    Ok((compared.into_iter())
        .map(|(scope, c)| c.map(|c| c.finish(&facts, target, &scope, options).0))
        .collect())
}

/// What a declaration copied into every tenant's schema may not hold: what belongs to the whole
/// database, or names schemas of its own.
fn tenant_rules(declared: &Declared) -> Result<(), TargetError> {
    let why = |what: String| {
        TargetError::Message(format!(
            "{what}; with `schemas` in the targets file, the declaration is copied into each tenant's schema, and may hold only what belongs in one; nothing was planned"
        ))
    };
    if let Some(list) = &declared.settings.schemas {
        return Err(why(format!("[settings] schemas lists {}", list.join(", "))));
    }
    if !declared.schema.extensions.is_empty() {
        let names: Vec<&str> = declared
            .schema
            .extensions
            .keys()
            .map(String::as_str)
            .collect();
        return Err(why(format!(
            "the declaration holds extensions ({}), which belong to the whole database: declare them for the database itself",
            names.join(", ")
        )));
    }
    if (declared.schema.privileges.defaults.iter()).any(|(k, _)| k.schema.is_none()) {
        return Err(why(
            "the declaration holds default privileges for every schema, which belong to the whole database: give them `schema`".into(),
        ));
    }
    Ok(())
}

/// The declaration as `tenant`'s: every object in its schema.
fn tenant_copy(
    declarations: &crate::load::Declarations,
    tenant: &str,
) -> Result<model::Schema, TargetError> {
    let (schema, _) = declarations.in_schema(tenant).map_err(|d| {
        let first = d.first().map_or(String::new(), |d| d.message.clone());
        TargetError::Message(format!(
            "the declaration cannot be copied into schema {tenant}: {first}"
        ))
    })?;
    let others: Vec<&str> = (schema.schemas.iter())
        .filter(|s| *s != tenant)
        .map(String::as_str)
        .collect();
    if !others.is_empty() {
        return Err(TargetError::Message(format!(
            "the declaration puts objects in schema {} (with `schema =`, a `[schema.NAME]` section or a qualified name): with `schemas` in the targets file, every object goes into each tenant's schema, so leave the schema out; nothing was planned",
            others.join(", ")
        )));
    }
    Ok(schema)
}

/// The server reads each declared expression as one expression (before any is sent otherwise).
async fn guard(declared: &Declared, client: &Client) -> Result<(), TargetError> {
    let exprs: Vec<(String, &str)> = (declared.expressions.iter())
        .map(|(place, e)| (place.clone(), e.as_str()))
        .collect();
    Ok(inspect::guard::one_expression_each(client, &exprs).await?)
}

/// The self-check of `live`, on the spellings read with it (which are then let go); never fatal:
/// a check that cannot run is reported as skipped, with the reason.
async fn self_check(
    client: &mut Client,
    live: &mut inspect::Live,
) -> inspect::selfcheck::SelfCheck {
    let spelled = std::mem::take(&mut live.spellings);
    inspect::selfcheck::run(client, &live.schema, &spelled)
        .await
        .unwrap_or_else(|e| inspect::selfcheck::SelfCheck {
            skipped: Some(e.to_string()),
            ..Default::default()
        })
}

/// After the catalog was read and checked: probe, diff, facts and build the plan of `desired`
/// (with its fingerprint) against `live`, as seen through `scope`. Returns the plan document, the
/// declaration with the server's spellings, and the round trips taken.
async fn plan_seen(
    declared: (model::Schema, String, &Scope),
    (target, client): (&Target, &mut Client),
    seen: (inspect::Live, inspect::selfcheck::SelfCheck),
    dev_url: Option<&str>,
    options: PlanOptions,
    stage: &dyn Fn(&str),
) -> Result<(PlanFile, model::Schema, usize), TargetError> {
    let scope = declared.2;
    let compared = compare(
        (declared.0, declared.1),
        client,
        seen,
        dev_url,
        options,
        stage,
    )
    .await?;
    stage("counting the rows the verdicts depend on");
    let facts = inspect::facts(client, &compared.questions).await?;
    let spent = compared.spent + usize::from(!compared.questions.is_empty());
    stage("building the plan");
    let (file, desired) = compared.finish(&facts, target, scope, options);
    Ok((file, desired, spent))
}

/// A target compared with its declaration, before the data its verdicts rest on is asked.
struct Compared {
    desired: model::Schema,
    desired_fp: String,
    live: inspect::Live,
    check: inspect::selfcheck::SelfCheck,
    /// The live schema with the declared serials adopted, when any are.
    adopted: Option<model::Schema>,
    diff: diff::Diff,
    questions: Vec<diff::Question>,
    /// Round trips taken (the catalog read's not counted).
    spent: usize,
}

/// Probe, read the sequence positions needed, adopt serials and diff.
async fn compare(
    (mut desired, desired_fp): (model::Schema, String),
    client: &mut Client,
    (mut live, check): (inspect::Live, inspect::selfcheck::SelfCheck),
    dev_url: Option<&str>,
    options: PlanOptions,
    stage: &dyn Fn(&str),
) -> Result<Compared, TargetError> {
    stage("having the server read the declared expressions");
    let probed = match dev_url {
        Some(url) => {
            let env = |k: &str| std::env::var(k).ok();
            let dev = Target::resolve(Some(url), &env)
                .map_err(|e| TargetError::Message(format!("--dev-url: {e}")))?;
            let mut dev = dev
                .connect()
                .await
                .map_err(|e| TargetError::Message(format!("--dev-url: {e}")))?;
            inspect::reconcile(
                &mut dev,
                &mut desired,
                &live.schema,
                inspect::ProbeOn::Scratch,
            )
            .await
        }
        None => {
            inspect::reconcile(
                client,
                &mut desired,
                &live.schema,
                inspect::ProbeOn::Database,
            )
            .await
        }
    }?;
    // Views are compared on the database itself: a scratch server (`--dev-url`) lacks the
    // tables their queries read. With one, a declared view is compared by its text alone.
    let probed = probed
        + match dev_url {
            Some(_) => 0,
            None => inspect::reconcile_views(client, &mut desired, &live.schema).await?,
        };
    // The diff adopts serials itself; the plan's rendering of the live tables needs the same
    // view (a declared serial shown as `serial`, not as its nextval() default).
    // Only the sequences whose bounds change are read: reading one locks it.
    let positions = inspect::sequence_positions(client, &desired, &mut live.schema).await?;
    let adopted = diff::adopt_serials(&desired, &live.schema);
    stage("comparing");
    let d = diff::diff(
        &desired,
        adopted.as_ref().unwrap_or(&live.schema),
        options.prune,
    );
    let questions = d.questions();
    Ok(Compared {
        desired,
        desired_fp,
        live,
        check,
        adopted,
        diff: d,
        questions,
        spent: probed + positions,
    })
}

impl Compared {
    /// Judges the changes on `facts` (which hold the answers to `questions`) and builds the plan
    /// document; with the declaration as the server spells it.
    fn finish(
        mut self,
        facts: &diff::Facts,
        target: &Target,
        scope: &Scope,
        options: PlanOptions,
    ) -> (PlanFile, model::Schema) {
        let judge = Options {
            allow_destructive: options.allow_destructive,
        };
        let live = &mut self.live;
        let fps = (model::fingerprint(&live.schema), self.desired_fp);
        let seen = self.adopted.as_ref().unwrap_or(&live.schema);
        let mut plan = Plan::build((&self.desired, seen), &self.diff, facts, &judge, fps);
        let mut not_carried = std::mem::take(&mut live.not_carried);
        not_carried.append(&mut self.check.not_carried);
        plan.protect(not_carried);
        plan.self_check_skipped = self.check.skipped;
        let (host, port) = target.host_port();
        let database = DatabaseId {
            host,
            port,
            name: live.database.clone(),
            system_identifier: live.system_identifier.clone(),
        };
        let file = PlanFile::new(plan, live.server_version.clone(), database, scope, options);
        (file, self.desired)
    }
}

/// For the benchmark (`TABLEFORM_STATS`): the round trips one plan (or one database's tenants)
/// took to read the catalog and the data.
fn report_queries(queries: usize) {
    if std::env::var_os("TABLEFORM_STATS").is_some() {
        output::eprint(&format!("stats: catalog_queries={queries}\n"));
    }
}

/// `--strict`: anything the plan would only note (not carried, not managed, not checked) is an
/// error, and `done` says what did not happen because of it.
pub fn strict_gate(strict: bool, plan: &Plan, done: &str) -> Result<(), Status> {
    let findings = render::strict_findings(plan);
    if !strict || findings.is_empty() {
        return Ok(());
    }
    let mut msg =
        format!("--strict: the database holds what tableform does not carry or manage; {done}:");
    for f in findings {
        msg.push_str("\n  ");
        msg.push_str(&f);
    }
    msg.push_str(
        "\n  (without --strict these are notes; [settings] ignore hides tables, indexes, constraints and columns)",
    );
    output::error(&msg);
    Err(Status::Error)
}

/// `--rehearse`: runs the plan's steps and rolls back, and records what it found in the plan
/// document. `None` when there is nothing to rehearse (no steps, or refusals: the plan says so).
pub async fn rehearse(
    planned: &mut Planned,
    lock: &super::LockArgs,
) -> Result<Option<crate::plan::rehearsal::Rehearsal>, Status> {
    let plan = &planned.file.plan;
    if plan.steps.is_empty() || plan.has_refusals() {
        return Ok(None);
    }
    let judging = Options {
        allow_destructive: planned.file.options.allow_destructive,
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let r = crate::apply::rehearse::rehearse(
        &planned.client,
        plan,
        &planned.desired,
        (&planned.scope, &judging, planned.file.options.prune),
        &super::apply::apply_options(lock),
        &stop,
    )
    .await
    .map_err(|e| fail(format!("the rehearsal stopped: {e}; nothing was changed")))?;
    planned.file.record_rehearsal(r.clone());
    Ok(Some(r))
}

/// Every role the declaration names must exist: roles are cluster-wide and tableform never
/// creates them. A missing one is an error at the place that names it.
pub fn missing_roles(settings: &Settings, live: &model::Schema) -> Vec<crate::load::Diagnostic> {
    use crate::load::Diagnostic;
    (settings.role_refs.iter())
        .filter(|r| r.value != "public" && !live.roles.contains(&r.value))
        .map(|r| {
            Diagnostic::new(
                r.loc.clone(),
                format!("role `{}` does not exist on this server", r.value),
            )
            .label("no such role")
            .hint("roles belong to the whole cluster and tableform never creates them: create it first (CREATE ROLE), or take it out of the declaration")
        })
        .collect()
}

/// Prints the missing roles at their places, and the summary error.
fn report_missing_roles(
    args: &SchemaArgs,
    declared: &Declared,
    diagnostics: &[crate::load::Diagnostic],
) -> Status {
    let color = output::stderr_color(args.no_color);
    output::eprint(&crate::load::diag::render(
        diagnostics,
        &declared.sources,
        color,
    ));
    let n = diagnostics.len();
    output::error(&format!(
        "the declaration names {n} role{} this server does not have; nothing was planned or changed",
        if n == 1 { "" } else { "s" }
    ));
    Status::Error
}

/// The managed schemas: those the settings list (or `public`), plus every schema the declaration
/// uses; and the ignore patterns.
fn scope(desired: &model::Schema, settings: &Settings) -> Scope {
    let mut schemas: BTreeSet<String> = match &settings.schemas {
        Some(list) => list.iter().cloned().collect(),
        None => BTreeSet::from(["public".to_string()]),
    };
    schemas.extend(desired.schemas.iter().cloned());
    Scope {
        schemas,
        ignore: settings.ignore.clone(),
        privileges: !desired.privileges.is_empty(),
    }
}

/// The plan signing key, when `TABLEFORM_PLAN_KEY` is set and not empty.
pub fn plan_key() -> Option<Vec<u8>> {
    std::env::var_os(PLAN_KEY_ENV)
        .filter(|k| !k.is_empty())
        .map(|k| k.into_encoded_bytes())
}

pub fn plan_options(opts: &PlanOpts) -> PlanOptions {
    PlanOptions {
        allow_destructive: opts.allow_destructive,
        prune: opts.prune,
    }
}

/// Renders a plan document in the requested format.
pub fn render(file: &PlanFile, format: Format, no_color: bool) -> String {
    match format {
        Format::Text => render::text(file, output::stdout_color(no_color)),
        Format::Json => file.to_json(),
        Format::Markdown => render::markdown(file),
        Format::Sql => render::sql_script(&file.plan),
    }
}

pub async fn run(args: &PlanArgs) -> Status {
    if let Some(path) = &args.opts.fleet.targets {
        return super::fleet::plan(args, path).await;
    }
    let o = &args.opts;
    let mut planned = match make_plan(&o.schema, &o.conn, plan_options(o)).await {
        Ok(p) => p,
        Err(s) => return s,
    };
    let done = if args.out.is_some() {
        "no plan was written or saved"
    } else {
        "no plan was written"
    };
    if let Err(s) = strict_gate(o.strict, &planned.file.plan, done) {
        return s;
    }
    let rehearsal = if args.rehearse {
        match rehearse(&mut planned, &args.lock).await {
            Ok(r) => r,
            Err(s) => return s,
        }
    } else {
        None
    };
    // Signed whenever there is a key, so that `--format json` stays the file, byte for byte.
    if let Some(key) = plan_key() {
        planned.file.sign(&key);
    }
    let file = &planned.file;
    if let Some(path) = &args.out
        && let Err(e) = write_plan(path, &file.to_json())
    {
        return fail(format!("cannot write the plan to {}: {e}", path.display()));
    }
    output::print(&render(file, args.format, o.schema.no_color));
    match (&rehearsal, args.format) {
        (Some(r), Format::Text) => output::print(&crate::plan::rehearsal::text(r)),
        (Some(r), Format::Markdown) => output::print(&format!(
            "\n```text{}```\n",
            crate::plan::rehearsal::text(r)
        )),
        (None, Format::Text) if args.rehearse && file.plan.has_refusals() => {
            output::print("\nNot rehearsed: the plan holds refusals, so there is nothing to run.\n")
        }
        (None, Format::Text) if args.rehearse => {
            output::print("\nNot rehearsed: the plan has no steps.\n")
        }
        _ => {}
    }
    if let (Some(path), Format::Text) = (&args.out, args.format)
        && file.plan.steps.is_empty()
    {
        output::print(&format!(
            "\nSaved the plan to {} (it has nothing to apply).\n",
            path.display()
        ));
    } else if let (Some(path), Format::Text) = (&args.out, args.format) {
        output::print(&format!(
            "\nSaved the plan to {}. Apply exactly these steps with: tableform apply {}\n",
            path.display(),
            path.display()
        ));
    }
    if rehearsal.as_ref().is_some_and(|r| !r.converged()) {
        output::error(if args.format == Format::Text {
            "the rehearsal did not succeed (see above); nothing was changed"
        } else if args.format == Format::Markdown {
            "the rehearsal did not succeed (see the plan); nothing was changed"
        } else {
            "the rehearsal did not succeed (see `rehearsal` in the plan); nothing was changed"
        });
        return Status::Error;
    }
    if file.plan.has_refusals() {
        if args.format == Format::Sql {
            // The script is empty: say why where a person (or a CI log) sees it.
            output::eprint(&render::refusals(&file.plan));
        }
        Status::Refused
    } else if args.detailed_exitcode && file.plan.has_changes() {
        Status::Changes
    } else {
        Status::Ok
    }
}

/// Writes a plan file, creating its directory (`plans/` in a fresh checkout).
pub(super) fn write_plan(path: &std::path::Path, json: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, json)
}
