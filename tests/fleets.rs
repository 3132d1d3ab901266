//! Fleets (`--targets FILE`): one declaration planned, applied and checked on many databases on
//! several private servers (issue #18).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TempServer, run, schema_dir, scratch_dir, write};

const USERS: &str = r#"
[table.users]
columns = [
  { name = "id",    type = "integer", primary_key = true },
  { name = "email", type = "text", nullable = false },
  { name = "note",  type = "text" },
]
"#;

/// The three drift classes: a table lacking a column, the declared table, no table at all.
const CLASSES: [&str; 3] = [
    "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL); INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x')",
    "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, note text); INSERT INTO users VALUES (1, 'a@x', 'n')",
    "SELECT 1",
];

/// Seeds `n` databases `tf_00`.. on `server`, database i in class i % 3 (a template per class,
/// then CREATE DATABASE ... TEMPLATE, in two psql runs).
fn seed(server: &TempServer, n: usize) {
    let templates: Vec<String> = (0..CLASSES.len())
        .map(|c| format!("CREATE DATABASE seed_{c}"))
        .collect();
    server.psql_each("postgres", &templates);
    for (c, sql) in CLASSES.iter().enumerate() {
        server.psql(&format!("seed_{c}"), sql);
    }
    let dbs: Vec<String> = (0..n)
        .map(|i| format!("CREATE DATABASE tf_{i:02} TEMPLATE seed_{}", i % 3))
        .collect();
    server.psql_each("postgres", &dbs);
}

/// The catalog and rows of `users` in one database, to compare before and after.
fn state(server: &TempServer, db: &str) -> String {
    if !has_table(server, db) {
        return "no table".into();
    }
    server.psql(
        db,
        "SELECT coalesce((SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'users'), 'no table') || ' | ' || coalesce((SELECT string_agg(t::text, ', ' ORDER BY t::text) FROM users t), '')",
    )
}

fn has_table(server: &TempServer, db: &str) -> bool {
    server.psql(
        db,
        "SELECT count(*) FROM pg_class WHERE relname = 'users' AND relkind = 'r'",
    ) == "1"
}

