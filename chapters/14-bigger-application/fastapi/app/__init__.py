"""Chapter 14's service: accounts with JWTs, API keys, and a service API whose requests are
signed with HMAC-SHA256 and cannot be replayed."""
