//! Where things live: the config folder, the data folder, the database, the spool.

use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG_DIR: &str = "kiosk-config";
pub const DEFAULT_DATA_DIR: &str = "data";

#[derive(Debug, Clone)]
pub struct Paths {
    /// None = the copies of the shipped files embedded in the binary.
    pub config_dir: Option<PathBuf>,
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("the data folder {path} is not writable ({reason}); choose another with --data-dir or fix its permissions")]
pub struct DataDirError {
    pub path: PathBuf,
    pub reason: String,
}

impl Paths {
    /// `--config-dir` if given, else ./kiosk-config when it exists, else the embedded copies;
    /// `--data-dir` if given, else ./data.
    pub fn resolve(config_dir: Option<PathBuf>, data_dir: Option<PathBuf>) -> Paths {
        let config_dir = config_dir.or_else(|| {
            let p = PathBuf::from(DEFAULT_CONFIG_DIR);
            p.join("station.toml").is_file().then_some(p)
        });
        Paths { config_dir, data_dir: data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)) }
    }

    pub fn db(&self) -> PathBuf {
        self.data_dir.join("kiosk.db")
    }

    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir.join("spool")
    }

    /// The calling voice's rendered clips.
    pub fn voice_dir(&self) -> PathBuf {
        self.data_dir.join("voice")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Creates the data folder and proves it is writable, before anything is promised.
    pub fn ensure_data_dir(&self) -> Result<(), DataDirError> {
        let err = |p: &Path, e: std::io::Error| DataDirError { path: p.to_path_buf(), reason: e.to_string() };
        for d in [self.data_dir.clone(), self.spool_dir(), self.log_dir()] {
            std::fs::create_dir_all(&d).map_err(|e| err(&d, e))?;
        }
        // Villagers' data: readable by the kiosk's own user only (folders 0700, files
        // 0600), also for what an older version left readable by others.
        private(&self.data_dir, 3).map_err(|e| err(&self.data_dir, e))?;
        let probe = self.data_dir.join(".write-test");
        std::fs::write(&probe, b"ok").map_err(|e| err(&self.data_dir, e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }
}

/// Takes away group and other access from `path` and, `depth` levels down, all below it.
#[cfg(unix)]
fn private(path: &Path, depth: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    if meta.is_dir() && depth > 0 {
        for entry in std::fs::read_dir(path)? {
            private(&entry?.path(), depth - 1)?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn private(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// Files this process creates from now on are for its own user only (umask 077).
pub fn private_files() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}
