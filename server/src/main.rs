//! The tidemark binary: reads the configuration, starts everything, serves until SIGINT or SIGTERM.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tidemark_core::sysuser::keep_new_files_private();
    tidemark_server::telemetry::init();
    let config = match tidemark_core::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot start: the configuration is invalid: {e}");
            return ExitCode::from(2);
        }
    };
    match tidemark_server::startup::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}
