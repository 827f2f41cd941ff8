//! What the generator is fed for SecureGate: the vendor document with the
//! overlay applied, normalized to OpenAPI 3.0.3. Any change to the spec, the
//! overlay or the normalizer shows up here in review.

#[test]
fn normalized_securegate_document() {
    let root = xtask::workspace_root();
    let spec = xtask::codegen::discover(&root)
        .unwrap()
        .into_iter()
        .find(|s| s.name == "securegate")
        .expect("specs/securegate.yaml exists");
    let (doc, warnings) = xtask::codegen::prepare(&root, &spec).unwrap();
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "specs/securegate.yaml at `/components/schemas/CountryCodeSimple/enum`: schema \
          `CountryCodeSimple` lists the enum value \"1\" more than once; the repeat was dropped \
          (progenitor rejects repeated values)"
        ]
    );
    insta::assert_yaml_snapshot!("securegate_normalized", doc);
}
