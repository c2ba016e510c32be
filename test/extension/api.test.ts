import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { newProfile } from '../../src/shared/profile';
import { explorer, EXTENSION_ID } from './explorer';
import { waitFor } from '../helpers/waitFor';

/** Every object and function reachable from `root` through own properties (bounded: exports could be anything). */
function reachable(root: unknown, limit = 10_000): Set<unknown> {
  const seen = new Set<unknown>();
  const stack = [root];
  while (stack.length && seen.size < limit) {
    const value = stack.pop();
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
    seen.add(value);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
      if (descriptor && 'value' in descriptor) stack.push(descriptor.value);
    }
  }
  return seen;
}

describe("The extension's API, as another extension sees it", () => {
  const id = 'api-test-secret';
  const password = `api-pw-${Date.now()}`;

  after(async () => {
    const api = await explorer();
    if (api.profiles.get(id)) await api.profiles.remove(id);
  });

  it('exports hold no registry, no profile store, no secret: activate returns nothing', async () => {
    // The services exist and hold a saved password, so there is something to leak.
    const api = await explorer();
    const listed = waitFor(api.registry.onDidChange, () => api.registry.get(id) !== undefined, 10_000, 'the profile as a connection');
    await api.profiles.save(newProfile(id, { name: 'API test', host: '127.0.0.1', port: 1 }), 'user', { password });
    await listed;
    assert.deepEqual(await api.profiles.getSecrets(id), { password });

    // What any extension can do: look the extension up and activate it.
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension?.isActive);
    const returned: unknown = await extension.activate();
    const exported: unknown = extension.exports;
    assert.equal(returned, undefined);
    assert.equal(exported, undefined);
    // Whatever exports may hold one day, none of the services may be reachable from it.
    const services = new Set<unknown>(Object.values(api));
    services.add(api.registry.engine);
    for (const value of reachable(exported)) assert.ok(!services.has(value), 'a service is reachable from exports');
    assert.ok(!JSON.stringify(exported ?? null).includes(password));
  });
});
