package index

import (
	"bytes"
	"slices"
)

// cand is a scored row, named by its place in the store rather than by ID so
// the scan loops touch nothing but vectors; IDs are read only to break ties
// and to build the final hits.
type cand struct {
	score float32
	slab  int32
	row   int32
}

// topK keeps the k best candidates seen so far in a min-heap whose root is the
// worst kept one, so a scanned row costs one comparison unless it qualifies.
// Order is by score, then by ascending ID, which makes results independent of
// where rows happen to sit (and so of insertion and removal history).
type topK struct {
	k     int
	h     []cand
	slabs []*slab
}

func newTopK(k int, slabs []*slab) *topK {
	// k may be far above what there is to find; let the heap grow.
	return &topK{k: k, h: make([]cand, 0, min(k, 256)), slabs: slabs}
}

// worse reports whether a ranks below b.
func (t *topK) worse(a, b cand) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	ia := t.slabs[a.slab].ids[a.row]
	ib := t.slabs[b.slab].ids[b.row]
	return bytes.Compare(ia[:], ib[:]) > 0
}

// floor is the score a row must reach to be considered; rows below it are
// rejected without touching the heap.
func (t *topK) floor() float32 {
	if len(t.h) < t.k {
		return -maxScore
	}
	return t.h[0].score
}

// maxScore bounds |score| for unit vectors with generous room for rounding.
const maxScore = 1 << 20

func (t *topK) push(c cand) {
	if len(t.h) < t.k {
		t.h = append(t.h, c)
		t.up(len(t.h) - 1)
		return
	}
	if !t.worse(t.h[0], c) {
		return
	}
	t.h[0] = c
	t.down(0)
}

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.worse(t.h[i], t.h[p]) {
			return
		}
		t.h[i], t.h[p] = t.h[p], t.h[i]
		i = p
	}
}

func (t *topK) down(i int) {
	n := len(t.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && t.worse(t.h[r], t.h[l]) {
			m = r
		}
		if !t.worse(t.h[m], t.h[i]) {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// merge folds other's candidates into t.
func (t *topK) merge(other *topK) {
	for _, c := range other.h {
		t.push(c)
	}
}

// hits returns the kept candidates best first, or nil if there are none.
func (t *topK) hits() []Hit {
	if len(t.h) == 0 {
		return nil
	}
	slices.SortFunc(t.h, func(a, b cand) int {
		switch {
		case t.worse(b, a):
			return -1
		case t.worse(a, b):
			return 1
		}
		return 0
	})
	out := make([]Hit, len(t.h))
	for i, c := range t.h {
		s := t.slabs[c.slab]
		out[i] = Hit{ID: s.ids[c.row], Character: s.character, Score: c.score}
	}
	return out
}

// scanBlock scores the rows of one contiguous block, whose first row is row
// number first of slab si.
func (t *topK) scanBlock(q, block []float32, si int32, first int) {
	dim := len(q)
	rows := len(block) / dim
	r := 0
	for ; r+4 <= rows; r += 4 {
		o := r * dim
		s0, s1, s2, s3 := dot4(q, block[o:], block[o+dim:], block[o+2*dim:], block[o+3*dim:])
		f := t.floor()
		if s0 >= f {
			t.push(cand{s0, si, int32(first + r)})
		}
		if s1 >= f {
			t.push(cand{s1, si, int32(first + r + 1)})
		}
		if s2 >= f {
			t.push(cand{s2, si, int32(first + r + 2)})
		}
		if s3 >= f {
			t.push(cand{s3, si, int32(first + r + 3)})
		}
	}
	for ; r < rows; r++ {
		if s := dot(q, block[r*dim:]); s >= t.floor() {
			t.push(cand{s, si, int32(first + r)})
		}
	}
}

// rescore offers t the candidates cs with their exact scores, computed four
// rows at a time.
func (t *topK) rescore(q []float32, cs []cand) {
	dim := len(q)
	vec := func(c cand) []float32 { return t.slabs[c.slab].vec(int(c.row), dim) }
	i := 0
	for ; i+4 <= len(cs); i += 4 {
		a, b, c, d := cs[i], cs[i+1], cs[i+2], cs[i+3]
		a.score, b.score, c.score, d.score = dot4(q, vec(a), vec(b), vec(c), vec(d))
		t.push(a)
		t.push(b)
		t.push(c)
		t.push(d)
	}
	for ; i < len(cs); i++ {
		c := cs[i]
		c.score = dot(q, vec(c))
		t.push(c)
	}
}
