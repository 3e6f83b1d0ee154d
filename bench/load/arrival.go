package main

import (
	"fmt"
	"sync/atomic"
	"time"
)

// arrive plays conns: a crowd arrives at once and stays idle; once the server has gone quiet, one
// client sends a few lines that every one of them must get.
func (cr *crowd) arrive(r *result) error {
	c := cr.c
	r.Params = map[string]any{"conns": c.conns, "dials": c.dials, "hold_s": c.hold.Seconds(), "settle_max_s": c.settle.Seconds(), "lines": c.lines, "fanout_wait_s": c.fanWait.Seconds()}
	a := &arrival{}
	r.arrival = a
	cr.timeline = make([]atomic.Int64, int((c.fanWait+5*time.Second)/step)+1)

	// The sender arrives first, and reads (and ignores) the storm like everybody else.
	conn, err := cr.dial(0, 5*time.Second, 0)
	if err != nil {
		return fmt.Errorf("the sender: %v", err)
	}
	sender := newPeer(0, 1, conn)
	cr.readers.Add(1)
	go cr.read(sender, 16*1024)

	began := time.Now()
	peers, failed, took, err := cr.connect(c.conns, 1, 1, c.dials, 4096, 0)
	connected := time.Now()
	defer cr.close(peers, []*peer{sender})
	r.Connected, r.ConnectFailed, r.ConnectMs = len(peers), failed, millis(took)
	if took > 0 {
		a.ConnectPerS = round(float64(len(peers))/took.Seconds(), 0)
	}
	if err != nil {
		r.ConnectError = err.Error()
	}
	if len(peers) == 0 {
		return fmt.Errorf("no client connected: %v", err)
	}

	time.Sleep(c.hold)
	a.OpenAfterHold = len(peers) - ended(peers)
	a.SenderOpen = !sender.ended.Load()
	for _, p := range peers {
		if p.other.Load() > 0 && !p.ended.Load() {
			a.Greeted++ // open, and the server has said something to it: a connection it really accepted
		}
	}
	a.JoinLinesHold = sum(peers, func(p *peer) int64 { return p.other.Load() })

	// Quiet: no line without the marker for a second. settle_s is when the last one came, counted
	// from the end of connecting.
	quiet := func() bool {
		last := cr.lastOther.Load()
		return last == 0 || time.Since(time.Unix(0, last)) > time.Second
	}
	settleEnd := time.Now().Add(c.settle)
	for !quiet() && time.Now().Before(settleEnd) {
		time.Sleep(50 * time.Millisecond)
	}
	a.Settled = quiet()
	if a.Settled {
		s := 0.0
		if last := cr.lastOther.Load(); last != 0 {
			s = float64(last-connected.UnixNano()) / 1e9
		}
		a.SettleS = ptr(round(max0(s), 2))
	}
	a.JoinLines = sum(peers, func(p *peer) int64 { return p.other.Load() })
	// Greeted: every client still open has had the server's first line; greet_ms is when the last one came.
	var lastHello int64
	greetedAll := true
	for _, p := range peers {
		if h := p.hello.Load(); h > lastHello {
			lastHello = h
		} else if h == 0 && !p.ended.Load() {
			greetedAll = false
		}
	}
	if greetedAll && lastHello > 0 {
		a.GreetMs = ptr(round(float64(lastHello-began.UnixNano())/1e6, 1))
	}

	// The fan-out: lines 10 ms apart; the clock runs from the first until the last client has them all.
	cr.goal.Store(int64(c.lines))
	start := time.Now()
	cr.since.Store(start.UnixNano())
	conn.SetWriteDeadline(start.Add(c.fanWait))
	buf := make([]byte, 0, 128)
	sent := 0
	for k := 0; k < c.lines; k++ {
		if k > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		buf = appendData(buf[:0], 0, int64(k), time.Now().UnixNano(), c.pad)
		if _, err := conn.Write(buf); err != nil {
			break
		}
		sent++
	}
	all := func(p *peer) bool { return sent > 0 && p.got.Load() >= int64(sent) }
	within(time.Until(start.Add(c.fanWait)), func() bool {
		n := 0
		for _, p := range peers {
			if all(p) || p.ended.Load() {
				n++
			}
		}
		return n == len(peers)
	})
	cr.frozen.Store(true)
	var last int64
	for _, p := range peers {
		if all(p) {
			a.GotAll++
			if d := p.done.Load(); d > last {
				last = d
			}
		}
	}
	r.Sent = int64(sent)
	r.Delivered = sum(peers, func(p *peer) int64 { return p.got.Load() })
	r.Expected = int64(sent) * int64(len(peers))
	if a.GotAll > 0 && last > 0 {
		a.FanoutMs = ptr(round(float64(last-start.UnixNano())/1e6, 1))
	}
	r.Disconnected = ended(peers)
	r.Corrupt = sum(peers, func(p *peer) int64 { return p.bad.Load() })
	cr.measureLatency(r, peers)
	return nil
}

func max0(x float64) float64 {
	if x < 0 {
		return 0
	}
	return x
}
