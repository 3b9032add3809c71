//go:build !rocksdb

package store

// rocksdbEnabled: cosmos-db registers its rocksdb backend only under the rocksdb build tag.
const rocksdbEnabled = false
