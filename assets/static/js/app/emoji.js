// The emoji vocabulary of the reaction and composer pickers (client.md
// Appendix B) and the picker itself (§5.4, §6.6). The names are labels and
// search terms only: the API carries the emoji character.

import { h } from "../lib/dom.js";

// name:emoji pairs in picker order, one string per group (the groups are
// not shown to users).
const GROUPS = [
  // Most common
  "thumbsup:👍 thumbsdown:👎 heart:❤️ laugh:😂 fire:🔥 check:✅ eyes:👀 party:🎉 sad:😢 wow:😮",
  // Happy faces
  "smile:😊 grinning:😁 rofl:🤣 heart_eyes:😍 star_struck:🤩 wink:😉 slightly_smile:🙂 upside_down:🙃 sunglasses:😎 nerd:🤓 cowboy:🤠 innocent:😇 partying:🥳 sweat_smile:😅 hugging:🤗 relieved:😌 money_mouth:🤑",
  // Neutral / expressive
  "thinking:🤔 neutral:😐 smirk:😏 monocle:🧐 shushing:🤫 tongue:😛 zipper:🤐 raised_eyebrow:🤨 melting:🫠 astonished:😲",
  // Sad / negative / intense
  "crying:😭 pleading:🥺 pensive:😔 worried:😟 angry:😡 rage:🤬 triumph:😤 grimace:😬 confounded:😖 persevere:😣 anguished:😧 scream:😱 sleeping:😴 yawn:🥱 flushed:😳 dizzy:😵 woozy:🥴 mind_blown:🤯 hot_face:🥵 cold_face:🥶 nauseated:🤢 sneezing:🤧 mask:😷 broken_heart:💔",
  // Silly / fun
  "skull:💀 ghost:👻 robot:🤖 alien:👽 clown:🤡 devil:😈 poop:💩 zombie:🧟 vampire:🧛 see_no_evil:🙈 hear_no_evil:🙉 speak_no_evil:🙊",
  // Gestures
  "clap:👏 pray:🙏 wave:👋 muscle:💪 peace:✌️ ok:👌 raised_hands:🙌 cross_fingers:🤞 salute:🫡 point_up:☝️ point_right:👉 point_left:👈 point_down:👇 call_me:🤙 love_you:🤟 vulcan:🖖 open_hands:👐 handshake:🤝 fist:✊ pinch:🤌 writing:✍️",
  // Hearts
  "heart_purple:💜 heart_yellow:💛 heart_green:💚 heart_blue:💙 heart_orange:🧡 heart_white:🤍 heart_black:🖤 heart_brown:🤎 heart_pink:🩷 heart_grow:💗 two_hearts:💕 revolving_hearts:💞 sparkling_heart:💖 heart_box:💝",
  // Objects & symbols
  "sparkle:✨ tada:🎊 star:⭐ crown:👑 trophy:🏆 medal:🥇 gem:💎 money:💰 rocket:🚀 zap:⚡ bulb:💡 rainbow:🌈 target:🎯 brain:🧠 warning:⚠️ no:🚫 lock:🔒 key:🔑 magnify:🔍 bell:🔔 hammer:🔨 pin:📌 chart:📈 bug:🐛 magnet:🧲 dart:🎯 die:🎲 hourglass:⌛ crystal_ball:🔮 joystick:🕹️ compass:🧭 gift:🎁 balloon:🎈 fireworks:🎆 book:📚 pencil:✏️ wrench:🔧 gear:⚙️ trash:🗑️ package:📦 laptop:💻 phone:📱 camera:📷 newspaper:📰 recycle:♻️ flag:🚩 chess:♟️ pill:💊 bandage:🩹 toolbox:🧰 candle:🕯️ bomb:💣 shield:🛡️ map:🗺️ scissors:✂️ stethoscope:🩺 gun:🔫",
  // Science / tech
  "atom:⚛️ dna:🧬 test_tube:🧪 test_flask:⚗️ microscope:🔬 telescope:🔭",
  // Music & arts
  "guitar:🎸 drum:🥁 piano:🎹 trumpet:🎺 violin:🎻 microphone:🎤 headphones:🎧 clapper_board:🎬 palette:🎨 yarn:🧶 gaming:🎮 music:🎵",
  // Sports & activities
  "soccer:⚽ basketball:🏀 football:🏈 tennis:🎾 golf:⛳ swim:🏊 yoga:🧘 bicycle:🚴 ski:⛷️ surf:🏄 boxing:🥊 archery:🏹",
  // Food & drinks
  "pizza:🍕 coffee:☕ beer:🍺 sushi:🍣 ramen:🍜 burger:🍔 ice_cream:🍦 donut:🍩 apple:🍎 watermelon:🍉 avocado:🥑 taco:🌮 chocolate:🍫 cake:🎂 bread:🍞 grapes:🍇 strawberry:🍓 banana:🍌 popcorn:🍿 hot_dog:🌭 fries:🍟 spaghetti:🍝 curry:🍛 bento:🍱 dumpling:🥟 waffle:🧇 pancakes:🥞 milk:🥛 juice:🧃 cocktail:🍹 champagne:🍾 tea:🍵",
  // Animals
  "cat:🐱 dog:🐶 fox:🦊 frog:🐸 duck:🦆 panda:🐼 lion:🦁 bear:🐻 owl:🦉 octopus:🐙 turtle:🐢 snake:🐍 dinosaur:🦖 unicorn:🦄 whale:🐳 crab:🦀 bee:🐝 pig:🐷 monkey:🐵 wolf:🐺 bat:🦇 parrot:🦜 flamingo:🦩 hedgehog:🦔 sloth:🦥 axolotl:🦎 thread:🧵 shrimp:🦐 jellyfish:🪼 seal:🦭 mammoth:🦣 penguin:🐧 shark:🦈 dragon:🐉",
  // Transport
  "car:🚗 airplane:✈️ ship:🚢 train:🚂 helicopter:🚁 ufo:🛸 canoe:🛶",
  // Nature & weather
  "snowflake:❄️ sun:☀️ moon:🌙 lightning:🌩️ cactus:🌵 four_leaf:🍀 butterfly:🦋 earth:🌍 flower:🌺 sunflower:🌻 mushroom:🍄 palm_tree:🌴 tornado:🌪️ cloud:⛅ volcano:🌋 desert:🏜️ island:🏝️ mountain:🏔️ comet:☄️ saturn:🪐 milky_way:🌌",
  // More faces
  "expressionless:😑 no_mouth:😶 rolling_eyes:🙄 hushed:😯 sleepy:😪 drooling:🤤 lying:🤥 exhaling:😮‍💨 holding_back_tears:🥹 peeking:🫣 hand_over_mouth:🫢 dotted_face:🫥 shaking_face:🫨 diagonal_mouth:🫤 heart_on_fire:❤️‍🔥 mending_heart:❤️‍🩹",
  // More gestures
  "middle_finger:🖕 backhand_up:👆 raised_back:🤚 heart_hands:🫶 left_fist:🤛 right_fist:🤜 splayed_hand:🖐️ palm_up:🫴 palm_down:🫳 point_at_you:🫵",
  // More animals
  "horse:🐴 cow:🐮 sheep:🐑 goat:🐐 rabbit:🐰 hamster:🐹 mouse:🐭 chipmunk:🐿️ otter:🦦 raccoon:🦝 skunk:🦨 gorilla:🦍 elephant:🐘 hippo:🦛 giraffe:🦒 camel:🐪 zebra:🦓 kangaroo:🦘 koala:🐨 deer:🦌 llama:🦙 peacock:🦚 swan:🦢 eagle:🦅 dove:🕊️ rooster:🐓 fish:🐟 tropical_fish:🐠 dolphin:🐬 lobster:🦞 squid:🦑 snail:🐌 worm:🪱 oyster:🦪 rhino:🦏 crocodile:🐊 microbe:🦠",
  // More food & drink
  "bagel:🥯 croissant:🥐 pretzel:🥨 cheese:🧀 egg:🥚 bacon:🥓 sandwich:🥪 wrap:🌯 salad:🥗 soup:🍲 salt:🧂 honey:🍯 lollipop:🍭 candy:🍬 bubble_tea:🧋 ice:🧊 mate:🧉 fortune_cookie:🥠 tamale:🫔 flatbread:🫓 beans:🫘 blueberries:🫐 mango:🥭 kiwi:🥝 pear:🍐 peach:🍑 cherry:🍒 lemon:🍋 tangerine:🍊 pineapple:🍍 melon:🍈 tomato:🍅 garlic:🧄 onion:🧅 carrot:🥕 broccoli:🥦 corn:🌽 hot_pepper:🌶️",
  // More sports & activities
  "baseball:⚾ softball:🥎 badminton:🏸 rugby:🏉 ping_pong:🏓 flying_disc:🥏 sled:🛷 parachute:🪂 martial_arts:🥋 climbing:🧗 weightlifting:🏋️ skateboard:🛹 lacrosse:🥍 ice_skate:⛸️ fishing:🎣 diving:🤿 cards:🃏",
  // More music
  "saxophone:🎷 banjo:🪕 accordion:🪗 notes:🎶 long_drum:🪘",
  // More vehicles
  "motorcycle:🏍️ race_car:🏎️ speedboat:🚤 sailboat:⛵ bus:🚌 truck:🚚 fire_truck:🚒 ambulance:🚑 tractor:🚜 motor_scooter:🛵",
  // More nature & plants
  "seedling:🌱 evergreen:🌲 deciduous:🌳 chestnut:🌰 cherry_blossom:🌸 rose:🌹 tulip:🌷 lotus:🪷 bouquet:💐 wilted_flower:🥀 herb:🌿 maple_leaf:🍁 leaves:🍃 water_wave:🌊 droplet:💧 fog:🌫️ cyclone:🌀 umbrella:☔ snowman:⛄ rainbow_flag:🌈",
  // More symbols & objects
  "hundred:💯 speech_bubble:💬 thought_bubble:💭 zzz:💤 anger:💢 red_circle:🔴 blue_circle:🔵 green_circle:🟢 infinity:♾️ syringe:💉 fire_extinguisher:🧯 safety_pin:🧷 broom:🧹 soap:🧼 nazar:🧿 teddy_bear:🧸 magic_wand:🪄 kite:🪁 yo_yo:🪀 boomerang:🪃 axe:🪓 ladder:🪜 mirror:🪞 chair:🪑 battery:🔋 floppy:💾 cd:💿 globe:🌐 satellite:🛰️",
  // Celebrations & holidays
  "jack_o_lantern:🎃 christmas_tree:🎄 sparkler:🎇 firecracker:🧨 ribbon:🎀 ticket:🎫",
];

