//! Limits on guessing: failed logins per account and per client address, and sign-ups per
//! client address, counted in memory within a window. Past a limit the answer is **429** with
//! `Retry-After`, before any password is checked, so that passwords cannot be guessed faster
//! than the limit allows, whatever the attacker's bandwidth.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use poem::{FromRequest, Request, RequestBody};

use crate::config::Limits;
use crate::errors::AppError;

// ANCHOR: client
/// The client's address when a layer in front of the service knows it better than the TCP
/// peer does: chapter 16, behind a trusted proxy, puts the address the proxy forwarded here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Who a request counts against: the [`ClientIp`] a layer set, else the TCP peer (`None`
/// when the peer is not an IP socket). An IPv6 client counts by its /64 network: one machine
/// commonly holds a whole /64, and could otherwise try from a new address each time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client(Option<IpAddr>);

impl<'a> FromRequest<'a> for Client {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let ip = match req.data::<ClientIp>() {
            Some(ClientIp(ip)) => Some(*ip),
            None => req.remote_addr().as_socket_addr().map(|addr| addr.ip()),
        };
        Ok(Self(ip.map(|ip| network(ip.to_canonical()))))
    }
}

/// An IPv4 address as it is; an IPv6 address as its /64 network.
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => IpAddr::V6((v6.to_bits() & (u128::MAX << 64)).into()),
    }
}
// ANCHOR_END: client

// ANCHOR: table
/// At most `max` attempts per key (an account, or an address) in a window that opens with
/// the key's first attempt. Each attempt is counted under a second name: the address that
/// tried an account, the account an address tried. A success forgives the attempts of its
/// own name and no other: otherwise an attacker with an account of their own could guess
/// another's password without end, logging in to their own between every few guesses.
#[derive(Debug)]
struct Table<K, N> {
    max: u32,
    keys: HashMap<K, Counts<N>>,
}

#[derive(Debug)]
struct Counts<N> {
    since: Instant,
    per_name: HashMap<N, u32>,
}

impl<K: Eq + Hash + Clone, N: Eq + Hash + Clone> Table<K, N> {
    fn new(max: u32) -> Self {
        Self {
            max,
            keys: HashMap::new(),
        }
    }

    /// How long `key` must wait, if it has used up its attempts in this window.
    fn wait(&self, key: &K, now: Instant, window: Duration) -> Option<Duration> {
        let counts = self.keys.get(key)?;
        let left = window.checked_sub(now.duration_since(counts.since))?;
        let used: u32 = counts.per_name.values().sum();
        (self.max > 0 && used >= self.max).then_some(left)
    }

    fn add(&mut self, key: &K, name: &N, now: Instant, window: Duration) {
        if self.max == 0 {
            return;
        }
        let counts = self.keys.entry(key.clone()).or_insert_with(|| Counts {
            since: now,
            per_name: HashMap::new(),
        });
        if now.duration_since(counts.since) >= window {
            // The last window is over: this attempt opens a new one.
            counts.since = now;
            counts.per_name.clear();
        }
        *counts.per_name.entry(name.clone()).or_default() += 1;
    }

    /// A success: the attempts of `name` on `key` are forgiven, all of them.
    fn forgive(&mut self, key: &K, name: &N) {
        if let Some(counts) = self.keys.get_mut(key) {
            counts.per_name.remove(name);
        }
    }

    /// One attempt of `name` on `key` was not made after all (the password was not checked).
    fn undo(&mut self, key: &K, name: &N) {
        if let Some(count) = self
            .keys
            .get_mut(key)
            .and_then(|counts| counts.per_name.get_mut(name))
        {
            *count = count.saturating_sub(1);
        }
    }

    /// Forgets the windows that are over, so that the table does not grow without end.
    fn purge(&mut self, now: Instant, window: Duration) {
        self.keys
            .retain(|_, counts| now.duration_since(counts.since) < window);
    }
}
// ANCHOR_END: table

