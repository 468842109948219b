// The dashboard in real headless Chromium (Debian's /usr/bin/chromium through playwright-core, no browser
// download): `vigil up` serves it and prints its URL in --json; the page shows the master, then, after
// `vigil failover`, the new master and the failover's phases, drawn from the SSE stream. Screenshots go to a
// temp artifacts dir (VIGIL_TEST_ARTIFACTS to choose it; docs/img/dashboard.png is one such shot, committed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { ClusterSummary } from '../../src/cluster/render.js';
import { cleanup, runVigil, startUp, type UpProcess } from './cluster-helpers.js';

// The page's document, for the functions that run inside the browser (this project has no DOM lib).
declare const document: { getElementById(id: string): { textContent: string | null } | null };

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;

void describe('dashboard - vigil up in headless Chromium', { skip, timeout: 240_000 }, () => {
  let up: UpProcess | undefined;
  let s: ClusterSummary;
  let browser: BrowserContext | undefined;
  let profile: string;
  const artifacts = process.env.VIGIL_TEST_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'vigil-artifacts-'));

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
    up = startUp([
      '--json',
      '--impl',
      'vigil',
      '--down-after',
      '3000',
      '--no-proxy',
      '--replicas',
      '2',
      '--sentinels',
      '3',
    ]);
    s = await up.summary();
    // A fresh profile each run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1000, height: 1100 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await cleanup(up);
  });

  void test('dashboard - the page shows the master, then the new master and the phases after vigil failover', async () => {
    assert.ok(s.dashboard, 'vigil up --json has a dashboard key');
    assert.match(s.dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const offsite: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(s.dashboard!.url)) offsite.push(r.url());
    });
    await page.goto(s.dashboard.url);
    await page.waitForFunction((m) => document.getElementById('master-addr')?.textContent === m, s.master, {
      timeout: 20_000,
    });
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live', null, {
      timeout: 10_000,
    });
    await page.screenshot({ path: join(artifacts, 'dashboard-before.png'), fullPage: true });

    const r = runVigil(['failover', '--dir', up!.dir]);
    assert.equal(r.code, 0, r.stderr);
    const newMaster = await page.waitForFunction(
      (old) => {
        const t = document.getElementById('master-addr')?.textContent ?? '';
        return t !== '' && t !== old ? t : null;
      },
      s.master,
      { timeout: 30_000 },
    );
    const addr = (await newMaster.jsonValue()) as string;
    assert.ok(s.replicas.includes(addr), `${addr} is one of the replicas`);
    await page.waitForSelector('.failover[data-result="succeeded"]', { timeout: 30_000 });
    const phases = await page.$$eval('.failover[data-result="succeeded"] [data-phase]', (els) =>
      els.map((e) => e.getAttribute('data-phase')),
    );
    assert.deepEqual(phases, ['election', 'promotion', 'reconfiguration']);
    const events = await page.$$eval('#events li', (els) => els.map((e) => e.textContent ?? ''));
    assert.ok(
      events.some((e) => e.includes('+switch-master')),
      'the event stream shows +switch-master',
    );
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no page errors');
    assert.deepEqual(offsite, [], 'no request leaves the dashboard origin');
    console.log(`screenshots in ${artifacts}`);
  });

  void test('dashboard - vigil status explains why no failover runs, per replica', () => {
    const r = runVigil(['status', '--dir', up!.dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Why no failover: the master answers \(not SDOWN\)/m);
    assert.match(r.stdout, /^Quorum: 3\/3 usable sentinels, quorum 2 reachable, majority reachable$/m);
    assert.match(r.stdout, /^ {2}replica 127\.0\.0\.1:\d+: /m);
    const j = JSON.parse(runVigil(['status', '--dir', up!.dir, '--json']).stdout) as {
      explain: { name: string; replicas: unknown[] } | null;
    };
    assert.equal(j.explain?.name, 'mymaster');
    assert.equal(j.explain.replicas.length, 2);
  });
});
