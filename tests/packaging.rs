//! Packaging (#17): the GitHub Action's script against a local database and a fake GitHub API on
//! 127.0.0.1, and the pre-commit hooks under the real `pre-commit`. The release script and the
//! Dockerfile are exercised by `.ci/run`, not here (each is a full release build).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{SHOPPING_POINTS, TestDb, root, scratch_dir, write};

const MARKER: &str = "<!-- tableform-plan -->";
const TOKEN: &str = "ghs_not-a-real-token-5e3f";

/// A stand-in for the GitHub REST API's issue comments: it keeps comments in memory, starts with
/// one comment by someone else (and optionally a long thread ending in a plan comment), and
/// appends every request it gets to a log, one JSON per line.
const FAKE_GITHUB: &str = r#"
import http.server, json, re, sys
from urllib.parse import urlsplit, parse_qs

log_path = sys.argv[1]
comments = {"7": [{"id": 500, "body": "Looks good to me", "html_url": "http://x/500"}]}
# A long thread: that many more comments, then an earlier run's plan comment.
filler = int(sys.argv[2])
if filler:
    comments["7"] += [{"id": 10 + i, "body": "comment %d" % i} for i in range(filler)]
    comments["7"].append({"id": 2000, "body": "<!-- tableform-plan -->\nan old plan"})
next_id = [1000]

class Handler(http.server.BaseHTTPRequestHandler):
    def record(self, body):
        with open(log_path, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "auth": self.headers.get("Authorization"), "body": body}) + "\n")

    def reply(self, status, value):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n)) if n else None

    def do_GET(self):
        self.record(None)
        url = urlsplit(self.path)
        m = re.fullmatch(r"/repos/acme/shop/issues/(\d+)/comments", url.path)
        if not m:
            return self.reply(404, {"message": "Not Found"})
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        per = int(parse_qs(url.query).get("per_page", ["30"])[0])
        self.reply(200, comments.get(m.group(1), [])[(page - 1) * per : page * per])

    def do_POST(self):
        body = self.read_body()
        self.record(body)
        m = re.fullmatch(r"/repos/acme/shop/issues/(\d+)/comments", self.path)
        if not m:
            return self.reply(404, {"message": "Not Found"})
        c = {"id": next_id[0], "body": body["body"], "html_url": "http://x/%d" % next_id[0]}
        next_id[0] += 1
        comments.setdefault(m.group(1), []).append(c)
        self.reply(201, c)

    def do_PATCH(self):
        body = self.read_body()
        self.record(body)
        m = re.fullmatch(r"/repos/acme/shop/issues/comments/(\d+)", self.path)
        found = [c for cs in comments.values() for c in cs if m and str(c["id"]) == m.group(1)]
        if not found:
            return self.reply(404, {"message": "Not Found"})
        found[0]["body"] = body["body"]
        self.reply(200, found[0])

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// The fake API, stopped when dropped.
struct FakeGithub {
    child: Child,
    url: String,
    log: PathBuf,
}

#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    auth: Option<String>,
    body: Option<String>,
}

impl FakeGithub {
    fn start(dir: &Path) -> FakeGithub {
        FakeGithub::with_thread(dir, 0)
    }

