//! Compiles every operation's future in the generated crate itself.
//!
//! An `async fn send` that nothing in its own crate polls is compiled where
//! it is awaited: in the facade, with the generated types' serde code it
//! pulls in, on the facade's side of the build (a third of the facade's
//! LLVM lines). A function that takes each future's `poll` compiles them in
//! the generated crate, in parallel with the rest of the build, and debug
//! builds (which share generic code across crates) link that copy.

use syn::{ImplItem, Item, Type, parse_quote};

/// Adds `__operations_compiled_here` to `file`, naming every builder with
/// an `async fn send` in its `builder` module; returns how many.
pub fn compile_operations_here(file: &mut syn::File) -> usize {
    let operations: Vec<syn::Ident> = builders(file).collect();
    let count = operations.len();
    let item: Item = parse_quote! {
        /// Each operation's future, compiled in this crate so that a crate
        /// awaiting them links this copy (debug builds share generic code)
        /// instead of compiling its own. Not for calling.
        #[doc(hidden)]
        pub fn __operations_compiled_here() -> Vec<*const ()> {
            fn poll_of<B, F: std::future::Future>(_: fn(B) -> F) -> *const () {
                <F as std::future::Future>::poll as *const ()
            }
            vec![#(poll_of(builder::#operations::send)),*]
        }
    };
    file.items.push(item);
    count
}

/// The builders of the top-level `builder` module that have an `async fn
/// send`.
fn builders(file: &syn::File) -> impl Iterator<Item = syn::Ident> + '_ {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items)
        .filter_map(|item| match item {
            Item::Impl(i) if i.trait_.is_none() && i.items.iter().any(is_async_send) => {
                match &*i.self_ty {
                    Type::Path(p) => p.path.segments.last().map(|s| s.ident.clone()),
                    _ => None,
                }
            }
            _ => None,
        })
}

fn is_async_send(item: &ImplItem) -> bool {
    matches!(item, ImplItem::Fn(f) if f.sig.ident == "send" && f.sig.asyncness.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_builder_with_an_async_send_is_named_once() {
        let mut file: syn::File = parse_quote! {
            pub mod builder {
                pub struct ListEvents<'a> { client: &'a () }
                impl<'a> ListEvents<'a> {
                    pub fn limit(self) -> Self { self }
                    pub async fn send(self) -> u8 { 1 }
                }
                pub struct NotAnOperation;
                impl NotAnOperation { pub fn send(self) {} }
                impl Clone for NotAnOperation { fn clone(&self) -> Self { Self } }
            }
            pub mod types {
                pub struct Elsewhere;
                impl Elsewhere { pub async fn send(self) {} }
            }
        };
        assert_eq!(compile_operations_here(&mut file), 1);
        let text = prettyplease::unparse(&file);
        assert!(
            text.contains("poll_of(builder::ListEvents::send)"),
            "{text}"
        );
        assert!(!text.contains("NotAnOperation::send"), "{text}");
        assert!(!text.contains("Elsewhere::send"), "{text}");
    }
}
