-- Chapter 12's items: each belongs to a user, and goes when its owner goes. MEDIUMTEXT holds
-- up to 16 MiB; TEXT stops at 64 KiB.
--
-- The index is named here (chapter 12 let MySQL make one for the foreign key): an index that
-- MySQL makes by itself may be dropped silently when another can serve the key, and a
-- migration that drops or replaces it (exercise 1) must know its name.
CREATE TABLE items (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    title MEDIUMTEXT NOT NULL,
    description MEDIUMTEXT,
    owner_id BIGINT NOT NULL,
    INDEX items_owner_id (owner_id),
    FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
