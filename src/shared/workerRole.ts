/**
 * Which thread a start of dist/workers.js becomes. The engine and the devtools (local broker,
 * simulator) threads run one bundle: they share mqtt.js, ws, protobufjs and more, which two bundles
 * carried twice in the .vsix. The client that starts a thread adds its role to the thread's
 * workerData; the rest of workerData is the role's own (EngineWorkerData for the engine).
 */
export type WorkerRole = 'engine' | 'devtools';

/** `data` (a role's own workerData, if any) with the role that picks the thread's code. */
export function withWorkerRole<T extends object>(role: WorkerRole, data?: T): T & { role: WorkerRole } {
  return { ...(data ?? ({} as T)), role };
}

/** The role in a thread's workerData; throws for a start without one (nothing to run). */
export function workerRoleOf(data: unknown): WorkerRole {
  const role = typeof data === 'object' && data !== null ? (data as { role?: unknown }).role : undefined;
  if (role === 'engine' || role === 'devtools') return role;
  throw new Error(`dist/workers.js was started without a known workerData.role (got ${JSON.stringify(role)}).`);
}
