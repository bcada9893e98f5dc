//! Finding Scalingo's databases: the apps and Dedicated Resources databases of the chosen
//! regions, described once and reused for a minute.

use tokio::time::Instant;

use super::client::AddonRef;
use super::model::Region;
use crate::provider::{Database, Features, Hosting, ProviderError, ProviderKind};

use super::conversions::*;
use super::provider::{DISCOVERY_TTL, Found, ScalingoProvider};

impl ScalingoProvider {
    pub(super) fn wanted(&self, name: &str) -> bool {
        self.selection.only.is_empty() || self.selection.only.iter().any(|o| o == name)
    }

    /// Every database in the chosen regions, asked again after a minute.
    pub(super) async fn discover(&self) -> Result<Vec<Found>, ProviderError> {
        let mut held = self.found.lock().await;
        if let Some((at, found)) = held.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(found.clone());
        }
        let regions: Vec<Region> = self
            .client
            .regions()
            .await?
            .into_iter()
            .filter(|r| {
                self.selection.regions.is_empty() || self.selection.regions.contains(&r.name)
            })
            .collect();
        let mut found = Vec::new();
        let mut failure = None;
        for region in &regions {
            match self.discover_region(region).await {
                Ok(mut f) => found.append(&mut f),
                Err(e) => {
                    tracing::warn!(region = %region.name, error = %e, "cannot list a Scalingo region's databases");
                    failure = Some(e);
                }
            }
        }
        match failure {
            // Nothing listed: say why rather than "no such database".
            Some(e) if found.is_empty() => return Err(e),
            // A partial list is served but not kept, so the next look asks again.
            Some(_) => return Ok(found),
            None => {}
        }
        *held = Some((Instant::now(), found.clone()));
        Ok(found)
    }

    pub(super) async fn discover_region(
        &self,
        region: &Region,
    ) -> Result<Vec<Found>, ProviderError> {
        let mut found = Vec::new();
        let apps = self.client.apps(region).await?;
        for app in apps
            .iter()
            .filter(|a| !a.is_dedicated_database() && self.wanted(&a.name))
        {
            let addons = match self.client.addons(region, &app.name).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(app = %app.name, error = %e, "cannot list an app's addons");
                    continue;
                }
            };
            for (n, addon) in addons.iter().filter(|a| a.is_postgresql()).enumerate() {
                let r = AddonRef {
                    region: region.name.clone(),
                    api: region.api.clone(),
                    database_api: region.database_api.clone(),
                    app: app.name.clone(),
                    addon_id: addon.id.clone(),
                };
                if let Some(f) = self
                    .describe(r, &app.name, n, false, &addon.resource_id)
                    .await
                {
                    found.push(f);
                }
            }
        }
        for db in self.client.dedicated_databases(region).await? {
            if !self.wanted(&db.name) {
                continue;
            }
            let addons = match self.client.addons(region, &db.name).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(database = %db.name, error = %e, "cannot list a Dedicated Resources database's addon");
                    continue;
                }
            };
            let [addon] = addons.as_slice() else {
                tracing::warn!(database = %db.name, addons = addons.len(), "a Dedicated Resources database should hold exactly one addon");
                continue;
            };
            let r = AddonRef {
                region: region.name.clone(),
                api: region.api.clone(),
                database_api: region.database_api.clone(),
                app: db.name.clone(),
                addon_id: addon.id.clone(),
            };
            if let Some(f) = self
                .describe(r, &db.name, 0, true, &addon.resource_id)
                .await
            {
                found.push(f);
            }
        }
        Ok(found)
    }

    pub(super) async fn describe(
        &self,
        addon: AddonRef,
        name: &str,
        n: usize,
        dedicated: bool,
        resource_id: &str,
    ) -> Option<Found> {
        let d = match self.client.database(&addon).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(app = %addon.app, error = %e, "cannot read a Scalingo database");
                return None;
            }
        };
        let timescaledb = d
            .postgresql_config
            .as_ref()
            .is_some_and(|c| c.timescaledb_enabled);
        let features = Features {
            pitr: true,
            scheduled_backups: !dedicated,
            manual_backups: !dedicated,
            dumps: true,
            firewall: dedicated,
            timescaledb,
        };
        let main = if d.resource_id.is_empty() {
            resource_id
        } else {
            &d.resource_id
        };
        Some(Found {
            database: Database {
                id: tidemark_id(name, &addon.region, n),
                name: name.to_string(),
                provider: ProviderKind::Scalingo,
                hosting: if dedicated {
                    Hosting::ScalingoDedicated
                } else {
                    Hosting::ScalingoShared
                },
                engine: engine(&d),
                main_database: main.to_string(),
                features,
                status: status(&d),
                plan: Some(d.plan.clone()).filter(|p| !p.is_empty()),
            },
            addon,
        })
    }

    pub(super) async fn find(&self, id: &str) -> Result<Found, ProviderError> {
        self.discover()
            .await?
            .into_iter()
            .find(|f| f.database.id == id)
            .ok_or_else(|| ProviderError::NotFound(id.to_string()))
    }

    pub(super) fn dedicated_only(f: &Found) -> Result<(), ProviderError> {
        if f.database.hosting == Hosting::ScalingoDedicated {
            Ok(())
        } else {
            Err(ProviderError::NotSupported(format!(
                "{} is a Shared Resources database: it has no firewall rules to manage.",
                f.database.name
            )))
        }
    }
}
