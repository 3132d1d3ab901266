//! The command line: argument parsing, the commands, output and exit codes. The only module that
//! prints or decides how the process ends.

mod apply;
mod drift;
mod fleet;
mod fmt;
mod import;
mod output;
mod plan;
pub mod reference;
mod show;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit statuses, shared by every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Success; nothing (left) to do.
    Ok = 0,
    /// An error, or the user cancelled.
    Error = 1,
    /// `plan --detailed-exitcode`: there are changes to apply.
    Changes = 2,
    /// The plan holds a refusal.
    Refused = 3,
    /// Interrupted by SIGINT/SIGTERM.
    Interrupted = 130,
}

#[derive(Debug, Parser)]
#[command(
    name = "tableform",
    version,
    about = "Declare PostgreSQL tables in TOML; plan and apply the difference."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to colour the output: auto (a terminal, unless NO_COLOR, CLICOLOR=0 or TERM=dumb;
    /// CLICOLOR_FORCE forces it), always or never (as --no-color).
    #[arg(long, global = true, value_enum, default_value_t = output::ColorWhen::Auto, value_name = "WHEN")]
    pub color: output::ColorWhen,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check schema files without a database; report every problem at once.
    Validate(SchemaArgs),
    /// Compare the declaration with the database and show what apply would do.
    Plan(PlanArgs),
    /// Plan, ask for confirmation, and apply in one transaction; or apply a saved plan file.
    Apply(ApplyArgs),
    /// Render a saved plan file.
    Show(ShowArgs),
    /// Check whether the database still matches the declaration (exit 2 when it drifted).
    Drift(DriftArgs),
    /// Write the TOML declaration of an existing database, or of a SQL DDL file.
    Import(ImportArgs),
    /// Rewrite schema files in canonical layout, keeping comments (`--check`: only report).
    Fmt(FmtArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `tableform man > /usr/local/share/man/man1/tableform.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Directory of .toml schema files.
    #[arg(long, value_name = "DIR")]
    pub schema: Option<PathBuf>,
    /// Never colour the output (also: NO_COLOR, or output that is not a terminal).
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct ConnArgs {
    /// PostgreSQL URL (postgres://, postgresql://, postgresql+driver://, or key=value); default:
    /// DATABASE_URL, else the PG* variables.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// A server where tableform may create temporary tables, for comparing declared expressions
    /// when the database's connection is read-only (a hot standby, a role without TEMP); the
    /// database itself is then only read. `import --from-sql` creates its scratch database
    /// there.
    #[arg(long, value_name = "URL", env = "TABLEFORM_DEV_URL")]
    pub dev_url: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// For people; coloured on a terminal.
    #[default]
    Text,
    /// The plan document (docs/plan-json.md), stable for scripts.
    Json,
    /// For a pull-request comment.
    Markdown,
    /// The statements only; nothing when there is nothing to do.
    Sql,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum, PartialEq, Eq)]
pub enum DriftFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct PlanOpts {
    #[command(flatten)]
    pub schema: SchemaArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Allow drops and type changes that may lose data (type changes use USING casts).
    #[arg(long)]
    pub allow_destructive: bool,
    /// Drop tables in the managed schemas that the declaration does not mention.
    #[arg(long)]
    pub prune: bool,
    /// Fail (exit 1, nothing saved or applied) when the database holds anything tableform does
    /// not carry or manage, or the self-check could not run, instead of reporting it as a note.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// Many databases at once (docs/fleets.md).
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// A TOML file of [[target]] entries (url, and optionally databases = "tenant_*" or
    /// schemas = "tenant_*"): plan, apply or check every database or tenant schema it names
    /// instead of one (docs/fleets.md).
    #[arg(long, value_name = "FILE", conflicts_with = "database_url")]
    pub targets: Option<PathBuf>,
    /// With --targets: how many targets to work on at once, each on its own connection.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub parallel: u32,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub opts: PlanOpts,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Exit 0 when there is nothing to do, 2 when there are changes, 3 on refusals, 1 on errors.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also write the plan to FILE, to review and apply later (`tableform apply FILE`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Run the plan's SQL on the database, on its real rows, in a transaction that is always
    /// rolled back, and report each step's time and strongest table lock, and whether a plan
    /// made afterwards is empty. It takes the locks apply takes (ACCESS EXCLUSIVE on the tables
    /// it alters), under --lock-timeout and --statement-timeout: writers wait meanwhile. Exit 1
    /// when a step fails or something is left to do. With --out the file records it.
    #[arg(long)]
    pub rehearse: bool,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan file written by `plan --out`.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Never colour the output.
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    #[command(flatten)]
    pub schema: SchemaArgs,
    /// Change nothing; exit 1 when a file is not in canonical layout (for CI).
    #[arg(long)]
    pub check: bool,
    /// Change nothing; print what would change as a unified diff, and exit 1 when anything
    /// would.
    #[arg(long)]
    pub diff: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Read the declaration from a SQL DDL file (pg_dump --schema-only, migration SQL) instead
    /// of a live database. The file runs, with the role's rights, in a scratch database that
    /// tableform creates and drops on the server of --dev-url, else of the database connection
    /// (its role needs CREATEDB); run only files you trust (see docs/security.md).
    #[arg(long, value_name = "FILE", conflicts_with = "from_sqlalchemy")]
    pub from_sql: Option<PathBuf>,
    /// Read the declaration from SQLAlchemy models: `module:attribute`, a MetaData or a
    /// declarative base (`app.models:Base`, `app.models:db.Model`), imported from the current
    /// directory. Runs your Python (see --python) to render the models' PostgreSQL DDL, then
    /// imports that as --from-sql does (a scratch database).
    #[arg(long, value_name = "MODULE:ATTR")]
    pub from_sqlalchemy: Option<String>,
    /// The Python interpreter for --from-sqlalchemy, e.g. your virtualenv's `.venv/bin/python`.
    #[arg(long, value_name = "PATH", default_value = "python3")]
    pub python: String,
    /// Directory to write the .toml files to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite files that already exist in DIR.
    #[arg(long)]
    pub force: bool,
    /// Fail, writing nothing, when the source holds objects tableform does not manage (views,
    /// functions, triggers...).
    #[arg(long)]
    pub strict: bool,
    /// PostgreSQL schema to import; repeat for several (default: every schema but the system ones).
    #[arg(long = "schema-name", value_name = "NAME")]
    pub schemas: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub schema: SchemaArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: DriftFormat,
    /// Fail (exit 1) when the database holds anything tableform does not carry or manage, or the
    /// self-check could not run, instead of reporting it as "not drift".
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// How long apply (and a rehearsal) waits for locks and statements.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Seconds to wait for another tableform apply on the same database.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub lock_wait: f64,
    /// Seconds each statement may wait for a table lock (PostgreSQL lock_timeout); at least
    /// 0.001 (PostgreSQL would read 0 as "wait forever").
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = lock_timeout_seconds)]
    pub lock_timeout: f64,
    /// Seconds each statement may run (PostgreSQL statement_timeout); 0 for no limit.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0, value_parser = timeout_seconds)]
    pub statement_timeout: f64,
    /// How often to retry a statement that hit the lock timeout (with backoff) before giving up.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub lock_retries: u32,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A saved plan file (`plan --out`): applied exactly, without a prompt, if the database
    /// still matches it.
    #[arg(value_name = "PLAN_FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub opts: PlanOpts,
    /// Apply without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Rehearse first (see `plan --rehearse`: the same locks, then a rollback) and apply only if
    /// every step ran and nothing was left to do; not with PLAN_FILE (rehearse with `plan
    /// --rehearse --out`, which records it in the file).
    #[arg(long)]
    pub rehearse: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Build new indexes on existing tables with CREATE INDEX CONCURRENTLY, after the transaction
    /// commits (no long write lock; not rolled back with the rest if it fails).
    #[arg(long)]
    pub concurrent_indexes: bool,
    /// With --targets: apply to the first K targets first, and stop if any of them fails.
    #[arg(long, value_name = "K", requires = "targets")]
    pub canary: Option<usize>,
    /// With --targets: go on to the other targets after one fails (by default no new target
    /// starts after the first failure; running ones finish).
    #[arg(long, requires = "targets")]
    pub keep_going: bool,
    /// With --targets: the format of the final report.
    #[arg(long, value_enum, default_value_t, requires = "targets")]
    pub format: DriftFormat,
}

/// Parses the arguments, runs the command and returns the process exit code.
pub fn main() -> ExitCode {
    // clap exits 2 on a usage error, which would read as "changes" or "drift" to a pipeline.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                Status::Error as u8
            } else {
                0
            });
        }
    };
    output::set_color(cli.color);
    let status = match cli.command {
        Command::Validate(a) => validate::run(&a),
        Command::Plan(a) => runtime(plan::run(&a)),
        Command::Apply(a) => runtime(apply::run(&a)),
        Command::Show(a) => show::run(&a),
        Command::Drift(a) => runtime(drift::run(&a)),
        Command::Import(a) => runtime(import::run(&a)),
        Command::Fmt(a) => fmt::run(&a),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "tableform", &mut out);
            output::print(&String::from_utf8_lossy(&out));
            Status::Ok
        }
        Command::Man => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out) {
                Ok(()) => {
                    output::print(&String::from_utf8_lossy(&out));
                    Status::Ok
                }
                Err(e) => {
                    output::error(&format!("cannot render the manual page: {e}"));
                    Status::Error
                }
            }
        }
    };
    ExitCode::from(status as u8)
}

