//! Apply under faults, concurrency and hostile input (issue: apply that survives). Every test
//! compares the database before and after: all or nothing.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{SHOPPING_POINTS, TestDb, finish, schema_dir, scratch_dir, signal, spawn, wait_for};

/// The advisory lock tableform takes (see src/apply/mod.rs).
const LOCK_KEY: i64 = tableform::apply::LOCK_KEY;

const USERS: &str = r#"
[table.users]
columns = [
  { name = "id",    type = "serial", primary_key = true },
  { name = "email", type = "text", nullable = false, unique = true },
  { name = "note",  type = "text" },
]
"#;

#[test]
fn a_failing_statement_rolls_back_everything_and_names_the_step() {
    let db = TestDb::new("inject");
    db.exec(
        "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);
         INSERT INTO users (email) VALUES ('a@x'), ('a@x'), ('b@x');",
    );
    let (dump, rows) = (db.dump(), db.all_rows());
    let dir = schema_dir("inject", USERS);
    let r = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // The column is added first; the unique constraint over duplicate rows then fails.
    assert!(
        r.stderr
            .contains("error: step 2 of 2 failed, everything was rolled back:"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE (email)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("ERROR:  could not create unique index \"users_email_key\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("DETAIL:  Key (email)=(a@x) is duplicated."),
        "{}",
        r.stderr
    );
    assert_eq!(db.dump(), dump, "the added column survived the rollback");
    assert_eq!(db.all_rows(), rows);
}

#[test]
fn two_concurrent_applies_apply_once_and_the_second_finds_nothing_to_do() {
    let db = TestDb::new("race");
    // Hold the lock so that both applies plan, then queue behind it; releasing it starts the race.
    db.exec(&format!("SELECT pg_advisory_lock({LOCK_KEY})"));
    let a = spawn(
        &db,
        &["apply", "--schema", SHOPPING_POINTS, "--auto-approve"],
    );
    let b = spawn(
        &db,
        &["apply", "--schema", SHOPPING_POINTS, "--auto-approve"],
    );
    wait_for(
        &db,
        "SELECT count(*) >= 2 FROM pg_stat_activity WHERE application_name = 'tableform' AND datname = current_database() AND query LIKE '%pg_try_advisory_xact_lock%'",
        "both applies to wait for the lock",
    );
    db.exec(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"));
    let (a, b) = (finish(a), finish(b));
    assert_eq!(
        (a.code, b.code),
        (0, 0),
        "a: {}{}\nb: {}{}",
        a.stdout,
        a.stderr,
        b.stdout,
        b.stderr
    );
    let applied = [&a, &b]
        .iter()
        .filter(|r| r.stdout.contains("Apply complete: 48 statements committed"))
        .count();
    let nothing = [&a, &b]
        .iter()
        .filter(|r| {
            r.stdout
                .contains("Nothing to apply: the database changed meanwhile")
        })
        .count();
    assert_eq!(
        (applied, nothing),
        (1, 1),
        "a: {}\nb: {}",
        a.stdout,
        b.stdout
    );
    let again = db.run(&["plan", "--schema", SHOPPING_POINTS, "--detailed-exitcode"]);
    assert_eq!(again.code, 0);
}

#[test]
fn a_held_lock_makes_apply_give_up_after_lock_wait() {
    let db = TestDb::new("lockwait");
    db.exec(&format!("SELECT pg_advisory_lock({LOCK_KEY})"));
    let before = db.dump();
    let start = Instant::now();
    let r = db.run(&[
        "apply",
        "--schema",
        SHOPPING_POINTS,
        "--auto-approve",
        "--lock-wait",
        "1",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert!(
        r.stderr.contains(
            "error: another tableform apply holds the lock on this database; gave up after 1s"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(db.dump(), before);
}

#[test]
fn a_lock_timeout_is_retried_then_fails_cleanly() {
    let db = TestDb::new("locktimeout");
    db.exec("CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE)");
    let before = db.dump();
    let blocker = TestDb::attach(&db);
    blocker.exec("BEGIN; LOCK TABLE users IN ACCESS SHARE MODE");
    let dir = schema_dir("locktimeout", USERS);
    let r = db.run(&[
        "apply",
        "--schema",
        dir.to_str().unwrap(),
        "--auto-approve",
        "--lock-timeout",
        "0.2",
        "--lock-retries",
        "2",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("ERROR:  canceling statement due to lock timeout"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("not granted within lock_timeout, 3 times"),
        "{}",
        r.stderr
    );
    blocker.exec("ROLLBACK");
    assert_eq!(db.dump(), before);
}

#[test]
fn a_lock_released_during_the_retries_lets_apply_finish() {
    let db = TestDb::new("lockretry");
    db.exec("CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE)");
    let blocker = TestDb::attach(&db);
    blocker.exec("BEGIN; LOCK TABLE users IN ACCESS SHARE MODE");
    let dir = schema_dir("lockretry", USERS);
    let child = spawn(
        &db,
        &[
            "apply",
            "--schema",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--lock-timeout",
            "0.2",
            "--lock-retries",
            "6",
        ],
    );
    std::thread::sleep(Duration::from_millis(1200));
    blocker.exec("COMMIT");
    let r = finish(child);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(db.strings("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'note'"), vec!["1"]);
}

fn interrupt_with(sig: &str) {
    let db = TestDb::new("signal");
    db.exec("CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE)");
    let before = db.dump();
    let blocker = TestDb::attach(&db);
    blocker.exec("BEGIN; LOCK TABLE users IN ACCESS SHARE MODE");
    let dir = schema_dir("signal", USERS);
    let child = spawn(
        &db,
        &[
            "apply",
            "--schema",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--lock-timeout",
            "60",
        ],
    );
    wait_for(
        &db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tableform' AND datname = current_database() AND wait_event_type = 'Lock'",
        "apply to block on the table lock",
    );
    signal(&child, sig);
    let r = finish(child);
    assert_eq!(r.code, 130, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("error: interrupted: the transaction was rolled back; nothing was changed"),
        "{}",
        r.stderr
    );
    blocker.exec("ROLLBACK");
    wait_for(
        &db,
        "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'tableform' AND datname = current_database()",
        "the server to end the session",
    );
    assert_eq!(db.dump(), before);
}

#[test]
fn sigint_during_apply_rolls_back_and_exits_130() {
    interrupt_with("-INT");
}

#[test]
fn sigterm_during_apply_rolls_back_and_exits_130() {
    interrupt_with("-TERM");
}

const BIG: &str = r#"
[table.events]
columns = [
  { name = "id",      type = "bigint", primary_key = true },
  { name = "payload", type = "text", nullable = false },
]
indexes = [ { name = "events_payload_hash_idx", columns = ["(md5(md5(md5(payload))))"] } ]
"#;

fn big_table(db: &TestDb) {
    db.exec(
        "CREATE TABLE events (id bigint PRIMARY KEY, payload text NOT NULL);
         INSERT INTO events SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 1500000) g;",
    );
}

fn kill_during_index_build(concurrent: bool) -> TestDb {
    let db = TestDb::new(if concurrent { "killconc" } else { "kill" });
    big_table(&db);
    let dir = schema_dir("kill", BIG);
    let mut args = vec!["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"];
    if concurrent {
        args.push("--concurrent-indexes");
    }
    let child = spawn(&db, &args);
    wait_for(
        &db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tableform' AND datname = current_database() AND query LIKE '%CREATE INDEX%' AND state = 'active'",
        "the index build to start",
    );
    signal(&child, "-KILL");
    let _ = finish(child);
    // client_connection_check_interval makes the server notice the vanished client.
    wait_for(
        &db,
        "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'tableform' AND datname = current_database()",
        "the server to end the session",
    );
    db
}

#[test]
fn kill_9_during_an_index_build_leaves_no_index_at_all() {
    let db = kill_during_index_build(false);
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_indexes WHERE indexname = 'events_payload_hash_idx'"),
        vec!["0"]
    );
    assert_eq!(db.count("events"), 1_500_000);
}

#[test]
fn a_killed_concurrent_build_leaves_an_invalid_index_that_the_next_apply_rebuilds() {
    let db = kill_during_index_build(true);
    let invalid = "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('events_payload_hash_idx') AND NOT indisvalid";
    assert_eq!(
        db.strings(invalid),
        vec!["1"],
        "a killed CONCURRENTLY build leaves an invalid index"
    );
    let dir = schema_dir("killrebuild", BIG);
    let plan = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
    assert!(
        plan.stdout.contains("drop index events_payload_hash_idx"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("CREATE INDEX events_payload_hash_idx"),
        "{}",
        plan.stdout
    );
    let r = db.run(&[
        "apply",
        "--schema",
        dir.to_str().unwrap(),
        "--auto-approve",
        "--concurrent-indexes",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(db.strings(invalid), vec!["0"]);
    let again = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[test]
fn a_failed_concurrent_build_drops_its_invalid_index() {
    let db = TestDb::new("concfail");
    db.exec("CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL); INSERT INTO users (email) VALUES ('a'), ('a');");
    let dir = schema_dir(
        "concfail",
        r#"
[table.users]
columns = [
  { name = "id",    type = "serial", primary_key = true },
  { name = "email", type = "text", nullable = false },
]
indexes = [ { name = "users_email_uidx", columns = ["email"], unique = true } ]
"#,
    );
    let r = db.run(&[
        "apply",
        "--schema",
        dir.to_str().unwrap(),
        "--auto-approve",
        "--concurrent-indexes",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("building an index concurrently failed"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("CREATE UNIQUE INDEX CONCURRENTLY users_email_uidx"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("The invalid index it left was dropped"),
        "{}",
        r.stderr
    );
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_class WHERE relname = 'users_email_uidx'"),
        vec!["0"]
    );
}

#[test]
fn a_saved_plan_whose_verdict_depended_on_an_empty_table_goes_stale_when_rows_arrive() {
    let db = TestDb::new("datastale");
    db.exec("CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, legacy text, note text)");
    let dir = schema_dir("datastale", USERS);
    let file = dir.join("plan.json");
    let plan = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        plan.code, 0,
        "dropping a column of an empty table is a change:\n{}",
        plan.stdout
    );
    db.exec("INSERT INTO users (email, legacy) VALUES ('a@x', 'precious')");
    let r = db.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("plan is stale: the data changed since the plan was made"),
        "{}",
        r.stderr
    );
    assert_eq!(db.strings("SELECT legacy FROM users"), vec!["precious"]);
}

#[test]
fn passwords_never_appear_in_output_errors_or_plan_files() {
    let db = TestDb::new("secret");
    let with_pw = db
        .url
        .replacen("://postgres@", "://postgres:Sup3r-S3cret@", 1);
    assert_ne!(with_pw, db.url, "test URL has the expected shape");
    let dir = scratch_dir("secret");
    let file = dir.join("plan.json");
    let runs = [
        common::run(&[
            "plan",
            "--schema",
            SHOPPING_POINTS,
            "--database-url",
            &with_pw,
            "--out",
            file.to_str().unwrap(),
        ]),
        common::run(&[
            "plan",
            "--schema",
            SHOPPING_POINTS,
            "--database-url",
            &with_pw,
            "--format",
            "json",
        ]),
        common::run(&[
            "drift",
            "--schema",
            SHOPPING_POINTS,
            "--database-url",
            &with_pw,
        ]),
        common::run(&[
            "plan",
            "--schema",
            SHOPPING_POINTS,
            "--database-url",
            &with_pw.replace(&db.name, "nope"),
        ]),
        common::run(&[
            "plan",
            "--schema",
            SHOPPING_POINTS,
            "--database-url",
            &with_pw.replace(":5432", ":1"),
        ]),
        common::run(&[
            "plan",
            "--schema",
            SHOPPING_POINTS,
            "--database-url",
            &with_pw.replace(":5432", ":99999"),
        ]),
        common::run(&[
            "plan",
            "--schema",
            SHOPPING_POINTS,
            "--database-url",
            &format!("{with_pw}?sslmode=bogus"),
        ]),
    ];
    for r in &runs {
        assert!(
            !r.stdout.contains("Sup3r-S3cret") && !r.stderr.contains("Sup3r-S3cret"),
            "{}{}",
            r.stdout,
            r.stderr
        );
    }
    assert!(runs[3].code == 1 && runs[4].code == 1 && runs[5].code == 1 && runs[6].code == 1);
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .contains("Sup3r-S3cret")
    );
}

#[test]
fn tls_modes_follow_libpq() {
    let db = TestDb::new("tls");
    let ssl_on = db.strings("SHOW ssl") == vec!["on"];
    let with = |mode: &str| {
        common::run(&[
            "plan",
            "--schema",
            SHOPPING_POINTS,
            "--database-url",
            &format!("{}?sslmode={mode}", db.url),
        ])
    };
    assert_eq!(with("disable").code, 0);
    assert_eq!(with("prefer").code, 0);
    let require = with("require");
    if ssl_on {
        assert_eq!(require.code, 0, "{}", require.stderr);
        // Without a trusted CA the server's certificate cannot be verified.
        let full = with("verify-full");
        assert_eq!(full.code, 1);
        assert!(
            full.stderr
                .starts_with("error: cannot connect to PostgreSQL at"),
            "{}",
            full.stderr
        );
        assert!(full.stderr.contains("certificate"), "{}", full.stderr);
        // The connection really is encrypted.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let env = |_: &str| None;
        let target =
            tableform::inspect::Target::resolve(Some(&format!("{}?sslmode=require", db.url)), &env)
                .unwrap();
        let encrypted: bool = rt.block_on(async {
            let c = target.connect().await.unwrap();
            c.query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0)
        });
        assert!(encrypted);
    } else {
        assert_eq!(require.code, 1);
        assert!(
            require.stderr.contains("error: cannot connect"),
            "{}",
            require.stderr
        );
    }
    let bogus = with("sometimes");
    assert_eq!(bogus.code, 1);
    assert!(
        bogus
            .stderr
            .contains("sslmode must be disable, allow, prefer, require, verify-ca or verify-full")
    );
}

#[test]
fn hostile_names_are_just_strange_names() {
    let db = TestDb::new("hostile");
    db.exec("CREATE TABLE users (id int); INSERT INTO users VALUES (1);");
    let dir = schema_dir(
        "hostile",
        r#"
[table.'x"; DROP TABLE users; --']
comment = "it's a trap'; DROP TABLE users; --"
columns = [
  { name = "id",                  type = "integer", primary_key = true },
  { name = "'); DROP TABLE users;", type = "text", default = "'''; DROP TABLE users; --'", comment = "\\'" },
]
indexes = [ { name = "idx\"; DROP TABLE users; --", columns = ["'); DROP TABLE users;"] } ]
"#,
    );
    let r = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        db.strings("SELECT count(*) FROM users"),
        vec!["1"],
        "users survived"
    );
    assert_eq!(
        db.strings(
            r#"SELECT count(*) FROM pg_tables WHERE tablename = 'x"; DROP TABLE users; --'"#
        ),
        vec!["1"]
    );
    db.exec(r#"INSERT INTO "x""; DROP TABLE users; --" (id) VALUES (1)"#);
    assert_eq!(
        db.strings(r#"SELECT "'); DROP TABLE users;" FROM "x""; DROP TABLE users; --""#),
        vec!["'; DROP TABLE users; --"]
    );
    let again = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[test]
fn apply_shows_progress_on_a_terminal_and_nothing_extra_otherwise() {
    let db = TestDb::new("progress");
    let dir = schema_dir("progress", USERS);
    // `script` gives the process a terminal.
    let cmd = format!(
        "{} apply --schema {} --database-url '{}' --auto-approve",
        env!("CARGO_BIN_EXE_tableform"),
        dir.display(),
        db.url
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("step 1 of 1: CREATE TABLE public.users ("),
        "no progress on a terminal:\n{shown}"
    );
    assert!(shown.contains("CREATE TABLE public.users"), "{shown}");

    let piped = TestDb::new("progresspipe");
    let r = piped.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(r.code, 0);
    assert!(
        !r.stderr.contains("step 1 of 1"),
        "progress when not a terminal: {}",
        r.stderr
    );
    assert_eq!(r.stderr, "");
}

#[test]
fn a_failure_inside_a_batch_of_new_objects_still_names_its_step() {
    let db = TestDb::new("batchfail");
    let dir = schema_dir(
        "batchfail",
        r#"
[table.a]
columns = [ { name = "id", type = "integer", primary_key = true } ]

[table.b]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "a_id", type = "integer", references = "a(id)" },
  { name = "x", type = "integer", check = "no_such_function(x) > 0" },
]

[table.c]
columns = [ { name = "id", type = "integer", primary_key = true } ]
"#,
    );
    let before = db.dump();
    let r = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // Steps on new objects go to the server in one batch; the failure is still attributed.
    assert!(
        r.stderr
            .contains("error: step 2 of 4 failed, everything was rolled back:"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("CREATE TABLE public.b ("), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("ERROR:  function no_such_function(integer) does not exist"),
        "{}",
        r.stderr
    );
    assert_eq!(db.dump(), before, "a failed batch left something behind");
}

/// SIGINT while `CREATE INDEX CONCURRENTLY` runs, after the main transaction committed: the
/// message says the plan's other changes are applied and what became of the index, and the
/// invalid index the build left is gone.
#[test]
fn an_interrupt_during_a_concurrent_build_says_the_transaction_committed() {
    let db = TestDb::new("intconc");
    big_table(&db);
    let dir = schema_dir("intconc", BIG);
    let args = [
        "apply",
        "--schema",
        dir.to_str().unwrap(),
        "--auto-approve",
        "--concurrent-indexes",
    ];
    let child = spawn(&db, &args);
    wait_for(
        &db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tableform' AND datname = current_database() AND query LIKE '%CREATE INDEX CONCURRENTLY%' AND state = 'active'",
        "the concurrent build to start",
    );
    signal(&child, "-INT");
    let r = finish(child);
    assert_eq!(r.code, 130, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("after the transaction had been committed")
            && r.stderr
                .contains("the invalid index the build left was dropped"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("nothing was changed"), "{}", r.stderr);
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_index WHERE NOT indisvalid"),
        ["0"]
    );
}

/// `pg_cancel_backend` while a batch of new objects waits: the apply stops with the server's
/// message; it is not re-run step by step and committed.
#[test]
fn a_cancel_during_a_batch_stops_the_apply() {
    let db = TestDb::new("cancelbatch");
    let before = db.dump();
    // Another session creates the same schema and keeps its transaction open: apply's
    // `CREATE SCHEMA billing` waits for it inside the batch.
    let other = TestDb::attach(&db);
    other.exec("BEGIN; CREATE SCHEMA billing");
    let dir = schema_dir(
        "cancelbatch",
        "[table.invoices]\nschema = \"billing\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n[table.lines]\nschema = \"billing\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
    );
    let child = spawn(
        &db,
        &[
            "apply",
            "--schema",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--lock-timeout",
            "60",
        ],
    );
    wait_for(
        &db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tableform' AND datname = current_database() AND wait_event_type = 'Lock'",
        "apply to wait inside its batch",
    );
    // This test's database only: the other tests' tableform sessions run on the same server.
    db.exec(
        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'tableform' AND datname = current_database()",
    );
    // The way is clear now: a step-by-step re-run would succeed and commit.
    other.exec("ROLLBACK");
    let r = finish(child);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("canceling statement due to user request")
            && r.stderr.contains("everything was rolled back"),
        "{}",
        r.stderr
    );
    assert_eq!(db.dump(), before);
}

/// Enum values a later step uses are committed first (PostgreSQL requires it); when a later
/// step fails, the message says they stay instead of "everything was rolled back".
#[test]
fn a_failure_after_the_early_enum_commit_says_what_stays() {
    let db = TestDb::new("earlyenum");
    db.exec(
        "CREATE TYPE mood AS ENUM ('calm');
         CREATE TABLE t (id integer, m mood);
         INSERT INTO t VALUES (1, 'calm'), (1, 'calm');",
    );
    let dir = schema_dir(
        "earlyenum",
        r#"
[enum.mood]
values = ["calm", "eager"]

[table.t]
columns = [
  { name = "id", type = "integer", unique = true },
  { name = "m", type = "mood", default = "'eager'" },
]
"#,
    );
    let r = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("the enum values added before it had been committed already and stay"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("everything was rolled back"),
        "{}",
        r.stderr
    );
    assert_eq!(
        db.strings("SELECT unnest(enum_range(NULL::mood))::text"),
        ["calm", "eager"]
    );
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_attrdef"),
        ["0"],
        "the default was rolled back"
    );
}

/// A 20-step plan (one new table, 19 columns added to a table with rows), killed at every
/// statement boundary, before `COMMIT` included: each time the database is exactly as before,
/// and a re-run then makes it exactly as planned.
#[test]
fn a_kill_at_every_statement_boundary_leaves_before_or_after_a_rerun() {
    let columns: String = (1..=19)
        .map(|i| format!("  {{ name = \"c{i}\", type = \"integer\" }},\n"))
        .collect();
    let declared = format!(
        "[table.wide]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n{columns}]\n\n[table.fresh]\ncolumns = [{{ name = \"id\", type = \"integer\" }}]\n"
    );
    let dir = schema_dir("killsteps", &declared);
    let dir = dir.to_str().unwrap();
    let setup = "CREATE TABLE wide (id integer PRIMARY KEY); INSERT INTO wide SELECT generate_series(1, 100);";

    let reference = TestDb::new("killref");
    reference.exec(setup);
    let plan = reference.run(&["plan", "--schema", dir, "--format", "json"]);
    let steps = plan.stdout.matches("\"phase\"").count();
    assert_eq!(steps, 20, "{}", plan.stdout);
    assert_eq!(
        reference
            .run(&["apply", "--schema", dir, "--auto-approve"])
            .code,
        0
    );
    let planned = reference.dump().replace(&reference.name, "DB");

    let mut failures = Vec::new();
    for boundary in 1..=steps + 1 {
        let db = TestDb::new("killstep");
        db.exec(setup);
        let before = db.dump();
        let rows = db.all_rows();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tableform"));
        cmd.args([
            "apply",
            "--schema",
            dir,
            "--auto-approve",
            "--database-url",
            &db.url,
        ])
        .env("TABLEFORM_FAULT_ABORT_AT", boundary.to_string())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        let status = cmd.status().unwrap();
        if status.success() {
            failures.push(format!("boundary {boundary}: the process was not killed"));
            continue;
        }
        wait_for(
            &db,
            "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'tableform' AND datname = current_database()",
            "the server to end the killed session",
        );
        if db.dump() != before || db.all_rows() != rows {
            failures.push(format!("boundary {boundary}: the database changed"));
            continue;
        }
        let again = db.run(&["apply", "--schema", dir, "--auto-approve"]);
        if again.code != 0 {
            failures.push(format!(
                "boundary {boundary}: re-run exited {}: {}",
                again.code, again.stderr
            ));
        } else if db.dump().replace(&db.name, "DB") != planned
            || db.all_rows() != reference.all_rows()
        {
            failures.push(format!(
                "boundary {boundary}: the re-run did not give the planned database"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// SIGINT while `COMMIT` waits for a synchronous standby that never answers: the server has
/// committed locally, and the message says so instead of "rolled back".
#[test]
fn an_interrupt_while_commit_waits_for_a_standby_says_it_committed() {
    let server = common::TempServer::start("syncrep", "synchronous_standby_names = 'nobody'");
    let url = server.url("postgres");
    let dir = schema_dir("syncrep", USERS);
    let mut child = Command::new(env!("CARGO_BIN_EXE_tableform"))
        .args([
            "apply",
            "--schema",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--database-url",
            &url,
        ])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while server.psql(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tableform' AND wait_event = 'SyncRep'",
    ) != "1"
    {
        assert!(start.elapsed() < Duration::from_secs(60), "COMMIT never waited for the standby");
        std::thread::sleep(Duration::from_millis(100));
    }
    signal(&child, "-INT");
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("the transaction had already been committed on the server"),
        "{stderr}"
    );
    assert!(!stderr.contains("rolled back"), "{stderr}");
    assert_eq!(
        server.psql(
            "postgres",
            "SELECT count(*) FROM pg_tables WHERE tablename = 'users'"
        ),
        "1"
    );
}

/// A plan reads the catalog without locking every sequence: `pg_sequence_last_value()` locks
/// each one it reads until the transaction ends, which on a large schema exhausts the lock
/// table ("out of shared memory"). Only a sequence whose declared bounds change is read, and
/// its restart is still planned from its current value.
#[test]
fn a_plan_over_many_sequences_fits_a_small_lock_table() {
    // Room for about 100 locks (max_locks_per_transaction x max_connections, plus some slack).
    let server = common::TempServer::start(
        "fewlocks",
        "max_locks_per_transaction = 10\nmax_connections = 10",
    );
    let n = 1500;
    let statements: Vec<String> = (0..n)
        .map(|i| format!("CREATE SEQUENCE public.s{i} AS integer"))
        .collect();
    server.psql_each("postgres", &statements);
    server.psql("postgres", "SELECT setval('public.s7', 500)");
    let mut toml = String::new();
    for i in 0..n {
        let max = if i == 7 { "100" } else { "2147483647" };
        toml.push_str(&format!(
            "[sequence.s{i}]\ntype = \"integer\"\nmax_value = {max}\n\n"
        ));
    }
    let dir = schema_dir("fewlocks", &toml);
    let out = Command::new(env!("CARGO_BIN_EXE_tableform"))
        .args(["plan", "--schema", dir.to_str().unwrap(), "--database-url"])
        .arg(server.url("postgres"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ALTER SEQUENCE public.s7 AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 100 START WITH 1 CACHE 1 NO CYCLE RESTART;"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Plan: 0 to create, 1 to change, 1499 unchanged, 0 refused."),
        "{stdout}"
    );
}
