// Package registry is node discovery: who runs which node, where to reach it and
// which keys to use. The chain stores only this metadata; user data stays on the
// user's own instance, which finds its peers here and connects to them directly.
//
// A node's liveness is kept apart from its record (a heartbeat writes a few bytes,
// never the kilobytes of post-quantum keys) and is recomputed in EndBlock from two
// height-ordered sets, so each block visits only nodes that just crossed a threshold.
// See docs/modules/registry.md.
package registry
