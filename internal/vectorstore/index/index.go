// Package index is the in-memory vector index behind the embedded vector
// store: exact nearest-neighbour search within one character's memories, and
// approximate search across a whole ecosystem (an IVF with product-quantized
// codes, rescored exactly).
//
// Layout. Vectors are stored once, in per-character slabs made of fixed-size
// blocks of blockRows rows. SearchCharacter is then a tight loop over a few
// contiguous blocks, and the IVF holds only references (slab, row) to rows it
// does not own plus a 1/16-size code per row, so the index costs little
// beyond the vectors themselves (about 1.1 KiB per item at dimension 256).
// Blocks rather than one growing slice per character because a block never
// moves: growth copies at most one block, never a character's whole slab, so
// ingesting a million items does not leave a trail of discarded
// multi-megabyte arrays for the garbage collector, and spare capacity is
// bounded by one block per character. There are no per-item heap objects;
// the only per-item map is ID -> location.
//
// IVF. Once the index holds Options.TrainThreshold items it trains a coarse
// quantizer, spherical k-means (k-means++ seeding, Lloyd iterations) on a
// deterministic sample with about sqrt(n) cells, and a product quantizer
// (see pq.go). Every item goes to its nearest centroid with its code; new
// items join their nearest centroid as they arrive, and the IVF is retrained
// when the index has grown fourfold since the last training, so the cost of
// retraining is amortised over the items that caused it. Training runs
// outside the write lock, which it takes only to install its cells, so an
// ecosystem's searches and writes do not wait seconds for it. Retraining rewrites
// references and cells only: the vectors stay where they are. Search ranks
// all centroids exactly, estimates the scores of the rows of the Probes
// nearest cells from their codes, and rescores the best Rerank of them with
// their vectors. Scans of many rows are split across Options.Workers
// goroutines.
//
// Scores are cosine similarities: vectors are expected to be L2-normalised,
// and the score is their dot product.
package index

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"

	"github.com/google/uuid"
)

// Item is one vector and what it belongs to.
type Item struct {
	ID        uuid.UUID
	Character uuid.UUID
	Vector    []float32 // L2-normalised, len == dim
}

// Hit is a search result: the cosine similarity of the item to the query
// (the dot product of unit vectors).
type Hit struct {
	ID, Character uuid.UUID
	Score         float32
}

// Options tunes the IVF and parallelism. The zero value gives the defaults
// documented on each field, which were tuned on BenchmarkIndex1M.
type Options struct {
	// Lists is the number of IVF cells. Zero means about sqrt(n) at each
	// (re)training, at least 1: cells of about sqrt(n) rows balance the cost of
	// ranking centroids against the cost of scanning cells.
	Lists int
	// Probes is how many of the nearest cells Search scans. Zero means
	// DefaultProbes(lists), chosen so recall@10 against Exact is at least 0.95
	// on the benchmark's text-like data.
	Probes int
	// Rerank is how many candidates, ranked by their PQ codes, Search
	// rescores with their exact vectors (at least k). Zero means 256: on the
	// benchmark, the true top 10 are almost always among the top 256
	// estimates, and rescoring 256 rows costs a fraction of a millisecond.
	Rerank int
	// TrainThreshold is the size at which the IVF is first trained; below it
	// Search is exact, which is both fast enough (a few milliseconds at
	// 20,000 rows of 256 dimensions) and perfect at that size, and adding a
	// row costs no quantization. Zero means 20,000: an ecosystem's memories
	// grow with every scene line its characters witness while whole-ecosystem
	// searches are rare, and quantizing each new row costs about as much as
	// scanning 256 rows exactly.
	TrainThreshold int
	// TrainSample caps how many vectors k-means trains on. Zero means 50,000:
	// dozens of points per centroid at a million items, plenty for a coarse
	// quantizer.
	TrainSample int
	// Iterations is the number of Lloyd iterations, for the cells and the PQ
	// codebooks alike. Zero means 8; they gain little after that.
	Iterations int
	// Seed makes sampling and seeding deterministic: the same seed and the
	// same sequence of calls build the same index.
	Seed uint64
	// Workers bounds how many goroutines one call may use for scanning,
	// training and assigning. Zero means runtime.GOMAXPROCS(0).
	Workers int
}

