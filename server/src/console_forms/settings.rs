//! `/settings` (tenant admins only): the tenant's model rates, control webhook and
//! business hours. Every change is a "Settings updated" admin action of the tenant,
//! with the old and new values (never the webhook's secret).

use super::form::{notice, refusal, Console, Done, Fields, FormError};
use crate::AppState;
use app::model::settings::{parse_effective, parse_model, parse_price, BusinessHours};
use app::model::Micros;
use app::ssr::{settings_html, SettingsPage};
use app::store::audit::{Change, Who};
use app::store::{ModelRate, RateError, TenantRate};
use axum::{
    extract::{RawQuery, State},
    response::Response,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

const PAGE: &str = "/settings";

/// The longest webhook URL accepted.
const MAX_URL: usize = 2048;

/// Appends a "Settings updated" record of `setting` to the tenant's own records.
async fn audit(
    state: &AppState,
    console: &Console,
    setting: &str,
    old_value: Option<Value>,
    new_value: Option<Value>,
) -> Result<(), FormError> {
    let who = Who::viewer_in(&console.viewer, console.origin.clone(), None);
    let change = Change {
        action: "settings.update",
        resource_type: "settings",
        resource_id: Some(setting.to_owned()),
        event_name: "Settings updated",
        old_value,
        new_value,
    };
    state
        .store
        .audit(&console.viewer.scope.tenant_id, None, &who, change)
        .await?;
    Ok(())
}

fn rate_json(model: &str, from: DateTime<Utc>, rate: ModelRate) -> Value {
    json!({
        "model": model,
        "effective_from": from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "input_usd_per_mtok": Micros::from_micros(rate.input_per_mtok).to_string(),
        "output_usd_per_mtok": Micros::from_micros(rate.output_per_mtok).to_string(),
    })
}

pub async fn page(
    State(state): State<AppState>,
    console: Console,
    RawQuery(query): RawQuery,
) -> Response {
    let rendered = match console.tenant_admin() {
        Ok(()) => render(&state, &console, query.as_deref()).await,
        Err(e) => Err(e),
    };
    match rendered {
        Ok(html) => console.page(PAGE, html),
        Err(e) => refusal("/", Some(&console.viewer), e),
    }
}

async fn render(
    state: &AppState,
    console: &Console,
    query: Option<&str>,
) -> Result<String, FormError> {
    let tenant = &console.viewer.scope.tenant_id;
    // A webhook secret just made, once: only if it is the tenant's current one.
    let shown_secret = match console.shown_once() {
        Some(value) => state
            .store
            .control_webhook(tenant)
            .await?
            .filter(|h| h.secret() == value)
            .map(|_| value),
        None => None,
    };
    Ok(settings_html(SettingsPage {
        viewer: console.viewer.clone(),
        own_rates: state.store.tenant_rates(tenant).await?,
        default_rates: state.store.default_rates(),
        settings: state.store.tenant_settings(tenant).await?,
        notice: notice(query),
        shown_secret,
        now: Utc::now(),
    }))
}

pub async fn set_rate(State(state): State<AppState>, console: Console, fields: Fields) -> Response {
    console.answer(PAGE, set_rate_as(&state, &console, &fields).await)
}

async fn set_rate_as(
    state: &AppState,
    console: &Console,
    fields: &Fields,
) -> Result<Done, FormError> {
    console.tenant_admin()?;
    let change = TenantRate {
        model: parse_model(fields.one("model")?)?,
        effective_from: parse_effective(fields.one("effective_from")?)?,
        rate: ModelRate {
            input_per_mtok: parse_price("input", fields.one("input")?)?.micros(),
            output_per_mtok: parse_price("output", fields.one("output")?)?.micros(),
        },
    };
    let before = match state
        .store
        .set_tenant_rate(&console.viewer.scope.tenant_id, &change)
        .await
    {
        Ok(before) => before,
        Err(RateError::TooMany(n)) => {
            return Err(FormError::invalid(
                "model",
                format!("the tenant has {n} rates: remove some first"),
            ));
        }
        Err(RateError::Store(e)) => return Err(e.into()),
    };
    if before != Some(change.rate) {
        let old = before.map(|r| rate_json(&change.model, change.effective_from, r));
        let new = rate_json(&change.model, change.effective_from, change.rate);
        audit(state, console, "model_rate", old, Some(new)).await?;
    }
    Ok(Done::with("rate_saved"))
}

pub async fn remove_rate(
    State(state): State<AppState>,
    console: Console,
    fields: Fields,
) -> Response {
    console.answer(PAGE, remove_rate_as(&state, &console, &fields).await)
}

async fn remove_rate_as(
    state: &AppState,
    console: &Console,
    fields: &Fields,
) -> Result<Done, FormError> {
    console.tenant_admin()?;
    let model = parse_model(fields.one("model")?)?;
    let from = parse_effective(fields.one("effective_from")?)?;
    let removed = state
        .store
        .remove_tenant_rate(&console.viewer.scope.tenant_id, &model, from)
        .await?
        .ok_or(FormError::NotFound("No such rate."))?;
    audit(
        state,
        console,
        "model_rate",
        Some(rate_json(&model, from, removed)),
        None,
    )
    .await?;
    Ok(Done::with("rate_removed"))
}

pub async fn set_webhook(
    State(state): State<AppState>,
    console: Console,
    fields: Fields,
) -> Response {
    console.answer(PAGE, set_webhook_as(&state, &console, &fields).await)
}

async fn set_webhook_as(
    state: &AppState,
    console: &Console,
    fields: &Fields,
) -> Result<Done, FormError> {
    console.tenant_admin()?;
    let tenant = &console.viewer.scope.tenant_id;
    let url = fields.one("url")?.trim();
    if url.len() > MAX_URL {
        return Err(FormError::invalid(
            "url",
            format!("longer than {MAX_URL} bytes"),
        ));
    }
    let before = state.store.control_webhook(tenant).await?.map(|h| h.url);
    if url.is_empty() {
        if before.is_some() {
            state.store.set_control_webhook(tenant, None).await?;
            audit(
                state,
                console,
                "control_webhook",
                Some(json!({"url": before})),
                Some(json!({"url": null})),
            )
            .await?;
        }
        return Ok(Done::with("webhook_cleared"));
    }
    // The checks every delivery makes, now: https, a host, public addresses only.
    let url = app::webhook::check_target(url, state.config.webhook)
        .await
        .map_err(|e| FormError::invalid("url", e.to_string()))?
        .to_string();
    let secret = state.store.set_control_webhook(tenant, Some(&url)).await?;
    audit(
        state,
        console,
        "control_webhook",
        Some(json!({"url": before})),
        Some(json!({"url": url, "secret": "new"})),
    )
    .await?;
    Ok(Done {
        code: "webhook_set",
        flash: secret,
    })
}

pub async fn set_hours(
    State(state): State<AppState>,
    console: Console,
    fields: Fields,
) -> Response {
    console.answer(PAGE, set_hours_as(&state, &console, &fields).await)
}

async fn set_hours_as(
    state: &AppState,
    console: &Console,
    fields: &Fields,
) -> Result<Done, FormError> {
    console.tenant_admin()?;
    let tenant = &console.viewer.scope.tenant_id;
    let hours = if fields.optional("clear")? == Some("1") {
        None
    } else {
        Some(BusinessHours::parse(
            &fields.all("days")?,
            fields.one("start")?,
            fields.one("end")?,
            fields.one("time_zone")?,
        )?)
    };
    let before = state.store.tenant_settings(tenant).await?.business_hours;
    if before != hours {
        state
            .store
            .set_business_hours(tenant, hours.as_ref())
            .await?;
        let json = |h: Option<BusinessHours>| h.map_or(Value::Null, |h| h.to_json());
        audit(
            state,
            console,
            "business_hours",
            Some(json(before)),
            Some(json(hours)),
        )
        .await?;
    }
    Ok(Done::with(if hours.is_some() {
        "hours_saved"
    } else {
        "hours_cleared"
    }))
}
