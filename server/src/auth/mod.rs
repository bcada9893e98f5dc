//! Who is asking: sessions and API tokens become a `Principal` on every request; anything else is
//! refused, except the login page, the health check, share links and the site's static files.

mod actor;
mod csrf;
mod guard;
mod keys;
mod login;
pub mod paths;
mod sessions;
mod throttle;

pub use actor::Actor;
pub use guard::{authenticate, security_headers};
pub use keys::IDLE_EXPIRY_SECONDS;
pub use login::{login_form, logout, source};
pub use paths::{is_public, refuse_odd_paths};
pub use sessions::StateSessions;
pub use throttle::LoginThrottle;
