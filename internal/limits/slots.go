package limits

import "sync"

// Slots caps how many things each key holds at once in this process (sockets per user,
// say). Unlike rates, what is held is released when it ends, not when time passes.
type Slots struct {
	max int

	mu   sync.Mutex
	held map[string]int
}

// NewSlots allows each key max slots at once; 0 or less allows any number.
func NewSlots(max int) *Slots {
	return &Slots{max: max, held: map[string]int{}}
}

// Max is the cap per key (0 or less: none).
func (s *Slots) Max() int { return s.max }

// Take holds one of key's slots until release is called (more calls do nothing). ok is
// false, and nothing is held, when key holds all its slots already.
func (s *Slots) Take(key string) (release func(), ok bool) {
	if s.max <= 0 {
		return func() {}, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[key] >= s.max {
		return nil, false
	}
	s.held[key]++
	var once sync.Once
	return func() { once.Do(func() { s.release(key) }) }, true
}

func (s *Slots) release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[key]--; s.held[key] <= 0 {
		delete(s.held, key)
	}
}
