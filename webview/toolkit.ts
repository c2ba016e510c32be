/**
 * The only module that touches @vscode/webview-ui-toolkit. Microsoft deprecated the toolkit on
 * 2025-01-01; its community successor is @vscode-elements/elements. Moving over is a change of this
 * file: the rest of the webview creates components through these functions only.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeBadge,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDivider,
  vsCodeDropdown,
  vsCodeOption,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeTag,
  vsCodeTextArea,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeBadge(),
    vsCodeDivider(),
    vsCodeTag(),
    vsCodeTextField(),
    vsCodeTextArea(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeCheckbox(),
    vsCodePanels(),
    vsCodePanelTab(),
    vsCodePanelView(),
  );
  registered = true;
}

export function button(label: string, onClick: () => void, appearance: 'primary' | 'secondary' = 'secondary'): HTMLElement {
  const element = document.createElement('vscode-button');
  element.setAttribute('appearance', appearance);
  element.textContent = label;
  element.addEventListener('click', onClick);
  return element;
}

export function badge(text: string): HTMLElement {
  const element = document.createElement('vscode-badge');
  element.textContent = text;
  return element;
}

export function tag(text: string): HTMLElement {
  const element = document.createElement('vscode-tag');
  element.textContent = text;
  return element;
}

export function divider(): HTMLElement {
  return document.createElement('vscode-divider');
}

/** A form control whose value the form reads and writes, whatever component stands behind it. */
export interface Control {
  element: HTMLElement;
  /** The element a screen reader sees as the control: where aria-invalid and aria-describedby go. */
  aria: HTMLElement;
  get value(): string | boolean;
  set value(value: string | boolean);
  onChange(listener: () => void): void;
}

type ValueElement = HTMLElement & { value: string };
type CheckedElement = HTMLElement & { checked: boolean };

export function textField(id: string, label: string, options: { type?: 'text' | 'password' | 'number'; placeholder?: string } = {}): Control {
  const element = document.createElement('vscode-text-field') as ValueElement;
  element.id = id;
  if (options.type) element.setAttribute('type', options.type);
  if (options.placeholder) element.setAttribute('placeholder', options.placeholder);
  element.textContent = label;
  return valueControl(element, 'input');
}

export function textArea(id: string, label: string, options: { placeholder?: string; rows?: number } = {}): Control {
  const element = document.createElement('vscode-text-area') as ValueElement;
  element.id = id;
  element.setAttribute('resize', 'vertical');
  element.setAttribute('rows', String(options.rows ?? 3));
  if (options.placeholder) element.setAttribute('placeholder', options.placeholder);
  element.textContent = label;
  return valueControl(element, 'input');
}

export function dropdown(id: string, label: string, options: { value: string; label: string }[]): Control {
  const wrapper = document.createElement('div');
  wrapper.className = 'dropdown-field';
  const caption = document.createElement('label');
  caption.htmlFor = id;
  caption.id = `${id}-label`;
  caption.textContent = label;
  const element = document.createElement('vscode-dropdown') as ValueElement;
  element.id = id;
  // The dropdown is its own combobox (no inner input): a <label for> does not name a custom element.
  element.setAttribute('aria-labelledby', caption.id);
  for (const option of options) {
    const item = document.createElement('vscode-option') as ValueElement;
    item.setAttribute('value', option.value);
    item.textContent = option.label;
    element.append(item);
  }
  wrapper.append(caption, element);
  const control = valueControl(element, 'change');
  return { ...control, element: wrapper, get value() { return element.value; }, set value(value) { element.value = String(value); } };
}

export function checkbox(id: string, label: string): Control {
  const element = document.createElement('vscode-checkbox') as CheckedElement;
  element.id = id;
  element.textContent = label;
  return {
    element,
    aria: element,
    get value() {
      return element.checked;
    },
    set value(value) {
      element.checked = value === true;
    },
    onChange: (listener) => element.addEventListener('change', listener),
  };
}

function valueControl(element: ValueElement, event: 'input' | 'change'): Control {
  return {
    element,
    aria: element,
    get value() {
      return element.value;
    },
    set value(value) {
      element.value = String(value);
    },
    onChange: (listener) => element.addEventListener(event, listener),
  };
}

export interface Tabs<T extends string> {
  element: HTMLElement;
  /** The content element of each tab. */
  views: Record<T, HTMLElement>;
  select(id: T): void;
}

/** Tabs with one view each; `onSelect` runs when the person picks another tab. */
export function tabs<T extends string>(items: { id: T; label: string }[], active: T, onSelect: (id: T) => void): Tabs<T> {
  const element = document.createElement('vscode-panels');
  const views = {} as Record<T, HTMLElement>;
  for (const item of items) {
    const tab = document.createElement('vscode-panel-tab');
    tab.id = `tab-${item.id}`;
    tab.textContent = item.label;
    element.append(tab);
  }
  for (const item of items) {
    const view = document.createElement('vscode-panel-view');
    view.id = `view-${item.id}`;
    views[item.id] = view;
    element.append(view);
  }
  element.setAttribute('activeid', `tab-${active}`);
  let current = active;
  element.addEventListener('change', (event) => {
    // The event's detail is the tab now active (the attribute may be updated after the event).
    const active = (event as CustomEvent<unknown>).detail;
    const id = (active instanceof HTMLElement ? active.id : '').replace(/^tab-/, '') as T;
    if (id && id !== current && items.some((item) => item.id === id)) {
      current = id;
      onSelect(id);
    }
  });
  return {
    element,
    views,
    select(id) {
      current = id;
      element.setAttribute('activeid', `tab-${id}`);
    },
  };
}
