//! Sending one request to Scalingo: the request budget, backing off on 429, bounded retries of
//! reads that failed on the way, and the mapping from status and body to an error.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::counts;
use super::error::{FieldError, ScalingoError};
use crate::secret::Secret;

/// How hard to try, and how fast to go.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests sent in any 60 s, at most (Scalingo documents 60).
    pub requests_per_minute: u32,
    /// How long one request may take (30 s in Scalingo's own client).
    pub timeout: Duration,
    /// Attempts of a read that failed on the way or with a 5xx, and of any request refused with 429.
    pub attempts: u32,
    /// The first wait between attempts; it doubles each time.
    pub backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            requests_per_minute: 60,
            timeout: Duration::from_secs(30),
            attempts: 3,
            backoff: Duration::from_secs(2),
        }
    }
}

/// How a request proves who sends it.
pub(crate) enum Credentials<'a> {
    /// The API token, for the token exchange.
    ApiToken(&'a Secret<String>),
    Bearer(&'a str),
}

/// One request to send.
pub(crate) struct Request<'a> {
    pub method: Method,
    pub url: String,
    pub credentials: Credentials<'a>,
    pub body: Option<serde_json::Value>,
}

/// The budget's clock: when the last requests left, oldest first.
#[derive(Debug)]
struct Budget {
    sent: VecDeque<Instant>,
}

#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// For archives: no limit on the whole transfer, only on silence.
    download: reqwest::Client,
    limits: Limits,
    budget: Mutex<Budget>,
}

const WINDOW: Duration = Duration::from_secs(60);

