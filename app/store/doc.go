// Package store is the state layer: one IAVL tree per module, committed together under a
// single app hash, with cheap write-buffered branches for block and transaction execution.
//
// Layout in the database:
//
//	s/k:<name>/...  the IAVL tree of store <name>
//	c/latest        the latest committed version
//	c/v/<version>   the commit info (store root hashes) of every retained version
//
// Concurrency: the working trees (Working, WorkingHash, Commit) belong to one goroutine.
// BranchAt, Query and LastCommitID may be called from any goroutine at the same time; they read
// committed versions through separate IAVL node databases that share nothing with the working
// trees. A single Branch is never safe for concurrent use.
package store