// ANCHOR: login_limits
/// The service's limits; cheap to clone (`Data<&LoginLimits>`).
#[derive(Debug, Clone)]
pub struct LoginLimits(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    window: Duration,
    tables: Mutex<Tables>,
}

/// The three tables, under one lock, so that a login is checked against both of its limits
/// and counted in both at once.
#[derive(Debug)]
struct Tables {
    logins_by_account: Table<String, Client>,
    logins_by_address: Table<Client, String>,
    sign_ups_by_address: Table<Client, ()>,
    last_purge: Instant,
}

/// How often the tables are cleared of windows that are over.
const PURGE_EVERY: Duration = Duration::from_secs(10);

impl LoginLimits {
    /// The limits of the settings (`LOGIN_MAX_FAILURES_PER_ACCOUNT`…); 0 switches one off.
    pub fn new(limits: &Limits) -> Self {
        Self(Arc::new(Inner {
            window: limits.window,
            tables: Mutex::new(Tables {
                logins_by_account: Table::new(limits.login_failures_per_account),
                logins_by_address: Table::new(limits.login_failures_per_address),
                sign_ups_by_address: Table::new(limits.sign_ups_per_address),
                last_purge: Instant::now(),
            }),
        }))
    }

    /// Counts a login to `account` from `client`, or refuses it with the time to wait.
    ///
    /// Attempts are counted when they *start*, and forgiven when they succeed: bcrypt takes a
    /// quarter of a second, and a limit that counted failures when they end would let a
    /// thousand guesses sent at once all through.
    pub fn login(&self, client: Client, account: &str) -> Result<Attempt, AppError> {
        let account = account.to_owned();
        self.count(|tables, now, window| {
            let wait = [
                tables.logins_by_account.wait(&account, now, window),
                tables.logins_by_address.wait(&client, now, window),
            ]
            .into_iter()
            .flatten()
            .max();
            if let Some(wait) = wait {
                return Err(AppError::TooManyLoginAttempts {
                    retry_after: seconds(wait),
                });
            }
            tables.logins_by_account.add(&account, &client, now, window);
            tables.logins_by_address.add(&client, &account, now, window);
            Ok(())
        })?;
        Ok(Attempt {
            limits: self.clone(),
            what: What::Login { client, account },
        })
    }

    /// Counts a sign-up from `client`, whatever comes of it, or refuses it.
    pub fn sign_up(&self, client: Client) -> Result<Attempt, AppError> {
        self.count(|tables, now, window| {
            if let Some(wait) = tables.sign_ups_by_address.wait(&client, now, window) {
                return Err(AppError::TooManySignUps {
                    retry_after: seconds(wait),
                });
            }
            tables.sign_ups_by_address.add(&client, &(), now, window);
            Ok(())
        })?;
        Ok(Attempt {
            limits: self.clone(),
            what: What::SignUp { client },
        })
    }

