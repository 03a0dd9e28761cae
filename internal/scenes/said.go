package scenes

import (
	"crypto/md5"
	"sync"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
)

// saidScenes is how many scenes' lines a worker remembers (16 bytes a line: a thousand
// scenes of a thousand lines are 16 MB).
const saidScenes = 1024

// said remembers, per scene, the lines said so far as MD5s (the key of the unique index
// that refuses a repeated line), so that the offline storyteller can draft past a line
// said long ago without a query per draft. A turn brings its scene up to date with the
// turns it lacks (all of them after a restart, those another instance wrote), in the
// round trip that reads the turn's other inputs, and adds its own line once committed.
type said struct {
	scenes *lru.Cache[uuid.UUID, *sceneSaid]
}

// sceneSaid are one scene's lines of turns 1..upTo.
type sceneSaid struct {
	mu     sync.RWMutex
	upTo   int32
	hashes map[[md5.Size]byte]struct{}
}

func newSaid() *said {
	c, err := lru.New[uuid.UUID, *sceneSaid](saidScenes)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &said{scenes: c}
}

// of returns the scene's lines, created empty the first time.
func (s *said) of(conversation uuid.UUID) *sceneSaid {
	if sc, ok := s.scenes.Get(conversation); ok {
		return sc
	}
	fresh := &sceneSaid{hashes: map[[md5.Size]byte]struct{}{}}
	if sc, ok, _ := s.scenes.PeekOrAdd(conversation, fresh); ok {
		return sc
	}
	return fresh
}

// through reports the last turn whose line is known.
func (sc *sceneSaid) through() int32 {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return sc.upTo
}

// catchUp adds the lines of the turns after the last known through turn upTo.
func (sc *sceneSaid) catchUp(hashes [][]byte, upTo int32) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, h := range hashes {
		if len(h) == md5.Size {
			sc.hashes[[md5.Size]byte(h)] = struct{}{}
		}
	}
	sc.upTo = max(sc.upTo, upTo)
}

// add records turn's line once committed, if the turns before it are known.
func (sc *sceneSaid) add(turn int32, line string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.hashes[md5.Sum([]byte(line))] = struct{}{}
	if sc.upTo == turn-1 {
		sc.upTo = turn
	}
}

// has reports whether the scene has said line.
func (sc *sceneSaid) has(line string) bool {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	_, ok := sc.hashes[md5.Sum([]byte(line))]
	return ok
}
