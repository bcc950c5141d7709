"""Limits on logins and sign-ups, counted in memory: failed logins per account and per client
address, sign-ups per client address. Past a limit the answer is 429 with `Retry-After`,
without checking the password, so that a password cannot be guessed faster than the limit."""

import math
import threading
import time


# ANCHOR: attempts
class Attempts:
    """At most `limit` attempts per key (an account, or an address) in a window that opens with
    the key's first attempt. Each is counted under a second name (the address that tried an
    account, the account an address tried), so that a success forgives its own attempts and
    nobody else's. A limit of 0 is no limit."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self.keys: dict[object, tuple[float, dict[object, int]]] = {}

    def wait(self, key: object, now: float) -> int | None:
        """The seconds to wait when `key` is at its limit, else None."""
        self.keys = {k: v for k, v in self.keys.items() if now - v[0] < self.window}
        since, names = self.keys.get(key, (now, {}))
        if self.limit == 0 or sum(names.values()) < self.limit:
            return None
        return max(1, math.ceil(since + self.window - now))

    def add(self, key: object, name: object, now: float) -> None:
        if self.limit:
            names = self.keys.setdefault(key, (now, {}))[1]
            names[name] = names.get(name, 0) + 1

    def forgive(self, key: object, name: object) -> None:
        if key in self.keys:
            self.keys[key][1].pop(name, None)
# ANCHOR_END: attempts


class LoginLimits:
    """The service's three limits, from its settings. Attempts are counted when they start and
    forgiven when they succeed: a thousand guesses sent at once are all counted before the
    first is answered."""

    def __init__(self, settings):
        window = settings.limit_window_secs
        self.by_account = Attempts(settings.login_max_failures_per_account, window)
        self.by_address = Attempts(settings.login_max_failures_per_address, window)
        self.sign_ups = Attempts(settings.register_max_per_address, window)
        self.lock = threading.Lock()  # sync operations run on several threads

    def login(self, account: str, address: str | None) -> int | None:
        """Counts a login attempt; the seconds to wait instead when a limit is reached."""
        now = time.monotonic()
        with self.lock:
            waits = [self.by_account.wait(account, now), self.by_address.wait(address, now)]
            if any(waits):
                return max(wait for wait in waits if wait)
            self.by_account.add(account, address, now)
            self.by_address.add(address, account, now)
            return None

    def logged_in(self, account: str, address: str | None) -> None:
        with self.lock:
            self.by_account.forgive(account, address)
            self.by_address.forgive(address, account)

    def sign_up(self, address: str | None) -> int | None:
        now = time.monotonic()
        with self.lock:
            wait = self.sign_ups.wait(address, now)
            if wait is None:
                self.sign_ups.add(address, None, now)
            return wait
