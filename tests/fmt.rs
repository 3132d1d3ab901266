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
