//! Makes the builders of the generated types that no operation takes
//! optional: progenitor's builder interface gives every type a builder
//! (`types::builder::Event`, `types::Event::builder()`), but the operations
//! only take those of their request bodies (`CreateInviteRequest`, say).
//! The others — the responses and the types inside them — are for building
//! values by hand (a test's fixtures), and half of each generated crate's
//! code: every build of the facade compiled them, before its own code could
//! start. Here they move behind the generated crate's `type-builders`
//! feature (on by default, so a crate that depends on the generated crate
//! keeps them; the facade turns it off).

use std::collections::BTreeSet;

use syn::visit::{self, Visit};
use syn::{Item, ItemMod, Type, parse_quote};

/// The feature that keeps the builders no operation takes.
pub const FEATURE: &str = "type-builders";

/// Gates every builder in `types::builder` that nothing outside `types`
/// names, with its `Type::builder()`; returns the gated builders' names.
pub fn gate_unused_builders(file: &mut syn::File) -> Vec<String> {
    let taken = taken_by_operations(file);
    let mut gated = BTreeSet::new();
    let Some(types) = module_mut(&mut file.items, "types") else {
        return Vec::new();
    };
    for item in types.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let name = self_name(&imp.self_ty);
        if imp.trait_.is_some() || name.as_ref().is_none_or(|n| taken.contains(n)) {
            continue;
        }
        for member in &mut imp.items {
            if let syn::ImplItem::Fn(f) = member
                && f.sig.ident == "builder"
            {
                f.attrs.push(parse_quote!(#[cfg(feature = #FEATURE)]));
            }
        }
    }
    if let Some(builders) = module_mut(types, "builder") {
        for item in builders.iter_mut() {
            let (attrs, name) = match item {
                Item::Struct(s) => (&mut s.attrs, Some(s.ident.to_string())),
                Item::Impl(i) => (&mut i.attrs, self_name(&i.self_ty)),
                _ => continue,
            };
            if let Some(name) = name.filter(|n| !taken.contains(n)) {
                attrs.push(parse_quote!(#[cfg(feature = #FEATURE)]));
                gated.insert(name);
            }
        }
    }
    gated.into_iter().collect()
}

/// The items of the inline module `name` among `items`.
fn module_mut<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut Vec<Item>> {
    items.iter_mut().find_map(|item| match item {
        Item::Mod(ItemMod {
            ident,
            content: Some((_, items)),
            ..
        }) if ident == name => Some(items),
        _ => None,
    })
}

/// The last name of a type's path (`Event` for `super::Event`).
fn self_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The builders named as `types::builder::X` outside the `types` module:
/// those the operations take.
fn taken_by_operations(file: &syn::File) -> BTreeSet<String> {
    let mut found = Taken(BTreeSet::new());
    for item in &file.items {
        if !matches!(item, Item::Mod(m) if m.ident == "types") {
            found.visit_item(item);
        }
    }
    found.0
}

struct Taken(BTreeSet<String>);

impl<'ast> Visit<'ast> for Taken {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let [.., types, builder, name] = names.as_slice()
            && types == "types"
            && builder == "builder"
        {
            self.0.insert(name.clone());
        }
        visit::visit_path(self, path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_builders_no_operation_takes_are_gated() {
        let mut file: syn::File = parse_quote! {
            pub mod prelude {}
            pub mod types {
                pub mod defaults {}
                pub struct Event { pub id: String }
                impl Event { pub fn builder() -> builder::Event { Default::default() } }
                pub struct NewInvite { pub name: String }
                impl NewInvite { pub fn builder() -> builder::NewInvite { Default::default() } }
                impl Clone for Event { fn clone(&self) -> Self { todo!() } }
                pub mod builder {
                    pub struct Event { id: Result<String, String> }
                    impl Default for Event { fn default() -> Self { todo!() } }
                    impl TryFrom<Event> for super::Event {
                        type Error = String;
                        fn try_from(b: Event) -> Result<Self, String> { todo!() }
                    }
                    pub struct NewInvite { name: Result<String, String> }
                    impl Default for NewInvite { fn default() -> Self { todo!() } }
                }
            }
            pub mod builder {
                pub struct CreateInvite { body: Result<types::builder::NewInvite, String> }
            }
        };
        assert_eq!(gate_unused_builders(&mut file), ["Event"]);
        let text = prettyplease::unparse(&file);
        let gated = |line: &str| {
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            assert!(lines.iter().any(|l| l.starts_with(line)), "no {line}");
            (1..lines.len()).any(|at| {
                lines[at].starts_with(line)
                    && lines[at - 1] == "#[cfg(feature = \"type-builders\")]"
            })
        };
        // Event's builder struct, its Default and TryFrom, and Event::builder().
        assert!(gated("pub struct Event {"), "{text}");
        assert!(gated("impl Default for Event"), "{text}");
        assert!(gated("impl TryFrom<Event> for super::Event"), "{text}");
        assert!(gated("pub fn builder() -> builder::Event"), "{text}");
        assert_eq!(text.matches("type-builders").count(), 4, "{text}");
        assert!(!gated("pub fn builder() -> builder::NewInvite"), "{text}");
        assert!(!gated("pub struct NewInvite"), "{text}");
        assert!(!gated("impl Clone for Event"), "{text}");
    }

    #[test]
    fn a_file_without_types_is_left_alone() {
        let mut file: syn::File = parse_quote! { pub mod builder {} };
        assert!(gate_unused_builders(&mut file).is_empty());
    }
}
