//! `PostForm`: a server action's form that works before (and without) hydration.

use leptos::prelude::*;
use leptos::server_fn::codec::{Json, PostUrl};
use leptos::server_fn::{Http, ServerFn};

/// A server action's input from a lookup of the form's fields by name; `Err` names a
/// missing field.
pub type FormInput<S> = fn(&dyn Fn(&'static str) -> Option<String>) -> Result<S, &'static str>;

/// A form for a server action. Without JavaScript the browser posts it to the server
/// function's URL, as with `ActionForm`; once hydrated, a submit dispatches the action
/// with the input `input` builds from the form's fields. The fields are read by name
/// rather than through `ActionForm`'s query-string deserializer, which is sizeable in
/// the browser's WASM.
#[component]
pub fn PostForm<S>(
    action: ServerAction<S>,
    input: FormInput<S>,
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn<Protocol = Http<PostUrl, Json>> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: FromServerFnError + Send + Sync + 'static,
{
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        match form_input(&ev, input) {
            Ok(value) => {
                action.dispatch(value);
            }
            // As `ActionForm` reports fields it cannot read.
            Err(message) => {
                action.value().set(Some(Err(S::Error::from_server_fn_error(
                    ServerFnErrorErr::Serialization(message),
                ))));
                action.version().update(|n| *n += 1);
            }
        }
    };
    view! {
        <form action=S::url() method="post" class=class on:submit=on_submit>
            {children()}
        </form>
    }
}

#[cfg(feature = "hydrate")]
fn form_input<S>(ev: &leptos::ev::SubmitEvent, input: FormInput<S>) -> Result<S, String> {
    use leptos::wasm_bindgen::JsCast;
    let data = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        .and_then(|form| web_sys::FormData::new_with_form(&form).ok())
        .ok_or_else(|| "Could not find <form> connected to event.".to_owned())?;
    input(&|name| data.get(name).as_string())
        .map_err(|name| format!("Deserialization error: Custom(\"missing field `{name}`\")"))
}

/// Submit events fire only in the browser.
#[cfg(not(feature = "hydrate"))]
fn form_input<S>(_: &leptos::ev::SubmitEvent, _: FormInput<S>) -> Result<S, String> {
    Err("no form in the server".to_owned())
}
