/** What went wrong with a connection, in words a user understands. No VS Code. */

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
const CONNACK_3: Record<number, string> = {
  1: 'The broker does not support this MQTT version.',
  2: 'The broker refused the client id.',
  3: 'The broker is unavailable.',
  4: 'Bad user name or password.',
  5: 'Not authorised to connect.',
};

/** MQTT 5.0 reason codes (§2.4), for CONNACK, SUBACK, PUBACK and DISCONNECT. */
export const REASON_5: Record<number, string> = {
  0x80: 'Unspecified error.',
  0x81: 'Malformed packet.',
  0x82: 'Protocol error.',
  0x83: 'Implementation-specific error.',
  0x84: 'The broker does not support this MQTT version.',
  0x85: 'The broker refused the client id.',
  0x86: 'Bad user name or password.',
  0x87: 'Not authorised.',
  0x88: 'The broker is unavailable.',
  0x89: 'The broker is busy.',
  0x8a: 'Banned by the broker.',
  0x8b: 'The broker is shutting down.',
  0x8c: 'Bad authentication method.',
  0x8d: 'Keep alive timeout.',
  0x8e: 'Session taken over by another client with the same client id.',
  0x8f: 'Topic filter invalid.',
  0x90: 'Topic name invalid.',
  0x91: 'Packet identifier in use.',
  0x92: 'Packet identifier not found.',
  0x93: 'Receive maximum exceeded.',
  0x94: 'Topic alias invalid.',
  0x95: 'Packet too large.',
  0x96: 'Message rate too high.',
  0x97: 'Quota exceeded.',
  0x98: 'Administrative action.',
  0x99: 'Payload format invalid.',
  0x9a: 'Retain not supported.',
  0x9b: 'QoS not supported.',
  0x9c: 'Use another server.',
  0x9d: 'Server moved.',
  0x9e: 'Shared subscriptions not supported.',
  0x9f: 'Connection rate exceeded.',
  0xa0: 'Maximum connect time.',
  0xa1: 'Subscription identifiers not supported.',
  0xa2: 'Wildcard subscriptions not supported.',
};

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
    const v5 = code >= 0x80 ? REASON_5[code] : undefined;
    const text = v5 ?? CONNACK_3[code];
    if (code === 1 || code === 0x84) return `${text} Set the connection's MQTT version to ${context.mqttVersion === 5 ? '3.1.1' : '5.0'}. (return code ${code})`;
    const check = context.credentials && CREDENTIAL_REFUSALS.includes(code) ? ' Check the user name and password.' : '';
    if (text) return `${text}${check} (${v5 ? 'reason' : 'return'} code ${code === 0 ? 0 : `0x${code.toString(16)}`})`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `Connection refused by ${where}: no broker is listening on that port.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Host name not found: ${context.host}.`;
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return `Timed out connecting to ${where}.`;
    case 'ECONNRESET':
      return `${where} closed the connection (is it a TLS port, or a plain one?).`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} cannot be reached from this machine.`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `The broker's TLS certificate is signed by an unknown authority: add its CA file, or turn off certificate verification for a test broker.`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `The broker's TLS certificate does not match the name ${context.host}: connect by the name on the certificate, or set the TLS server name. (${error.reason ?? error.message})`;
    case 'CERT_HAS_EXPIRED':
      return `The broker's TLS certificate has expired.`;
    case 'CERT_NOT_YET_VALID':
      return `The broker's TLS certificate is not valid yet (check the clocks).`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return `${where} did not answer TLS: is it a plain MQTT port?`;
    default:
      break;
  }
  if (/bad decrypt|bad password read|BAD_DECRYPT/i.test(error.message)) return 'The client key could not be decrypted: wrong key passphrase.';
  if (/connack timeout|connect timeout/i.test(error.message)) return `Timed out waiting for ${where} to accept the MQTT connection.`;
  return error.message || String(error);
}

/** A refused SUBACK entry (3.1.1: 0x80; 5.0: any reason code of 0x80 or more) in words. */
export function describeSubscribeFailure(code: number, mqttVersion: 4 | 5): string {
  if (mqttVersion === 5) return `${REASON_5[code] ?? 'Refused.'} (reason code 0x${code.toString(16)})`;
  return 'Refused by the broker (return code 0x80: often an access control rule).';
}
