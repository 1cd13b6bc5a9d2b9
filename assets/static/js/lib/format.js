// Message text to DOM (client.md §4.6–§4.8), escape-first: the text is
// only ever split into strings that become text nodes; markup comes from
// element constructors. Code blocks and inline code are literal; links
// are atomic; emphasis applies between them (bold, underline, strike,
// italic, non-greedy, across lines); mentions pill inside plain runs.

import { h } from "./dom.js";

const fence = /```([A-Za-z0-9_+#.-]*)[ \t]*\n?([\s\S]*?)\n?```/g;
const inlineCode = /`([^`\n]+)`/g;
const urlStart = /(?:https?:\/\/|www\.)[^\s<]+/gi;
const emphasis = [
  [/\*\*([\s\S]+?)\*\*/, "strong"],
  [/__([\s\S]+?)__/, "u"],
  [/~~([\s\S]+?)~~/, "s"],
  [/\*([\s\S]+?)\*/, "em"],
];

/** trimURL drops trailing punctuation and unbalanced closing brackets (§4.7). */
export function trimURL(u) {
  const pairs = { ")": "(", "]": "[", "}": "{" };
  for (;;) {
    const last = u.slice(-1);
    if (".,:;!?".includes(last) && u.length > 1) {
      u = u.slice(0, -1);
      continue;
    }
    const open = pairs[last];
    if (open) {
      const opens = u.split(open).length - 1;
      const closes = u.split(last).length - 1;
      if (closes > opens) {
        u = u.slice(0, -1);
        continue;
      }
    }
    return u;
  }
}

/** hrefOf gives a link's target: www. links go to https (§4.7). */
export function hrefOf(u) {
  if (/^www\./i.test(u)) {
    const scheme = "https:";
    return `${scheme}//${u}`;
  }
  return u;
}

function link(u) {
  return h("a", { href: hrefOf(u), target: "_blank", rel: "noopener noreferrer nofollow" }, u);
}

/** mentionsIn builds text with @name pills for names the server listed. */
function mentionsIn(text, ctx) {
  if (!ctx.names.size && !ctx.everyone) return [text];
  const out = [];
  const re = /(^|[^A-Za-z0-9_@/])@([A-Za-z0-9_-]+)/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    const key = m[2].toLowerCase();
    const isEveryone = key === "everyone" && ctx.everyone;
    const canonical = ctx.names.get(key);
    if (!isEveryone && !canonical) continue;
    const at = m.index + m[1].length;
    if (at > last) out.push(text.slice(last, at));
    const name = isEveryone ? "everyone" : canonical;
    const self = isEveryone || (ctx.me && key === ctx.me.toLowerCase());
    out.push(h("span", { class: self ? "mention self" : "mention" }, `@${name}`));
    last = at + 1 + m[2].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function emphasize(text, ctx, from = 0) {
  for (let i = from; i < emphasis.length; i++) {
    const [re, tag] = emphasis[i];
    const m = re.exec(text);
    if (!m) continue;
    return [
      ...emphasize(text.slice(0, m.index), ctx, i),
      h(tag, null, emphasize(m[1], ctx, 0)),
      ...emphasize(text.slice(m.index + m[0].length), ctx, i),
    ];
  }
  return mentionsIn(text, ctx);
}

function linked(text, ctx) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(urlStart)) {
    const u = trimURL(m[0]);
    if (/^(?:https?:\/\/|www\.)$/i.test(u)) continue;
    if (m.index > last) out.push(...emphasize(text.slice(last, m.index), ctx));
    out.push(link(u));
    last = m.index + u.length;
  }
  if (last < text.length) out.push(...emphasize(text.slice(last), ctx));
  return out;
}

function inline(text, ctx) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(inlineCode)) {
    if (m.index > last) out.push(...linked(text.slice(last, m.index), ctx));
    out.push(h("code", { class: "inline-code" }, m[1]));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(...linked(text.slice(last), ctx));
  return out;
}

