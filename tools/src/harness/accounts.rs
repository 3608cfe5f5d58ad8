//! The accounts file (`bots --accounts PATH`, `bots-accounts.tsv` by default): the bots' names
//! and session tokens, kept between runs so that a run logs the same characters in again
//! instead of creating new ones. One account a line, `name<TAB>token` (64 hex digits), after a
//! `#` comment header; blank lines and `#` lines are skipped. A run uses the first N accounts;
//! when the file has fewer, the missing ones are generated and the whole file is written back
//! atomically (temporary file, fsync, rename) before any bot connects, so no name is ever
//! created on a server without its token on disk.
//!
//! The file is locked for the whole run: an exclusive `flock` on `PATH.lock` beside it (the file
//! itself is replaced by rename, so a lock on it would not outlive a write), so a second run with
//! the same file is refused instead of logging the same characters in twice.

use net::protocol::{SessionToken, TOKEN_LEN};
use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Where the `bots` binary keeps its accounts unless told otherwise (the current directory).
pub const DEFAULT_ACCOUNTS_FILE: &str = "bots-accounts.tsv";

/// The first line of every accounts file written.
const HEADER: &str = "# bots accounts (the `bots` load harness): name<TAB>session token (64 hex digits), \
     one a line; a run uses the first N. The tokens are the characters' passwords on the shard \
     that created them: keep this file private and with that shard.";

/// One bot's login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Character name.
    pub name: String,
    /// The secret the name was created with.
    pub token: SessionToken,
}

/// Why the accounts file could not be used.
#[derive(Debug)]
pub enum AccountsError {
    /// Another run holds the file.
    Locked {
        /// The accounts file.
        path: PathBuf,
    },
    /// Reading, writing or locking failed.
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// A line is not `name<TAB>token`, or its name or token is unusable.
    Malformed {
        /// The accounts file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A generated name is unusable (e.g. too long for the protocol).
    BadName {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The operating system could not supply random bytes for new tokens.
    Randomness(String),
}

impl fmt::Display for AccountsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Locked { path } => write!(
                f,
                "accounts file {} is in use by another bots run; pass another `--accounts PATH` \
                 (or `--accounts none`) to run both at once",
                path.display()
            ),
            Self::Io { path, error } => write!(f, "accounts file {}: {error}", path.display()),
            Self::Malformed { path, line, reason } => {
                write!(f, "accounts file {} line {line}: {reason}", path.display())
            }
            Self::BadName { name, reason } => write!(f, "new account name `{name}`: {reason}"),
            Self::Randomness(e) => write!(f, "no session tokens for new accounts: {e}"),
        }
    }
}

/// Its message says it all (the system's error included), so it names no source.
impl std::error::Error for AccountsError {}

/// An accounts file, locked while this value lives.
#[derive(Debug)]
pub struct AccountsFile {
    path: PathBuf,
    accounts: Vec<Account>,
    _lock: File,
}

impl AccountsFile {
    /// Locks `path` (through `PATH.lock`) and reads it; a missing file holds no account yet.
    pub fn open(path: &Path) -> Result<Self, AccountsError> {
        let lock = lock(path)?;
        let accounts = match std::fs::read_to_string(path) {
            Ok(text) => parse(&text, path)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(error) => return Err(AccountsError::Io { path: path.to_path_buf(), error }),
        };
        Ok(AccountsFile { path: path.to_path_buf(), accounts, _lock: lock })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every account, in file order.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// Makes sure the file holds at least `n` accounts: the missing ones are named
    /// `name_of(index)` (index counting from 0 over the whole file) with fresh random tokens,
    /// and the file is written back (atomically, durably) before this returns. Returns how many
    /// were added.
    pub fn ensure(&mut self, n: usize, name_of: impl Fn(usize) -> String) -> Result<usize, AccountsError> {
        let have = self.accounts.len();
        if have >= n {
            return Ok(0);
        }
        let mut keys: HashMap<String, usize> =
            self.accounts.iter().enumerate().map(|(i, a)| (store::record::name_key(&a.name), i)).collect();
        let mut added = Vec::with_capacity(n - have);
        for index in have..n {
            let name = name_of(index);
            let name = game::names::normalize(&name)
                .map_err(|reason| AccountsError::BadName { name: name.clone(), reason })?;
            if keys.insert(store::record::name_key(&name), index).is_some() {
                let reason = "the file already has this name".to_owned();
                return Err(AccountsError::BadName { name, reason });
            }
            let token = SessionToken::random().map_err(|e| AccountsError::Randomness(e.to_string()))?;
            added.push(Account { name, token });
        }
        self.accounts.extend(added);
        if let Err(e) = self.save() {
            self.accounts.truncate(have);
            return Err(e);
        }
        Ok(n - have)
    }

    /// Writes every account to `PATH.tmp`, syncs it, renames it over the file and syncs the
    /// directory, so the file is always either the old one or the new one, and the new one
    /// survives a crash once this returns. The file is readable by its owner only.
    fn save(&self) -> Result<(), AccountsError> {
        let tmp = sibling(&self.path, ".tmp");
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |error| AccountsError::Io { path, error }
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(&tmp))?;
        file.write_all(render(&self.accounts).as_bytes()).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &self.path).map_err(io(&self.path))?;
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
    }
}

