//! Private keys for new Origin CA certificates, made ahead on blocking threads.
//!
//! A key takes ~0.1 s of CPU (RSA) and is needed only at the certificate's issue, so it is
//! started as soon as the ACM inventory shows a new certificate is needed. A writing run's
//! read-only look (`RunOptions::look`) already knows that: it starts the keys then and parks them
//! in [`KeyPool`], and the run under the lock takes them from there — so key generation runs
//! beside the lock's calls and the second discovery instead of after them. A key never leaves
//! this process's memory either way; one the run does not take dies with the pool.

use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

use crate::certs::{CertError, KeyType, PrivateKey};

/// A private key being generated on a blocking thread.
pub struct KeyInTheMaking(JoinHandle<Result<PrivateKey, CertError>>);

impl KeyInTheMaking {
    pub fn start(key_type: KeyType) -> Self {
        KeyInTheMaking(tokio::task::spawn_blocking(move || {
            PrivateKey::generate(key_type)
        }))
    }

    pub(crate) async fn ready(self) -> Result<PrivateKey, CertError> {
        self.0.await.expect("key generation does not panic")
    }
}

/// Keys started by a look, per hostname and key type, waiting for the run under the lock.
#[derive(Clone, Default)]
pub struct KeyPool(Arc<Mutex<Vec<(String, KeyType, KeyInTheMaking)>>>);

impl KeyPool {
    /// Starts a key for `hostname` unless one is already parked (a look run twice makes one).
    pub fn prepare(&self, hostname: &str, key_type: KeyType) {
        let mut parked = self.0.lock().expect("key pool");
        if !parked
            .iter()
            .any(|(h, t, _)| h == hostname && *t == key_type)
        {
            parked.push((
                hostname.to_string(),
                key_type,
                KeyInTheMaking::start(key_type),
            ));
        }
    }

    /// The parked key for `hostname`, or one started now.
    pub fn take(&self, hostname: &str, key_type: KeyType) -> KeyInTheMaking {
        let mut parked = self.0.lock().expect("key pool");
        match parked
            .iter()
            .position(|(h, t, _)| h == hostname && *t == key_type)
        {
            Some(i) => parked.swap_remove(i).2,
            None => KeyInTheMaking::start(key_type),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().expect("key pool").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_prepared_key_is_taken_once_per_hostname_and_type() {
        let pool = KeyPool::default();
        pool.prepare("a.example.com", KeyType::EcdsaP256);
        pool.prepare("a.example.com", KeyType::EcdsaP256);
        assert_eq!(pool.len(), 1, "a second look parks no second key");
        // Another type for the same hostname is another key.
        let other = pool.take("a.example.com", KeyType::Rsa2048);
        assert_eq!(pool.len(), 1);
        let parked = pool.take("a.example.com", KeyType::EcdsaP256);
        assert_eq!(pool.len(), 0);
        let (parked, other) = (parked.ready().await.unwrap(), other.ready().await.unwrap());
        assert_eq!(parked.key_type(), KeyType::EcdsaP256);
        assert_eq!(other.key_type(), KeyType::Rsa2048);
        // Nothing parked: a key is started on the spot.
        let fresh = pool.take("b.example.com", KeyType::EcdsaP256);
        assert_eq!(fresh.ready().await.unwrap().key_type(), KeyType::EcdsaP256);
    }
}
