//! Domain changes whose success depends on the data: PostgreSQL checks every column of the
//! domain inside apply's transaction, so a value that breaks the new rule fails apply, which then
//! changes nothing; the plan says so in its note.

mod common;

use common::{TestDb, schema_dir};

fn declared(tag: &str, domain: &str) -> String {
    let dir = schema_dir(
        tag,
        &format!(
            "{domain}\n\n[table.items]\ncolumns = [\n  {{ name = \"id\", type = \"bigint\", primary_key = true }},\n  {{ name = \"qty\", type = \"quantity\" }},\n]\n"
        ),
    );
    dir.to_str().unwrap().to_string()
}

/// `SET NOT NULL` on a domain one of whose columns holds NULL: a change with a note at plan
/// time, and an apply that fails on the statement and leaves the database as it was.
#[test]
fn set_not_null_on_a_domain_whose_column_holds_null_fails_apply_and_changes_nothing() {
    let db = TestDb::new("domnotnull");
    db.exec(
        "CREATE DOMAIN quantity AS integer;
         CREATE TABLE items (id bigint PRIMARY KEY, qty quantity);
         INSERT INTO items VALUES (1, NULL);",
    );
    let dir = declared(
        "domnotnull",
        "[domain.quantity]\ntype = \"integer\"\nnot_null = true\ndefault = \"1\"",
    );
    let plan = db.run(&["plan", "--schema", &dir]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("if one holds NULL, the statement fails and apply changes nothing"),
        "{}",
        plan.stdout
    );
    let before = db.dump();
    let apply = db.run(&["apply", "--schema", &dir, "--auto-approve"]);
    assert_ne!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stderr.contains("null"), "{}", apply.stderr);
    assert_eq!(db.dump(), before, "a failed apply changed the database");
    // Once the row is fixed the same declaration applies and converges.
    db.exec("UPDATE items SET qty = 1");
    let apply = db.run(&["apply", "--schema", &dir, "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let again = db.run(&["plan", "--schema", &dir, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}

/// A new check that a stored value breaks: added `NOT VALID`, then validated, which fails, and
/// the whole apply rolls back.
#[test]
fn a_new_domain_check_a_stored_value_breaks_fails_apply_and_changes_nothing() {
    let db = TestDb::new("domcheck");
    db.exec(
        "CREATE DOMAIN quantity AS integer;
         CREATE TABLE items (id bigint PRIMARY KEY, qty quantity);
         INSERT INTO items VALUES (1, -5);",
    );
    let dir = declared(
        "domcheck",
        "[domain.quantity]\ntype = \"integer\"\nchecks = [{ name = \"positive\", expression = \"VALUE > 0\" }]",
    );
    let plan = db.run(&["plan", "--schema", &dir]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("NOT VALID;") && plan.stdout.contains("VALIDATE CONSTRAINT positive"),
        "{}",
        plan.stdout
    );
    let before = db.dump();
    let apply = db.run(&["apply", "--schema", &dir, "--auto-approve"]);
    assert_ne!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(db.dump(), before, "a failed apply changed the database");
}
