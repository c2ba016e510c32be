import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WALKTHROUGH_KEYS } from '../../src/shared/walkthrough';

const ROOT = join(__dirname, '..', '..', '..');
const read = (file: string): unknown => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string };
  completionEvents: string[];
}
const manifest = read('package.json') as { contributes: { walkthroughs: { id: string; title: string; description: string; steps: Step[] }[] } };
const english = read('package.nls.json') as Record<string, string>;
const german = read('package.nls.de.json') as Record<string, string>;

describe('The Getting Started walkthrough (package.json)', () => {
  const walkthrough = manifest.contributes.walkthroughs.find((candidate) => candidate.id === 'gettingStarted');

  it('has the four steps, in order, each completing on a context key the extension sets', () => {
    assert.ok(walkthrough);
    assert.deepEqual(
      walkthrough.steps.map((step) => step.id),
      ['startLocal', 'openTopic', 'publish', 'addBroker'],
    );
    assert.deepEqual(
      walkthrough.steps.map((step) => step.completionEvents),
      [WALKTHROUGH_KEYS.localRunning, WALKTHROUGH_KEYS.topicOpened, WALKTHROUGH_KEYS.published, WALKTHROUGH_KEYS.connectionSaved].map((key) => [`onContext:${key}`]),
    );
  });

  it('every title and description is a %key% with English and German, and each step’s media file is packaged', () => {
    assert.ok(walkthrough);
    const texts = [walkthrough.title, walkthrough.description, ...walkthrough.steps.flatMap((step) => [step.title, step.description])];
    for (const text of texts) {
      const key = /^%(.+)%$/.exec(text)?.[1];
      assert.ok(key, `${text} is a %key%`);
      assert.ok(english[key], `English for ${key}`);
      assert.ok(german[key], `German for ${key}`);
      // A step's button is its own line with a command link; both languages run the same command.
      const commands = (value: string) => [...value.matchAll(/\(command:([\w.]+)\)/g)].map((match) => match[1]);
      assert.deepEqual(commands(german[key]), commands(english[key]), key);
    }
    for (const step of walkthrough.steps) {
      assert.ok(step.media.markdown && existsSync(join(ROOT, step.media.markdown)), `${step.id}: ${step.media.markdown}`);
      assert.match(step.description, /%$/);
      assert.match(english[step.description.slice(1, -1)], /\n\[[^\]]+\]\(command:mqttExplorer\.\w+\)$/, `${step.id} ends with its button`);
    }
  });
});
