import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Frame, Locator, Page } from 'playwright-core';
import { findFreePort } from '../../src/devtools/localBroker';
import { launchBrowser } from '../../tools/workbench/browser';
import { REPO_ROOT, testHost, VSIX_PATH } from '../../tools/workbench/testHost';
import { createProfile, installVsix, QUIET_SETTINGS, removeProfile, VsCodeServer, type ServerProfile } from '../../tools/workbench/vscodeServer';
import { createWorkspace } from '../../tools/workbench/workspace';

/** A pattern that matches exactly `text`. */
export function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'screenshots');

/**
 * The real workbench in headless Chromium, with the packaged extension installed and a workspace
 * whose settings start the local broker and the simulator, exactly as the README's main job does.
 */
export class Workbench {
  /** Console errors and uncaught exceptions seen so far. */
  static readonly errors: string[] = [];

  /** The last errors, without the server build's known noise (no marketplace, no vsda, Node deprecations). */
  static recentErrors(count = 15): string {
    const noise = /vsda|update\/check|Deprecation|deprecation|PendingMigrationError|open-vsx|ERR_NAME_NOT_RESOLVED|authentication provider|favicon|^\s+at |Applying inline style/;
    return Workbench.errors.flatMap((error) => error.split('\n').filter((line) => !noise.test(line)).slice(0, 3)).filter((line) => line.trim()).slice(-count).join('\n');
  }

  private constructor(
    readonly page: Page,
    private readonly browser: Browser,
    private readonly server: VsCodeServer,
    private readonly profile: ServerProfile,
    readonly brokerPort: number,
    /** The workspace folder the workbench has open. */
    readonly workspaceFolder: string,
  ) {}