// Defaults for Options' zero fields.
const (
	defaultTrainThreshold = 20000
	defaultTrainSample    = 50000
	defaultIterations     = 8
	defaultRerank         = 256
	// growthToRetrain is how much the index must grow after a training
	// before it trains again.
	growthToRetrain = 4
)

// DefaultProbes is the number of cells Search scans when Options.Probes is
// zero: a fixed fraction of the cells, so that the share of the index
// scanned, and the recall, stay steady as the number of cells follows the
// index size, with a floor so small indexes still look at several cells.
//
// The fraction is high, four fifths, because hashed n-gram text embeddings
// have no strong clusters: a query's ten nearest neighbours are spread over
// many cells. On this package's synthetic benchmark half the cells found 0.97
// of them, but on real text (BenchmarkMemory1M: a few words of a novel's
// sentence against a million two-sentence memories) half found only 0.89 and
// four fifths 0.97. Scanning PQ codes keeps a wide probe cheap (a million
// items, four fifths scanned, 24 ms p50 and 36 ms p95 on two cores).
func DefaultProbes(lists int) int {
	p := (lists*probePercent + 99) / 100
	return max(min(lists, minProbes), p)
}

// Tuning of DefaultProbes.
const (
	probePercent = 80
	minProbes    = 8
)

// blockRows is how many rows a storage block holds. 128 rows of 256 float32
// are 128 KiB: big enough that scans run over long contiguous stretches, small
// enough that the spare capacity of a character's last block is negligible.
const blockRows = 128

// Index holds one ecosystem's vectors: exact search within a character, and
// an approximate (IVF) search across all characters. It is safe for
// concurrent use: searches share a read lock, changes take the write lock.
type Index struct {
	mu   sync.RWMutex
	dim  int
	opts Options // with defaults filled in, except Lists and Probes

	slabs  []*slab
	byChar map[uuid.UUID]int32
	byID   map[uuid.UUID]loc
	n      int

	// The IVF; centroids is nil until the first training.
	centroids     []float32 // len(cells) unit vectors, one after another
	cells         []cell
	pq            *pq
	centroidCodes []byte // the centroids' PQ codes, for assigning rows
	trainedAt     int    // n at the last training

	// training is set while a (re)training runs outside the write lock;
	// changed holds the IDs added or replaced meanwhile, whose rows it must
	// assign afresh.
	training bool
	changed  map[uuid.UUID]bool
	// trainHook, if set (by tests), runs during a training while no lock is
	// held.
	trainHook func()
}

// slab is one character's rows. Row r's vector is in block r/blockRows; every
// block but the last is full. ids, cell and pos are indexed by row.
type slab struct {
	character uuid.UUID
	blocks    [][]float32
	ids       []uuid.UUID
	cell      []int32 // the row's IVF cell, when trained
	pos       []int32 // the row's index in cells[cell], when trained
}

// loc is where an item's row is.
type loc struct {
	slab, row int32
}

// ref is an IVF cell's reference to a row.
type ref = loc

// vec returns row r's vector.
func (s *slab) vec(r, dim int) []float32 {
	o := (r % blockRows) * dim
	return s.blocks[r/blockRows][o : o+dim : o+dim]
}

