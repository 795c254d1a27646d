fn main() {
    std::process::exit(kiosk::main())
}
