//! CT monitor alerts, stored once each (the monitor may deliver an alert
//! again after a crash; the id makes the second write a no-op).

use pinwarden_ct::monitor::alert::Alert;
use sqlx::Row as _;

use super::{Store, StoreError, on_pool};

impl Store {
    /// Stores an alert; `false` when one with its id is already there.
    pub async fn save_ct_alert(&self, alert: &Alert, received_at: i64) -> Result<bool, StoreError> {
        let json = serde_json::to_string(alert).map_err(|e| {
            self.error(sqlx::Error::Encode(
                format!("alert {}: {e}", alert.id).into(),
            ))
        })?;
        let names = alert.names.join(",");
        let index = i64::try_from(alert.entry_index).unwrap_or(i64::MAX);
        let inserted = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO ct_alerts (id, log_id, entry_index, verdict, names, alert, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&alert.id)
            .bind(&alert.log_id)
            .bind(index)
            .bind(alert.verdict.as_str())
            .bind(&names)
            .bind(&json)
            .bind(received_at)
            .execute(pool)
            .await
            .map_err(|cause| self.error(cause))?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// The newest `limit` alerts, newest first.
    pub async fn ct_alerts(&self, limit: i64) -> Result<Vec<Alert>, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query("SELECT id, alert FROM ct_alerts ORDER BY received_at DESC, id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(|cause| self.error(cause))?
                .into_iter()
                .map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|cause| self.error(cause))?
        });
        rows.into_iter()
            .map(|(id, json)| {
                serde_json::from_str(&json).map_err(|e| {
                    self.error(sqlx::Error::Decode(
                        format!("stored alert {id} is unreadable: {e}").into(),
                    ))
                })
            })
            .collect()
    }
}
