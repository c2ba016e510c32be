/**
 * The context keys the walkthrough's steps complete on (package.json `contributes.walkthroughs`,
 * `completionEvents: onContext:…`). Each is set when the thing itself happened, not when a button
 * was pressed: the broker and the simulator run, a topic's panel opened, a publish reached the
 * broker, a connection was saved. VS Code remembers a completed step, so a key is never unset.
 */
export const WALKTHROUGH_KEYS = {
  localRunning: 'mqttExplorer.walkthrough.localRunning',
  topicOpened: 'mqttExplorer.walkthrough.topicOpened',
  published: 'mqttExplorer.walkthrough.published',
  connectionSaved: 'mqttExplorer.walkthrough.connectionSaved',
} as const;

export type WalkthroughStep = keyof typeof WALKTHROUGH_KEYS;
