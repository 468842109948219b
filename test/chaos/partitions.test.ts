// Network partitions (issue 13 part 3, issue 14): each scenario with Vigil's sentinels and real redis-sentinel.
// Runs inside anonymous network namespaces; see test/chaos/lib/outer.ts for the environment knobs.
import { chaosTests } from './lib/outer.js';

chaosTests(['minority-partition', 'minority-partition-proxy', 'majority-partition', 'one-way-cut', 'flapping-link']);