// Labels are the name in Title Case, except these.
const LABELS = {
  thumbsup: "Thumbs Up",
  thumbsdown: "Thumbs Down",
  rofl: "ROFL",
  slightly_smile: "Slightly Smiling",
  zipper: "Zipper Mouth",
  ok: "OK",
  vulcan: "Vulcan Salute",
  heart_purple: "Purple Heart",
  heart_yellow: "Yellow Heart",
  heart_green: "Green Heart",
  heart_blue: "Blue Heart",
  heart_orange: "Orange Heart",
  heart_white: "White Heart",
  heart_black: "Black Heart",
  heart_brown: "Brown Heart",
  heart_pink: "Pink Heart",
  heart_grow: "Growing Heart",
  chart: "Chart Up",
  gun: "Water Gun",
  dna: "DNA",
  test_flask: "Flask",
  swim: "Swimming",
  ski: "Skiing",
  surf: "Surfing",
  ufo: "UFO",
  four_leaf: "Four Leaf Clover",
  heart_on_fire: "Heart on Fire",
  backhand_up: "Backhand Point Up",
  raised_back: "Raised Back of Hand",
  point_at_you: "Point at You",
  rhino: "Rhinoceros",
  cards: "Playing Cards",
  notes: "Musical Notes",
  evergreen: "Evergreen Tree",
  deciduous: "Deciduous Tree",
  hundred: "100",
  zzz: "ZZZ",
  nazar: "Nazar Amulet",
  yo_yo: "Yo-Yo",
  floppy: "Floppy Disk",
  cd: "CD",
  jack_o_lantern: "Jack-o-Lantern",
};

