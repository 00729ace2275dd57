//! One page of records as CSV rows or JSON array members, written from the stored text.

use app::model::{EventDetail, EventKind};
use app::store::{from_ms, ExportRow, StoreError};
use chrono::Utc;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub(super) const CSV_HEADER: [&str; 14] = [
    "id",
    "seq",
    "occurred_at",
    "kind",
    "tenant_id",
    "account_id",
    "actor",
    "actor_type",
    "ip",
    "user_agent",
    "written_by",
    "summary",
    "detail",
    "metadata",
];

pub(super) fn csv_rows(rows: &[ExportRow], header: bool) -> Result<Vec<u8>, ExportError> {
    let size = rows.iter().map(|r| r.body.len() + 640).sum();
    // csv-core looks for the next quote in all the rest of a cell each time its buffer
    // fills: with the default 8 KiB, a 32 MiB cell without quotes took 2 s.
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1 << 20)
        .from_writer(Vec::with_capacity(size));
    if header {
        w.write_record(CSV_HEADER)?;
    }
    let mut seq = itoa::Buffer::new();
    for r in rows {
        let body = r.raw_body()?;
        w.write_record([
            r.id.as_str(),
            seq.format(r.seq),
            &from_ms(r.occurred_at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            &r.kind,
            &cell(&r.tenant_id),
            &cell(r.account_id.as_deref().unwrap_or("")),
            &cell(&r.actor),
            &r.actor_type,
            r.ip.as_deref().unwrap_or(""),
            &cell(r.user_agent.as_deref().unwrap_or("")),
            &r.written_by,
            &cell(&summary(r, body.detail)?),
            body.detail.get(),
            body.metadata.get(),
        ])?;
    }
    w.into_inner()
        .map_err(|e| ExportError::Csv(e.into_error().into()))
}

/// The summary column, the one that needs the typed detail. An admin action's old and
/// new values are left out before decoding it: the summary shows neither, and they may
/// fill the body limit with small values that decode into thirty times their size.
fn summary(r: &ExportRow, detail: &RawValue) -> Result<String, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt {
        id: r.id.clone(),
        reason: e.to_string(),
    };
    let detail: EventDetail = if r.kind == EventKind::AdminAction.as_str() {
        let mut members: BTreeMap<String, &RawValue> =
            serde_json::from_str(detail.get()).map_err(corrupt)?;
        members.remove("old_value");
        members.remove("new_value");
        serde_json::from_str(&serde_json::to_string(&members).map_err(corrupt)?).map_err(corrupt)?
    } else {
        serde_json::from_str(detail.get()).map_err(corrupt)?
    };
    Ok(detail.summary())
}

/// A text cell a spreadsheet will not run: one that starts like a formula (`=`, `+`,
/// `-`, `@`, tab or carriage return) gets a leading `'`, as OWASP recommends against
/// CSV injection. The JSON columns start with `{` and the JSON export stays exact.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// A record's envelope as `Event` serialises it, up to its metadata.
#[derive(serde::Serialize)]
struct Envelope<'a> {
    id: &'a str,
    tenant_id: &'a str,
    account_id: Option<&'a str>,
    seq: i64,
    occurred_at: chrono::DateTime<Utc>,
    received_at: chrono::DateTime<Utc>,
    actor: &'a str,
    actor_type: &'a str,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    written_by: &'a str,
    metadata: &'a serde_json::value::RawValue,
}

/// One record as the JSON `Event` is (the detail's members inline, then the hash),
/// written from the stored text without decoding the detail.
fn json_record(out: &mut Vec<u8>, r: &ExportRow) -> Result<(), ExportError> {
    let body = r.raw_body()?;
    let corrupt = |reason: &str| StoreError::Corrupt {
        id: r.id.clone(),
        reason: reason.to_owned(),
    };
    let members = body
        .detail
        .get()
        .strip_prefix('{')
        .and_then(|d| d.strip_suffix('}'))
        .filter(|d| !d.is_empty())
        .ok_or_else(|| corrupt("detail is not an object"))?;
    serde_json::to_writer(
        &mut *out,
        &Envelope {
            id: &r.id,
            tenant_id: &r.tenant_id,
            account_id: r.account_id.as_deref(),
            seq: r.seq,
            occurred_at: from_ms(r.occurred_at),
            received_at: from_ms(r.received_at),
            actor: &r.actor,
            actor_type: &r.actor_type,
            ip: r.ip.as_deref(),
            user_agent: r.user_agent.as_deref(),
            written_by: &r.written_by,
            metadata: body.metadata,
        },
    )
    .map_err(|e| corrupt(&e.to_string()))?;
    out.pop(); // the envelope's closing brace: the detail and hash follow
    out.push(b',');
    out.extend_from_slice(members.as_bytes());
    out.extend_from_slice(b",\"hash\":");
    serde_json::to_writer(&mut *out, &r.hash).map_err(|e| corrupt(&e.to_string()))?;
    out.push(b'}');
    Ok(())
}

/// Appends a page's records to `out` as JSON array members, each on a line of its own
/// (`first`: no comma before the first). The export and the pull write them.
pub(in crate::api) fn json_rows(
    out: &mut Vec<u8>,
    rows: &[ExportRow],
    first: bool,
) -> Result<(), ExportError> {
    // Each stored body goes through whole, with an envelope of a few hundred bytes:
    // reserved at once, as doubling a page of large records would hold it twice.
    out.reserve(rows.iter().map(|r| r.body.len() + 512).sum());
    for (i, r) in rows.iter().enumerate() {
        if !(first && i == 0) {
            out.push(b',');
        }
        out.push(b'\n');
        json_record(out, r)?;
    }
    Ok(())
}

