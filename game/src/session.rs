//! Login tokens: the first login of a name stores the SHA-256 of its session token, which the
//! client chose (a non-zero Hello token) or the server drew at random (a zero one); later logins
//! must present the token, compared in constant time. A client that chooses its token can retry
//! a first login that was cut before Welcome and get the same character.

use sha2::{Digest, Sha256};
use std::fmt;

pub use net::protocol::{SessionToken, TOKEN_LEN};

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
    /// A new character: store `hash`, send `token` in Welcome (the presented token, or a fresh
    /// one when none was presented).
    New { token: SessionToken, hash: [u8; 32] },
    /// A returning character whose token matched.
    Returning,
}

/// The SHA-256 the store keeps instead of the token.
pub fn token_hash(token: &SessionToken) -> [u8; 32] {
    Sha256::digest(token.0).into()
}

/// A fresh server-chosen token (for a client that presented none).
fn server_token() -> Result<SessionToken, LoginError> {
    SessionToken::random().map_err(|e| LoginError::NoRandomness(e.to_string()))
}

/// Decides a login: `stored_hash` is the player's stored token hash (`None` for a name never
/// seen); `presented` is the token from Hello.
pub fn check_login(stored_hash: Option<&[u8]>, presented: &[u8; TOKEN_LEN]) -> Result<Login, LoginError> {
    match stored_hash {
        None => {
            let token = if *presented == [0; TOKEN_LEN] { server_token()? } else { SessionToken(*presented) };
            let hash = token_hash(&token);
            Ok(Login::New { token, hash })
        }
        Some(stored)
            if *presented != [0; TOKEN_LEN] && same(stored, &token_hash(&SessionToken(*presented))) =>
        {
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
        let hex: String = token_hash(&SessionToken([0; 32])).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    #[test]
    fn first_login_issues_a_token_that_later_logins_must_present() {
        let Login::New { token, hash } = check_login(None, &[0; 32]).unwrap() else { panic!("new") };
        assert_ne!(token.0, [0; 32]);
        assert_eq!(hash, token_hash(&token));
        assert_eq!(check_login(Some(&hash), &token.0), Ok(Login::Returning));
        let mut wrong = token.0;
        wrong[31] ^= 1;
        assert_eq!(check_login(Some(&hash), &wrong), Err(LoginError::WrongToken));
        assert_eq!(check_login(Some(&hash), &[0; 32]), Err(LoginError::WrongToken));
        assert_eq!(check_login(Some(&hash[..31]), &token.0), Err(LoginError::WrongToken), "bad stored row");
    }

    #[test]
    fn a_new_name_keeps_the_token_its_client_chose() {
        let chosen = [7u8; 32];
        let Login::New { token, hash } = check_login(None, &chosen).unwrap() else { panic!("new") };
        assert_eq!((token.0, hash), (chosen, token_hash(&SessionToken(chosen))));
        assert_eq!(check_login(Some(&hash), &chosen), Ok(Login::Returning), "a retry is the same character");
    }

    #[test]
    fn tokens_differ_and_are_not_logged() {
        let (a, b) = (server_token().unwrap(), server_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "SessionToken(…)");
    }
}
