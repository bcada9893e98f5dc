//! `GET /metrics`: the facts a team's Prometheus scrapes, in the Prometheus text format, for a
//! viewer's token or session.

use std::sync::atomic::AtomicU64;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::prometheus_text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tidemark_core::ops;
use tidemark_core::ops::metrics::MetricsFacts;

use crate::auth::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

type Labels = Vec<(&'static str, String)>;
type Gauges = Family<Labels, Gauge<f64, AtomicU64>>;

fn seconds(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// One gauge family, registered under `name`.
fn family(registry: &mut Registry, name: &str, help: &str) -> Gauges {
    let f = Gauges::default();
    registry.register(name, help, f.clone());
    f
}

/// Every family the route exports, as Prometheus names it (counters end in `_total`), whether
/// or not it has a sample now: what alert rules and dashboards may use.
pub const METRIC_NAMES: [&str; 15] = [
    "tidemark_backup_last_success_timestamp_seconds",
    "tidemark_backup_last_failure_timestamp_seconds",
    "tidemark_backup_last_size_bytes",
    "tidemark_backup_last_duration_seconds",
    "tidemark_pitr_window_start_timestamp_seconds",
    "tidemark_pitr_window_end_timestamp_seconds",
    "tidemark_wal_archive_age_seconds",
    "tidemark_backup_last_verified_timestamp_seconds",
    "tidemark_restore_duration_seconds",
    "tidemark_jobs",
    "tidemark_scalingo_requests_total",
    "process_start_time_seconds",
    "process_resident_memory_bytes",
    "process_cpu_seconds_total",
    "process_open_fds",
];

/// The facts as a registry of gauges, and the process's own figures.
fn registry_of(facts: &MetricsFacts) -> Registry {
    let mut r = Registry::default();
    let [
        success,
        failure,
        size,
        duration,
        start,
        end,
        wal,
        verified,
        restore,
        jobs,
    ] = [
        (
            "tidemark_backup_last_success_timestamp_seconds",
            "When the newest successful backup of the method finished",
        ),
        (
            "tidemark_backup_last_failure_timestamp_seconds",
            "When the newest failed backup of the method ended",
        ),
        (
            "tidemark_backup_last_size_bytes",
            "The size of the newest successful backup of the method",
        ),
        (
            "tidemark_backup_last_duration_seconds",
            "How long the newest successful backup of the method took",
        ),
        (
            "tidemark_pitr_window_start_timestamp_seconds",
            "The earliest moment the database can be restored to",
        ),
        (
            "tidemark_pitr_window_end_timestamp_seconds",
            "The latest moment the database can be restored to",
        ),
        (
            "tidemark_wal_archive_age_seconds",
            "How old the newest archived WAL is, on clusters Tidemark manages",
        ),
        (
            "tidemark_backup_last_verified_timestamp_seconds",
            "When the newest passed verification of a backup ended",
        ),
        (
            "tidemark_restore_duration_seconds",
            "How long the newest passed verification's restore took: the measured recovery time",
        ),
        ("tidemark_jobs", "Jobs by kind and state"),
    ]
    .map(|(name, help)| family(&mut r, name, help));
    for db in &facts.databases {
        let of_db = || vec![("database", db.id.clone())];
        for (method, m) in &db.methods {
            let labels = vec![
                ("database", db.id.clone()),
                ("method", (*method).to_string()),
            ];
            if let Some(t) = m.last_success {
                success.get_or_create(&labels).set(seconds(t));
            }
            if let Some(t) = m.last_failure {
                failure.get_or_create(&labels).set(seconds(t));
            }
            if let Some(b) = m.last_size_bytes {
                size.get_or_create(&labels).set(b as f64);
            }
            if let Some(d) = m.last_duration_seconds {
                duration.get_or_create(&labels).set(d);
            }
        }
        if let Some(t) = db.window_start {
            start.get_or_create(&of_db()).set(seconds(t));
        }
        if let Some(t) = db.window_end {
            end.get_or_create(&of_db()).set(seconds(t));
        }
        if let Some(a) = db.wal_archive_age_seconds {
            wal.get_or_create(&of_db()).set(a);
        }
        if let Some(t) = db.last_verified {
            verified.get_or_create(&of_db()).set(seconds(t));
        }
        if let Some(s) = db.restore_seconds {
            restore.get_or_create(&of_db()).set(s);
        }
    }
    for ((kind, state), n) in &facts.jobs {
        jobs.get_or_create(&vec![("kind", kind.clone()), ("state", state.clone())])
            .set(*n as f64);
    }
    let requests = Family::<Labels, Counter>::default();
    r.register(
        "tidemark_scalingo_requests",
        "Requests sent to Scalingo's APIs since start, by the answer's status",
        requests.clone(),
    );
    for (status, n) in tidemark_core::provider::scalingo::request_counts() {
        requests.get_or_create(&vec![("status", status)]).inc_by(n);
    }
    process(&mut r);
    r
}

/// The process's start time, resident memory, CPU time and open files, from /proc.
fn process(r: &mut Registry) {
    let p = tidemark_core::process::read();
    let one = |r: &mut Registry, name: &str, help: &str, v: Option<f64>| {
        if let Some(v) = v {
            let g: Gauge<f64, AtomicU64> = Gauge::default();
            g.set(v);
            r.register(name, help, g);
        }
    };
    one(
        r,
        "process_start_time_seconds",
        "When the process started",
        p.start_time_seconds,
    );
    one(
        r,
        "process_resident_memory_bytes",
        "Resident memory",
        p.resident_memory_bytes,
    );
    if let Some(cpu) = p.cpu_seconds {
        let c: Counter<f64, AtomicU64> = Counter::default();
        c.inc_by(cpu);
        r.register("process_cpu_seconds", "CPU time used, user and system", c);
    }
    one(r, "process_open_fds", "Open file descriptors", p.open_fds);
}

/// The metrics in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "metrics",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
              (status = 401, description = "No session or API token", body = ErrorBody)))]
pub async fn metrics(State(state): State<AppState>, actor: Actor) -> Result<Response, ApiError> {
    let facts = ops::metrics::gather(&state.tm, &actor.caller()).await?;
    let mut text = String::new();
    encode(&mut text, &registry_of(&facts)).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("cannot encode the metrics: {e}"),
        )
    })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
