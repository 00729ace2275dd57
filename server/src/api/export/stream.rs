//! Reading pages and encoding them, overlapped, as the response body.

use super::encode::{csv_rows, json_rows};
use app::model::Scope;
use app::store::EventQuery;
use app::store::{Cursor, ExportRow, Store, StoreError};
use axum::body::Bytes;

/// How an export writes its rows.
#[derive(Clone, Copy, Debug)]
pub(super) enum Rows {
    Csv,
    Json,
}

/// Stored bytes a page should hold. Records may be up to the body limit (32 MiB) each:
/// 1,000 of them would take gigabytes, and on SQLite a page read as one value fails past
/// 1 GB (SQLITE_MAX_LENGTH).
const PAGE_BYTES: usize = 32 << 20;

/// Pages through the selection by keyset in one task while this stream encodes the
/// previous page, so reading and encoding overlap; at most two pages wait in between,
/// which keeps memory flat. Each page holds about `PAGE_BYTES` at the previous page's
/// sizes, up to the query's limit; the first holds one record. A client that goes away
/// stops the reader.
pub(super) fn stream(
    store: Store,
    scope: Scope,
    query: EventQuery,
    format: Rows,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let (pages, rx) = tokio::sync::mpsc::channel::<Result<Vec<ExportRow>, StoreError>>(2);
    tokio::spawn(async move {
        let mut cursor: Option<Cursor> = None;
        let mut limit = 1;
        loop {
            let mut q = query.clone();
            q.cursor = cursor.take();
            q.limit = limit;
            match store.export_page(&scope, &q).await {
                Ok((events, next)) => {
                    limit = next_limit(&events, query.limit);
                    if pages.send(Ok(events)).await.is_err() {
                        return; // the client went away
                    }
                    match next {
                        Some(c) => cursor = Some(c),
                        None => return,
                    }
                }
                Err(e) => {
                    let _ = pages.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    let state = Encoder {
        rx,
        format,
        first: true,
        done: false,
    };
    futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let first = s.first;
        s.first = false;
        let chunk = match s.rx.recv().await {
            Some(Ok(rows)) => {
                let format = match s.format {
                    Rows::Csv => "csv",
                    Rows::Json => "json",
                };
                crate::ops::metrics::exported_rows(format, rows.len());
                let chunk = match s.format {
                    Rows::Csv => csv_rows(&rows, first),
                    Rows::Json => {
                        let mut chunk = if first { vec![b'['] } else { Vec::new() };
                        json_rows(&mut chunk, &rows, first).map(|()| chunk)
                    }
                };
                chunk.map_err(|e| {
                    tracing::error!(error = %e, "export failed mid-stream");
                    std::io::Error::other("export failed")
                })
            }
            Some(Err(e)) => {
                tracing::error!(error = %e, "export failed mid-stream");
                Err(std::io::Error::other("export failed"))
            }
            None => {
                s.done = true;
                match s.format {
                    // `first`: the reader ended without a page; still a valid array.
                    Rows::Json if first => Ok(b"[\n]\n".to_vec()),
                    Rows::Json => Ok(b"\n]\n".to_vec()),
                    Rows::Csv => return None,
                }
            }
        };
        if chunk.is_err() {
            s.done = true;
        }
        Some((chunk.map(Bytes::from), s))
    })
}

/// As many rows as `PAGE_BYTES` holds at the average stored size of `rows`, from 1 to `max`.
fn next_limit(rows: &[ExportRow], max: u32) -> u32 {
    let bytes: usize = rows.iter().map(|r| r.body.len()).sum();
    let average = (bytes / rows.len().max(1)).max(1);
    u32::try_from(PAGE_BYTES / average)
        .unwrap_or(max)
        .clamp(1, max)
}

struct Encoder {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<ExportRow>, StoreError>>,
    format: Rows,
    first: bool,
    done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(sizes: &[usize]) -> Vec<ExportRow> {
        sizes
            .iter()
            .map(|&n| ExportRow {
                body: "x".repeat(n),
                ..ExportRow::default()
            })
            .collect()
    }

    #[test]
    fn pages_hold_about_page_bytes() {
        // Small records: the whole limit.
        assert_eq!(next_limit(&rows(&[700, 900]), 1000), 1000);
        // 64 KiB records: 512 of them.
        assert_eq!(next_limit(&rows(&[64 << 10]), 1000), 512);
        // Records at the body limit, or larger than a page: one at a time.
        assert_eq!(next_limit(&rows(&[32 << 20]), 1000), 1);
        assert_eq!(next_limit(&rows(&[40 << 20, 1]), 1000), 1);
        assert_eq!(next_limit(&[], 1000), 1000);
    }
}
