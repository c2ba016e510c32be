import { formatBytes } from '../src/shared/format';
import { parsePanelState, PROTOCOL_VERSION, type MessageView, type TopicView } from '../src/shared/protocol';
import { initialState, listen, post, request, saveState } from './host';
import { fromBase64, hexDump } from './logic/decoders';
import { badge, button, divider, registerToolkit, tag } from './toolkit';

// Everything that came from the broker goes into the page as text (textContent), never as markup.

registerToolkit();

function el<K extends keyof HTMLElementTagNameMap>(name: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(name);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** Pretty JSON when the text is JSON, otherwise the text; a hex dump for binary payloads. */
function payloadBody(message: MessageView): { kind: 'json' | 'text' | 'hex'; body: string } {
  if (message.text === undefined) return { kind: 'hex', body: hexDump(fromBase64(message.base64)) };
  try {
    return { kind: 'json', body: JSON.stringify(JSON.parse(message.text), null, 2) };
  } catch {
    return { kind: 'text', body: message.text };
  }
}

const app = document.getElementById('app') as HTMLElement;
const state = initialState(parsePanelState);
if (state) saveState(state);

function render(topic: TopicView | undefined): void {
  const header = el('header');
  header.append(el('h1', 'topic', topic?.topic ?? state?.topic ?? ''));
  const meta = el('div', 'meta');
  if (topic) {
    meta.append(tag(topic.connectionName), badge(`${topic.messageCount} messages`));
    if (topic.retained) meta.append(tag('retained'));
  }
  header.append(meta);

  const body = el('section', 'message');
  const last = topic?.last;
  if (!last) {
    body.append(el('p', 'empty', 'Waiting for a message on this topic…'));
  } else {
    const { kind, body: text } = payloadBody(last);
    const details = el('div', 'details');
    details.append(
      el('span', undefined, new Date(last.receivedAt).toLocaleString()),
      el('span', undefined, `QoS ${last.qos}`),
      el('span', undefined, formatBytes(last.size)),
      el('span', 'kind', kind.toUpperCase()),
    );
    if (last.retain) details.append(el('span', undefined, 'retained'));
    const actions = el('div', 'actions');
    const status = el('span', 'status');
    actions.append(
      button('Copy payload', () => {
        request('copyPayload', {}).then(
          (result) => (status.textContent = `Copied ${formatBytes(result.copied)}.`),
          (error: Error) => (status.textContent = error.message),
        );
      }),
      status,
    );
    const pre = el('pre', `payload payload-${kind}`, text);
    pre.tabIndex = 0;
    body.append(details, pre, actions);
  }
  app.replaceChildren(header, divider(), body);
}

listen((message) => {
  switch (message.type) {
    case 'topicState':
      render(message.topic);
      break;
  }
});

render(undefined);
post({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
