/** Any event in the VS Code style: vscode.Event and the engine's Emitter.event both fit. */
export type EventLike<T> = (listener: (value: T) => void) => { dispose(): void };

/** Resolves with the first event value that satisfies `predicate`; rejects after `timeoutMs`. */
export function waitFor<T>(event: EventLike<T>, predicate: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const subscription = event((value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(value);
    });
  });
}
