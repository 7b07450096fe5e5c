/*
 * Copyright 2026 The Kiln Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 * except in compliance with the License. You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the
 * License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
 * either express or implied. See the License for the specific language governing permissions
 * and limitations under the License.
 */

// Screenshots of metrics in Flink's web UI, taken with headless Chromium as a user would see them:
// the job's page, one vertex selected, its Metrics tab, the metrics added through "Add Metric".
//
//   node screenshot.mjs spec.json
//
// spec.json (written by WebUiScreenshotE2ETest):
//   { "base": "http://localhost:8081", "jobId": "…", "chromium": "/usr/bin/chromium",
//     "width": 1400, "height": 1000, "observeSeconds": 30,
//     "shots": [ { "vertex": "<vertex id>", "file": "/abs/path.png", "fullWidth": true,
//                  "panelHeight": 600,
//                  "metrics": [ { "id": "0.kiln_lookup.kiln.lookups", "view": "chart" },
//                               { "id": "0.kiln_lookup.kiln.coldReads", "view": "numeric" } ] } ] }
//
// Every metric must be offered by the UI's "Add Metric" list, or the script fails (exit 1) naming
// it and what the list offered. Exit 0: every file written.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const timeout = 60_000;

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-webui-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: spec.chromium,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: spec.width, height: spec.height },
});
try {
  for (const shot of spec.shots) {
    // A page of its own: the UI keeps the drawer's width and the metrics added per page.
    const page = await context.newPage();
    page.setDefaultTimeout(timeout);
    await takeShot(page, shot);
    await page.close();
    console.log(`screenshot ${shot.file}`);
  }
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

async function takeShot(page, shot) {
  // The job's page with the vertex selected and its Metrics tab open (the UI's own route).
  await page.goto(`${spec.base}/#/job/running/${spec.jobId}/overview/${shot.vertex}/metrics`);
  const select = page.locator('flink-job-overview-drawer-chart .metric-selector nz-select');
  await select.waitFor();
  // The one change to the UI's looks: a card's title wraps instead of being cut with an
  // ellipsis, so that long operator names (the sink's) leave the metric's name legible.
  await page.addStyleTag({
    content:
      'flink-job-chart .title .text { white-space: normal !important; word-break: break-all; }',
  });
  // Fold the navigation menu: room for the job graph and the metrics side by side.
  const fold = page.locator('nz-header i.trigger.anticon-menu-fold');
  if (await fold.isVisible()) {
    await fold.click();
  }
  const full = page.locator('a.handler.full');
  if (shot.fullWidth && (await full.isVisible())) {
    await full.click();
  }
  // Drag the splitter between the graph (with the metrics) and the list of vertices down, so
  // that the metrics have panelHeight pixels; the screenshot ends at the splitter.
  const splitter = page.locator('flink-resize .resize.horizontal .resize-handle');
  const from = await splitter.boundingBox();
  const panel = await page.locator('flink-job-overview-drawer').boundingBox();
  const to = panel.y + shot.panelHeight;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2, to, { steps: 10 });
  await page.mouse.up();
  for (const metric of shot.metrics) {
    await select.click();
    await select.locator('input').fill(metric.id);
    const option = page.locator('nz-option-item', { hasText: metric.id });
    try {
      await option.first().waitFor({ timeout: 15_000 });
    } catch (e) {
      const offered = await page.locator('nz-option-item').allTextContents();
      throw new Error(`Add Metric offers no ${metric.id}; it offers: ${offered.join(', ')}`);
    }
    // hasText matches substrings ("0.k…" is in "10.k…"): click the exact one.
    const count = await option.count();
    let clicked = false;
    for (let i = 0; i < count && !clicked; i++) {
      if ((await option.nth(i).textContent()).trim() === metric.id) {
        await option.nth(i).click();
        clicked = true;
      }
    }
    if (!clicked) {
      throw new Error(`Add Metric offers no exact ${metric.id}`);
    }
    const card = page.locator('flink-job-chart', {
      has: page.locator(`.title .text[title="${metric.id}"]`),
    });
    await card.waitFor();
    if (metric.view === 'numeric') {
      await card.getByRole('button', { name: 'Numeric' }).click();
    }
  }
  // The charts plot what the UI fetches while the page is open (every few seconds): let them
  // gather a curve, as a user watching the page sees it. Not a synchronisation.
  await page.waitForTimeout(spec.observeSeconds * 1000);
  await page.mouse.move(0, 0);
  // Adding a card scrolls the metrics to it: back to the first row.
  await page.locator('flink-job-overview-drawer-chart').evaluate((element) => {
    for (let e = element; e; e = e.parentElement) {
      e.scrollTop = 0;
    }
  });
  const bottom = (await splitter.boundingBox()).y;
  await page.screenshot({
    path: shot.file,
    clip: { x: 0, y: 0, width: spec.width, height: Math.min(spec.height, bottom) },
  });
}
