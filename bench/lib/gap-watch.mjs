/**
 * Preload for the cloud child (`LOA_BENCH_CLOUD_NODE_FLAGS="--import ./bench/lib/gap-watch.mjs"`): prints
 * every stretch over LOA_BENCH_GAP_MS (default 150 ms) in which the event loop did not turn, with the wall
 * time and the monotonic span in µs (the clock of `--cpu-prof`'s samples, to read the profile of just that
 * stretch). monitorEventLoopDelay gives the distribution; this says when each long block happened.
 */
const limitMs = Number(process.env.LOA_BENCH_GAP_MS ?? 150);
let last = process.hrtime.bigint();
setInterval(() => {
  const now = process.hrtime.bigint();
  const gapMs = Number(now - last) / 1e6;
  if (gapMs > limitMs) process.stderr.write(`[gap] ${new Date().toISOString().slice(11, 23)} blocked ~${gapMs.toFixed(0)} ms us=${last / 1000n}-${now / 1000n}\n`);
  last = now;
}, 5).unref();
