/** Payload formatting shared by the host (tree descriptions, tooltips) and the webview. */

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The payload as text when it is valid UTF-8 without control characters other than whitespace. */
export function payloadAsText(payload: Uint8Array): string | undefined {
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    return undefined;
  }
  return /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

export function hexPreview(payload: Uint8Array, maxBytes: number): string {
  const shown = Array.from(payload.subarray(0, maxBytes), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return payload.length > maxBytes ? `${shown} …` : shown;
}

/** One line, at most `max` characters, for a tree item's description. */
export function oneLine(payload: Uint8Array, max = 80): string {
  if (payload.length === 0) return '(empty)';
  const text = payloadAsText(payload);
  if (text === undefined) return `0x ${hexPreview(payload, 16)}`;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

/** Classic hex dump: offset, 16 bytes in hex, the printable ASCII. */
export function hexDump(bytes: Uint8Array, width = 16): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += width) {
    const row = bytes.subarray(offset, offset + width);
    const hex = Array.from(row, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(width * 3 - 1)}  ${ascii}`);
  }
  return lines.join('\n');
}
