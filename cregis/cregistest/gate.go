package cregistest

import "sync"

// gate counts the goroutines working for a server (handlers, the sweeper,
// callback deliveries) so that Close can wait for them, and refuses new ones
// once closed.
type gate struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// enter registers one goroutine; false once the gate is closed.
func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	return true
}

// leave unregisters a goroutine that entered.
func (g *gate) leave() { g.wg.Done() }

// close refuses new goroutines and waits for those inside.
func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}
