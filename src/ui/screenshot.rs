use crate::cli::ScreenshotArgs;
use crate::config::LoadedConfig;
use crate::paths::Paths;
pub fn run(_cfg: LoadedConfig, _paths: &Paths, _a: &ScreenshotArgs) -> i32 { 1 }
