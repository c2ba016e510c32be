import * as assert from 'node:assert/strict';
import mqtt from 'mqtt';
import type { Frame } from 'playwright-core';
import { Mosquitto } from '../helpers/mosquitto';
import { waitUntil } from '../helpers/waitFor';
import { exactly, Workbench } from './workbench';

/**
 * Script-injection attempts: each would set `window.__pwned` (or add an element) if the page ever
 * treated broker data as markup. None contains `+` or `#`, so each is also a valid topic level.
 */
const ATTACKS = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '<svg onload="window.__pwned=1"></svg>',
  '<iframe src="javascript:window.__pwned=1"></iframe>',
  '"><script>window.__pwned=1</script>',
  "'><img src=x onerror=window.__pwned=1>",
  '<a href="javascript:window.__pwned=1">click</a>',
  '<body onload=window.__pwned=1>',
  '<details open ontoggle=window.__pwned=1>',
  '<input autofocus onfocus=window.__pwned=1>',
  '<video><source onerror=window.__pwned=1></video>',
  '<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1>',
  '<style>@import "javascript:window.__pwned=1"</style>',
  '<link rel=stylesheet href=javascript:window.__pwned=1>',
  '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
  '<object data="javascript:window.__pwned=1"></object>',
  '<embed src="javascript:window.__pwned=1">',
  '<base href="javascript:window.__pwned=1//">',
  '<template><script>window.__pwned=1</script></template>',
  '<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>">',
  '${window.__pwned=1}',
  '{{constructor.constructor("window.__pwned=1")()}}',
  'javascript:window.__pwned=1',
  '<scr<script>ipt>window.__pwned=1</scr</script>ipt>',
  '&lt;script&gt;window.__pwned=1&lt;/script&gt;',
  '<vscode-button onclick=window.__pwned=1>x</vscode-button>',
  '<form action=javascript:window.__pwned=1><button>x</button></form>',
  '<div style="background:url(javascript:window.__pwned=1)">x</div>',
  '<marquee onstart=window.__pwned=1>x</marquee>',
  '<!--<img src="--><img src=x onerror=window.__pwned=1//">',
  '<object type="text/html" data="data:text/html,<script>parent.__pwned=1</script>"></object>',
  '<img srcset="x 1x" onerror=window.__pwned=1>',
];

/** Elements the panel itself creates; anything else in the page came from somewhere it must not. */
const PANEL_TAGS = ['HTML', 'HEAD', 'META', 'LINK', 'TITLE', 'BODY', 'SCRIPT', 'MAIN', 'DIV', 'HEADER', 'H1', 'H2', 'UL', 'LI', 'SPAN', 'SECTION', 'PRE', 'TABLE', 'CAPTION', 'TBODY', 'TR', 'TH', 'TD', 'DETAILS', 'SUMMARY', 'BUTTON', 'LABEL', 'INPUT', 'CANVAS', 'P', 'FORM', 'FIELDSET', 'LEGEND', 'SELECT', 'OPTION', 'DATALIST'];

interface PageCheck {
  pwned: unknown;
  foreign: string[];
  handlers: string[];
  scripts: string[];
  metas: string[];
  links: string[];
  violations: string[];
}

