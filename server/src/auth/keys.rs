//! What a signed-in session holds, and how long it lives.

/// Session keys.
pub(super) const USER_KEY: &str = "user";
pub(super) const LOGIN_AT_KEY: &str = "login_at";
/// When the session last made a request, by Tidemark's clock.
pub(super) const SEEN_AT_KEY: &str = "seen_at";
/// A session ends this long after login, however active.
pub(super) const ABSOLUTE_EXPIRY: chrono::Duration = chrono::Duration::hours(24);
/// ... and after this long without a request.
pub const IDLE_EXPIRY_SECONDS: i64 = 8 * 3600;

/// Whether a session that logged in at `login_at` and was last seen at `seen_at` is still live
/// at `now` (all Unix seconds): under 24 hours since login and under 8 idle.
pub(super) fn session_is_live(login_at: Option<i64>, seen_at: Option<i64>, now: i64) -> bool {
    let (Some(login_at), Some(seen_at)) = (login_at, seen_at) else {
        return false;
    };
    now - login_at < ABSOLUTE_EXPIRY.num_seconds() && now - seen_at < IDLE_EXPIRY_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_after_8_idle_hours_or_24_in_all() {
        let h = 3600;
        assert!(session_is_live(Some(0), Some(0), 7 * h));
        assert!(!session_is_live(Some(0), Some(0), 8 * h), "idle for 8 h");
        assert!(session_is_live(Some(0), Some(20 * h), 23 * h));
        assert!(
            !session_is_live(Some(0), Some(23 * h), 24 * h),
            "24 h in all"
        );
        assert!(!session_is_live(None, Some(0), 1), "no login time");
        assert!(!session_is_live(Some(0), None, 1), "never seen");
    }
}
