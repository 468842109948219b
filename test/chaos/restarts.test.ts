// Sentinel restarts (issue 13 part 3): a voter restarted right after its vote (the durable-vote window), two
// sentinels restarted at once; plus the --all tier's leader kills at each failover state.
import { chaosTests } from './lib/outer.js';

chaosTests([
  'restart-voter-mid-failover',
  'restart-two-sentinels',
  'kill-leader-select-slave',
  'kill-leader-send-slaveof-noone',
  'kill-leader-wait-promotion',
  'kill-leader-reconf-slaves',
]);
