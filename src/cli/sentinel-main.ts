// The sentinel's entry file (bin/vigil-sentinel imports the compiled copy; tests and `vigil up` from source run it
// with tsx). It always runs: whatever the file, a symlink to it or a wrapper is called (redis-sentinel, Debian
// alternatives, `node dist/cli/sentinel-main.js`), it starts the sentinel. Code that wants the functions without
// starting a process imports ./sentinel.js instead.
import { sentinelMain } from './sentinel.js';

sentinelMain(process.argv.slice(2));
