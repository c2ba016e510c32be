import * as vscode from 'vscode';
import { parseConnectLink } from '../shared/connectLink';
import { newProfile } from '../shared/profile';
import type { ConnectionEditors } from './connectionEditor';
import type { ProfileStore } from './profileStore';

/** The one path the URI handler answers: `vscode://<publisher>.<name>/connect?url=…`. */
export const CONNECT_PATH = '/connect';

/**
 * Links to a broker (from a team's wiki, say) open the connection form filled in. A link is
 * somebody else's words: it never connects, never saves, and a password in it is dropped (a
 * password in a wiki page is a leak to undo, not a value to keep), with a note saying so.
 */
export class ConnectLinkHandler implements vscode.UriHandler {
  constructor(
    private readonly store: ProfileStore,
    private readonly editors: ConnectionEditors,
    /** publisher.name: the authority of the extension's links. */
    private readonly extensionId: string,
  ) {}

  static register(context: vscode.ExtensionContext, store: ProfileStore, editors: ConnectionEditors): void {
    context.subscriptions.push(vscode.window.registerUriHandler(new ConnectLinkHandler(store, editors, context.extension.id)));
  }

  handleUri(uri: vscode.Uri): void {
    if (uri.path !== CONNECT_PATH) {
      void vscode.window.showErrorMessage(vscode.l10n.t('MQTT: this link is not one MQTT Explorer opens. Links to a broker look like {0}.', `${vscode.env.uriScheme}://${this.extensionId}/connect?url=mqtt://host:1883&name=…`));
      return;
    }
    const link = parseConnectLink(uri.query);
    if ('error' in link) {
      void vscode.window.showErrorMessage(vscode.l10n.t('MQTT: the link to a broker could not be opened. {0}', link.error));
      return;
    }
    this.editors.show(newProfile(this.store.newId(), link.fields), { isNew: true, target: 'user' });
    if (link.droppedPassword) {
      void vscode.window.showWarningMessage(vscode.l10n.t('MQTT: the link contained a password. It was not filled in and is not stored: enter it in the form if the broker needs one.'));
    }
  }
}
