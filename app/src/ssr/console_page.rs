//! Whole console pages rendered on the server, with no hydration: the Members,
//! Settings and invitation pages are forms and tables, so the browser's WASM carries
//! nothing of them (it has a size budget). Their forms post to the server's
//! `console_forms` routes, which answer 303 back here with `?done=` or `?error=`.

use crate::components::{top_nav, ViewerBadge};
use crate::model::Viewer;
use leptos::prelude::*;

/// What the last form post said, from the page's query: `?done=<code>` (a code the
/// page words) or `?error=<message>&field=<name>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notice {
    pub done: Option<String>,
    pub error: Option<String>,
    pub field: Option<String>,
}

/// A shown message's longest text: a query is anyone's to write.
const MAX_MESSAGE: usize = 300;

impl Notice {
    /// From the query's pairs (unknown ones are ignored).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Notice {
        let clip = |s: &str| s.chars().take(MAX_MESSAGE).collect::<String>();
        let mut notice = Notice::default();
        for (k, v) in pairs {
            match k {
                "done" => notice.done = Some(clip(v)),
                "error" => notice.error = Some(clip(v)),
                "field" => notice.field = Some(clip(v)),
                _ => {}
            }
        }
        notice
    }

    /// The notice as HTML: `done` worded by `words` (an unknown code shows nothing).
    pub fn view(&self, words: fn(&str) -> Option<&'static str>) -> AnyView {
        if let Some(message) = &self.error {
            let text = match &self.field {
                Some(f) => format!("{}: {message}", field_label(f)),
                None => message.clone(),
            };
            return view! { <p class="error notice" role="alert" data-field=self.field.clone()>{text}</p> }.into_any();
        }
        match self.done.as_deref().and_then(words) {
            Some(text) => view! { <p class="ok notice" role="status">{text}</p> }.into_any(),
            None => ().into_any(),
        }
    }
}

/// A form field's name as its label reads.
fn field_label(field: &str) -> String {
    let label = match field {
        "email" => "Email",
        "role" => "Role",
        "account" => "Account",
        "user" => "Member",
        "password" => "Password",
        "password_again" => "Password again",
        "model" => "Model",
        "input" => "Input price",
        "output" => "Output price",
        "effective_from" => "Effective from",
        "url" => "Webhook URL",
        "days" => "Days",
        "start" => "Start",
        "end" => "End",
        "time_zone" => "Time zone",
        "invitation" => "Invitation",
        "token" => "Invitation link",
        other => return other.to_owned(),
    };
    label.to_owned()
}

/// The document around a page: the stylesheet, the console's top bar for `viewer`
/// (none on a signed-out page), and `main`.
pub fn document(title: &str, viewer: Option<&Viewer>, main: AnyView) -> String {
    let bar = viewer.map(|v| {
        view! {
            <header class="topbar">
                <a class="brand" href="/">"Vigil"</a>
                {top_nav()}
                <ViewerBadge viewer=v.clone()/>
            </header>
        }
    });
    let body = view! { {bar} {main} }.to_html();
    let title = view! { <title>{format!("{title} · Vigil")}</title> }.to_html();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <meta name=\"referrer\" content=\"no-referrer\"/>\
         <link rel=\"stylesheet\" href=\"/pkg/vigil.css\"/>{title}</head><body>{body}</body></html>"
    )
}

/// A page that refuses: 403 (not the viewer's to see) or 404 (nothing there).
pub fn refusal_html(title: &str, viewer: Option<&Viewer>, message: &str, back: &str) -> String {
    let main = view! {
        <main class="content narrow">
            <h1>{title.to_owned()}</h1>
            <p class="error" role="alert">{message.to_owned()}</p>
            <p><a href=back.to_owned()>"Back"</a></p>
        </main>
    }
    .into_any();
    document(title, viewer, main)
}
