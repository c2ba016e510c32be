import * as assert from 'node:assert/strict';
import * as sparkplugPayload from 'sparkplug-payload';
import { formatJson, parseJson } from '../../src/shared/json';
import type { DecodeResult } from '../../src/worker/decoders/types';
import { encodeSparkplugPayload, SparkplugState, type SparkplugChange } from '../../src/worker/decoders/sparkplug';

const tahu = sparkplugPayload.get('spBv1.0')!;
type TahuPayload = Parameters<typeof tahu.encodePayload>[0];

/** Payload bytes from typed JSON (the encoder is tested against Tahu in sparkplug.test.ts). */
function bytes(json: object): Uint8Array {
  const result = encodeSparkplugPayload(JSON.stringify(json));
  if (!result.ok) assert.fail(result.error);
  return result.bytes;
}

const birth = (seq: number, bdSeq: number, metrics: object[] = []) => bytes({ timestamp: 1, seq, metrics: [{ name: 'bdSeq', datatype: 'Int64', value: bdSeq }, ...metrics] });
const death = (bdSeq?: number) => bytes({ timestamp: 1, metrics: bdSeq === undefined ? [] : [{ name: 'bdSeq', datatype: 'Int64', value: bdSeq }] });
const data = (seq: number, metrics: object[] = []) => bytes({ timestamp: 1, seq, metrics });

function decoded(result: DecodeResult): { json: string; notes: string[] } {
  if (!result.ok) assert.fail(result.error);
  return { json: formatJson(result.value), notes: result.notes ?? [] };
}

/** The metrics of a decoded payload, as plain JSON (small numbers only). */
function metricsOf(result: DecodeResult): unknown[] {
  return JSON.parse(decoded(result).json).metrics;
}

