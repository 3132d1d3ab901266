//! The recipes in docs/recipes.md: every line of each recipe's "The commands" block is run, in
//! order, with the real binary, against a fresh database, and must end with one of the exit
//! statuses its `# exit:` comment lists.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{Run, TestDb, root, scratch_dir};

/// One line of a "The commands" block.
#[derive(Debug, Clone, PartialEq)]
struct CommandLine {
    /// The line as written in the doc (for failure messages).
    text: String,
    /// The command itself, before the `# exit:` comment.
    command: String,
    /// The exit statuses the comment allows.
    exits: Vec<i32>,
}

/// A recipe: its heading and its command lines.
#[derive(Debug)]
struct Recipe {
    title: String,
    commands: Vec<CommandLine>,
}

/// Variables the commands may use as `${VAR}`.
fn variables() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([("PR_NUMBER", "42")])
}

/// Reads the numbered recipes (`## 1. ...`) of docs/recipes.md and their command blocks.
fn recipes() -> Vec<Recipe> {
    let path = root().join("docs/recipes.md");
    let doc = std::fs::read_to_string(&path).expect("docs/recipes.md exists");
    parse_recipes(&doc)
}

fn parse_recipes(doc: &str) -> Vec<Recipe> {
    let mut out: Vec<Recipe> = Vec::new();
    let mut lines = doc.lines();
    let mut current: Option<Recipe> = None;
    let mut awaiting_block = false;
    while let Some(line) = lines.next() {
        if let Some(title) = line.strip_prefix("## ") {
            out.extend(current.take());
            awaiting_block = false;
            if title.starts_with(|c: char| c.is_ascii_digit()) {
                current = Some(Recipe {
                    title: title.to_string(),
                    commands: Vec::new(),
                });
            }
            continue;
        }
        let Some(recipe) = current.as_mut() else {
            continue;
        };
        if line.trim_start().starts_with("The commands") {
            assert!(
                recipe.commands.is_empty(),
                "recipe {:?} has more than one \"The commands\" block",
                recipe.title
            );
            awaiting_block = true;
            continue;
        }
        if awaiting_block && line.trim_start().starts_with("```") {
            assert_eq!(
                line.trim(),
                "```sh",
                "the commands of recipe {:?} must be a ```sh block",
                recipe.title
            );
            awaiting_block = false;
            for body in lines.by_ref() {
                if body.trim_start().starts_with("```") {
                    break;
                }
                if body.trim().is_empty() {
                    continue;
                }
                recipe.commands.push(parse_command_line(body));
            }
        }
    }
    out.extend(current);
    out
}

/// `tableform ... # exit: 0|2` -> the command and the allowed statuses.
fn parse_command_line(line: &str) -> CommandLine {
    let text = line.trim().to_string();
    assert!(
        text.starts_with("tableform "),
        "a command line must start with `tableform `: {text:?}"
    );
    let (command, exits) = text
        .rsplit_once("# exit:")
        .unwrap_or_else(|| panic!("a command line must end with `# exit: ...`: {text:?}"));
    let exits: Vec<i32> = exits
        .split('|')
        .map(|c| {
            c.trim()
                .parse()
                .unwrap_or_else(|_| panic!("bad exit status {c:?} in {text:?}"))
        })
        .collect();
    assert!(!exits.is_empty(), "no exit status in {text:?}");
    CommandLine {
        command: command.trim().to_string(),
        exits,
        text,
    }
}

/// Replaces every `${VAR}`; any other `$` is an error (the test does not run a shell).
fn substitute(command: &str, vars: &BTreeMap<&str, &str>) -> String {
    let mut out = String::new();
    let mut rest = command;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name_end = after
            .strip_prefix('{')
            .and_then(|a| a.find('}'))
            .unwrap_or_else(|| panic!("only ${{VAR}} is supported, in {command:?}"));
        let name = &after[1..=name_end];
        let value = vars
            .get(name)
            .unwrap_or_else(|| panic!("unknown variable ${{{name}}} in {command:?}"));
        out.push_str(value);
        rest = &after[name_end + 2..];
    }
    out.push_str(rest);
    out
}

