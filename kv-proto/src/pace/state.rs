//! The pacer's inner state: its configuration, the windows it keeps to, and what the server
//! said (announced policies, the remaining count, how fast others spend).

use std::time::{Duration, Instant};

use super::*;

/// At most `requests` slots in any half-open interval of length `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    pub(super) requests: u32,
    pub(super) per: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Config {
    pub(super) requests: u32,
    pub(super) per: Duration,
    /// `< requests`.
    pub(super) margin: u32,
    /// `≥ 1` when set.
    pub(super) per_second: Option<u32>,
    /// Server-driven ([`Pacer::server_driven`]): `requests` per `per` is not a limit in force;
    /// `requests - margin` only sizes the log ([`Config::capacity`]) and `per` is the window
    /// assumed for a limit the server announces without one.
    pub(super) driven: bool,
}

impl Config {
    pub(super) fn new(requests: u32, per: Duration) -> Result<Config, Error> {
        if requests == 0 {
            return Err(Error::invalid_input(
                Limit::Config,
                "pacer: the number of requests per window must be at least 1",
            ));
        }
        if per.is_zero() {
            return Err(Error::invalid_input(
                Limit::Config,
                "pacer: the window must be longer than zero",
            ));
        }
        Ok(Config {
            requests,
            per,
            margin: margin_for(requests),
            per_second: None,
            driven: false,
        })
    }

    /// Requests planned per window: `requests - margin ≥ 1`.
    pub(super) fn budget(&self) -> u32 {
        self.requests.saturating_sub(self.margin).max(1)
    }

    /// The most slots any window needs to see: `max(budget, per-second cap) ≥ 1`.
    pub(super) fn capacity(&self) -> u32 {
        self.budget().max(self.per_second.unwrap_or(0))
    }

    /// The longest of the configured windows in force (zero for a server-driven pacer
    /// without a per-second cap).
    pub(super) fn longest(&self) -> Duration {
        let own = if self.driven {
            Duration::ZERO
        } else {
            self.per
        };
        match self.per_second {
            Some(_) => own.max(Duration::from_secs(1)),
            None => own,
        }
    }

    /// A server-announced `q` per `per` as a window the log can check (see the proof).
    pub(super) fn server_window(&self, q: u32, per: Duration) -> Window {
        let n = q.saturating_sub(margin_for(q)).max(1);
        let cap = self.capacity();
        if n <= cap {
            return Window { requests: n, per };
        }
        let k = u128::from(n / cap);
        Window {
            requests: cap,
            per: nanos_to_duration(per.as_nanos().div_ceil(k)),
        }
    }
}

/// What the server announced, as far as it is still in force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Server {
    /// Limits from the latest response that announced any (`q` per `w`, both ≥ 1).
    pub(super) policies: [Option<Window>; MAX_POLICIES],
    /// The latest `remaining` count, until its reset.
    pub(super) remaining: Option<Remaining>,
    /// How fast others spent the same budget, as last measured.
    pub(super) others: Option<Rate>,
}

/// `spent` requests `over` a time (`> 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rate {
    pub(super) spent: u32,
    pub(super) over: Duration,
}

impl Rate {
    pub(super) fn faster_than(&self, other: Rate) -> bool {
        u128::from(self.spent) * other.over.as_nanos()
            > u128::from(other.spent) * self.over.as_nanos()
    }
}

/// "`usable` more requests until `since + horizon`", booked against as slots are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Remaining {
    pub(super) since: Instant,
    /// The server's count, as sent (at most the limit).
    pub(super) count: u32,
    /// The server's remaining count less the margin and the share expected to be spent by
    /// others.
    pub(super) usable: u32,
    /// How many of `usable` may go at once; the rest are spread until the reset.
    pub(super) free: u32,
    pub(super) horizon: Duration,
    /// Slots booked at or after `since`, including those already booked for later.
    pub(super) booked: u32,
}

impl Remaining {
    pub(super) fn reset(&self) -> Option<Instant> {
        self.since.checked_add(self.horizon)
    }

    /// The earliest time for the next slot (`None`: not representable).
    pub(super) fn floor(&self) -> Option<Instant> {
        let k = self.booked;
        if k < self.free {
            return Some(self.since);
        }
        if k < self.usable {
            // The j-th of the s spread requests goes (j + 1) / (s + 1) of the way to the reset.
            let spread = u128::from(self.usable - self.free);
            let j = u128::from(k - self.free);
            let offset = nanos_to_duration(self.horizon.as_nanos() * (j + 1) / (spread + 1));
            return self.since.checked_add(offset);
        }
        self.reset()
    }
}