describe('Sparkplug B state: births name the aliases of later messages', () => {
  it('an NBIRTH with aliases, then an alias-only NDATA, shows the names and the birth\'s datatypes', () => {
    const state = new SparkplugState();
    // The birth made by Tahu, the reference implementation.
    const nbirth = tahu.encodePayload({
      timestamp: 1,
      seq: 0,
      metrics: [
        { name: 'bdSeq', type: 'Int64', value: 0 },
        { name: 'Temperature', alias: 1, type: 'Double', value: 20.5, properties: { engUnit: { type: 'String', value: '°C' } } },
        { name: 'Count', alias: 2, type: 'Int16', value: 1 },
      ],
    } as TahuPayload);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NBIRTH/E', nbirth)).notes, []);
    // NDATA with aliases only (Tahu writes the datatype too; the next test leaves it out).
    const ndata = tahu.encodePayload({ timestamp: 2, seq: 1, metrics: [{ alias: 1, type: 'Double', value: 21.5 }, { alias: 2, type: 'Int16', value: -3 }] } as TahuPayload);
    const result = state.decode('spBv1.0/G/NDATA/E', ndata);
    assert.equal(
      decoded(result).json,
      formatJson(
        parseJson(`{ "timestamp": 2, "seq": 1, "metrics": [
          { "name": "Temperature", "alias": 1, "datatype": "Double", "value": 21.5 },
          { "name": "Count", "alias": 2, "datatype": "Int16", "value": -3 } ] }`),
      ),
    );
    assert.deepEqual(decoded(result).notes, []);
    assert.deepEqual(
      state.definitions('G', 'E').map(({ name, alias, datatype }) => [name, alias, datatype]),
      [
        ['bdSeq', undefined, 4],
        ['Temperature', '1', 10],
        ['Count', '2', 2],
      ],
    );
    assert.equal(formatJson(state.definitions('G', 'E')[1].properties!), formatJson(parseJson('{"engUnit": {"type": "String", "value": "°C"}}')));
  });

  it('a DATA message whose datatype is left out reads its value as the birth\'s datatype says (a negative Int8)', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0));
    state.decode('spBv1.0/G/DBIRTH/E/D', data(1, [{ name: 'Level', alias: 5, datatype: 'Int8', value: 0 }]));
    // A raw metric: alias 5, int_value 0xFFFFFFFB, no datatype (what a terse edge node sends).
    const raw = new Uint8Array([0x08, 0x01, 0x18, 0x02, 0x12, 0x08, 0x10, 0x05, 0x50, 0xfb, 0xff, 0xff, 0xff, 0x0f]);
    assert.deepEqual(metricsOf(state.decode('spBv1.0/G/DDATA/E/D', raw)), [{ name: 'Level', alias: 5, datatype: 'Int8', value: -5 }]);
  });

  it('DDATA resolves against its device\'s DBIRTH, not the edge node\'s; a DCMD too', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0, [{ name: 'Node metric', alias: 1, datatype: 'Boolean', value: true }]));
    state.decode('spBv1.0/G/DBIRTH/E/D1', data(1, [{ name: 'Pump/Speed', alias: 1, datatype: 'Float', value: 0 }]));
    assert.deepEqual(metricsOf(state.decode('spBv1.0/G/DDATA/E/D1', data(2, [{ alias: 1, datatype: 'Float', value: 3.5 }]))), [
      { name: 'Pump/Speed', alias: 1, datatype: 'Float', value: 3.5 },
    ]);
    assert.deepEqual(metricsOf(state.decode('spBv1.0/G/DCMD/E/D1', bytes({ timestamp: 1, metrics: [{ alias: 1, datatype: 'Float', value: 1 }] }))), [
      { name: 'Pump/Speed', alias: 1, datatype: 'Float', value: 1 },
    ]);
    assert.deepEqual(metricsOf(state.decode('spBv1.0/G/NDATA/E', data(3, [{ alias: 1, datatype: 'Boolean', value: false }]))), [
      { name: 'Node metric', alias: 1, datatype: 'Boolean', value: false },
    ]);
  });

  it('flags an alias with no birth once ("alias 7 has no birth; request a rebirth"), and one the birth lacks', () => {
    const state = new SparkplugState();
    const changes: SparkplugChange[] = [];
    state.onDidChange((change) => changes.push(change));
    const first = decoded(state.decode('spBv1.0/G/NDATA/E', data(5, [{ alias: 7, datatype: 'Double', value: 1 }])));
    assert.deepEqual(first.notes, ['alias 7 has no birth; request a rebirth']);
    assert.match(first.json, /"alias": 7/);
    const second = decoded(state.decode('spBv1.0/G/NDATA/E', data(6, [{ alias: 7, datatype: 'Double', value: 2 }, { alias: 8, datatype: 'Double', value: 3 }])));
    assert.deepEqual(second.notes, ['aliases 7 and 8 have no birth; request a rebirth'], 'still noted on every message');
    assert.deepEqual(
      state.nodeStatus('G', 'E')?.flags.map((flag) => flag.message),
      ['alias 7 has no birth; request a rebirth'],
      'flagged once until a birth',
    );
    assert.deepEqual(changes, [{ group: 'G', node: 'E', device: undefined, kind: 'flag', flag: 'alias 7 has no birth; request a rebirth' }]);
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 1, [{ name: 'A', alias: 7, datatype: 'Double', value: 0 }]));
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(1, [{ alias: 9, datatype: 'Double', value: 1 }]))).notes, ['alias 9 is not in the NBIRTH; request a rebirth']);
  });
});

describe('Sparkplug B state: seq', () => {
  it('flags a gap with what it expected and got, and goes on from what it got', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0));
    for (let seq = 1; seq <= 11; seq++) assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(seq))).notes, []);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(14))).notes, ['seq gap: expected 12, got 14']);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(15))).notes, []);
    assert.equal(state.nodeStatus('G', 'E')?.lastSeq, 15);
    assert.equal(state.nodeStatus('G', 'E')?.flagCount, 1);
  });

  it('wraps from 255 to 0 without a gap, and counts one sequence across the node\'s N and D messages', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(253, 0));
    const notes = [
      state.decode('spBv1.0/G/DBIRTH/E/D', data(254)),
      state.decode('spBv1.0/G/NDATA/E', data(255)),
      state.decode('spBv1.0/G/DDATA/E/D', data(0)),
      state.decode('spBv1.0/G/NCMD/E', bytes({ timestamp: 1, metrics: [] })), // a host's command: no seq of the edge node's
      state.decode('spBv1.0/G/DDEATH/E/D', data(1)),
      state.decode('spBv1.0/G/NDATA/E', data(2)),
    ].flatMap((result) => decoded(result).notes);
    assert.deepEqual(notes, []);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(2))).notes, ['seq gap: expected 3, got 2'], 'a repeat is flagged too');
  });

  it('starts counting at the first seq seen when it joined mid-session, and again at every NBIRTH', () => {
    const state = new SparkplugState();
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(100))).notes, []);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(101))).notes, []);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NBIRTH/E', birth(0, 3))).notes, []);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(1))).notes, []);
  });

  it('flags a message without a seq and a seq past 255', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0));
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', bytes({ timestamp: 1, metrics: [] }))).notes, ['NDATA without a seq']);
    const wide = tahu.encodePayload({ timestamp: 1, seq: 300, metrics: [] } as TahuPayload);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', wide)).notes, ['seq 300 is out of range (0 to 255)']);
  });
});

