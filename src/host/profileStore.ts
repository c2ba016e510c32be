import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { ConnectionSecrets } from '../worker/connection';
import { normaliseProfile, partitionSubscriptions, validateProfile, type ConnectionProfile, type SubscriptionSpec } from '../shared/profile';
import { brokerTarget, describeTarget } from '../shared/brokerTarget';
import { resolveTlsPath } from '../worker/tlsFiles';
import { describeValue } from '../shared/settings';
import type { Settings } from './settings';
import { LOCAL_CONNECTION_ID } from './localDevelopment';
import { RestrictedModeError } from './engine/engineClient';
import { firstWorkspaceFolder, type UntrustedWorkspaceSettings } from './workspaceTrust';

export type ProfileTarget = 'user' | 'workspace';

export interface StoredProfile {
  profile: ConnectionProfile;
  target: ProfileTarget;
  /** From the settings of a folder that is not trusted (Restricted Mode): listed, marked, never connected. */
  restricted: boolean;
}

/** What to do with a secret on save: a new value, null to delete it, undefined to keep it. */
export interface SecretChanges {
  password?: string | null;
  keyPassphrase?: string | null;
}

const SECTION = 'mqttExplorer';
const KEY = 'connections';

function secretKey(id: string, name: keyof ConnectionSecrets | 'boundTo'): string {
  return `mqttExplorer.connection.${id}.${name}`;
}

/** Why a profile from an untrusted folder's settings cannot be changed, edited or removed here. */
export function restrictedChange(name: string, verb: 'change' | 'edit' | 'remove'): RestrictedModeError {
  // One whole sentence per verb: translations cannot be assembled from the verb alone.
  const message = {
    change: () => vscode.l10n.t('"{0}" comes from this folder\'s settings, and the folder is not trusted (Restricted Mode): it cannot be changed here. Trust the folder to change it.', name),
    edit: () => vscode.l10n.t('"{0}" comes from this folder\'s settings, and the folder is not trusted (Restricted Mode): it cannot be edited here. Trust the folder to edit it.', name),
    remove: () => vscode.l10n.t('"{0}" comes from this folder\'s settings, and the folder is not trusted (Restricted Mode): it cannot be removed here. Trust the folder to remove it.', name),
  }[verb]();
  return new RestrictedModeError(message);
}

/** The broker a profile's stored password was typed for (see SecretGate). */
export interface SecretBinding {
  /** brokerTarget() of the profile when the password was stored or last confirmed. */
  target: string;
  /** The same, in words, for the question that names the old and the new broker. */
  label: string;
  /** The user agreed to send it unencrypted to this target (asked once). */
  clearTextAccepted?: boolean;
}

/**
 * Connection profiles: everything but the secrets in settings (user or workspace, so a team can
 * share a workspace's brokers), the password and key passphrase in SecretStorage only.
 */
