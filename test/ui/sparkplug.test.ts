import * as assert from 'node:assert/strict';
import { SPARKPLUG_EDGE_PLAN } from '../../src/devtools/sparkplugEdgeNode';
import { Workbench } from './workbench';

/**
 * The simulator's Sparkplug B edge node in the real Topics view: "Request Rebirth" from a row
 * (the simulator answers with its births), and the devices' alias-only data shown by metric name.
 */
describe('Sparkplug B rows in the workbench (Chromium)', function () {
  this.timeout(120_000);
  let workbench: Workbench;
  const { group, node, devices } = SPARKPLUG_EDGE_PLAN;

  before(async () => {
    workbench = await Workbench.open();
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await workbench?.close();
  });

  it('requests a rebirth from the edge node\'s row; the device\'s row then shows its metrics by name', async () => {
    const { page } = workbench;
    await page.getByRole('tab', { name: 'MQTT' }).click();
    await page.locator('.pane-header', { hasText: 'Topics' }).waitFor();
    const edge = await workbench.revealTopic(`spBv1.0/${group}/NDATA/${node}`);
    await workbench.contextMenu(edge, 'Request Rebirth');
    // This server build shows no toasts in headless Chromium: the notification is read in the center.
    await workbench.runCommand('Notifications: Show Notifications');
    await page.locator('.notifications-center .notification-list-item', { hasText: `Rebirth requested from edge node ${group}/${node}` }).waitFor({ timeout: 15_000 });
    await workbench.runCommand('Notifications: Hide Notifications');
    // Whether or not the engine saw the first births (the simulator may start before it subscribes), it has the new ones now.
    const pump = await workbench.revealTopic(`spBv1.0/${group}/DDATA/${node}/${devices[0]}`);
    await pump.filter({ hasText: /\{"Pressure":[-\d.]+,"Flow":[-\d.]+,"Speed":-?\d+/ }).waitFor({ timeout: 15_000 });
    // The births carry every metric (the data only what changed), by name too.
    const birth = await workbench.revealTopic(`spBv1.0/${group}/DBIRTH/${node}/${devices[0]}`);
    assert.match((await birth.textContent()) ?? '', /"Running":(true|false)/);
    await workbench.screenshot('sparkplug-dark');
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickInput('Light Modern');
    await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs') ?? false, undefined, { timeout: 10_000 });
    await workbench.screenshot('sparkplug-light');
  });
});