describe('Sparkplug B state: births, deaths and bdSeq', () => {
  it('NDEATH with the NBIRTH\'s bdSeq marks the edge node and all its devices offline', () => {
    const state = new SparkplugState();
    const changes: SparkplugChange[] = [];
    state.onDidChange((change) => changes.push(change));
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 42));
    state.decode('spBv1.0/G/DBIRTH/E/D1', data(1));
    state.decode('spBv1.0/G/DBIRTH/E/D2', data(2));
    assert.equal(state.nodeStatus('G', 'E')?.online, true);
    assert.equal(state.nodeStatus('G', 'E')?.bdSeq, '42');
    assert.equal(state.deviceStatus('G', 'E', 'D1')?.online, true);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDEATH/E', death(42))).notes, []);
    assert.equal(state.nodeStatus('G', 'E')?.online, false);
    assert.equal(state.deviceStatus('G', 'E', 'D1')?.online, false);
    assert.equal(state.deviceStatus('G', 'E', 'D2')?.online, false);
    assert.equal(state.statusOfTopic('spBv1.0/G/NDATA/E')?.online, false, 'the tree asks by a row\'s topic');
    assert.equal(state.statusOfTopic('spBv1.0/G/DDATA/E/D2')?.online, false);
    assert.deepEqual(
      changes.map(({ node, device, kind }) => `${node}${device ? `/${device}` : ''} ${kind}`),
      ['E online', 'E/D1 online', 'E/D2 online', 'E offline', 'E/D1 offline', 'E/D2 offline'],
    );
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(3))).notes, ['NDATA from an offline edge node (no NBIRTH since its NDEATH); request a rebirth']);
  });

  it('an NDEATH whose bdSeq is not the NBIRTH\'s is flagged as a mismatch and leaves the node online', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 5));
    state.decode('spBv1.0/G/DBIRTH/E/D', data(1));
    const notes = decoded(state.decode('spBv1.0/G/NDEATH/E', death(4))).notes;
    assert.deepEqual(notes, ['bdSeq mismatch: NDEATH has 4, the NBIRTH had 5; ignored as an earlier session\'s death']);
    assert.equal(state.nodeStatus('G', 'E')?.online, true);
    assert.equal(state.deviceStatus('G', 'E', 'D')?.online, true);
    assert.deepEqual(state.nodeStatus('G', 'E')?.flags.map((flag) => flag.message), notes);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(2))).notes, [], 'the session goes on');
  });

  it('an NDEATH when no NBIRTH was seen, or without a bdSeq, marks the node offline', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NDATA/A', data(9));
    state.decode('spBv1.0/G/NDEATH/A', death(1));
    assert.equal(state.nodeStatus('G', 'A')?.online, false);
    state.decode('spBv1.0/G/NBIRTH/B', birth(0, 1));
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDEATH/B', death())).notes, ['NDEATH without a bdSeq metric']);
    assert.equal(state.nodeStatus('G', 'B')?.online, false);
  });

  it('DDEATH marks the device offline; its DBIRTH brings it back; an NBIRTH asks every device for a new DBIRTH', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0));
    state.decode('spBv1.0/G/DBIRTH/E/D', data(1, [{ name: 'x', alias: 1, datatype: 'Int32', value: 1 }]));
    state.decode('spBv1.0/G/DDEATH/E/D', data(2));
    assert.equal(state.deviceStatus('G', 'E', 'D')?.online, false);
    assert.equal(state.nodeStatus('G', 'E')?.online, true, 'a device\'s death is its own');
    assert.deepEqual(decoded(state.decode('spBv1.0/G/DDATA/E/D', data(3))).notes, ['DDATA from an offline device (no DBIRTH since its DDEATH); request a rebirth']);
    state.decode('spBv1.0/G/DBIRTH/E/D', data(4, [{ name: 'x', alias: 1, datatype: 'Int32', value: 1 }]));
    assert.equal(state.deviceStatus('G', 'E', 'D')?.online, true);
    // A new session of the edge node: the device's birth of the old one no longer names its aliases.
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 1));
    assert.equal(state.deviceStatus('G', 'E', 'D')?.online, false);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/DDATA/E/D', data(1, [{ alias: 1, datatype: 'Int32', value: 2 }]))).notes, [
      'DDATA from an offline device (no DBIRTH since its DDEATH); request a rebirth',
      'alias 1 has no birth; request a rebirth',
    ]);
  });

  it('keeps the last STATE of host applications (3.0 JSON, and the older ONLINE/OFFLINE text)', () => {
    const state = new SparkplugState();
    const json = decoded(state.decode('spBv1.0/STATE/scada', new TextEncoder().encode('{"online": true, "timestamp": 1700000000000}')));
    assert.match(json.json, /"online": true/);
    assert.equal(state.hostStatus('scada')?.online, true);
    state.decode('spBv1.0/STATE/scada', new TextEncoder().encode('OFFLINE'));
    assert.equal(state.hostStatus('scada')?.online, false);
    const bad = state.decode('spBv1.0/STATE/scada', new Uint8Array([0x08, 0x01]));
    assert.equal(bad.ok, false);
  });
});