/// Splits a command line into words the way a POSIX shell would for simple commands: whitespace
/// separates words, single quotes keep everything literally, double quotes keep everything but
/// `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes escapes the next character.
/// Anything a shell would expand or interpret further (redirections, pipes, globs) is refused.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => panic!("unterminated single quote in {line:?}"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                            Some(e) => {
                                word.push('\\');
                                word.push(e);
                            }
                            None => panic!("unterminated double quote in {line:?}"),
                        },
                        Some(c) => word.push(c),
                        None => panic!("unterminated double quote in {line:?}"),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(e) => word.push(e),
                    None => panic!("trailing backslash in {line:?}"),
                }
            }
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '`' | '*' | '?' => {
                panic!("{c:?} needs a shell, which this test does not run: {line:?}")
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// A fresh working directory laid out as plans/README.md describes: `schema/` (the shopping
/// points declaration) and an empty `plans/`.
fn workdir(tag: &str) -> PathBuf {
    let dir = scratch_dir(tag);
    std::fs::create_dir_all(dir.join("plans")).unwrap();
    link_schema(&root().join(common::SHOPPING_POINTS), &dir.join("schema"));
    dir
}

#[cfg(unix)]
fn link_schema(from: &Path, to: &Path) {
    std::os::unix::fs::symlink(from, to).unwrap();
}

#[cfg(not(unix))]
fn link_schema(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Runs `args` with the real binary in `dir`, with `DATABASE_URL` (and nothing from `PG*`)
/// pointing at `db`.
fn run_in(dir: &Path, db: &TestDb, args: &[String]) -> Run {
    let mut cmd = assert_cmd::Command::cargo_bin("tableform").unwrap();
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars() {
        if k == "DATABASE_URL" || k.starts_with("PG") {
            cmd.env_remove(k);
        }
    }
    cmd.env("DATABASE_URL", &db.url).env("NO_COLOR", "1");
    cmd.write_stdin("");
    cmd.timeout(std::time::Duration::from_secs(120));
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Everything one recipe's commands did: each line with its run.
struct Ran {
    dir: PathBuf,
    db: TestDb,
    runs: Vec<(CommandLine, Run)>,
}

/// Runs the commands of recipe `number` (`## N.`), in order, in a fresh directory against a
/// fresh database, checking each exit status.
fn run_recipe(number: usize) -> Ran {
    let all = recipes();
    let prefix = format!("{number}. ");
    let recipe = all
        .iter()
        .find(|r| r.title.starts_with(&prefix))
        .unwrap_or_else(|| panic!("docs/recipes.md has no recipe `## {prefix}...`"));
    assert!(
        !recipe.commands.is_empty(),
        "recipe {:?} has no \"The commands\" block",
        recipe.title
    );
    let tag = format!("recipe{number}");
    let db = TestDb::new(&tag);
    let dir = workdir(&tag);
    let vars = variables();
    let mut runs = Vec::new();
    for line in &recipe.commands {
        let words = shell_words(&substitute(&line.command, &vars));
        assert_eq!(words[0], "tableform", "{:?}", line.text);
        let run = run_in(&dir, &db, &words[1..]);
        assert!(
            line.exits.contains(&run.code),
            "recipe {:?}: `{}` exited {}, the doc allows {:?}\n--- stdout\n{}\n--- stderr\n{}",
            recipe.title,
            line.command,
            run.code,
            line.exits,
            run.stdout,
            run.stderr
        );
        runs.push((line.clone(), run));
    }
    Ran { dir, db, runs }
}

fn public_tables(db: &TestDb) -> usize {
    db.strings("SELECT count(*) FROM pg_tables WHERE schemaname='public'")[0]
        .parse()
        .unwrap()
}

#[test]
fn the_doc_has_three_recipes_with_commands() {
    let all = recipes();
    let titles: Vec<&str> = all.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(all.len(), 3, "recipes: {titles:?}");
    for (i, r) in all.iter().enumerate() {
        assert!(r.title.starts_with(&format!("{}. ", i + 1)), "{titles:?}");
        assert!(!r.commands.is_empty(), "no commands in {:?}", r.title);
        for c in &r.commands {
            assert!(c.exits.iter().all(|e| [0, 2, 3].contains(e)), "{c:?}");
        }
    }
}

#[test]
fn recipe_1_pull_request_plan() {
    let ran = run_recipe(1);
    assert!(!ran.runs.is_empty());
    let (line, run) = &ran.runs[0];
    // An empty database: everything is to create, so --detailed-exitcode says "changes".
    assert_eq!(run.code, 2, "{}\n{}", line.text, run.stderr);
    assert!(run.stdout.contains("17 to create"), "{}", run.stdout);
    let file = ran.dir.join("plans/pr-42.json");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("plans/pr-42.json written"))
            .unwrap();
    assert_eq!(saved["format_version"], 3);
    assert_eq!(saved["summary"]["create"], 17);
    // Planning only reads.
    assert_eq!(public_tables(&ran.db), 0);
}

#[test]
fn recipe_2_release_applies_the_reviewed_plan() {
    let ran = run_recipe(2);
    assert!(ran.runs.len() >= 4, "{} commands ran", ran.runs.len());
    assert_eq!(public_tables(&ran.db), 17);
    let applied = ran
        .runs
        .iter()
        .find(|(l, _)| l.command.starts_with("tableform apply "))
        .expect("the recipe applies a plan");
    assert_eq!(applied.1.code, 0, "{}", applied.1.stderr);
    assert!(
        applied.1.stdout.contains(
            "Apply complete: 48 statements committed (17 created, 0 changed, 0 unchanged)."
        ),
        "{}",
        applied.1.stdout
    );
    // After the release, the declaration and the database agree.
    let (last, run) = ran.runs.last().unwrap();
    assert!(
        last.command.contains("--detailed-exitcode"),
        "{}",
        last.text
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn recipe_3_drift_check_after_a_release() {
    let ran = run_recipe(3);
    assert!(ran.runs.len() >= 3, "{} commands ran", ran.runs.len());
    assert_eq!(public_tables(&ran.db), 17);
    let (last, run) = ran.runs.last().unwrap();
    assert!(
        last.command.starts_with("tableform drift "),
        "{}",
        last.text
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("drift --format json printed no JSON ({e}):\n{}", run.stdout));
    assert_eq!(report["drifted"], run.code == 2, "{}", run.stdout);
    // Right after the release nothing has drifted.
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(report["items"], serde_json::json!([]));

    // Someone changes the database by hand: the same command now reports drift.
    ran.db
        .exec("ALTER TABLE users ADD COLUMN nickname text; CREATE TABLE scratch (x int)");
    let words = shell_words(&substitute(&last.command, &variables()));
    let again = run_in(&ran.dir, &ran.db, &words[1..]);
    assert_eq!(again.code, 2, "{}\n{}", again.stdout, again.stderr);
    assert!(last.exits.contains(&again.code));
    let report: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    let items: Vec<String> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{} {}", i["object"], i["description"]))
        .collect();
    assert_eq!(
        items,
        [
            "\"public.users\" \"column nickname is not declared\"",
            "\"public.scratch\" \"table is not declared\""
        ],
        "{}",
        again.stdout
    );
}

#[test]
fn command_lines_are_split_like_a_shell_would() {
    let line = parse_command_line(
        "tableform plan --schema schema --out plans/pr-${PR_NUMBER}.json  # exit: 0|2|3",
    );
    assert_eq!(line.exits, [0, 2, 3]);
    assert_eq!(
        shell_words(&substitute(&line.command, &variables())),
        [
            "tableform",
            "plan",
            "--schema",
            "schema",
            "--out",
            "plans/pr-42.json"
        ]
    );
    assert_eq!(
        shell_words(r#"a 'b c' "d \"e\" \$f" g\ h  i"j"'k' """#),
        ["a", "b c", "d \"e\" $f", "g h", "ijk", ""]
    );
}
