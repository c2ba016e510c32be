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

/** Polls `check` until it holds, every `intervalMs`; rejects after `timeoutMs`. For state with no event (a page's DOM). */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