    /// `filler` comments more, then a plan comment (id 2000) from an earlier run.
    fn with_thread(dir: &Path, filler: usize) -> FakeGithub {
        write(dir, "fake_github.py", FAKE_GITHUB);
        let log = dir.join("requests.jsonl");
        let mut child = Command::new("python3")
            .arg(dir.join("fake_github.py"))
            .arg(&log)
            .arg(filler.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fake GitHub API");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().expect("the fake API prints its port");
        FakeGithub {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn requests(&self) -> Vec<Request> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                Request {
                    method: v["method"].as_str().unwrap().to_string(),
                    path: v["path"].as_str().unwrap().to_string(),
                    auth: v["auth"].as_str().map(str::to_string),
                    body: v["body"]["body"].as_str().map(str::to_string),
                }
            })
            .collect()
    }
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Outcome {
    code: i32,
    output: String,
}

/// Runs scripts/github-plan as the action does, for pull request #7 of acme/shop.
fn github_plan(
    api: &FakeGithub,
    dir: &Path,
    schema: &Path,
    db_url: &str,
    vars: &[(&str, &str)],
) -> Outcome {
    let event = dir.join("event.json");
    std::fs::write(
        &event,
        r#"{"action": "synchronize", "number": 7, "pull_request": {"number": 7}}"#,
    )
    .unwrap();
    let mut cmd = Command::new(root().join("scripts/github-plan"));
    for (k, _) in std::env::vars() {
        if k == "DATABASE_URL" || k.starts_with("PG") || k.starts_with("GITHUB_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .current_dir(dir)
        .env("TABLEFORM_BIN", env!("CARGO_BIN_EXE_tableform"))
        .env("TABLEFORM_SCHEMA", schema)
        .env("TABLEFORM_PLAN_FILE", dir.join("plan.json"))
        .env("DATABASE_URL", db_url)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", &api.url)
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_OUTPUT", dir.join("github_output"))
        .env("NO_COLOR", "1")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("scripts/github-plan runs");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!output.contains(TOKEN), "the token was printed:\n{output}");
    assert!(
        !output.contains(db_url),
        "the database URL was printed:\n{output}"
    );
    Outcome {
        code: out.status.code().unwrap_or(-1),
        output,
    }
}

fn methods(requests: &[Request]) -> Vec<&str> {
    requests.iter().map(|r| r.method.as_str()).collect()
}

#[test]
fn the_action_script_posts_one_comment_and_then_updates_it() {
    let db = TestDb::new("ghplan");
    let dir = scratch_dir("ghplan");
    let api = FakeGithub::start(&dir);
    let schema = root().join(SHOPPING_POINTS);

    let first = github_plan(&api, &dir, &schema, &db.url, &[]);
    assert_eq!(first.code, 0, "{}", first.output);
    let requests = api.requests();
    assert_eq!(methods(&requests), ["GET", "POST"], "{requests:?}");
    assert!(
        requests[0]
            .path
            .starts_with("/repos/acme/shop/issues/7/comments?")
    );
    assert_eq!(requests[1].path, "/repos/acme/shop/issues/7/comments");
    for r in &requests {
        assert_eq!(r.auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    }
    let body = requests[1].body.as_deref().unwrap();
    assert!(body.starts_with(MARKER), "{body}");
    assert!(body.contains("### tableform plan"), "{body}");
    assert!(body.contains("to create, 0 to change"), "{body}");
    assert!(!body.contains("Plan: 0 to create"), "{body}");
    // The plan file was kept, and the step outputs name it.
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap();
    assert!(
        plan["summary"]["create"].as_u64() > Some(0),
        "{}",
        plan["summary"]
    );
    let outputs = std::fs::read_to_string(dir.join("github_output")).unwrap();
    assert!(outputs.contains("exit-code=0\n"), "{outputs}");
    assert!(outputs.contains("comment-url=http://x/1000\n"), "{outputs}");

    // Once applied, the next run's plan is empty, and it replaces the same comment's body.
    let applied = db.run(&["apply", "--schema", SHOPPING_POINTS, "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    let second = github_plan(&api, &dir, &schema, &db.url, &[]);
    assert_eq!(second.code, 0, "{}", second.output);
    let requests = api.requests();
    assert_eq!(
        methods(&requests),
        ["GET", "POST", "GET", "PATCH"],
        "{requests:?}"
    );
    assert_eq!(requests[3].path, "/repos/acme/shop/issues/comments/1000");
    let body = requests[3].body.as_deref().unwrap();
    assert!(body.starts_with(MARKER), "{body}");
    assert!(body.contains("Plan: 0 to create, 0 to change"), "{body}");
}

#[test]
fn the_action_script_fails_on_a_refusal_after_commenting_unless_told_not_to() {
    let db = TestDb::new("ghrefuse");
    db.exec("CREATE TABLE people (id integer PRIMARY KEY, name text); INSERT INTO people VALUES (1, 'Ann')");
    let dir = scratch_dir("ghrefuse");
    let api = FakeGithub::start(&dir);
    let schema = dir.join("schema");
    std::fs::create_dir_all(&schema).unwrap();
    write(
        &schema,
        "people.toml",
        "[table.people]\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]\n",
    );

    let refused = github_plan(&api, &dir, &schema, &db.url, &[]);
    assert_eq!(refused.code, 3, "{}", refused.output);
    assert!(
        refused.output.contains("the plan holds refusals"),
        "{}",
        refused.output
    );
    let requests = api.requests();
    assert_eq!(methods(&requests), ["GET", "POST"], "{requests:?}");
    let body = requests[1].body.as_deref().unwrap();
    assert!(body.starts_with(MARKER), "{body}");
    assert!(body.contains("#### Refused"), "{body}");
    assert!(dir.join("plan.json").is_file());

    let allowed = github_plan(
        &api,
        &dir,
        &schema,
        &db.url,
        &[("TABLEFORM_FAIL_ON_REFUSAL", "false")],
    );
    assert_eq!(allowed.code, 0, "{}", allowed.output);
    assert_eq!(
        methods(&api.requests()),
        ["GET", "POST", "GET", "PATCH"],
        "{:?}",
        api.requests()
    );
}

#[test]
fn the_action_script_finds_its_comment_on_a_later_page_of_a_long_thread() {
    let db = TestDb::new("ghpages");
    let dir = scratch_dir("ghpages");
    let api = FakeGithub::with_thread(&dir, 150);
    let run = github_plan(&api, &dir, &root().join(SHOPPING_POINTS), &db.url, &[]);
    assert_eq!(run.code, 0, "{}", run.output);
    let requests = api.requests();
    assert_eq!(methods(&requests), ["GET", "GET", "PATCH"], "{requests:?}");
    assert!(requests[0].path.contains("page=1"), "{requests:?}");
    assert!(requests[1].path.contains("page=2"), "{requests:?}");
    assert_eq!(requests[2].path, "/repos/acme/shop/issues/comments/2000");
    assert!(requests[2].body.as_deref().unwrap().starts_with(MARKER));
}

#[test]
fn the_action_script_stops_without_commenting_when_the_plan_fails() {
    let dir = scratch_dir("ghfail");
    let api = FakeGithub::start(&dir);
    // Nothing listens on this loopback port once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres:s3cret-pw@127.0.0.1:{port}/postgres");
    let failed = github_plan(&api, &dir, &root().join(SHOPPING_POINTS), &url, &[]);
    assert_eq!(failed.code, 1, "{}", failed.output);
    assert!(!failed.output.contains("s3cret-pw"), "{}", failed.output);
    assert!(
        failed
            .output
            .contains("tableform plan failed with exit status 1"),
        "{}",
        failed.output
    );
    assert!(api.requests().is_empty(), "{:?}", api.requests());
}

/// The hooks of .pre-commit-hooks.yaml under the real pre-commit, which builds this repository
/// with `cargo install` (a release build: minutes). Ignored by a plain `cargo test`; `.ci/run`
/// installs pre-commit from PyPI and runs it (`cargo test --test packaging -- --ignored`).
#[test]
#[ignore = "builds the repository in release mode through pre-commit; .ci/run runs it"]
fn the_pre_commit_hooks_pass_a_good_schema_and_fail_a_broken_one() {
    assert!(
        Command::new("pre-commit").arg("--version").output().is_ok(),
        "pre-commit is not on PATH: `python3 -m pip install pre-commit` (.ci/run does)"
    );
    let dir = scratch_dir("precommit");
    let repo = dir.join("repo");
    copy_dir(&root().join(SHOPPING_POINTS), &repo.join("schema"));
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "schema"]);

    // cargo test holds the lock of its own target directory: build elsewhere.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), PathBuf::from)
        .join("pre-commit");
    let try_repo = || {
        let out = Command::new("pre-commit")
            .args(["try-repo", root().to_str().unwrap(), "--all-files"])
            .current_dir(&repo)
            .env("CARGO_TARGET_DIR", &target)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };

    let (code, text) = try_repo();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("tableform fmt --check"), "{text}");
    assert!(text.contains("tableform validate"), "{text}");
    assert_eq!(text.matches("Passed").count(), 2, "{text}");

    write(
        &repo.join("schema"),
        "broken.toml",
        "[table.broken]\ncolumns = [{ name = \"id\", type = \"integer\" }, { name = \"id\", type = \"text\" }]\n",
    );
    git(&["add", "."]);
    let (code, text) = try_repo();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("broken.toml"), "{text}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// `cargo install --git`, as README and docs/install.md give it, from this repository's own
/// commit (a `file://` URL: the public one cannot be reached from a test): the package builds
/// from a clean git checkout with `--locked`, and the installed binary runs. Ignored by a plain
/// `cargo test` (a release build); `.ci/run` runs it with the pre-commit test, sharing its target
/// directory.
#[test]
#[ignore = "builds the repository in release mode with cargo install; .ci/run runs it"]
fn cargo_install_from_git_builds_a_binary_that_runs() {
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(head.status.success(), "not a git checkout: {head:?}");
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), PathBuf::from)
        .join("pre-commit");
    let dest = scratch_dir("cargo-install-git");
    let out = Command::new(env!("CARGO"))
        .args(["install", "--locked", "--quiet", "--git"])
        .arg(format!("file://{}", root().display()))
        .args(["--rev", &head, "tableform", "--root"])
        .arg(&dest)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo install --git failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = dest.join("bin/tableform");
    let version = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("tableform {}", env!("CARGO_PKG_VERSION"))
    );
    let validate = Command::new(&bin)
        .args(["validate", "--schema"])
        .arg(root().join(SHOPPING_POINTS))
        .output()
        .unwrap();
    assert!(validate.status.success(), "{validate:?}");
}
