//! "Never loses data, never runs what the plan did not show", under attack and under load:
//! declarations crafted to smuggle SQL past a session setting, and writers that commit rows while
//! apply waits for its table lock.

mod common;

use common::{TestDb, finish, schema_dir, spawn, wait_for};

// ---------------------------------------------------------------------------------------------
// Hostile declarations and session settings
// ---------------------------------------------------------------------------------------------

/// sqlparser reads `'\'` as a complete string; a server with `standard_conforming_strings = off`
/// reads `\'` as an escaped quote. This default is one harmless expression to the first and a
/// string, `COMMIT`, and `DROP TABLE victim` to the second.
const HOSTILE: &str = r#"
[table.t]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "label", type = "text", default = "'\\' || '; COMMIT; DROP TABLE victim; --'" },
]
"#;

fn hostile_db() -> TestDb {
    let db = TestDb::new("hostile");
    db.exec(
        "CREATE TABLE victim (id int); INSERT INTO victim VALUES (1);
         CREATE TABLE t (id integer PRIMARY KEY, label text DEFAULT 'x');",
    );
    db
}

fn victim_survives(db: &TestDb, after: &str) {
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_tables WHERE tablename = 'victim'"),
        ["1"],
        "victim was dropped by {after}"
    );
    assert_eq!(db.count("victim"), 1, "{after}");
}

