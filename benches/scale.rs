//! The scale benchmark (issue: fast at any size). `cargo bench --bench scale [-- SIZES...]`
//! (`-- fleet` or `-- fleet=N`: the fleet measurement instead, see [`run_fleet`]; `-- tenants` or
//! `-- tenants=N`: the schema-per-tenant one, see [`run_tenants`]).
//!
//! For each size (default 17, 500, 2000, 10000 tables) it writes a synthetic schema (varied column
//! types, a foreign key per table, an expression index, a partial unique index, a check), and
//! measures with the release binary: `validate`, `plan` from empty, `apply` from empty, and a
//! no-change `plan` (median of 3), each with its wall time and peak memory; the number of catalog
//! queries of the no-change plan; and, on the same server, `pg_dump --schema-only` of the applied
//! database (median of 3) and `psql -1 -f` of the equivalent DDL. Results print as a markdown
//! table; docs/performance.md keeps a run with the machine it came from.
//!
//! The server is TABLEFORM_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
//! Creating thousands of tables in one transaction needs max_locks_per_transaction raised (see
//! docs/performance.md); the benchmark says so when it is too low.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Measured {
    wall: Duration,
    max_rss_kib: i64,
    code: i32,
    stderr: String,
}

/// Runs the command and reports its wall time and peak resident memory (from wait4's rusage).
// The child is reaped by wait4 (std's wait cannot return its rusage).
#[allow(clippy::zombie_processes)]
fn measure(cmd: &mut Command) -> Measured {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("command starts");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, whose pid we own; status and usage outlive the call.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert!(pid > 0, "wait4 failed");
    let wall = start.elapsed();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Measured {
        wall,
        max_rss_kib: usage.ru_maxrss,
        code,
        stderr,
    }
}

fn median(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by_key(|m| m.wall);
    runs.swap_remove(runs.len() / 2)
}

fn base_url() -> String {
    std::env::var("TABLEFORM_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn url_for(db: &str) -> String {
    let base = base_url();
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h.to_string(), format!("?{q}")),
        None => (base.clone(), String::new()),
    };
    let cut = head
        .rfind('/')
        .filter(|&i| i > head.find("://").map_or(0, |j| j + 2))
        .unwrap_or(head.len());
    format!("{}/{db}{query}", &head[..cut])
}

fn psql(args: &[&str]) -> String {
    let out = Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        .args(args)
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn recreate(db: &str) {
    psql(&[
        "-d",
        &base_url(),
        "-c",
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    ]);
    psql(&["-d", &base_url(), "-c", &format!("CREATE DATABASE {db}")]);
}

fn drop_db(db: &str) {
    psql(&[
        "-d",
        &base_url(),
        "-c",
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    ]);
}

/// The synthetic schema as TOML files and as equivalent DDL.
fn generate(n: usize, dir: &Path) -> PathBuf {
    let schema = dir.join("schema");
    let _ = std::fs::remove_dir_all(&schema);
    std::fs::create_dir_all(&schema).unwrap();
    let mut ddl = String::new();
    for i in 0..n {
        let t = format!("t{i:05}");
        let fk_sql = if i > 0 {
            format!(" REFERENCES t{:05}(id)", i - 1)
        } else {
            String::new()
        };
        let fk_toml = if i > 0 {
            format!(", references = \"t{:05}(id)\"", i - 1)
        } else {
            String::new()
        };
        ddl.push_str(&format!(
            "CREATE TABLE {t} (
  id bigserial PRIMARY KEY,
  name varchar(100) NOT NULL,
  amount numeric(12,2) DEFAULT 0 NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL,
  flags jsonb DEFAULT '{{}}'::jsonb,
  parent_id bigint{fk_sql},
  code text,
  active boolean DEFAULT true NOT NULL,
  CONSTRAINT {t}_amount_check CHECK (amount >= 0)
);
CREATE INDEX {t}_lower_name_idx ON {t} (lower(name));
CREATE UNIQUE INDEX {t}_code_uidx ON {t} (code) WHERE code IS NOT NULL;
"
        ));
        let toml = format!(
            r#"[table.{t}]
columns = [
  {{ name = "id",         type = "bigserial", primary_key = true }},
  {{ name = "name",       type = "varchar(100)", nullable = false }},
  {{ name = "amount",     type = "numeric(12,2)", nullable = false, default = "0" }},
  {{ name = "created_at", type = "timestamptz", nullable = false, default = "now()" }},
  {{ name = "flags",      type = "jsonb", default = "'{{}}'::jsonb" }},
  {{ name = "parent_id",  type = "bigint"{fk_toml} }},
  {{ name = "code",       type = "text" }},
  {{ name = "active",     type = "boolean", nullable = false, default = "true" }},
]
checks = [ {{ name = "{t}_amount_check", expression = "amount >= 0" }} ]
indexes = [
  {{ name = "{t}_lower_name_idx", columns = ["(lower(name))"] }},
  {{ name = "{t}_code_uidx",      columns = ["code"], unique = true, where = "code IS NOT NULL" }},
]
"#
        );
        std::fs::write(schema.join(format!("{t}.toml")), toml).unwrap();
    }
    std::fs::write(dir.join("ddl.sql"), ddl).unwrap();
    schema
}

