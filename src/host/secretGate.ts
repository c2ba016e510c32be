import type { ConnectionSecrets } from '../worker/connection';
import { describeTarget, passwordGoesInClear } from '../shared/brokerTarget';
import type { ConnectionProfile } from '../shared/profile';
import type { ProfileStore } from './profileStore';
import type { Prompts } from './prompts';

export const SEND_PASSWORD = 'Send the Password';
export const CONNECT_WITHOUT = 'Connect Without It';
export const SEND_ANYWAY = 'Send Anyway';

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
    const clearWarning = inClear ? ` It would cross the network unencrypted (${profile.protocol}://): anyone on the way can read it.` : '';
    if (binding?.target !== bindingTarget) {
      const typedFor = binding ? `was typed for ${binding.label}` : 'has no record of the broker it was typed for';
      const choice = await this.prompts.confirm(
        `The saved password of "${profile.name}" ${typedFor}. This connection now goes to ${target}.${clearWarning}`,
        'A shared workspace, an imported file or Settings Sync can change where a connection goes. Send the password only if you made this change or trust who did.',
        // The first button is the default (Enter): the safe one.
        CONNECT_WITHOUT,
        SEND_PASSWORD,
      );
      if (choice === CONNECT_WITHOUT) return withoutPassword;
      if (choice !== SEND_PASSWORD) throw new Error(`Not connected: the saved password of "${profile.name}" was not sent to ${target}.`);
      await this.store.bind(profile, inClear);
      return secrets;
    }
    if (inClear && !binding.clearTextAccepted) {
      const choice = await this.prompts.confirm(
        `"${profile.name}" would send its password unencrypted (${profile.protocol}://) to ${target}: anyone on the network on the way can read it.`,
        'Use mqtts:// or wss:// to protect it. You are asked once for this connection and broker.',
        SEND_ANYWAY,
      );
      if (choice !== SEND_ANYWAY) throw new Error(`Not connected: the password of "${profile.name}" was not sent unencrypted to ${target}.`);
      await this.store.bind(profile, true);
    }
    return secrets;
  }
}
