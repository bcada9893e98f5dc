//! A description of one external program run: program, arguments, environment, user, directory.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::secret::Secret;
use crate::sysuser::RunAs;

/// What to run. Built by pure functions and unit-tested; turned into a process only by the runner.
#[derive(Debug, Clone)]
pub struct ToolCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Plain environment variables.
    pub env: Vec<(String, String)>,
    /// Secret environment variables (such as PGPASSWORD): never in argv, never logged.
    pub secret_env: Vec<(String, Secret<String>)>,
    pub cwd: Option<PathBuf>,
    pub run_as: Option<RunAs>,
}

impl ToolCommand {
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: vec![("LC_ALL".into(), "C".into())],
            secret_env: Vec::new(),
            cwd: None,
            run_as: None,
        }
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(items.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: &str, v: impl Into<String>) -> Self {
        self.env.push((k.to_string(), v.into()));
        self
    }

    pub fn secret_env(mut self, k: &str, v: Secret<String>) -> Self {
        self.secret_env.push((k.to_string(), v));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn run_as(mut self, user: Option<RunAs>) -> Self {
        self.run_as = user;
        self
    }

    /// The program's short name, for messages ("pg_ctl", "pgbackrest").
    pub fn name(&self) -> String {
        self.program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.program.display().to_string())
    }

    /// The arguments as text, for logs and tests (argv never holds a secret).
    pub fn display_args(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    /// The process to spawn. As root, programs run through `setpriv` as the clusters' user,
    /// with that user's groups; the child is killed if its handle is dropped.
    pub fn to_process(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::from(self.to_std_process());
        cmd.kill_on_drop(true);
        cmd
    }

    /// The same process for blocking contexts (such as `Drop`).
    pub fn to_std_process(&self) -> std::process::Command {
        use std::os::unix::process::CommandExt;
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = std::process::Command::new("setpriv");
                c.arg(format!("--reuid={}", user.uid))
                    .arg(format!("--regid={}", user.gid))
                    .arg("--init-groups")
                    .arg("--")
                    .arg(&self.program);
                c
            }
            None => std::process::Command::new(&self.program),
        };
        cmd.args(&self.args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in &self.secret_env {
            cmd.env(k, v.expose());
        }
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        cmd.stdin(std::process::Stdio::null());
        // Its own process group: a Ctrl-C in the terminal reaches Tidemark, which then stops
        // its children in order, rather than reaching them all at once.
        cmd.process_group(0);
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_go_to_the_environment_not_argv() {
        let c = ToolCommand::new("/usr/bin/pg_dump")
            .arg("--dbname=postgres")
            .secret_env("PGPASSWORD", Secret::new("s3cret".into()));
        assert!(c.display_args().iter().all(|a| !a.contains("s3cret")));
        assert!(!format!("{c:?}").contains("s3cret"));
        let p = c.to_process();
        let envs: Vec<_> = p.as_std().get_envs().collect();
        assert!(
            envs.iter()
                .any(|(k, v)| *k == "PGPASSWORD" && v.map(|v| v == "s3cret").unwrap_or(false))
        );
    }

    #[test]
    fn run_as_goes_through_setpriv_with_groups() {
        let user = RunAs {
            name: "postgres".into(),
            uid: 101,
            gid: 104,
        };
        let c = ToolCommand::new("/usr/lib/postgresql/15/bin/pg_ctl")
            .arg("status")
            .run_as(Some(user));
        let p = c.to_process();
        let std = p.as_std();
        assert_eq!(std.get_program(), "setpriv");
        let args: Vec<_> = std
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--reuid=101",
                "--regid=104",
                "--init-groups",
                "--",
                "/usr/lib/postgresql/15/bin/pg_ctl",
                "status"
            ]
        );
        assert_eq!(c.name(), "pg_ctl");
    }
}
