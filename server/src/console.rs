//! The console's view of the store, handed to server functions as context.

use crate::store::{Cursor, EventQuery, Store};
use app::model::{EventKind, EventPage, Viewer};
use app::ssr::{BackendError, BoxFuture, ConsoleBackend};

pub struct StoreBackend(pub Store);

impl ConsoleBackend for StoreBackend {
    fn recent_events<'a>(
        &'a self,
        viewer: &'a Viewer,
        kind: Option<EventKind>,
        cursor: Option<String>,
        limit: u32,
    ) -> BoxFuture<'a, Result<EventPage, BackendError>> {
        Box::pin(async move {
            let cursor = cursor
                .map(|c| {
                    Cursor::decode(&c).ok_or(BackendError::Invalid {
                        field: "cursor",
                        message: "not a cursor this page produced".into(),
                    })
                })
                .transpose()?;
            let query = EventQuery {
                kind,
                cursor,
                limit,
                ..EventQuery::default()
            };
            let (events, next) = self.0.list(&viewer.scope, &query).await.map_err(|e| {
                tracing::error!(error = %e, "listing events failed");
                BackendError::Unavailable
            })?;
            Ok(EventPage {
                events,
                next_cursor: next.map(|c| c.encode()),
            })
        })
    }
}
