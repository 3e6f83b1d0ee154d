// What --metrics reports: plain counters bumped on the hot path, rendered in the Prometheus text format when scraped.
import type { ClusterStats } from "../bus/redis/cluster.ts";

export type Refusal = "full" | "denied" | "banned" | "shutting down";
export type Disconnect = "closed" | "quit" | "idle" | "too slow" | "kicked" | "banned" | "login" | "shutdown";

/** Gauges are read when scraped rather than kept up to date: the hot path pays nothing for them. */
export interface Gauges {
  /** A cluster's figures, with --redis. */
  cluster?: ClusterStats & { waiting: number };
  clients: number;
  /** Connections still in the TLS handshake or the password step. */
  waiting: number;
  queuedBytes: number;
  historyLines: number;
  /** Every room and how many are in it. */
  rooms: readonly { room: string; people: number }[];
}

/** Rooms given a people gauge of their own: the largest, so the label count stays bounded. */
export const GAUGED_ROOMS = 50;

export class Metrics {
  /** Connections let in past the access list, bans and limits. */
  accepted = 0;
  readonly refused: Record<Refusal, number> = { full: 0, denied: 0, banned: 0, "shutting down": 0 };
  linesIn = 0;
  /** Lines queued for a member: one broadcast to n members is n deliveries. */
  deliveries = 0;
  /** Bytes the kernel took. */
  bytesOut = 0;
  readonly disconnects: Record<Disconnect, number> = {
    closed: 0,
    quit: 0,
    idle: 0,
    "too slow": 0,
    kicked: 0,
    banned: 0,
    login: 0,
    shutdown: 0,
  };

  render(gauges: Gauges): string {
    const out: string[] = [];
    const metric = (name: string, type: "counter" | "gauge" | "summary", help: string, samples: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    const byReason = (counts: Record<string, number>) =>
      Object.entries(counts).map(([reason, n]): [string, number] => [`{reason="${reason}"}`, n]);
    metric("chat_clients", "gauge", "Clients in the chat, in every room.", [["", gauges.clients]]);
    metric("chat_waiting_connections", "gauge", "Connections in the TLS handshake or the password step.", [["", gauges.waiting]]);
    metric("chat_connections_accepted_total", "counter", "Connections let in.", [["", this.accepted]]);
    metric("chat_connections_refused_total", "counter", "Connections refused, by reason.", byReason(this.refused));
    metric("chat_lines_in_total", "counter", "Lines received from clients in the room.", [["", this.linesIn]]);
    metric("chat_deliveries_total", "counter", "Lines queued for clients: one line to n clients counts n.", [["", this.deliveries]]);
    metric("chat_bytes_out_total", "counter", "Bytes written to clients.", [["", this.bytesOut]]);
    metric("chat_disconnects_total", "counter", "Connections ended, by reason.", byReason(this.disconnects));
    metric("chat_queued_bytes", "gauge", "Bytes waiting in outboxes for clients to read.", [["", gauges.queuedBytes]]);
    metric("chat_history_lines", "gauge", "Chat lines kept for newcomers.", [["", gauges.historyLines]]);
    metric("chat_rooms", "gauge", "Rooms, empty ones that keep history or a topic included.", [["", gauges.rooms.length]]);
    const largest = [...gauges.rooms].sort((a, b) => b.people - a.people || (a.room < b.room ? -1 : 1)).slice(0, GAUGED_ROOMS);
    metric(
      "chat_room_people",
      "gauge",
      `People in each of the ${GAUGED_ROOMS} largest rooms.`,
      largest.map((r): [string, number] => [`{room="${r.room.replace(/[\\"]/g, "\\$&")}"}`, r.people]),
    );
    const cluster = gauges.cluster;
    if (cluster) {
      metric("chat_bus_lag_seconds", "summary", "From a change's append to Redis to its delivery here.", [
        ["_sum", cluster.lagSeconds],
        ["_count", cluster.delivered],
      ]);
      metric("chat_bus_reconnects_total", "counter", "Times the connection to Redis came back after a drop.", [["", cluster.reconnects]]);
      metric("chat_bus_held_changes", "gauge", "Changes made here and not yet in Redis: held while it is away.", [["", cluster.held]]);
      metric("chat_bus_waiting_lines", "gauge", "Lines said here waiting behind their sender's last change: held while Redis is away.", [["", cluster.waiting]]);
      metric("chat_bus_duplicates_total", "counter", "Changes found twice in the stream and delivered once.", [["", cluster.duplicates]]);
    }
    return `${out.join("\n")}\n`;
  }
}