/// Why a page could not be written.
#[derive(Debug, thiserror::Error)]
pub(in crate::api) enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Csv(#[from] csv::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::DemoStream;
    use app::model::Event;
    use app::model::{EventKind, WrittenBy};
    use app::store::Store;
    use app::store::{EventRow, NewEvent};
    use serde_json::json;
    use std::collections::BTreeSet;

    /// The typed encoding the pass-through must equal: the CSV row as built from `Event`.
    fn typed_csv(events: &[Event]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(CSV_HEADER).expect("header");
        for e in events {
            w.write_record([
                e.id.to_string().as_str(),
                &e.seq.to_string(),
                &e.occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                e.detail.kind().as_str(),
                &cell(&e.tenant_id),
                &cell(e.account_id.as_deref().unwrap_or("")),
                &cell(&e.actor),
                e.actor_type.as_str(),
                e.ip.as_deref().unwrap_or(""),
                &cell(e.user_agent.as_deref().unwrap_or("")),
                &e.written_by.to_string(),
                &cell(&e.detail.summary()),
                &serde_json::to_string(&e.detail).expect("detail"),
                &serde_json::to_string(&e.metadata).expect("metadata"),
            ])
            .expect("row");
        }
        w.into_inner().expect("flush")
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for (text, cell_text) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("ana@acme.test", "ana@acme.test"),
            ("", ""),
        ] {
            assert_eq!(cell(text), cell_text);
        }
    }

    fn export_row(r: EventRow) -> ExportRow {
        ExportRow {
            id: r.id,
            tenant_id: r.tenant_id,
            account_id: r.account_id,
            seq: r.seq,
            kind: r.kind,
            occurred_at: r.occurred_at,
            received_at: r.received_at,
            actor: r.actor,
            actor_type: r.actor_type,
            ip: r.ip,
            user_agent: r.user_agent,
            written_by: r.written_by,
            body: r.body,
            hash: r.hash,
        }
    }

    /// Records of every kind as stored, plus one whose text needs escaping everywhere.
    async fn stored_rows() -> Vec<EventRow> {
        let path = std::env::temp_dir().join(format!("vigil-export-{}.db", uuid::Uuid::now_v7()));
        let store = Store::connect(&format!("sqlite:{}", path.display()))
            .await
            .expect("store");
        let mut stream = DemoStream::new(&store, 3, Utc::now());
        let mut events: Vec<NewEvent> = Vec::new();
        while events.len() < 400 {
            events.extend(stream.next_group().1);
        }
        let mut odd = events[0].clone();
        odd.id = uuid::Uuid::now_v7();
        odd.actor = "Zoë \"the admin\", line\nbreak\t\u{1}".into();
        odd.user_agent = Some("agent/1.0 (\"x\"; é)".into());
        odd.metadata
            .insert("note".into(), json!("quote \" back\\slash \u{7} ☃"));
        odd.metadata.insert("n".into(), json!(1.5e-7));
        events.push(odd);
        drop(store);
        for file in app::store::database_files(&path) {
            let _ = std::fs::remove_file(file);
        }
        let mut prev = app::store::GENESIS.to_owned();
        events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut row = EventRow::prepare("acme", &WrittenBy::Vigil, e, 1_700_000_000_000)
                    .expect("row");
                row.seal(i as i64 + 1, &prev);
                prev.clone_from(&row.hash);
                row
            })
            .collect()
    }

    #[tokio::test]
    async fn passing_the_stored_body_through_equals_the_typed_encoding() {
        let rows = stored_rows().await;
        let kinds: BTreeSet<String> = rows.iter().map(|r| r.kind.clone()).collect();
        assert_eq!(kinds.len(), EventKind::ALL.len(), "every kind: {kinds:?}");
        let events: Vec<Event> = rows
            .iter()
            .cloned()
            .map(|r| r.into_event().expect("event"))
            .collect();
        let export: Vec<ExportRow> = rows.into_iter().map(export_row).collect();

        let csv = csv_rows(&export, true).expect("csv");
        assert_eq!(
            String::from_utf8_lossy(&csv),
            String::from_utf8_lossy(&typed_csv(&events))
        );

        let mut json = b"[".to_vec();
        json_rows(&mut json, &export, true).expect("json");
        json.extend_from_slice(b"\n]\n");
        let mut typed = b"[".to_vec();
        for (i, e) in events.iter().enumerate() {
            typed.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            typed.extend(serde_json::to_vec(e).expect("event json"));
        }
        typed.extend_from_slice(b"\n]\n");
        assert_eq!(
            String::from_utf8_lossy(&json),
            String::from_utf8_lossy(&typed)
        );
        let back: Vec<Event> = serde_json::from_slice(&json).expect("parses back");
        assert_eq!(back, events);
    }

    #[test]
    fn a_body_vigil_did_not_write_fails_the_page() {
        let mut row = ExportRow {
            kind: "job".into(),
            actor_type: "user".into(),
            written_by: "vigil".into(),
            body: "{\"detail\":[],\"metadata\":{}}".into(),
            ..ExportRow::default()
        };
        assert!(json_rows(&mut Vec::new(), std::slice::from_ref(&row), true).is_err());
        assert!(csv_rows(std::slice::from_ref(&row), true).is_err());
        row.body = "not json".into();
        assert!(json_rows(&mut Vec::new(), std::slice::from_ref(&row), true).is_err());
    }
}