fn runtime(fut: impl std::future::Future<Output = Status>) -> Status {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(fut),
        Err(e) => {
            output::error(&format!("cannot start the async runtime: {e}"));
            Status::Error
        }
    }
}

/// A number of seconds, 0 to one day.
fn seconds_in_range(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !v.is_finite() || !(0.0..=86_400.0).contains(&v) {
        return Err("must be between 0 and 86400 seconds".into());
    }
    Ok(v)
}

/// A timeout in seconds, 0 for none; PostgreSQL counts timeouts in whole milliseconds.
fn timeout_seconds(s: &str) -> Result<f64, String> {
    let v = seconds_in_range(s)?;
    if v > 0.0 && v < 0.001 {
        return Err(
            "PostgreSQL counts in milliseconds: use at least 0.001, or 0 for no limit".into(),
        );
    }
    Ok(v)
}

/// Like [`timeout_seconds`], but 0 is refused: a `lock_timeout` of 0 means "wait forever",
/// the opposite of what `--lock-timeout 0` reads like.
fn lock_timeout_seconds(s: &str) -> Result<f64, String> {
    let v = seconds_in_range(s)?;
    if v < 0.001 {
        return Err(
            "must be at least 0.001 seconds (PostgreSQL reads a lock_timeout of 0 as \"wait forever\")"
                .into(),
        );
    }
    Ok(v)
}
