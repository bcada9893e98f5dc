//! The endpoints Tidemark calls: regions, apps, addons and Dedicated Resources databases, the
//! connection URL, and each database's backups, schedule, recovery, operations and firewall.

use super::*;

impl ScalingoClient {
    pub async fn regions(&self) -> Result<Vec<Region>, ScalingoError> {
        let v = self
            .user_read(format!("{}/v1/regions", self.auth_url), REGIONS_TTL)
            .await?;
        Ok(parse::<Regions>("regions", v)?.regions)
    }

    pub async fn apps(&self, region: &Region) -> Result<Vec<App>, ScalingoError> {
        let url = format!("{}/v1/apps", region.api.trim_end_matches('/'));
        Ok(parse::<Apps>("apps", self.user_read(url, self.read_ttl * 4).await?)?.apps)
    }

    pub async fn addons(&self, region: &Region, app: &str) -> Result<Vec<Addon>, ScalingoError> {
        let url = format!("{}/v1/apps/{app}/addons", region.api.trim_end_matches('/'));
        Ok(parse::<Addons>("addons", self.user_read(url, self.read_ttl * 4).await?)?.addons)
    }

    pub async fn dedicated_databases(
        &self,
        region: &Region,
    ) -> Result<Vec<DedicatedDatabase>, ScalingoError> {
        let url = format!("{}/v1/databases", region.api.trim_end_matches('/'));
        dedicated_databases(self.user_read(url, self.read_ttl * 4).await?)
            .map_err(|e| ScalingoError::Unexpected(format!("databases: {e}")))
    }

    /// An app's environment variable; `None` when it has none of that name.
    pub async fn variable(
        &self,
        addon: &AddonRef,
        name: &str,
    ) -> Result<Option<Secret<String>>, ScalingoError> {
        let url = format!(
            "{}/v1/apps/{}/variables?aliases=false",
            addon.api.trim_end_matches('/'),
            addon.app
        );
        // Only the one variable is kept (in memory, never logged), not the app's other secrets.
        let key = format!("{url}#{name}");
        let value = self
            .cache
            .get(&key, self.read_ttl, || async {
                let vars: Variables = parse(
                    "variables",
                    self.user_call(Method::GET, url.clone(), None).await?,
                )?;
                Ok::<_, ScalingoError>(
                    vars.variables
                        .into_iter()
                        .find(|v| v.name == name)
                        .map_or(serde_json::Value::Null, |v| {
                            serde_json::Value::String(v.value)
                        }),
                )
            })
            .await?;
        Ok(value.as_str().map(|v| Secret::new(v.to_string())))
    }

    // --- Database API ---

    pub async fn database(&self, addon: &AddonRef) -> Result<ApiDatabase, ScalingoError> {
        let v = self.db_read(addon, "", self.read_ttl).await?;
        Ok(parse::<DatabaseEnvelope>("database", v)?.database)
    }

    pub async fn plan(&self, addon: &AddonRef) -> Result<ApiPlan, ScalingoError> {
        let v = self.db_read(addon, "/plan", REGIONS_TTL).await?;
        Ok(parse::<PlanEnvelope>("plan", v)?.plan)
    }

    /// Backups, newest first, hidden ones left out.
    pub async fn backups(&self, addon: &AddonRef) -> Result<Vec<ApiBackup>, ScalingoError> {
        let v = self.db_read(addon, "/backups", self.read_ttl).await?;
        let mut list: Vec<ApiBackup> = parse::<BackupList>("backups", v)?
            .database_backups
            .into_iter()
            .filter(|b| !b.hidden)
            .collect();
        list.sort_by_key(|b| std::cmp::Reverse(b.created_at));
        Ok(list)
    }

    /// Asks for a manual backup; never sent twice on its own.
    pub async fn create_backup(&self, addon: &AddonRef) -> Result<ApiBackup, ScalingoError> {
        let v = self
            .db_call(addon, Method::POST, addon.db_url("/backups"), None)
            .await;
        self.changed(addon);
        Ok(parse::<BackupEnvelope>("backup", v?)?.database_backup)
    }

    /// One backup, fresh: the nested path, else the top-level one.
    pub async fn backup(&self, addon: &AddonRef, id: &str) -> Result<ApiBackup, ScalingoError> {
        let id = plain_id("backup", id)?;
        let nested = self
            .db_call(
                addon,
                Method::GET,
                addon.db_url(&format!("/backups/{id}")),
                None,
            )
            .await;
        let v = match nested {
            Err(ScalingoError::NotFound { .. }) => {
                let url = format!(
                    "{}/api/backups/{id}",
                    addon.database_api.trim_end_matches('/')
                );
                self.db_call(addon, Method::GET, url, None).await?
            }
            other => other?,
        };
        Ok(parse::<BackupEnvelope>("backup", v)?.database_backup)
    }