// New returns an empty index of vectors of length dim.
func New(dim int, opts Options) *Index {
	if dim <= 0 {
		panic(fmt.Sprintf("index: dimension %d is not positive", dim))
	}
	if opts.TrainThreshold <= 0 {
		opts.TrainThreshold = defaultTrainThreshold
	}
	if opts.TrainSample <= 0 {
		opts.TrainSample = defaultTrainSample
	}
	if opts.Iterations <= 0 {
		opts.Iterations = defaultIterations
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	return &Index{
		dim:    dim,
		opts:   opts,
		byChar: make(map[uuid.UUID]int32),
		byID:   make(map[uuid.UUID]loc),
	}
}

// Dim is the length of the vectors the index holds.
func (x *Index) Dim() int { return x.dim }

// Len is the number of items held.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// Add inserts items, replacing any item with the same ID (which may move it to
// another character); within one call the last item with a given ID wins. The
// vectors are copied. Adding many items in one call is much cheaper than one
// at a time: storage is sized once per character, IVF assignment runs in
// parallel, and training happens at most once. A call that triggers a
// (re)training returns when it is done, which takes seconds, and tens of
// seconds at half a million items, but holds the write lock only to install
// the result: other searches and writes go on meanwhile (see train). A bulk
// load does best to add everything in few calls, so that it trains once or
// twice. Add panics if a vector's length is not the index's dimension, before
// changing anything.
func (x *Index) Add(items ...Item) {
	for i := range items {
		if len(items[i].Vector) != x.dim {
			panic(fmt.Sprintf("index: item %s has %d dimensions, want %d", items[i].ID, len(items[i].Vector), x.dim))
		}
	}
	items = lastByID(items)
	if len(items) == 0 {
		return
	}
	if plan := x.insert(items); plan != nil {
		x.train(plan)
	}
}

// insert stores items under the write lock and assigns them to the IVF, or
// returns the plan of a (re)training they make due, which the caller runs
// once the lock is released.
func (x *Index) insert(items []Item) *trainPlan {
	x.mu.Lock()
	defer x.mu.Unlock()

	for i := range items {
		if l, ok := x.byID[items[i].ID]; ok {
			x.removeAt(l)
		}
	}
	pending := make(map[uuid.UUID]int)
	for i := range items {
		pending[items[i].Character]++
	}
	added := make([]loc, len(items))
	for i := range items {
		it := &items[i]
		si := x.slabFor(it.Character)
		pending[it.Character]--
		added[i] = x.appendRow(si, it.ID, it.Vector, pending[it.Character])
	}

	if x.training {
		for i := range items {
			x.changed[items[i].ID] = true
		}
	}
	switch {
	case !x.training && (x.centroids == nil && x.n >= x.opts.TrainThreshold ||
		x.centroids != nil && x.n >= growthToRetrain*x.trainedAt):
		return x.planTraining()
	case x.centroids != nil:
		x.assign(added, sharedVectors(items))
	}
	return nil
}

// sharedVectors returns, for each item, the index of the first item whose Vector is the
// same slice (same array and length), so that a vector several items share is assigned
// and encoded once. Equal vectors in distinct slices are not looked for: comparing them
// would cost what it saves.
func sharedVectors(items []Item) []int {
	first := make([]int, len(items))
	seen := make(map[*float32]int, len(items))
	for i := range items {
		p := &items[i].Vector[0]
		j, ok := seen[p]
		if !ok || len(items[j].Vector) != len(items[i].Vector) {
			seen[p], j = i, i
		}
		first[i] = j
	}
	return first
}

// lastByID drops all but the last item with each ID, keeping order.
func lastByID(items []Item) []Item {
	if len(items) < 2 {
		return items
	}
	last := make(map[uuid.UUID]int, len(items))
	for i := range items {
		last[items[i].ID] = i
	}
	if len(last) == len(items) {
		return items
	}
	out := make([]Item, 0, len(last))
	for i := range items {
		if last[items[i].ID] == i {
			out = append(out, items[i])
		}
	}
	return out
}

// slabFor returns the slab of character c, creating it if needed.
func (x *Index) slabFor(c uuid.UUID) int32 {
	if si, ok := x.byChar[c]; ok {
		return si
	}
	si := int32(len(x.slabs))
	x.slabs = append(x.slabs, &slab{character: c})
	x.byChar[c] = si
	return si
}

// appendRow stores a row at the end of slab si. more is how many further rows
// this call will add to the slab, so a new block can be sized to fit them.
func (x *Index) appendRow(si int32, id uuid.UUID, v []float32, more int) loc {
	s := x.slabs[si]
	r := len(s.ids)
	if r%blockRows == 0 {
		s.blocks = append(s.blocks, nil)
	}
	b := &s.blocks[len(s.blocks)-1]
	if len(*b)+x.dim > cap(*b) {
		have := len(*b) / x.dim
		rows := min(blockRows, max(2*have, have+1+more))
		grown := make([]float32, len(*b), rows*x.dim)
		copy(grown, *b)
		*b = grown
	}
	*b = append(*b, v...)
	s.ids = append(s.ids, id)
	s.cell = append(s.cell, -1)
	s.pos = append(s.pos, -1)
	x.byID[id] = loc{si, int32(r)}
	x.n++
	return loc{si, int32(r)}
}

// Remove deletes the items with these IDs; unknown IDs are ignored.
func (x *Index) Remove(ids ...uuid.UUID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		if l, ok := x.byID[id]; ok {
			x.removeAt(l)
		}
	}
}

