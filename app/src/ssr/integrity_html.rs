//! The console's Integrity report, rendered here on the server: read-only, so the
//! browser only places the HTML (see `pages/integrity.rs`).

use crate::components::IntoAnyInner;
use crate::model::{
    count, when, IntegrityReport, RetentionStatus, VerifyBy, VerifyRun, WitnessStatus,
};
use leptos::prelude::*;

/// The report as HTML (every value escaped by the renderer).
pub fn integrity_html(report: IntegrityReport) -> String {
    let latest = report.checkpoint.as_ref().map_or(0, |c| c.size);
    let checkpoint = match report.checkpoint {
        Some(c) => view! {
            <p><strong>{format!("{} records", count(c.size))}</strong>
                {format!(", signed {} UTC", when::date_time(&c.signed_at))}</p>
            <pre class="note" aria-label="Signed checkpoint">{c.note}</pre>
            <p class="muted">"Save this note elsewhere: "<code>"vigil verify --checkpoint FILE"</code>" checks the database against it, and a bundle exported with "<code>"consistent_with="</code>{c.size}" proves it extends it."</p>
            <p><a class="button" href="/export?format=bundle&range=all_time" download>"Download all records as a bundle"</a></p>
        }
        .into_any_inner(),
        None => view! { <p class="empty">"No checkpoint yet: the first is signed within a minute of the first record."</p> }.into_any_inner(),
    };
    view! {
        <section class="card" aria-label="Latest checkpoint">
            <h2>"Latest checkpoint"</h2>
            {checkpoint}
            <p>"Verifier key: "<code class="key">{report.public_key}</code></p>
        </section>
        <section class="card" aria-label="Witnesses">
            <h2>"Witnesses"</h2>
            {witnesses_view(report.witnesses, latest)}
        </section>
        <section class="card" aria-label="Last verify">
            <h2>"Last verify"</h2>
            {last_verify_view(report.last_verify)}
        </section>
        <section class="card" aria-label="Retention">
            <h2>"Retention"</h2>
            {retention_view(report.retention)}
        </section>
    }
    .to_html()
}

fn witnesses_view(list: Vec<WitnessStatus>, latest: u64) -> AnyView {
    if list.is_empty() {
        return view! {
            <p class="empty">"No witness is registered. Run "<code>"vigil witness"</code>" on a machine of its own and start Vigil with "<code>"--witness-key"</code>"; what it cosigns shows here."</p>
        }
        .into_any_inner();
    }
    view! {
        <table class="events compact">
            <thead><tr><th>"Witness"</th><th>"Cosigned"</th><th>"Behind"</th><th>"Cosigned at"</th><th>"Received"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|w| {
                    let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or("—".to_owned(), |t| format!("{} UTC", when::date_time(&t)));
                    let (size, behind) = match w.size {
                        Some(s) => (format!("{} records", count(s)), count(latest.saturating_sub(s))),
                        None => ("nothing yet".to_owned(), "—".to_owned()),
                    };
                    let name = if w.registered { w.witness } else { format!("{} (no longer registered)", w.witness) };
                    view! {
                        <tr><td>{name}</td><td class="num">{size}</td><td class="num">{behind}</td>
                            <td class="time">{at(w.cosigned_at)}</td><td class="time">{at(w.received_at)}</td></tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any_inner()
}

fn last_verify_view(run: Option<VerifyRun>) -> AnyView {
    let Some(run) = run else {
        return view! { <p class="empty">"Never run: "<code>"vigil verify"</code>" and the server's daily check record their result here."</p> }.into_any_inner();
    };
    let by = match run.by {
        VerifyBy::Cli => "vigil verify",
        VerifyBy::Schedule => "the daily check",
    };
    let when = format!("{} UTC, by {by}", when::date_time(&run.ran_at));
    let from = run
        .retained_from
        .map(|s| format!(" (kept records from #{})", count(s)))
        .unwrap_or_default();
    if run.ok {
        view! {
            <p class="ok"><strong>"Passed"</strong>{format!(": {} records{from}, {when}", count(run.records))}</p>
            <p class="muted">"Tree root "<code>{run.tree_root}</code></p>
        }
        .into_any_inner()
    } else {
        let at = run
            .failure_seq
            .map(|s| format!(" at record #{s}"))
            .unwrap_or_default();
        view! {
            <p class="error" role="alert"><strong>"Failed"</strong>{format!("{at}: {} ({when})", run.failure_reason.unwrap_or_default())}</p>
        }
        .into_any_inner()
    }
}

fn retention_view(kept: RetentionStatus) -> AnyView {
    let policy = match kept.days {
        None => "Records are kept forever.".to_owned(),
        Some(d) => format!("Records lose their bodies {d} after they arrive; their leaves stay in the tree, so proofs still verify."),
    };
    let purged = match (kept.retained_from, kept.last_purge) {
        (Some(from), Some(at)) => format!(
            "Kept records start at #{}; last purge {} UTC.",
            count(from as u64),
            when::date_time(&at)
        ),
        (Some(from), None) => format!("Kept records start at #{}.", count(from as u64)),
        _ => "Nothing has been purged.".to_owned(),
    };
    view! { <p>{policy}" "{purged}</p> }.into_any_inner()
}
