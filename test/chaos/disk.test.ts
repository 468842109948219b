// Config disk faults (issue 13 part 3, --all tier): a sentinel's config dir on a full private tmpfs, or remounted
// read-only, during a failover. Each runs in its own mount namespace (unshare -m) as well as a network namespace.
import { chaosTests } from './lib/outer.js';

chaosTests(['disk-full', 'config-read-only']);