/// `path` with `suffix` appended to its file name (`bots-accounts.tsv` → `bots-accounts.tsv.lock`).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Takes the exclusive lock of accounts file `path`, or says it is held.
fn lock(path: &Path) -> Result<File, AccountsError> {
    let lock_path = sibling(path, ".lock");
    let io = |error| AccountsError::Io { path: lock_path.clone(), error };
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(AccountsError::Locked { path: path.to_path_buf() }),
        Err(TryLockError::Error(e)) => Err(io(e)),
    }
}

/// Parses an accounts file's text (`path` only names it in errors).
pub fn parse(text: &str, path: &Path) -> Result<Vec<Account>, AccountsError> {
    let mut accounts = Vec::new();
    let mut lines_by_key: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad =
            |reason: String| AccountsError::Malformed { path: path.to_path_buf(), line: number, reason };
        let account = parse_line(line).map_err(bad)?;
        if let Some(first) = lines_by_key.insert(store::record::name_key(&account.name), number) {
            return Err(bad(format!("`{}` is the name of line {first} too", account.name)));
        }
        accounts.push(account);
    }
    Ok(accounts)
}

/// One `name<TAB>token` line.
fn parse_line(line: &str) -> Result<Account, String> {
    let Some((name, hex)) = line.split_once('\t') else {
        return Err("expected `name<TAB>token`, found no tab".into());
    };
    let name = game::names::normalize(name).map_err(|e| format!("name `{name}`: {e}"))?;
    let token = parse_token(hex.trim_end())?;
    Ok(Account { name, token })
}

/// A token written as 64 hex digits, not all zero.
fn parse_token(hex: &str) -> Result<SessionToken, String> {
    let digits = hex.as_bytes();
    if digits.len() != 2 * TOKEN_LEN || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(format!("the token must be {} hex digits, found `{hex}`", 2 * TOKEN_LEN));
    }
    let mut bytes = [0u8; TOKEN_LEN];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|e| e.to_string())?;
    }
    let token = SessionToken(bytes);
    if token.is_none() {
        return Err("the token is all zeros (that asks for a new session, it is no secret)".into());
    }
    Ok(token)
}

