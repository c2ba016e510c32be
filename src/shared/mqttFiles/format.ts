/**
 * Writes `.mqtt` text from a document's content: what "Save as .mqtt" or a recorder would use,
 * and the property tests' way of checking that a printed block parses back to the same block.
 * The canonical layout: `### name`, block variables, the request line in capitals, headers in the
 * order given, a blank line, the body; blocks apart by one blank line; a final newline.
 */
import type { BlockKind, BodyKind, HeaderName, MqttBlock, MqttFileDocument } from './types';
import { BLOCK_KEYWORDS } from './types';

export interface BlockContent {
  name?: string;
  kind: BlockKind;
  topic: string;
  variables?: readonly { name: string; value: string }[];
  headers?: readonly { name: HeaderName; value: string }[];
  /** For hex and base64, the data of each line (joined with `\n`), without the prefix; for a file, the path. */
  body?: { kind: BodyKind; text: string };
}

export interface DocumentContent {
  connection?: string;
  variables?: readonly { name: string; value: string }[];
  blocks: readonly BlockContent[];
}

/** The content of a parsed block, without positions. */
export function blockContent(block: MqttBlock): BlockContent {
  const content: BlockContent = {
    kind: block.kind,
    topic: block.topic.text,
    variables: block.variables.map(({ name, value }) => ({ name, value })),
    headers: block.headers.map(({ name, value }) => ({ name, value })),
  };
  if (block.name !== undefined) content.name = block.name;
  if (block.body) content.body = { kind: block.body.kind, text: block.body.text };
  return content;
}

/** The content of a parsed document, without positions. */
export function documentContent(document: MqttFileDocument): DocumentContent {
  const content: DocumentContent = { variables: document.variables.map(({ name, value }) => ({ name, value })), blocks: document.blocks.map(blockContent) };
  if (document.connection) content.connection = document.connection.text;
  return content;
}

function variableLines(variables: readonly { name: string; value: string }[] | undefined): string[] {
  return (variables ?? []).map(({ name, value }) => `@${name} =${value ? ` ${value}` : ''}`);
}

/** One block as text, ending with a newline. */
export function formatBlock(block: BlockContent): string {
  const lines = [block.name ? `### ${block.name}` : '###', ...variableLines(block.variables), `${BLOCK_KEYWORDS[block.kind]} ${block.topic}`.trimEnd()];
  for (const header of block.headers ?? []) lines.push(`${header.name}: ${header.value}`.trimEnd());
  if (block.body) {
    lines.push('');
    const { kind, text } = block.body;
    if (kind === 'file') lines.push(`< ${text}`);
    else if (kind === 'hex' || kind === 'base64') for (const data of text.split('\n')) lines.push(`${kind}: ${data}`.trimEnd());
    else lines.push(text);
  }
  return `${lines.join('\n')}\n`;
}

/** A whole file: the header (connection, variables), then the blocks. */
export function formatDocument(document: DocumentContent): string {
  const header: string[] = [];
  if (document.connection) header.push(`# @connection ${document.connection}`);
  header.push(...variableLines(document.variables));
  const parts = header.length ? [`${header.join('\n')}\n`] : [];
  for (const block of document.blocks) parts.push(formatBlock(block));
  return parts.join('\n');
}
