//! The multi-tenant example (`schemas/multi_tenant`): row level security by tenant, applied and
//! proven with a role that is not the owner, then imported back.

mod common;

use common::{TestDb, root, scratch_dir};

#[test]
fn a_tenant_sees_and_writes_only_its_own_rows_after_apply() {
    let db = TestDb::new("tenants");
    let schema = root().join("schemas/multi_tenant");
    let schema = schema.to_str().unwrap();
    let apply = db.run(&["apply", "--schema", schema, "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let again = db.run(&["plan", "--schema", schema, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "converges:\n{}", again.stdout);

    // A role of its own (roles are cluster-wide), which is not the tables' owner; dropped
    // however the test ends.
    let role = format!("tf_app_{}", db.name);
    struct DropRole<'a>(&'a TestDb, String);
    impl Drop for DropRole<'_> {
        fn drop(&mut self) {
            let r = &self.1;
            let _ = self.0.try_exec(&format!(
                "ROLLBACK; RESET ROLE; REVOKE ALL ON documents, tenants, events FROM {r}; DROP ROLE IF EXISTS {r}"
            ));
        }
    }
    let _guard = DropRole(&db, role.clone());
    db.exec(&format!(
        "CREATE ROLE {role} NOLOGIN;
         GRANT SELECT, INSERT ON documents, tenants, events TO {role};
         INSERT INTO tenants (name) VALUES ('acme'), ('globex');
         INSERT INTO documents (tenant_id, title)
           SELECT t.id, t.name || ' doc ' || g FROM tenants t, generate_series(1, 3) g;
         INSERT INTO documents (tenant_id, title)
           SELECT id, 'extra' FROM tenants WHERE name = 'globex';"
    ));
    let acme = db.strings("SELECT id FROM tenants WHERE name = 'acme'")[0].clone();
    let seen = |tenant: &str| {
        db.strings(&format!(
            "BEGIN; SET LOCAL ROLE {role}; SET LOCAL app.tenant_id = '{tenant}';
             SELECT string_agg(DISTINCT tenant_id::text, ',') || ':' || count(*) FROM documents;
             COMMIT;"
        ))
    };
    assert_eq!(
        seen(&acme),
        [format!("{acme}:3")],
        "acme sees its 3 rows only"
    );
    let none = db.strings(&format!(
        "BEGIN; SET LOCAL ROLE {role}; SELECT count(*)::text FROM documents; COMMIT;"
    ));
    assert_eq!(none, ["0"], "a session naming no tenant sees nothing");
    // Writing another tenant's row is refused by WITH CHECK.
    let globex = db.strings("SELECT id FROM tenants WHERE name = 'globex'")[0].clone();
    let insert = format!(
        "SET ROLE {role}; SET app.tenant_id = '{acme}'; INSERT INTO documents (tenant_id, title) VALUES ({globex}, 'sneaky')"
    );
    let err = db
        .try_exec(&insert)
        .expect_err("the policy's WITH CHECK refuses the row");
    assert!(
        err.contains("row-level security"),
        "refused by row level security: {err}"
    );
    db.exec("RESET ROLE; RESET app.tenant_id");

    // Imported back, the declaration says the same: the policy and the switch come with it.
    let out = scratch_dir("tenants-import").join("schema");
    let out = out.to_str().unwrap();
    let import = db.run(&["import", "--out", out]);
    assert_eq!(import.code, 0, "{}{}", import.stdout, import.stderr);
    let written = std::fs::read_dir(out)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert!(written.contains("row_level_security = true"), "{written}");
    assert!(written.contains("name = \"tenant_isolation\""), "{written}");
    assert!(
        written.contains("partition_by = \"RANGE (at)\""),
        "{written}"
    );
    assert!(
        written.contains("name = \"events_later\", default = true"),
        "{written}"
    );
    let plan = db.run(&["plan", "--schema", out, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "the import plans nothing:\n{}", plan.stdout);
}