describe('Sparkplug B state: bounds and hostile names', () => {
  it('tracks at most the caps of edge nodes, devices and metrics, and counts what it leaves out', () => {
    const state = new SparkplugState({ caps: { edgeNodes: 2, devices: 1, metrics: 3 } });
    state.decode('spBv1.0/G/NBIRTH/A', birth(0, 0, [{ name: 'm1', alias: 1, datatype: 'Int32', value: 1 }]));
    state.decode('spBv1.0/G/NBIRTH/B', birth(0, 0));
    const third = decoded(state.decode('spBv1.0/G/NBIRTH/C', birth(0, 0, [{ name: 'm', alias: 1, datatype: 'Int32', value: 1 }])));
    assert.deepEqual(third.notes, ['edge node not tracked: this connection tracks 2 edge nodes already (no names from births, no seq or bdSeq checks)']);
    assert.match(third.json, /"name": "m"/, 'it still decodes');
    assert.equal(state.nodeStatus('G', 'C'), undefined);
    state.decode('spBv1.0/G/DBIRTH/A/D1', data(1));
    assert.deepEqual(decoded(state.decode('spBv1.0/G/DBIRTH/A/D2', data(2))).notes, ['device not tracked: this connection tracks 1 devices already (no names from births)']);
    // A: bdSeq and m1, B: bdSeq; 3 metrics. B's rebirth defines bdSeq, x and y: bdSeq takes the place of the old one, x and y do not fit.
    const rebirth = decoded(state.decode('spBv1.0/G/NBIRTH/B', birth(0, 1, [{ name: 'x', alias: 1, datatype: 'Int32', value: 1 }, { name: 'y', alias: 2, datatype: 'Int32', value: 1 }])));
    assert.deepEqual(rebirth.notes, ['2 of the birth\'s metrics not tracked: this connection tracks at most 3 metrics (their aliases will not resolve)']);
    assert.deepEqual(state.stats, { edgeNodes: 2, devices: 1, metrics: 3, untracked: { edgeNodeMessages: 1, deviceMessages: 1, metrics: 2 } });
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/B', data(1, [{ alias: 2, datatype: 'Int32', value: 5 }]))).notes, ['alias 2 is not in the NBIRTH; request a rebirth']);
    state.clear();
    assert.deepEqual(state.stats, { edgeNodes: 0, devices: 0, metrics: 0, untracked: { edgeNodeMessages: 0, deviceMessages: 0, metrics: 0 } });
  });

  it('keeps at most FLAGS_KEPT flags per edge node, counting all', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0));
    for (let index = 0; index < 30; index++) state.decode('spBv1.0/G/NDATA/E', data((index * 2 + 2) % 256));
    const status = state.nodeStatus('G', 'E');
    assert.equal(status?.flags.length, 10);
    assert.equal(status?.flagCount, 30);
    assert.equal(status?.flags.at(-1)?.message, 'seq gap: expected 59, got 60');
  });

  it('is not confused by __proto__, constructor or toString as group, node or device ids', () => {
    const state = new SparkplugState();
    for (const [group, node, device] of [
      ['__proto__', 'constructor', 'toString'],
      ['constructor', '__proto__', 'hasOwnProperty'],
    ]) {
      state.decode(`spBv1.0/${group}/NBIRTH/${node}`, birth(0, 0, [{ name: 'n', alias: 1, datatype: 'Int32', value: 1 }]));
      state.decode(`spBv1.0/${group}/DBIRTH/${node}/${device}`, data(1, [{ name: '__proto__', alias: 2, datatype: 'String', value: 'a' }]));
      assert.deepEqual(metricsOf(state.decode(`spBv1.0/${group}/DDATA/${node}/${device}`, data(2, [{ alias: 2, datatype: 'String', value: 'b' }]))), [
        JSON.parse('{"name": "__proto__", "alias": 2, "datatype": "String", "value": "b"}'),
      ]);
      assert.equal(state.nodeStatus(group, node)?.online, true);
      assert.equal(state.deviceStatus(group, node, device)?.online, true);
    }
    assert.equal(state.nodeStatus('__proto__', 'toString'), undefined);
    assert.equal(state.stats.edgeNodes, 2);
    assert.equal(({} as Record<string, unknown>).n, undefined);
  });

  it('gives garbage, a truncated payload and a 100,000-deep template a reason, and learns nothing from them', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0));
    const good = data(1, [{ name: 'a', datatype: 'String', value: 'x'.repeat(40) }]);
    for (const payload of [new Uint8Array([0xff, 0x00, 0x13]), good.subarray(0, good.length - 5)]) {
      const result = state.decode('spBv1.0/G/NDATA/E', payload);
      assert.equal(result.ok, false);
      assert.match(!result.ok ? result.error : '', /^Not decoded as Sparkplug B: (truncated|malformed)/);
    }
    // Nested templates written by hand, inside out: 100,000 levels of Metric{datatype 19, template_value: Template{metrics: [...]}}.
    let nested = new Uint8Array([0x0a, 0x01, 0x78]); // Metric { name: "x" }
    const chunks: Uint8Array[] = [];
    const varint = (value: number) => {
      const out: number[] = [];
      for (; value > 0x7f; value = Math.floor(value / 128)) out.push((value & 0x7f) | 0x80);
      out.push(value);
      return out;
    };
    // Lengths from the inside out, then the headers from the outside in (linear, no copying per level).
    const lengths: number[] = [nested.length];
    for (let level = 0; level < 100_000; level++) {
      const template = 1 + varint(lengths[lengths.length - 1]).length + lengths[lengths.length - 1];
      lengths.push(2 + 2 + varint(template).length + template);
    }
    chunks.push(new Uint8Array([0x08, 0x01, 0x18, 0x01, 0x12, ...varint(lengths[lengths.length - 1])]));
    for (let level = 100_000; level > 0; level--) {
      const inner = lengths[level - 1];
      const template = 1 + varint(inner).length + inner;
      chunks.push(new Uint8Array([0x20, 0x13, 0x92, 0x01, ...varint(template), 0x12, ...varint(inner)]));
    }
    chunks.push(nested);
    nested = new Uint8Array(Buffer.concat(chunks));
    const deep = state.decode('spBv1.0/G/NDATA/E', nested);
    assert.equal(deep.ok, false);
    assert.match(!deep.ok ? deep.error : '', /^Not decoded as Sparkplug B: nested deeper than 100 levels \(at byte \d+\): not decoded$/);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(2))).notes, ['seq gap: expected 1, got 2'], 'the failed messages taught it nothing');
  });

  it('a birth too large to show still defines its metrics and counts its seq', () => {
    const state = new SparkplugState({ limits: { maxBytes: 1 << 20, maxNodes: 8, maxDepth: 100 } });
    const metrics = Array.from({ length: 5 }, (_, index) => ({ name: `m${index}`, alias: index, datatype: 'Int32', value: index }));
    assert.deepEqual(state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0, metrics)), { ok: false, error: 'Not decoded as Sparkplug B: more than 8 values: not decoded' });
    assert.equal(state.nodeStatus('G', 'E')?.online, true);
    assert.deepEqual(metricsOf(state.decode('spBv1.0/G/NDATA/E', data(1, [{ alias: 4, datatype: 'Int32', value: 7 }]))), [{ name: 'm4', alias: 4, datatype: 'Int32', value: 7 }]);
  });

  it('views a stored message again with the births\' names, learning and flagging nothing', () => {
    const state = new SparkplugState();
    const stored = data(5, [{ alias: 1, datatype: 'Double', value: 2 }]);
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0, [{ name: 'Temperature', alias: 1, datatype: 'Double', value: 1 }]));
    state.decode('spBv1.0/G/NDATA/E', data(1));
    for (let again = 0; again < 3; again++) {
      assert.deepEqual(metricsOf(state.view('spBv1.0/G/NDATA/E', stored)), [{ name: 'Temperature', alias: 1, datatype: 'Double', value: 2 }]);
    }
    assert.deepEqual(decoded(state.view('spBv1.0/G/NDATA/E', data(9, [{ alias: 3, datatype: 'Double', value: 2 }]))).notes, ['alias 3 not in the NBIRTH']);
    assert.deepEqual(state.nodeStatus('G', 'E')?.flags, []);
    assert.deepEqual(decoded(state.decode('spBv1.0/G/NDATA/E', data(2))).notes, [], 'the views did not move the seq');
  });

  it('says why a topic under spBv1.0 is not Sparkplug', () => {
    const state = new SparkplugState();
    assert.deepEqual(state.decode('spBv1.0/G/NDATA', data(1)), { ok: false, error: 'Not a Sparkplug topic: it has 3 levels; a Sparkplug topic is spBv1.0/<group>/<type>/<edge node>[/<device>]' });
  });
});

