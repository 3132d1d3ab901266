//! docs/cli.md is generated from the clap definitions; this keeps it current. Run with
//! `TABLEFORM_BLESS=1` to rewrite it after changing the command line.

mod common;

#[test]
fn the_cli_reference_is_current() {
    let path = common::root().join("docs/cli.md");
    let generated = tableform::cli::reference::markdown();
    if std::env::var_os("TABLEFORM_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/cli.md is out of date: run `TABLEFORM_BLESS=1 cargo test --test cli_docs` and commit it"
    );
    for cmd in [
        "validate",
        "plan",
        "apply",
        "show",
        "drift",
        "import",
        "completions",
        "man",
    ] {
        assert!(
            generated.contains(&format!("## `tableform {cmd}`")),
            "{cmd} missing"
        );
    }
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let r = common::run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("tableform"), "{shell}");
        assert!(
            r.stdout.contains("detailed-exitcode"),
            "{shell} completes plan's flags"
        );
    }
    let r = common::run(&["completions", "tcsh"]);
    assert_eq!(r.code, 1, "an unknown shell is a usage error");
    let man = common::run(&["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie \\n(.g .ds Aq \\(aq"),
        "{}",
        &man.stdout[..80.min(man.stdout.len())]
    );
    assert!(man.stdout.contains(".SH NAME"));
    assert!(man.stdout.contains("tableform"));
}
