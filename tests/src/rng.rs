//! Seeded randomness for the data that checks invent (names, paths, numbers).
//!
//! A run prints its seed; `--seed` repeats it exactly. Each check draws from its own stream,
//! derived from the seed and the check's id, so adding a check does not change the data of
//! the others.

/// A small, fast, seedable generator (SplitMix64). Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The stream of one check: the run's seed mixed with the check's id.
    pub fn for_check(seed: u64, id: &str) -> Self {
        // FNV-1a of the id, so that the stream depends only on the seed and the id.
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        Self(seed ^ hash)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = high.abs_diff(low).saturating_add(1);
        low.wrapping_add((self.next_u64() % span) as i64)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// A lower-case word that reads well in a URL or a user name, such as `tokavi`.
    pub fn word(&mut self) -> String {
        const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
        const VOWELS: &[u8] = b"aeiou";
        let syllables = self.between(2, 4);
        (0..syllables)
            .flat_map(|_| [*self.pick(CONSONANTS) as char, *self.pick(VOWELS) as char])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_words() {
        let a: Vec<_> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.word()
            })
            .collect();
        let b: Vec<_> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.word()
            })
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn checks_get_different_streams() {
        assert_ne!(
            Rng::for_check(1, "01.a").next_u64(),
            Rng::for_check(1, "01.b").next_u64()
        );
    }

    #[test]
    fn between_stays_in_bounds() {
        let mut rng = Rng::new(3);
        for _ in 0..1000 {
            let n = rng.between(-2, 2);
            assert!((-2..=2).contains(&n));
        }
    }
}