describe('Sparkplug B state: encoding for publishing', () => {
  it('numbers what the user publishes as an edge node: NBIRTH 0, then one counter across N and D messages, wrapping', () => {
    const state = new SparkplugState({ now: () => 1000 });
    const seqOf = (topic: string, json: object) => {
      const result = state.encode(topic, JSON.stringify(json));
      if (!result.ok) assert.fail(result.error);
      const seq = JSON.parse(decoded(new SparkplugState().decode(topic, result.bytes)).json).seq;
      assert.equal(seq, result.seq);
      return seq;
    };
    assert.equal(seqOf('spBv1.0/G/NBIRTH/Me', { metrics: [{ name: 'bdSeq', datatype: 'Int64', value: 0 }] }), 0);
    assert.equal(seqOf('spBv1.0/G/DBIRTH/Me/D', { metrics: [] }), 1);
    assert.equal(seqOf('spBv1.0/G/NDATA/Me', { metrics: [] }), 2);
    assert.equal(seqOf('spBv1.0/G/DDATA/Me/D', { seq: 254, metrics: [] }), 254, 'a seq given is used as given');
    assert.equal(seqOf('spBv1.0/G/NDATA/Me', { metrics: [] }), 255);
    assert.equal(seqOf('spBv1.0/G/NDATA/Me', { metrics: [] }), 0);
    assert.equal(seqOf('spBv1.0/G/NCMD/Other', { metrics: [{ name: 'Node Control/Rebirth', datatype: 'Boolean', value: true }] }), undefined, 'commands carry no seq');
    assert.equal(seqOf('spBv1.0/G/NDEATH/Me', { metrics: [{ name: 'bdSeq', datatype: 'Int64', value: 0 }] }), undefined);
    assert.equal(seqOf('spBv1.0/G/NDATA/Other', { metrics: [] }), 0, 'each edge node has its own counter');
    const failed = state.encode('spBv1.0/G/NDATA/Me', '{"metrics": [{"name": "x"}]}');
    assert.deepEqual(failed, { ok: false, error: 'metrics[0].datatype: missing (name it, e.g. "Double"; no birth defines this metric)' });
    assert.equal(seqOf('spBv1.0/G/NDATA/Me', { metrics: [] }), 1, 'a failed encode does not use up a seq');
  });

  it('takes a metric\'s datatype from its birth when the JSON leaves it out', () => {
    const state = new SparkplugState();
    state.decode('spBv1.0/G/NBIRTH/E', birth(0, 0));
    state.decode('spBv1.0/G/DBIRTH/E/D', data(1, [{ name: 'Setpoint', alias: 3, datatype: 'UInt64', value: 0 }]));
    const result = state.encode('spBv1.0/G/DCMD/E/D', '{"metrics": [{"name": "Setpoint", "value": 18446744073709551615}, {"alias": 3, "value": "5"}]}');
    assert.ok(result.ok, !result.ok ? result.error : '');
    assert.deepEqual(
      tahu.decodePayload(result.bytes).metrics?.map((metric) => [metric.name ?? null, String(metric.alias ?? ''), metric.type, String(metric.value)]),
      [
        ['Setpoint', '', 'UInt64', '18446744073709551615'],
        [null, '3', 'UInt64', '5'],
      ],
    );
    assert.deepEqual(state.encode('spBv1.0/STATE/host', '{}'), {
      ok: false,
      error: 'A STATE message is JSON ({"online": true, "timestamp": …}), not a Sparkplug B payload: publish it as JSON',
    });
  });
});
