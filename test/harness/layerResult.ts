/** What each test layer writes for the summary: the counts and the lines a person reads. */
export interface LayerResult {
  passed: number;
  failed: number;
  skipped: number;
  lines: string[];
}
