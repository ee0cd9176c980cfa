/**
 * Deterministic noise addressed by key, not by sequence: the value of (seed, sensor, hour) is the same
 * whichever order the archive writer or the API stand-in asks for it, so both serve identical data.
 */

/** A number in [0, 1) fixed by the seed and the keys (FNV-1a over the keys, then a murmur3 finaliser). */
export function unitNoise(seed: number, ...keys: (string | number)[]): number {
  let h = 0x811c9dc5 ^ seed;
  for (const key of keys) {
    const text = `${key}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}