function titleCase(name) {
  return name
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}

/** EMOJI is the picker vocabulary: [{name, label, char}], 477 entries. */
export const EMOJI = GROUPS.flatMap((g) =>
  g.split(" ").map((pair) => {
    const i = pair.indexOf(":");
    const name = pair.slice(0, i);
    return Object.freeze({ name, label: LABELS[name] || titleCase(name), char: pair.slice(i + 1) });
  }),
);

/** matchEmoji filters the vocabulary by name or label (case-insensitive substring). */
export function matchEmoji(query) {
  const q = String(query || "").trim().toLowerCase();
  if (!q) return EMOJI;
  const under = q.replace(/\s+/g, "_");
  return EMOJI.filter((e) => e.name.includes(under) || e.label.toLowerCase().includes(q));
}

/** labelOf names an emoji character for tooltips; "" when it is not in the list. */
export function labelOf(char) {
  const e = EMOJI.find((x) => x.char === char);
  return e ? e.label : "";
}

let open = null; // the one picker on screen: {el, anchor, close}

/** closeEmojiPicker closes the open picker, if any, without moving focus. */
export function closeEmojiPicker() {
  if (open) open.close(false);
}

function place(el, anchor, above) {
  const r = anchor.getBoundingClientRect();
  const w = el.offsetWidth;
  const ht = el.offsetHeight;
  const left = Math.max(8, Math.min(r.left, window.innerWidth - w - 8));
  let top = above ? r.top - ht - 6 : r.bottom + 4;
  if (!above && top + ht > window.innerHeight - 8) top = r.top - ht - 4;
  if (above && top < 8) top = r.bottom + 4;
  el.style.setProperty("left", `${Math.round(left)}px`);
  el.style.setProperty("top", `${Math.round(Math.max(8, top))}px`);
}

