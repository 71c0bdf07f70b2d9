/**
 * A random request id (a v4 UUID: 36 printable characters, within the protocol's 1-64).
 * `crypto.randomUUID` exists only in secure contexts (https, localhost) in browsers, so a page
 * served over plain http builds the UUID from `getRandomValues`, which exists everywhere.
 */
export function randomRequestId(): string {
  const crypto = (globalThis as { crypto?: Crypto }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  if (typeof crypto?.getRandomValues !== 'function') {
    // Math.random ids could collide, and a collision returns another request's ack.
    throw new TypeError('no Web Crypto in this runtime: pass an explicit { id } to changeStatus');
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