/// plan, drift and apply against a database whose sessions start with the setting off.
fn plan_drift_apply_leave_victim_alone(db: &TestDb, url: &str) {
    let dir = schema_dir("hostile", HOSTILE);
    let dir = dir.to_str().unwrap();
    let plan = common::run(&["plan", "--schema", dir, "--database-url", url]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    victim_survives(db, "plan");
    let drift = common::run(&["drift", "--schema", dir, "--database-url", url]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    victim_survives(db, "drift");
    let apply = common::run(&[
        "apply",
        "--schema",
        dir,
        "--auto-approve",
        "--database-url",
        url,
    ]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    victim_survives(db, "apply");
    // The default is what the declaration says to sqlparser and to a standard server: a string.
    assert_eq!(
        db.strings("INSERT INTO t (id) VALUES (1) RETURNING label"),
        ["\\; COMMIT; DROP TABLE victim; --"]
    );
    let again = common::run(&[
        "plan",
        "--schema",
        dir,
        "--detailed-exitcode",
        "--database-url",
        url,
    ]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}

#[test]
fn a_hostile_default_runs_nothing_when_the_database_turns_standard_strings_off() {
    let db = hostile_db();
    db.exec(&format!(
        "ALTER DATABASE \"{}\" SET standard_conforming_strings = off",
        db.name
    ));
    plan_drift_apply_leave_victim_alone(&db, &db.url);
}

#[test]
fn a_hostile_default_runs_nothing_when_the_url_turns_standard_strings_off() {
    let db = hostile_db();
    let sep = if db.url.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{sep}options=-c%20standard_conforming_strings%3Doff",
        db.url
    );
    plan_drift_apply_leave_victim_alone(&db, &url);
}

#[test]
fn a_hostile_saved_plan_runs_nothing_after_the_setting_changes() {
    let db = hostile_db();
    let dir = schema_dir("hostilesaved", HOSTILE);
    let file = dir.join("plan.json");
    let plan = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    db.exec(&format!(
        "ALTER DATABASE \"{}\" SET standard_conforming_strings = off",
        db.name
    ));
    let apply = db.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    victim_survives(&db, "apply of the saved plan");
}

/// A role whose sessions start with `session_replication_role = replica` (foreign keys not
/// enforced) cannot set it back: tableform stops instead of applying without its checks.
#[test]
fn a_setting_that_cannot_be_pinned_stops_tableform_with_its_name() {
    let db = TestDb::new("pin");
    let role = format!("tf_pin_{}", db.name.rsplit('_').next().unwrap());
    db.exec(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'pin-secret';
         ALTER ROLE {role} SET session_replication_role = replica;
         GRANT ALL ON SCHEMA public TO {role};"
    ));
    let url = db.url_as(&role, "pin-secret");
    let dir = schema_dir(
        "pin",
        "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
    );
    let r = common::run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    db.exec(&format!(
        "REVOKE ALL ON SCHEMA public FROM {role}; DROP ROLE {role}"
    ));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("cannot pin the session settings tableform relies on")
            && r.stderr.contains("session_replication_role"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("pin-secret"), "{}", r.stderr);
}

/// An expression sqlparser accepts but PostgreSQL's grammar does not: the server's parse stops
/// the plan before any probe or step uses it, naming the table and column.
#[test]
fn an_expression_the_server_does_not_read_as_one_stops_the_plan() {
    let db = TestDb::new("guard");
    db.exec("CREATE TABLE t (id integer)");
    let before = db.dump();
    let dir = schema_dir(
        "guard",
        "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\", default = \"TRY_CAST(1 AS integer)\" }]\n",
    );
    for cmd in ["plan", "drift", "apply"] {
        let mut args = vec![cmd, "--schema", dir.to_str().unwrap()];
        if cmd == "apply" {
            args.push("--auto-approve");
        }
        let r = db.run(&args);
        assert_eq!(r.code, 1, "{cmd}: {}{}", r.stdout, r.stderr);
        insta::assert_snapshot!(format!("guard_{cmd}"), db.scrub(&r.stderr));
    }
    assert_eq!(db.dump(), before);
}

const ENUM_DEFAULT: &str = r#"
[enum.mood]
values = ["calm", "eager"]

[table.t]
columns = [
  { name = "id", type = "integer" },
  { name = "m", type = "mood", default = "'calm'" },
  { name = "n", type = "integer" },
]
checks = [{ name = "t_n_check", expression = "n IN (1, 2)" }]
indexes = [{ columns = ["id"] }]
"#;

/// On a read-only connection (a hot standby, `default_transaction_read_only`, a role without
/// TEMP) the expression probe cannot run: plan says so and names --dev-url; with it, plan and
/// drift work and the database is only read.
#[test]
fn plan_on_a_read_only_connection_asks_for_dev_url_and_works_with_it() {
    let db = TestDb::new("readonly");
    db.exec("CREATE TYPE mood AS ENUM ('calm', 'eager'); CREATE TABLE t (id integer, m mood DEFAULT 'calm', n integer CHECK (n IN (1, 2)));
         CREATE INDEX ON t (id);");
    let dir = schema_dir("readonly", ENUM_DEFAULT);
    let dir = dir.to_str().unwrap();
    let sep = if db.url.contains('?') { '&' } else { '?' };
    let read_only = format!(
        "{}{sep}options=-c%20default_transaction_read_only%3Don",
        db.url
    );

    let role = format!("tf_notemp_{}", db.name.rsplit('_').next().unwrap());
    db.exec(&format!(
        "REVOKE TEMP ON DATABASE \"{0}\" FROM PUBLIC;
         CREATE ROLE {role} LOGIN PASSWORD 'ro-secret';
         GRANT USAGE ON SCHEMA public TO {role}; GRANT SELECT ON t TO {role};",
        db.name
    ));
    let no_temp = db.url_as(&role, "ro-secret");
    let dev = common::base_url();

    let mut outputs = Vec::new();
    for (label, url) in [
        ("read-only transaction", &read_only),
        ("role without TEMP", &no_temp),
    ] {
        let r = common::run(&["plan", "--schema", dir, "--database-url", url]);
        assert_eq!(r.code, 1, "{label}: {}{}", r.stdout, r.stderr);
        outputs.push(format!("{label}:\n{}", db.scrub(&r.stderr)));
        let r = common::run(&[
            "plan",
            "--schema",
            dir,
            "--database-url",
            url,
            "--dev-url",
            &dev,
        ]);
        assert_eq!(r.code, 0, "{label}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("No changes"), "{label}: {}", r.stdout);
        // The self-check needs temporary tables on the database itself: it says it did not run.
        assert!(
            r.stdout
                .contains("The self-check (properties the model may not carry) did not run: "),
            "{label}: {}",
            r.stdout
        );
        let r = common::run(&[
            "drift",
            "--schema",
            dir,
            "--database-url",
            url,
            "--dev-url",
            &dev,
        ]);
        assert_eq!(r.code, 0, "{label}: {}{}", r.stdout, r.stderr);
    }
    db.exec(&format!(
        "REVOKE ALL ON t FROM {role}; REVOKE ALL ON SCHEMA public FROM {role}; DROP ROLE {role}"
    ));
    insta::assert_snapshot!("read_only_plan", outputs.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Writers that commit while apply waits for the table lock
// ---------------------------------------------------------------------------------------------

/// One data-dependent verdict: the table as it is (empty, or without NULLs), the declaration
/// that is allowed only because of that, and the row a writer commits meanwhile.
struct Race {
    tag: &'static str,
    setup: &'static str,
    declared: &'static str,
    flags: &'static [&'static str],
    insert: &'static str,
    /// The writer's row, as `SELECT t::text FROM t` shows it after apply gave up.
    survives: &'static str,
}

fn race(r: &Race) {
    let db = TestDb::new(r.tag);
    db.exec(r.setup);
    db.exec("CREATE TABLE keep (id integer PRIMARY KEY)");
    let declared = format!(
        "[table.keep]\ncolumns = [{{ name = \"id\", type = \"integer\", primary_key = true }}]\n{}",
        r.declared
    );
    let dir = schema_dir(r.tag, &declared);
    let plan = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
    assert_eq!(
        plan.code, 0,
        "the plan should allow it:\n{}{}",
        plan.stdout, plan.stderr
    );

    // A writer inserts and holds its transaction open: apply has to wait for the table lock.
    let writer = TestDb::attach(&db);
    writer.exec(&format!("BEGIN; {}", r.insert));
    let mut args = vec!["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"];
    args.extend(["--lock-timeout", "30"]);
    args.extend(r.flags);
    let child = spawn(&db, &args);
    wait_for(
        &db,
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE c.relname = 't' AND NOT l.granted",
        "apply to wait for the lock on t",
    );
    writer.exec("COMMIT");
    let out = finish(child);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("plan is stale: the data changed since the plan was made"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("Apply complete"), "{}", out.stdout);
    insta::assert_snapshot!(r.tag, db.scrub(&out.stderr));
    assert_eq!(
        db.strings("SELECT t::text FROM t t"),
        [r.survives],
        "the writer's row changed:\n{}",
        out.stderr
    );
}

#[test]
fn a_row_committed_during_the_lock_wait_stops_a_table_drop() {
    race(&Race {
        tag: "racedrop",
        setup: "CREATE TABLE t (id integer)",
        declared: "",
        flags: &["--prune"],
        insert: "INSERT INTO t VALUES (7)",
        survives: "(7)",
    });
}

#[test]
fn a_row_committed_during_the_lock_wait_stops_a_column_drop() {
    race(&Race {
        tag: "racedropcol",
        setup: "CREATE TABLE t (id integer, note text)",
        declared: "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
        flags: &[],
        insert: "INSERT INTO t VALUES (7, 'keep me')",
        survives: "(7,\"keep me\")",
    });
}

#[test]
fn a_row_committed_during_the_lock_wait_stops_a_narrowing_that_would_truncate() {
    race(&Race {
        tag: "racevarchar",
        setup: "CREATE TABLE t (name varchar(100))",
        declared: "[table.t]\ncolumns = [{ name = \"name\", type = \"varchar(5)\" }]\n",
        flags: &[],
        insert: "INSERT INTO t VALUES ('a long name')",
        survives: "(\"a long name\")",
    });
}

#[test]
fn a_row_committed_during_the_lock_wait_stops_a_conversion_that_would_round() {
    race(&Race {
        tag: "raceround",
        setup: "CREATE TABLE t (price numeric(6,2))",
        declared: "[table.t]\ncolumns = [{ name = \"price\", type = \"integer\" }]\n",
        flags: &[],
        insert: "INSERT INTO t VALUES (12.75)",
        survives: "(12.75)",
    });
}

#[test]
fn a_row_committed_during_the_lock_wait_stops_a_not_null_column_without_default() {
    race(&Race {
        tag: "raceaddcol",
        setup: "CREATE TABLE t (id integer)",
        declared: "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }, { name = \"code\", type = \"text\", nullable = false }]\n",
        flags: &[],
        insert: "INSERT INTO t VALUES (7)",
        survives: "(7)",
    });
}

#[test]
fn a_null_committed_during_the_lock_wait_stops_set_not_null() {
    race(&Race {
        tag: "racenotnull",
        setup: "CREATE TABLE t (id integer, code text); INSERT INTO t VALUES (1, 'a')",
        declared: "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }, { name = \"code\", type = \"text\", nullable = false }]\n",
        flags: &[],
        insert: "DELETE FROM t; INSERT INTO t VALUES (7, NULL)",
        survives: "(7,)",
    });
}

#[test]
fn a_row_committed_during_the_lock_wait_stops_making_a_column_an_identity() {
    race(&Race {
        tag: "raceidentity",
        setup: "CREATE TABLE t (id integer NOT NULL)",
        declared: "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\", identity = \"by default\", nullable = false }]\n",
        flags: &[],
        insert: "INSERT INTO t VALUES (7)",
        survives: "(7)",
    });
}

/// A writer that holds its transaction open longer than apply waits: apply gives up on the table
/// lock it needs for the data re-check, says which table, and changes nothing.
#[test]
fn a_table_lock_never_granted_for_the_data_recheck_is_named() {
    let db = TestDb::new("locknever");
    db.exec("CREATE TABLE t (id integer, note text)");
    let before = db.dump();
    let dir = schema_dir(
        "locknever",
        "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
    );
    let writer = TestDb::attach(&db);
    writer.exec("BEGIN; INSERT INTO t VALUES (1, 'pending')");
    let r = db.run(&[
        "apply",
        "--schema",
        dir.to_str().unwrap(),
        "--auto-approve",
        "--lock-timeout",
        "0.2",
        "--lock-retries",
        "1",
    ]);
    writer.exec("ROLLBACK");
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("lock_never_granted", db.scrub(&r.stderr));
    assert_eq!(db.dump(), before);
}

/// A `backfill` (or `using`) crafted to end its statement and run another: rejected at load,
/// located, before anything connects to change a thing; and one the offline reader keeps but
/// the server's grammar does not read as one expression is stopped by the guard.
#[test]
fn a_hostile_backfill_or_using_never_runs() {
    let db = hostile_db();
    db.exec("INSERT INTO t VALUES (1, NULL)");
    let before = db.dump();
    for (key, text, located) in [
        ("backfill", "1); DROP TABLE victim; --", true),
        ("using", "label); DROP TABLE victim; --", true),
        ("backfill", "'x' || (SELECT 1); DROP TABLE victim", true),
        ("backfill", "TRY_CAST(1 AS text)", false),
    ] {
        let ty = if key == "using" {
            "varchar(10)"
        } else {
            "text"
        };
        let toml = format!(
            "[table.t]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  {{ name = \"label\", type = \"{ty}\", nullable = false, {key} = {text:?} }},\n]\n"
        );
        let dir = schema_dir("hostile_backfill", &toml);
        for cmd in ["plan", "apply"] {
            let mut args = vec![cmd, "--schema", dir.to_str().unwrap()];
            if cmd == "apply" {
                args.push("--auto-approve");
            }
            let r = db.run(&args);
            assert_eq!(r.code, 1, "{key} {text:?} {cmd}: {}{}", r.stdout, r.stderr);
            assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
            if located {
                assert!(
                    r.stderr
                        .contains(&format!("invalid {key} expression for column `label`"))
                        && r.stderr.contains("schema.toml:4:"),
                    "{key} {text:?}: {}",
                    r.stderr
                );
            } else {
                assert!(
                    r.stderr
                        .contains("is not exactly one SQL expression to PostgreSQL")
                        && r.stderr.contains("column label backfill"),
                    "{text:?}: {}",
                    r.stderr
                );
            }
            victim_survives(&db, &format!("{cmd} with {key} {text:?}"));
        }
    }
    assert_eq!(db.dump(), before);
    assert_eq!(
        db.strings("SELECT coalesce(label, 'NULL') FROM t"),
        ["NULL"]
    );
}

/// The self-check copies every table into a temporary one, and each copy holds locks until its
/// transaction ends. On a server whose shared lock table is small (here 10 per backend, a few
/// hundred in all), copying 300 tables in one transaction would fill it: the plan would fail with
/// "out of shared memory", and so would every other session of the server meanwhile. The check
/// runs in batches, so the plan (with its self-check) succeeds.
#[test]
fn the_self_check_never_fills_the_servers_lock_table() {
    let server = common::TempServer::start(
        "locktable",
        "max_locks_per_transaction = 10\nmax_connections = 20",
    );
    let url = server.url("postgres");
    let mut ddl = String::new();
    let mut toml = String::new();
    for i in 0..300 {
        ddl.push_str(&format!("CREATE TABLE t{i} (id integer PRIMARY KEY);\n"));
        toml.push_str(&format!(
            "[table.t{i}]\ncolumns = [{{ name = \"id\", type = \"integer\", primary_key = true }}]\n"
        ));
    }
    // Created a few at a time: one transaction of 300 tables would not fit either.
    for chunk in ddl.lines().collect::<Vec<_>>().chunks(20) {
        server.psql("postgres", &chunk.join("\n"));
    }
    let dir = common::schema_dir("locktable", &toml);
    let r = common::run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--detailed-exitcode",
        "--database-url",
        &url,
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        !r.stdout.contains("self-check"),
        "the self-check did not run: {}",
        r.stdout
    );
}

/// The same on a small lock table when every table's keys have a shape of their own (no two
/// tables' primary keys name the same column), so that the self-check needs a copy of each
/// table: the copies are still taken a batch at a time.
#[test]
fn the_self_check_of_many_distinct_shapes_never_fills_the_servers_lock_table() {
    let server = common::TempServer::start(
        "locktableshapes",
        "max_locks_per_transaction = 10\nmax_connections = 20",
    );
    let url = server.url("postgres");
    let mut ddl = String::new();
    let mut toml = String::new();
    for i in 0..300 {
        ddl.push_str(&format!("CREATE TABLE t{i} (id{i} integer PRIMARY KEY);\n"));
        toml.push_str(&format!(
            "[table.t{i}]\ncolumns = [{{ name = \"id{i}\", type = \"integer\", primary_key = true }}]\n"
        ));
    }
    for chunk in ddl.lines().collect::<Vec<_>>().chunks(20) {
        server.psql("postgres", &chunk.join("\n"));
    }
    let dir = common::schema_dir("locktableshapes", &toml);
    let r = common::run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--detailed-exitcode",
        "--database-url",
        &url,
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        !r.stdout.contains("self-check"),
        "the self-check did not run: {}",
        r.stdout
    );
}