struct Row {
    n: usize,
    validate: Measured,
    plan_empty: Measured,
    apply_empty: Measured,
    psql: Measured,
    plan_same: Measured,
    pg_dump: Measured,
    queries: String,
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

fn mib(kib: i64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}

fn run_size(bin: &str, n: usize, work: &Path) -> Row {
    let dir = work.join(format!("n{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    let schema = generate(n, &dir);
    let schema = schema.to_str().unwrap();
    let (ours, theirs) = (format!("tf_bench_{n}_ours"), format!("tf_bench_{n}_psql"));
    recreate(&ours);
    recreate(&theirs);
    let tf = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.args(args).env("TABLEFORM_STATS", "1");
        c
    };
    let url = url_for(&ours);
    let validate = measure(&mut tf(&["validate", "--schema", schema]));
    assert_eq!(validate.code, 0, "validate failed: {}", validate.stderr);
    let plan_empty = measure(&mut tf(&[
        "plan",
        "--schema",
        schema,
        "--database-url",
        &url,
        "--format",
        "sql",
    ]));
    assert_eq!(plan_empty.code, 0, "plan failed: {}", plan_empty.stderr);
    // Creating thousands of tables is noisy on a small machine: medians of 3, each into a fresh
    // database, up to 2,000 tables (the last apply leaves the database the no-change plan reads).
    let repeats = if n <= 2000 { 3 } else { 1 };
    let apply_empty = median(
        (0..repeats)
            .map(|k| {
                if k > 0 {
                    recreate(&ours);
                }
                measure(&mut tf(&[
                    "apply",
                    "--schema",
                    schema,
                    "--database-url",
                    &url,
                    "--auto-approve",
                ]))
            })
            .collect(),
    );
    if apply_empty.code != 0 {
        panic!(
            "apply of {n} tables failed (one transaction needs max_locks_per_transaction raised, see docs/performance.md): {}",
            apply_empty.stderr
        );
    }
    let psql_run = median(
        (0..repeats)
            .map(|_| {
                recreate(&theirs);
                measure(
                    Command::new("psql")
                        .args([
                            "-X",
                            "-q",
                            "-1",
                            "-v",
                            "ON_ERROR_STOP=1",
                            "-d",
                            &url_for(&theirs),
                            "-f",
                        ])
                        .arg(dir.join("ddl.sql")),
                )
            })
            .collect(),
    );
    assert_eq!(psql_run.code, 0, "psql -1 -f failed: {}", psql_run.stderr);
    let plan_same = median(
        (0..3)
            .map(|_| {
                measure(&mut tf(&[
                    "plan",
                    "--schema",
                    schema,
                    "--database-url",
                    &url,
                    "--detailed-exitcode",
                ]))
            })
            .collect(),
    );
    assert_eq!(
        plan_same.code, 0,
        "the no-change plan is not empty: {}",
        plan_same.stderr
    );
    let queries = plan_same
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("stats: catalog_queries="))
        .unwrap_or("?")
        .to_string();
    let pg_dump = median(
        (0..3)
            .map(|_| measure(Command::new("pg_dump").args(["--schema-only", "-d", &url])))
            .collect(),
    );
    drop_db(&ours);
    drop_db(&theirs);
    Row {
        n,
        validate,
        plan_empty,
        apply_empty,
        psql: psql_run,
        plan_same,
        pg_dump,
        queries,
    }
}

/// The fleet measurement: N databases (default 200) of the 17-table example on one server, a
/// third of them with a column added (two drift classes), and `drift --targets` and
/// `plan --targets` over all of them at `--parallel 8` (medians of 3).
fn run_fleet(bin: &str, dbs: usize, work: &Path) {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/shopping_points");
    let template = "tf_fleet_bench_template";
    recreate(template);
    let applied = measure(Command::new(bin).args([
        "apply",
        "--schema",
        schema,
        "--auto-approve",
        "--database-url",
        &url_for(template),
    ]));
    assert_eq!(applied.code, 0, "apply failed: {}", applied.stderr);
    let name = |i: usize| format!("tf_fleet_bench_{i:04}");
    for i in 0..dbs {
        drop_db(&name(i));
        psql(&[
            "-d",
            &base_url(),
            "-c",
            &format!("CREATE DATABASE {} TEMPLATE {template}", name(i)),
        ]);
        if i % 3 == 1 {
            psql(&[
                "-d",
                &url_for(&name(i)),
                "-c",
                "ALTER TABLE public.users ADD COLUMN bench_note text",
            ]);
        }
    }
    let targets = work.join("fleet-targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nurl = {:?}\ndatabases = \"tf_fleet_bench_[0-9]*\"\n",
            url_for("postgres")
        ),
    )
    .unwrap();
    let targets = targets.to_str().unwrap();
    let run = |command: &str, expect: i32| {
        median(
            (0..3)
                .map(|_| {
                    let m = measure(Command::new(bin).args([
                        command,
                        "--schema",
                        schema,
                        "--targets",
                        targets,
                        "--parallel",
                        "8",
                    ]));
                    assert_eq!(m.code, expect, "{command} failed: {}", m.stderr);
                    m
                })
                .collect(),
        )
    };
    // A third drifted: drift exits 2; the plan holds two distinct plans.
    let drift = run("drift", 2);
    let plan = run("plan", 0);
    for i in 0..dbs {
        drop_db(&name(i));
    }
    drop_db(template);
    println!("\n| databases | --parallel | drift s | plan s | peak MiB (plan) |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {dbs} | 8 | {} | {} | {} |",
        secs(drift.wall),
        secs(plan.wall),
        mib(plan.max_rss_kib)
    );
}

