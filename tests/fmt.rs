//! `tableform fmt`: canonical layout that never changes what a schema means.

mod common;

use common::{SHOPPING_POINTS, run, scratch_dir, write};

#[test]
fn the_shipped_schema_is_in_canonical_layout() {
    let r = run(&["fmt", "--schema", SHOPPING_POINTS, "--check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn fmt_rewrites_check_reports_and_the_meaning_stays() {
    let dir = scratch_dir("fmt");
    let messy = "# people\n[table.users]\nindexes=[{columns=[\"email\"],name=\"ix_email\"}]\ncolumns=[\n{type=\"serial\",name=\"id\",primary_key=true}, # the key\n{name=\"email\",type=\"text\",nullable=false,unique=true}]\n";
    write(&dir, "users.toml", messy);
    let before = tableform::load::load_dir(&dir).unwrap().schema;

    let check = run(&["fmt", "--schema", dir.to_str().unwrap(), "--check"]);
    assert_eq!(check.code, 1);
    assert_eq!(
        check.stdout,
        format!("would reformat {}\n", dir.join("users.toml").display())
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("users.toml")).unwrap(),
        messy,
        "--check changed the file"
    );

    let r = run(&["fmt", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tidy = std::fs::read_to_string(dir.join("users.toml")).unwrap();
    insta::assert_snapshot!("fmt_users", tidy);
    assert!(tidy.contains("# the key"), "a comment was lost");
    assert_eq!(
        tableform::load::load_dir(&dir).unwrap().schema,
        before,
        "formatting changed the schema"
    );
    assert_eq!(
        run(&["fmt", "--schema", dir.to_str().unwrap(), "--check"]).code,
        0
    );
}

#[test]
fn formatting_every_diff_case_keeps_its_meaning() {
    let root = common::root().join("tests/diff_cases");
    for case in std::fs::read_dir(&root).unwrap().filter_map(|e| e.ok()) {
        let desired = case.path().join("desired");
        let Ok(files) = std::fs::read_dir(&desired) else {
            continue;
        };
        let before = tableform::load::load_dir(&desired).unwrap().schema;
        let copy = scratch_dir("fmtcase");
        for f in files.filter_map(|e| e.ok()) {
            std::fs::copy(f.path(), copy.join(f.file_name())).unwrap();
        }
        let r = run(&["fmt", "--schema", copy.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}: {}", case.path().display(), r.stderr);
        assert_eq!(
            tableform::load::load_dir(&copy).unwrap().schema,
            before,
            "{}",
            case.path().display()
        );
        assert_eq!(
            run(&["fmt", "--schema", copy.to_str().unwrap(), "--check"]).code,
            0,
            "not idempotent: {}",
            case.path().display()
        );
    }
}

#[test]
fn invalid_toml_is_left_alone_with_a_clear_error() {
    let dir = scratch_dir("fmtbad");
    write(&dir, "broken.toml", "[table.users\n");
    let r = run(&["fmt", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("broken.toml: not valid TOML, left as it is"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("broken.toml")).unwrap(),
        "[table.users\n"
    );
}

#[test]
fn the_app_objects_example_is_in_canonical_layout_and_fmt_is_idempotent_on_it() {
    let r = run(&["fmt", "--schema", "schemas/app_objects", "--check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let copy = scratch_dir("fmt_app_objects");
    let src = common::root().join("schemas/app_objects");
    for f in std::fs::read_dir(&src).unwrap().filter_map(|e| e.ok()) {
        if f.path().is_file() {
            std::fs::copy(f.path(), copy.join(f.file_name())).unwrap();
        }
    }
    for f in ["functions.toml", "tables.toml", "views.toml"] {
        let text = std::fs::read_to_string(copy.join(f)).unwrap();
        let formatted = tableform::load::fmt::format(&text).unwrap();
        assert_eq!(formatted, text, "{f} is not canonical");
        assert_eq!(tableform::load::fmt::format(&formatted).unwrap(), formatted);
    }
}

/// Messy overloads, triggers and views come out in the key order of the reference, comments
/// kept, and mean the same.
#[test]
fn fmt_orders_the_keys_of_the_new_kinds() {
    let messy = "[[function.f]]\nbody = \"SELECT a\"\nlanguage = \"sql\"\nreturns = \"integer\"\narguments = [{type=\"integer\",name=\"a\"}]\n\n[[function.f]]\nbody = \"SELECT 1\"\nreturns=\"integer\"\nlanguage = \"sql\"\n\n[table.t]\ncolumns = [{name=\"id\",type=\"integer\"}]\n\n# keep me\n[[table.t.triggers]]\nfunction = \"g\"\nevents = [\"insert\"]\ntiming = \"after\"\nname = \"t_ins\"\n\n[view.v]\nquery = \"SELECT 1\"\nschema = \"public\"\n";
    let tidy = tableform::load::fmt::format(messy).unwrap();
    insta::assert_snapshot!("fmt_new_kinds", tidy);
    assert!(tidy.contains("# keep me\n[[table.t.triggers]]\nname = \"t_ins\"\ntiming = \"after\"\nevents = [\"insert\"]\nfunction = \"g\"\n"), "{tidy}");
    assert_eq!(tableform::load::fmt::format(&tidy).unwrap(), tidy);
    let dir = scratch_dir("fmt_new_kinds");
    write(&dir, "a.toml", messy);
    let before = tableform::load::load_dir(&dir).unwrap().schema;
    write(&dir, "a.toml", &tidy);
    assert_eq!(tableform::load::load_dir(&dir).unwrap().schema, before);
}

#[test]
fn fmt_diff_shows_what_would_change_and_changes_nothing() {
    let dir = scratch_dir("fmtdiff");
    let messy = "[table.users]\ncolumns=[{type=\"serial\",name=\"id\",primary_key=true}]\n";
    write(&dir, "users.toml", messy);
    let r = run(&["fmt", "--schema", dir.to_str().unwrap(), "--diff"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let shown = r.stdout.replace(dir.to_str().unwrap(), "DIR");
    insta::assert_snapshot!("fmt_diff", shown);
    assert_eq!(
        std::fs::read_to_string(dir.join("users.toml")).unwrap(),
        messy,
        "--diff changed the file"
    );
    let tidy = run(&["fmt", "--schema", SHOPPING_POINTS, "--diff"]);
    assert_eq!((tidy.code, tidy.stdout.as_str()), (0, ""));
}

/// The real taplo (from npm, pinned), installed once per target directory.
fn taplo() -> std::path::PathBuf {
    use std::process::Command;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("taplo-0.7.0");
    let bin = dir.join("node_modules/.bin/taplo");
    if !bin.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("@taplo/cli@0.7.0")
            .output()
            .expect("npm is needed to install taplo for this test");
        assert!(
            out.status.success(),
            "npm install @taplo/cli failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    bin
}

/// The editor formatter and `tableform fmt --check` agree: with the repository's `.taplo.toml`,
/// taplo leaves every example schema and what `tableform fmt` writes of a messy file exactly
/// as they are, while it does reformat a file that is not in that layout (so the check can fail).
#[test]
fn taplo_with_the_repositorys_config_keeps_the_layout_fmt_writes() {
    use std::process::Command;
    let taplo = taplo();
    let root = common::root();
    let work = scratch_dir("taplo");
    std::fs::copy(root.join(".taplo.toml"), work.join(".taplo.toml")).unwrap();
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        std::fs::create_dir_all(to).unwrap();
        for f in std::fs::read_dir(from).unwrap().filter_map(|e| e.ok()) {
            if f.path()
                .extension()
                .is_some_and(|e| e == "toml" || e == "json")
            {
                std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
            }
        }
    };
    copy(&root.join("schemas"), &work.join("schemas"));
    for ex in ["shopping_points", "app_objects", "multi_tenant"] {
        copy(
            &root.join("schemas").join(ex),
            &work.join("schemas").join(ex),
        );
    }
    let messy = "[table.orders]\ncomment=\"x\"\ncolumns = [\n  {type=\"integer\", name = \"user_id\", nullable = false, references = { table=\"users\", column = \"id\" } },   # who\n  { name = \"id\", type = \"bigserial\", primary_key = true },\n]\nindexes = [ { columns = [ \"user_id\",  \"id\"], where = \"id > 5\" } ]\nprimary_key = { columns = [ \"id\" ] }\n";
    std::fs::create_dir_all(work.join("schemas/mine")).unwrap();
    write(&work.join("schemas/mine"), "orders.toml", messy);
    let fmt = run(&[
        "fmt",
        "--schema",
        work.join("schemas/mine").to_str().unwrap(),
    ]);
    assert_eq!(fmt.code, 0, "{}{}", fmt.stdout, fmt.stderr);
    let check = |dir: &std::path::Path| {
        Command::new(&taplo)
            .current_dir(dir)
            .args(["fmt", "--check"])
            .output()
            .unwrap()
    };
    let out = check(&work);
    assert!(
        out.status.success(),
        "taplo would reformat what tableform fmt wrote: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not vacuous: the same taplo, on the same config, rejects the messy original.
    write(&work.join("schemas/mine"), "orders.toml", messy);
    let out = check(&work);
    assert!(!out.status.success(), "taplo checked nothing");
}
