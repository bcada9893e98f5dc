//! The pages besides the Backups tab are lazy routes: a release build split with `--split`
//! loads each one's code when it is first shown, so the Backups tab's first load carries only its own.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use crate::pages;

macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:ident) => {
        $(#[$doc])*
        pub(crate) struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <pages::$page/> }.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/`, the databases.
    OverviewRoute => Overview
);
lazy_page!(
    /// `/jobs`, every job with filters.
    JobsRoute => JobsPage
);
lazy_page!(
    /// `/jobs/{id}`, a job's live page.
    JobRoute => JobPageView
);
lazy_page!(
    /// `/s/{token}`, a job's page through a share link.
    SharedJobRoute => SharedJobPage
);
lazy_page!(
    /// `/databases/{id}/backups/{backup}`, a backup's page with its evidence.
    BackupRoute => BackupPageView
);
lazy_page!(
    /// `/login`.
    LoginRoute => LoginPage
);
lazy_page!(
    /// `/account`: password and API tokens.
    AccountRoute => AccountPage
);
lazy_page!(
    /// `/admin`: users and the audit log.
    AdminRoute => AdminPage
);
