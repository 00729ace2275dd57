//! Reading pages and encoding them, overlapped, as the response body.

use super::encode::{csv_rows, json_rows};
use super::{Export, Format};
use app::model::Scope;
use app::store::{Cursor, ExportRow, Store, StoreError};
use axum::body::Bytes;

/// Pages through the selection by keyset in one task while this stream encodes the
/// previous page, so reading and encoding overlap; at most two pages wait in between,
/// which keeps memory flat. A client that goes away stops the reader.
pub(super) fn stream(
    store: Store,
    scope: Scope,
    export: Export,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let (pages, rx) = tokio::sync::mpsc::channel::<Result<Vec<ExportRow>, StoreError>>(2);
    let query = export.query.clone();
    tokio::spawn(async move {
        let mut cursor: Option<Cursor> = None;
        loop {
            let mut q = query.clone();
            q.cursor = cursor.take();
            match store.export_page(&scope, &q).await {
                Ok((events, next)) => {
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
        format: export.format,
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
                let chunk = match s.format {
                    Format::Csv => csv_rows(&rows, first),
                    Format::Json => {
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
                    Format::Json if first => Ok(b"[\n]\n".to_vec()),
                    Format::Json => Ok(b"\n]\n".to_vec()),
                    Format::Csv => return None,
                }
            }
        };
        if chunk.is_err() {
            s.done = true;
        }
        Some((chunk.map(Bytes::from), s))
    })
}

struct Encoder {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<ExportRow>, StoreError>>,
    format: Format,
    first: bool,
    done: bool,
}