    /// The temporary URL of a backup's archive. It holds a token: it is a secret.
    pub async fn archive_url(
        &self,
        addon: &AddonRef,
        id: &str,
    ) -> Result<Secret<String>, ScalingoError> {
        let id = plain_id("backup", id)?;
        let v = self
            .db_call(
                addon,
                Method::GET,
                addon.db_url(&format!("/backups/{id}/archive")),
                None,
            )
            .await?;
        Ok(Secret::new(parse::<ArchiveUrl>("archive", v)?.download_url))
    }

    /// Starts fetching an archive (no credentials: the URL carries them), passing `range` on.
    pub async fn open_archive(
        &self,
        url: &Secret<String>,
        range: Option<&str>,
    ) -> Result<reqwest::Response, ScalingoError> {
        self.transport.download(url, range).await
    }

    /// Turns periodic backups on at `hour` (UTC), or off (keeping the hour), as the CLI does.
    pub async fn update_schedule(
        &self,
        addon: &AddonRef,
        enabled: bool,
        hour: Option<u8>,
    ) -> Result<ApiDatabase, ScalingoError> {
        let mut database = serde_json::json!({ "periodic_backups_enabled": enabled });
        if enabled && let Some(h) = hour {
            database["periodic_backups_scheduled_at"] = h.into();
        }
        let v = self
            .db_call(
                addon,
                Method::PATCH,
                addon.db_url(""),
                Some(serde_json::json!({ "database": database })),
            )
            .await;
        self.changed(addon);
        Ok(parse::<DatabaseEnvelope>("database", v?)?.database)
    }

    pub async fn recovery_window(&self, addon: &AddonRef) -> Result<RecoveryWindow, ScalingoError> {
        let v = self
            .db_read(addon, "/pitr/recovery_window", self.read_ttl)
            .await?;
        Ok(parse::<RecoveryWindowEnvelope>("recovery window", v)?.recovery_window)
    }

    /// Starts a point-in-time restore; returns the operation's id. Never sent twice on its own.
    pub async fn pitr_restore(
        &self,
        addon: &AddonRef,
        at: DateTime<Utc>,
    ) -> Result<String, ScalingoError> {
        let body = serde_json::json!({ "restore_time": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) });
        let v = self
            .db_call(
                addon,
                Method::POST,
                addon.db_url("/pitr/restore"),
                Some(body),
            )
            .await;
        self.changed(addon);
        operation_id(&v?)
            .ok_or_else(|| ScalingoError::Unexpected("the restore gave no operation id".into()))
    }

    pub async fn operation(&self, addon: &AddonRef, id: &str) -> Result<Operation, ScalingoError> {
        let id = plain_id("operation", id)?;
        let v = self
            .db_call(
                addon,
                Method::GET,
                addon.db_url(&format!("/operations/{id}")),
                None,
            )
            .await?;
        Ok(parse::<OperationEnvelope>("operation", v)?.operation)
    }

    pub async fn firewall_rules(
        &self,
        addon: &AddonRef,
    ) -> Result<Vec<ApiFirewallRule>, ScalingoError> {
        let v = self
            .db_read(addon, "/firewall_rules", self.read_ttl)
            .await?;
        Ok(parse::<RuleList>("firewall rules", v)?.rules)
    }

    /// Adds a rule, sent flat as the reference recommends.
    pub async fn add_firewall_rule(
        &self,
        addon: &AddonRef,
        rule: &NewRule,
    ) -> Result<ApiFirewallRule, ScalingoError> {
        let body = match rule {
            NewRule::Custom { cidr, label } => {
                serde_json::json!({"type": "custom_range", "cidr": cidr, "label": label})
            }
            NewRule::Managed { range_id } => {
                serde_json::json!({"type": "managed_range", "range_id": range_id})
            }
        };
        let v = self
            .db_call(
                addon,
                Method::POST,
                addon.db_url("/firewall_rules"),
                Some(body),
            )
            .await;
        self.changed(addon);
        Ok(parse::<RuleEnvelope>("firewall rule", v?)?.rule)
    }

    pub async fn remove_firewall_rule(
        &self,
        addon: &AddonRef,
        id: &str,
    ) -> Result<(), ScalingoError> {
        let id = plain_id("firewall rule", id)?;
        let v = self
            .db_call(
                addon,
                Method::DELETE,
                addon.db_url(&format!("/firewall_rules/{id}")),
                None,
            )
            .await;
        self.changed(addon);
        v.map(|_| ())
    }

    /// The IP ranges Scalingo manages, which a rule can name.
    pub async fn managed_ranges(
        &self,
        addon: &AddonRef,
    ) -> Result<Vec<ManagedRange>, ScalingoError> {
        let url = format!(
            "{}/api/firewall/managed_ranges",
            addon.database_api.trim_end_matches('/')
        );
        let v = self
            .cache
            .get(&url, REGIONS_TTL, || {
                self.db_call(addon, Method::GET, url.clone(), None)
            })
            .await?;
        Ok(parse::<ManagedRanges>("managed ranges", v)?.ranges)
    }
}
