// The deployment artifacts, checked as far as this machine allows (docs/deploy.md lists the commands):
// - `npm pack` → the tarball installed with its runtime dependencies into a temp directory → `vigil --help` and
//   `vigil-sentinel --version` run. Offline, without the registry: `npm install <tgz>` needs the dependencies' full
//   registry metadata (npm 11 always asks for it), which `npm ci` does not cache, so a fresh machine fails with
//   ENOTCACHED. The test writes a lockfile instead — the tarball plus the repository lock's non-dev entries, whose
//   tarballs `npm ci` cached — and runs `npm ci --offline`, which installs from the cache by integrity;
// - the systemd units pass `systemd-analyze verify` with no message (ExecStart pointed at the installed binaries)
//   and `systemd-analyze security --offline=yes` rates them at most 2.0;
// - the container entrypoint (the Containerfile itself needs an engine, absent here) starts a sentinel from a
//   read-only sentinel.conf with a state file and an announced hostname;
// - the Kubernetes manifests parse as YAML and hold together: a redis + sentinel StatefulSet announcing hostnames,
//   a read-only sentinel.conf our parser accepts, its state file on the mounted volume, the proxy Deployment's
//   config accepted by the proxy's own parser, and the redis start script passes `sh -n`.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, freePort, hasBinary, waitFor } from '../harness/index.js';
import { call } from './sentinel-helpers.js';
import { parseConfig } from '../../src/config/index.js';
import { parseProxyArgs } from '../../src/cli/proxy.js';

const work = mkdtempSync(join(tmpdir(), 'vigil-deploy-'));
const inst = join(work, 'inst');
/** Where the installed `vigil` and `vigil-sentinel` commands are. */
const bin = join(inst, 'node_modules/.bin');

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  [k: string]: unknown;
}

