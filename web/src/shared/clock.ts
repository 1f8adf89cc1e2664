/**
 * The server's time, for countdowns. A client whose clock is off by a minute would show an
 * SLA countdown a minute wrong, so every API response's `Date` header (whole seconds) is
 * compared with the local clock at the middle of the request; the offset is applied only when
 * it is larger than the header's own rounding can explain.
 */
import { ref } from 'vue';

/** Offsets within this are indistinguishable from the `Date` header's whole-second rounding. */
const NOISE_MS = 1_500;

let offsetMs = 0;

/** Notes one response's `Date` header; `sentAt`/`receivedAt` are local `Date.now()` values. */
export function noteServerDate(header: string | null, sentAt: number, receivedAt: number): void {
  if (!header) return;
  const server = Date.parse(header);
  if (Number.isNaN(server)) return;
  // A slow response widens the window; trust only samples from quick ones.
  if (receivedAt - sentAt > 2_000) return;
  // The header is truncated to the second: its true value lies in [server, server + 1000).
  const sample = server + 500 - (sentAt + receivedAt) / 2;
  offsetMs = Math.abs(sample) < NOISE_MS ? 0 : sample;
}

/** Milliseconds since the epoch by the server's clock (as best known). */
export function serverNow(): number {
  return Date.now() + offsetMs;
}

/** The server's time, updated every second while a countdown is on screen. */
export const secondNow = ref(serverNow());

let users = 0;
let timer: ReturnType<typeof setInterval> | null = null;

/** Starts the one-second clock; the returned function stops this use of it. */
export function useSecondClock(): () => void {
  users += 1;
  if (!timer) {
    secondNow.value = serverNow();
    timer = setInterval(() => {
      secondNow.value = serverNow();
    }, 1_000);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    users -= 1;
    if (users === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}
