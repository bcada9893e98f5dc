//! Runs the Scalingo API test server on its own, backed by a real cluster, until Ctrl-C.

use std::io::Write;

use tidemark_scalingo_fake::{FakeOptions, FakeScalingo};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let mut opts = FakeOptions {
        port: 4600,
        ..FakeOptions::default()
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => {
                opts.port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("--port takes a port number"))?;
            }
            other => anyhow::bail!("unknown argument '{other}'; usage: scalingo-fake [--port N]"),
        }
    }
    let fake = FakeScalingo::start(opts).await?;
    let mut out = std::io::stdout();
    writeln!(out, "SCALINGO_AUTH_URL={}", fake.auth_url())?;
    writeln!(out, "SCALINGO_API_TOKEN={}", fake.api_token())?;
    out.flush()?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    fake.stop().await;
    Ok(())
}
