//! `tableform validate` on malformed schemas: every problem located at file:line:col, exit 1,
//! never a panic. One snapshot per case directory under tests/bad_inputs/.

mod common;

use common::{SHOPPING_POINTS, run};

#[test]
fn every_bad_input_is_a_located_error_with_a_snapshot() {
    let root = common::root().join("tests/bad_inputs");
    let mut cases: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 50, "only {} bad inputs", cases.len());
    for case in &cases {
        let dir = format!("tests/bad_inputs/{case}");
        let r = run(&["validate", "--schema", &dir]);
        assert_eq!(
            r.code, 1,
            "{case}: exit {}\n{}{}",
            r.code, r.stdout, r.stderr
        );
        assert_eq!(r.stdout, "", "{case}: nothing on stdout");
        assert!(
            !r.stderr.contains("panicked"),
            "{case} panicked:\n{}",
            r.stderr
        );
        let located = r.stderr.lines().any(|l| {
            l.trim_start().starts_with("┌─ ")
                && l.contains(".toml:")
                && l.rsplit(':')
                    .next()
                    .is_some_and(|c| c.parse::<u32>().is_ok())
        });
        assert!(located, "{case}: no file:line:col in\n{}", r.stderr);
        insta::assert_snapshot!(format!("bad_input__{case}"), r.stderr);
    }
}

#[test]
fn several_problems_in_several_files_are_all_reported_in_one_run() {
    let r = run(&[
        "validate",
        "--schema",
        "tests/bad_inputs/many_problems_at_once",
    ]);
    assert_eq!(r.code, 1);
    let errors = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.contains("problems"))
        .count();
    assert_eq!(errors, 7, "{}", r.stderr);
    assert!(
        r.stderr.ends_with(
            "error: the schema in tests/bad_inputs/many_problems_at_once has 7 problems\n"
        ),
        "{}",
        r.stderr
    );
    for hint in [
        "did you mean `varchar`?",
        "did you mean `nullable`?",
        "did you mean `users`?",
    ] {
        assert!(
            r.stderr.contains(hint),
            "missing hint {hint:?} in\n{}",
            r.stderr
        );
    }
}

#[test]
fn the_shipped_schema_is_valid() {
    let r = run(&["validate", "--schema", SHOPPING_POINTS]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "The schema in schemas/shopping_points is valid: 17 tables, 0 enum types.\n"
    );
}

