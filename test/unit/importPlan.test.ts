import * as assert from 'node:assert/strict';
import { brokerTarget, sameBrokerTarget } from '../../src/shared/brokerTarget';
import { analyseImport, importedName, planImport, type ImportChoice } from '../../src/shared/importPlan';
import { newProfile, normaliseProfile, type ConnectionProfile } from '../../src/shared/profile';

/** Profiles as the store lists them and as an import reads them: through normaliseProfile. */
function profile(raw: Record<string, unknown>): ConnectionProfile {
  const result = normaliseProfile(raw, { id: () => 'unused' });
  assert.ok(result);
  return result;
}

function ids(): () => string {
  let n = 0;
  return () => `new-${++n}`;
}

const context = (existing: ConnectionProfile[]) => ({ existingNames: existing.map((p) => p.name), newId: ids(), newClientId: () => 'fresh-client' });

describe('Import of connections: conflicts and secrets', () => {
  const office = profile({ id: 'office', name: 'Office', host: 'broker.office.lan', port: 1883, username: 'dev', clientId: 'c-office' });
  const cloud = profile({ id: 'cloud', name: 'Cloud', protocol: 'mqtts', host: 'mqtt.example.com', port: 8883, username: 'svc', tls: { verify: true, serverName: 'mqtt.example.com' } });

  it('sorts a file into fresh, unchanged, colliding by id, colliding by name, and repeated ids', () => {
    const file = [
      profile(Object.fromEntries(Object.entries(office).reverse())), // the same as saved, its fields in another order
      profile({ id: 'cloud', name: 'Cloud', protocol: 'mqtts', host: 'evil.example.net', port: 8883, username: 'svc', tls: { verify: true, serverName: 'mqtt.example.com' } }),
      profile({ id: 'other-id', name: 'Office', host: 'broker.office.lan', port: 1884 }),
      profile({ id: 'lab', name: 'Lab', host: '10.0.0.7' }),
      profile({ id: 'lab', name: 'Lab again', host: '10.0.0.8' }),
    ];
    const analysis = analyseImport([office, cloud], file);
    assert.deepEqual(analysis.unchanged.map((p) => p.id), ['office'], 'an identical profile (whatever its field order) is nothing to ask about');
    assert.deepEqual(analysis.fresh.map((p) => p.id), ['lab']);
    assert.deepEqual(analysis.duplicates.map((p) => p.name), ['Lab again']);
    assert.deepEqual(
      analysis.conflicts.map((c) => [c.incoming.id, c.existing.id, c.match, c.targetChanges]),
      [
        ['cloud', 'cloud', 'id', true],
        ['other-id', 'office', 'name', true],
      ],
    );
  });

  it('a replaced profile that points at another broker loses its stored secrets; one that points at the same keeps them', () => {
    const sameTarget = profile({ ...cloud, name: 'Cloud (renamed)', keepalive: 30 });
    const moved = profile({ ...office, host: 'attacker.example.org' });
    const analysis = analyseImport([office, cloud], [sameTarget, moved]);
    assert.deepEqual(analysis.conflicts.map((c) => c.targetChanges), [false, true]);
    const plan = planImport(analysis, ['replace', 'replace'], context([office, cloud]));
    assert.deepEqual(
      plan.writes.map((w) => [w.profile.id, w.profile.name, w.profile.host, w.replaces?.id, w.dropSecrets]),
      [
        ['cloud', 'Cloud (renamed)', 'mqtt.example.com', 'cloud', false],
        ['office', 'Office', 'attacker.example.org', 'office', true],
      ],
    );
  });

  it('replacing a profile found by name keeps the saved id (and drops the secrets when the broker changes)', () => {
    const analysis = analyseImport([office], [profile({ id: 'from-file', name: 'Office', host: 'broker.office.lan', port: 1883, username: 'root', clientId: 'c-office' })]);
    const plan = planImport(analysis, ['replace'], context([office]));
    assert.equal(plan.writes.length, 1);
    assert.equal(plan.writes[0].profile.id, 'office', 'the file’s id is not added next to the saved one');
    assert.equal(plan.writes[0].profile.username, 'root');
    assert.equal(plan.writes[0].dropSecrets, true, 'another user name is another target: the stored password was typed for "dev"');
  });

  it('"keep" writes nothing; "import as new" gets a new id, client id and a free "(imported)" name, without secrets', () => {
    const taken = profile({ id: 'x', name: 'Office (imported)', host: 'h' });
    const existing = [office, cloud, taken];
    const analysis = analyseImport(existing, [profile({ ...office, port: 1999 }), profile({ ...cloud, port: 8884 })]);
    const choices: ImportChoice[] = ['new', 'keep'];
    const plan = planImport(analysis, choices, context(existing));
    assert.deepEqual(plan.kept.map((p) => p.id), ['cloud']);
    assert.equal(plan.writes.length, 1);
    const [write] = plan.writes;
    assert.deepEqual([write.profile.id, write.profile.name, write.profile.clientId, write.profile.port, write.replaces, write.dropSecrets], ['new-1', 'Office (imported 2)', 'fresh-client', 1999, undefined, true]);
  });

  it('fresh profiles are written under their own id with any stale secret for that id deleted', () => {
    const lab = profile({ id: 'lab', name: 'Lab', host: '10.0.0.7' });
    const plan = planImport(analyseImport([office], [lab]), [], context([office]));
    assert.deepEqual(plan.writes, [{ profile: lab, replaces: undefined, dropSecrets: true }]);
  });

  it('refuses choices that do not match the conflicts one to one', () => {
    const analysis = analyseImport([office], [profile({ ...office, port: 2 })]);
    assert.throws(() => planImport(analysis, [], context([office])), /1 conflicts, 0 choices/);
  });

  it('the broker target covers protocol, host, port, ws path, user name and the TLS identity check', () => {
    const base = newProfile('t', { protocol: 'wss', host: 'Broker.Example', port: 8081, path: '/mqtt', username: 'u', tls: { verify: true, serverName: 's', caFile: '/ca.pem' } });
    assert.ok(sameBrokerTarget(base, { ...base, host: 'broker.example', name: 'other', keepalive: 1 }), 'host names compare without case; other fields do not count');
    const changes: Partial<ConnectionProfile>[] = [
      { protocol: 'ws' },
      { host: 'other.example' },
      { port: 8082 },
      { path: '/other' },
      { username: 'v' },
      { username: undefined },
      { tls: { verify: false, serverName: 's', caFile: '/ca.pem' } },
      { tls: { verify: true, serverName: 't', caFile: '/ca.pem' } },
      { tls: { verify: true, serverName: 's', caFile: '/other-ca.pem' } },
    ];
    for (const change of changes) assert.notEqual(brokerTarget({ ...base, ...change }), brokerTarget(base), JSON.stringify(change));
  });

  it('names an imported copy with the first free suffix', () => {
    assert.equal(importedName('A', new Set()), 'A (imported)');
    assert.equal(importedName('A', new Set(['A (imported)', 'A (imported 2)'])), 'A (imported 3)');
  });
});
