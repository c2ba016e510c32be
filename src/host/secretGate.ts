import * as vscode from 'vscode';
import type { ConnectionSecrets } from '../worker/connection';
import { describeTarget, passwordGoesInClear } from '../shared/brokerTarget';
import type { ConnectionProfile } from '../shared/profile';
import type { ProfileStore } from './profileStore';
import type { Prompts } from './prompts';

/** The buttons, translated when asked (the display language is known only once the extension runs). */
export const SEND_PASSWORD = (): string => vscode.l10n.t('Send the Password');
export const CONNECT_WITHOUT = (): string => vscode.l10n.t('Connect Without It');
export const SEND_ANYWAY = (): string => vscode.l10n.t('Send Anyway');

/**
 * Every connect reads its secrets here, so no path (Connect, the form, a reconnect after a settings
 * change, an engine restart's recovery) can send a stored password somewhere the user did not
 * agree to. A password goes only to the broker it was typed for (ProfileStore's binding); when the
 * profile now points elsewhere (a workspace that overrides it, an import, Settings Sync, an edit),
 * a modal names the old and the new broker first. A password that would cross the network
 * unencrypted is asked about once per profile and broker. The key passphrase only unlocks a local
 * key file and is never sent, so it is not held back.
 */
export class SecretGate {
  /** One question per profile and broker at a time: concurrent connects share its answer. */
  private readonly asking = new Map<string, Promise<ConnectionSecrets>>();

  constructor(
    private readonly store: ProfileStore,
    private readonly prompts: Prompts,
  ) {}

  secretsFor(profile: ConnectionProfile): Promise<ConnectionSecrets> {
    const bindingTarget = this.store.bindingTarget(profile);
    const key = `${profile.id}\n${bindingTarget}`;
    let pending = this.asking.get(key);
    if (!pending) {
      pending = this.decide(profile, bindingTarget).finally(() => this.asking.delete(key));
      this.asking.set(key, pending);
    }
    return pending;
  }

  private async decide(profile: ConnectionProfile, bindingTarget: string): Promise<ConnectionSecrets> {
    const secrets = await this.store.getSecrets(profile.id);
    if (secrets.password === undefined) return secrets;
    const withoutPassword: ConnectionSecrets = secrets.keyPassphrase === undefined ? {} : { keyPassphrase: secrets.keyPassphrase };
    const binding = await this.store.binding(profile.id);
    const target = describeTarget(profile);
    const inClear = passwordGoesInClear(profile);
    // A sentence of its own, appended to the question.
    const clearWarning = inClear ? ` ${vscode.l10n.t('It would cross the network unencrypted ({0}://): anyone on the way can read it.', profile.protocol)}` : '';
    if (binding?.target !== bindingTarget) {
      const question = binding
        ? vscode.l10n.t('The saved password of "{0}" was typed for {1}. This connection now goes to {2}.', profile.name, binding.label, target)
        : vscode.l10n.t('The saved password of "{0}" has no record of the broker it was typed for. This connection now goes to {1}.', profile.name, target);
      const connectWithout = CONNECT_WITHOUT();
      const sendPassword = SEND_PASSWORD();
      const choice = await this.prompts.confirm(
        `${question}${clearWarning}`,
        vscode.l10n.t('A shared workspace, an imported file or Settings Sync can change where a connection goes. Send the password only if you made this change or trust who did.'),
        // The first button is the default (Enter): the safe one.
        connectWithout,
        sendPassword,
      );
      if (choice === connectWithout) return withoutPassword;
      if (choice !== sendPassword) throw new Error(vscode.l10n.t('Not connected: the saved password of "{0}" was not sent to {1}.', profile.name, target));
      await this.store.bind(profile, inClear);
      return secrets;
    }
    if (inClear && !binding.clearTextAccepted) {
      const sendAnyway = SEND_ANYWAY();
      const choice = await this.prompts.confirm(
        vscode.l10n.t('"{0}" would send its password unencrypted ({1}://) to {2}: anyone on the network on the way can read it.', profile.name, profile.protocol, target),
        vscode.l10n.t('Use mqtts:// or wss:// to protect it. You are asked once for this connection and broker.'),
        sendAnyway,
      );
      if (choice !== sendAnyway) throw new Error(vscode.l10n.t('Not connected: the password of "{0}" was not sent unencrypted to {1}.', profile.name, target));
      await this.store.bind(profile, true);
    }
    return secrets;
  }
}
