package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// broadcast plays fanout, flood and slow: clients connect, some send, everyone reads everything.
func (cr *crowd) broadcast(r *result) error {
	c := cr.c
	flood, stuck := c.scenario == "flood", c.scenario == "slow"
	r.Params = map[string]any{"clients": c.clients, "senders": c.senders, "duration_s": c.duration.Seconds(), "grace_s": c.grace.Seconds(), "pad": c.pad}
	if flood {
		r.Params["window"] = c.window
		r.Params["batch"] = c.batch
	} else {
		r.Params["rate"] = c.rate
	}
	x := &broadcast{}
	r.broadcast = x
	if c.clients < 2 || c.senders < 1 {
		return errors.New("at least 2 clients and 1 sender are needed")
	}

	// slow: the client that never reads connects first, with a small receive buffer that fills soon.
	var never net.Conn
	if stuck {
		conn, err := cr.dial(1_000_000, 5*time.Second, c.slowRcvbuf)
		if err != nil {
			return fmt.Errorf("the client that never reads: %v", err)
		}
		never = conn
		defer never.Close()
		r.Params["slow_rcvbuf"] = c.slowRcvbuf
	}
	peers, failed, took, err := cr.connect(c.clients, 0, c.senders, 8, 64*1024, c.greet)
	defer cr.close(peers)
	r.Connected, r.ConnectFailed, r.ConnectMs = len(peers), failed, millis(took)
	if err != nil {
		r.ConnectError = err.Error()
	}
	if len(peers) < 2 {
		return fmt.Errorf("only %d clients connected: %v", len(peers), err)
	}

	t := time.Now()
	registered, echo := cr.awaitReady(peers, 5*time.Second)
	x.ReadyMs, x.Echo = millis(time.Since(t)), echo
	x.ReadyClients = 1 // the prober
	for _, p := range peers[1:] {
		if p.ready.Load() > 0 {
			x.ReadyClients++
		}
	}
	if !registered && x.ReadyClients == 1 {
		return errors.New("no client got a line another one sent: does the server broadcast? (-hello for servers that want a name first)")
	}
	// Clients the server never registered still count as receivers: their lines show as loss.
	receivers := len(peers) - ended(peers)
	x.Receivers = receivers
	each := int64(receivers)
	if !echo {
		each--
	}

	senders := c.senders
	if senders > len(peers) {
		senders = len(peers)
	}
	cr.timeline = make([]atomic.Int64, int((c.duration+c.grace+10*time.Second)/step)+1)
	start := time.Now().Add(20 * time.Millisecond)
	end := start.Add(c.duration)
	cr.since.Store(start.UnixNano())
	var mu sync.Mutex
	var sent int64
	var lag time.Duration
	var wg sync.WaitGroup
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var n int64
			var late time.Duration
			if flood {
				n = cr.flood(peers[i], i, readersOf(peers, peers[i], echo), start, end)
			} else {
				n, late = cr.pace(peers[i], i, senders, start, end)
			}
			mu.Lock()
			sent += n
			if late > lag {
				lag = late
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	stopped := time.Now()

	expected := sent * each
	graceEnd := end.Add(c.grace)
	if stopped.After(end) {
		graceEnd = stopped.Add(c.grace)
	}
	for time.Now().Before(graceEnd) && sum(peers, func(p *peer) int64 { return p.got.Load() }) < expected {
		time.Sleep(20 * time.Millisecond)
	}
	cr.frozen.Store(true)
	delivered := sum(peers, func(p *peer) int64 { return p.got.Load() })
	r.Disconnected = ended(peers)
	if stuck {
		x.Slow = dropped(never)
	}
	cr.close(peers)

	// Deliveries inside the sending window give deliveries/s; the longest run of empty slots in it is the longest stall.
	slots := int(c.duration / step)
	var inWindow int64
	run, longest := 0, 0
	for i := 0; i < slots && i < len(cr.timeline); i++ {
		n := cr.timeline[i].Load()
		inWindow += n
		if n == 0 {
			run++
			if run > longest {
				longest = run
			}
		} else {
			run = 0
		}
	}
	if delivered > expected { // a server that sends a line twice: reorders says so, loss stays 0
		expected = delivered
	}
	r.Sent, r.Expected, r.Delivered = sent, expected, delivered
	x.SentPerS = round(float64(sent)/c.duration.Seconds(), 0)
	if !flood {
		x.SendLagMaxMs = ptr(millis(lag))
	}
	if expected > 0 {
		x.LossPct = round(100*float64(expected-delivered)/float64(expected), 3)
	}
	x.DeliveredPerS = round(float64(inWindow)/c.duration.Seconds(), 0)
	x.MaxStallS = round(float64(longest)*step.Seconds(), 1)
	x.Reorders = sum(peers, func(p *peer) int64 { return p.reorders })
	r.Corrupt = sum(peers, func(p *peer) int64 { return p.bad.Load() })
	x.Other = sum(peers, func(p *peer) int64 { return p.other.Load() })
	cr.measureLatency(r, peers)
	return nil
}

// awaitReady has peer 0 send readiness probes until every other live peer has one (the server has
// registered them all), then a last one that everybody must get, and tells whether it came back to
// peer 0 too (the server echoes a line to its sender).
func (cr *crowd) awaitReady(peers []*peer, limit time.Duration) (registered, echo bool) {
	prober, rest := peers[0], peers[1:]
	deadline := time.Now().Add(limit)
	prober.conn.SetWriteDeadline(deadline)
	defer prober.conn.SetWriteDeadline(time.Time{})
	everyone := func(n int64) func() bool {
		return func() bool {
			for _, p := range rest {
				if !p.ended.Load() && p.ready.Load() < n {
					return false
				}
			}
			return true
		}
	}
	var n int64
	send := func() bool {
		n++
		_, err := fmt.Fprintf(prober.conn, "BENCHREADY %d\n", n)
		return err == nil
	}
	for time.Now().Before(deadline) && send() {
		if within(50*time.Millisecond, everyone(1)) {
			registered = true
			break
		}
	}
	if registered && send() {
		last := n
		within(2*time.Second, everyone(last))
		within(300*time.Millisecond, func() bool { return prober.ready.Load() >= last })
	}
	echo = prober.ready.Load() > 0
	reached := false
	for _, p := range rest {
		reached = reached || p.ready.Load() > 0
	}
	return registered && reached, echo
}

func within(d time.Duration, ok func() bool) bool {
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// readersOf lists the peers whose progress holds a flood sender back: those the server registered
// (and the sender itself when the server echoes).
func readersOf(peers []*peer, sender *peer, echo bool) (out []*peer) {
	for i, p := range peers {
		if (p != sender || echo) && (i == 0 || p.ready.Load() > 0) {
			out = append(out, p)
		}
	}
	return
}

// pace sends on a fixed schedule whatever the server does (an open loop): line k of sender i of n is
// due at start + (i/n + k) × n/rate. Behind schedule (the socket blocked), the lines due go out in
// one write, at most 64.
func (cr *crowd) pace(p *peer, i, n int, start, end time.Time) (sent int64, late time.Duration) {
	c := cr.c
	every := float64(n) / c.rate * float64(time.Second)
	due := func(k int64) time.Time {
		return start.Add(time.Duration(every*float64(i)/float64(n) + every*float64(k)))
	}
	p.conn.SetWriteDeadline(end)
	buf := make([]byte, 0, 64*(48+c.pad))
	var ends []int
	for {
		at := due(sent)
		if !at.Before(end) {
			return
		}
		time.Sleep(time.Until(at))
		now := time.Now()
		if !now.Before(end) {
			return
		}
		if now.Sub(at) > late {
			late = now.Sub(at)
		}
		buf, ends = buf[:0], ends[:0]
		stamp := now.UnixNano()
		for k := sent; k < sent+64 && (k == sent || due(k).Before(now)); k++ {
			buf = appendData(buf, p.id, k, stamp, c.pad)
			ends = append(ends, len(buf))
		}
		whole, err := writeWhole(p.conn, buf, ends)
		sent += whole
		if err != nil {
			return
		}
	}
}

// flood writes batches as fast as the server takes them, keeping at most window lines that some
// reader still lacks. A reader that is gone, or has had nothing new from this sender for a second,
// no longer holds it back.
func (cr *crowd) flood(p *peer, index int, readers []*peer, start, end time.Time) int64 {
	c := cr.c
	time.Sleep(time.Until(start))
	p.conn.SetWriteDeadline(end)
	buf := make([]byte, 0, c.batch*(48+c.pad))
	var ends []int
	seen := make([]int64, len(readers))
	moved := make([]time.Time, len(readers))
	for j := range readers {
		seen[j], moved[j] = -1, start
	}
	var seq int64
	// received is how many of this sender's lines every reader that still counts has.
	received := func(now time.Time) int64 {
		least := int64(math.MaxInt64)
		for j, q := range readers {
			if q.ended.Load() {
				continue
			}
			v := q.last[index].Load()
			if v != seen[j] {
				seen[j], moved[j] = v, now
			} else if now.Sub(moved[j]) > time.Second {
				continue
			}
			if v+1 < least {
				least = v + 1
			}
		}
		if least > seq {
			least = seq
		}
		return least
	}
	for {
		now := time.Now()
		if !now.Before(end) {
			return seq
		}
		n := int64(c.batch)
		if c.window > 0 {
			room := int64(c.window) - (seq - received(now))
			if room <= 0 {
				time.Sleep(500 * time.Microsecond)
				continue
			}
			if room < n {
				n = room
			}
		}
		buf, ends = buf[:0], ends[:0]
		stamp := now.UnixNano()
		for k := int64(0); k < n; k++ {
			buf = appendData(buf, p.id, seq+k, stamp, c.pad)
			ends = append(ends, len(buf))
		}
		whole, err := writeWhole(p.conn, buf, ends)
		seq += whole
		if err != nil {
			return seq
		}
	}
}

// writeWhole writes lines ending at the offsets in ends and says how many went out whole.
func writeWhole(conn net.Conn, buf []byte, ends []int) (int64, error) {
	n, err := conn.Write(buf)
	if err == nil {
		return int64(len(ends)), nil
	}
	return int64(sort.SearchInts(ends, n+1)), err
}

// dropped reads what waits for the client that never read, for up to 1.5 s: the end of the stream
// or a reset says the server let it go; a read still waiting says it holds on to it.
func dropped(conn net.Conn) *slow {
	conn.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
	n, err := io.Copy(io.Discard, conn)
	timedOut := false
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		timedOut = true
	}
	return &slow{Dropped: !timedOut, PendingBytes: n}
}
