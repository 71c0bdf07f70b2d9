import type { Duplex } from 'node:stream';

/** Sockets holding their writes until the end of the current tick. */
const held = new Set<Duplex>();

/**
 * Holds a socket's writes until the end of the current tick, so the frames one tick sends to
 * one client (the changes of a burst of bus messages, each to every supervisor) leave in one
 * write instead of one system call each. ws corks around each frame itself; this is the
 * outer cork, released once the tick's work is done.
 */
export function holdWritesUntilTickEnd(socket: Duplex): void {
  if (held.has(socket)) return;
  if (held.size === 0) process.nextTick(release);
  socket.cork();
  held.add(socket);
}

function release(): void {
  for (const socket of held) socket.uncork();
  held.clear();
}
