package main

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestBucketsAreOrderedAndClose(t *testing.T) {
	last := -1
	for _, us := range []uint64{0, 1, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 4095, 4096, 99999, 1 << 30, 1<<42 - 1} {
		b := bucketOf(us)
		if b < last || b >= buckets {
			t.Fatalf("%d µs: bucket %d after %d", us, b, last)
		}
		last = b
		if mid := middleOf(b); math.Abs(mid-float64(us)) > float64(us)/64+0.5 {
			t.Fatalf("%d µs: bucket %d stands for %v", us, b, mid)
		}
	}
	if bucketOf(1<<50) != buckets-1 {
		t.Fatal("a latency past the last octave must land in the last bucket")
	}
}

func TestQuantiles(t *testing.T) {
	var h histogram
	for ms := 1; ms <= 1000; ms++ {
		h.add(ms, int64(ms*1000))
	}
	q, n := h.quantiles(0.5, 0.99, 1)
	if n != 1000 {
		t.Fatalf("counted %d", n)
	}
	for i, want := range []float64{500, 990, 1000} {
		if math.Abs(q[i]-want) > want/60 {
			t.Fatalf("quantile %d: %v ms, want about %v", i, q[i], want)
		}
	}
}

func TestDataLines(t *testing.T) {
	cr := newCrowd(&config{})
	p := newPeer(1, 3, nil)
	now := time.Now().UnixNano()
	for _, line := range []string{
		fmt.Sprintf("127.0.0.1:5555: BENCH 2 7 %d\n", now),
		fmt.Sprintf("alice: BENCH 2 8 %d ....\r\n", now),
		fmt.Sprintf("BENCH 2 8 %d\n", now),      // twice: a reorder
		fmt.Sprintf("bob: BENCH 2 x %d\n", now), // corrupt
		"bob: BENCH 2 9 99999999999999999999\n", // corrupt: too long a number
		"bob: BENCHREADY 4\n",                   // a probe
		"bob has arrived\n",                     // other
	} {
		cr.take(p, []byte(line))
	}
	if p.got.Load() != 3 || p.reorders != 1 || p.bad.Load() != 2 || p.ready.Load() != 4 || p.other.Load() != 1 || p.last[2].Load() != 8 {
		t.Fatalf("got %d, reorders %d, corrupt %d, ready %d, other %d, last %d", p.got.Load(), p.reorders, p.bad.Load(), p.ready.Load(), p.other.Load(), p.last[2].Load())
	}
}