// removeAt deletes the row at l by moving the slab's last row into its place,
// keeping the ID map and the IVF references of the moved row in step. A slab
// left empty is dropped the same way, by moving the last slab into its place.
func (x *Index) removeAt(l loc) {
	s := x.slabs[l.slab]
	r, last := int(l.row), len(s.ids)-1
	trained := x.centroids != nil
	if trained {
		x.unlink(s.cell[r], s.pos[r])
	}
	delete(x.byID, s.ids[r])
	if r != last {
		copy(s.vec(r, x.dim), s.vec(last, x.dim))
		s.ids[r], s.cell[r], s.pos[r] = s.ids[last], s.cell[last], s.pos[last]
		x.byID[s.ids[r]] = l
		if trained {
			x.cells[s.cell[r]].refs[s.pos[r]].row = l.row
		}
	}
	s.ids, s.cell, s.pos = s.ids[:last], s.cell[:last], s.pos[:last]
	b := len(s.blocks) - 1
	s.blocks[b] = s.blocks[b][:len(s.blocks[b])-x.dim]
	if len(s.blocks[b]) == 0 {
		s.blocks[b] = nil
		s.blocks = s.blocks[:b]
	}
	x.n--
	if last == 0 {
		x.dropSlab(l.slab)
	}
}

// dropSlab deletes the empty slab si.
func (x *Index) dropSlab(si int32) {
	delete(x.byChar, x.slabs[si].character)
	end := int32(len(x.slabs) - 1)
	if si != end {
		m := x.slabs[end]
		x.slabs[si] = m
		x.byChar[m.character] = si
		for r, id := range m.ids {
			x.byID[id] = loc{si, int32(r)}
			if x.centroids != nil {
				x.cells[m.cell[r]].refs[m.pos[r]].slab = si
			}
		}
	}
	x.slabs[end] = nil
	x.slabs = x.slabs[:end]
}

// Bytes is an estimate of the memory the index holds, for bounding caches and
// reporting; it counts allocated capacity, not just what is in use.
func (x *Index) Bytes() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	const (
		sliceHeader = 24
		uuidSize    = 16
		// A Go map entry costs its key and value plus about a third for
		// control bytes, load factor and growth headroom.
		mapOverhead = 1.35
	)
	var b int64
	for _, s := range x.slabs {
		b += 8 + 16 + 4*sliceHeader // pointer, character, headers
		b += int64(cap(s.blocks)) * sliceHeader
		for _, blk := range s.blocks {
			b += int64(cap(blk)) * 4
		}
		b += int64(cap(s.ids))*uuidSize + int64(cap(s.cell))*4 + int64(cap(s.pos))*4
	}
	b += int64(cap(x.centroids)) * 4
	b += int64(cap(x.cells)) * 2 * sliceHeader
	for _, c := range x.cells {
		b += int64(cap(c.refs))*8 + int64(cap(c.codes))
	}
	if x.pq != nil {
		b += int64(x.pq.m) * int64(unsafe.Sizeof(codebook{}))
	}
	b += int64(cap(x.centroidCodes))
	b += int64(math.Ceil(float64(len(x.byID)) * (uuidSize + 8) * mapOverhead))
	b += int64(math.Ceil(float64(len(x.byChar)) * (uuidSize + 4) * mapOverhead))
	return b
}