#[test]
fn a_missing_schema_directory_is_a_clear_error() {
    let r = run(&["validate", "--schema", "no/such/dir"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: cannot read schema directory no/such/dir: no such directory\n"
    );
    let r = run(&["validate", "--schema", "docs"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: docs holds no .toml schema files\n");
    let r = run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("--schema DIR is required"),
        "{}",
        r.stderr
    );
}

/// `*.toml` entries that are not regular files used to be skipped, so their tables looked
/// undeclared and `--prune` dropped them. Each is now an error naming the path and what it is.
#[test]
#[cfg(unix)]
fn toml_entries_that_are_not_regular_files_are_errors() {
    use std::os::unix::fs::symlink;
    type Make = Box<dyn Fn(&std::path::Path)>;
    let cases: Vec<(&str, Make, &str)> = vec![
        (
            "dangling",
            Box::new(|p| symlink(p.with_file_name("gone.txt"), p).unwrap()),
            "is a dangling symbolic link (its target does not exist)",
        ),
        (
            "fifo",
            Box::new(|p| {
                let ok = std::process::Command::new("mkfifo")
                    .arg(p)
                    .status()
                    .unwrap();
                assert!(ok.success());
            }),
            "is a FIFO (named pipe)",
        ),
        (
            "device",
            Box::new(|p| symlink("/dev/null", p).unwrap()),
            "is a symbolic link to a character device",
        ),
        (
            "directory",
            Box::new(|p| std::fs::create_dir(p).unwrap()),
            "is a directory",
        ),
    ];
    for (tag, make, what) in cases {
        let dir = common::scratch_dir(&format!("notfile-{tag}"));
        common::write(
            &dir,
            "a.toml",
            "[table.a]\ncolumns = [{ name = \"id\", type = \"int\" }]\n",
        );
        let odd = dir.join("b.toml");
        make(&odd);
        let r = run(&["validate", "--schema", dir.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{tag}: {}{}", r.stdout, r.stderr);
        assert_eq!(
            r.stderr,
            format!(
                "error: {} {what}, not a schema file (a regular file or a symbolic link to one)\n",
                odd.display()
            ),
            "{tag}"
        );
    }
    // A symbolic link to a regular file is read like the file.
    let dir = common::scratch_dir("notfile-link");
    let target = common::scratch_dir("notfile-target").join("real.txt");
    std::fs::write(
        &target,
        "[table.b]\ncolumns = [{ name = \"id\", type = \"int\" }]\n",
    )
    .unwrap();
    symlink(&target, dir.join("b.toml")).unwrap();
    let r = run(&["validate", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("valid: 1 table,"), "{}", r.stdout);
}

/// With a dangling `b.toml`, `plan --prune` and `apply --prune` stop before the database: table
/// `b` is not dropped.
#[test]
#[cfg(unix)]
fn a_dangling_schema_file_never_lets_prune_drop_its_table() {
    let db = common::TestDb::new("dangling");
    db.exec("CREATE TABLE a (id integer); CREATE TABLE b (id integer); INSERT INTO b VALUES (1);");
    let dir = common::scratch_dir("dangling-prune");
    common::write(
        &dir,
        "a.toml",
        "[table.a]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
    );
    std::os::unix::fs::symlink(dir.join("moved-away.toml.bak"), dir.join("b.toml")).unwrap();
    let schema = dir.to_str().unwrap();
    let before = db.dump();
    for cmd in [
        vec!["plan", "--schema", schema, "--prune"],
        vec![
            "apply",
            "--schema",
            schema,
            "--prune",
            "--auto-approve",
            "--allow-destructive",
        ],
        vec!["drift", "--schema", schema],
    ] {
        let r = db.run(&cmd);
        assert_eq!(r.code, 1, "{cmd:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("b.toml is a dangling symbolic link"),
            "{}",
            r.stderr
        );
        assert_eq!(r.stdout, "", "{cmd:?}");
    }
    assert_eq!(db.dump(), before);
    assert_eq!(db.count("b"), 1);
}

/// The second example, `schemas/app_objects`, declares one of each newer kind; the loaded model
/// holds them as declared: overloads by their argument types, trigger events as a set, bodies
/// and queries read from their `.sql` files.
#[test]
fn the_app_objects_example_is_valid_and_holds_every_kind() {
    use tableform::kinds::function::{ArgMode, Returns, RoutineKind, Volatility};
    use tableform::kinds::trigger::{TriggerEvent, TriggerLevel, TriggerTiming};
    use tableform::model::QualName;

    let r = run(&["validate", "--schema", "schemas/app_objects"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "The schema in schemas/app_objects is valid: 2 tables, 0 enum types, 1 domain, 1 composite type, 2 views, 1 materialized view, 4 functions, 1 procedure, 2 triggers, 2 extensions.\n"
    );
    let s = tableform::load::load_dir(&common::root().join("schemas/app_objects"))
        .unwrap()
        .schema;
    let q = |n: &str| QualName::new("public", n);

    assert_eq!(
        s.extensions.keys().collect::<Vec<_>>(),
        ["citext", "pgcrypto"]
    );
    assert_eq!(
        s.extensions["citext"].comment.as_deref(),
        Some("case-insensitive text")
    );

    let keys: Vec<String> = s.functions.keys().map(|k| k.to_string()).collect();
    assert_eq!(
        keys,
        [
            "public.account_orders(bigint, integer)",
            "public.close_stale_orders(interval)",
            "public.format_amount(numeric)",
            "public.format_amount(numeric, text)",
            "public.touch_updated_at()",
        ]
    );
    let touch = s
        .functions
        .values()
        .find(|f| f.name == q("touch_updated_at"))
        .unwrap();
    assert!(touch.is_trigger_function());
    assert_eq!(touch.language, "plpgsql");
    assert_eq!(
        touch.body,
        std::fs::read_to_string(
            common::root().join("schemas/app_objects/sql/touch_updated_at.sql")
        )
        .unwrap()
    );
    assert!(touch.body.contains("NEW.updated_at := now();"));
    let orders = s
        .functions
        .values()
        .find(|f| f.name == q("account_orders"))
        .unwrap();
    let attrs = orders.function.as_ref().unwrap();
    assert!(
        matches!(&attrs.returns, Returns::Table(cols) if cols.len() == 2 && cols[1].ty.to_string() == "numeric(12,2)")
    );
    assert_eq!(attrs.volatility, Volatility::Stable);
    assert_eq!(attrs.rows, Some(20.0));
    assert!(orders.security_definer);
    assert_eq!(orders.set["search_path"], "pg_catalog, public");
    assert_eq!(orders.arguments[1].default.as_ref().unwrap().sql, "100");
    assert_eq!(orders.arguments[1].mode, ArgMode::In);
    let proc = s
        .functions
        .values()
        .find(|f| f.name == q("close_stale_orders"))
        .unwrap();
    assert_eq!(proc.kind, RoutineKind::Procedure);
    assert!(proc.function.is_none());

    let accounts = &s.tables[&q("accounts")];
    let t = &accounts.triggers[0];
    assert_eq!(t.name, "accounts_touch_updated_at");
    assert_eq!(
        (t.timing, t.level),
        (TriggerTiming::Before, TriggerLevel::Row)
    );
    assert_eq!(
        t.events.iter().copied().collect::<Vec<_>>(),
        [TriggerEvent::Update]
    );
    assert_eq!(t.when.as_ref().unwrap().sql, "OLD.* IS DISTINCT FROM NEW.*");
    assert_eq!(t.function, q("touch_updated_at"));
    let t = &s.tables[&q("orders")].triggers[0];
    assert_eq!(t.update_of, ["total", "status"]);
    assert_eq!(t.function, q("touch_updated_at"));

    assert_eq!(
        s.views.keys().cloned().collect::<Vec<_>>(),
        [q("account_totals"), q("big_spenders")]
    );
    let big = &s.views[&q("big_spenders")];
    assert!(big.security_barrier);
    // Read from sql/big_spenders.sql, its final `;` dropped.
    assert_eq!(
        big.query,
        "SELECT account_id, email, spent\nFROM account_totals\nWHERE spent >= 1000"
    );
    let mv = &s.materialized_views[&q("daily_revenue")];
    assert!(mv.with_data);
    assert_eq!(mv.columns, ["day", "orders", "revenue"]);
    assert_eq!(mv.indexes.len(), 1);
    assert_eq!(mv.indexes[0].name, "daily_revenue_day_idx");
    assert!(mv.indexes[0].unique);
    // The new kinds are part of the digest (a view changed is a schema changed), and tables
    // without triggers serialise as before.
    let mut bare = s.clone();
    bare.views.clear();
    bare.materialized_views.clear();
    bare.functions.clear();
    bare.extensions.clear();
    assert_ne!(
        tableform::model::fingerprint(&bare),
        tableform::model::fingerprint(&s)
    );
    assert!(
        !serde_json::to_string(&s.tables[&q("accounts")].columns)
            .unwrap()
            .contains("triggers")
    );
}

/// A procedure and a function may not share a signature: one namespace in PostgreSQL.
#[test]
fn a_function_and_a_procedure_with_one_signature_clash() {
    let dir = common::scratch_dir("routines");
    common::write(
        &dir,
        "r.toml",
        "[function.run]\nreturns = \"void\"\nlanguage = \"sql\"\nbody = \"SELECT\"\n\n[procedure.run]\nlanguage = \"sql\"\nbody = \"SELECT 1\"\n",
    );
    let r = run(&["validate", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("error: procedure public.run() is declared twice"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("first declared here (a function)"),
        "{}",
        r.stderr
    );
}
