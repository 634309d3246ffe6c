//! Keeps docs/data-model.md equal to the schema it documents. Run with `UPDATE_DOCS=1` to
//! rewrite the generated part after changing the schema.

use std::path::PathBuf;

const MARKER: &str = "<!-- generated from crates/weiwan-domain/src/schema.rs: do not edit below -->\n";

#[test]
fn data_model_doc_matches_the_schema() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/data-model.md");
    let text = std::fs::read_to_string(&path).expect("docs/data-model.md exists");
    let (intro, generated) = text.split_once(MARKER).expect("docs/data-model.md has the generated marker");
    let expected = weiwan_domain::schema::markdown();
    if generated != expected {
        if std::env::var("UPDATE_DOCS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, format!("{intro}{MARKER}{expected}")).expect("rewrite docs");
            return;
        }
        panic!(
            "docs/data-model.md is out of date with the schema; run `UPDATE_DOCS=1 cargo test -p weiwan-domain`"
        );
    }
}