    fn count(
        &self,
        count: impl FnOnce(&mut Tables, Instant, Duration) -> Result<(), AppError>,
    ) -> Result<(), AppError> {
        let now = Instant::now();
        let window = self.0.window;
        let mut tables = self.tables();
        if now.duration_since(tables.last_purge) >= PURGE_EVERY {
            tables.logins_by_account.purge(now, window);
            tables.logins_by_address.purge(now, window);
            tables.sign_ups_by_address.purge(now, window);
            tables.last_purge = now;
        }
        count(&mut tables, now, window)
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        // A panic while the lock was held leaves counts, not broken invariants: go on.
        self.0.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whole seconds, rounded up, and at least 1: what `Retry-After` says.
fn seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// An attempt that was counted. It stays counted, as a failure, unless it
/// [`succeeded`](Attempt::succeeded) or was [`not made`](Attempt::not_made) after all.
#[derive(Debug)]
#[must_use = "a login attempt is a failure unless it is said to have succeeded"]
pub struct Attempt {
    limits: LoginLimits,
    what: What,
}

#[derive(Debug)]
enum What {
    Login { client: Client, account: String },
    SignUp { client: Client },
}

impl Attempt {
    /// The password was right: this client's attempts on this account are forgiven (not
    /// another account's, not another client's). A sign-up stays counted.
    pub fn succeeded(self) {
        if let What::Login { client, account } = &self.what {
            let mut tables = self.limits.tables();
            tables.logins_by_account.forgive(account, client);
            tables.logins_by_address.forgive(client, account);
        }
    }

    /// The password was never checked (the server was too busy): the attempt is taken back.
    pub fn not_made(self) {
        let mut tables = self.limits.tables();
        match &self.what {
            What::Login { client, account } => {
                tables.logins_by_account.undo(account, client);
                tables.logins_by_address.undo(client, account);
            }
            What::SignUp { client } => tables.sign_ups_by_address.undo(client, &()),
        }
    }
}
// ANCHOR_END: login_limits

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_account: u32, per_address: u32, sign_ups: u32) -> LoginLimits {
        LoginLimits::new(&Limits {
            login_failures_per_account: per_account,
            login_failures_per_address: per_address,
            sign_ups_per_address: sign_ups,
            window: Duration::from_secs(900),
            ..Limits::default()
        })
    }

    fn client(last: u8) -> Client {
        Client(Some(IpAddr::from([10, 0, 0, last])))
    }

    fn refused(result: Result<Attempt, AppError>) -> u64 {
        match result {
            Err(AppError::TooManyLoginAttempts { retry_after })
            | Err(AppError::TooManySignUps { retry_after }) => retry_after,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_account_is_limited_whatever_address_the_guesses_come_from() {
        let limits = limits(3, 100, 0);
        for last in 1..=3 {
            drop(limits.login(client(last), "ryan@example.com").unwrap());
        }
        let retry_after = refused(limits.login(client(4), "ryan@example.com"));
        assert!((899..=900).contains(&retry_after), "{retry_after}");
        limits
            .login(client(4), "other@example.com")
            .unwrap()
            .succeeded();
    }

    #[test]
    fn an_address_is_limited_whatever_account_it_tries() {
        let limits = limits(100, 2, 0);
        drop(limits.login(client(1), "a@example.com").unwrap());
        drop(limits.login(client(1), "b@example.com").unwrap());
        refused(limits.login(client(1), "c@example.com"));
        limits
            .login(client(2), "c@example.com")
            .unwrap()
            .succeeded();
    }

    #[test]
    fn a_success_forgives_its_own_failures_and_no_one_elses() {
        let limits = limits(100, 3, 0);
        drop(limits.login(client(1), "victim@example.com").unwrap());
        drop(limits.login(client(1), "victim@example.com").unwrap());
        limits
            .login(client(1), "mine@example.com")
            .unwrap()
            .succeeded();
        drop(limits.login(client(1), "victim@example.com").unwrap());
        refused(limits.login(client(1), "victim@example.com"));
    }

    #[test]
    fn an_attempt_not_made_is_taken_back() {
        let limits = limits(1, 100, 1);
        limits.login(client(1), "a@example.com").unwrap().not_made();
        drop(limits.login(client(1), "a@example.com").unwrap());
        refused(limits.login(client(1), "a@example.com"));
        limits.sign_up(client(1)).unwrap().not_made();
        limits.sign_up(client(1)).unwrap().succeeded();
        refused(limits.sign_up(client(1)));
        limits.sign_up(client(2)).unwrap().succeeded();
    }

    #[test]
    fn zero_switches_a_limit_off() {
        let limits = limits(0, 0, 0);
        for _ in 0..1000 {
            drop(limits.login(client(1), "a@example.com").unwrap());
            limits.sign_up(client(1)).unwrap().succeeded();
        }
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(c));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(network(v4), v4);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(network(mapped.to_canonical()), v4);
    }
}
