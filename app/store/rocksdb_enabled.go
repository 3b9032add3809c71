//go:build rocksdb

package store

// rocksdbEnabled: cosmos-db registers its rocksdb backend only under this build tag.
const rocksdbEnabled = true