/// The file's text: the header, then one `name<TAB>token` line per account.
pub fn render(accounts: &[Account]) -> String {
    let mut text = format!("{HEADER}\n");
    for a in accounts {
        text.push_str(&a.name);
        text.push('\t');
        for b in a.token.0 {
            text.push_str(&format!("{b:02x}"));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, fill: u8) -> Account {
        Account { name: name.into(), token: SessionToken([fill; TOKEN_LEN]) }
    }

    fn hex(fill: u8) -> String {
        format!("{fill:02x}").repeat(TOKEN_LEN)
    }

    #[test]
    fn parses_names_and_tokens_skipping_comments_and_blank_lines() {
        let text = format!("# header\n\nalice\t{}\r\nbob-2\t{}\n# more\n", hex(0xAB), hex(1).to_uppercase());
        let accounts = parse(&text, Path::new("a.tsv")).unwrap();
        assert_eq!(accounts, [account("alice", 0xAB), account("bob-2", 1)]);
    }

    #[test]
    fn render_then_parse_is_the_identity() {
        let accounts = vec![account("b1a2b3c-0", 7), account("zoë", 0xFE), account("load 2", 0x10)];
        let text = render(&accounts);
        assert!(text.starts_with("# bots accounts"), "{text}");
        assert_eq!(text.lines().count(), 4);
        assert!(text.contains(&format!("zoë\t{}\n", hex(0xFE))), "{text}");
        assert_eq!(parse(&text, Path::new("a.tsv")).unwrap(), accounts);
    }

    #[test]
    fn a_malformed_line_names_the_file_and_the_line() {
        let path = Path::new("dir/accounts.tsv");
        let good = format!("alice\t{}", hex(1));
        let cases = [
            ("alice without a tab", "no tab"),
            ("alice\t1234", "64 hex digits"),
            (&format!("alice\t{}", "zz".repeat(TOKEN_LEN)), "64 hex digits"),
            (&format!("alice\t{}", hex(0)), "all zeros"),
            (&format!("\t{}", hex(1)), "name ``"),
            (&format!("{}\t{}", "n".repeat(40), hex(1)), "at most 32 bytes"),
            (&format!("ALICE\t{}", hex(2)), "line 2 too"),
        ];
        for (line, why) in cases {
            let text = format!("# header\n{good}\n{line}\n");
            let e = parse(&text, path).unwrap_err();
            assert!(matches!(e, AccountsError::Malformed { line: 3, .. }), "{line}: {e:?}");
            let message = e.to_string();
            assert!(message.starts_with("accounts file dir/accounts.tsv line 3: "), "{message}");
            assert!(message.contains(why), "{line}: {message}");
        }
    }

    #[test]
    fn too_few_accounts_grow_and_are_written_back_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.tsv");
        std::fs::write(&path, format!("# mine\nkeep-me\t{}\n", hex(5))).unwrap();
        let mut file = AccountsFile::open(&path).unwrap();
        assert_eq!(file.ensure(1, |i| format!("new-{i}")).unwrap(), 0, "enough already");
        assert_eq!(file.ensure(3, |i| format!("new-{i}")).unwrap(), 2);
        let names: Vec<&str> = file.accounts().iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["keep-me", "new-1", "new-2"]);
        assert_eq!(file.accounts()[0].token, SessionToken([5; TOKEN_LEN]), "existing tokens kept");
        assert!(file.accounts()[1..].iter().all(|a| !a.token.is_none()));
        assert_ne!(file.accounts()[1].token, file.accounts()[2].token);
        // Already on disk, while the file is still held.
        let on_disk = parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
        assert_eq!(on_disk, file.accounts());
        assert!(!sibling(&path, ".tmp").exists(), "the temporary file was renamed");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        drop(file);
        let again = AccountsFile::open(&path).unwrap();
        assert_eq!(again.accounts(), on_disk);
    }

    #[test]
    fn a_missing_file_starts_empty_and_a_bad_new_name_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fresh.tsv");
        let mut file = AccountsFile::open(&path).unwrap();
        assert!(file.accounts().is_empty());
        let e = file.ensure(2, |i| format!("{}{i}", "x".repeat(32))).unwrap_err();
        assert!(matches!(e, AccountsError::BadName { .. }), "{e:?}");
        assert!(file.accounts().is_empty() && !path.exists());
        let e = file.ensure(2, |_| "same".to_owned()).unwrap_err();
        assert!(e.to_string().contains("already has this name"), "{e}");
        assert!(file.accounts().is_empty() && !path.exists(), "all or nothing");
    }

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.tsv");
        let first = AccountsFile::open(&path).unwrap();
        let e = AccountsFile::open(&path).unwrap_err();
        assert!(matches!(&e, AccountsError::Locked { path: p } if *p == path), "{e:?}");
        assert!(e.to_string().contains("pass another `--accounts PATH`"), "{e}");
        drop(first);
        AccountsFile::open(&path).expect("free again");
    }
}
