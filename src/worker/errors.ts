/** What went wrong with a connection, in words a user understands. No VS Code. */
import * as l10n from '@vscode/l10n';

// Texts are looked up when a failure is described, not when this module loads: the worker
// configures @vscode/l10n with the host's bundle only after its imports ran.

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3), in the display language. */
function connack3(code: number): string | undefined {
  switch (code) {
    case 1:
      return l10n.t('The broker does not support this MQTT version.');
    case 2:
      return l10n.t('The broker refused the client id.');
    case 3:
      return l10n.t('The broker is unavailable.');
    case 4:
      return l10n.t('Bad user name or password.');
    case 5:
      return l10n.t('Not authorised to connect.');
    default:
      return undefined;
  }
}

/** MQTT 5.0 reason codes (§2.4), for CONNACK, SUBACK, PUBACK and DISCONNECT, in the display language. */
export function reason5(code: number): string | undefined {
  switch (code) {
    case 0x80:
      return l10n.t('Unspecified error.');
    case 0x81:
      return l10n.t('Malformed packet.');
    case 0x82:
      return l10n.t('Protocol error.');
    case 0x83:
      return l10n.t('Implementation-specific error.');
    case 0x84:
      return l10n.t('The broker does not support this MQTT version.');
    case 0x85:
      return l10n.t('The broker refused the client id.');
    case 0x86:
      return l10n.t('Bad user name or password.');
    case 0x87:
      return l10n.t('Not authorised.');
    case 0x88:
      return l10n.t('The broker is unavailable.');
    case 0x89:
      return l10n.t('The broker is busy.');
    case 0x8a:
      return l10n.t('Banned by the broker.');
    case 0x8b:
      return l10n.t('The broker is shutting down.');
    case 0x8c:
      return l10n.t('Bad authentication method.');
    case 0x8d:
      return l10n.t('Keep alive timeout.');
    case 0x8e:
      return l10n.t('Session taken over by another client with the same client id.');
    case 0x8f:
      return l10n.t('Topic filter invalid.');
    case 0x90:
      return l10n.t('Topic name invalid.');
    case 0x91:
      return l10n.t('Packet identifier in use.');
    case 0x92:
      return l10n.t('Packet identifier not found.');
    case 0x93:
      return l10n.t('Receive maximum exceeded.');
    case 0x94:
      return l10n.t('Topic alias invalid.');
    case 0x95:
      return l10n.t('Packet too large.');
    case 0x96:
      return l10n.t('Message rate too high.');
    case 0x97:
      return l10n.t('Quota exceeded.');
    case 0x98:
      return l10n.t('Administrative action.');
    case 0x99:
      return l10n.t('Payload format invalid.');
    case 0x9a:
      return l10n.t('Retain not supported.');
    case 0x9b:
      return l10n.t('QoS not supported.');
    case 0x9c:
      return l10n.t('Use another server.');
    case 0x9d:
      return l10n.t('Server moved.');
    case 0x9e:
      return l10n.t('Shared subscriptions not supported.');
    case 0x9f:
      return l10n.t('Connection rate exceeded.');
    case 0xa0:
      return l10n.t('Maximum connect time.');
    case 0xa1:
      return l10n.t('Subscription identifiers not supported.');
    case 0xa2:
      return l10n.t('Wildcard subscriptions not supported.');
    default:
      return undefined;
  }
}

export interface ErrorContext {
  host: string;
  port: number;
  mqttVersion: 4 | 5;
  /** The CONNECT carried a user name or password: a refusal then most likely means they are wrong. */
  credentials?: boolean;
}

/** Refusals that a wrong user name or password gives (3.1.1 return codes, 5.0 reason codes). */
const CREDENTIAL_REFUSALS = [4, 5, 0x86, 0x87];

type ErrorLike = Error & { code?: string | number; reason?: string };

/** One sentence for a failed connection: what happened, and where it helps, what to check. */
export function describeConnectError(error: ErrorLike, context: ErrorContext): string {
  const where = `${context.host}:${context.port}`;
  const code = error.code;
  if (typeof code === 'number') {
    // A 3.1.1-only broker answers a 5.0 CONNECT with a 3.1.1 return code, so try both tables.
    const v5 = code >= 0x80 ? reason5(code) : undefined;
    const text = v5 ?? connack3(code);
    if (code === 1 || code === 0x84) return l10n.t("{0} Set the connection's MQTT version to {1}. (return code {2})", text ?? '', context.mqttVersion === 5 ? '3.1.1' : '5.0', code);
    if (text) {
      const sentence = context.credentials && CREDENTIAL_REFUSALS.includes(code) ? l10n.t('{0} Check the user name and password.', text) : text;
      const hex = code === 0 ? '0' : `0x${code.toString(16)}`;
      return v5 ? l10n.t('{0} (reason code {1})', sentence, hex) : l10n.t('{0} (return code {1})', sentence, hex);
    }
  }
  switch (code) {
    case 'ECONNREFUSED':
      return l10n.t('Connection refused by {0}: no broker is listening on that port.', where);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return l10n.t('Host name not found: {0}.', context.host);
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return l10n.t('Timed out connecting to {0}.', where);
    case 'ECONNRESET':
      return l10n.t('{0} closed the connection (is it a TLS port, or a plain one?).', where);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return l10n.t('{0} cannot be reached from this machine.', where);
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return l10n.t("The broker's TLS certificate is signed by an unknown authority: add its CA file, or turn off certificate verification for a test broker.");
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return l10n.t("The broker's TLS certificate does not match the name {0}: connect by the name on the certificate, or set the TLS server name. ({1})", context.host, error.reason ?? error.message);
    case 'CERT_HAS_EXPIRED':
      return l10n.t("The broker's TLS certificate has expired.");
    case 'CERT_NOT_YET_VALID':
      return l10n.t("The broker's TLS certificate is not valid yet (check the clocks).");
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return l10n.t('{0} did not answer TLS: is it a plain MQTT port?', where);
    default:
      break;
  }
  if (/bad decrypt|bad password read|BAD_DECRYPT/i.test(error.message)) return l10n.t('The client key could not be decrypted: wrong key passphrase.');
  // A wrong passphrase whose garbage happens to pass the padding check reaches OpenSSL 3's decoder,
  // which then says "unsupported" (seen now and then with the same key and passphrase).
  if (/DECODER routines::unsupported/i.test(error.message)) return l10n.t('The client key could not be read: wrong key passphrase, or a key format that Node cannot read.');
  if (/connack timeout|connect timeout/i.test(error.message)) return l10n.t('Timed out waiting for {0} to accept the MQTT connection.', where);
  return error.message || String(error);
}

/** A refused SUBACK entry (3.1.1: 0x80; 5.0: any reason code of 0x80 or more) in words. */
export function describeSubscribeFailure(code: number, mqttVersion: 4 | 5): string {
  if (mqttVersion === 5) return l10n.t('{0} (reason code {1})', reason5(code) ?? l10n.t('Refused.'), `0x${code.toString(16)}`);
  return l10n.t('Refused by the broker (return code 0x80: often an access control rule).');
}
