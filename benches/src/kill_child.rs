//! The SIGKILL loop both crash tests share: start a writer process, read what it prints on a
//! thread, kill it after a while, and make sure it did not exit by itself.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs this executable with `args`, passes each line it prints to `fold` (on a reader thread,
/// so the pipe never fills), SIGKILLs it after `after`, and returns the folded value.
pub fn run_then_kill<T: Send + 'static>(
    args: &[&OsStr],
    after: Duration,
    init: T,
    fold: impl Fn(T, &str) -> T + Send + 'static,
) -> Result<T, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawn writer: {e}"))?;
    let stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .fold(init, |acc, line| fold(acc, &line))
    });
    std::thread::sleep(after);
    child.kill().map_err(|e| format!("kill writer: {e}"))?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        return Err("the writer exited on its own (it should run until killed)".into());
    }
    reader
        .join()
        .map_err(|_| "reader thread panicked".to_string())
}