export class ProfileStore {
  private readonly saved = new vscode.EventEmitter<ConnectionProfile>();
  /** A profile was saved by the person (the form, an import): the walkthrough's "add your own broker". */
  readonly onDidSave = this.saved.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly settings: Settings,
    /** The folder's settings file, read while the folder is not trusted. */
    private readonly untrusted: UntrustedWorkspaceSettings,
  ) {}

  /** The profiles changed: in settings, in an untrusted folder's settings file, or the folder was trusted. */
  readonly onDidChange = (listener: () => void): vscode.Disposable => {
    const fromSettings = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.${KEY}`) || event.affectsConfiguration(`${SECTION}.defaultSubscriptions`)) listener();
    });
    const fromFolder = this.untrusted.onDidChange(listener);
    return { dispose: () => (fromSettings.dispose(), fromFolder.dispose()) };
  };

  /**
   * Why a connection with this profile may not connect now, or undefined when it may. In a
   * folder that is not trusted only a profile exactly as the user's settings hold it, or the
   * local broker's own connection, may connect: one from the folder's settings (also one that
   * takes the id of a user profile) or one the settings no longer hold may not.
   */
  refusal(profile: ConnectionProfile): string | undefined {
    if (this.untrusted.trusted) return undefined;
    const stored = this.get(profile.id);
    if (!stored && profile.id === LOCAL_CONNECTION_ID) return undefined;
    if (stored && !stored.restricted && JSON.stringify(stored.profile) === JSON.stringify(profile)) return undefined;
    return vscode.l10n.t('"{0}" comes from this folder\'s settings, and the folder is not trusted (Restricted Mode): it does not connect. Trust the folder to connect.', profile.name);
  }

  /** The default filters, without those the explorer refuses (shared subscriptions, invalid filters), each refused with a warning. */
  private defaultSubscriptions(): SubscriptionSpec[] {
    const { kept, refused } = partitionSubscriptions(this.settings.get('defaultSubscriptions').map((topic) => ({ topic, qos: 0 })));
    for (const { topic, problem } of refused) this.settings.warnings.warn(`${SECTION}.defaultSubscriptions`, topic, vscode.l10n.t('{0} is not subscribed to. {1}', describeValue(topic), problem));
    return kept;
  }

  private raw(target: ProfileTarget): unknown[] {
    const inspected = vscode.workspace.getConfiguration(SECTION).inspect<unknown>(KEY);
    // Untrusted: VS Code withholds the folder's value of this restricted setting; its file says what it holds.
    const workspace = this.untrusted.trusted ? inspected?.workspaceValue : this.untrusted.value(`${SECTION}.${KEY}`);
    const value = target === 'user' ? inspected?.globalValue : workspace;
    if (value === undefined || Array.isArray(value)) return value ?? [];
    this.settings.warnings.warn(`${SECTION}.${KEY}`, value, target === 'user' ? vscode.l10n.t('the user settings\' value is not a list of connections; ignored.') : vscode.l10n.t('the workspace settings\' value is not a list of connections; ignored.'));
    return [];
  }

  /**
   * Every valid profile; workspace ones win over user ones with the same id (in an untrusted
   * folder too, marked restricted: the user sees the folder's override). What settings hold
   * but cannot be used is left out with a warning: a refused subscription filter (the profile keeps
   * its other ones), an entry that is no profile, a profile with an invalid field.
   */
  list(): StoredProfile[] {
    const byId = new Map<string, StoredProfile>();
    const setting = `${SECTION}.${KEY}`;
    const defaults = this.defaultSubscriptions();
    for (const target of ['user', 'workspace'] as const) {
      for (const raw of this.raw(target)) {
        // A profile written by hand may have no id: derive one that stays the same on every read.
        const profile = normaliseProfile(raw, { id: (r) => `settings:${String(r.name ?? '')}@${String(r.host ?? '')}:${String(r.port ?? '')}`, subscriptions: defaults });
        if (!profile) {
          this.settings.warnings.warn(setting, raw, vscode.l10n.t('{0} is not a connection profile (it needs at least a "host"); ignored.', describeValue(raw)));
          continue;
        }
        const { kept, refused } = partitionSubscriptions(profile.subscriptions);
        for (const { topic, problem } of refused) this.settings.warnings.warn(setting, [profile.id, topic], vscode.l10n.t('connection "{0}": {1} is not subscribed to. {2}', profile.name, describeValue(topic), problem));
        profile.subscriptions = kept;
        const invalid = Object.values(validateProfile(profile))[0];
        if (invalid) {
          this.settings.warnings.warn(setting, [profile.id, invalid], vscode.l10n.t('connection "{0}" is ignored: {1}', profile.name, invalid));
          continue;
        }
        if (profile.id === LOCAL_CONNECTION_ID) {
          // The local broker's own connection: a profile taking its id would replace it (and ask for its password).
          this.settings.warnings.warn(setting, [profile.id], vscode.l10n.t('connection "{0}" is ignored: the id "{1}" belongs to the local broker\'s connection.', profile.name, LOCAL_CONNECTION_ID));
          continue;
        }
        byId.set(profile.id, { profile, target, restricted: target === 'workspace' && !this.untrusted.trusted });
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
    if (profile.id === LOCAL_CONNECTION_ID) throw new Error(vscode.l10n.t('The id "{0}" belongs to the local broker\'s connection.', LOCAL_CONNECTION_ID));
    if (target === 'workspace' && !vscode.workspace.workspaceFolders?.length) throw new Error(vscode.l10n.t('Open a folder to save a connection in workspace settings.'));
    // Restricted Mode: the folder's settings are not ours to change (and VS Code hides what they hold).
    if (target === 'workspace' && !this.untrusted.trusted) throw new RestrictedModeError(vscode.l10n.t('This folder is not trusted (Restricted Mode): connections are not saved in its settings. Save it in user settings, or trust the folder.'));
    if (this.get(profile.id)?.restricted) throw restrictedChange(profile.name, 'change');
    // A password typed now is typed for this profile's broker: it is bound there first, so a
    // connect of the profile as it was, in between, is asked about instead of sending it.
    if (typeof secrets.password === 'string' && secrets.password !== '') await this.bind(profile, false);
    // Secrets change before the profile is written: writing it fires the settings change that
    // reconnects a live connection, which must not read the old password for a new broker.
    for (const name of ['password', 'keyPassphrase'] as const) {
      const change = secrets[name];
      if (change === null || change === '') await this.secrets.delete(secretKey(profile.id, name));
      else if (change !== undefined) await this.secrets.store(secretKey(profile.id, name), change);
    }
    for (const other of ['user', 'workspace'] as const) {
      if (other !== target && this.raw(other).some((raw) => (raw as { id?: unknown }).id === profile.id)) await this.write(other, this.raw(other).filter((raw) => (raw as { id?: unknown }).id !== profile.id));
    }
    const list = this.raw(target);
    const index = list.findIndex((raw) => (raw as { id?: unknown }).id === profile.id);
    const next = [...list];
    if (index >= 0) next[index] = profile;
    else next.push(profile);
    await this.write(target, next);
    this.saved.fire(profile);
  }

  async remove(id: string): Promise<void> {
    // Restricted Mode: removing the folder's profile would delete the secrets of the user profile it shadows.
    const stored = this.get(id);
    if (stored?.restricted) throw restrictedChange(stored.profile.name, 'remove');
    for (const target of ['user', 'workspace'] as const) {
      const list = this.raw(target);
      const next = list.filter((raw) => (raw as { id?: unknown }).id !== id);
      if (next.length !== list.length) await this.write(target, next);
    }
    await this.secrets.delete(secretKey(id, 'password'));
    await this.secrets.delete(secretKey(id, 'keyPassphrase'));
    await this.secrets.delete(secretKey(id, 'boundTo'));
  }

  /** The broker the profile's password was typed for, if one was recorded. */
  async binding(id: string): Promise<SecretBinding | undefined> {
    const raw = await this.secrets.get(secretKey(id, 'boundTo'));
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as Partial<SecretBinding>;
      if (typeof parsed.target === 'string' && typeof parsed.label === 'string') return { target: parsed.target, label: parsed.label, clearTextAccepted: parsed.clearTextAccepted === true };
    } catch {
      // Unreadable: as if none was recorded, so the user is asked.
    }
    return undefined;
  }

  /**
   * The broker a password is bound to: brokerTarget with the CA file as the engine would read it
   * (a relative path means another file in another folder; unresolvable, it matches nothing).
   */
  bindingTarget(profile: ConnectionProfile): string {
    const caFile = profile.tls?.caFile;
    if (!caFile || !profile.tls) return brokerTarget(profile);
    let resolved: string;
    try {
      resolved = resolveTlsPath('caFile', caFile, { workspaceFolder: firstWorkspaceFolder() });
    } catch {
      resolved = `(unresolved) ${caFile}`;
    }
    return brokerTarget({ ...profile, tls: { ...profile.tls, caFile: resolved } });
  }

  /** Binds the profile's password to the profile's broker as it is now. */
  async bind(profile: ConnectionProfile, clearTextAccepted: boolean): Promise<void> {
    const binding: SecretBinding = { target: this.bindingTarget(profile), label: describeTarget(profile), clearTextAccepted };
    await this.secrets.store(secretKey(profile.id, 'boundTo'), JSON.stringify(binding));
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