fn p(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

/// `targets.toml` in `dir`, holding `body`.
fn targets_file(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    write(dir, "targets.toml", body);
    dir.join("targets.toml")
}

/// `plan --schema SCHEMA --targets TARGETS --out PLAN_FILE`, and `extra`.
fn plan_to(
    schema: &std::path::Path,
    targets: &std::path::Path,
    plan_file: &std::path::Path,
    extra: &[&str],
) -> common::Run {
    let mut args = vec![
        "plan",
        "--schema",
        p(schema),
        "--targets",
        p(targets),
        "--out",
        p(plan_file),
    ];
    args.extend(extra);
    run(&args)
}

#[test]
fn a_fleet_plans_as_three_groups_and_apply_converges_every_target() {
    let servers: Vec<TempServer> = (0..3)
        .map(|i| TempServer::start(&format!("fleet{i}"), ""))
        .collect();
    for s in &servers {
        seed(s, 20);
    }
    let dir = scratch_dir("fleet-groups");
    // Two servers by pattern, the third database by database.
    let mut targets = String::new();
    for s in &servers[..2] {
        targets.push_str(&format!(
            "[[target]]\nurl = \"{}\"\ndatabases = \"tf_*\"\n\n",
            s.url("postgres")
        ));
    }
    for i in 0..20 {
        targets.push_str(&format!(
            "[[target]]\nurl = \"{}\"\n\n",
            servers[2].url(&format!("tf_{i:02}"))
        ));
    }
    write(&dir, "targets.toml", &targets);
    let targets = dir.join("targets.toml");
    let schema = schema_dir("fleet-groups", USERS);
    let plan_file = dir.join("fleet.json");

    let plan = plan_to(&schema, &targets, &plan_file, &["--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .starts_with("tableform plan for 60 targets: 3 distinct plans\n"),
        "{}",
        plan.stdout
    );
    // 20 databases a server, database i in class i % 3: 7, 7 and 6 a server.
    for (i, class) in [
        "Plan 1 of 3, for 21 targets",
        "Plan 2 of 3, for 21 targets",
        "Plan 3 of 3, for 18 targets",
    ]
    .iter()
    .enumerate()
    {
        assert!(plan.stdout.contains(class), "group {i}: {}", plan.stdout);
    }
    assert!(
        plan.stdout
            .contains("ALTER TABLE public.users ADD COLUMN note text;")
    );
    assert!(plan.stdout.contains("CREATE TABLE public.users ("));
    assert!(
        plan.stdout
            .contains("Fleet: 39 with changes, 21 with nothing to do, 0 refused.")
    );
    // Each target is listed under its group, by address and database, never with credentials.
    let first_group = plan.stdout.split("=== Plan 2").next().unwrap();
    for s in &servers {
        assert!(first_group.contains(&format!("127.0.0.1:{}/tf_00\n", s.port)));
        assert!(first_group.contains(&format!("127.0.0.1:{}/tf_03\n", s.port)));
        assert!(!first_group.contains(&format!("127.0.0.1:{}/tf_01\n", s.port)));
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    for (g, n) in groups.iter().zip([21, 21, 18]) {
        assert_eq!(g["targets"].as_array().unwrap().len(), n);
        for m in g["targets"].as_array().unwrap() {
            assert_eq!(m["live_fingerprint"], g["plan"]["live_fingerprint"]);
        }
    }
    assert!(doc["checksum"].as_str().unwrap().starts_with("sha256:"));

    let apply = run(&[
        "apply",
        "--targets",
        p(&targets),
        p(&plan_file),
        "--format",
        "json",
    ]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let report: serde_json::Value = serde_json::from_str(&apply.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["counts"]["applied"], 39);
    assert_eq!(report["counts"]["unchanged"], 21);
    assert_eq!(report["targets"].as_array().unwrap().len(), 60);
    for s in &servers {
        for i in 0..20 {
            let db = format!("tf_{i:02}");
            let columns = s.psql(&db, "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'users'");
            assert_eq!(columns, "id,email,note", "{db} on {}", s.port);
        }
    }
    let again = run(&[
        "plan",
        "--schema",
        p(&schema),
        "--targets",
        p(&targets),
        "--detailed-exitcode",
    ]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again
            .stdout
            .starts_with("tableform plan for 60 targets: 1 distinct plan\n")
    );

    // Drift: none now; then one target drifts, exit 2, and the JSON names it.
    let drift = run(&["drift", "--schema", p(&schema), "--targets", p(&targets)]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    servers[1].psql("tf_07", "ALTER TABLE users DROP COLUMN note");
    let drift = run(&[
        "drift",
        "--schema",
        p(&schema),
        "--targets",
        p(&targets),
        "--format",
        "json",
    ]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    let d: serde_json::Value = serde_json::from_str(&drift.stdout).unwrap();
    assert_eq!(d["drifted"], true);
    assert_eq!(d["counts"]["drifted"], 1);
    assert_eq!(d["counts"]["ok"], 59);
    let drifted: Vec<&serde_json::Value> = (d["targets"].as_array().unwrap().iter())
        .filter(|t| t["status"] == "drifted")
        .collect();
    assert_eq!(
        drifted[0]["target"],
        format!("127.0.0.1:{}/tf_07", servers[1].port)
    );
    assert!(
        drifted[0]["items"][0]["description"]
            .as_str()
            .unwrap()
            .contains("note")
    );
}

#[test]
fn a_target_changed_after_the_plan_is_reported_stale_and_left_untouched() {
    let server = TempServer::start("fleetstale", "");
    seed(&server, 6);
    let dir = scratch_dir("fleet-stale");
    let targets = targets_file(
        &dir,
        &format!(
            "[[target]]\nurl = \"{}\"\ndatabases = \"tf_*\"\n",
            server.url("postgres")
        ),
    );
    let schema = schema_dir("fleet-stale", USERS);
    let plan_file = dir.join("fleet.json");
    let plan = plan_to(&schema, &targets, &plan_file, &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let port = server.port.to_string();
    insta::assert_snapshot!(
        "fleet_plan_text",
        plan.stdout.replace(&port, "PORT").replace(p(&dir), "DIR")
    );
    // A fleet plan is not taken for one database's plan.
    let single = run(&["apply", p(&plan_file)]);
    assert_eq!(single.code, 1);
    assert!(
        single
            .stderr
            .contains("it is a fleet plan; apply it with --targets FILE"),
        "{}",
        single.stderr
    );
    // tf_03 (class 0: lacks `note`) changes meanwhile.
    server.psql("tf_03", "ALTER TABLE users ADD COLUMN extra int");
    let before = state(&server, "tf_03");
    let apply = run(&["apply", "--targets", p(&targets), p(&plan_file)]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains(
            "Fleet apply: 3 applied, 2 unchanged, 1 stale, 0 refused, 0 failed, 0 not started."
        ),
        "{}",
        apply.stdout
    );
    let stale_line = format!(
        "  stale       127.0.0.1:{}/tf_03 (plan 1)\n      plan is stale: the database changed since the plan was made",
        server.port
    );
    assert!(apply.stdout.contains(&stale_line), "{}", apply.stdout);
    assert_eq!(state(&server, "tf_03"), before);
    assert_eq!(
        state(&server, "tf_00"),
        "id integer, email text, note text | (1,a@x,), (2,b@x,)"
    );
    assert!(has_table(&server, "tf_02"));
}

/// A psql session holding a lock on `users` until it is killed or its server stops.
fn hold_lock(server: &TempServer, db: &str) -> Child {
    Command::new("psql")
        .args([
            "-X",
            "-q",
            "-d",
            &server.url(db),
            "-c",
            "BEGIN; LOCK TABLE users IN ACCESS SHARE MODE; SELECT pg_sleep(600)",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_server_stopped_mid_apply_is_reported_failed_while_the_others_finish() {
    let servers: Vec<TempServer> = (0..3)
        .map(|i| TempServer::start(&format!("fleetstop{i}"), ""))
        .collect();
    for s in &servers {
        // tf_00 and tf_03: class 0, a column to add.
        seed(s, 4);
    }
    let dir = scratch_dir("fleet-stop");
    let targets: String = (servers.iter())
        .map(|s| {
            format!(
                "[[target]]\nurl = \"{}\"\ndatabases = \"tf_*\"\n\n",
                s.url("postgres")
            )
        })
        .collect();
    write(&dir, "targets.toml", &targets);
    let targets = dir.join("targets.toml");
    let schema = schema_dir("fleet-stop", USERS);
    let plan_file = dir.join("fleet.json");
    let plan = plan_to(&schema, &targets, &plan_file, &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let stopped = &servers[1];
    let before: Vec<String> = (0..4)
        .map(|i| state(stopped, &format!("tf_{i:02}")))
        .collect();
    // Both databases of the middle server that get a column are held: their applies wait there.
    let mut holders = vec![hold_lock(stopped, "tf_00"), hold_lock(stopped, "tf_03")];
    wait_until("the lock holders", || {
        stopped.psql("postgres", "SELECT count(*) FROM pg_locks WHERE mode = 'AccessShareLock' AND relation IS NOT NULL AND database IN (SELECT oid FROM pg_database WHERE datname IN ('tf_00', 'tf_03')) AND pid <> pg_backend_pid()") != "0"
    });
    let child = Command::new(assert_cmd::cargo::cargo_bin("tableform"))
        .args([
            "apply",
            "--targets",
            p(&targets),
            p(&plan_file),
            "--keep-going",
            "--lock-timeout",
            "120",
            "--format",
            "json",
        ])
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The other servers' targets finish; the held ones wait on their locks.
    wait_until("the other servers' targets", || {
        [&servers[0], &servers[2]].iter().all(|s| {
            ["tf_00", "tf_03"].iter().all(|db| {
                s.psql(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'note'") == "1"
            }) && s.psql("tf_01", "SELECT 1") == "1"
        })
    });
    wait_until("the waiting applies", || {
        stopped.psql(
            "postgres",
            "SELECT count(*) FROM pg_locks WHERE NOT granted",
        ) == "2"
    });
    stopped.stop();
    let out = child.wait_with_output().unwrap();
    for h in &mut holders {
        let _ = h.kill();
        let _ = h.wait();
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let outcome = |port: u16, db: &str| -> String {
        let label = format!("127.0.0.1:{port}/{db}");
        (report["targets"].as_array().unwrap().iter())
            .find(|t| t["target"] == label)
            .map(|t| t["outcome"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{label} is not in the report: {stdout}"))
    };
    for s in [&servers[0], &servers[2]] {
        assert_eq!(outcome(s.port, "tf_00"), "applied");
        assert_eq!(outcome(s.port, "tf_02"), "applied");
        assert_eq!(outcome(s.port, "tf_01"), "unchanged");
    }
    assert_eq!(outcome(stopped.port, "tf_00"), "failed");
    assert_eq!(outcome(stopped.port, "tf_03"), "failed");
    // Nothing half-applied: after a restart the stopped server's databases are as they were
    // (the ones that were not held may have been applied before the stop, in full).
    stopped.start_again();
    for i in [0, 3] {
        assert_eq!(
            state(stopped, &format!("tf_{i:02}")),
            before[i],
            "tf_{i:02}"
        );
    }
    for i in [1, 2] {
        let now = state(stopped, &format!("tf_{i:02}"));
        let applied = outcome(stopped.port, &format!("tf_{i:02}"));
        match applied.as_str() {
            "applied" | "unchanged" => assert!(
                now.starts_with("id integer, email text, note text"),
                "{now}"
            ),
            _ => assert_eq!(now, before[i]),
        }
    }
}

#[test]
fn bad_targets_files_are_errors_at_their_place() {
    let dir = scratch_dir("fleet-bad");
    let schema = schema_dir("fleet-bad", USERS);
    write(
        &dir,
        "targets.toml",
        "[[target]]\ndatabases = \"t*\"\n\n[[target]]\nurl = \"postgres://u:hunter2@h/db\"\nport = 5\n",
    );
    let r = run(&[
        "plan",
        "--schema",
        p(&schema),
        "--targets",
        p(&dir.join("targets.toml")),
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("bad_targets_file", r.stderr.replace(p(&dir), "DIR"));
    assert!(r.stderr.contains("targets.toml:6:1"), "{}", r.stderr);
    assert!(r.stderr.contains("unknown field `port`"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2"));

    write(&dir, "t2.toml", "[[target]]\ndatabases = \"t*\"\n");
    let r = run(&[
        "plan",
        "--schema",
        p(&schema),
        "--targets",
        p(&dir.join("t2.toml")),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("this target has no `url`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("t2.toml:1:1"), "{}", r.stderr);
    assert!(r.stderr.contains("error: the targets file"), "{}", r.stderr);

    let r = run(&[
        "plan",
        "--schema",
        p(&schema),
        "--targets",
        p(&dir.join("missing.toml")),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("cannot read"), "{}", r.stderr);

    let r = run(&["apply", "--canary", "2", "--schema", p(&schema)]);
    assert_eq!(r.code, 1, "--canary needs --targets: {}", r.stderr);
}

#[test]
fn a_failed_canary_stops_the_rollout_and_keep_going_does_not() {
    let server = TempServer::start("fleetcanary", "");
    seed(&server, 6);
    let dir = scratch_dir("fleet-canary");
    let targets = targets_file(
        &dir,
        &format!(
            "[[target]]\nurl = \"{}\"\ndatabases = \"tf_*\"\n",
            server.url("postgres")
        ),
    );
    let schema = schema_dir("fleet-canary", USERS);
    let plan_file = dir.join("fleet.json");
    let plan = plan_to(&schema, &targets, &plan_file, &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let before: Vec<String> = (0..6)
        .map(|i| state(&server, &format!("tf_{i:02}")))
        .collect();
    // The first target (a column to add) cannot get its lock.
    let mut holder = hold_lock(&server, "tf_00");
    wait_until("the lock holder", || {
        server.psql("tf_00", "SELECT count(*) FROM pg_locks WHERE mode = 'AccessShareLock' AND relation = 'users'::regclass AND pid <> pg_backend_pid()") == "1"
    });
    let outcomes = |stdout: &str| -> Vec<String> {
        let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
        (report["targets"].as_array().unwrap().iter())
            .map(|t| t["outcome"].as_str().unwrap().to_string())
            .collect()
    };
    let limits = [
        "--lock-timeout",
        "0.1",
        "--lock-retries",
        "0",
        "--format",
        "json",
    ];
    let canary = run(&[
        &[
            "apply",
            "--targets",
            p(&targets),
            p(&plan_file),
            "--canary",
            "1",
        ][..],
        &limits,
    ]
    .concat());
    assert_eq!(canary.code, 1, "{}{}", canary.stdout, canary.stderr);
    assert_eq!(
        outcomes(&canary.stdout),
        [
            "failed",
            "not_started",
            "not_started",
            "not_started",
            "not_started",
            "not_started"
        ]
    );
    for (i, was) in before.iter().enumerate() {
        assert_eq!(&state(&server, &format!("tf_{i:02}")), was, "tf_{i:02}");
    }
    // One at a time, without --keep-going: the first failure starts no other.
    let serial = run(&[
        &[
            "apply",
            "--targets",
            p(&targets),
            p(&plan_file),
            "--parallel",
            "1",
        ][..],
        &limits,
    ]
    .concat());
    assert_eq!(serial.code, 1);
    assert_eq!(outcomes(&serial.stdout)[1..], ["not_started"; 5]);
    // --keep-going: every other target is applied.
    let all = run(&[
        &[
            "apply",
            "--targets",
            p(&targets),
            p(&plan_file),
            "--keep-going",
        ][..],
        &limits,
    ]
    .concat());
    assert_eq!(all.code, 1, "{}{}", all.stdout, all.stderr);
    assert_eq!(
        outcomes(&all.stdout),
        [
            "failed",
            "unchanged",
            "applied",
            "applied",
            "unchanged",
            "applied"
        ]
    );
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(state(&server, "tf_00"), before[0]);
    assert!(state(&server, "tf_03").starts_with("id integer, email text, note text"));
}

/// One database, `saas`, with `n` tenant schemas `t_000`.. on `server`, tenant i in drift class
/// i % 3 (as [`CLASSES`], in the tenant's schema), and a `public.users` no tenant plan may touch.
fn seed_tenants(server: &TempServer, n: usize) {
    server.psql_each("postgres", &["CREATE DATABASE saas".to_string()]);
    let mut sql = String::from(
        "CREATE TABLE public.users (id integer PRIMARY KEY, name text); INSERT INTO public.users VALUES (7, 'shared');\n",
    );
    for i in 0..n {
        let class = CLASSES[i % 3]
            .replace(
                "CREATE TABLE users",
                &format!("CREATE TABLE t_{i:03}.users"),
            )
            .replace("INSERT INTO users", &format!("INSERT INTO t_{i:03}.users"));
        sql.push_str(&format!("CREATE SCHEMA t_{i:03}; {class};\n"));
    }
    server.psql("saas", &sql);
}

/// The columns and rows of one tenant's `users`.
fn tenant_state(server: &TempServer, tenant: &str) -> String {
    server.psql(
        "saas",
        &format!(
            "SELECT coalesce((SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = '{tenant}' AND table_name = 'users'), 'no table') || ' | ' || coalesce((SELECT string_agg(t::text, ', ' ORDER BY t::text) FROM {tenant}.users t WHERE to_regclass('{tenant}.users') IS NOT NULL), '')"
        ),
    )
}

#[test]
fn two_hundred_tenant_schemas_plan_as_three_groups_and_apply_converges_each() {
    let server = TempServer::start("fleettenants", "");
    seed_tenants(&server, 200);
    let dir = scratch_dir("fleet-tenants");
    let targets = targets_file(
        &dir,
        &format!(
            "[[target]]\nurl = \"{}\"\nschemas = \"t_*\"\n",
            server.url("saas")
        ),
    );
    let schema = schema_dir("fleet-tenants", USERS);
    let plan_file = dir.join("fleet.json");
    let plan = plan_to(&schema, &targets, &plan_file, &["--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .starts_with("tableform plan for 200 targets: 3 distinct plans\n"),
        "{}",
        plan.stdout
    );
    for class in [
        "Plan 1 of 3, for 67 targets",
        "Plan 2 of 3, for 67 targets",
        "Plan 3 of 3, for 66 targets",
    ] {
        assert!(plan.stdout.contains(class), "{class}: {}", plan.stdout);
    }
    // Each plan is shown for its first tenant, and says so.
    assert!(
        plan.stdout
            .contains("ALTER TABLE t_000.users ADD COLUMN note text;")
    );
    assert!(plan.stdout.contains("CREATE TABLE t_002.users ("));
    assert!(plan.stdout.contains(
        "  (shown for schema t_000: each tenant's plan is this one in its own schema)\n"
    ));
    assert!(
        plan.stdout
            .contains("  SET LOCAL search_path = t_000, public;")
    );
    assert!(!plan.stdout.contains("public.users"), "{}", plan.stdout);
    let port = server.port.to_string();
    let tenant_line = format!("  127.0.0.1:{port}/saas schema t_003\n");
    assert!(
        plan.stdout
            .split("=== Plan 2")
            .next()
            .unwrap()
            .contains(&tenant_line),
        "{}",
        plan.stdout
    );
    // Every tenant but a group's first is its group's plan in its schema: not written again.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    for g in groups {
        for m in g["targets"].as_array().unwrap() {
            assert!(m.get("plan").is_none(), "{m}");
            assert!(m["tenant"].as_str().unwrap().starts_with("t_"));
        }
    }

    // t_003 (lacks `note`) changes after the plan: stale, untouched.
    server.psql("saas", "ALTER TABLE t_003.users ADD COLUMN extra int");
    let before = tenant_state(&server, "t_003");
    let public_before = server.psql(
        "saas",
        "SELECT string_agg(t::text, ',') FROM public.users t",
    );
    let apply = run(&[
        "apply",
        "--targets",
        p(&targets),
        p(&plan_file),
        "--format",
        "json",
    ]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    let report: serde_json::Value = serde_json::from_str(&apply.stdout).unwrap();
    assert_eq!(report["counts"]["applied"], 132, "{report}");
    assert_eq!(report["counts"]["unchanged"], 67);
    assert_eq!(report["counts"]["stale"], 1);
    let stale: Vec<&serde_json::Value> = (report["targets"].as_array().unwrap().iter())
        .filter(|t| t["outcome"] == "stale")
        .collect();
    assert_eq!(
        stale[0]["target"],
        format!("127.0.0.1:{port}/saas schema t_003")
    );
    assert_eq!(tenant_state(&server, "t_003"), before);
    assert_eq!(
        tenant_state(&server, "t_000"),
        "id integer, email text, note text | (1,a@x,), (2,b@x,)"
    );
    assert_eq!(
        tenant_state(&server, "t_002"),
        "id integer, email text, note text |"
    );
    assert_eq!(
        server.psql(
            "saas",
            "SELECT string_agg(t::text, ',') FROM public.users t"
        ),
        public_before
    );
    // Every other tenant converged: one read of the catalog says so.
    let lacking = server.psql(
        "saas",
        "SELECT string_agg(n.nspname, ',' ORDER BY n.nspname) FROM pg_namespace n WHERE n.nspname LIKE 't\\_%' AND NOT EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = n.nspname AND c.table_name = 'users' AND c.column_name = 'note')",
    );
    assert_eq!(lacking, "t_003");

    // Drift: only t_003, exit 2.
    let drift = run(&[
        "drift",
        "--schema",
        p(&schema),
        "--targets",
        p(&targets),
        "--format",
        "json",
    ]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    let d: serde_json::Value = serde_json::from_str(&drift.stdout).unwrap();
    assert_eq!(d["counts"]["drifted"], 1, "{d}");
    assert_eq!(d["counts"]["ok"], 199);
}

#[test]
fn a_tenant_copy_reads_its_declared_text_in_its_own_schema() {
    let db = common::TestDb::new("fleettenanttext");
    db.exec("CREATE SCHEMA acme; CREATE SCHEMA globex; CREATE SCHEMA other");
    let dir = scratch_dir("fleet-tenant-text");
    let targets = targets_file(
        &dir,
        &format!("[[target]]\nurl = \"{}\"\nschemas = \"[ag]*\"\n", db.url),
    );
    // Unqualified names in defaults, checks and a view's query: each tenant's own objects.
    let schema = schema_dir(
        "fleet-tenant-text",
        r#"
[enum.mood]
values = ["happy", "sad"]

[table.accounts]
columns = [
  { name = "id", type = "serial", primary_key = true },
  { name = "email", type = "text", nullable = false },
  { name = "feeling", type = "mood", default = "'happy'" },
  { name = "code", type = "text", default = "make_code()" },
]
checks = [{ name = "email_ok", expression = "is_email(email)" }]

[function.make_code]
returns = "text"
language = "sql"
body = "SELECT 'c-' || current_schema()"

[function.is_email]
arguments = [ { name = "e", type = "text" } ]
returns = "boolean"
language = "sql"
body = "SELECT position('@' in e) > 1"
volatility = "immutable"

[view.emails]
query = "SELECT id, email FROM accounts"
"#,
    );
    let apply = run(&[
        "apply",
        "--auto-approve",
        "--schema",
        p(&schema),
        "--targets",
        p(&targets),
    ]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains(
            "Fleet apply: 2 applied, 0 unchanged, 0 stale, 0 refused, 0 failed, 0 not started."
        ),
        "{}",
        apply.stdout
    );
    for t in ["acme", "globex"] {
        assert_eq!(
            db.strings(&format!(
                "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = '{t}.accounts'::regclass AND a.attname = 'code'"
            )),
            [format!("{t}.make_code()")]
        );
        assert!(
            db.strings(&format!("SELECT pg_get_viewdef('{t}.emails'::regclass)"))[0]
                .contains(&format!("FROM {t}.accounts")),
        );
    }
    assert_eq!(
        db.strings(
            "SELECT count(*)::text FROM pg_class WHERE relnamespace = 'other'::regnamespace"
        ),
        ["0"]
    );
    // Read again, each tenant's catalog is its declaration: nothing drifted.
    let drift = run(&["drift", "--schema", p(&schema), "--targets", p(&targets)]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);

    // A saved plan whose tenant was edited (and sealed again) is not applied to the other schema.
    let plan_file = dir.join("fleet.json");
    let plan = plan_to(&schema, &targets, &plan_file, &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    use tableform::plan::file::Sealed;
    let mut doc = tableform::fleet::document::FleetPlan::read(&plan_file).unwrap();
    doc.groups[0].targets[0].tenant = Some("globex".into());
    doc.checksum = doc.compute_checksum();
    std::fs::write(&plan_file, doc.to_json()).unwrap();
    let apply = run(&["apply", "--targets", p(&targets), p(&plan_file)]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("schema acme of group 1 is not named for its schema"),
        "{}",
        apply.stderr
    );
    assert!(apply.stdout.is_empty(), "{}", apply.stdout);

    // A declaration that names a schema of its own is not a tenant's copy.
    let named = schema_dir(
        "fleet-tenant-named",
        "[table.t]\nschema = \"app\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
    );
    let plan = run(&["plan", "--schema", p(&named), "--targets", p(&targets)]);
    assert_eq!(plan.code, 1, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr
            .contains("the declaration puts objects in schema app"),
        "{}",
        plan.stderr
    );
    assert!(plan.stderr.contains("nothing was written or changed"));

    // What belongs to the whole database is not copied into each tenant.
    for (toml, message) in [
        (
            "[settings]\nschemas = [\"public\"]\n[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
            "[settings] schemas lists public; with `schemas` in the targets file, the declaration is copied into each tenant's schema",
        ),
        (
            "[extension.pgcrypto]\n[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
            "the declaration holds extensions (pgcrypto), which belong to the whole database",
        ),
    ] {
        let dir = schema_dir("fleet-tenant-rules", toml);
        let plan = run(&["plan", "--schema", p(&dir), "--targets", p(&targets)]);
        assert_eq!(plan.code, 1, "{}{}", plan.stdout, plan.stderr);
        assert!(plan.stderr.contains(message), "{}", plan.stderr);
    }
    // A pattern that matches no schema names its entry.
    write(
        &dir,
        "none.toml",
        &format!("[[target]]\nurl = \"{}\"\nschemas = \"zz_*\"\n", db.url),
    );
    let plan = run(&[
        "plan",
        "--schema",
        p(&schema),
        "--targets",
        p(&dir.join("none.toml")),
    ]);
    assert_eq!(plan.code, 1, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr
            .contains("schemas = \"zz_*\" matches no schema of 127.0.0.1:"),
        "{}",
        plan.stderr
    );
    assert_eq!(
        db.strings("SELECT count(*)::text FROM pg_class WHERE relnamespace = 'acme'::regnamespace AND relname = 't'"),
        ["0"]
    );
}

/// A tenant's part of one catalog read of every tenant is what reading its schema alone finds:
/// the plans of a schema-per-tenant fleet rest on it, and apply compares the fingerprint of the
/// second with the plan's.
#[test]
fn one_read_of_every_tenant_splits_into_what_each_read_alone_finds() {
    let db = common::TestDb::new("fleetsplit");
    let tenant = |t: &str| {
        format!(
            "CREATE SCHEMA {t};
             CREATE TYPE {t}.mood AS ENUM ('a', 'b');
             CREATE DOMAIN {t}.email AS text CHECK (VALUE LIKE '%@%');
             CREATE TYPE {t}.pair AS (x int, y int);
             CREATE SEQUENCE {t}.counter START 5;
             CREATE TABLE {t}.accounts (id serial PRIMARY KEY, e {t}.email, m {t}.mood DEFAULT 'a', owner_id int REFERENCES public.owners(id), n int GENERATED BY DEFAULT AS IDENTITY);
             CREATE INDEX ON {t}.accounts (lower(e));
             COMMENT ON TABLE {t}.accounts IS 'the accounts';
             CREATE FUNCTION {t}.twice(i int) RETURNS int LANGUAGE sql IMMUTABLE RETURN i * 2;
             CREATE VIEW {t}.v AS SELECT id, {t}.twice(id) FROM {t}.accounts;
             CREATE MATERIALIZED VIEW {t}.mv AS SELECT count(*) FROM {t}.accounts;
             CREATE UNLOGGED TABLE {t}.scratch (id int);
             ALTER TABLE {t}.scratch REPLICA IDENTITY FULL;
             CREATE FUNCTION {t}.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
             CREATE TRIGGER t BEFORE UPDATE ON {t}.accounts FOR EACH ROW EXECUTE FUNCTION {t}.touch();
             GRANT USAGE ON SCHEMA {t} TO PUBLIC;"
        )
    };
    db.exec("CREATE TABLE public.owners (id int PRIMARY KEY)");
    db.exec(&tenant("ta"));
    db.exec(&tenant("tb"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let env = |_: &str| None;
    let target = tableform::inspect::Target::resolve(Some(&db.url), &env).unwrap();
    let (all, alone) = rt.block_on(async {
        let c = target.connect().await.unwrap();
        let schemas = |s: &[&str]| s.iter().map(|s| s.to_string()).collect();
        let all = tableform::inspect::inspect(&c, &schemas(&["public", "ta", "tb"]))
            .await
            .unwrap();
        let alone = tableform::inspect::inspect(&c, &schemas(&["ta"]))
            .await
            .unwrap();
        (all, alone)
    });
    let split = all.schema.only_schema("ta");
    assert_eq!(split.tables.len(), 2);
    assert_eq!(split.views.len(), 1);
    assert_eq!(split.functions.len(), 2);
    assert_eq!(
        tableform::model::fingerprint(&split),
        tableform::model::fingerprint(&alone.schema)
    );
    assert_eq!(format!("{split:#?}"), format!("{:#?}", alone.schema));
    let mut own: Vec<_> = (all.not_carried.iter())
        .filter(|n| n.table.schema == "ta")
        .cloned()
        .collect();
    let mut found = alone.not_carried.clone();
    own.sort_by(|a, b| a.object.cmp(&b.object));
    found.sort_by(|a, b| a.object.cmp(&b.object));
    assert!(!found.is_empty(), "REPLICA IDENTITY FULL is not carried");
    assert_eq!(format!("{own:?}"), format!("{found:?}"));
}

/// `--concurrent-indexes` builds a tenant's new indexes after its commit, outside the
/// transaction: their declared text still reads the tenant's schema first, and the session's
/// search_path is back to `public` afterwards.
#[test]
fn a_tenant_index_built_concurrently_reads_its_tenant_schema() {
    let db = common::TestDb::new("fleettenantindex");
    let function = |t: &str| {
        format!(
            "CREATE SCHEMA {t};
             CREATE FUNCTION {t}.norm(e text) RETURNS text LANGUAGE sql IMMUTABLE RETURN lower(e);
             CREATE TABLE {t}.accounts (id integer PRIMARY KEY, email text NOT NULL);
             INSERT INTO {t}.accounts VALUES (1, 'A@x')"
        )
    };
    db.exec(&function("acme"));
    db.exec(&function("globex"));
    let declaration = |index: &str| {
        format!(
            r#"
[function.norm]
arguments = [ {{ name = "e", type = "text" }} ]
returns = "text"
language = "sql"
body = "RETURN lower(e)"
volatility = "immutable"

[table.accounts]
columns = [
  {{ name = "id", type = "integer", primary_key = true }},
  {{ name = "email", type = "text", nullable = false }},
]
{index}
"#
        )
    };
    let dir = scratch_dir("fleet-tenant-index");
    let targets = targets_file(
        &dir,
        &format!("[[target]]\nurl = \"{}\"\nschemas = \"*e*\"\n", db.url),
    );
    let before = schema_dir("fleet-tenant-index-before", &declaration(""));
    let drift = run(&["drift", "--schema", p(&before), "--targets", p(&targets)]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    let schema = schema_dir(
        "fleet-tenant-index-after",
        &declaration(r#"indexes = [{ name = "accounts_norm_idx", columns = ["(norm(email))"] }]"#),
    );
    let plan = run(&["plan", "--schema", p(&schema), "--targets", p(&targets)]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let server = db.url.rsplit_once('/').map_or("", |(s, _)| s);
    let shown = |text: &str| {
        text.replace(
            &format!("{}/{}", &server["postgres://postgres@".len()..], db.name),
            "HOST/DB",
        )
    };
    insta::assert_snapshot!("fleet_tenant_plan_text", shown(&plan.stdout));
    let apply = run(&[
        "apply",
        "--auto-approve",
        "--concurrent-indexes",
        "--schema",
        p(&schema),
        "--targets",
        p(&targets),
    ]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    insta::assert_snapshot!(
        "fleet_tenant_apply_text",
        shown(apply.stdout.split("\nFleet apply:").nth(1).unwrap_or(""))
    );
    for t in ["acme", "globex"] {
        assert_eq!(
            db.strings(&format!(
                "SELECT pg_get_indexdef('{t}.accounts_norm_idx'::regclass) || ' ' || i.indisvalid FROM pg_index i WHERE i.indexrelid = '{t}.accounts_norm_idx'::regclass"
            )),
            [format!(
                "CREATE INDEX accounts_norm_idx ON {t}.accounts USING btree ({t}.norm(email)) true"
            )]
        );
    }
    let drift = run(&["drift", "--schema", p(&schema), "--targets", p(&targets)]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
}