/** A project in `inst` whose only dependency is the tarball, locked to the repository's own dependency versions. */
function writeInstallProject(tgz: string): void {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
    bin?: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const root = { name: 'vigil-install-check', version: '0.0.0', dependencies: { vigil: `file:${tgz}` } };
  const packages: Record<string, unknown> = {
    '': root,
    'node_modules/vigil': {
      version: pkg.version,
      resolved: `file:${tgz}`,
      dependencies: pkg.dependencies ?? {},
      bin: pkg.bin ?? {},
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/') && !entry.dev && !entry.link) packages[path] = entry;
  }
  mkdirSync(inst, { recursive: true });
  writeFileSync(join(inst, 'package.json'), JSON.stringify(root, null, 2));
  writeFileSync(
    join(inst, 'package-lock.json'),
    JSON.stringify({ name: root.name, version: root.version, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000, env });

void describe('deploy - artifacts', { timeout: 600_000 }, () => {
  const pids: number[] = [];
  after(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  void test('deploy - npm pack, install the tarball with its dependencies offline: vigil --help, vigil-sentinel --version', () => {
    const build = run('npm', ['run', '-s', 'build']);
    assert.equal(build.status, 0, build.stderr);
    const pack = run('npm', ['pack', '--ignore-scripts', '--pack-destination', work]);
    assert.equal(pack.status, 0, pack.stderr);
    const tgz = readdirSync(work).find((f) => /^vigil-.*\.tgz$/.test(f));
    assert.ok(tgz, `a tarball in ${work}: ${pack.stdout}`);
    writeInstallProject(join(work, tgz));
    const ci = spawnSync('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: inst,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(ci.status, 0, ci.stderr);
    const help = run(join(bin, 'vigil'), ['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /vigil up/);
    const version = run(join(bin, 'vigil-sentinel'), ['--version']);
    assert.equal(version.status, 0, version.stderr);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.match(version.stdout, new RegExp(`^Vigil sentinel v=${pkg.version.replace(/\./g, '\\.')} `));
  });

  for (const unit of ['vigil-sentinel.service', 'vigil-proxy.service']) {
    void test(`deploy - systemd-analyze verify and security: ${unit}`, { skip: !hasBinary('systemd-analyze') }, () => {
      const text = readFileSync(join(REPO_ROOT, 'deploy/systemd', unit), 'utf8').replaceAll(
        '/usr/local/bin/',
        `${bin}/`,
      );
      const path = join(work, unit);
      writeFileSync(path, text);
      const verify = run('systemd-analyze', ['verify', path]);
      assert.equal(verify.status, 0, verify.stderr);
      assert.equal(`${verify.stdout}${verify.stderr}`.trim(), '', 'no warnings');
      const sec = run('systemd-analyze', ['security', '--offline=yes', path]);
      const m = /Overall exposure level for .*: (\d+\.\d+)/.exec(sec.stdout);
      assert.ok(m, sec.stdout + sec.stderr);
      assert.ok(Number(m[1]) <= 2.0, `exposure ${m[1]}`);
      for (const key of ['ProtectSystem=strict', 'NoNewPrivileges=yes', 'PrivateTmp=yes', 'ReadWritePaths=']) {
        assert.ok(text.includes(key), key);
      }
    });
  }

  void test('deploy - container entrypoint: version, and a sentinel from a read-only conf with a state file', async () => {
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    const entry = join(REPO_ROOT, 'deploy/container/entrypoint.sh');
    const v = run('sh', [entry, 'sentinel', '--version'], env);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^Vigil sentinel v=/);
    const dir = join(work, 'entry');
    rmSync(dir, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', join(dir, 'data')]);
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      `port ${port}\nbind 127.0.0.1\nsentinel state-config-file ${join(dir, 'data/state.conf')}\nsentinel monitor m 127.0.0.1 1 1\n`,
    );
    chmodSync(conf, 0o444);
    const child = spawn('sh', [entry, 'sentinel'], {
      cwd: join(dir, 'data'),
      env: { ...env, VIGIL_SENTINEL_CONF: conf, VIGIL_ANNOUNCE_HOSTNAME: 'sentinel-0.example' },
      stdio: 'ignore',
    });
    child.on('error', () => {});
    if (child.pid) pids.push(child.pid);
    await waitFor(
      () =>
        call(port, 'PING').then(
          (r) => r === 'PONG',
          () => false,
        ),
      {
        name: 'sentinel started by the entrypoint',
        timeoutMs: 20_000,
      },
    );
    assert.deepEqual(await call(port, 'SENTINEL', 'CONFIG', 'GET', 'announce-ip'), [
      'announce-ip',
      'sentinel-0.example',
    ]);
    await waitFor(() => readFileSync(join(dir, 'data/state.conf'), 'utf8').includes('sentinel myid '), {
      name: 'state file written',
      timeoutMs: 10_000,
    });
    child.kill('SIGTERM');
  });

  void test('deploy - Kubernetes manifests: YAML and structure', async () => {
    // js-yaml is in node_modules (through eslint), untyped: loaded by a computed name.
    const spec = 'js-yaml';
    const yaml = (await import(spec)) as { loadAll(s: string): unknown[] };
    type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const docs: Obj[] = [];
    for (const f of ['configmap.yaml', 'statefulset.yaml', 'proxy.yaml']) {
      for (const d of yaml.loadAll(readFileSync(join(REPO_ROOT, 'deploy/kubernetes', f), 'utf8'))) docs.push(d as Obj);
    }
    const find = (kind: string, name: string): Obj => {
      const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
      assert.ok(d, `${kind}/${name}`);
      return d;
    };
    const cm = find('ConfigMap', 'vigil').data as Record<string, string>;
    const sts = find('StatefulSet', 'redis');
    const svc = find('Service', 'redis');
    const dep = find('Deployment', 'vigil-proxy');
    find('Service', 'vigil-proxy');
    assert.equal(svc.spec.clusterIP, 'None', 'headless service for stable pod names');
    assert.equal(sts.spec.serviceName, 'redis');

    // sentinel.conf: accepted by our parser, announces hostnames, keeps state on a volume the sentinel mounts.
    const sconf = parseConfig(cm['sentinel.conf'] ?? '').config;
    assert.equal(sconf.sentinel.announceHostnames, true);
    assert.equal(sconf.sentinel.resolveHostnames, true);
    assert.equal(sconf.masters[0]?.host, 'redis-0.redis.vigil.svc.cluster.local');
    const containers = sts.spec.template.spec.containers as Obj[];
    const sentinel = containers.find((c) => c.name === 'sentinel');
    const redis = containers.find((c) => c.name === 'redis');
    assert.ok(sentinel && redis, 'redis and sentinel containers');
    const mount = (c: Obj, path: string): Obj | undefined =>
      (c.volumeMounts as Obj[]).find((m) => m.mountPath === path);
    const state = sconf.sentinel.stateConfigFile ?? '';
    assert.ok(state.startsWith('/data/') && mount(sentinel, '/data')?.name === 'data', 'state file on the data volume');
    assert.equal(mount(sentinel, '/etc/vigil')?.readOnly, true, 'sentinel.conf mounted read-only');
    assert.deepEqual(sentinel.args, ['sentinel']);
    assert.ok((sentinel.env as Obj[]).some((e) => e.name === 'VIGIL_ANNOUNCE_HOSTNAME'));
    assert.ok((sts.spec.volumeClaimTemplates as Obj[]).some((v) => v.metadata.name === 'data'));
    // The redis start script is valid sh and is what the redis container runs.
    const script = join(work, 'redis-start.sh');
    writeFileSync(script, cm['redis-start.sh'] ?? '');
    assert.equal(run('sh', ['-n', script]).status, 0);
    assert.deepEqual(redis.command, ['sh', '/etc/vigil/redis-start.sh']);

    // The proxy: its config from the ConfigMap is accepted by the proxy's parser.
    const proxy = (dep.spec.template.spec.containers as Obj[])[0] as Obj;
    assert.deepEqual(proxy.args, ['proxy', '--config', '/etc/vigil/proxy.json']);
    const pj = join(work, 'proxy.json');
    writeFileSync(pj, cm['proxy.json'] ?? '');
    const opts = parseProxyArgs(['--config', pj]) as unknown as Obj;
    assert.ok(JSON.stringify(opts).includes('mymaster'));
  });
});
