//! Brings the English catalogue (`lang/en/LC_MESSAGES/kiosk.po`) in line with the code:
//! every string the code marks gets an entry (new ones with an empty translation, to be
//! written), entries the code no longer has are dropped, translations are kept.
//!
//!     cargo run --example lang_sync

#[path = "../tests/lang/extract.rs"]
mod extract;

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let po_path = root.join("lang/en/LC_MESSAGES/kiosk.po");
    let old = std::fs::read_to_string(&po_path).unwrap_or_default();
    let known: std::collections::HashMap<String, String> = match kiosk::lang::Catalogue::entries(&old) {
        Ok(e) => e.into_iter().filter(|(id, _)| !id.is_empty()).collect(),
        Err(e) => {
            eprintln!("{}: {e}", po_path.display());
            std::process::exit(1);
        }
    };
    let found = extract::strings(root);
    let missing = found.iter().filter(|f| known.get(&f.text).is_none_or(|s| s.is_empty())).count();
    let dropped: Vec<&String> = known.keys().filter(|k| !found.iter().any(|f| &f.text == *k)).collect();
    if let Err(e) = std::fs::write(&po_path, extract::write_po(&found, &known)) {
        eprintln!("{}: {e}", po_path.display());
        std::process::exit(1);
    }
    println!("{} strings, {missing} without English, {} dropped", found.len(), dropped.len());
    for d in dropped {
        println!("dropped: {d}");
    }
}