function codeBlock(lang, body) {
  const copy = h("button", { type: "button", class: "code-copy" }, "Copy");
  copy.addEventListener("click", () => {
    navigator.clipboard?.writeText(body).then(() => {
      copy.textContent = "Copied!";
      setTimeout(() => (copy.textContent = "Copy"), 2000);
    }, () => {});
  });
  return h(
    "div",
    { class: "code-block" },
    h("div", { class: "code-head" }, h("span", { class: "code-lang" }, lang), copy),
    h("pre", { tabindex: "0" }, h("code", null, highlight(body.slice(0, 50000), languageOf(lang)))),
  );
}

const emojiOnly = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Modifier}|\u200d|\ufe0f|\u20e3|\s)+$/u;

/** isEmojiOnly: the message is emoji and whitespace only (shown large). */
export function isEmojiOnly(text) {
  return emojiOnly.test(text) && /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(text);
}

/**
 * render turns message text into nodes. opts: mentions (names the server
 * says are mentioned), everyone (mentions_everyone), me (your username).
 */
export function render(text, opts = {}) {
  const ctx = {
    names: new Map((opts.mentions || []).map((n) => [String(n).toLowerCase(), String(n)])),
    everyone: !!opts.everyone,
    me: opts.me || "",
  };
  const src = String(text ?? "").replace(/\r\n?/g, "\n");
  const out = [];
  let last = 0;
  for (const m of src.matchAll(fence)) {
    if (m.index > last) out.push(...inline(src.slice(last, m.index).replace(/\n$/, ""), ctx));
    out.push(codeBlock(m[1], m[2]));
    last = m.index + m[0].length;
    if (src[last] === "\n") last++;
  }
  if (last < src.length) out.push(...inline(src.slice(last), ctx));
  return out;
}

/** plainPreview strips markers and fences and collapses whitespace (§4.9). */
export function plainPreview(text, n) {
  const s = String(text ?? "")
    .replace(/```[A-Za-z0-9_+#.-]*/g, "")
    .replace(/\*\*|__|~~|[*`]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return [...s].length > n ? [...s].slice(0, n).join("") + "…" : s;
}

// Syntax highlighting (client.md Appendix D): a small tokenizer per rule
// set. Each rule set is a list of [token class, regexp source] tried at
// every position (sources use only non-capturing groups), then words are
// looked up as keywords or types. Tokens become spans around text nodes,
// so highlighting never parses markup.

const words = (s) => new Set(s.split(" "));
const NUM = String.raw`\b(?:0[xX][\da-fA-F_]+|0[bB][01_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)[uUlLfF]*\b`;
const DQ = String.raw`"(?:[^"\\\n]|\\.)*"`;
const SQ = String.raw`'(?:[^'\\\n]|\\.)*'`;
const BLOCK = String.raw`\/\*[\s\S]*?(?:\*\/|$)`;
const cLike = (kw, types, extra = []) => ({
  rules: [["com", BLOCK], ["com", String.raw`\/\/[^\n]*`], ...extra, ["str", DQ], ["str", SQ], ["num", NUM]],
  kw: words(kw),
  types: words(types),
});

