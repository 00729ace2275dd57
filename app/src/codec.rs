//! How resources carry their data from the server-rendered page to the browser.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// JSON, as with Leptos' default codec, but decoded with `serde_json::from_slice`: server
/// functions decode their responses with that reader, so each type's deserializer is
/// compiled once for the browser instead of once per reader (`from_str` is another).
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(val)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(val.as_bytes())
    }
}

/// `Resource::new` with the [`Json`] codec. The source and fetcher are boxed first, so
/// the resource's machinery is compiled once per data and source type rather than once
/// per call site (each closure and future is a type of its own).
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    erased(
        Arc::new(source),
        Arc::new(move |s| Box::pin(fetcher(s)) as BoxFuture<T>),
    )
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

#[track_caller]
fn erased<T, S>(
    source: Arc<dyn Fn() -> S + Send + Sync>,
    fetcher: Arc<dyn Fn(S) -> BoxFuture<T> + Send + Sync>,
) -> Resource<T, Json>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
{
    Resource::new_with_options(move || source(), move |s| fetcher(s), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::server::codee::string::JsonSerdeCodec;

    #[test]
    fn same_text_as_the_default_codec() {
        let value: Result<Vec<(String, u64)>, String> = Ok(vec![("é\"x".into(), 3)]);
        let text = <Json as Encoder<_>>::encode(&value).expect("encode");
        assert_eq!(
            text,
            <JsonSerdeCodec as Encoder<_>>::encode(&value).expect("encode")
        );
        let back: Result<Vec<(String, u64)>, String> =
            <Json as Decoder<_>>::decode(&text).expect("decode");
        assert_eq!(back, value);
    }
}