/// The schema-per-tenant measurement: one database with N tenant schemas (default 1,000) of the
/// 17-table example, made by `apply --targets`. Side by side: a no-change `plan` of the whole
/// database as one 17·N-table declaration (`import` of it), and `drift --targets` over the N
/// tenants after a third of them had a column added (medians of 3).
fn run_tenants(bin: &str, tenants: usize, work: &Path) {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/shopping_points");
    let db = "tf_tenants_bench";
    recreate(db);
    let create: String = (0..tenants)
        .map(|i| format!("CREATE SCHEMA t_{i:04};\n"))
        .collect();
    let sql = work.join("tenants.sql");
    std::fs::write(&sql, create).unwrap();
    psql(&["-d", &url_for(db), "-q", "-f", sql.to_str().unwrap()]);
    let targets = work.join("tenant-targets.toml");
    std::fs::write(
        &targets,
        format!("[[target]]\nurl = {:?}\nschemas = \"t_*\"\n", url_for(db)),
    )
    .unwrap();
    let targets = targets.to_str().unwrap();
    let fleet = |command: &str| {
        let mut c = Command::new(bin);
        c.args([command, "--schema", schema, "--targets", targets])
            .env("TABLEFORM_STATS", "1");
        c
    };
    let applied = measure(fleet("apply").arg("--auto-approve"));
    assert_eq!(applied.code, 0, "apply failed: {}", applied.stderr);
    // The same database as one declaration of every table.
    let whole = work.join("tenants-whole");
    let _ = std::fs::remove_dir_all(&whole);
    let imported = measure(Command::new(bin).args([
        "import",
        "--database-url",
        &url_for(db),
        "--out",
        whole.to_str().unwrap(),
    ]));
    assert_eq!(imported.code, 0, "import failed: {}", imported.stderr);
    let single = median(
        (0..3)
            .map(|_| {
                let m = measure(
                    Command::new(bin)
                        .args(["plan", "--detailed-exitcode", "--schema"])
                        .arg(&whole)
                        .args(["--database-url", &url_for(db)])
                        .env("TABLEFORM_STATS", "1"),
                );
                assert_eq!(m.code, 0, "the no-change plan failed: {}", m.stderr);
                m
            })
            .collect(),
    );
    let drifted: String = (0..tenants)
        .filter(|i| i % 3 == 1)
        .map(|i| format!("ALTER TABLE t_{i:04}.users ADD COLUMN bench_note text;\n"))
        .collect();
    std::fs::write(&sql, drifted).unwrap();
    psql(&["-d", &url_for(db), "-q", "-f", sql.to_str().unwrap()]);
    let drift = median(
        (0..3)
            .map(|_| {
                let m = measure(&mut fleet("drift"));
                assert_eq!(m.code, 2, "drift failed: {}", m.stderr);
                m
            })
            .collect(),
    );
    let queries = |m: &Measured| {
        (m.stderr.lines())
            .filter_map(|l| l.strip_prefix("stats: catalog_queries="))
            .collect::<Vec<_>>()
            .join("+")
    };
    drop_db(db);
    println!(
        "\n| tenants | tables | apply --targets s | no-change plan (one declaration) s | drift --targets s | drift / plan | peak MiB (plan) | peak MiB (drift) | catalog queries (plan, drift) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    println!(
        "| {tenants} | {} | {} | {} | {} | {} | {} | {} | {}, {} |",
        17 * tenants,
        secs(applied.wall),
        secs(single.wall),
        secs(drift.wall),
        ratio(drift.wall, single.wall),
        mib(single.max_rss_kib),
        mib(drift.max_rss_kib),
        queries(&single),
        queries(&drift),
    );
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_tableform");
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scale-bench");
    std::fs::create_dir_all(&work).unwrap();
    if let Some(t) = std::env::args().find(|a| a.starts_with("tenants")) {
        let tenants = (t.strip_prefix("tenants="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000);
        eprintln!("measuring {tenants} tenant schemas ...");
        run_tenants(bin, tenants, &work);
        return;
    }
    if let Some(fleet) = std::env::args().find(|a| a.starts_with("fleet")) {
        let dbs = (fleet.strip_prefix("fleet="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(200);
        eprintln!("measuring a fleet of {dbs} databases ...");
        run_fleet(bin, dbs, &work);
        return;
    }
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![17, 500, 2000, 10000];
    }
    let locks: usize = psql(&["-d", &base_url(), "-c", "SHOW max_locks_per_transaction"])
        .parse()
        .unwrap_or(64);
    let conns: usize = psql(&["-d", &base_url(), "-c", "SHOW max_connections"])
        .parse()
        .unwrap_or(100);
    let version = psql(&["-d", &base_url(), "-c", "SHOW server_version"]);
    println!("PostgreSQL {version}; max_locks_per_transaction={locks}, max_connections={conns}");
    let mut rows = Vec::new();
    for &n in &sizes {
        // Each table takes about 8 locks (table, sequence, 3 indexes, toast, fk target).
        if 8 * n > locks * conns {
            eprintln!(
                "skipping {n} tables: one transaction needs about {} lock slots; raise max_locks_per_transaction to {}",
                8 * n,
                8 * n / conns + 1
            );
            continue;
        }
        eprintln!("measuring {n} tables ...");
        rows.push(run_size(bin, n, &work));
    }
    println!(
        "\n| tables | validate s | plan from empty s | apply from empty s | psql -1 -f s | apply / psql | no-change plan s | pg_dump -s s | plan / pg_dump | peak MiB (no-change plan) | peak MiB (apply) | catalog queries |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.n,
            secs(r.validate.wall),
            secs(r.plan_empty.wall),
            secs(r.apply_empty.wall),
            secs(r.psql.wall),
            ratio(r.apply_empty.wall, r.psql.wall),
            secs(r.plan_same.wall),
            secs(r.pg_dump.wall),
            ratio(r.plan_same.wall, r.pg_dump.wall),
            mib(r.plan_same.max_rss_kib),
            mib(r.apply_empty.max_rss_kib),
            r.queries,
        );
    }
}