const LANGS = {
  python: {
    rules: [
      ["com", String.raw`#[^\n]*`],
      ["str", String.raw`(?:[rRbBuUfF]{1,2})?(?:"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|${DQ}|${SQ})`],
      ["meta", String.raw`@[\w.]+`],
      ["num", NUM],
    ],
    kw: words("and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case None True False self"),
    types: words("int float str bool list dict set tuple bytes object type len range print open super isinstance Exception ValueError TypeError KeyError"),
  },
  js: cLike(
    "async await break case catch class const continue debugger default delete do else export extends finally for from function if import in instanceof let new of return static super switch this throw try typeof var void while with yield null undefined true false interface type enum implements readonly as",
    "Array Boolean Date Error Map Math Number Object Promise RegExp Set String Symbol JSON console window document string number boolean any unknown never void",
    [["str", "`(?:[^`\\\\]|\\\\.)*`"], ["meta", String.raw`@\w+`]],
  ),
  c: cLike(
    "auto break case catch class const constexpr continue default delete do else enum explicit extern for friend goto if inline namespace new noexcept operator private protected public register return sizeof static static_cast struct switch template this throw try typedef typename union using virtual volatile while nullptr true false NULL",
    "void char short int long float double signed unsigned bool size_t uint8_t uint16_t uint32_t uint64_t int8_t int16_t int32_t int64_t std string vector map",
    [["meta", String.raw`^[ \t]*#[ \t]*\w+[^\n]*`]],
  ),
  java: cLike(
    "abstract assert break case catch class continue default do else enum extends final finally for if implements import instanceof interface new package private protected public return static super switch synchronized this throw throws try volatile while var record null true false",
    "boolean byte char double float int long short void String Object Integer List Map Set",
    [["meta", String.raw`@\w+`]],
  ),
  go: cLike(
    "break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var nil true false iota",
    "bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any append cap close copy delete len make new panic print println recover",
    [["str", "`[^`]*`"]],
  ),
  rust: cLike(
    "as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait type unsafe use where while true false",
    "bool char f32 f64 i8 i16 i32 i64 i128 isize str u8 u16 u32 u64 u128 usize String Vec Option Result Box Some None Ok Err",
    [["meta", String.raw`#!?\[[^\]\n]*\]|\b\w+!`]],
  ),
  groovy: cLike(
    "def as assert break case catch class continue default do else enum extends final finally for if implements import in instanceof interface new package return static switch this throw try while null true false pipeline agent stages stage steps sh node",
    "String Object Integer List Map boolean int long void",
    [["str", String.raw`'''[\s\S]*?(?:'''|$)|"""[\s\S]*?(?:"""|$)`], ["meta", String.raw`@\w+`], ["var", String.raw`\$\{[^}\n]*\}|\$\w+`]],
  ),
  shell: {
    rules: [["com", String.raw`(?:^|(?<=\s))#[^\n]*`], ["str", DQ], ["str", String.raw`'[^']*'`], ["var", String.raw`\$\{[^}\n]*\}|\$(?:\w+|[@#?$!*-])`], ["num", NUM]],
    kw: words("if then else elif fi for while until do done case esac in function return local export readonly declare set unset shift exit break continue source alias echo printf read cd test"),
    types: words(""),
  },
  make: {
    rules: [["com", String.raw`#[^\n]*`], ["var", String.raw`\$\([^)\n]*\)|\$\{[^}\n]*\}|\$[@<^?*%]`], ["meta", String.raw`^[\w.%/ -]+(?=:(?!=))`], ["str", DQ], ["str", SQ]],
    kw: words("ifeq ifneq ifdef ifndef else endif include define endef export override .PHONY"),
    types: words(""),
  },
  cmake: {
    rules: [["com", String.raw`#[^\n]*`], ["var", String.raw`\$\{[^}\n]*\}`], ["str", DQ], ["num", NUM]],
    kw: words("if elseif else endif foreach endforeach while endwhile function endfunction macro endmacro set unset option project cmake_minimum_required add_executable add_library target_link_libraries target_include_directories find_package include install message return"),
    types: words("PUBLIC PRIVATE INTERFACE REQUIRED STATIC SHARED ON OFF TRUE FALSE"),
  },
  vhdl: {
    ci: true,
    rules: [["com", String.raw`--[^\n]*`], ["str", DQ], ["str", String.raw`'.'`], ["num", NUM]],
    kw: words("library use entity is port generic map architecture of begin end signal variable constant process if then elsif else case when others for loop generate component type subtype array range to downto in out inout buffer and or not xor nand nor rising_edge falling_edge wait until report severity function procedure return package body all"),
    types: words("std_logic std_logic_vector std_ulogic unsigned signed integer natural positive boolean bit bit_vector string"),
  },
  verilog: {
    rules: [
      ["com", BLOCK], ["com", String.raw`\/\/[^\n]*`], ["str", DQ],
      ["meta", String.raw`\x60\w+`], ["num", String.raw`\d*'[sS]?[bBoOdDhH][\da-fA-FxXzZ_?]+`], ["num", NUM],
    ],
    kw: words("module endmodule input output inout wire reg logic always always_ff always_comb always_latch assign begin end if else case casez casex endcase default for while posedge negedge parameter localparam function endfunction task endtask generate endgenerate initial integer genvar typedef struct enum interface endinterface package endpackage import"),
    types: words("bit byte int shortint longint real"),
  },
};