/** What the page holds that the panel did not put there: elements, handlers, scripts, blocked scripts. */
async function inspect(frame: Frame): Promise<PageCheck> {
  return frame.evaluate((allowed) => {
    const all = Array.from(document.querySelectorAll('*'));
    const foreign = all.filter((element) => !allowed.includes(element.tagName) && element.tagName !== 'STYLE' && !element.tagName.startsWith('VSCODE-')).map((element) => element.tagName);
    // <details> only as a JSON node, <input> only as the numbers view's offset, the publish form's topic and Decode As…'s filter.
    for (const element of all) {
      if (element.tagName === 'DETAILS' && !element.classList.contains('json-node')) foreign.push('DETAILS');
      if (element.tagName === 'INPUT' && !element.classList.contains('offset') && element.id !== 'publish-topic' && element.id !== 'decode-as-filter') foreign.push('INPUT');
      // VS Code's webview host adds its default styles as one <style id="_defaultStyles">.
      if (element.tagName === 'STYLE' && element.id !== '_defaultStyles') foreign.push('STYLE');
    }
    // A javascript: URL runs only from an attribute that holds a URL; the same text in a label (a JSON
    // node's aria-label is its key, which the attacker chose) is text a screen reader says.
    const urlAttribute = /^(href|src|srcset|srcdoc|action|formaction|xlink:href|data|poster|background|ping|cite|manifest)$/i;
    const handlers = all.flatMap((element) => Array.from(element.attributes).filter((attribute) => /^on/i.test(attribute.name) || (urlAttribute.test(attribute.name) && /javascript:/i.test(attribute.value))).map((attribute) => `${element.tagName}[${attribute.name}]`));
    const record = window as unknown as { __pwned?: unknown; __violations?: string[] };
    return {
      pwned: record.__pwned,
      foreign,
      handlers,
      scripts: Array.from(document.scripts).map((script) => (script.src ? `src=${script.src.split('/').slice(-2).join('/')}` : `inline ${script.textContent?.slice(0, 30)}`)),
      metas: Array.from(document.querySelectorAll('meta')).map((meta) => meta.outerHTML.slice(0, 60)),
      links: Array.from(document.querySelectorAll('link')).map((link) => link.href.split('/').slice(-2).join('/')),
      violations: record.__violations ?? [],
    };
  }, PANEL_TAGS);
}

function assertClean(check: PageCheck, where: string): void {
  assert.equal(check.pwned, undefined, `${where}: a script ran`);
  assert.deepEqual(check.foreign, [], `${where}: elements the panel did not make`);
  assert.deepEqual(check.handlers, [], `${where}: event handlers or javascript: URLs`);
  // The page's own: VS Code's inline acquireVsCodeApi, our scripts (the shared modules, then the panel's), charset, CSP, viewport, stylesheet.
  const scripts = check.scripts.map((script) => (script.startsWith('inline') && script.includes('acquireVsCode') ? 'vscode' : script));
  assert.deepEqual(scripts, ['vscode', 'src=dist/shared.js', 'src=dist/webview.js'], `${where}: scripts`);
  assert.deepEqual(check.metas.map((meta) => meta.slice(0, 22)), ['<meta charset="UTF-8">', '<meta http-equiv="Cont', '<meta name="viewport" '], `${where}: meta elements`);
  assert.deepEqual(check.links, ['media/panel.css'], `${where}: stylesheets`);
  assert.deepEqual(check.violations, [], `${where}: the CSP had to block a script`);
}

/** Records script-src violations: the CSP blocking a script means one was inserted. */
async function watchViolations(frame: Frame): Promise<void> {
  await frame.evaluate(() => {
    const record = window as unknown as { __violations?: string[] };
    if (record.__violations) return;
    record.__violations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      if (/script/.test(event.effectiveDirective)) record.__violations?.push(`${event.effectiveDirective}: ${event.blockedURI}`);
    });
  });
}

