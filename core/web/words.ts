// The page's own words (its buttons, headings, status and marks), in the room's language: what the server says is in core/wire/messages.ts.
import type { Lang } from "../wire/messages.ts";

export interface PageWords {
  sideToggle: string;
  sideLabel: string;
  conversation: string;
  rooms: string;
  joinLabel: string;
  join: string;
  people: string;
  changeName: string;
  youAre: (name: string) => string;
  lineLabel: string;
  linePlaceholder: string;
  send: string;
  connecting: string;
  connected: string;
  reconnecting: (seconds: number) => string;
  reconnected: string;
  left: string;
  notConnected: string;
  /** After a name in the list of people. */
  you: string;
  away: (text: string) => string;
  room: (room: string, people: number, here: boolean) => string;
  /** Marks between the history and what comes after. */
  missed: string;
  earlier: string;
  now: string;
  askPassword: string;
  passwordPlaceholder: string;
}

const ENGLISH: PageWords = {
  sideToggle: "People & rooms",
  sideLabel: "People and rooms",
  conversation: "Conversation",
  rooms: "Rooms",
  joinLabel: "Join or make a room",
  join: "Join",
  people: "People",
  changeName: "Change your name",
  youAre: (name) => `You are ${name}; change your name`,
  lineLabel: "Message, or a /command",
  linePlaceholder: "Message, or /help",
  send: "Send",
  connecting: "connecting…",
  connected: "connected",
  reconnecting: (seconds) => `reconnecting in ${seconds} s…`,
  reconnected: "reconnected",
  left: "you left; press Enter to come back",
  notConnected: "not connected: your line waits here",
  you: " (you)",
  away: (text) => (text ? ` away: ${text}` : " away"),
  room: (room, people, here) => `${room}, ${people} ${people === 1 ? "person" : "people"}${here ? ", you are here" : ""}`,
  missed: "missed while away",
  earlier: "earlier",
  now: "now",
  askPassword: "this room has a password: type it and press Enter",
  passwordPlaceholder: "Room password",
};

const CHINESE: PageWords = {
  sideToggle: "成员与房间",
  sideLabel: "成员与房间",
  conversation: "对话",
  rooms: "房间",
  joinLabel: "加入或新建房间",
  join: "加入",
  people: "成员",
  changeName: "更改名字",
  youAre: (name) => `你是 ${name}（点此更改名字）`,
  lineLabel: "消息，或 /命令",
  linePlaceholder: "消息，或 /help",
  send: "发送",
  connecting: "连接中…",
  connected: "已连接",
  reconnecting: (seconds) => `${seconds} 秒后重新连接…`,
  reconnected: "已重新连接",
  left: "你已离开；按回车键回来",
  notConnected: "未连接：你的消息留在这里",
  you: "（你）",
  away: (text) => (text ? ` (离开: ${text})` : " (离开)"),
  room: (room, people, here) => `${room}，${people} 人${here ? "，你在这里" : ""}`,
  missed: "离开期间",
  earlier: "更早",
  now: "现在",
  askPassword: "这个房间有密码：输入后按回车键",
  passwordPlaceholder: "房间密码",
};

/** The page's words for the language of `<html lang>` or of a welcome; English for any other. */
export function pageWordsFor(lang: string): PageWords {
  return (lang as Lang) === "zh" ? CHINESE : ENGLISH;
}
