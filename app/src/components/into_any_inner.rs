//! `into_any_inner()`: type-erase what a `view!` built without its `View` wrapper.

use leptos::prelude::*;

/// Type-erases the element or fragment a `view!` built. The macro wraps its result in
/// `View`, a distinct type for every element type, and each type erased carries its own
/// copy of the rendering and hydration code; erasing the unwrapped element shares that
/// code with the same element erased elsewhere. (`View` only adds hot-reload markers in
/// debug builds.)
pub trait IntoAnyInner {
    fn into_any_inner(self) -> AnyView;
}

impl<T: IntoAny> IntoAnyInner for View<T> {
    fn into_any_inner(self) -> AnyView {
        self.into_inner().into_any()
    }
}