/**
 * openEmojiPicker shows the picker by anchor (client.md §5.4, §6.6).
 * kind "reaction": below the button, 5 columns, a pick reacts and closes;
 * kind "insert": above the button, 6 columns, a pick inserts and the
 * picker stays open. Keys: arrows move in the grid, typing searches,
 * Enter in the search picks the first match, Esc closes and gives focus
 * back to anchor. Focus starts on the first emoji, so Enter right away
 * picks 👍.
 */
export function openEmojiPicker(anchor, { kind = "reaction", onPick, onClose } = {}) {
  const again = open && open.anchor === anchor;
  closeEmojiPicker();
  if (again && kind === "insert") return null; // the button toggles (§5.4)
  const reaction = kind === "reaction";
  const cols = reaction ? 5 : 6;
  const title = reaction ? "Add reaction" : "Emoji";
  const search = h("input", {
    type: "search",
    class: "emoji-search",
    placeholder: reaction ? "Search reactions…" : "Search emoji…",
    "aria-label": reaction ? "Search reactions" : "Search emoji",
    autocomplete: "off",
    spellcheck: "false",
  });
  const empty = h("p", { class: "emoji-empty", hidden: true }, "No emoji match that.");
  const cells = EMOJI.map((e, i) =>
    h("button", { type: "button", class: "pick", tabindex: i === 0 ? "0" : "-1", title: e.label, "aria-label": e.label, "data-emoji": e.char }, e.char),
  );
  const grid = h("div", { class: "emoji-grid", role: "group", "aria-label": title }, cells);
  const el = h(
    "div",
    { class: reaction ? "emoji-picker reaction-picker" : "emoji-picker insert-picker", role: "dialog", "aria-label": title, style: { "--cols": String(cols) } },
    search,
    grid,
    empty,
  );
  const visible = () => cells.filter((c) => !c.hidden);

  function focusCell(c) {
    if (!c) return;
    for (const x of cells) x.tabIndex = x === c ? 0 : -1;
    c.focus();
    c.scrollIntoView({ block: "nearest" });
  }

  function filter() {
    const keep = new Set(matchEmoji(search.value).map((e) => e.char));
    let first = null;
    for (const c of cells) {
      c.hidden = !keep.has(c.dataset.emoji);
      c.tabIndex = -1;
      if (!c.hidden && !first) first = c;
    }
    if (first) first.tabIndex = 0;
    empty.hidden = !!first;
  }

  function pick(char, byEnter = false) {
    onPick?.(char);
    if (reaction) close(true, byEnter);
  }

  /**
   * close removes the picker. refocus gives focus back to the anchor; after
   * an Enter in the search box that waits for the key to come up, so the
   * Enter cannot press the anchor button too.
   */
  function close(refocus, byEnter = false) {
    if (open !== state) return;
    open = null;
    el.remove();
    document.removeEventListener("pointerdown", outside, true);
    window.removeEventListener("resize", reposition);
    if (refocus) {
      let done = false;
      const back = () => {
        if (done) return;
        done = true;
        document.removeEventListener("keyup", back, true);
        if (anchor.isConnected) anchor.focus();
      };
      if (byEnter) {
        document.addEventListener("keyup", back, true);
        setTimeout(back, 600);
      } else back();
    }
    onClose?.(refocus);
  }
  const state = { el, anchor, close };

  function outside(e) {
    if (!el.contains(e.target) && !anchor.contains(e.target)) close(false);
  }
  const reposition = () => place(el, anchor, !reaction);

  grid.addEventListener("click", (e) => {
    const c = e.target.closest(".pick");
    if (c) pick(c.dataset.emoji);
  });
  grid.addEventListener("keydown", (e) => {
    const c = e.target.closest(".pick");
    if (!c || e.ctrlKey || e.metaKey || e.altKey) return;
    const v = visible();
    const i = v.indexOf(c);
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols };
    if (e.key in moves) {
      e.preventDefault();
      const j = i + moves[e.key];
      if (j < 0 && e.key === "ArrowUp") search.focus();
      else focusCell(v[Math.max(0, Math.min(v.length - 1, j))]);
    } else if (e.key === "Home" || e.key === "End") {
      e.preventDefault();
      focusCell(e.key === "Home" ? v[0] : v[v.length - 1]);
    } else if ((e.key.length === 1 && e.key !== " ") || e.key === "Backspace") {
      // Typing searches: focus moves to the search box before the key's
      // character arrives, so the character lands there.
      search.focus();
      search.setSelectionRange(search.value.length, search.value.length);
    }
  });
  search.addEventListener("input", filter);
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      const first = visible()[0];
      if (first) pick(first.dataset.emoji, true);
    } else if (e.key === "ArrowDown") {
      e.preventDefault();
      focusCell(visible()[0]);
    }
  });
  el.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    }
  });
  el.addEventListener("focusout", (e) => {
    // Tabbing out of the picker closes it; a click inside keeps it.
    if (e.relatedTarget && !el.contains(e.relatedTarget)) close(false);
  });

  open = state;
  document.body.append(el);
  reposition();
  window.addEventListener("resize", reposition);
  document.addEventListener("pointerdown", outside, true);
  // The search box takes the focus (§6.6): typing filters at once, Enter
  // takes the first visible emoji, ↓ enters the grid.
  search.focus();
  return state;
}
