package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// peer is one client: a connection and what its reader has counted so far.
type peer struct {
	id    int
	conn  net.Conn
	got   atomic.Int64 // data lines counted
	other atomic.Int64 // lines without the marker
	bad   atomic.Int64 // lines with the marker that did not parse
	ready atomic.Int64 // the highest readiness probe received
	ended atomic.Bool  // closed by the server (or broken) before the bench closed it
	done  atomic.Int64 // unixnano when got reached the crowd's goal
	hello atomic.Int64 // unixnano when the server's first byte came
	last  []atomic.Int64
	first chan struct{} // closed when the server's first byte arrives

	// the reader's own until it returns
	reorders int64
	slowest  int64
}

// crowd is every peer of one scenario and what they measure together.
type crowd struct {
	c         *config
	latency   histogram
	closing   atomic.Bool  // the bench is closing the peers: ends are not the server's doing
	frozen    atomic.Bool  // measuring is over: data lines are no longer counted
	lastOther atomic.Int64 // unixnano of the last line without the marker
	goal      atomic.Int64 // conns: a peer that has this many data lines is done
	oldest    int64        // a timestamp before this did not come from this run: corrupt
	timeline  []atomic.Int64
	since     atomic.Int64 // unixnano where timeline starts (0: not counting)
	readers   sync.WaitGroup
}

// step is the width of the timeline's slots: deliveries per 100 ms give deliveries/s and stalls.
const step = 100 * time.Millisecond

func newCrowd(c *config) *crowd {
	return &crowd{c: c, oldest: time.Now().Add(-time.Minute).UnixNano()}
}

func newPeer(id, senders int, conn net.Conn) *peer {
	p := &peer{id: id, conn: conn, last: make([]atomic.Int64, senders), first: make(chan struct{})}
	for i := range p.last {
		p.last[i].Store(-1)
	}
	return p
}

// dial connects client id to its server (id mod the number of addresses) and sends the hello line.
func (cr *crowd) dial(id int, timeout time.Duration, rcvbuf int) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, raw syscall.RawConn) error {
			var err error
			if e := raw.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) }); e != nil {
				return e
			}
			return err
		}
	}
	addr := cr.c.addrs[id%len(cr.c.addrs)]
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if path := wsPath(cr.c.ws); path != "" {
		conn.SetDeadline(time.Now().Add(timeout))
		ws, err := upgrade(conn, addr, path)
		if err != nil {
			conn.Close()
			return nil, err
		}
		conn.SetDeadline(time.Time{})
		conn = ws
	}
	if cr.c.hello != "" {
		conn.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := io.WriteString(conn, strings.ReplaceAll(cr.c.hello, "{i}", strconv.Itoa(id))+"\n"); err != nil {
			conn.Close()
			return nil, err
		}
		conn.SetWriteDeadline(time.Time{})
	}
	return conn, nil
}

// connect opens n clients, ids from first on, with at most inFlight connects under way, and starts
// each one's reader at once. With greet > 0 a connect is over when the server's first line arrives
// or greet has passed. took runs from the first connect to the end of the last.
func (cr *crowd) connect(n, first, senders, inFlight, size int, greet time.Duration) (peers []*peer, failed int, took time.Duration, firstErr error) {
	start := time.Now()
	deadline := start.Add(cr.c.connectLimit)
	slots := make([]*peer, n)
	var mu sync.Mutex
	var lastDone time.Time
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		failed++
		if firstErr == nil {
			firstErr = err
		}
	}
	next := make(chan int)
	var workers sync.WaitGroup
	for w := 0; w < inFlight; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := range next {
				left := time.Until(deadline)
				if left <= 0 {
					fail(errors.New("the time allowed for connecting ran out"))
					continue
				}
				conn, err := cr.dial(first+i, left, 0)
				if err != nil {
					fail(err)
					continue
				}
				p := newPeer(first+i, senders, conn)
				cr.readers.Add(1)
				go cr.read(p, size)
				if greet > 0 {
					select {
					case <-p.first:
					case <-time.After(greet):
					}
				}
				now := time.Now()
				mu.Lock()
				slots[i] = p
				if now.After(lastDone) {
					lastDone = now
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	workers.Wait()
	for _, p := range slots {
		if p != nil {
			peers = append(peers, p)
		}
	}
	if lastDone.IsZero() {
		lastDone = time.Now()
	}
	return peers, failed, lastDone.Sub(start), firstErr
}

// read counts what the server sends one peer until the connection ends.
func (cr *crowd) read(p *peer, size int) {
	defer cr.readers.Done()
	in := bufio.NewReaderSize(p.conn, size)
	if _, err := in.Peek(1); err == nil {
		p.hello.Store(time.Now().UnixNano())
		close(p.first)
	}
	long := false // inside a line longer than the buffer: not one of ours, and counted once
	for {
		line, err := in.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if !long {
				cr.otherLine(p)
			}
			long = true
			continue
		}
		if err != nil {
			break
		}
		if long {
			long = false
			continue
		}
		cr.take(p, line)
	}
	if !cr.closing.Load() {
		p.ended.Store(true)
	}
}

