/**
 * A small seeded PRNG (mulberry32) for the generated corpora of the differential tests, so a run
 * can be repeated exactly from its printed seed. Not for anything security-related.
 */

/**
 * @param seed a 32-bit integer, or a printable seed hashed to one (FNV-1a)
 * @returns a function giving the next number in [0, 1)
 */
export function seededRandom(seed: number | string): () => number {
    let a = (typeof seed === "number" ? seed : seedNumber(seed)) >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A printable seed → a 32-bit number (FNV-1a over its UTF-16 code units). */
export function seedNumber(seed: string): number {
    let h = 2166136261;
    for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    return h >>> 0;
}
