package main

import (
	"reflect"
	"testing"
)

// --allow-operator adds to the list in order, keeps what is there, and skips
// an address already listed (the list must stay free of duplicates).
func TestAddOperators(t *testing.T) {
	list := []string{"a", "b"}
	got := addOperators(list, []string{"c", "a", "c", "d"})
	if want := []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("addOperators = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(list, []string{"a", "b"}) {
		t.Fatalf("the input list changed: %v", list)
	}
	if got := addOperators(nil, nil); len(got) != 0 {
		t.Fatalf("nothing to add = %v", got)
	}
}
