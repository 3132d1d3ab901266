//! Writing to the terminal: colour decisions and error lines.

use std::io::{IsTerminal, Write};

/// Colour only on a terminal, and never with `--no-color` or `NO_COLOR` (https://no-color.org).
pub fn color(no_color_flag: bool, stream_is_terminal: bool) -> bool {
    let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color_flag && !env_off && stream_is_terminal
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
