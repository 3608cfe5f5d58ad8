//! Login tokens: the first login of a name gets a random 32-byte session token; the store keeps
//! only its SHA-256; later logins must present the token, compared in constant time.

use sha2::{Digest, Sha256};
use std::fmt;

/// Bytes in a session token (the wire's `token` field).
pub const TOKEN_LEN: usize = 32;

/// A session token as sent to and by the client. All zeros is the wire's "no token".
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(pub [u8; TOKEN_LEN]);

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a secret into logs.
        f.write_str("SessionToken(…)")
    }
}

/// Why a login is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// The name exists and the presented token is missing or wrong.
    WrongToken,
    /// The operating system could not supply random bytes for a new token.
    NoRandomness(String),
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongToken => f.write_str("wrong or missing session token for this name"),
            Self::NoRandomness(e) => write!(f, "cannot generate a session token: {e}"),
        }
    }
}

impl std::error::Error for LoginError {}

/// What a login attempt leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// A new character: store `hash`, send `token` in Welcome.
    New { token: SessionToken, hash: [u8; 32] },
    /// A returning character whose token matched.
    Returning,
}

impl SessionToken {
    /// A fresh token from the operating system's random source (never all zeros).
    pub fn generate() -> Result<Self, LoginError> {
        let mut bytes = [0u8; TOKEN_LEN];
        loop {
            getrandom::fill(&mut bytes).map_err(|e| LoginError::NoRandomness(e.to_string()))?;
            if bytes != [0; TOKEN_LEN] {
                return Ok(Self(bytes));
            }
        }
    }

    /// The SHA-256 the store keeps instead of the token.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }
}

/// Decides a login: `stored_hash` is the player's stored token hash (`None` for a name never
/// seen); `presented` is the token from Hello.
pub fn check_login(stored_hash: Option<&[u8]>, presented: &[u8; TOKEN_LEN]) -> Result<Login, LoginError> {
    match stored_hash {
        None => {
            let token = SessionToken::generate()?;
            let hash = token.hash();
            Ok(Login::New { token, hash })
        }
        Some(stored) if *presented != [0; TOKEN_LEN] && same(stored, &SessionToken(*presented).hash()) => {
            Ok(Login::Returning)
        }
        Some(_) => Err(LoginError::WrongToken),
    }
}

/// Constant-time equality (no early exit on the first differing byte).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256() {
        // SHA-256 of 32 zero bytes.
        let expected = "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925";
        let hex: String = SessionToken([0; 32]).hash().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    #[test]
    fn first_login_issues_a_token_that_later_logins_must_present() {
        let Login::New { token, hash } = check_login(None, &[0; 32]).unwrap() else { panic!("new") };
        assert_ne!(token.0, [0; 32]);
        assert_eq!(hash, token.hash());
        assert_eq!(check_login(Some(&hash), &token.0), Ok(Login::Returning));
        let mut wrong = token.0;
        wrong[31] ^= 1;
        assert_eq!(check_login(Some(&hash), &wrong), Err(LoginError::WrongToken));
        assert_eq!(check_login(Some(&hash), &[0; 32]), Err(LoginError::WrongToken));
        assert_eq!(check_login(Some(&hash[..31]), &token.0), Err(LoginError::WrongToken), "bad stored row");
    }

    #[test]
    fn tokens_differ_and_are_not_logged() {
        let (a, b) = (SessionToken::generate().unwrap(), SessionToken::generate().unwrap());
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "SessionToken(…)");
    }
}
