// The page itself: what the server says, shown as a conversation with its people and rooms; what is typed, sent as on a terminal.
import type { Event, Presence, RoomInfo, Said } from "../wire/events.ts";
import { roomLine, wordsFor, type Words } from "../wire/messages.ts";
import { nameKey } from "../wire/sanitize.ts";
import { Link } from "./link.ts";
import { el, nameNode, painted, textNodes, timeNode } from "./view.ts";
import { pageWordsFor, type PageWords } from "./words.ts";

type Incoming = Event & { ts: number };

const NAME_KEY = "chat.name";
const MAIN = "#main";
/** Entries kept on the page: a day in a busy room must not slow the tab down. */
const MAX_ENTRIES = 2000;
/** Lines kept for the arrow keys. */
const MAX_RECALL = 100;
/** How often, and how far apart, a remembered name that is taken is asked for again. */
// Long enough for the server to notice a connection that vanished (it pings after 30 s of quiet).
const CLAIM_TRIES = 15;
const CLAIM_AGAIN_MS = 5000;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const log = byId<HTMLOListElement>("log");
const input = byId<HTMLInputElement>("line");
const form = byId<HTMLFormElement>("say");
const meButton = byId<HTMLButtonElement>("me");
const status = byId<HTMLParagraphElement>("status");
const roomTitle = byId<HTMLHeadingElement>("room");
const topicLine = byId<HTMLParagraphElement>("topic");
const peopleList = byId<HTMLUListElement>("people");
const peopleCount = byId<HTMLSpanElement>("people-count");
const roomList = byId<HTMLUListElement>("rooms");
const side = byId<HTMLElement>("side");
const sideToggle = byId<HTMLButtonElement>("side-toggle");
const joinForm = byId<HTMLFormElement>("join-form");
const joinInput = byId<HTMLInputElement>("join-room");
const sendButton = form.querySelector<HTMLButtonElement>("button[type=submit]")!;

/** The room's words, in the language its welcome names: the page says what nc people read. */
let words: Words = wordsFor("en");
/** The page's own words, in the room's language: the server names it in `<html lang>`, and again in each welcome. */
let chrome: PageWords = pageWordsFor(document.documentElement.lang);

/** Puts the page's own words on its buttons, headings and labels. */
function labelPage(): void {
  sideToggle.textContent = chrome.sideToggle;
  side.setAttribute("aria-label", chrome.sideLabel);
  log.setAttribute("aria-label", chrome.conversation);
  byId("rooms-title").textContent = chrome.rooms;
  joinForm.querySelector("label")!.textContent = chrome.joinLabel;
  joinForm.querySelector("button")!.textContent = chrome.join;
  byId("people-title").firstChild!.textContent = `${chrome.people} `;
  meButton.title = chrome.changeName; // its label names the name: setMe
  input.setAttribute("aria-label", chrome.lineLabel);
  input.placeholder = input.type === "password" ? chrome.passwordPlaceholder : chrome.linePlaceholder;
  sendButton.textContent = chrome.send;
}

const state = {
  me: undefined as string | undefined,
  /** Welcomed on the current connection. */
  welcomed: false,
  /** Connected before: a welcome now is a return. */
  returning: false,
  room: MAIN,
  topic: undefined as string | undefined,
  people: new Map<string, Presence>(),
  rooms: [] as RoomInfo[],
  unread: 0,
  /** Kept in memory only, to answer the door again after a reconnect. */
  password: undefined as string | undefined,
  askedPassword: false,
  triedPassword: false,
  claimTries: 0,
  /** The page asked for /rooms itself, to refresh its list: the answer goes only there. */
  quietRooms: 0,
  hasRooms: false,
  /** The user typed /quit: do not come back until they type again. */
  left: false,
  /** Chat lines already shown, so history replayed after a reconnect shows only what was missed. */
  seen: new Set<string>(),
  recall: [] as string[],
  recallAt: 0,
  draft: "",
};

const saved = (): string | undefined => {
  try {
    return localStorage.getItem(NAME_KEY) ?? undefined;
  } catch {
    return undefined; // storage may be off; the page still works, it just forgets
  }
};
const remember = (name: string) => {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {}
};

