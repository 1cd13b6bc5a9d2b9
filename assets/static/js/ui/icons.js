// Interface glyphs (client.md §1.3): simple 16 px monochrome line icons,
// drawn for MiniMost and built as DOM nodes. They are decorative: the
// button that holds one carries the accessible name.

import { svg } from "../lib/dom.js";

const paths = {
  chat: ["M2.5 3h11a1 1 0 0 1 1 1v6.5a1 1 0 0 1-1 1H7.5L4.5 14v-2.5h-2a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1z"],
  gear: [
    "M8 5.6a2.4 2.4 0 1 0 0 4.8a2.4 2.4 0 1 0 0-4.8z",
    "M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4",
  ],
  people: [
    "M6 3.2a2.3 2.3 0 1 0 0 4.6a2.3 2.3 0 1 0 0-4.6z",
    "M1.8 13.5c.4-2.4 2-3.7 4.2-3.7s3.8 1.3 4.2 3.7",
    "M10.8 3.6a2 2 0 0 1 0 3.8M11.8 9.9c1.4.4 2.2 1.6 2.5 3.6",
  ],
  plus: ["M8 3v10M3 8h10"],
  close: ["M4 4l8 8M12 4l-8 8"],
  menu: ["M2.5 4h11M2.5 8h11M2.5 12h11"],
  search: ["M7 2.5a4.5 4.5 0 1 0 0 9a4.5 4.5 0 1 0 0-9z", "M10.3 10.3l3.4 3.4"],
  power: ["M8 1.8v5.7", "M4.6 4.1a5 5 0 1 0 6.8 0"],
  pin: ["M10.2 1.8l4 4", "M11.6 3.2L8.5 6.3L5 6.1L3.6 7.5l4.9 4.9l1.4-1.4l-.2-3.5l3.1-3.1", "M6 10l-3.8 3.8"],
  pencil: ["M11 2.5l2.5 2.5l-8 8H3v-2.5z", "M9.5 4l2.5 2.5"],
};

/** icon returns the named glyph as an inline SVG element. */
export function icon(name, size = 16) {
  const d = paths[name];
  if (!d) throw new Error(`no icon ${name}`);
  return svg(
    "svg",
    {
      class: "icon",
      width: size,
      height: size,
      viewBox: "0 0 16 16",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": "1.5",
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      "aria-hidden": "true",
      focusable: "false",
    },
    d.map((p) => svg("path", { d: p })),
  );
}
