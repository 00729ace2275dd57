//! The Settings page (`/settings`, tenant admins), rendered on the server: model rates
//! with the date each applies from, the control webhook, business hours; retention is
//! set on the Integrity page (see `console_page`).

use super::console_page::{document, Notice};
use crate::model::settings::{clock, DAY_NAMES};
use crate::model::{when, Micros, Viewer};
use crate::store::{ModelRate, TenantRate, TenantSettings};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

pub struct SettingsPage {
    pub viewer: Viewer,
    pub own_rates: Vec<TenantRate>,
    pub default_rates: Vec<(String, ModelRate)>,
    pub settings: TenantSettings,
    pub notice: Notice,
    /// A webhook secret just made, shown this once.
    pub shown_secret: Option<String>,
    pub now: DateTime<Utc>,
}

fn done_words(code: &str) -> Option<&'static str> {
    Some(match code {
        "rate_saved" => "Rate saved: records that arrive from now on are priced with it.",
        "rate_removed" => "Rate removed.",
        "webhook_set" => "Control webhook set.",
        "webhook_cleared" => "Control webhook removed.",
        "hours_saved" => "Business hours saved.",
        "hours_cleared" => "Business hours removed.",
        _ => return None,
    })
}

fn usd(micros: i64) -> String {
    format!("${}", Micros::from_micros(micros))
}

pub fn settings_html(page: SettingsPage) -> String {
    let today = page.now.date_naive().to_string();
    let secret = page.shown_secret.map(|s| {
        view! {
            <div class="created-key" role="status">
                <p>"The webhook's signing secret: copy it now, it will not be shown again. Vigil signs each request's "<code>"Vigil-Signature"</code>" with it."</p>
                <code class="secret" data-webhook-secret="">{s}</code>
            </div>
        }
    });
    let hours = page.settings.business_hours;
    let main = view! {
        <main class="content narrow console-page settings">
            <h1>"Settings"</h1>
            <p class="muted">"The tenant's settings. Every change is recorded as an admin action (“Settings updated”) with the old and new values."</p>
            {page.notice.view(done_words)}
            {secret}
            <section class="card" aria-label="Model rates">
                <h2>"Model rates"</h2>
                <p class="muted">"Prices in USD per million tokens. A record's cost is computed when it arrives, with the rate in effect at the time it happened, and never changes afterwards. Models without a rate of your own use the default rates below."</p>
                {rates_table(page.own_rates)}
                <form method="post" action="/settings/rates" class="key-form">
                    <label>"Model "<input type="text" name="model" required maxlength="512" list="known-models" placeholder="gpt-4o"/></label>
                    <label>"Input $/M tokens "<input type="text" name="input" required inputmode="decimal" placeholder="2.50" size="8"/></label>
                    <label>"Output $/M tokens "<input type="text" name="output" required inputmode="decimal" placeholder="10.00" size="8"/></label>
                    <label>"Effective from "<input type="date" name="effective_from" required value=today/></label>
                    <button type="submit">"Save rate"</button>
                </form>
                <datalist id="known-models">
                    {page.default_rates.iter().map(|(m, _)| view! { <option value=m.clone()></option> }).collect_view()}
                </datalist>
                <details>
                    <summary>"Default rates"</summary>
                    <table class="events compact">
                        <thead><tr><th>"Model"</th><th>"Input"</th><th>"Output"</th></tr></thead>
                        <tbody>
                            {page.default_rates.into_iter().map(|(m, r)| view! {
                                <tr><td>{m}</td><td class="num">{usd(r.input_per_mtok)}</td><td class="num">{usd(r.output_per_mtok)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </details>
            </section>
            <section class="card" aria-label="Control webhook">
                <h2>"Control webhook"</h2>
                <p class="muted">"Where Vigil forwards job cancel requests, signed. It must be https and every address its host resolves to public (unless the operator allows private ones). Saving a URL makes a new signing secret."</p>
                <p>{match &page.settings.control_webhook_url {
                    Some(url) => format!("Now: {url}"),
                    None => "Now: none (cancel requests are only recorded).".to_owned(),
                }}</p>
                <form method="post" action="/settings/webhook" class="key-form">
                    <label>"URL "<input type="url" name="url" maxlength="2048" size="50" placeholder="https://control.example.com/vigil" value=page.settings.control_webhook_url.clone().unwrap_or_default()/></label>
                    <button type="submit">"Save webhook"</button>
                </form>
                <p class="muted">"Save an empty URL to remove it."</p>
            </section>
            <section class="card" aria-label="Business hours">
                <h2>"Business hours"</h2>
                <p>{match &hours {
                    Some(h) => format!("Now: {}", h.describe()),
                    None => "Now: not set.".to_owned(),
                }}</p>
                <form method="post" action="/settings/hours" class="key-form hours-form">
                    <fieldset class="days">
                        <legend>"Days"</legend>
                        {DAY_NAMES.iter().enumerate().map(|(i, d)| {
                            let checked = hours.map_or(i < 5, |h| h.days.has(i));
                            view! { <label class="day"><input type="checkbox" name="days" value=*d checked=checked/>{d.to_owned()}</label> }
                        }).collect_view()}
                    </fieldset>
                    <label>"From "<input type="time" name="start" required value=hours.map_or("09:00".to_owned(), |h| clock(h.start))/></label>
                    <label>"To "<input type="time" name="end" required value=hours.map_or("17:00".to_owned(), |h| clock(h.end))/></label>
                    <label>"Time zone "<input type="text" name="time_zone" required maxlength="64" placeholder="Europe/Berlin" value=hours.map_or("Europe/Berlin".to_owned(), |h| h.zone.name().to_owned())/></label>
                    <button type="submit">"Save hours"</button>
                </form>
                {hours.is_some().then(|| view! {
                    <form method="post" action="/settings/hours" class="inline-form">
                        <input type="hidden" name="clear" value="1"/>
                        <button type="submit" class="danger">"Remove business hours"</button>
                    </form>
                })}
            </section>
            <section class="card" aria-label="Retention">
                <h2>"Retention"</h2>
                <p>"How long records are kept is set on the "<a href="/integrity">"Integrity page"</a>"."</p>
            </section>
        </main>
    }
    .into_any();
    document("Settings", Some(&page.viewer), main)
}

fn rates_table(rates: Vec<TenantRate>) -> AnyView {
    if rates.is_empty() {
        return view! { <p class="empty">"No rates of your own: every model uses the default rates."</p> }.into_any();
    }
    view! {
        <table class="events compact">
            <thead><tr><th>"Model"</th><th>"Input"</th><th>"Output"</th><th>"Effective from"</th><th></th></tr></thead>
            <tbody>
                {rates.into_iter().map(|r| {
                    let from = r.effective_from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    view! {
                        <tr data-rate=r.model.clone()>
                            <td>{r.model.clone()}</td>
                            <td class="num">{usd(r.rate.input_per_mtok)}</td>
                            <td class="num">{usd(r.rate.output_per_mtok)}</td>
                            <td class="time">{format!("{} UTC", when::date_minutes(&r.effective_from))}</td>
                            <td>
                                <form method="post" action="/settings/rates/remove" class="inline-form">
                                    <input type="hidden" name="model" value=r.model.clone()/>
                                    <input type="hidden" name="effective_from" value=from/>
                                    <button type="submit" class="danger">"Remove"</button>
                                </form>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
