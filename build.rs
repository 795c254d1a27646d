fn main() {
    // Element debug info lets the testing backend find elements by accessible label;
    // it costs a few kilobytes and no run-time work, so it is always on.
    let config = slint_build::CompilerConfiguration::new().with_style("fluent-light".into()).with_debug_info(true);
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("slint compile error: {e}");
        std::process::exit(1);
    }
}
