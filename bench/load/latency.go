package main

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// Latencies are counted in microseconds in buckets that are exact below 64 µs and then split each
// power of two into 64 (at most 1.6 % off), so readers add to them without locks or allocation.
const (
	linear  = 64
	octaves = 36 // up to 2^42 µs: no latency is longer
	buckets = linear + octaves*linear
	shards  = 8 // readers add to one of several copies, so they do not all contend for one counter
)

type histogram struct {
	counts [shards][buckets]atomic.Uint64
}

func bucketOf(us uint64) int {
	if us < linear {
		return int(us)
	}
	shift := bits.Len64(us) - 7 // us>>shift is in [64, 128)
	if shift >= octaves {
		return buckets - 1
	}
	return linear + shift*linear + int(us>>uint(shift)) - linear
}

// middleOf is the value a bucket stands for: the middle of the microseconds it counts.
func middleOf(b int) float64 {
	if b < linear {
		return float64(b)
	}
	shift := (b - linear) / linear
	low := uint64(b-linear*shift) << uint(shift)
	return float64(low) + float64(uint64(1)<<uint(shift)-1)/2
}

func (h *histogram) add(shard int, us int64) {
	if us < 0 {
		us = 0
	}
	h.counts[shard%shards][bucketOf(uint64(us))].Add(1)
}

// quantiles gives the latencies at the fractions qs, in milliseconds, and how many were counted.
func (h *histogram) quantiles(qs ...float64) ([]float64, uint64) {
	var sum [buckets]uint64
	var total uint64
	for s := range h.counts {
		for b := range h.counts[s] {
			n := h.counts[s][b].Load()
			sum[b] += n
			total += n
		}
	}
	out := make([]float64, len(qs))
	for i, q := range qs {
		out[i] = math.NaN()
		if total == 0 {
			continue
		}
		rank := uint64(math.Ceil(q * float64(total)))
		if rank == 0 {
			rank = 1
		}
		var seen uint64
		for b, n := range sum {
			seen += n
			if seen >= rank {
				out[i] = middleOf(b) / 1000
				break
			}
		}
	}
	return out, total
}
