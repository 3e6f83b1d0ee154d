// Load is the load generator of `npm run bench`: it plays crowds of nc users against a line chat server
// (the protocol of gopl.io/ch8/chat and of `chat serve`) and measures what they receive.
//
//	load -scenario fanout|flood|conns|slow[,...] -addr HOST:PORT[,HOST:PORT...] [-pid PID] [-quick] [flags]
//
// It prints one JSON object per scenario on stdout and a one-line summary on stderr. The lines it sends
// are "BENCH <client> <seq> <unixnano>" (and "BENCHREADY <n>" while it waits for every client to be
// registered); every line without the marker, whatever the server says besides (welcomes, arrivals,
// lists of names), is counted as "other" and otherwise ignored. Standard library only, so a clone
// builds it with nothing but Go.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// config is one scenario's parameters; zero values take the scenario's defaults.
type config struct {
	scenario     string
	addrs        []string
	label        string
	pid          int
	quick        bool
	clients      int
	senders      int
	rate         float64
	duration     time.Duration
	grace        time.Duration
	conns        int
	hold         time.Duration
	settle       time.Duration
	fanWait      time.Duration
	lines        int
	pad          int
	slowRcvbuf   int
	batch        int
	window       int
	connectLimit time.Duration
	dials        int
	greet        time.Duration
	hello        string
	ws           string
}

// preset holds what a scenario does by default: the full run first, then --quick.
type preset struct {
	clients, senders      int
	rate                  float64
	duration, grace       time.Duration
	conns                 int
	hold, settle, fanWait time.Duration
	pad                   int
}

var presets = map[string][2]preset{
	"fanout": {
		{clients: 100, senders: 10, rate: 2000, duration: 10 * time.Second, grace: 3 * time.Second},
		{clients: 100, senders: 10, rate: 2000, duration: 2 * time.Second, grace: 2 * time.Second},
	},
	"flood": {
		{clients: 50, senders: 5, duration: 10 * time.Second, grace: 3 * time.Second},
		{clients: 50, senders: 5, duration: 2 * time.Second, grace: 2 * time.Second},
	},
	"conns": {
		{conns: 5000, hold: 5 * time.Second, settle: 20 * time.Second, fanWait: 5 * time.Second},
		{conns: 500, hold: 1 * time.Second, settle: 3 * time.Second, fanWait: 2 * time.Second},
	},
	"slow": {
		{clients: 20, senders: 10, rate: 2000, duration: 10 * time.Second, grace: 3 * time.Second, pad: 1000},
		{clients: 20, senders: 10, rate: 2000, duration: 3 * time.Second, grace: 2 * time.Second, pad: 1000},
	},
}

func main() {
	c := config{}
	var scenarios, addrs string
	flag.StringVar(&scenarios, "scenario", "fanout", "fanout, flood, conns or slow; a comma-separated list runs them in turn against the same server")
	flag.StringVar(&addrs, "addr", "127.0.0.1:8000", "the server; a comma-separated list is one chat on several servers, and client i dials address i mod N")
	flag.StringVar(&c.label, "label", "", "name of the server, copied into the results")
	flag.IntVar(&c.pid, "pid", 0, "pid of the process that listens, for its memory and CPU (0: not measured)")
	flag.BoolVar(&c.quick, "quick", false, "short scenarios: a smoke check")
	flag.IntVar(&c.clients, "clients", 0, "fanout, flood, slow: clients that read (0: the scenario's)")
	flag.IntVar(&c.senders, "senders", 0, "fanout, flood, slow: how many of them also send (0: the scenario's)")
	flag.Float64Var(&c.rate, "rate", 0, "fanout, slow: lines per second, all senders together (0: the scenario's)")
	flag.DurationVar(&c.duration, "duration", 0, "fanout, flood, slow: how long the senders send (0: the scenario's)")
	flag.DurationVar(&c.grace, "grace", 0, "fanout, flood, slow: how long lines may still arrive after sending stops (0: the scenario's)")
	flag.IntVar(&c.conns, "conns", 0, "conns: idle clients (0: 5000, quick 500)")
	flag.DurationVar(&c.hold, "hold", 0, "conns: how long they are held before they are counted (0: the scenario's)")
	flag.DurationVar(&c.settle, "settle", 0, "conns: the longest wait for the server to go quiet (no line for 1 s) before the fan-out (0: the scenario's)")
	flag.DurationVar(&c.fanWait, "fanwait", 0, "conns: how long every client may take to get the fan-out's lines (0: the scenario's)")
	flag.IntVar(&c.lines, "lines", 10, "conns: lines in the fan-out, 10 ms apart")
	flag.IntVar(&c.pad, "pad", -1, "bytes of padding after each data line's fields (-1: 1000 in slow, none elsewhere)")
	flag.IntVar(&c.slowRcvbuf, "slow-rcvbuf", 4096, "slow: receive buffer of the client that never reads")
	flag.IntVar(&c.batch, "batch", 32, "flood: lines per write")
	flag.IntVar(&c.window, "window", 64, "flood: most lines of one sender that some live reader has not received yet (0: no limit)")
	flag.DurationVar(&c.connectLimit, "connect-limit", 0, "time allowed for all connects (0: 15 s, quick 5 s)")
	flag.IntVar(&c.dials, "dials", 64, "conns: connects in flight at once")
	flag.DurationVar(&c.greet, "greet", 200*time.Millisecond, "fanout, flood, slow: clients connect 8 at a time and each waits up to this long for the server's first line (0: no wait)")
	flag.StringVar(&c.hello, "hello", "", "a line every client sends first ({i}: its number), for servers that want a name")
	flag.StringVar(&c.ws, "ws", "", "play browsers: every client opens a WebSocket at this path (e.g. /ws) of its address instead of speaking plain TCP")
	flag.Parse()
	c.addrs = strings.Split(addrs, ",")
	raiseFileLimit()

	failed := false
	for _, name := range strings.Split(scenarios, ",") {
		sc := c
		sc.scenario = strings.TrimSpace(name)
		p, ok := presets[sc.scenario]
		if !ok {
			fmt.Fprintf(os.Stderr, "load: no scenario %q (fanout, flood, conns, slow)\n", sc.scenario)
			os.Exit(2)
		}
		sc.fill(p)
		r := run(&sc)
		out, err := json.Marshal(r)
		if err != nil {
			fmt.Fprintf(os.Stderr, "load: %v\n", err)
			os.Exit(1)
		}
		fmt.Println(string(out))
		fmt.Fprintln(os.Stderr, r.summary())
		failed = failed || r.Error != ""
	}
	if failed {
		os.Exit(1)
	}
}

func (c *config) fill(p [2]preset) {
	d := p[0]
	if c.quick {
		d = p[1]
	}
	or := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	orD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	or(&c.clients, d.clients)
	or(&c.senders, d.senders)
	or(&c.conns, d.conns)
	or(&c.batch, 32)
	or(&c.dials, 64)
	if c.rate <= 0 {
		c.rate = d.rate
	}
	if c.pad < 0 {
		c.pad = d.pad
	}
	orD(&c.duration, d.duration)
	orD(&c.grace, d.grace)
	orD(&c.hold, d.hold)
	orD(&c.settle, d.settle)
	orD(&c.fanWait, d.fanWait)
	if c.quick {
		orD(&c.connectLimit, 5*time.Second)
	} else {
		orD(&c.connectLimit, 15*time.Second)
	}
	if c.senders > c.clients {
		c.senders = c.clients
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard one: 10 000 clients need 10 000 sockets.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
