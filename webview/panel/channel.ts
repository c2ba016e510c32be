import { PANEL_DEADLINES, type PanelHostApi, type PanelWebviewApi } from '../../src/shared/webviewProtocol';
import { connectToHost } from '../host';

/** The topic the panel shows now (PanelTopic.target): requests carry it; replies for an earlier one are stale. */
let target: number | undefined;

export function setTarget(value: number): void {
  target = value;
}

/** The panel's channel to the extension host. */
export const host = connectToHost<PanelWebviewApi, PanelHostApi>({}, { deadlines: PANEL_DEADLINES, generation: () => target });
