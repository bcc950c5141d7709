-- Signatures already accepted, kept until their timestamp is out of the window.
CREATE TABLE used_signatures (
    signature TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_signatures_expires_at ON used_signatures (expires_at);
