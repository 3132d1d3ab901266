//! The example schemas under `schemas/` apply to an empty database, converge, show no drift,
//! and import back into a declaration that plans nothing.

mod common;

use common::{TestDb, root, scratch_dir};

fn applies_converges_and_round_trips(example: &str) {
    let db = TestDb::new("example");
    let schema = root().join("schemas").join(example);
    let schema = schema.to_str().unwrap();
    let apply = db.run(&["apply", "--schema", schema, "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let again = db.run(&["plan", "--schema", schema, "--detailed-exitcode"]);
    assert_eq!(
        again.code, 0,
        "converges:\n{}{}",
        again.stdout, again.stderr
    );
    let drift = db.run(&["drift", "--schema", schema]);
    assert_eq!(drift.code, 0, "no drift:\n{}{}", drift.stdout, drift.stderr);
    let out = scratch_dir("example-import").join("schema");
    let out = out.to_str().unwrap();
    let import = db.run(&["import", "--out", out]);
    assert_eq!(import.code, 0, "{}{}", import.stdout, import.stderr);
    let plan = db.run(&["plan", "--schema", out, "--detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "the import plans nothing:\n{}{}",
        plan.stdout, plan.stderr
    );
}

/// Every kind issue #15 adds: extensions, views, a view over a view, a materialized view with an
/// index, functions (overloaded), a procedure, triggers.
#[test]
fn the_app_objects_example_applies_converges_and_round_trips() {
    applies_converges_and_round_trips("app_objects");
}

#[test]
fn the_multi_tenant_example_applies_converges_and_round_trips() {
    applies_converges_and_round_trips("multi_tenant");
}
