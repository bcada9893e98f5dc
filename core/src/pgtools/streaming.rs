//! A long-running tool whose stderr is read line by line (for progress), with secrets redacted,
//! its last lines kept for the failure message, and a graceful stop.

use std::collections::VecDeque;
use std::process::ExitStatus;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr};

use super::command::ToolCommand;
use super::runner::{require, stop_gracefully, tail};
use crate::secret::{Secret, redact};

/// What the tool did next.
#[derive(Debug)]
pub enum Output {
    /// A line of stderr, already redacted.
    Line(String),
    /// The tool exited (after its stderr closed).
    Exited(ExitStatus),
}

#[derive(Debug)]
pub struct Streaming {
    program: String,
    child: Child,
    lines: Lines<BufReader<ChildStderr>>,
    stderr_open: bool,
    last_lines: VecDeque<String>,
    secrets: Vec<Secret<String>>,
}

const KEPT_LINES: usize = 8;

impl Streaming {
    /// Starts the tool with stdout discarded and stderr read here.
    pub fn spawn(cmd: &ToolCommand) -> anyhow::Result<Self> {
        require(&cmd.program)?;
        let program = cmd.name();
        let mut child = cmd
            .to_process()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| anyhow::anyhow!("{program} could not be started: {e}"))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("{program} has no stderr"))?;
        Ok(Self {
            program,
            child,
            lines: BufReader::new(stderr).lines(),
            stderr_open: true,
            last_lines: VecDeque::with_capacity(KEPT_LINES),
            secrets: cmd.secret_env.iter().map(|(_, v)| v.clone()).collect(),
        })
    }

    /// The next line, or the exit once stderr has closed. Safe to use in `select!`.
    pub async fn next(&mut self) -> anyhow::Result<Output> {
        while self.stderr_open {
            match self.lines.next_line().await {
                Ok(Some(line)) => {
                    let secrets: Vec<&Secret<String>> = self.secrets.iter().collect();
                    let line = redact(&line, &secrets);
                    if self.last_lines.len() == KEPT_LINES {
                        self.last_lines.pop_front();
                    }
                    self.last_lines.push_back(line.clone());
                    return Ok(Output::Line(line));
                }
                Ok(None) | Err(_) => self.stderr_open = false,
            }
        }
        let status = self
            .child
            .wait()
            .await
            .map_err(|e| anyhow::anyhow!("cannot wait for {}: {e}", self.program))?;
        Ok(Output::Exited(status))
    }

    /// Asks the tool to stop, and kills it if it has not after a few seconds.
    pub async fn stop(&mut self) {
        stop_gracefully(&mut self.child, Duration::from_secs(5)).await;
    }

    /// "pg_dump failed (signal: 9): <its last lines>".
    pub fn failure(&self, status: ExitStatus) -> anyhow::Error {
        let lines: Vec<&str> = self.last_lines.iter().map(String::as_str).collect();
        anyhow::anyhow!(
            "{} failed ({status}): {}",
            self.program,
            tail(&lines.join("\n"), 4)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_redacted_and_the_failure_names_the_last_ones() {
        let cmd = ToolCommand::new("sh")
            .args([
                "-c",
                "echo \"token $SECRET_X\" >&2; echo last words >&2; exit 4",
            ])
            .secret_env("SECRET_X", Secret::new("s3cr3t".into()));
        let mut s = Streaming::spawn(&cmd).unwrap();
        let mut lines = Vec::new();
        let status = loop {
            match s.next().await.unwrap() {
                Output::Line(l) => lines.push(l),
                Output::Exited(status) => break status,
            }
        };
        assert_eq!(lines, ["token ***", "last words"]);
        let e = s.failure(status).to_string();
        assert!(e.starts_with("sh failed (exit status: 4)"), "{e}");
        assert!(e.contains("last words") && !e.contains("s3cr3t"), "{e}");
    }
}
