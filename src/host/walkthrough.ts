import * as vscode from 'vscode';
import type { LocalDevelopment } from './localDevelopment';
import type { ProfileStore } from './profileStore';
import type { PublishHistory } from './publishFlow';
import type { TopicPanels } from './topicPanel';
import { WALKTHROUGH_KEYS, type WalkthroughStep } from '../shared/walkthrough';

export interface WalkthroughSources {
  local: Pick<LocalDevelopment, 'onDidChange' | 'simulatorRunning' | 'broker'>;
  panels: Pick<TopicPanels, 'onDidOpen'>;
  publishes: Pick<PublishHistory, 'onDidPublish'>;
  profiles: Pick<ProfileStore, 'onDidSave'>;
}

export class Walkthrough implements vscode.Disposable {
  private readonly done = new Set<WalkthroughStep>();
  /** How often each step's event happened in this window (the tests' view: a step completes once, its event recurs). */
  private readonly counts = new Map<WalkthroughStep, number>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly sources: WalkthroughSources) {
    this.subscriptions = [
      sources.local.onDidChange(() => this.checkLocal()),
      sources.panels.onDidOpen(() => this.complete('topicOpened')),
      sources.publishes.onDidPublish(() => this.complete('published')),
      sources.profiles.onDidSave(() => this.complete('connectionSaved')),
    ];
    // Started before this was built (autoStart): that counts too.
    this.checkLocal();
  }

  static register(context: vscode.ExtensionContext, sources: WalkthroughSources): Walkthrough {
    const walkthrough = new Walkthrough(sources);
    context.subscriptions.push(walkthrough);
    return walkthrough;
  }

  /** The steps completed in this window (for the tests; VS Code keeps its own record across windows). */
  get completed(): readonly WalkthroughStep[] {
    return [...this.done];
  }

  /** How often the step's event happened in this window. */
  seen(step: WalkthroughStep): number {
    return this.counts.get(step) ?? 0;
  }

  dispose(): void {
    this.subscriptions.forEach((subscription) => subscription.dispose());
  }

  private checkLocal(): void {
    if (this.sources.local.broker.running && this.sources.local.simulatorRunning) this.complete('localRunning');
  }

  private complete(step: WalkthroughStep): void {
    this.counts.set(step, this.seen(step) + 1);
    if (this.done.has(step)) return;
    this.done.add(step);
    void vscode.commands.executeCommand('setContext', WALKTHROUGH_KEYS[step], true);
  }
}
