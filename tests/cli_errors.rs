//! Messages and edges of the command line that the scenario tests do not reach.

mod common;

use common::{SHOPPING_POINTS, TestDb, run, scratch_dir};

#[test]
fn a_saved_plan_is_applied_alone() {
    let db = TestDb::new("planalone");
    let file = scratch_dir("planalone").join("plan.json");
    assert_eq!(
        db.run(&[
            "plan",
            "--schema",
            SHOPPING_POINTS,
            "--out",
            file.to_str().unwrap()
        ])
        .code,
        0
    );
    for extra in [
        &["--schema", SHOPPING_POINTS][..],
        &["--prune"],
        &["--allow-destructive"],
    ] {
        let mut args = vec!["apply", file.to_str().unwrap()];
        args.extend(extra);
        let r = db.run(&args);
        assert_eq!(r.code, 1, "{extra:?}");
        assert_eq!(
            r.stderr,
            "error: a saved plan carries its own schema and options: pass PLAN_FILE alone, without --schema, --prune or --allow-destructive\n"
        );
    }
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        vec!["0"]
    );
}

#[test]
fn an_empty_plan_is_saved_and_applied_as_such() {
    let db = TestDb::new("emptyplan");
    assert_eq!(
        db.run(&["apply", "--schema", SHOPPING_POINTS, "--auto-approve"])
            .code,
        0
    );
    let again = db.run(&["apply", "--schema", SHOPPING_POINTS, "--auto-approve"]);
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.ends_with("Nothing to apply.\n"),
        "{}",
        again.stdout
    );
    // --out creates the plan's directory.
    let file = scratch_dir("emptyplan").join("plans/nested/empty.json");
    let plan = db.run(&[
        "plan",
        "--schema",
        SHOPPING_POINTS,
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.ends_with(&format!(
            "\nSaved the plan to {} (it has nothing to apply).\n",
            file.display()
        )),
        "{}",
        plan.stdout
    );
    let apply = db.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(apply.code, 0);
    assert_eq!(apply.stdout, "The saved plan has nothing to apply.\n");
}

#[test]
fn a_plan_that_cannot_be_written_is_an_error() {
    let db = TestDb::new("nowrite");
    let dir = scratch_dir("nowrite");
    std::fs::write(dir.join("a-file"), "").unwrap();
    let target = dir.join("a-file/plan.json");
    let r = db.run(&[
        "plan",
        "--schema",
        SHOPPING_POINTS,
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "error: cannot write the plan to {}: ",
            target.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stdout, "",
        "nothing is printed when the plan could not be saved"
    );
}

#[test]
fn no_database_configured_says_where_one_comes_from() {
    let r = run(&["plan", "--schema", SHOPPING_POINTS]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: no database given: pass --database-url, or set DATABASE_URL or the PG* variables\n"
    );
}

#[test]
fn import_reads_only_the_schemas_it_is_given() {
    let db = TestDb::new("impschemas");
    db.exec(
        "CREATE SCHEMA billing; CREATE SCHEMA audit;
         CREATE TABLE billing.invoices (id serial PRIMARY KEY);
         CREATE TABLE audit.events (id serial PRIMARY KEY);
         CREATE TABLE public.users (id serial PRIMARY KEY);",
    );
    let out = scratch_dir("impschemas").join("schema");
    let r = db.run(&[
        "import",
        "--out",
        out.to_str().unwrap(),
        "--schema-name",
        "billing",
        "--schema-name",
        "public",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["billing.invoices.toml", "users.toml"]);
}
