package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// result is what one scenario measured, as the JSON that `npm run bench` reads. Figures a scenario
// does not measure are left out.
type result struct {
	Scenario string         `json:"scenario"`
	Target   string         `json:"target"`
	Addr     string         `json:"addr"`
	Quick    bool           `json:"quick"`
	Params   map[string]any `json:"params"`
	Error    string         `json:"error,omitempty"`

	CalibMs        float64  `json:"calib_ms"`
	Server         *figures `json:"server,omitempty"`
	MachineBusyPct float64  `json:"machine_busy_pct"`
	// Connects the kernel dropped meanwhile, anywhere on the machine, for a full accept queue.
	ListenDrops int64   `json:"listen_drops"`
	LoadCPUs    float64 `json:"loadgen_cpu_s"`
	WallS       float64 `json:"wall_s"`

	Connected     int      `json:"connected"`
	ConnectFailed int      `json:"connect_failed"`
	ConnectMs     float64  `json:"connect_ms"`
	ConnectError  string   `json:"connect_error,omitempty"`
	Latency       *latency `json:"latency_ms,omitempty"`

	// Data lines: sent, expected (sent × the clients that should get each), received; clients the
	// server closed, and lines with the marker that did not parse.
	Sent         int64 `json:"sent"`
	Expected     int64 `json:"expected"`
	Delivered    int64 `json:"delivered"`
	Disconnected int   `json:"disconnected"`
	Corrupt      int64 `json:"corrupt"`

	*broadcast
	*arrival
}

// broadcast holds the figures of fanout, flood and slow.
type broadcast struct {
	ReadyClients     int      `json:"ready_clients"`
	ReadyMs          float64  `json:"ready_ms"`
	Echo             bool     `json:"echo"`
	Receivers        int      `json:"receivers"`
	SentPerS         float64  `json:"sent_per_s"`
	SendLagMaxMs     *float64 `json:"send_lag_max_ms,omitempty"`
	LossPct          float64  `json:"loss_pct"`
	DeliveredPerS    float64  `json:"delivered_per_s"`
	MaxStallS        float64  `json:"max_stall_s"`
	Reorders         int64    `json:"reorders"`
	Other            int64    `json:"other_lines"`
	CPUusPerDelivery *float64 `json:"cpu_us_per_delivery,omitempty"`
	Slow             *slow    `json:"slow_client,omitempty"`
}

type slow struct {
	Dropped      bool  `json:"disconnected_by_server"`
	PendingBytes int64 `json:"pending_bytes"`
}

// arrival holds the figures of conns.
type arrival struct {
	ConnectPerS   float64  `json:"connect_per_s"`
	OpenAfterHold int      `json:"open_after_hold"`
	SenderOpen    bool     `json:"sender_open"`
	Greeted       int      `json:"greeted"`
	GreetMs       *float64 `json:"greet_ms,omitempty"`
	JoinLinesHold int64    `json:"join_lines_hold"`
	JoinLines     int64    `json:"join_lines"`
	Settled       bool     `json:"settled"`
	SettleS       *float64 `json:"settle_s,omitempty"`
	GotAll        int      `json:"got_all"`
	FanoutMs      *float64 `json:"fanout_ms,omitempty"`
	KiBPerConn    *float64 `json:"kib_per_conn,omitempty"`
}

type latency struct {
	Samples uint64  `json:"samples"`
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P99     float64 `json:"p99"`
	Max     float64 `json:"max"`
}

// run plays one scenario against the server and samples the server's process meanwhile.
func run(c *config) *result {
	r := &result{Scenario: c.scenario, Target: c.label, Addr: strings.Join(c.addrs, ","), Quick: c.quick}
	r.CalibMs = calibrate()
	w := watch(c.pid)
	cr := newCrowd(c)
	var err error
	if c.scenario == "conns" {
		err = cr.arrive(r)
	} else {
		err = cr.broadcast(r)
	}
	w.finish(r)
	if err != nil {
		r.Error = err.Error()
	} else if r.Server != nil && r.Server.Died {
		r.Error = "the server exited during the scenario"
	}
	if r.Server != nil && r.Server.CPUs != nil {
		if r.broadcast != nil && r.Delivered > 0 {
			r.broadcast.CPUusPerDelivery = ptr(round(*r.Server.CPUs*1e6/float64(r.Delivered), 3))
		}
		if r.arrival != nil && r.Connected > 0 {
			r.arrival.KiBPerConn = ptr(round((r.Server.PeakMiB-r.Server.BeforeMiB)*1024/float64(r.Connected), 2))
		}
	}
	return r
}

func (r *result) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s: %d connected in %.0f ms", r.Target, r.Scenario, r.Connected, r.ConnectMs)
	if a := r.arrival; a != nil {
		fmt.Fprintf(&b, ", %d greeted (all by %s), %d other lines, quiet %s, %d/%d got all %d lines", a.Greeted, orDash(a.GreetMs, "%.0f ms"), a.JoinLines, orDash(a.SettleS, "%.2f s"), a.GotAll, r.Connected, r.Sent)
		fmt.Fprintf(&b, " in %s", orDash(a.FanoutMs, "%.1f ms"))
	}
	if x := r.broadcast; x != nil {
		fmt.Fprintf(&b, ", sent %d, delivered %d/%d (loss %.3f%%), %.0f/s, stall %.1f s", r.Sent, r.Delivered, r.Expected, x.LossPct, x.DeliveredPerS, x.MaxStallS)
		if x.Slow != nil {
			fmt.Fprintf(&b, ", slow client dropped: %v", x.Slow.Dropped)
		}
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(&b, ", p50/p99/max %.2f/%.2f/%.1f ms", l.P50, l.P99, l.Max)
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(&b, ", server RSS %.1f→%.1f MiB, CPU %s", s.BeforeMiB, s.PeakMiB, orDash(s.CPUs, "%.2f s"))
	}
	if r.Error != "" {
		fmt.Fprintf(&b, " ERROR: %s", r.Error)
	}
	return b.String()
}

func orDash(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

func ptr[T any](v T) *T { return &v }

func round(x float64, digits int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func millis(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 1) }
