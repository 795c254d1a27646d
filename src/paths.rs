//! Where things live: the config folder, the data folder, the database, the spool.

use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG_DIR: &str = "kiosk-config";
pub const DEFAULT_DATA_DIR: &str = "data";
/// Where the Debian package puts the configuration and the store.
pub const INSTALLED_CONFIG_DIR: &str = "/etc/kiosk";
pub const INSTALLED_DATA_DIR: &str = "/var/lib/kiosk";

/// Whether this binary is the installed one (the package puts it in /usr/bin).
pub fn installed() -> bool {
    std::env::current_exe().map(|p| p.starts_with("/usr/bin") || p.starts_with("/usr/sbin")).unwrap_or(false)
}

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
    /// The config folder: `--config-dir`, else `$KIOSK_CONFIG_DIR`, else ./kiosk-config
    /// when it exists, else /etc/kiosk when installed, else the embedded copies. The data
    /// folder: `--data-dir`, else `$KIOSK_DATA_DIR`, else /var/lib/kiosk when installed
    /// (so a command run from any folder finds the one store), else ./data.
    pub fn resolve(config_dir: Option<PathBuf>, data_dir: Option<PathBuf>) -> Paths {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        Self::resolve_with(
            config_dir.or_else(|| env("KIOSK_CONFIG_DIR")),
            data_dir.or_else(|| env("KIOSK_DATA_DIR")),
            installed(),
            |p| p.join("station.toml").is_file(),
        )
    }

    fn resolve_with(
        config_dir: Option<PathBuf>,
        data_dir: Option<PathBuf>,
        installed: bool,
        has_config: impl Fn(&Path) -> bool,
    ) -> Paths {
        let config_dir = config_dir.or_else(|| {
            let local = PathBuf::from(DEFAULT_CONFIG_DIR);
            let system = PathBuf::from(INSTALLED_CONFIG_DIR);
            if has_config(&local) {
                Some(local)
            } else if installed && has_config(&system) {
                Some(system)
            } else {
                None
            }
        });
        let data_dir =
            data_dir.unwrap_or_else(|| PathBuf::from(if installed { INSTALLED_DATA_DIR } else { DEFAULT_DATA_DIR }));
        Paths { config_dir, data_dir }
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

    /// Held (shared) by the running kiosk and station service: see [`RunLock`].
    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("kiosk.lock")
    }

    /// Where backups go when station.toml names no folder.
    pub fn default_backup_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Creates the data folder and proves it is writable, before anything is promised.
    pub fn ensure_data_dir(&self) -> Result<(), DataDirError> {
        let err = |p: &Path, e: std::io::Error| DataDirError { path: p.to_path_buf(), reason: e.to_string() };
        // root writing into the kiosk user's store would leave files the kiosk cannot open.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(meta) = std::fs::metadata(&self.data_dir) {
                if crate::system::is_root() && meta.uid() != 0 {
                    return Err(DataDirError {
                        path: self.data_dir.clone(),
                        reason: format!(
                            "它属于另一个用户（uid {}），以 root 运行会留下终端打不开的文件；\
                             请用那个用户运行，例如 sudo -u kiosk kiosk …",
                            meta.uid()
                        ),
                    });
                }
            }
        }
        for d in [self.data_dir.clone(), self.spool_dir(), self.log_dir()] {
            std::fs::create_dir_all(&d).map_err(|e| err(&d, e))?;
        }
        // Villagers' data: readable by the kiosk's own user only (folders 0700, files
        // 0600), also for what an older version left readable by others.
        private(&self.data_dir, 3).map_err(|e| err(&self.data_dir, e))?;
        // One probe per opener: several processes and threads open the store at once.
        static PROBES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = PROBES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let probe = self.data_dir.join(format!(".write-test-{}-{n}", std::process::id()));
        std::fs::write(&probe, b"ok").map_err(|e| err(&self.data_dir, e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }
}

