/**
 * The viewer page's controls: title, zoom buttons, lane aggregation, the lab-traffic switch, the
 * process filter, filter chips, the replay slider, the canvas, the tooltip and the details panel.
 *
 * Self-contained (no imports at run time): the HTML writer inlines its source.
 * @module
 */
import type { ViewerData } from "./_viewer.ts";
import type {
  DomCanvas,
  DomDocument,
  DomElement,
  DomInput,
  DomMouseEvent,
  DomTagMap,
} from "./_dom.ts";

// The browser's document, typed (see _dom.ts); nothing is emitted for it.
declare const document: DomDocument;

/** The elements of a viewer page. */
export interface ViewerDom {
  /** Subtitle (counts, how to use). */
  readonly sub: DomElement;
  /** Fit button. */
  readonly fitB: DomElement;
  /** Zoom-out button. */
  readonly outB: DomElement;
  /** Zoom-in button. */
  readonly inB: DomElement;
  /** Lane aggregation. */
  readonly agg: DomInput;
  /** Show `ctl.lab`. */
  readonly ctl: DomInput;
  /** Process filter. */
  readonly filter: DomInput;
  /** Machine and kind chips. */
  readonly chips: DomElement;
  /** Replay button. */
  readonly play: DomElement;
  /** Replay slider (0..1000). */
  readonly slider: DomInput;
  /** Replay time. */
  readonly clock: DomElement;
  /** Box of the canvas. */
  readonly main: DomElement;
  /** The canvas. */
  readonly canvas: DomCanvas;
  /** Tooltip. */
  readonly tip: DomElement;
  /** Details of the selection. */
  readonly details: DomElement;
}

/**
 * Builds the viewer's elements in `root` (emptied first).
 *
 * @example Type of the builder
 * ```ts
 * import assert from "node:assert/strict";
 * import { viewerDom } from "./_viewer_dom.ts";
 * assert.equal(typeof viewerDom, "function");
 * ```
 */
export function viewerDom(
  root: DomElement,
  data: Pick<ViewerData, "title" | "aggregate" | "showControl">,
): ViewerDom {
  root.innerHTML = "";
  const el = <K extends keyof DomTagMap>(tag: K, cls: string, parent: DomElement) => {
    const node = document.createElement(tag);
    node.className = cls;
    parent.append(node);
    return node;
  };
  const head = el("header", "dg-head", root);
  el("h1", "", head).textContent = data.title;
  const sub = el("p", "dg-sub", head);
  const bar = el("div", "dg-bar", root);
  const button = (text: string, title: string) => {
    const b = el("button", "", bar);
    b.textContent = text;
    b.title = title;
    return b;
  };
  const fitB = button("fit", "show the whole run (key 0)");
  const outB = button("−", "zoom out (key -; or ctrl+wheel)");
  const inB = button("+", "zoom in (key +; or ctrl+wheel)");
  const aggL = el("label", "", bar);
  aggL.append("lanes ");
  const agg = el("select", "dg-agg", aggL);
  for (
    const [v, t] of [["auto", "auto"], ["process", "one per process"], [
      "family",
      "per-request collapsed",
    ], ["machine", "one per machine"]]
  ) {
    const o = el("option", "", agg);
    o.value = v;
    o.textContent = t;
  }
  agg.value = data.aggregate;
  const ctlL = el("label", "", bar);
  const ctl = el("input", "dg-ctl", ctlL);
  ctl.type = "checkbox";
  ctl.checked = data.showControl;
  ctlL.append(" lab control traffic (ctl.lab)");
  const filter = el("input", "dg-filter", bar);
  filter.placeholder = "filter processes…";
  const chips = el("div", "dg-chips", root);
  const replay = el("div", "dg-replay", root);
  const play = el("button", "", replay);
  play.textContent = "▶ replay";
  const slider = el("input", "dg-slider", replay);
  slider.type = "range";
  slider.min = "0";
  slider.max = "1000";
  slider.value = "1000";
  const clock = el("span", "dg-now", replay);
  const main = el("div", "dg-main", root);
  const canvas = el("canvas", "", main);
  const tip = el("div", "dg-tip", main);
  const details = el("aside", "dg-details", root);
  details.textContent = "Click a message: its clocks and its happened-before cone " +
    "(blue: could have caused it; orange: could be caused by it).";
  return {
    sub,
    fitB,
    outB,
    inB,
    agg,
    ctl,
    filter,
    chips,
    play,
    slider,
    clock,
    main,
    canvas,
    tip,
    details,
  };
}

/** What the filter chips show and change. */
export interface ChipState {
  /** Machines, in order of appearance. */
  readonly machines: readonly string[];
  /** Message kinds with their counts. */
  readonly kinds: ReadonlyMap<string, number>;
  /** Machines hidden (changed by clicks). */
  readonly hiddenMachines: Set<string>;
  /** Kinds hidden (changed by clicks). */
  readonly hiddenKinds: Set<string>;
  /** Called after a click changed what is hidden. */
  readonly onChange: () => void;
}

/**
 * Renders one chip per machine and per kind into `chips`: a click hides or shows it, a
 * shift+click on a kind shows that kind alone.
 *
 * @example Type of the renderer
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderChips } from "./_viewer_dom.ts";
 * assert.equal(typeof renderChips, "function");
 * ```
 */
export function renderChips(chips: DomElement, state: ChipState): void {
  const { machines, kinds, hiddenMachines, hiddenKinds, onChange } = state;
  chips.innerHTML = "";
  const chip = (
    text: string,
    off: boolean,
    toggle: (ev: DomMouseEvent) => void,
    cls: string,
  ): void => {
    const c = document.createElement("button");
    c.className = `dg-chip ${cls}${off ? " off" : ""}`;
    chips.append(c);
    c.textContent = text;
    c.title = cls === "kind" ? "click: hide or show; shift+click: this kind alone" : "hide or show";
    c.onclick = (ev) => {
      toggle(ev);
      onChange();
    };
  };
  chips.append("machines: ");
  for (const m of machines) {
    if (m === "ctl.lab") continue;
    chip(m, hiddenMachines.has(m), () => {
      if (!hiddenMachines.delete(m)) hiddenMachines.add(m);
    }, "machine");
  }
  chips.append(" kinds: ");
  for (const [kind, n] of [...kinds].sort((a, b) => b[1] - a[1])) {
    chip(`${kind} ${n}`, hiddenKinds.has(kind), (ev) => {
      if (!ev.shiftKey) {
        if (!hiddenKinds.delete(kind)) hiddenKinds.add(kind);
        return;
      }
      // Shift+click: this kind alone (or everything again).
      const alone = kinds.size - hiddenKinds.size === 1 && !hiddenKinds.has(kind);
      hiddenKinds.clear();
      if (!alone) {
        for (const other of kinds.keys()) if (other !== kind) hiddenKinds.add(other);
      }
    }, "kind");
  }
}
