//! The tenant's integrity at a glance: the latest signed checkpoint and the key that
//! verifies it, what each witness cosigned, the last `verify`, and the retention in
//! force (which tenant admins set here).

use crate::api::{integrity, retention, SetRetention};
use crate::components::{IntoAnyInner, PostForm};
use crate::contexts::Console;
use crate::model::{
    count, when, IntegrityReport, RetentionStatus, Role, VerifyBy, VerifyRun, WitnessStatus,
};
use leptos::prelude::*;

#[component]
pub fn IntegrityPage() -> impl IntoView {
    let set = ServerAction::<SetRetention>::new();
    let report = crate::codec::resource(|| (), |_| integrity());
    let kept = crate::codec::resource(move || set.version().get(), |_| retention());
    let viewer = Console::get().viewer;

    view! {
        <main class="content narrow integrity">
            <h1>"Integrity"</h1>
            <p class="muted">"Every record is hashed into its tenant's chain and Merkle tree. Vigil signs the tree's root every minute; a checkpoint saved outside Vigil (by a witness, an auditor, a SIEM) shows any later rewrite. Bundles carry their proofs: check one offline with "<code>"vigil verify-bundle"</code>"."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(r) => view! { <Report report=r/> }.into_any_inner(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any_inner(),
                    }
                })}
            </Transition>
            <section class="card" aria-label="Retention">
                <h2>"Retention"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let admin = matches!(viewer.await, Ok(Some(v)) if v.role == Role::TenantAdmin);
                        match kept.await {
                            Ok(k) => view! { <Retention kept=k admin set/> }.into_any_inner(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any_inner(),
                        }
                    })}
                </Transition>
                {move || set.value().get().and_then(|r| r.err()).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> }).into_any()}
            </section>
        </main>
    }
}

#[component]
fn Report(report: IntegrityReport) -> impl IntoView {
    let latest = report.checkpoint.as_ref().map_or(0, |c| c.size);
    let checkpoint = match report.checkpoint {
        Some(c) => view! {
            <p><strong>{format!("{} records", count(c.size))}</strong>
                {format!(", signed {} UTC", when::date_time(&c.signed_at))}</p>
            <pre class="note" aria-label="Signed checkpoint">{c.note}</pre>
            <p class="muted">"Save this note elsewhere: "<code>"vigil verify --checkpoint FILE"</code>" checks the database against it, and a bundle exported with "<code>"consistent_with="</code>{c.size}" proves it extends it."</p>
            <p><a class="button" href="/export?format=bundle" download>"Download the whole log as a bundle"</a></p>
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
            <Witnesses list=report.witnesses latest/>
        </section>
        <section class="card" aria-label="Last verify">
            <h2>"Last verify"</h2>
            <LastVerify run=report.last_verify/>
        </section>
    }
}

#[component]
fn Witnesses(list: Vec<WitnessStatus>, latest: u64) -> impl IntoView {
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

#[component]
fn LastVerify(run: Option<VerifyRun>) -> impl IntoView {
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

#[component]
fn Retention(kept: RetentionStatus, admin: bool, set: ServerAction<SetRetention>) -> impl IntoView {
    let policy = match kept.days {
        None => "Records are kept forever.".to_owned(),
        Some(d) => format!("Records lose their bodies {} after they arrive; their leaves stay in the tree, so proofs still verify.", d),
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
    let days = kept.days.map(|d| d.days().to_string()).unwrap_or_default();
    view! {
        <p>{policy}" "{purged}</p>
        {admin.then(|| view! {
            <PostForm action=set class="retention-form" input=|field| Ok(SetRetention { days: field("days") })>
                <label>"Keep records for "
                    <input type="number" name="days" min="1" max="36500" value=days placeholder="forever" aria-label="Days to keep records"/>
                    " days"</label>
                <button type="submit">"Save"</button>
                <span class="muted">" Leave blank to keep records forever. The change is recorded as an admin action."</span>
            </PostForm>
        })}
    }
    .into_any_inner()
}