describe('Script injection through a real broker (mosquitto, MQTT 5) runs nothing in the panel', function () {
  this.timeout(240_000);
  let broker: Mosquitto;
  let workbench: Workbench;
  let publisher: mqtt.MqttClient;

  before(async () => {
    broker = await Mosquitto.create();
    workbench = await Workbench.open({
      settings: {
        'mqttExplorer.localBroker.autoStart': false,
        'mqttExplorer.simulator.autoStart': false,
        'mqttExplorer.connections': [{ id: 'inject', name: 'Injection broker', host: '127.0.0.1', port: broker.ports.plain, mqttVersion: 5, subscriptions: [{ topic: 'inject/#', qos: 1 }] }],
      },
    });
    const { page } = workbench;
    await page.getByRole('tab', { name: 'MQTT' }).click();
    const row = page.locator('.monaco-list-row', { hasText: 'Injection broker' }).first();
    await row.waitFor({ timeout: 60_000 });
    await row.hover();
    await row.locator('.action-label[aria-label="Connect"]').click();
    await page.locator('.monaco-list-row', { hasText: 'connected' }).first().waitFor({ timeout: 30_000 });

    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { protocolVersion: 5 });
    // "connected" shows before the SUBACK: probe until the Topics view has what the probe published.
    const probed = workbench.topicsPane().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: exactly('inject') }) });
    for (let attempt = 0; attempt < 40 && !(await probed.count()); attempt++) {
      await publisher.publishAsync('inject/probe', 'probe', { qos: 1 });
      await probed.waitFor({ timeout: 500 }).catch(() => undefined);
    }
    await probed.waitFor();
    for (const attack of ATTACKS) {
      await publisher.publishAsync('inject/payload', attack, { qos: 1 });
      await publisher.publishAsync('inject/json', JSON.stringify({ [attack]: attack, nested: { list: [attack, 1], [`k${attack}`]: { [attack]: attack } } }), { qos: 1 });
      await publisher.publishAsync('inject/props', JSON.stringify({ ok: true }), {
        qos: 1,
        properties: { userProperties: { [attack]: attack, plain: attack }, contentType: attack, responseTopic: `inject/reply/${attack}`, correlationData: Buffer.from(attack) },
      });
      await publisher.publishAsync(`inject/topic/${attack}`, attack, { qos: 1 });
    }
  });

  afterEach(async function () {
    await workbench?.recordFailure(this.currentTest);
  });

  after(async () => {
    await publisher?.endAsync();
    await workbench?.close();
    await broker?.dispose();
  });

  /** Opens a topic's panel through "MQTT: Show Topic History", typing the topic. */
  async function openByPalette(topic: string): Promise<Frame> {
    await workbench.runCommand('MQTT: Show Topic History');
    await workbench.answerQuickPick('MQTT: Show Topic History', topic);
    const frame = await workbench.webviewFrame('h1.topic', { text: topic });
    await watchViolations(frame);
    await frame.locator('.meta vscode-badge', { hasText: `${ATTACKS.length} messages` }).waitFor({ timeout: 30_000 });
    return frame;
  }

  /** Steps through every message with the keyboard, checking the page after each one. */
  async function walk(frame: Frame, views: string[]): Promise<number> {
    let checks = 0;
    for (const view of views) {
      await Workbench.setDropdown(frame, '#payload-view', view);
      await frame.locator('.history-viewport').focus();
      await workbench.page.keyboard.press('End');
      for (let seq = 0; seq < ATTACKS.length; seq++) {
        if (seq > 0) await workbench.page.keyboard.press('ArrowUp');
        await frame.locator('#view-payload .details .seq', { hasText: exactly(`#${seq}`) }).waitFor();
        assertClean(await inspect(frame), `${view} view of message #${seq}`);
        checks++;
      }
    }
    return checks;
  }

  it('payloads: as text, hex and base64, each message, and the history rows', async () => {
    const frame = await openByPalette('inject/payload');
    await frame.locator('.history-row .preview', { hasText: exactly(ATTACKS[ATTACKS.length - 1]) }).waitFor();
    assert.equal(await walk(frame, ['text', 'hex', 'base64']), ATTACKS.length * 3);
    // The text view showed each attack as the text it is.
    await Workbench.setDropdown(frame, '#payload-view', 'text');
    assert.equal(await frame.locator('pre.payload-text').textContent(), ATTACKS[ATTACKS.length - 1]);
  });

  it('JSON keys and values: in the foldable view and in the diff', async () => {
    const frame = await openByPalette('inject/json');
    assert.equal(await walk(frame, ['json']), ATTACKS.length);
    const keys = await frame.locator('.payload-json .json-key').allTextContents();
    assert.ok(keys.includes(JSON.stringify(ATTACKS[ATTACKS.length - 1])), 'the attack shows as a key, as text');
    await frame.locator('vscode-panel-tab#tab-diff').click();
    await frame.locator('#view-diff table.diff-table').waitFor();
    assert.ok(((await frame.locator('#view-diff td.path').allTextContents()).some((path) => path.includes('window.__pwned'))), 'the diff names the attack keys as paths');
    assertClean(await inspect(frame), 'the diff');
    await frame.locator('vscode-panel-tab#tab-chart').click();
    await frame.locator('#view-chart vscode-checkbox', { hasText: 'nested.list[1]' }).waitFor();
    assertClean(await inspect(frame), 'the chart fields');
    await frame.locator('vscode-panel-tab#tab-payload').click();
  });

  it('MQTT 5 user properties, content type, response topic and correlation data', async () => {
    const frame = await openByPalette('inject/props');
    assert.equal(await walk(frame, ['json']), ATTACKS.length);
    const cells = await frame.locator('table.properties td').allTextContents();
    const last = ATTACKS[ATTACKS.length - 1];
    assert.ok(cells.includes(last) && cells.includes(`inject/reply/${last}`), 'property values show as text');
    assert.ok((await frame.locator('table.properties th').allTextContents()).includes(last), 'property names show as text');
    assert.ok((await frame.locator('.history-row .props').allTextContents()).some((text) => text.includes(`${last}=${last}`)), 'and in the history rows');
  });

  it('topics: a panel that follows the tree selection through every attack topic', async () => {
    const { page } = workbench;
    const pane = workbench.topicsPane();
    await workbench.runCommand('MQTT: Show Topic History');
    // The item's label starts with an icon, so it is picked by its text, not by an exact label.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'MQTT: Show Topic History' }).waitFor();
    await page.locator('.quick-input-widget input').fill('Follow the selection');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Follow the selection in the Topics view' }).waitFor();
    await page.keyboard.press('Enter');
    const expand = async (level: number, name: string) => {
      const row = pane.locator(`.monaco-list-row[aria-level="${level}"]`, { has: page.locator('.label-name', { hasText: exactly(name) }) }).first();
      await row.waitFor();
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    };
    await pane.hover();
    await pane.locator('.pane-header .action-label[aria-label="Collapse All"]').click();
    await expand(1, 'Injection broker');
    await expand(2, 'inject');
    // Expanding "topic" by a click also selects it and moves the focus there.
    await expand(3, 'topic');
    const frame = await workbench.webviewFrame('h1.topic', { text: 'inject/topic' });
    await watchViolations(frame);
    // Down the attack topics by keyboard: the selection moves, and the panel follows it.
    const names = new Set(ATTACKS.map((attack) => attack.split('/')[0]));
    const seen = new Set<string>();
    const focused = pane.locator('.monaco-list-row.focused .label-name');
    let name = 'topic';
    for (let step = 0; step < names.size; step++) {
      await page.keyboard.press('ArrowDown');
      const previous = name;
      await waitUntil(async () => ((name = (await focused.textContent()) ?? '') !== previous), 5000, 'the focus to move down');
      const topic = `inject/topic/${name}`;
      // Arrow keys move the focus; Enter selects (and runs the row's command, which shows it in the following panel).
      await page.keyboard.press('Enter');
      await frame.locator('h1.topic', { hasText: exactly(topic) }).waitFor({ timeout: 10_000 });
      // Enter also expands an attack that continues below ("/" in it): fold it again to stay on this level.
      if ((await pane.locator('.monaco-list-row.focused').getAttribute('aria-expanded')) === 'true') await page.keyboard.press('ArrowLeft');
      assertClean(await inspect(frame), `the panel following ${topic}`);
      seen.add(name);
    }
    assert.deepEqual([...seen].sort(), [...names].sort(), 'every attack topic was shown');
    assert.ok(seen.size >= 30, `${seen.size} attack topics`);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined, 'nothing ran in the workbench either');
    await workbench.screenshot('panel-injection-dark');
  });
});
