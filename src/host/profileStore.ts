import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { ConnectionSecrets } from '../worker/connection';
import { normaliseProfile, validateProfile, type ConnectionProfile, type SubscriptionSpec } from '../shared/profile';

export type ProfileTarget = 'user' | 'workspace';

export interface StoredProfile {
  profile: ConnectionProfile;
  target: ProfileTarget;
}

/** What to do with a secret on save: a new value, null to delete it, undefined to keep it. */
export interface SecretChanges {
  password?: string | null;
  keyPassphrase?: string | null;
}

const SECTION = 'mqttExplorer';
const KEY = 'connections';

function secretKey(id: string, name: keyof ConnectionSecrets): string {
  return `mqttExplorer.connection.${id}.${name}`;
}

/**
 * Connection profiles: everything but the secrets in settings (user or workspace, so a team can
 * share a workspace's brokers), the password and key passphrase in SecretStorage only.
 */
export class ProfileStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  readonly onDidChange = (listener: () => void): vscode.Disposable =>
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.${KEY}`) || event.affectsConfiguration(`${SECTION}.defaultSubscriptions`)) listener();
    });

  private defaultSubscriptions(): SubscriptionSpec[] {
    const topics = vscode.workspace.getConfiguration(SECTION).get<string[]>('defaultSubscriptions', ['#', '$SYS/#']);
    return topics.map((topic) => ({ topic, qos: 0 }));
  }

  private raw(target: ProfileTarget): unknown[] {
    const inspected = vscode.workspace.getConfiguration(SECTION).inspect<unknown[]>(KEY);
    const value = target === 'user' ? inspected?.globalValue : inspected?.workspaceValue;
    return Array.isArray(value) ? value : [];
  }

  /** Every valid profile; workspace ones win over user ones with the same id. */
  list(): StoredProfile[] {
    const byId = new Map<string, StoredProfile>();
    for (const target of ['user', 'workspace'] as const) {
      for (const raw of this.raw(target)) {
        // A profile written by hand may have no id: derive one that stays the same on every read.
        const profile = normaliseProfile(raw, { id: (r) => `settings:${String(r.name ?? '')}@${String(r.host ?? '')}:${String(r.port ?? '')}`, subscriptions: this.defaultSubscriptions() });
        if (profile && Object.keys(validateProfile(profile)).length === 0) byId.set(profile.id, { profile, target });
      }
    }
    return [...byId.values()];
  }

  get(id: string): StoredProfile | undefined {
    return this.list().find((stored) => stored.profile.id === id);
  }

  newId(): string {
    return randomUUID();
  }

  /** Saves (adds or replaces by id) in the target's settings, and moves it there if it was elsewhere. */
  async save(profile: ConnectionProfile, target: ProfileTarget, secrets: SecretChanges = {}): Promise<void> {
    const errors = validateProfile(profile);
    const first = Object.values(errors)[0];
    if (first) throw new Error(first);
    if (target === 'workspace' && !vscode.workspace.workspaceFolders?.length) throw new Error('Open a folder to save a connection in workspace settings.');
    for (const other of ['user', 'workspace'] as const) {
      if (other !== target && this.raw(other).some((raw) => (raw as { id?: unknown }).id === profile.id)) await this.write(other, this.raw(other).filter((raw) => (raw as { id?: unknown }).id !== profile.id));
    }
    const list = this.raw(target);
    const index = list.findIndex((raw) => (raw as { id?: unknown }).id === profile.id);
    const next = [...list];
    if (index >= 0) next[index] = profile;
    else next.push(profile);
    await this.write(target, next);
    for (const name of ['password', 'keyPassphrase'] as const) {
      const change = secrets[name];
      if (change === null || change === '') await this.secrets.delete(secretKey(profile.id, name));
      else if (change !== undefined) await this.secrets.store(secretKey(profile.id, name), change);
    }
  }

  async remove(id: string): Promise<void> {
    for (const target of ['user', 'workspace'] as const) {
      const list = this.raw(target);
      const next = list.filter((raw) => (raw as { id?: unknown }).id !== id);
      if (next.length !== list.length) await this.write(target, next);
    }
    await this.secrets.delete(secretKey(id, 'password'));
    await this.secrets.delete(secretKey(id, 'keyPassphrase'));
  }

  async getSecrets(id: string): Promise<ConnectionSecrets> {
    const [password, keyPassphrase] = await Promise.all([this.secrets.get(secretKey(id, 'password')), this.secrets.get(secretKey(id, 'keyPassphrase'))]);
    const result: ConnectionSecrets = {};
    if (password) result.password = password;
    if (keyPassphrase) result.keyPassphrase = keyPassphrase;
    return result;
  }

  private async write(target: ProfileTarget, value: unknown[]): Promise<void> {
    await vscode.workspace
      .getConfiguration(SECTION)
      .update(KEY, value.length ? value : undefined, target === 'user' ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace);
  }
}
