fn main() {
    // The program's ~80,000 relative relocations packed as RELR (glibc 2.36, Debian 12):
    // the loader reads a few kilobytes instead of 1.5 MB at every start, and those pages
    // never become part of the kiosk's memory. Still position-independent (ASLR kept).
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    // Element debug info lets the testing backend find elements by accessible label;
    // it costs a few kilobytes and no run-time work, so it is always on.
    // The English of every @tr(...) comes from the same catalogue the web pages and the
    // refusals use (lang/en/LC_MESSAGES/kiosk.po, see src/lang.rs), compiled in; no
    // per-component context, so one Chinese text has one English wherever it is.
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent-light".into())
        .with_debug_info(true)
        .with_bundled_translations(concat!(env!("CARGO_MANIFEST_DIR"), "/lang"))
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("slint compile error: {e}");
        std::process::exit(1);
    }
}
