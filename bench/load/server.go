package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// figures are the server process's own: memory from /proc/PID/status, CPU from /proc/PID/stat
// (its threads included, children not).
type figures struct {
	Pid       int     `json:"pid"`
	BeforeMiB float64 `json:"rss_before_mib"`
	AfterMiB  float64 `json:"rss_after_mib"`
	PeakMiB   float64 `json:"peak_rss_mib"`
	// The part of RSS that is the process's own (RssAnon): not the pages of its executable, which
	// the kernel shares and can drop and read again. A Go server's RSS is nearly all of this kind.
	PrivateBeforeMiB float64 `json:"private_before_mib"`
	PrivatePeakMiB   float64 `json:"private_peak_mib"`
	// The executable's pages (RssFile) at their highest: the code a runtime has run, mapped from its
	// file. A Bun server's is most of its RSS at rest and grows as a storm runs its compilers.
	CodePeakMiB float64  `json:"code_peak_mib"`
	CPUs        *float64 `json:"cpu_s,omitempty"`
	Died        bool     `json:"died"`
}

type sample struct {
	alive    bool
	rssKiB   int64
	hwmKiB   int64
	anonKiB  int64
	fileKiB  int64
	cpuTicks int64
}

// ticksPerSecond is USER_HZ, which Linux fixes at 100 for /proc.
const ticksPerSecond = 100

func sampleOf(pid int) (s sample) {
	if pid <= 0 {
		return
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch string(f[0]) {
		case "VmRSS:":
			s.rssKiB, _ = strconv.ParseInt(string(f[1]), 10, 64)
		case "VmHWM:":
			s.hwmKiB, _ = strconv.ParseInt(string(f[1]), 10, 64)
		case "RssAnon:":
			s.anonKiB, _ = strconv.ParseInt(string(f[1]), 10, 64)
		case "RssFile:":
			s.fileKiB, _ = strconv.ParseInt(string(f[1]), 10, 64)
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return
	}
	// The command name may hold spaces and parentheses: the fields start after the last ')'.
	f := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
	if len(f) < 13 {
		return
	}
	utime, _ := strconv.ParseInt(string(f[11]), 10, 64)
	stime, _ := strconv.ParseInt(string(f[12]), 10, 64)
	s.cpuTicks = utime + stime
	s.alive = f[0][0] != 'Z' && f[0][0] != 'X'
	return
}

// machineTicks reads the first line of /proc/stat: busy and total ticks of all cores.
func machineTicks() (busy, total int64) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return
	}
	line := stat[:bytes.IndexByte(stat, '\n')]
	for i, field := range bytes.Fields(line)[1:] {
		if i >= 8 { // guest time is counted in user time already
			break
		}
		v, _ := strconv.ParseInt(string(field), 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return
}

// listenDrops is the kernel's count of connects it dropped because a listening socket's queue of
// connections waiting to be accepted was full (TcpExt ListenDrops, the whole machine): each such
// client tries again a second later, so a server that falls behind accepting shows here.
func listenDrops() int64 {
	netstat, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return 0
	}
	lines := bytes.Split(netstat, []byte("\n"))
	for i := 0; i+1 < len(lines); i++ {
		names, values := bytes.Fields(lines[i]), bytes.Fields(lines[i+1])
		if len(names) == 0 || string(names[0]) != "TcpExt:" || len(values) != len(names) {
			continue
		}
		for k, name := range names {
			if string(name) == "ListenDrops" {
				v, _ := strconv.ParseInt(string(values[k]), 10, 64)
				return v
			}
		}
	}
	return 0
}

// raise keeps the larger of peak and v in peak (only the sampler and, after it stops, finish write it).
func raise(peak *atomic.Int64, v int64) {
	if v > peak.Load() {
		peak.Store(v)
	}
}

func ownCPU() float64 {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e9
}

// watcher samples the server every 20 ms while a scenario runs: an arrival storm's peak lasts a
// few hundred. The kernel's high-water mark (VmHWM) is read at the end as well, so a peak of the
// whole RSS between samples is not missed; RssAnon has no such mark.
type watcher struct {
	pid           int
	before        sample
	peakKiB       atomic.Int64
	peakAnonKiB   atomic.Int64
	peakFileKiB   atomic.Int64
	died          atomic.Bool
	stop, stopped chan struct{}
	busy0, total0 int64
	drops0        int64
	own0          float64
	started       time.Time
}

func watch(pid int) *watcher {
	w := &watcher{pid: pid, stop: make(chan struct{}), stopped: make(chan struct{}), started: time.Now()}
	w.before = sampleOf(pid)
	w.peakKiB.Store(w.before.rssKiB)
	w.peakAnonKiB.Store(w.before.anonKiB)
	w.peakFileKiB.Store(w.before.fileKiB)
	w.busy0, w.total0 = machineTicks()
	w.drops0 = listenDrops()
	w.own0 = ownCPU()
	go func() {
		defer close(w.stopped)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
				s := sampleOf(pid)
				if pid > 0 && !s.alive {
					w.died.Store(true)
				}
				raise(&w.peakKiB, s.rssKiB)
				raise(&w.peakAnonKiB, s.anonKiB)
				raise(&w.peakFileKiB, s.fileKiB)
			}
		}
	}()
	return w
}

func (w *watcher) finish(r *result) {
	close(w.stop)
	<-w.stopped
	after := sampleOf(w.pid)
	busy, total := machineTicks()
	if total > w.total0 {
		r.MachineBusyPct = round(100*float64(busy-w.busy0)/float64(total-w.total0), 1)
	}
	r.LoadCPUs = round(ownCPU()-w.own0, 2)
	r.ListenDrops = listenDrops() - w.drops0
	r.WallS = round(time.Since(w.started).Seconds(), 2)
	if w.pid <= 0 {
		return
	}
	// The last sample counts too; the whole RSS also has the kernel's high-water mark.
	raise(&w.peakKiB, after.hwmKiB)
	raise(&w.peakKiB, after.rssKiB)
	raise(&w.peakAnonKiB, after.anonKiB)
	raise(&w.peakFileKiB, after.fileKiB)
	peak, anon, code := w.peakKiB.Load(), w.peakAnonKiB.Load(), w.peakFileKiB.Load()
	mib := func(kib int64) float64 { return round(float64(kib)/1024, 2) }
	f := &figures{Pid: w.pid, BeforeMiB: mib(w.before.rssKiB), AfterMiB: mib(after.rssKiB), PeakMiB: mib(peak), PrivateBeforeMiB: mib(w.before.anonKiB), PrivatePeakMiB: mib(anon), CodePeakMiB: mib(code)}
	f.Died = !after.alive || w.died.Load()
	if after.alive && w.before.alive {
		f.CPUs = ptr(round(float64(after.cpuTicks-w.before.cpuTicks)/ticksPerSecond, 2))
	}
	r.Server = f
}

// calibrate times a fixed piece of work (SHA-256 over 16 MiB, the best of three) while the server is
// idle. On a shared machine the speed drifts; a slower figure than the last column's says this
// column was measured on a slower machine.
func calibrate() float64 {
	block := make([]byte, 1<<20)
	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		t := time.Now()
		for k := 0; k < 16; k++ {
			sha256.Sum256(block)
		}
		if d := time.Since(t); d < best {
			best = d
		}
	}
	return millis(best)
}
