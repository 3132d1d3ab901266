//! Writing to the terminal: colour decisions and error lines.

use std::io::{IsTerminal, Write};

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

static COLOR: std::sync::OnceLock<ColorWhen> = std::sync::OnceLock::new();

/// The `--color` of this run (set once, at start).
pub fn set_color(when: ColorWhen) {
    let _ = COLOR.set(when);
}

/// Whether to colour a stream: never with `--no-color` or `--color never`; always with `--color
/// always`; otherwise as the conventions say (https://no-color.org, https://bixense.com/clicolors,
/// read by `anstyle-query`): not with `NO_COLOR`, forced by `CLICOLOR_FORCE`, not with
/// `CLICOLOR=0` or `TERM=dumb`, else only on a terminal.
pub fn color(no_color_flag: bool, stream_is_terminal: bool) -> bool {
    if no_color_flag {
        return false;
    }
    match COLOR.get().copied().unwrap_or_default() {
        ColorWhen::Never => false,
        ColorWhen::Always => true,
        ColorWhen::Auto => {
            if anstyle_query::no_color() {
                false
            } else if anstyle_query::clicolor_force() {
                true
            } else {
                stream_is_terminal
                    && anstyle_query::clicolor() != Some(false)
                    && anstyle_query::term_supports_color()
            }
        }
    }
}

pub fn stdout_color(no_color_flag: bool) -> bool {
    color(no_color_flag, std::io::stdout().is_terminal())
}

pub fn stderr_color(no_color_flag: bool) -> bool {
    color(no_color_flag, std::io::stderr().is_terminal())
}

pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

pub fn eprint(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// `error: message` on stderr.
pub fn error(msg: &str) {
    eprint(&format!("error: {msg}\n"));
}

/// What a long-running command is doing, for whoever waits: on a terminal a spinner
/// (`indicatif`) naming the stage, with the time elapsed; elsewhere (a CI log) a plain line
/// every ten seconds while it runs, so a quick run prints nothing extra.
pub struct Activity {
    bar: Option<indicatif::ProgressBar>,
    stage: std::sync::Arc<std::sync::Mutex<String>>,
    done: Option<std::sync::mpsc::Sender<()>>,
    /// When each stage began, for `TABLEFORM_PROFILE=1` (docs/performance.md).
    marks: std::sync::Mutex<Vec<(String, std::time::Instant)>>,
}

impl Activity {
    /// `doing`: "planning", as in "still planning, 20s in: reading the catalog".
    pub fn start(doing: &'static str) -> Self {
        use std::io::IsTerminal;
        let stage = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new_spinner();
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            return Activity {
                bar: Some(bar),
                stage,
                done: None,
                marks: Default::default(),
            };
        }
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let seen = stage.clone();
        let start = std::time::Instant::now();
        std::thread::spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                rx.recv_timeout(std::time::Duration::from_secs(10))
            {
                let now = seen.lock().map(|s| s.clone()).unwrap_or_default();
                eprint(&format!(
                    "still {doing}, {}s in: {now}\n",
                    start.elapsed().as_secs()
                ));
            }
        });
        Activity {
            bar: None,
            stage,
            done: Some(tx),
            marks: Default::default(),
        }
    }

    pub fn stage(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_string());
        }
        if let Ok(mut s) = self.stage.lock() {
            *s = what.to_string();
        }
        if let Ok(mut m) = self.marks.lock() {
            m.push((what.to_string(), std::time::Instant::now()));
        }
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        // Dropping the sender ends the heartbeat thread at its next wake-up, or at once.
        self.done.take();
        if std::env::var_os("TABLEFORM_PROFILE").is_some()
            && let Ok(marks) = self.marks.lock()
        {
            let end = std::time::Instant::now();
            let times: Vec<String> = (marks.iter().enumerate())
                .map(|(i, (what, at))| {
                    let until = marks.get(i + 1).map_or(end, |(_, t)| *t);
                    format!("{what} {}ms", until.duration_since(*at).as_millis())
                })
                .collect();
            eprint(&format!("profile: {}\n", times.join(", ")));
        }
    }
}
