//! The three database states the shopping points app meets on deployment (issue: end to end),
//! with the real binary against a real PostgreSQL.

mod common;

use common::{SHOPPING_POINTS, TestDb, fixture, run};

const PLAN: &[&str] = &["plan", "--schema", SHOPPING_POINTS];
const APPLY: &[&str] = &["apply", "--schema", SHOPPING_POINTS, "--auto-approve"];

/// The catalog a psql load of the reference SQL produces.
fn reference_dump() -> String {
    let db = TestDb::new("reference");
    db.exec(&fixture("shopping_points_v0_2.sql"));
    db.dump().replace(&db.name, "DB")
}

fn assert_converged(db: &TestDb) {
    let again = db.run(&["plan", "--schema", SHOPPING_POINTS, "--detailed-exitcode"]);
    assert_eq!(
        again.code, 0,
        "second plan is not empty:\n{}{}",
        again.stdout, again.stderr
    );
    assert!(
        again
            .stdout
            .contains("Plan: 0 to create, 0 to change, 17 unchanged, 0 refused."),
        "{}",
        again.stdout
    );
    let sql = db.run(&["plan", "--schema", SHOPPING_POINTS, "--format", "sql"]);
    assert_eq!(sql.stdout, "", "a converged plan has no statements");
}

#[test]
fn empty_database_gets_all_17_tables_identical_to_the_reference() {
    let db = TestDb::new("empty");
    let plan = db.run(PLAN);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    insta::assert_snapshot!("plan_empty_database", db.scrub(&plan.stdout));

    let detailed = db.run(&["plan", "--schema", SHOPPING_POINTS, "--detailed-exitcode"]);
    assert_eq!(
        detailed.code, 2,
        "changes pending means exit 2 with --detailed-exitcode"
    );

    let apply = db.run(APPLY);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stdout.contains("Apply complete"), "{}", apply.stdout);

    assert_eq!(db.dump().replace(&db.name, "DB"), reference_dump());
    assert_converged(&db);
}

#[test]
fn alembic_version_alone_is_left_untouched() {
    let db = TestDb::new("alembic");
    db.exec(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,
             CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
         INSERT INTO alembic_version VALUES ('4f2a9c1b7d3e');",
    );
    let before = db.dump();
    let plan = db.run(PLAN);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains("Plan: 17 to create, 0 to change, 0 unchanged, 0 refused."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("? table public.alembic_version (owned by Alembic: its migration bookkeeping, left untouched)"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("DROP"),
        "nothing may touch alembic_version"
    );

    let apply = db.run(APPLY);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(
        db.strings("SELECT version_num FROM alembic_version"),
        vec!["4f2a9c1b7d3e"]
    );
    let after = db.dump();
    let table_def = |d: &str| {
        d.split("\n\n")
            .filter(|b| b.contains("alembic_version"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        table_def(&before),
        table_def(&after),
        "alembic_version's definition changed"
    );
    assert_converged(&db);
}

#[test]
fn older_production_database_is_refused_then_upgraded_in_place_keeping_every_row() {
    let db = TestDb::new("older");
    db.exec(&fixture("older_production.sql"));
    let rows_before = db.all_rows();
    let dump_before = db.dump();

    let plan = db.run(PLAN);
    assert_eq!(
        plan.code, 3,
        "a refusal exits 3:\n{}{}",
        plan.stdout, plan.stderr
    );
    insta::assert_snapshot!("plan_older_production", db.scrub(&plan.stdout));
    for verdict in [
        "\n  + table",
        "\n  ~ table",
        "\n  = table",
        "\n  ! table",
        "\n  ? table",
    ] {
        assert!(
            plan.stdout.contains(verdict),
            "missing {verdict:?} in\n{}",
            plan.stdout
        );
    }

    // A plan holding a refusal is never applied, whatever the flags.
    let apply = db.run(APPLY);
    assert_eq!(apply.code, 3, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(db.dump(), dump_before, "a refused apply changed the schema");
    assert_eq!(db.all_rows(), rows_before, "a refused apply changed data");

    // The operator resolves the conflict by hand; now the upgrade goes through.
    db.exec("ALTER TABLE coupons ALTER COLUMN value TYPE double precision USING value::double precision");
    let rows_resolved = db.all_rows();
    let plan = db.run(PLAN);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("Plan: 11 to create, 4 to change, 2 unchanged, 0 refused."),
        "{}",
        plan.stdout
    );

    let apply = db.run(APPLY);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_converged(&db);

    // Every row is still there; new columns got their defaults (status) or NULL.
    for table in [
        "bonus_programs",
        "users",
        "shop_main",
        "shops",
        "shop_program_rates",
        "coupons",
    ] {
        let old_count = rows_resolved
            .lines()
            .find(|l| l.starts_with(&format!("{table}:")))
            .unwrap();
        let n = old_count.matches(" | ").count() as i64 + 1;
        assert_eq!(db.count(table), n, "{table} lost rows");
    }
    assert_eq!(db.count("alembic_version"), 1);
    assert_eq!(
        db.strings("SELECT DISTINCT status FROM users"),
        vec!["active"],
        "existing users got the declared default"
    );
    assert_eq!(
        db.strings("SELECT value FROM coupons ORDER BY id"),
        vec!["10", "5", "2.5"]
    );
    assert_eq!(
        db.strings("SELECT username FROM users ORDER BY id").len(),
        3,
        "users rows survived the upgrade"
    );
}

#[test]
fn apply_without_yes_changes_nothing() {
    let db = TestDb::new("cancel");
    let before = db.dump();
    for answer in ["no\n", "", "y\n", "YES please\n"] {
        let r = db.run_input(&["apply", "--schema", SHOPPING_POINTS], answer);
        assert_eq!(r.code, 1, "answer {answer:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout
                .contains("Do you want to perform these actions? Only 'yes' will be accepted:"),
            "{}",
            r.stdout
        );
        assert!(
            r.stderr.contains("apply cancelled; nothing was changed"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(db.dump(), before);
}

#[test]
fn apply_confirmed_through_a_pipe() {
    let db = TestDb::new("yes");
    let r = db.run_input(&["apply", "--schema", SHOPPING_POINTS], "yes\n");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        vec!["17"]
    );
}

#[test]
fn unreachable_server_is_one_line_naming_host_port_and_database() {
    // Port 1 on loopback: nothing listens there.
    let r = run(&[
        "plan",
        "--schema",
        SHOPPING_POINTS,
        "--database-url",
        "postgres://app:s3cret-pw@127.0.0.1:1/shop",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "error: cannot connect to PostgreSQL at 127.0.0.1:1 (database \"shop\"): "
        ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("s3cret-pw"));
}

#[test]
fn missing_database_is_one_line_and_hides_the_password() {
    let db = TestDb::new("missing");
    let url = db.url.replace(&db.name, "tf_no_such_database_here");
    let url = url.replacen("postgres://postgres@", "postgres://postgres:pa55word@", 1);
    let r = run(&["plan", "--schema", SHOPPING_POINTS, "--database-url", &url]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("database \"tf_no_such_database_here\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
    assert!(!r.stderr.contains("pa55word"));
}

#[test]
fn database_url_comes_from_the_environment_and_sqlalchemy_urls_work() {
    let db = TestDb::new("envurl");
    let sqlalchemy = db.url.replacen("postgres://", "postgresql+psycopg2://", 1);
    let mut cmd = assert_cmd::Command::cargo_bin("tableform").unwrap();
    let out = cmd
        .current_dir(common::root())
        .args(["plan", "--schema", SHOPPING_POINTS])
        .env("DATABASE_URL", &sqlalchemy)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("17 to create"));
}
