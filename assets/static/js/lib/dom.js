// Escape-first DOM building. Text always becomes text nodes and
// attributes are set one by one, so user text can never turn into markup:
// nothing in the client parses HTML strings (no innerHTML, no
// insertAdjacentHTML, no document.write).

/**
 * h builds an element: h("button", {class: "btn", onclick: fn}, "Text", child).
 * Attribute values are strings (true means present, null/false absent);
 * "on<event>" takes a function and becomes an event listener, never an
 * inline handler.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** svg builds an SVG element with the same rules as h. */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) {
      if (typeof v !== "function") throw new TypeError(`${k} must be a function`);
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === "dataset") {
      Object.assign(el.dataset, v);
    } else if (k === "style" && typeof v === "object") {
      for (const [p, val] of Object.entries(v)) el.style.setProperty(p, val);
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
}

/** append adds children: nodes as they are, anything else as text. */
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** replace swaps all children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uid = 0;
/** id returns a document-unique id with the given prefix. */
export function id(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** plural: plural(1, "minute") is "1 minute", plural(3, "minute") "3 minutes". */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** focusables lists the elements of root that Tab can reach, in order. */
export function focusables(root) {
  const sel = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ' +
    'select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
  return [...root.querySelectorAll(sel)].filter(
    (el) => el.tabIndex >= 0 && !el.closest("[hidden], [inert]") && el.getClientRects().length > 0,
  );
}

/**
 * reconcile makes parent's children exactly nodes, in order, moving only
 * what is out of place, so a focused child that stays keeps its focus.
 */
export function reconcile(parent, nodes) {
  nodes.forEach((node, i) => {
    if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] || null);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild.remove();
}
