//! The SQLite database on disk, made private before it is opened: its
//! directory 0700, the database and its companions (`-wal`, `-shm`,
//! `-journal`) 0600, since they hold manifests, reports and client
//! addresses. A directory or file found more open is tightened with a line
//! on stderr saying so, or refused with the reason when that fails (issue 15).
//!
//! A symbolic link at the database path is followed: SQLite resolves it
//! itself and keeps the WAL beside the file it points to, so the server
//! opens the resolved path and every file it names (the report writer's WAL
//! lock, these modes) is the one SQLite uses. Links at the companions are
//! refused: SQLite would write the journal wherever they point.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::StoreError;

/// The files SQLite keeps beside a database.
const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Makes the database at `path` private and returns the path to open (the
/// link's target when `path` is a symbolic link). A new database is created
/// here, empty and 0600: SQLite would create it 0644, and gives its WAL and
/// shared memory the database's mode.
pub(crate) fn prepare(path: &Path) -> Result<PathBuf, StoreError> {
    let path = follow(path)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    create_private_dir(dir)?;
    private_dir(dir)?;
    create_private_file(&path)?;
    private_file(&path)?;
    for suffix in COMPANIONS {
        let mut companion = path.clone().into_os_string();
        companion.push(suffix);
        let companion = PathBuf::from(companion);
        match std::fs::symlink_metadata(&companion) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(StoreError::LinkedCompanion {
                    path: companion.display().to_string(),
                });
            }
            Ok(_) => private_file(&companion)?,
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(cause) => return Err(file_error(&companion, cause)),
        }
    }
    Ok(path)
}

/// `path`, or where it leads when it is a symbolic link.
fn follow(path: &Path) -> Result<PathBuf, StoreError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match std::fs::canonicalize(path) {
            Ok(target) => Ok(target),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(StoreError::DanglingLink {
                path: path.display().to_string(),
                target: std::fs::read_link(path)
                    .map(|t| t.display().to_string())
                    .unwrap_or_default(),
            }),
            Err(cause) => Err(file_error(path, cause)),
        },
        Ok(_) => Ok(path.to_owned()),
        // Nothing there yet (or a file where a directory should be, which
        // creating the directory will name).
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            Ok(path.to_owned())
        }
        Err(cause) => Err(file_error(path, cause)),
    }
}

fn file_error(path: &Path, cause: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.display().to_string(),
        cause,
    }
}

/// Creates `dir` (and parents) readable by its owner only.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    pinwarden_ct::monitor::create_private_dir(dir).map_err(|cause| StoreError::Directory {
        path: dir.display().to_string(),
        cause,
    })
}

/// Creates an empty database file, 0600, unless one is there. O_EXCL: a
/// link planted meanwhile is not followed.
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(cause) => Err(file_error(path, cause)),
    }
}

/// Takes group and other permissions off the directory. A sticky directory
/// (`/tmp`) is shared by design: refused, never changed.
#[cfg(unix)]
fn private_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(dir)
        .map_err(|cause| file_error(dir, cause))?
        .permissions()
        .mode()
        & 0o7777;
    if mode & 0o1000 != 0 {
        return Err(StoreError::SharedDirectory {
            path: dir.display().to_string(),
            mode,
        });
    }
    tighten(dir, mode, "directory")
}

/// Takes group and other permissions off a file of the database.
#[cfg(unix)]
fn private_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::symlink_metadata(path)
        .map_err(|cause| file_error(path, cause))?
        .permissions()
        .mode()
        & 0o7777;
    tighten(path, mode, "file")
}

#[cfg(unix)]
fn tighten(path: &Path, mode: u32, what: &str) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    let private = mode & !0o077;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(private)).map_err(|cause| {
        StoreError::Permissions {
            path: path.display().to_string(),
            mode,
            want: private,
            cause,
        }
    })?;
    eprintln!(
        "pinwarden: {} was open to group or others (mode {mode:04o}); made it {private:04o}, \
         as the database's {what} holds manifests and reports",
        path.display()
    );
    Ok(())
}

#[cfg(not(unix))]
fn private_dir(_: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(not(unix))]
fn private_file(_: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// An existing data directory (0755) and database (0644) were left
    /// readable (issue 15).
    #[test]
    fn open_directories_and_files_are_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        chmod(&dir, 0o755);
        let db = dir.join("pw.db");
        for name in ["pw.db", "pw.db-wal", "pw.db-shm"] {
            std::fs::write(dir.join(name), "").unwrap();
            chmod(&dir.join(name), 0o644);
        }
        assert_eq!(prepare(&db).unwrap(), db);
        assert_eq!(mode(&dir), 0o700);
        for name in ["pw.db", "pw.db-wal", "pw.db-shm"] {
            assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
        }
    }

    #[test]
    fn a_new_database_is_created_private() {
        let root = tempfile::tempdir().unwrap();
        let db = root.path().join("a/b/pw.db");
        prepare(&db).unwrap();
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&root.path().join("a/b")), 0o700);
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn a_link_is_followed_to_its_target_and_a_dangling_one_refused() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("real")).unwrap();
        let target = root.path().join("real/pw.db");
        std::fs::write(&target, "").unwrap();
        let link = root.path().join("pw.db");
        std::os::unix::fs::symlink("real/pw.db", &link).unwrap();
        assert_eq!(
            prepare(&link).unwrap(),
            std::fs::canonicalize(&target).unwrap()
        );

        let dangling = root.path().join("gone.db");
        std::os::unix::fs::symlink("real/nothing.db", &dangling).unwrap();
        let e = prepare(&dangling).unwrap_err().to_string();
        assert!(
            e.contains("real/nothing.db") && e.contains("doesn't exist"),
            "{e}"
        );
    }

    #[test]
    fn a_linked_wal_and_a_sticky_directory_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let db = root.path().join("pw.db");
        std::os::unix::fs::symlink("/etc/passwd", root.path().join("pw.db-wal")).unwrap();
        let e = prepare(&db).unwrap_err().to_string();
        assert!(e.contains("pw.db-wal is a symbolic link"), "{e}");

        let shared = root.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        chmod(&shared, 0o1777);
        let e = prepare(&shared.join("pw.db")).unwrap_err().to_string();
        assert!(e.contains("shared with other users (mode 1777)"), "{e}");
        assert_eq!(mode(&shared), 0o1777, "left as it was");
    }
}
