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