/** The socket, asked to arrive under the remembered name and, after a drop, in the room we were in. */
function socketUrl(): string {
  const url = new URL("/ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const name = saved();
  if (name) url.searchParams.set("name", name);
  if (state.returning && !sameRoom(state.room, MAIN)) url.searchParams.set("room", state.room);
  return url.href;
}

const link = new Link(socketUrl, {
  open: () => {
    state.welcomed = false;
    state.askedPassword = false;
    state.triedPassword = false;
    setStatus(chrome.connected, false);
  },
  line: (text) => {
    let event: Incoming;
    try {
      event = JSON.parse(text) as Incoming;
    } catch {
      return; // not an event: nothing the page can show
    }
    receive(event);
  },
  lost: (ms) => {
    if (state.left) return setStatus(chrome.left, true);
    if (state.welcomed || state.returning) state.returning = true;
    state.welcomed = false;
    setStatus(chrome.reconnecting(Math.ceil(ms / 1000)), true);
  },
});

function setStatus(text: string, down: boolean): void {
  status.textContent = text;
  status.classList.toggle("down", down);
}

function updateTitle(): void {
  document.title = `${state.unread > 0 ? `(${state.unread}) ` : ""}${state.room} · chat`;
}

// --- The conversation -------------------------------------------------------

function append(entry: HTMLLIElement): void {
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  log.append(entry);
  while (log.childElementCount > MAX_ENTRIES) log.firstElementChild!.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function entry(kind: string, ts: number | undefined, ...parts: (Node | string)[]): HTMLLIElement {
  const li = el("li", kind);
  if (ts !== undefined) li.append(timeNode(ts));
  li.append(...parts);
  return li;
}

/** A row of /help's table: two spaces, the usage, two or more spaces, what it does. */
const HELP_ROW = /^ {2}(\/\S.*?) {2,}(\S.*)$/;

/** A line of the server's own (`* …`), in the conversation; /help's rows as usage and summary, not padded columns. */
function notice(text: string, ts?: number): void {
  const row = HELP_ROW.exec(text);
  if (row) return append(entry("notice help", ts, el("code", "", row[1]), ` ${row[2]}`));
  append(entry("notice", ts, ...textNodes(`* ${text}`)));
}

function system(ts: number | undefined, ...parts: (Node | string)[]): void {
  append(entry("system", ts, ...parts));
}

function mark(text: string): void {
  const li = el("li", "mark");
  li.append(el("span", "", text));
  li.setAttribute("aria-hidden", "true");
  append(li);
}

function said(line: Said, history: boolean): HTMLLIElement {
  const own = line.from === state.me;
  const kind = `${line.type === "me" ? "action" : "message"}${own ? " own" : ""}${history ? " history" : ""}`;
  return line.type === "me"
    ? entry(kind, line.ts, "* ", nameNode(line.from), " ", ...textNodes(line.text))
    : entry(kind, line.ts, nameNode(line.from), ": ", ...textNodes(line.text));
}

const seenKey = (line: Said) => `${line.ts}\u0000${line.from}\u0000${line.text}`;

function see(line: Said): boolean {
  const key = seenKey(line);
  if (state.seen.has(key)) return false;
  state.seen.add(key);
  if (state.seen.size > 500) state.seen.delete(state.seen.values().next().value!);
  return true;
}

function unread(from: string): void {
  if (!document.hidden || from === state.me) return;
  state.unread++;
  updateTitle();
}

// --- People and rooms -------------------------------------------------------

function setPeople(present: readonly Presence[]): void {
  state.people = new Map(present.map((p) => [p.name, p]));
  if (state.me) state.people.set(state.me, state.people.get(state.me) ?? { name: state.me });
  drawPeople();
}

function drawPeople(): void {
  const names = [...state.people.values()].sort((a, b) => a.name.localeCompare(b.name));
  peopleList.replaceChildren(
    ...names.map((p) => {
      const li = el("li");
      li.append(nameNode(p.name));
      if (p.name === state.me) li.append(el("span", "quiet", chrome.you));
      if (p.away !== undefined) li.append(el("span", "away", chrome.away(p.away)));
      return li;
    }),
  );
  peopleCount.textContent = `(${names.length})`;
  const here = state.rooms.find((r) => sameRoom(r.room, state.room));
  if (here) here.people = names.length;
  drawRooms();
}

const sameRoom = (a: string, b: string) => nameKey(a) === nameKey(b);

function drawRooms(): void {
  if (!state.rooms.some((r) => sameRoom(r.room, state.room))) state.rooms.push({ room: state.room, people: state.people.size, topic: state.topic });
  state.rooms.sort((a, b) => a.room.localeCompare(b.room));
  roomList.replaceChildren(
    ...state.rooms.map((r) => {
      const button = el("button");
      button.type = "button";
      button.append(el("span", "", r.room), el("span", "count", String(r.people)));
      if (r.topic) button.title = r.topic;
      const current = sameRoom(r.room, state.room);
      button.setAttribute("aria-current", String(current));
      button.setAttribute("aria-label", chrome.room(r.room, r.people, current));
      button.addEventListener("click", () => {
        if (!current) send(`/join ${r.room}`);
        closeSide();
        input.focus();
      });
      const li = el("li");
      li.append(button);
      return li;
    }),
  );
}

function setRoom(room: string, topic: string | undefined): void {
  state.room = room;
  state.topic = topic;
  roomTitle.textContent = room;
  topicLine.textContent = topic ?? "";
  topicLine.hidden = !topic;
  updateTitle();
}

function setMe(name: string): void {
  state.me = name;
  meButton.textContent = name;
  meButton.setAttribute("aria-label", chrome.youAre(name));
}

// --- What the server says ---------------------------------------------------

function receive(event: Incoming): void {
  switch (event.type) {
    case "welcome":
      return welcome(event);
    case "history": {
      const fresh = event.lines.filter(see);
      if (fresh.length === 0) return;
      mark(state.returning ? chrome.missed : chrome.earlier);
      for (const line of fresh) append(said(line, true));
      return mark(chrome.now);
    }
    case "message":
    case "me":
      see(event);
      append(said(event, false));
      return unread(event.from);
    case "private": {
      const li = entry(`private${event.from === state.me ? " own" : ""}`, event.ts, "* ", nameNode(event.from), " → ", nameNode(event.to), ": ", ...textNodes(event.text));
      append(li);
      return unread(event.from);
    }
    case "join":
      state.people.set(event.name, { name: event.name });
      drawPeople();
      return system(event.ts, ...painted(words.arrived(event.name), [event.name]));
    case "leave":
      state.people.delete(event.name);
      drawPeople();
      return system(event.ts, ...painted(event.to ? words.wentTo(event.name, event.to) : words.left(event.name, event.reason), [event.name]));
    case "nick": {
      const was = state.people.get(event.from);
      state.people.delete(event.from);
      state.people.set(event.to, { ...was, name: event.to });
      if (event.from === state.me) {
        setMe(event.to);
        remember(event.to);
      }
      drawPeople();
      return system(event.ts, ...painted(words.renamed(event.from, event.to), [event.from, event.to]));
    }
    case "notice":
      return onNotice(event);
    case "room":
      setRoom(event.room, event.topic);
      setPeople(event.present);
      notice(words.notice.nowIn(event.room), event.ts);
      if (event.topic) notice(words.notice.topic(event.topic), event.ts);
      return refreshRooms();
    case "topic":
      if (sameRoom(event.room, state.room)) setRoom(state.room, event.text || undefined);
      return system(event.ts, "* ", ...painted(words.topicSet(event.from, event.text), [event.from]));
    case "rooms":
      state.rooms = event.rooms.map((r) => ({ ...r }));
      drawRooms();
      if (state.quietRooms > 0) return void state.quietRooms--;
      for (const r of event.rooms) notice(roomLine(r), event.ts);
      return;
  }
}

function welcome(event: Extract<Incoming, { type: "welcome" }>): void {
  const returning = state.returning;
  state.welcomed = true;
  state.hasRooms = event.room !== undefined;
  words = wordsFor(event.lang);
  if (document.documentElement.lang !== event.lang) {
    document.documentElement.lang = event.lang;
    chrome = pageWordsFor(event.lang);
    labelPage();
  }
  setMe(event.name);
  setRoom(event.room ?? MAIN, event.topic);
  setPeople(event.present);
  if (returning) mark(chrome.reconnected);
  system(event.ts, ...painted(words.youAre(event.name), [event.name]));
  if (event.present.length > 0) {
    const names = event.present.map((p) => p.name);
    system(undefined, ...painted(words.present(names), names));
  }
  for (const line of event.motd) notice(line);
  if (event.topic) notice(words.notice.topic(event.topic));
  refreshRooms();
  state.returning = false;
  // Asked for on arrival; taken still, perhaps by our own connection from before a drop, which
  // the server has not yet seen go: asked for again a few times.
  state.claimTries = 0;
  claimAgain();
}

/** The rooms and their people, for the list; a server without rooms has no /rooms, and is not asked. */
function refreshRooms(): void {
  if (!state.hasRooms || !link.send("/rooms")) return;
  state.quietRooms++;
}

function claimAgain(): void {
  const name = saved();
  if (!name || name === state.me || state.claimTries >= CLAIM_TRIES) return;
  state.claimTries++;
  setTimeout(() => {
    if (state.welcomed && state.me !== name && saved() === name) link.send(`/nick ${name}`);
  }, CLAIM_AGAIN_MS);
}

function onNotice(event: Extract<Incoming, { type: "notice" }>): void {
  if (!state.welcomed && event.text === "password:") return askPassword();
  if (!state.welcomed && event.text === "wrong password") state.password = undefined;
  const retry = event.code === "name_taken" && event.name === saved() && state.claimTries > 0;
  if (retry) claimAgain();
  // One word that the name is taken is enough; the tries after it are quiet.
  if (!retry || state.claimTries <= 1) notice(event.text, event.ts);
}

function askPassword(): void {
  if (state.password !== undefined && !state.triedPassword) {
    state.triedPassword = true;
    link.send(state.password);
    return;
  }
  state.askedPassword = true;
  notice(chrome.askPassword);
  input.type = "password";
  input.placeholder = chrome.passwordPlaceholder;
  input.focus();
}

// --- What is typed ----------------------------------------------------------

/** Sends a line; while disconnected it stays in the input, to be sent once back. */
function send(line: string): boolean {
  if (state.left) {
    state.left = false;
    link.start();
    return false;
  }
  if (!link.send(line)) {
    setStatus(chrome.notConnected, true);
    return false;
  }
  if (/^\/quit(\s|$)/i.test(line)) {
    state.left = true;
    link.stop();
  }
  return true;
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const line = input.value;
  if (state.askedPassword && input.type === "password") {
    if (line === "" || !link.send(line)) return;
    state.password = line;
    state.triedPassword = true;
    state.askedPassword = false;
    input.type = "text";
    input.placeholder = chrome.linePlaceholder;
    input.value = "";
    return;
  }
  if (line.trim() === "") return;
  if (!send(line)) return;
  if (state.recall.at(-1) !== line) state.recall.push(line);
  if (state.recall.length > MAX_RECALL) state.recall.shift();
  state.recallAt = state.recall.length;
  input.value = "";
  log.scrollTop = log.scrollHeight;
});

input.addEventListener("keydown", (e) => {
  if (e.isComposing || input.type === "password") return;
  if (e.key === "ArrowUp" && state.recallAt > 0) {
    if (state.recallAt === state.recall.length) state.draft = input.value;
    input.value = state.recall[--state.recallAt]!;
  } else if (e.key === "ArrowDown" && state.recallAt < state.recall.length) {
    state.recallAt++;
    input.value = state.recallAt === state.recall.length ? state.draft : state.recall[state.recallAt]!;
  } else return;
  e.preventDefault();
  input.setSelectionRange(input.value.length, input.value.length);
});

meButton.addEventListener("click", () => {
  input.value = "/nick ";
  input.focus();
});

joinForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const room = joinInput.value.trim();
  if (room === "") return;
  if (send(`/join ${room}`)) joinInput.value = "";
  closeSide();
  input.focus();
});

function closeSide(): void {
  side.classList.remove("open");
  sideToggle.setAttribute("aria-expanded", "false");
}

sideToggle.addEventListener("click", () => {
  const open = side.classList.toggle("open");
  sideToggle.setAttribute("aria-expanded", String(open));
  if (!open) return;
  refreshRooms();
  side.querySelector<HTMLElement>("button, input")?.focus();
});

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && side.classList.contains("open")) {
    closeSide();
    sideToggle.focus();
  }
});

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  state.unread = 0;
  updateTitle();
});

labelPage();
setStatus(chrome.connecting, false);
setMe(saved() ?? "…");
updateTitle();
drawRooms();
input.focus();
link.start();
