/**
 * The part of the browser's DOM the diagram viewer uses, as types: the viewer's sources are
 * type-checked by Deno, whose library has no DOM, and a published package may not pull the DOM
 * library in with a triple-slash directive. Each viewer file declares the browser globals it
 * uses (`declare const document: DomDocument;`) with these types; the declarations emit nothing,
 * and in the page the names are the browser's own.
 * @module
 */

/** An element's class list. */
export interface DomClassList {
  /** Adds classes. */
  add(...names: string[]): void;
  /** Removes classes. */
  remove(...names: string[]): void;
  /** Adds or removes a class. */
  toggle(name: string, force?: boolean): boolean;
}

/** A rectangle on the page, px. */
export interface DomRect {
  /** Left edge. */
  readonly left: number;
  /** Top edge. */
  readonly top: number;
  /** Width. */
  readonly width: number;
  /** Height. */
  readonly height: number;
}

/** An event of the page. */
export interface DomEvent {
  /** Its type (`click`). */
  readonly type: string;
  /** Where it happened. */
  readonly target: unknown;
  /** Cancels the browser's own handling. */
  preventDefault(): void;
}

/** A mouse event (and a wheel event: `deltaX`, `deltaY`). */
export interface DomMouseEvent extends DomEvent {
  /** Pointer position in the viewport, px. */
  readonly clientX: number;
  /** Pointer position in the viewport, px. */
  readonly clientY: number;
  /** Whether Shift was down. */
  readonly shiftKey: boolean;
  /** Whether Ctrl was down. */
  readonly ctrlKey: boolean;
  /** Whether Meta (Cmd) was down. */
  readonly metaKey: boolean;
  /** Horizontal scroll of a wheel event. */
  readonly deltaX: number;
  /** Vertical scroll of a wheel event. */
  readonly deltaY: number;
}

/** A key event. */
export interface DomKeyboardEvent extends DomEvent {
  /** The key (`+`, `ArrowLeft`). */
  readonly key: string;
}

/** The events the viewer listens to, by type. */
export interface DomEventMap {
  /** A click. */
  click: DomMouseEvent;
  /** A button pressed. */
  mousedown: DomMouseEvent;
  /** A button released. */
  mouseup: DomMouseEvent;
  /** The pointer moved. */
  mousemove: DomMouseEvent;
  /** The pointer left. */
  mouseleave: DomMouseEvent;
  /** The wheel turned. */
  wheel: DomMouseEvent;
  /** A key pressed. */
  keydown: DomKeyboardEvent;
  /** The window resized. */
  resize: DomEvent;
  /** The URL's fragment changed. */
  hashchange: DomEvent;
}

/** Something that takes event listeners. */
export interface DomEventTarget {
  /** Listens to events of `type`. */
  addEventListener<K extends keyof DomEventMap>(
    type: K,
    listener: (ev: DomEventMap[K]) => void,
    options?: { passive?: boolean },
  ): void;
}

/** An element. */
export interface DomElement extends DomEventTarget {
  /** Its text. */
  textContent: string | null;
  /** Its HTML. */
  innerHTML: string;
  /** Its classes. */
  className: string;
  /** Its class list. */
  readonly classList: DomClassList;
  /** Its `data-` attributes. */
  readonly dataset: Record<string, string | undefined>;
  /** Its inline style. */
  readonly style: Record<string, string>;
  /** Its tooltip. */
  title: string;
  /** Inner size, px. */
  readonly clientWidth: number;
  /** Inner size, px. */
  readonly clientHeight: number;
  /** Adds children. */
  append(...nodes: (DomElement | string)[]): void;
  /** Replaces the children. */
  replaceChildren(...nodes: (DomElement | string)[]): void;
  /** Its box in the viewport. */
  getBoundingClientRect(): DomRect;
  /** Click handler. */
  onclick: ((ev: DomMouseEvent) => void) | null;
}

/** A form control: input, select. */
export interface DomInput extends DomElement {
  /** Its value. */
  value: string;
  /** Whether a checkbox is checked. */
  checked: boolean;
  /** Its type (`checkbox`, `range`). */
  type: string;
  /** Hint shown when empty. */
  placeholder: string;
  /** Smallest value of a range. */
  min: string;
  /** Largest value of a range. */
  max: string;
  /** Input handler. */
  oninput: ((ev: DomEvent) => void) | null;
  /** Change handler. */
  onchange: ((ev: DomEvent) => void) | null;
}

/** A path the canvas draws. */
export interface DomPath2D {
  /** Starts a subpath. */
  moveTo(x: number, y: number): void;
  /** A line to. */
  lineTo(x: number, y: number): void;
  /** An arc. */
  arc(x: number, y: number, r: number, start: number, end: number): void;
  /** A rectangle. */
  rect(x: number, y: number, w: number, h: number): void;
}

/** The canvas's 2D context. */
export interface DomCanvasContext {
  /** Fill style. */
  fillStyle: string;
  /** Stroke style. */
  strokeStyle: string;
  /** Line width. */
  lineWidth: number;
  /** Font. */
  font: string;
  /** Text alignment. */
  textAlign: "left" | "right" | "center" | "start" | "end";
  /** Sets the transform. */
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  /** Clears a rectangle. */
  clearRect(x: number, y: number, w: number, h: number): void;
  /** Fills a rectangle. */
  fillRect(x: number, y: number, w: number, h: number): void;
  /** Fills text, at most `maxWidth` wide. */
  fillText(text: string, x: number, y: number, maxWidth?: number): void;
  /** Strokes text, at most `maxWidth` wide. */
  strokeText(text: string, x: number, y: number, maxWidth?: number): void;
  /** Starts a path. */
  beginPath(): void;
  /** Starts a subpath. */
  moveTo(x: number, y: number): void;
  /** A line to. */
  lineTo(x: number, y: number): void;
  /** An arc. */
  arc(x: number, y: number, r: number, start: number, end: number): void;
  /** Strokes the current path, or `path`. */
  stroke(path?: DomPath2D): void;
  /** Fills the current path, or `path`. */
  fill(path?: DomPath2D): void;
  /** Sets the dash pattern. */
  setLineDash(segments: number[]): void;
}

/** A canvas. */
export interface DomCanvas extends DomElement {
  /** Pixel width. */
  width: number;
  /** Pixel height. */
  height: number;
  /** Its 2D context. */
  getContext(kind: "2d"): DomCanvasContext | null;
}

/** The elements the viewer makes, by tag. */
export interface DomTagMap {
  /** A block. */
  div: DomElement;
  /** Inline text. */
  span: DomElement;
  /** A paragraph. */
  p: DomElement;
  /** A button. */
  button: DomElement;
  /** An input. */
  input: DomInput;
  /** A select. */
  select: DomInput;
  /** An option. */
  option: DomInput;
  /** A label. */
  label: DomElement;
  /** A canvas. */
  canvas: DomCanvas;
  /** A details box. */
  aside: DomElement;
  /** A header. */
  header: DomElement;
  /** A heading. */
  h1: DomElement;
}

/** The document. */
export interface DomDocument {
  /** Makes an element. */
  createElement<K extends keyof DomTagMap>(tag: K): DomTagMap[K];
  /** The element with `id`. */
  getElementById(id: string): DomElement | null;
}

/** The window, as `globalThis` in the page. */
export interface DomWindow extends DomEventTarget {
  /** Device pixels per CSS pixel. */
  readonly devicePixelRatio: number;
  /** The page's URL. */
  readonly location: { hash: string };
}
