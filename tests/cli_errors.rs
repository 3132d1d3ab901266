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
    assert_eq!(
        files,
        ["_settings.toml", "billing.invoices.toml", "users.toml"]
    );
}

#[test]
fn connection_strings_with_typos_never_print_the_password() {
    // (what is typed, the pieces of the password that must not appear)
    let cases: &[(&str, &[&str])] = &[
        ("u:Hunter2-Pw@127.0.0.1/db", &["Hunter2-Pw"]),
        ("postgres:/u:Hunter2-Pw@127.0.0.1/db", &["Hunter2-Pw"]),
        ("postgres//u:Hunter2-Pw@127.0.0.1/db", &["Hunter2-Pw"]),
        (
            "postgres://u:Hunter/2Pw@127.0.0.1:54x2/db",
            &["Hunter", "2Pw"],
        ),
        ("postgres://u:Hunter@2Pw@127.0.0.1:1/db", &["Hunter", "2Pw"]),
        (
            "host=127.0.0.1 PASSWORD=Hunter2-Pw dbname=db",
            &["Hunter2-Pw"],
        ),
        (
            "host=127.0.0.1 port=54x2 password = Hunter2-Pw",
            &["Hunter2-Pw"],
        ),
        (
            "host=127.0.0.1 password='Hunter2 Zebra9' port=54x2",
            &["Hunter2", "Zebra9"],
        ),
        (
            "host=127.0.0.1 password=Hunter2 Zebra9 port=1",
            &["Hunter2", "Zebra9"],
        ),
        (
            "postgres://u:Hunter2-Pw@127.0.0.1:1/db?sslmode=Zebra9",
            &["Hunter2-Pw"],
        ),
        ("postgres://u:Hunter2-Pw@127.0.0.1:1/db", &["Hunter2-Pw"]),
    ];
    for (url, secrets) in cases {
        let r = run(&["plan", "--schema", SHOPPING_POINTS, "--database-url", url]);
        assert_eq!(r.code, 1, "{url}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.starts_with("error: "), "{url}: {}", r.stderr);
        for s in *secrets {
            assert!(
                !r.stdout.contains(s) && !r.stderr.contains(s),
                "{url} printed {s:?}: {}{}",
                r.stdout,
                r.stderr
            );
        }
    }
    // The libpq variables: their errors name the variable, not the value.
    for (var, value, expected) in [
        (
            "PGPORT",
            "Hunter2-Pw",
            "error: invalid PGPORT: not a port number",
        ),
        (
            "PGSSLMODE",
            "Hunter2-Pw",
            "error: invalid PGSSLMODE: sslmode must be",
        ),
    ] {
        let r = common::run_env(
            &["plan", "--schema", SHOPPING_POINTS],
            None,
            &[
                ("PGHOST", "127.0.0.1"),
                (var, value),
                ("PGPASSWORD", "Hunter2-Pw"),
            ],
        );
        assert_eq!(r.code, 1, "{var}: {}", r.stderr);
        assert!(r.stderr.starts_with(expected), "{var}: {}", r.stderr);
        assert!(!r.stderr.contains("Hunter2"), "{var}: {}", r.stderr);
    }
}

/// PostgreSQL reads a `lock_timeout` of 0 as "wait forever", and counts timeouts in whole
/// milliseconds: values that would silently mean something else are refused before connecting.
#[test]
fn timeouts_that_postgresql_would_misread_are_refused() {
    let mut out = Vec::new();
    for args in [
        ["--lock-timeout", "0"],
        ["--lock-timeout", "0.0004"],
        ["--statement-timeout", "0.0004"],
        ["--statement-timeout", "-1"],
    ] {
        let mut all = vec!["apply", "--schema", SHOPPING_POINTS, "--auto-approve"];
        all.extend(args);
        let r = run(&all);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        out.push(format!("{}\n{}", args.join(" "), r.stderr));
    }
    insta::assert_snapshot!("timeouts_refused", out.join("\n"));
}

#[test]
fn colour_follows_color_and_the_environment_conventions() {
    let bad = "tests/bad_inputs/column_without_name";
    let coloured = |args: &[&str], vars: &[(&str, &str)]| {
        let mut all = vec!["validate", "--schema", bad];
        all.extend(args);
        let r = common::run_env(&all, None, vars);
        assert_eq!(r.code, 1);
        r.stderr.contains('\x1b')
    };
    // Not a terminal: no colour unless forced.
    assert!(!coloured(&[], &[("NO_COLOR", "")]));
    assert!(
        coloured(&["--color", "always"], &[]),
        "--color always beats NO_COLOR"
    );
    assert!(coloured(&[], &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]));
    assert!(
        !coloured(&[], &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
        "NO_COLOR wins"
    );
    assert!(!coloured(
        &["--color", "never"],
        &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]
    ));
    assert!(!coloured(&["--no-color", "--color", "always"], &[]));
    // A global flag: accepted before the command too.
    let r = common::run_env(
        &["--color", "always", "validate", "--schema", bad],
        None,
        &[],
    );
    assert!(r.stderr.contains('\x1b'));
}
