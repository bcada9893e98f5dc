//! Runs a `ToolCommand` to completion; the one place that checks exit statuses and names the program.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::command::ToolCommand;

/// What a finished program printed.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    pub stdout: String,
    pub stderr: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{program} is not installed at {path} (install the Debian package {package})")]
    Missing {
        program: String,
        path: String,
        package: &'static str,
    },
    #[error("{program} could not be started: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} failed ({status}): {stderr_tail}")]
    Failed {
        program: String,
        status: String,
        stderr_tail: String,
    },
    #[error("{program} did not finish within {seconds} s")]
    TimedOut { program: String, seconds: u64 },
}

/// The Debian package that provides a program, for error messages.
pub fn package_for(program: &str) -> &'static str {
    match program {
        "pgbackrest" => "pgbackrest",
        "setpriv" => "util-linux",
        "psql" | "pg_dump" | "pg_restore" | "pg_dumpall" => "postgresql-client-15",
        _ => "postgresql-15",
    }
}

/// Finds a program: a path is checked as it is, a bare name is searched on the PATH.
pub fn locate(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// Fails with `ToolError::Missing` when the program is not there.
pub fn require(program: &Path) -> Result<PathBuf, ToolError> {
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    locate(program).ok_or_else(|| ToolError::Missing {
        package: package_for(&name),
        program: name,
        path: program.display().to_string(),
    })
}

/// Keeps the last `max_lines` non-empty lines of a program's stderr.
pub fn tail(text: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(max_lines);
    lines[start..].join("\n")
}

/// Runs the program, waits at most `timeout`, and succeeds only on exit status 0.
pub async fn run(cmd: &ToolCommand, timeout: Duration) -> Result<ToolOutput, ToolError> {
    require(&cmd.program)?;
    let program = cmd.name();
    tracing::debug!(program = %program, args = ?cmd.display_args(), "running");
    let mut process = cmd.to_process();
    process
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = process.spawn().map_err(|source| ToolError::Spawn {
        program: program.clone(),
        source,
    })?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(result) => result.map_err(|source| ToolError::Spawn {
            program: program.clone(),
            source,
        })?,
        // The child is dropped here, which kills it.
        Err(_) => {
            return Err(ToolError::TimedOut {
                program,
                seconds: timeout.as_secs(),
            });
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(ToolOutput { stdout, stderr })
    } else {
        let combined = if stderr.trim().is_empty() {
            &stdout
        } else {
            &stderr
        };
        Err(ToolError::Failed {
            program,
            status: output.status.to_string(),
            stderr_tail: tail(combined, 8),
        })
    }
}

/// Asks a child to stop (SIGTERM), then kills it if it has not exited after `grace`.
pub async fn stop_gracefully(child: &mut tokio::process::Child, grace: Duration) {
    if let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        let _ = child.kill().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_program_names_its_package() {
        let cmd = ToolCommand::new("/nonexistent/bin/pgbackrest");
        let err = run(&cmd, Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(
            err,
            ToolError::Missing {
                package: "pgbackrest",
                ..
            }
        ));
        assert!(
            err.to_string()
                .contains("install the Debian package pgbackrest")
        );
    }

    #[tokio::test]
    async fn a_failing_program_reports_its_stderr_tail() {
        let cmd = ToolCommand::new("sh").args(["-c", "echo first >&2; echo boom >&2; exit 3"]);
        let err = run(&cmd, Duration::from_secs(5)).await.unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("sh failed"), "{text}");
        assert!(text.contains("boom"), "{text}");
    }

    #[tokio::test]
    async fn a_slow_program_times_out() {
        let cmd = ToolCommand::new("sleep").arg("5");
        let err = run(&cmd, Duration::from_millis(100)).await.unwrap_err();
        assert!(matches!(err, ToolError::TimedOut { .. }));
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\n\nb\nc\n", 2), "b\nc");
    }
}
