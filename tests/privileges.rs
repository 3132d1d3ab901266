//! Privileges end to end: what the declaration grants is what a role can do after apply; a
//! role the server lacks is a located error before anything is planned; a saved plan goes stale
//! when someone grants behind its back.

mod common;

use common::{TestDb, schema_dir, scratch_dir};

/// Creates cluster-wide roles for one test, dropped (with what they were granted) at the end.
struct Roles<'a> {
    db: &'a TestDb,
    names: Vec<String>,
}

impl<'a> Roles<'a> {
    fn new(db: &'a TestDb, names: &[&str]) -> Self {
        let names: Vec<String> = names.iter().map(|n| format!("{n}_{}", db.name)).collect();
        for n in &names {
            db.exec(&format!("CREATE ROLE {n} NOLOGIN"));
        }
        Roles { db, names }
    }
}

impl Drop for Roles<'_> {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = self.db.try_exec(&format!(
                "RESET ROLE; DROP OWNED BY {n}; DROP ROLE IF EXISTS {n}"
            ));
        }
    }
}

fn declaration(app: &str, reader: &str) -> String {
    format!(
        r#"[settings]
roles = ["{app}", "{reader}"]

[table.notes]
columns = [
  {{ name = "id", type = "serial", primary_key = true }},
  {{ name = "body", type = "text", grants = {{ {reader} = ["select"] }} }},
  {{ name = "author", type = "text" }},
]
grants = {{ {app} = ["select", "insert"] }}
"#
    )
}

#[test]
fn a_granted_role_can_do_what_it_was_granted_and_nothing_more() {
    let db = TestDb::new("grantsuse");
    let roles = Roles::new(&db, &["tf_app", "tf_reader"]);
    let (app, reader) = (&roles.names[0], &roles.names[1]);
    let dir = schema_dir("grantsuse", &declaration(app, reader));
    let schema = dir.to_str().unwrap();
    let r = db.run(&["apply", "--schema", schema, "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // INSERT works, with the serial's sequence usable (granted with it).
    db.exec(&format!(
        "SET ROLE {app}; INSERT INTO notes (body, author) VALUES ('hello', 'ann'); RESET ROLE"
    ));
    assert_eq!(
        db.strings(&format!("SET ROLE {reader}; SELECT body FROM notes")),
        vec!["hello"]
    );
    db.exec("RESET ROLE");
    // The reader may read `body` only.
    let denied = db.try_exec(&format!("SET ROLE {reader}; SELECT author FROM notes"));
    assert!(
        denied.is_err_and(|e| e.contains("permission denied")),
        "the reader read a column it was not granted"
    );
    db.exec("RESET ROLE");
    let again = db.run(&["plan", "--schema", schema, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[test]
fn a_role_the_server_lacks_is_a_located_error_and_nothing_is_planned() {
    let db = TestDb::new("grantsmissing");
    let dir = schema_dir(
        "grantsmissing",
        r#"[settings]
roles = ["tf_no_such_role_anywhere"]

[table.t]
owner = "tf_no_such_owner_either"
columns = [{ name = "id", type = "integer" }]
grants = { tf_no_such_role_anywhere = ["select"] }
"#,
    );
    let before = db.dump();
    let r = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let shown = r.stderr.replace(dir.to_str().unwrap(), "SCHEMA");
    insta::assert_snapshot!("missing_roles", shown);
    let r = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(r.code, 1);
    assert_eq!(db.dump(), before, "nothing changed");
}

#[test]
fn a_saved_plan_is_stale_once_someone_grants_behind_its_back() {
    let db = TestDb::new("grantsstale");
    let roles = Roles::new(&db, &["tf_app", "tf_reader"]);
    let (app, reader) = (&roles.names[0], &roles.names[1]);
    let dir = schema_dir("grantsstale", &declaration(app, reader));
    let schema = dir.to_str().unwrap();
    assert_eq!(
        db.run(&["apply", "--schema", schema, "--auto-approve"])
            .code,
        0
    );
    db.exec(&format!("REVOKE INSERT ON notes FROM {app}"));
    let file = scratch_dir("grantsstale").join("plan.json");
    let plan = db.run(&["plan", "--schema", schema, "--out", file.to_str().unwrap()]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stdout.contains("+ grant insert to"), "{}", plan.stdout);
    db.exec(&format!("GRANT DELETE ON notes TO {app}"));
    let r = db.run(&["apply", file.to_str().unwrap()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("plan is stale"), "{}", r.stderr);
    // Planned again, both are put right.
    let plan = db.run(&["apply", "--schema", schema, "--auto-approve"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains("- revoke delete from"),
        "{}",
        plan.stdout
    );
    assert_eq!(
        db.strings(&format!(
            "SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) FROM information_schema.role_table_grants WHERE grantee = '{app}' AND table_name = 'notes'"
        )),
        vec!["INSERT,SELECT"]
    );
}
