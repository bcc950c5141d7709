-- Signatures already accepted, kept until their timestamp is out of the window.
CREATE TABLE used_signatures (
    signature VARCHAR(64) NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    KEY used_signatures_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
