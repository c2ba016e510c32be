import * as l10n from '@vscode/l10n';
import { sameBrokerTarget } from './brokerTarget';
import type { ConnectionProfile } from './profile';

/**
 * What "Import Connections…" does with a file's profiles, decided without VS Code: which ones
 * collide with a saved profile (same id, or same name), and, once the user has chosen per
 * collision, what is written and which stored secrets are deleted. The command asks; this decides.
 */

/** What the user chose for one collision. */
export type ImportChoice = 'keep' | 'replace' | 'new';

export interface ImportConflict {
  incoming: ConnectionProfile;
  existing: ConnectionProfile;
  /** What collided: the id, or (with a different id) the name. */
  match: 'id' | 'name';
  /** Replacing points the existing profile at another broker: its stored secrets are deleted. */
  targetChanges: boolean;
}

export interface ImportAnalysis {
  /** Profiles that collide with nothing saved. */
  fresh: ConnectionProfile[];
  conflicts: ImportConflict[];
  /** Identical to the saved profile with the same id: nothing to do, nothing to ask. */
  unchanged: ConnectionProfile[];
  /** An id the file already had earlier: only the first is imported. */
  duplicates: ConnectionProfile[];
}

/** JSON with sorted keys: two profiles are the same whatever order their fields were written in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : inner,
  );
}

/** Sorts a file's (already validated) profiles against the saved ones. */
export function analyseImport(existing: readonly ConnectionProfile[], incoming: readonly ConnectionProfile[]): ImportAnalysis {
  const byId = new Map(existing.map((profile) => [profile.id, profile]));
  const byName = new Map<string, ConnectionProfile>();
  for (const profile of existing) if (!byName.has(profile.name)) byName.set(profile.name, profile);
  const seen = new Set<string>();
  const analysis: ImportAnalysis = { fresh: [], conflicts: [], unchanged: [], duplicates: [] };
  for (const profile of incoming) {
    if (seen.has(profile.id)) {
      analysis.duplicates.push(profile);
      continue;
    }
    seen.add(profile.id);
    const sameId = byId.get(profile.id);
    if (sameId && canonical(sameId) === canonical(profile)) analysis.unchanged.push(profile);
    else if (sameId) analysis.conflicts.push({ incoming: profile, existing: sameId, match: 'id', targetChanges: !sameBrokerTarget(sameId, profile) });
    else {
      const sameName = byName.get(profile.name);
      if (sameName) analysis.conflicts.push({ incoming: profile, existing: sameName, match: 'name', targetChanges: !sameBrokerTarget(sameName, profile) });
      else analysis.fresh.push(profile);
    }
  }
  return analysis;
}

export interface ImportWrite {
  profile: ConnectionProfile;
  /** The saved profile this one overwrites (same id), if any: its settings (user or workspace) are kept. */
  replaces: ConnectionProfile | undefined;
  /**
   * Delete the stored password and passphrase of `profile.id` before it is written: its broker
   * comes from the file, and a secret is only ever sent to the broker it was typed for.
   */
  dropSecrets: boolean;
}

export interface ImportPlan {
  writes: ImportWrite[];
  /** Collisions where the saved profile stays as it is. */
  kept: ConnectionProfile[];
}

/** `name`, or `name (imported)`, `name (imported 2)`… whichever no profile has yet. */
export function importedName(name: string, taken: ReadonlySet<string>): string {
  const first = l10n.t('{0} (imported)', name);
  if (!taken.has(first)) return first;
  for (let n = 2; ; n++) {
    const numbered = l10n.t('{0} (imported {1})', name, n);
    if (!taken.has(numbered)) return numbered;
  }
}

/**
 * The writes for `analysis` once the user chose, one choice per conflict (in order). "Import as
 * new" gets a new id, a new client id (two clients with one id throw each other off the broker)
 * and a name no profile has.
 */
export function planImport(
  analysis: ImportAnalysis,
  choices: readonly ImportChoice[],
  context: { existingNames: Iterable<string>; newId: () => string; newClientId: () => string },
): ImportPlan {
  if (choices.length !== analysis.conflicts.length) throw new Error(`${analysis.conflicts.length} conflicts, ${choices.length} choices.`);
  const taken = new Set(context.existingNames);
  for (const profile of analysis.fresh) taken.add(profile.name);
  // A fresh id has no stored secret to lose; deleting one left behind (by a profile that settings hold but cannot use) keeps it from being sent to the file's broker.
  const plan: ImportPlan = { writes: analysis.fresh.map((profile) => ({ profile, replaces: undefined, dropSecrets: true })), kept: [] };
  analysis.conflicts.forEach((conflict, index) => {
    const choice = choices[index];
    if (choice === 'keep') plan.kept.push(conflict.existing);
    else if (choice === 'replace') plan.writes.push({ profile: { ...conflict.incoming, id: conflict.existing.id }, replaces: conflict.existing, dropSecrets: conflict.targetChanges });
    else {
      const name = importedName(conflict.incoming.name, taken);
      taken.add(name);
      plan.writes.push({ profile: { ...conflict.incoming, id: context.newId(), name, clientId: context.newClientId() }, replaces: undefined, dropSecrets: true });
    }
  });
  return plan;
}

/** One line for a conflict, in the words the import's prompts use. */
export function describeConflict(conflict: ImportConflict): string {
  return conflict.match === 'id'
    ? l10n.t('"{0}" has the same id as the saved connection "{1}"', conflict.incoming.name, conflict.existing.name)
    : l10n.t('"{0}" has the same name as the saved connection "{1}"', conflict.incoming.name, conflict.existing.name);
}
