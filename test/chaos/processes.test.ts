// Process faults (issue 13 part 3): SIGKILL / SIGSTOP of the failover leader, SIGSTOP of the master, sentinel
// restarts mid-failover and two at once, the empty-master reboot of issue 14.
import { chaosTests } from './lib/outer.js';

chaosTests([
  'kill-leader-elected',
  'leader-crash-after-election',
  'leader-crash-after-promotion',
  'sigstop-leader',
  'sigstop-master',
  'empty-master-reboot',
]);
