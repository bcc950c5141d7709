-- API key secrets are kept encrypted (AES-256-GCM): the column holds `v1:<key id>:<sealed>`,
-- and is renamed so that nothing reads it as a secret by mistake. The service encrypts the
-- rows stored before this, at its next start: SQL has no key to do it with.
ALTER TABLE api_keys RENAME COLUMN secret_key TO sealed_secret;
