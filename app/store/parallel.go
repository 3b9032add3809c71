package store

import "sync"

// forEach runs fn(i) for every i in idx, concurrently when there is more than one. The IAVL
// trees share nothing but the database, so per-tree work (flushing writes, saving, hashing)
// parallelises without affecting results. It returns the error of the lowest failing index.
func forEach(idx []int, fn func(i int) error) error {
	switch len(idx) {
	case 0:
		return nil
	case 1:
		return fn(idx[0])
	}
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	for j, i := range idx {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[j] = fn(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// allIndexes is 0..n-1.
func allIndexes(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
