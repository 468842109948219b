// Node options a sentinel runs with, wherever it is started from (`vigil up`, the test harness; bin/vigil-sentinel
// carries the same list in its `#!/usr/bin/env -S node ...` line, which cannot import this).
// A sentinel allocates little per second and holds ~12 MB of JavaScript objects at 200 masters; what it costs in
// RSS is mostly V8's reserve. --max-semi-space-size=1 (a 1 MB young generation instead of 16 MB) took most of RSS
// at 200 masters from ~95 MB to ~70 MB. --v8-pool-size=1 (one V8 background thread instead of four) saves ~2 MB.
// --optimize-for-size was here too and cost ~20 % of the sentinel's CPU at 200 masters for ~3-5 MB of RSS
// (bench/scale --impl vigil, sequential runs: 4.70 and 4.66 % with it, 3.71-3.95 % in four runs without; see
// docs/benchmarks.md, "Profile"): dropped.
export const SENTINEL_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--v8-pool-size=1'];
