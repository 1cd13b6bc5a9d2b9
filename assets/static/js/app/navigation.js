// Wires the navigation views into the page (client.md §6, §9.2): search,
// the mentions view, pins, members, the new-conversation dialogs and
// presence. app.js calls wireNavigation once, before the stream connects,
// so hello's presence map and the first mentions load are not missed.
//
// Entry points for the keyboard layer (client.md §11):
//   focusSearch()            `/` and `f`: the search box, every field cleared
//   openNewDM()              `o`: the New DM dialog
//   openMentions()           the mentions view
//   togglePins()             the pins panel of the open conversation
//   openMembers()            the Members dialog of the open conversation
//   openNewPrivateChannel()  the New Private Channel dialog

import { nav } from "./context.js";
import { trackPresence } from "./presence.js";
import { trackMentions } from "./mentions.js";

export { focusSearch } from "./search.js";
export { openNewDM } from "./newdm.js";
export { openMentions } from "./mentions.js";
export { togglePins } from "./pins.js";
export { openMembers } from "./members.js";
export { openNewPrivateChannel } from "./privatechannel.js";

/**
 * wireNavigation hands the views the page's parts: the model, the
 * stream, the accounts, the conversation column, the composer and the
 * top bar.
 */
export function wireNavigation({ state, live, users, conv, composer, bar }) {
  nav.state = state;
  nav.live = live;
  nav.users = users;
  nav.conv = conv;
  nav.composer = composer;
  bar.el.after(bar.nameBar);
  trackPresence(live, state.me);
  trackMentions(live);
  bar.pins.track(state, live);
}