/// Takes away group and other access from `path` and, `depth` levels down, all below it.
#[cfg(unix)]
fn private(path: &Path, depth: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        // Gone while we walked (another opener's write probe, a finished spool file).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            r => r?,
        }
    }
    if meta.is_dir() && depth > 0 {
        let entries = match std::fs::read_dir(path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            private(&entry?.path(), depth - 1)?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn private(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// This process as it is recorded on work it leaves in the store (a print job it waits
/// for): `pid:start`, the start in clock ticks since boot, so that a pid used again by
/// another process later is not taken for this one.
pub fn process_identity() -> String {
    let pid = std::process::id();
    format!("{pid}:{}", start_ticks(pid).unwrap_or(0))
}

/// Whether the process `identity` ([`process_identity`]) still runs.
pub fn process_alive(identity: &str) -> bool {
    let Some((pid, start)) = identity.split_once(':') else { return false };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else { return false };
    start_ticks(pid).is_some_and(|s| s == start)
}

/// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(19)?.parse().ok()
}

/// The lock the kiosk and the station service hold (shared) while they run, so that
/// `kiosk restore` (exclusive) can tell they are running and refuse.
pub struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    fn take(paths: &Paths, exclusive: bool) -> std::io::Result<Option<RunLock>> {
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(paths.lock_file())?;
        let taken = if exclusive { file.try_lock() } else { file.try_lock_shared() };
        match taken {
            Ok(()) => Ok(Some(RunLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Held by a running kiosk or station service (several may hold it at once). Waits a
    /// little while a restore finishes.
    pub fn running(paths: &Paths) -> std::io::Result<RunLock> {
        for _ in 0..600 {
            if let Some(l) = Self::take(paths, false)? {
                return Ok(l);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Err(std::io::Error::other("a restore has held the data folder for a minute"))
    }

    /// Only when nothing runs; None while the kiosk or the station service runs.
    pub fn alone(paths: &Paths) -> std::io::Result<Option<RunLock>> {
        Self::take(paths, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_openers_at_once_all_find_the_data_folder_writable() {
        // Twelve threads open one store at once: none may trip over another's write probe
        // while it walks the folder to make it private (a CI run once did).
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths { config_dir: None, data_dir: dir.path().join("data") };
        for round in 0..20 {
            let errors: Vec<String> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..12).map(|_| s.spawn(|| paths.ensure_data_dir())).collect();
                hs.into_iter().filter_map(|h| h.join().expect("thread").err().map(|e| e.to_string())).collect()
            });
            assert!(errors.is_empty(), "round {round}: {errors:?}");
        }
        let left: Vec<_> = std::fs::read_dir(&paths.data_dir)
            .expect("read")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".write-test"))
            .collect();
        assert!(left.is_empty(), "probes are removed");
    }

    #[test]
    fn a_process_is_told_apart_from_a_later_one_with_its_pid() {
        let me = process_identity();
        assert!(process_alive(&me));
        let (pid, start) = me.split_once(':').unwrap();
        assert!(!process_alive(&format!("{pid}:{}", start.parse::<u64>().unwrap() + 1)));
        assert!(!process_alive("4194303:1"));
        assert!(!process_alive("garbage"));
    }

    #[test]
    fn installed_defaults_are_absolute() {
        let none = |_: &Path| false;
        let p = Paths::resolve_with(None, None, true, none);
        assert_eq!(p.data_dir, PathBuf::from("/var/lib/kiosk"));
        assert_eq!(p.config_dir, None);
        let p = Paths::resolve_with(None, None, true, |d: &Path| d == Path::new("/etc/kiosk"));
        assert_eq!(p.config_dir, Some(PathBuf::from("/etc/kiosk")));
        let p = Paths::resolve_with(None, None, false, none);
        assert_eq!(p.data_dir, PathBuf::from("data"));
        let p = Paths::resolve_with(Some("/c".into()), Some("/d".into()), true, |_: &Path| true);
        assert_eq!((p.config_dir, p.data_dir), (Some(PathBuf::from("/c")), PathBuf::from("/d")));
    }
}
