//! Columns of types tableform does not model (`point`, ranges, `interval second(0)`, `oid`,
//! `pg_lsn`, an extension's `citext`...) are carried by their `format_type()` spelling: they never
//! stop plan or drift, can be declared, and import writes them so that they read back the same.

mod common;

use common::{TestDb, scratch_dir, write};

const ODD_COLUMNS: &str = "
    spot point, during tstzrange, seats int4range[], grace interval second(0), owner_oid oid,
    label name, lsn pg_lsn, flag \"char\", keys int2vector, snap txid_snapshot, days datemultirange";

/// A table in `[settings] ignore` never makes plan or drift fail, whatever its column types.
#[test]
fn an_ignored_table_with_unmodelled_types_does_not_break_plan_or_drift() {
    let db = TestDb::new("opaqueign");
    db.exec("CREATE EXTENSION citext");
    db.exec(&format!(
        "CREATE TABLE users (id integer PRIMARY KEY);
         CREATE TABLE legacy (id integer, nick citext, nicks citext[], {ODD_COLUMNS});"
    ));
    let dir = scratch_dir("opaqueign");
    write(
        &dir,
        "schema.toml",
        // citext is declared: an undeclared extension is drift now, like an undeclared table.
        "[settings]\nignore = [\"legacy\"]\n\n[extension.citext]\n\n[table.users]\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]\n",
    );
    let schema = dir.to_str().unwrap();
    let plan = db.run(&["plan", "--schema", schema, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    let drift = db.run(&["drift", "--schema", schema]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    let prune = db.run(&["plan", "--schema", schema, "--prune", "--detailed-exitcode"]);
    assert_eq!(prune.code, 0, "{}{}", prune.stdout, prune.stderr);
}

/// Such a table, undeclared, is reported by drift as undeclared (not as an error).
#[test]
fn an_undeclared_table_with_unmodelled_types_is_drift_not_an_error() {
    let db = TestDb::new("opaqueundecl");
    db.exec(&format!("CREATE TABLE legacy (id integer, {ODD_COLUMNS});"));
    db.exec("CREATE TABLE users (id integer PRIMARY KEY);");
    let dir = scratch_dir("opaqueundecl");
    write(
        &dir,
        "schema.toml",
        "[table.users]\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]\n",
    );
    let drift = db.run(&["drift", "--schema", dir.to_str().unwrap()]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    assert!(drift.stdout.contains("legacy"), "{}", drift.stdout);
}

/// Import writes every such type, an extension's type (in `public` and in another schema)
/// included, and the written declaration plans nothing against its own database.
#[test]
fn unmodelled_and_extension_types_round_trip_through_import() {
    let db = TestDb::new("opaqueimp");
    db.exec("CREATE EXTENSION citext; CREATE SCHEMA ext; CREATE EXTENSION hstore SCHEMA ext;");
    db.exec(&format!(
        "CREATE TABLE legacy (id integer PRIMARY KEY, nick citext NOT NULL, nicks citext[],
                              attrs ext.hstore, {ODD_COLUMNS});"
    ));
    let out = scratch_dir("opaqueimp").join("schema");
    let r = db.run(&["import", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let text = std::fs::read_to_string(out.join("legacy.toml")).unwrap();
    for ty in [
        "\"citext\"",
        "\"citext[]\"",
        "\"ext.hstore\"",
        "\"point\"",
        "\"tstzrange\"",
        "\"int4range[]\"",
        "\"interval second(0)\"",
        "\"oid\"",
        "\"name\"",
        "\"pg_lsn\"",
        "\"\\\"char\\\"\"",
        "\"pg_catalog.int2vector\"",
        "\"txid_snapshot\"",
        "\"datemultirange\"",
    ] {
        assert!(text.contains(&format!("type = {ty}")), "no {ty} in\n{text}");
    }
    let plan = db.run(&[
        "plan",
        "--schema",
        out.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

/// Declared `point` equals live `point`; a different declared type is a change, not an error.
#[test]
fn a_declared_unmodelled_type_is_compared_by_its_canonical_spelling() {
    let db = TestDb::new("opaquecmp");
    db.exec("CREATE TABLE t (id integer PRIMARY KEY, a point, b interval second(0));");
    let dir = scratch_dir("opaquecmp");
    let decl = |a: &str, b: &str| {
        format!(
            "[table.t]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  {{ name = \"a\", type = \"{a}\" }},\n  {{ name = \"b\", type = \"{b}\" }},\n]\n"
        )
    };
    write(&dir, "t.toml", &decl("POINT", "interval  second (0)"));
    let schema = dir.to_str().unwrap();
    let same = db.run(&["plan", "--schema", schema, "--detailed-exitcode"]);
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    write(&dir, "t.toml", &decl("box", "interval second(0)"));
    let changed = db.run(&["plan", "--schema", schema, "--detailed-exitcode"]);
    assert!(
        matches!(changed.code, 2 | 3),
        "{}{}",
        changed.stdout,
        changed.stderr
    );
    assert!(
        changed.stdout.contains("point") && changed.stdout.contains("box"),
        "{}",
        changed.stdout
    );
}