const ALIASES = {
  python: "py pyx pyi pyw python python3",
  js: "js mjs cjs ts tsx jsx javascript typescript",
  c: "c h cpp cc cxx hpp hxx hh cplusplus c++",
  shell: "sh bash zsh shell",
  make: "makefile mk make gnumakefile",
  cmake: "cmake cmakelists.txt",
  groovy: "groovy gradle jenkinsfile",
  vhdl: "vhd vhdl",
  verilog: "v vh sv svh verilog",
  java: "java",
  go: "go golang",
  rust: "rs rust",
  xml: "xml xsl xslt xsd svg html htm",
};
const langOf = new Map(Object.entries(ALIASES).flatMap(([k, v]) => v.split(" ").map((a) => [a, k])));

/**
 * languageOf maps a fence tag or a file name to a rule set, or "" for
 * plain text: by special name (Makefile, CMakeLists.txt, Jenkinsfile…),
 * else by extension, else the tag itself.
 */
export function languageOf(tagOrName) {
  const s = String(tagOrName || "").toLowerCase();
  const base = s.slice(s.lastIndexOf("/") + 1);
  if (base.startsWith("jenkinsfile")) return "groovy";
  if (base.startsWith("makefile") || base === "gnumakefile") return "make";
  if (langOf.has(base)) return langOf.get(base);
  const dot = base.lastIndexOf(".");
  return dot >= 0 ? langOf.get(base.slice(dot + 1)) || "" : "";
}

const compiled = new Map();
function compile(lang) {
  if (!compiled.has(lang)) {
    const l = LANGS[lang];
    const parts = [...l.rules.map(([, src]) => `(${src})`), String.raw`([A-Za-z_][\w]*)`];
    compiled.set(lang, { l, re: new RegExp(parts.join("|"), "gm" + (l.ci ? "i" : "")) });
  }
  return compiled.get(lang);
}

const tok = (kind, text) => h("span", { class: `tok-${kind}` }, text);

function xmlTokens(code) {
  const out = [];
  const re = /(<!--[\s\S]*?(?:-->|$))|(<!\[CDATA\[[\s\S]*?(?:\]\]>|$))|(<\?[\s\S]*?(?:\?>|$))|(<\/?[\w:.-]+)|(\/?>)|([\w:.-]+)(?=\s*=)|("[^"]*"|'[^']*')/g;
  let last = 0;
  let inTag = false;
  for (const m of code.matchAll(re)) {
    const kind = m[1] || m[3] ? "com" : m[2] ? "str" : m[4] || m[5] ? "tag" : m[6] ? "attr" : "str";
    if ((m[6] || m[7]) && !inTag) continue;
    if (m[4]) inTag = true;
    if (m[5]) inTag = false;
    if (m.index > last) out.push(code.slice(last, m.index));
    out.push(tok(kind, m[0]));
    last = m.index + m[0].length;
  }
  if (last < code.length) out.push(code.slice(last));
  return out;
}

/** highlight returns code as nodes, coloured by the rule set lang ("" = plain). */
export function highlight(code, lang) {
  if (lang === "xml") return xmlTokens(code);
  if (!LANGS[lang]) return [code];
  const { l, re } = compile(lang);
  const out = [];
  let last = 0;
  re.lastIndex = 0;
  let m;
  while ((m = re.exec(code))) {
    if (m[0] === "") {
      re.lastIndex++;
      continue;
    }
    const g = m.findIndex((x, i) => i > 0 && x !== undefined);
    let kind;
    if (g <= l.rules.length) kind = l.rules[g - 1][0];
    else {
      const w = l.ci ? m[0].toLowerCase() : m[0];
      kind = l.kw.has(w) ? "kw" : l.types.has(w) ? "type" : null;
      if (!kind) continue;
    }
    if (m.index > last) out.push(code.slice(last, m.index));
    out.push(tok(kind, m[0]));
    last = m.index + m[0].length;
  }
  if (last < code.length) out.push(code.slice(last));
  return out;
}
