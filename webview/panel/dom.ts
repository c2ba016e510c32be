/**
 * Elements for the panel. Everything that came from a broker (topics, payloads, keys, property
 * names and values) goes into the page through `textContent` only, never as markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(name: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(name);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}
