import * as vscode from 'vscode';

/** A long operation as its notification shows it: the title, the last message, and its cancellation. */
export interface RunningProgress {
  readonly title: string;
  readonly message: string | undefined;
  readonly cancellable: boolean;
  /** What the notification's Cancel button does. */
  cancel(): void;
}

/**
 * Every operation that can take more than a second runs through here: a notification with its
 * progress (vscode.window.withProgress) and, where the work can stop part-way, a Cancel button
 * whose token the work checks. The list of what runs now is for the extension-host tests, which
 * cannot press the notification's button: `cancel()` cancels the same token source it does.
 */
export class ProgressTracker implements vscode.Disposable {
  private readonly running = new Set<RunningProgress>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** An operation started, reported or ended. */
  readonly onDidChange = this.changed.event;

  get list(): readonly RunningProgress[] {
    return [...this.running];
  }

  run<T>(options: { title: string; cancellable: boolean }, task: (report: (message: string, increment?: number) => void, token: vscode.CancellationToken) => Promise<T>): Promise<T> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: options.title, cancellable: options.cancellable }, async (progress, shown) => {
        const source = new vscode.CancellationTokenSource();
        const fromButton = shown.onCancellationRequested(() => source.cancel());
        const changed = this.changed;
        const entry = {
          title: options.title,
          message: undefined as string | undefined,
          cancellable: options.cancellable,
          cancel: () => source.cancel(),
        };
        this.running.add(entry);
        changed.fire();
        try {
          return await task((message, increment) => {
            entry.message = message;
            progress.report(increment === undefined ? { message } : { message, increment });
            changed.fire();
          }, source.token);
        } finally {
          this.running.delete(entry);
          fromButton.dispose();
          source.dispose();
          changed.fire();
        }
      }),
    );
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The extension's one tracker: it lives as long as the extension's module (nothing to dispose but listeners, which their owners dispose). */
export const progress = new ProgressTracker();

/** The work's result, or undefined as soon as the token is cancelled (the work itself runs on; its result is dropped). */
export async function untilCancelled<T>(work: Promise<T>, token: vscode.CancellationToken): Promise<T | undefined> {
  if (token.isCancellationRequested) return undefined;
  let listener: vscode.Disposable | undefined;
  const cancelled = new Promise<undefined>((resolve) => (listener = token.onCancellationRequested(() => resolve(undefined))));
  try {
    return await Promise.race([work, cancelled]);
  } finally {
    listener?.dispose();
  }
}