var (
	marker = []byte("BENCH")
	probe  = []byte("READY ")
)

func (cr *crowd) otherLine(p *peer) {
	p.other.Add(1)
	cr.lastOther.Store(time.Now().UnixNano())
}

// take counts one line. Servers put what they like before the marker (the sender's name).
func (cr *crowd) take(p *peer, line []byte) {
	at := bytes.Index(line, marker)
	if at < 0 {
		cr.otherLine(p)
		return
	}
	rest := line[at+len(marker):]
	switch {
	case len(rest) > 0 && rest[0] == ' ':
		cr.data(p, rest[1:])
	case bytes.HasPrefix(rest, probe):
		if n, _, ok := number(rest[len(probe):]); ok && n > p.ready.Load() {
			p.ready.Store(n)
		}
	default:
		cr.otherLine(p)
	}
}

// data counts "<client> <seq> <unixnano>[ padding]".
func (cr *crowd) data(p *peer, fields []byte) {
	if cr.frozen.Load() {
		return
	}
	now := time.Now().UnixNano()
	sender, rest, ok := number(fields)
	var seq, sent int64
	if ok {
		ok = len(rest) > 0 && rest[0] == ' '
	}
	if ok {
		seq, rest, ok = number(rest[1:])
		ok = ok && len(rest) > 0 && rest[0] == ' '
	}
	if ok {
		sent, rest, ok = number(rest[1:])
	}
	if ok && len(rest) > 0 {
		// A space before padding, the line's end, or the end of a JSON string (a server's JSON events).
		ok = rest[0] == ' ' || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '"'
	}
	if !ok || sent < cr.oldest || sent > now+int64(time.Second) {
		p.bad.Add(1)
		return
	}
	took := now - sent
	cr.latency.add(p.id, took/1000)
	if took > p.slowest {
		p.slowest = took
	}
	if sender >= 0 && sender < int64(len(p.last)) {
		if seq <= p.last[sender].Load() {
			p.reorders++
		} else {
			p.last[sender].Store(seq)
		}
	}
	if since := cr.since.Load(); since != 0 {
		if slot := (now - since) / int64(step); slot >= 0 && slot < int64(len(cr.timeline)) {
			cr.timeline[slot].Add(1)
		}
	}
	if got := p.got.Add(1); got == cr.goal.Load() {
		p.done.Store(now)
	}
}

// number reads up to 19 decimal digits (a timestamp in nanoseconds has 19) and returns the rest.
func number(b []byte) (int64, []byte, bool) {
	var v uint64
	i := 0
	for ; i < len(b) && i < 19 && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + uint64(b[i]-'0')
	}
	return int64(v), b[i:], i > 0 && v <= math.MaxInt64
}

// close ends every peer and waits (up to 5 s) for their readers.
func (cr *crowd) close(groups ...[]*peer) {
	cr.closing.Store(true)
	for _, g := range groups {
		for _, p := range g {
			p.conn.Close()
		}
	}
	done := make(chan struct{})
	go func() {
		cr.readers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

func (cr *crowd) measureLatency(r *result, peers []*peer) {
	q, n := cr.latency.quantiles(0.5, 0.9, 0.99)
	if n == 0 {
		return
	}
	var slowest int64
	for _, p := range peers {
		if p.slowest > slowest {
			slowest = p.slowest
		}
	}
	r.Latency = &latency{Samples: n, P50: round(q[0], 3), P90: round(q[1], 3), P99: round(q[2], 3), Max: round(float64(slowest)/1e6, 3)}
}

func sum(peers []*peer, of func(*peer) int64) (n int64) {
	for _, p := range peers {
		n += of(p)
	}
	return
}

func ended(peers []*peer) (n int) {
	for _, p := range peers {
		if p.ended.Load() {
			n++
		}
	}
	return
}

// appendData appends one data line.
func appendData(buf []byte, client int, seq, at int64, pad int) []byte {
	buf = append(buf, "BENCH "...)
	buf = strconv.AppendInt(buf, int64(client), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, seq, 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, at, 10)
	if pad > 0 {
		buf = append(buf, ' ')
		for i := 0; i < pad; i++ {
			buf = append(buf, '.')
		}
	}
	return append(buf, '\n')
}
