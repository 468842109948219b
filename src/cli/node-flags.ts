// Node options a sentinel runs with, wherever it is started from (`vigil up`, the test harness; bin/vigil-sentinel
// carries the same list in its `#!/usr/bin/env -S node ...` line, which cannot import this).
// A sentinel allocates little per second and holds ~12 MB of JavaScript objects at 200 masters; what it costs in
// RSS is mostly V8's reserve. --max-semi-space-size=1 (a 1 MB young generation instead of 16 MB) and
// --optimize-for-size (V8 trades some speed for memory) took RSS at 200 masters from ~95 MB to ~65 MB with CPU
// within this machine's noise (bench/scale, docs/benchmarks.md).
export const SENTINEL_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--optimize-for-size'];