  /**
   * A workbench on a fresh profile and workspace; `settings` go into the workspace's settings,
   * `userSettings` into the profile's. With `restrictedMode` workspace trust is on (the shared
   * settings turn it off) and the folder, never trusted before, opens in Restricted Mode, without
   * the startup prompt. `theme` replaces Dark Modern. `prepareProfile` changes the profile before
   * the server starts (a display language, for one).
   */
  static async open(
    options: { settings?: Record<string, unknown>; userSettings?: Record<string, unknown>; restrictedMode?: boolean; theme?: string; prepareProfile?: (profile: ServerProfile) => void | Promise<void> } = {},
  ): Promise<Workbench> {
    const host = testHost();
    const trust = options.restrictedMode ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {};
    const profile = createProfile({ ...QUIET_SETTINGS, 'workbench.colorTheme': options.theme ?? 'Default Dark Modern', ...trust, ...options.userSettings });
    await installVsix(host, profile, VSIX_PATH);
    const brokerPort = await findFreePort();
    const workspace = createWorkspace(
      {
        'mqttExplorer.localBroker.autoStart': true,
        'mqttExplorer.localBroker.port': brokerPort,
        'mqttExplorer.simulator.autoStart': true,
        ...options.settings,
      },
      profile.root,
    );
    await options.prepareProfile?.(profile);
    const server = await VsCodeServer.start(host, profile);
    const browser = await launchBrowser(host);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // Script errors of the workbench and of the webviews (their frames report here too), for failing tests.
    page.on('console', (message) => {
      if (message.type() === 'error') Workbench.errors.push(message.text());
    });
    page.on('pageerror', (error) => Workbench.errors.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) Workbench.errors.push(`HTTP ${response.status()} ${response.url()}`);
    });
    await page.goto(server.url(workspace));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    return new Workbench(page, browser, server, profile, brokerPort, workspace);
  }

  /**
   * Saves a screenshot of the whole workbench under test-results/screenshots/. With
   * UPDATE_README_SCREENSHOTS=1, the ones marked for the README are also written to docs/images/.
   */
  async screenshot(name: string, options: { readme?: boolean } = {}): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const path = join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path });
    if (options.readme && process.env.UPDATE_README_SCREENSHOTS) copyFileSync(path, join(REPO_ROOT, 'docs', 'images', `${name}.png`));
    return path;
  }

  /** For `afterEach`: a failed test leaves a screenshot and the page's recent errors. */
  async recordFailure(test: { state?: string; title: string } | undefined): Promise<void> {
    if (test?.state !== 'failed') return;
    await this.screenshot(`failed-${test.title.replace(/\W+/g, '-')}`);
    console.log(`      console errors so far:\n${Workbench.recentErrors()}`);
    // CI keeps only what is printed: the extension's own log says what it did and what failed.
    console.log(`      the extension's log, last lines:\n${this.extensionLog(25)}`);
  }

  /** The last `count` lines of the extension's "MQTT Explorer" output channel (its log file in the profile). */
  extensionLog(count: number): string {
    const logs = join(this.profile.userDataDir, 'logs');
    let all: string[];
    try {
      all = readdirSync(logs, { recursive: true, encoding: 'utf8' });
    } catch (error) {
      return `        (no log: ${error instanceof Error ? error.message : String(error)})`;
    }
    const files = all.filter((file) => file.endsWith(join('mqtt-explorer-dev.mqtt-explorer', 'MQTT Explorer.log')));
    const lines = files.flatMap((file) => readFileSync(join(logs, file), 'utf8').split('\n').filter(Boolean));
    return lines.slice(-count).map((line) => `        ${line}`).join('\n') || '        (empty)';
  }

  /** Sets a toolkit dropdown in a webview as a pick would (the value, then its change event). */
  static async setDropdown(frame: Frame, selector: string, value: string): Promise<void> {
    await frame.locator(selector).evaluate((element, picked) => {
      (element as HTMLElement & { value: string }).value = picked;
      element.dispatchEvent(new Event('change'));
    }, value);
  }

  /** The Topics view's pane. */
  topicsPane(): Locator {
    return this.viewPane('Topics');
  }

  /** The pane of the view whose header shows `name`. */
  viewPane(name: string): Locator {
    return this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: name }) });
  }

  /**
   * The message a view shows in its body, joined by line: its welcome content (package.json's
   * viewsWelcome) when it has nothing to list, or the tree's own message (TreeView.message, set by
   * the extension, a filter's for one). Empty when it shows neither.
   */
  async viewMessage(name: string): Promise<string> {
    const texts = await this.viewPane(name).locator('.pane-body .welcome-view-content, .pane-body .customview-tree .message').allInnerTexts();
    return texts.map((text) => text.trim()).filter(Boolean).join('\n');
  }

  /** Expands the Topics tree level by level, as a person clicks, and returns the topic's row. */
  async revealTopic(topic: string): Promise<Locator> {
    const pane = this.topicsPane();
    // A row's hover (its tooltip) left from a previous click can cover the rows below it.
    await this.page.mouse.move(1000, 850);
    // The tree is virtualized: rows scrolled out of view are not in the DOM. Collapsing everything
    // first keeps the path being opened on screen.
    await pane.hover();
    await pane.locator('.pane-header .action-label[aria-label="Collapse All"]').click();
    // Collapsing lands asynchronously: a click on the connection before it would be undone by it.
    // Wait for the connection's own row to say it is collapsed: rows below it can be missing for a
    // moment while a live update (a filter's relisting) re-renders the list, before the collapse.
    const rootCollapsed = pane.locator('.monaco-list-row[aria-level="1"][aria-expanded="false"]').first();
    await rootCollapsed.waitFor({ timeout: 10_000 }).catch(() => undefined);
    await pane.locator('.monaco-list-row[aria-level="2"]').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
    // The connection's row too can miss a click while a live update re-renders the list (seen in CI
    // with a filter, whose relisting refreshes that row): it opens at once when the click lands.
    const root = pane.locator('.monaco-list-row[aria-level="1"]').first();
    const rootExpanded = pane.locator('.monaco-list-row[aria-level="1"][aria-expanded="true"]').first();
    for (let attempt = 0; attempt < 3 && (await root.getAttribute('aria-expanded')) !== 'true'; attempt++) {
      await root.click();
      await rootExpanded.waitFor({ timeout: 5000 }).catch(() => undefined);
    }
    const levels = topic.split('/');
    let row: Locator | undefined;
    for (const [index, level] of levels.entries()) {
      // aria-level: 1 is the connection, so a topic's first level is 2.
      const selector = `.monaco-list-row[aria-level="${index + 2}"]`;
      // An empty level (the first of "/a", the middle of "a//b") is shown as "(empty)".
      const label = exactly(level === '' ? '(empty)' : level);
      row = pane.locator(selector, { has: this.page.locator('.label-name', { hasText: label }) }).first();
      await row.waitFor({ timeout: 30_000 });
      if (index === levels.length - 1) break;
      const expanded = pane.locator(`${selector}[aria-expanded="true"]`, { has: this.page.locator('.label-name', { hasText: label }) });
      // The list recycles its row elements as live updates re-render it, so a click can land on
      // the row that took this one's place: check that the right row opened, and try again if not.
      // Each attempt waits long enough for a slow listing (a loaded CI machine, a filter): clicking
      // again while the first expansion is still on its way collapses the row.
      for (let attempt = 0; attempt < 3 && !(await expanded.count()); attempt++) {
        await row.click();
        await expanded.waitFor({ timeout: 10_000 }).catch(() => undefined);
      }
      await expanded.waitFor({ timeout: 5000 });
    }
    if (!row) throw new Error('empty topic');
    return row;
  }

  /** Runs an action of a row's context menu, as a person right-clicks it. */
  async contextMenu(row: Locator, action: string): Promise<void> {
    await row.click({ button: 'right' });
    const item = this.page.locator('.context-view .action-item', { has: this.page.locator('.action-label', { hasText: exactly(action) }) });
    await item.first().waitFor({ timeout: 10_000 });
    await item.first().click();
    // A click that lands while the menu is still opening can be lost (seen once): the menu then
    // stays open with the item under the pointer, and Enter runs it.
    const menu = this.page.locator('.context-view .monaco-menu');
    if (await menu.waitFor({ state: 'detached', timeout: 2000 }).then(() => false, () => true)) {
      await item.first().hover();
      await this.page.keyboard.press('Enter');
      await menu.waitFor({ state: 'detached', timeout: 5000 });
    }
  }

  /** Answers a modal dialog by one of its buttons. */
  async answerDialog(button: string): Promise<void> {
    const dialog = this.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.locator('.monaco-button', { hasText: exactly(button) }).click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
  }

  /**
   * Proves the extension host still answers: "Show Topic History" asks it for the known topics, and
   * its quick pick lists `topic` only once the host has replied.
   */
  async assertHostAnswers(topic: string, timeoutMs = 15_000): Promise<void> {
    await this.runCommand('MQTT: Show Topic History');
    const widget = this.page.locator('.quick-input-widget');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: topic }).first().waitFor({ timeout: timeoutMs });
    await this.page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: 5000 });
  }

  /** Runs a command through the command palette, typed as a person would. */
  async runCommand(title: string): Promise<void> {
    // Out of a webview first: one that takes the focus back as it settles would close the palette.
    await this.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await this.page.keyboard.press('F1');
    await this.pickQuickInput(title, `>${title}`);
  }

  /** Types into the input box titled `title` (once it has replaced whatever was there) and presses Enter. */
  async answerInputBox(title: string, text: string): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor();
    const input = this.page.locator('.quick-input-widget input');
    await input.fill(text);
    await this.page.keyboard.press('Enter');
  }

  /** Picks `label` in the quick pick titled `title`, once that one (not the command palette) is open. */
  async answerQuickPick(title: string, label: string, typed = label): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor();
    await this.pickQuickInput(label, typed);
  }

  /**
   * Picks the quick-input row labelled exactly `label` by typing (`typed`, default the label) and
   * pressing Enter once that row is the focused one.
   */
  async pickQuickInput(label: string, typed = label): Promise<void> {
    // Not the palette that is still closing (VS Code marks it inert for its close animation) while
    // the extension host has yet to show the next quick pick: typing there is lost.
    const input = this.page.locator('.quick-input-widget:not([inert]) input');
    await input.waitFor({ state: 'visible' });
    await input.fill(typed);
    const rowWithLabel = (extra: string) => this.page.locator(`.quick-input-list .monaco-list-row${extra}`, { has: this.page.locator('.label-name', { hasText: exactly(label) }) });
    await rowWithLabel('').first().waitFor();
    // The row may not rank first (recently used entries come first): move down to it, as a person would.
    for (let step = 0; step < 20 && !(await rowWithLabel('.focused').count()); step++) await this.page.keyboard.press('ArrowDown');
    await rowWithLabel('.focused').waitFor();
    await this.page.keyboard.press('Enter');
  }

  /**
   * The frame of the webview whose document has `selector` (webviews are nested iframes), with
   * `text` as its text content when given. Polls the frames, bounded by `timeoutMs`.
   */
  async webviewFrame(selector: string, options: { text?: string; timeoutMs?: number } = {}): Promise<Frame> {
    const timeoutMs = options.timeoutMs ?? 45_000;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const frame of this.page.frames()) {
        const element = await frame.$(selector).catch(() => null);
        if (element && (options.text === undefined || (await element.textContent().catch(() => null)) === options.text)) return frame;
      }
      await this.page.waitForTimeout(200);
    }
    throw new Error(`No webview shows ${selector}${options.text ? ` with "${options.text}"` : ''} within ${timeoutMs} ms`);
  }

  /**
   * Opens a topic's panel from the tree, as a person clicks it, and returns the panel's frame.
   * In this server build every webview after the first waits about ten seconds for the webview
   * service worker's update check (`registration.update()` in the workbench's webview host page), so
   * the wait is long; the click is repeated only when it did not open the panel at all.
   */
  async openTopic(topic: string): Promise<Frame> {
    const row = await this.revealTopic(topic);
    // As in revealTopic: a click on a recycled row opens another topic; then click again (a click
    // on the right row of an open panel only reveals it).
    for (let attempt = 0; attempt < 3; attempt++) {
      await row.click();
      const frame = await this.webviewFrame('h1.topic', { text: topic, timeoutMs: 15_000 }).catch(() => undefined);
      if (frame) return frame;
    }
    return this.webviewFrame('h1.topic', { text: topic, timeoutMs: 20_000 });
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.stop();
    if (!process.env.KEEP_TEST_PROFILE) removeProfile(this.profile);
  }
}
