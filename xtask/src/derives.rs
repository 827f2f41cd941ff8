//! Makes the generated types' `schemars::JsonSchema` derive optional:
//! progenitor adds it to each `#[derive(…)]` list; here it moves into
//! `#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]`, so the
//! generated crates build without schemars unless their `schemars` feature
//! is on (JSON Schemas are for the few; every build paid for them).

use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Path, Token, parse_quote};

/// Gates every `schemars::JsonSchema` derive in `file` behind the
/// `schemars` feature; returns how many it gated.
pub fn gate_schemars(file: &mut syn::File) -> usize {
    let mut gate = Gate(0);
    gate.visit_file_mut(file);
    gate.0
}

struct Gate(usize);

impl Gate {
    fn attrs(&mut self, attrs: &mut Vec<Attribute>) {
        let mut gated = false;
        for attr in attrs.iter_mut() {
            if !attr.path().is_ident("derive") {
                continue;
            }
            let Ok(paths) = attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
            else {
                continue;
            };
            let kept: Punctuated<Path, Token![,]> = paths
                .iter()
                .filter(|p| !is_json_schema(p))
                .cloned()
                .collect();
            if kept.len() != paths.len() {
                *attr = parse_quote!(#[derive(#kept)]);
                gated = true;
            }
        }
        if gated {
            self.0 += 1;
            attrs.push(parse_quote!(
                #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
            ));
        }
    }
}

fn is_json_schema(path: &Path) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments == ["schemars", "JsonSchema"]
}

impl VisitMut for Gate {
    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        self.attrs(&mut item.attrs);
        visit_mut::visit_item_struct_mut(self, item);
    }

    fn visit_item_enum_mut(&mut self, item: &mut syn::ItemEnum) {
        self.attrs(&mut item.attrs);
        visit_mut::visit_item_enum_mut(self, item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemars_derive_moves_behind_the_feature() {
        let mut file: syn::File = syn::parse_str(
            "mod types {
                #[derive(Clone, schemars::JsonSchema, Debug)]
                #[serde(deny_unknown_fields)]
                pub struct A { x: u8 }
                #[derive(Clone)]
                pub enum B { X }
            }",
        )
        .unwrap();
        assert_eq!(gate_schemars(&mut file), 1);
        let text = prettyplease::unparse(&file);
        assert!(text.contains("#[derive(Clone, Debug)]"), "{text}");
        assert!(
            text.contains("#[cfg_attr(feature = \"schemars\", derive(schemars::JsonSchema))]"),
            "{text}"
        );
        assert_eq!(text.matches("JsonSchema").count(), 1, "{text}");
    }
}