impl Transport {
    pub(super) fn new(limits: Limits) -> Self {
        let http = reqwest::Client::builder()
            .timeout(limits.timeout)
            .user_agent(concat!("Tidemark/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let download = reqwest::Client::builder()
            .connect_timeout(limits.timeout)
            .read_timeout(limits.timeout)
            .user_agent(concat!("Tidemark/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            http,
            download,
            limits,
            budget: Mutex::new(Budget {
                sent: VecDeque::new(),
            }),
        }
    }

    /// Starts a download from a URL that carries its own credentials; `range` is passed on.
    pub(super) async fn download(
        &self,
        url: &Secret<String>,
        range: Option<&str>,
    ) -> Result<reqwest::Response, ScalingoError> {
        self.take_slot().await;
        let mut builder = self.download.get(url.expose());
        if let Some(r) = range {
            builder = builder.header(reqwest::header::RANGE, r);
        }
        let response = builder.send().await.map_err(|_| {
            counts::count("error");
            ScalingoError::Unavailable("cannot reach the archive".into())
        })?;
        let status = response.status();
        counts::count(status.as_str());
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::RANGE_NOT_SATISFIABLE {
            return Err(ScalingoError::Rejected {
                status: 416,
                message: "the requested range is outside the archive".into(),
            });
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(error_for(status, &body))
    }

    /// Waits until one more request stays within the per-minute budget, and counts it.
    async fn take_slot(&self) {
        let mut budget = self.budget.lock().await;
        loop {
            let now = Instant::now();
            while budget.sent.front().is_some_and(|t| now - *t >= WINDOW) {
                budget.sent.pop_front();
            }
            if budget.sent.len() < self.limits.requests_per_minute.max(1) as usize {
                budget.sent.push_back(now);
                return;
            }
            let oldest = budget.sent[0];
            tracing::info!(
                wait_ms = (oldest + WINDOW - now).as_millis() as u64,
                "holding a Scalingo request to stay within the request budget"
            );
            tokio::time::sleep_until(oldest + WINDOW).await;
        }
    }

    /// Sends the request; returns the body of a 2xx answer (null when empty).
    pub(super) async fn send(&self, req: &Request<'_>) -> Result<serde_json::Value, ScalingoError> {
        let idempotent = req.method == Method::GET;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.send_once(req).await;
            let retry = match &result {
                Err(ScalingoError::RateLimited) => true,
                Err(e) if e.is_transient() => idempotent,
                _ => false,
            };
            if !retry || attempt >= self.limits.attempts.max(1) {
                return result;
            }
            let wait = self.limits.backoff * 2u32.saturating_pow(attempt - 1);
            tracing::warn!(
                method = %req.method, path = %path_of(&req.url), attempt, wait_ms = wait.as_millis() as u64,
                error = %result.as_ref().err().map(ToString::to_string).unwrap_or_default(),
                "Scalingo request failed; trying again"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(&self, req: &Request<'_>) -> Result<serde_json::Value, ScalingoError> {
        self.take_slot().await;
        let mut builder = self
            .http
            .request(req.method.clone(), &req.url)
            .header(reqwest::header::ACCEPT, "application/json");
        builder = match &req.credentials {
            Credentials::ApiToken(token) => builder.basic_auth("", Some(token.expose())),
            Credentials::Bearer(token) => builder.bearer_auth(token),
        };
        if let Some(body) = &req.body {
            builder = builder.json(body);
        } else if req.method == Method::POST {
            builder = builder.json(&serde_json::json!({}));
        }
        let started = std::time::Instant::now();
        let response = builder.send().await.map_err(|e| {
            counts::count("error");
            ScalingoError::Unavailable(if e.is_timeout() {
                "no answer in time".to_string()
            } else {
                "cannot connect".to_string()
            })
        })?;
        let status = response.status();
        counts::count(status.as_str());
        let body = response
            .bytes()
            .await
            .map_err(|_| ScalingoError::Unavailable("the answer was cut short".into()))?;
        tracing::debug!(
            method = %req.method, path = %path_of(&req.url), status = status.as_u16(),
            duration_ms = started.elapsed().as_millis() as u64, "Scalingo request"
        );
        if status.is_success() {
            if body.is_empty() {
                return Ok(serde_json::Value::Null);
            }
            return serde_json::from_slice(&body).map_err(|e| {
                ScalingoError::Unexpected(format!("{} is not JSON: {e}", path_of(&req.url)))
            });
        }
        Err(error_for(status, &body))
    }
}

/// The path of a URL without its query, which may carry a token: what logs may show.
pub(crate) fn path_of(url: &str) -> &str {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    match no_query.find("://") {
        Some(i) => no_query[i + 3..]
            .find('/')
            .map(|j| &no_query[i + 3 + j..])
            .unwrap_or("/"),
        None => no_query,
    }
}

/// The error a refused request stands for. Bodies are read leniently: JSON when they are JSON,
/// else the text itself.
pub(crate) fn error_for(status: StatusCode, body: &[u8]) -> ScalingoError {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let message = || {
        json.as_ref()
            .and_then(|v| v.get("error"))
            .and_then(|e| e.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(body).trim().to_string();
                if text.is_empty() {
                    format!("status {}", status.as_u16())
                } else {
                    text.chars().take(200).collect()
                }
            })
    };
    match status.as_u16() {
        401 => ScalingoError::Unauthorized,
        403 => ScalingoError::Forbidden(message()),
        404 => ScalingoError::NotFound {
            resource: json
                .as_ref()
                .and_then(|v| v.get("resource"))
                .and_then(|r| r.as_str())
                .filter(|r| !r.is_empty())
                .unwrap_or("resource")
                .replace('_', " "),
        },
        422 => {
            let fields: Vec<FieldError> = json
                .as_ref()
                .and_then(|v| v.get("errors"))
                .and_then(|e| e.as_object())
                .map(|o| {
                    o.iter()
                        .map(|(field, msgs)| FieldError {
                            field: field.clone(),
                            messages: match msgs {
                                serde_json::Value::Array(a) => a
                                    .iter()
                                    .map(|m| {
                                        m.as_str()
                                            .map(str::to_string)
                                            .unwrap_or_else(|| m.to_string())
                                    })
                                    .collect(),
                                serde_json::Value::String(s) => vec![s.clone()],
                                other => vec![other.to_string()],
                            },
                        })
                        .collect()
                })
                .unwrap_or_default();
            if fields.is_empty() {
                ScalingoError::Rejected {
                    status: 422,
                    message: message(),
                }
            } else {
                ScalingoError::Invalid(fields)
            }
        }
        429 => ScalingoError::RateLimited,
        s if s >= 500 => ScalingoError::Unavailable(format!("status {s}")),
        s => ScalingoError::Rejected {
            status: s,
            message: message(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, body: &str) -> ScalingoError {
        error_for(StatusCode::from_u16(status).unwrap(), body.as_bytes())
    }

    #[test]
    fn statuses_and_bodies_map_to_errors() {
        assert_eq!(
            err(401, r#"{"error":"token expired"}"#),
            ScalingoError::Unauthorized
        );
        assert_eq!(
            err(403, r#"{"error":"forbidden","code":"x"}"#),
            ScalingoError::Forbidden("forbidden".into())
        );
        assert_eq!(
            err(404, r#"{"resource":"app","error":"not found"}"#),
            ScalingoError::NotFound {
                resource: "app".into()
            }
        );
        assert_eq!(
            err(404, r#"{"resource":"firewall_rule","error":"not found"}"#).to_string(),
            "Scalingo has no such firewall rule."
        );
        assert_eq!(
            err(404, "{}"),
            ScalingoError::NotFound {
                resource: "resource".into()
            }
        );
        assert_eq!(
            err(
                422,
                r#"{"errors":{"cidr":["is not a valid CIDR"],"label":["is too long"]}}"#
            ),
            ScalingoError::Invalid(vec![
                FieldError {
                    field: "cidr".into(),
                    messages: vec!["is not a valid CIDR".into()]
                },
                FieldError {
                    field: "label".into(),
                    messages: vec!["is too long".into()]
                },
            ])
        );
        assert_eq!(
            err(422, "not json at all"),
            ScalingoError::Rejected {
                status: 422,
                message: "not json at all".into()
            }
        );
        assert_eq!(
            err(409, r#"{"error":"another operation is running"}"#),
            ScalingoError::Rejected {
                status: 409,
                message: "another operation is running".into()
            }
        );
        assert_eq!(
            err(400, r#"{"error":"bad","code":"x"}"#),
            ScalingoError::Rejected {
                status: 400,
                message: "bad".into()
            }
        );
        assert_eq!(
            err(402, r#"{"error":"pay","url":"https://…"}"#),
            ScalingoError::Rejected {
                status: 402,
                message: "pay".into()
            }
        );
        assert_eq!(err(429, "Retry later"), ScalingoError::RateLimited);
        assert_eq!(
            err(500, r#"{"error":"boom"}"#),
            ScalingoError::Unavailable("status 500".into())
        );
        assert_eq!(
            err(503, ""),
            ScalingoError::Unavailable("status 503".into())
        );
    }

    #[test]
    fn only_failures_on_the_way_are_transient() {
        assert!(ScalingoError::Unavailable("x".into()).is_transient());
        assert!(!ScalingoError::RateLimited.is_transient());
        assert!(!ScalingoError::Unauthorized.is_transient());
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_holds_the_request_over_it_until_the_oldest_is_a_minute_old() {
        let t = Transport::new(Limits {
            requests_per_minute: 3,
            ..Limits::default()
        });
        let start = Instant::now();
        for _ in 0..3 {
            t.take_slot().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        tokio::time::advance(Duration::from_secs(10)).await;
        t.take_slot().await;
        let waited = start.elapsed();
        assert!(
            waited >= WINDOW && waited < WINDOW + Duration::from_secs(1),
            "{waited:?}"
        );
    }

    #[test]
    fn logs_see_paths_without_queries() {
        assert_eq!(
            path_of(
                "https://db-api.osc-fr1.scalingo.com/api/databases/ad-1/backups/b/download?token=secret"
            ),
            "/api/databases/ad-1/backups/b/download"
        );
        assert_eq!(path_of("http://127.0.0.1:4000"), "/");
    }
}
