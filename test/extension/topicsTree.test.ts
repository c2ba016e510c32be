import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import fc from 'fast-check';
import mqtt from 'mqtt';
import type { TestInternals } from '../../src/host/api';
import type { RemoteConnection } from '../../src/host/engine/engineClient';
import type { TopicElement, TopicsElement } from '../../src/host/topicsView';
import { waitFor } from '../helpers/waitFor';
import { explorerWithLocalBroker } from './localBroker';


function isTopic(element: TopicsElement | undefined): element is TopicElement {
  return element !== undefined && 'kind' in element && element.kind === 'topic';
}

/**
 * The Topics view's data provider, exactly as VS Code drives it, over topics of every shape MQTT
 * allows: identity (no row is the root or another row), and refreshes that do not re-list levels.
 */
describe('The Topics tree over any topic, through the real TreeDataProvider', function () {
  this.timeout(120_000);
  let api: TestInternals;
  let connection: RemoteConnection;
  let client: mqtt.MqttClient;

  before(async () => {
    const started = await explorerWithLocalBroker();
    api = started.api;
    const found = api.registry.get(started.connectionId);
    assert.ok(found);
    connection = found;
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${started.port}`);
  });

  after(async () => {
    await client?.endAsync();
    await vscode.commands.executeCommand('mqttExplorer.stopLocalBroker');
  });

  /** Publishes and waits until the engine has received them all (its report carries the totals). */
  async function publishAll(messages: [string, string][]): Promise<void> {
    const target = (await api.registry.engine.request('stats', { connectionId: connection.id })).received + messages.length;
    const arrived = waitFor(api.registry.onDidChangeTopics, (changes) => changes.connectionId === connection.id && changes.stats.received >= target, 20_000, `${messages.length} messages`);
    for (const [topic, payload] of messages) client.publish(topic, payload, { qos: 0 });
    await arrived;
  }

  async function clearAll(): Promise<void> {
    // The clear's report (everything starts over) comes a moment later and makes the view forget its
    // rows: wait for it, so that it cannot land in the middle of the walk below.
    const reset = waitFor(api.registry.onDidChangeTopics, (changes) => changes.connectionId === connection.id && changes.reset, 10_000, 'the report of the clear');
    await vscode.commands.executeCommand('mqttExplorer.clearTopics', connection);
    await reset;
    // The broker may announce a client on $SYS right after the clear: only that may be there.
    const children = (await api.topicsProvider.getChildren(connection)).filter((child) => !(isTopic(child) && child.snapshot.name === '$SYS'));
    assert.deepEqual(children, [], 'the connection is empty after a clear');
  }

  /** Walks every row below the connection, breadth first, checking each edge both ways. */
  async function walk(): Promise<Map<string, TopicElement>> {
    const provider = api.topicsProvider;
    const rows = new Map<string, TopicElement>();
    const seen = new Set<TopicsElement>([connection]);
    const itemIds = new Set<string>([String(provider.getTreeItem(connection).id)]);
    const queue: TopicsElement[] = [connection];
    for (let parent = queue.shift(); parent; parent = queue.shift()) {
      const children = await provider.getChildren(parent);
      for (const child of children) {
        assert.ok(!seen.has(child), 'no row is listed twice: the tree has no cycle');
        seen.add(child);
        assert.equal(provider.getParent(child), parent, 'getParent names the row that listed it');
        if (!isTopic(child)) {
          assert.ok('kind' in child && child.kind === 'more', 'below a connection: topic rows and "more" rows only');
          continue;
        }
        const again = await provider.getChildren(provider.getParent(child));
        assert.ok(again.some((element) => element === child), 'getChildren(getParent(x)) contains x');
        const id = String(provider.getTreeItem(child).id);
        assert.ok(!itemIds.has(id), `tree item ids are unique: ${id}`);
        itemIds.add(id);
        const parentTopic: string | undefined = isTopic(parent) ? parent.topic : undefined;
        assert.equal(child.topic, parentTopic === undefined ? child.snapshot.name : `${parentTopic}/${child.snapshot.name}`, 'a row\'s topic is its parent\'s and its own name');
        rows.set(child.topic, child);
        if (child.snapshot.childCount > 0) queue.push(child);
      }
    }
    return rows;
  }

  it('property: every topic MQTT allows is one distinct row, whose parent chain ends at the connection', async () => {
    const level = fc.constantFrom('', '', 'a', 'b', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'é', '🌡', ' ', 'x y');
    const topic = fc.array(level, { minLength: 1, maxLength: 6 }).map((levels) => levels.join('/')).filter((joined) => joined.length > 0);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(topic, { minLength: 1, maxLength: 25 }), async (topics) => {
        await clearAll();
        await publishAll(topics.map((one, index) => [one, `v${index}`]));
        const rows = await walk();
        for (const [index, one] of topics.entries()) {
          const row = rows.get(one);
          assert.ok(row, `the topic ${JSON.stringify(one)} is a row`);
          assert.equal(row.snapshot.messageCount, 1, `${JSON.stringify(one)} holds its own message`);
          assert.equal(row.snapshot.last?.preview, `v${index}`);
          // getParent chains end at the connection, in as many steps as the topic has levels.
          let steps = 0;
          for (let up: TopicsElement | undefined = row; up && up !== connection; up = api.topicsProvider.getParent(up)) steps++;
          assert.equal(steps, one.split('/').length);
        }
        // Every row with a message is one of the topics published: no row stands for the root or another row.
        // The broker's own $SYS topics (aedes announces new clients and subscriptions there) are not ours.
        const withMessages = [...rows.values()].filter((row) => row.snapshot.messageCount > 0 && !row.topic.startsWith('$SYS/')).map((row) => row.topic).sort();
        assert.deepEqual(withMessages, [...topics].sort());
      }),
      // The failing assertion's own message in the report, not only the counterexample.
      { numRuns: 25, includeErrorInReport: true },
    );
  });

  it('the "(empty)" row of "/devices/a" lists "devices", never the connection\'s root again', async () => {
    await clearAll();
    await publishAll([
      ['/devices/a', '1'],
      ['other', '2'],
    ]);
    const provider = api.topicsProvider;
    const top = await provider.getChildren(connection);
    const empty = top.filter(isTopic).find((element) => element.snapshot.name === '');
    assert.ok(empty);
    assert.equal(provider.getTreeItem(empty).label, '(empty)');
    const below = (await provider.getChildren(empty)).map((element) => String(provider.getTreeItem(element).label));
    assert.deepEqual(below, ['devices']);
  });

  it('under a steady flood with three levels expanded, VS Code lists no level again: only the changed rows refresh', async () => {
    await clearAll();
    const leaves = Array.from({ length: 40 }, (_, index) => `flood/site/line/sensor-${index}`);
    await publishAll(leaves.map((topic) => [topic, '0']));
    const provider = api.topicsProvider;
    const find = async (parent: TopicsElement, name: string) => {
      const child = (await provider.getChildren(parent)).filter(isTopic).find((element) => element.snapshot.name === name);
      assert.ok(child, `${name} is listed`);
      return child;
    };
    // Three levels below the connection's root, expanded as a person would.
    let parent: TopicsElement = connection;
    for (const name of ['flood', 'site', 'line']) {
      const element = await find(parent, name);
      const expanded = provider.isExpanded(element) ? undefined : waitFor(api.topicsView.onDidExpandElement, (event) => event.element === element, 5000, `the expansion of ${name}`);
      await api.topicsView.reveal(element, { expand: true });
      await expanded;
      parent = element;
    }
    await provider.flushWatch();
    const line = parent;

    // Count what VS Code asks of the provider, as it asks it.
    const original = provider.getChildren.bind(provider);
    let listings = 0;
    provider.getChildren = (element?: TopicsElement) => {
      listings++;
      return original(element);
    };
    const refreshedLeaves = new Set<TopicsElement>();
    const firedListener = provider.onDidFire((changed) => changed?.forEach((element) => refreshedLeaves.add(element)));
    try {
      const phase = async (rounds: number) => {
        const before = listings;
        refreshedLeaves.clear();
        for (let round = 1; round <= rounds; round++) {
          await publishAll(leaves.map((topic) => [topic, String(round)]));
        }
        // Let the last report's refresh reach VS Code and come back as requests, if it caused any.
        await waitFor(api.registry.onDidChangeTopics, () => true, 2000, 'one more report').catch(() => undefined);
        return { listings: listings - before, refreshed: refreshedLeaves.size };
      };
      const short = await phase(10); // 400 messages
      const long = await phase(50); // 2,000 messages
      assert.ok(short.listings <= 1 && long.listings <= 1, `no level is listed again under the flood: ${short.listings} listings for 400 messages, ${long.listings} for 2,000`);
      assert.ok(short.refreshed > 0 && long.refreshed > 0, 'the leaves were refreshed: the view kept updating');
      assert.ok(![...refreshedLeaves].includes(line) && ![...refreshedLeaves].includes(connection), 'no expanded level was refreshed');
    } finally {
      firedListener.dispose();
      provider.getChildren = original;
    }
  });

  it('a regular expression filter is checked by the engine (the host bundles no RE2): a bad one is refused, a good one applies', async () => {
    const provider = api.topicsProvider;
    provider.filter = undefined;
    try {
      await vscode.commands.executeCommand('mqttExplorer.filterTopics', { kind: 'regex', target: 'topic', pattern: 'a(?=b)' });
      assert.equal(provider.filter, undefined, 'a lookahead is not RE2: the filter stays off');
      const good = { kind: 'regex', target: 'topic', pattern: '^/?devices' } as const;
      await vscode.commands.executeCommand('mqttExplorer.filterTopics', good);
      assert.deepEqual(provider.filter, good);
    } finally {
      provider.filter = undefined;
    }
  });

  it('a level whose listing failed is listed again by itself, not left empty as if it had no topics', async () => {
    await publishAll([['retry/a', '1']]);
    const provider = api.topicsProvider;
    const level = (await provider.getChildren(connection)).find((row) => isTopic(row) && row.snapshot.name === 'retry');
    assert.ok(level, 'listed while the engine answers');
    // A level VS Code does not show (it is collapsed): only this test lists it, and only the retry fires it.
    await api.registry.engine.request('testHook', { action: 'failNextListing', topic: 'retry' });
    const relisted = waitFor(provider.onDidFire, (changed) => changed?.includes(level) ?? false, 10_000, 'the level to be listed again');
    assert.deepEqual(await provider.getChildren(level), [], 'the failed listing shows nothing for now');
    await relisted;
    assert.deepEqual((await provider.getChildren(level)).map((row) => isTopic(row) && row.snapshot.name), ['a'], 'listed again, with its rows');
  });
});
