package app

import (
	"os"
	"regexp"
	"testing"
)

func TestCometBFTVersionMatchesGoMod(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/cometbft/cometbft (v\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/cometbft/cometbft")
	}
	if string(m[1]) != CometBFTVersion {
		t.Fatalf("go.mod requires CometBFT %s but app.CometBFTVersion is %s: update app/version.go", m[1], CometBFTVersion)
	}
	if got := CometBFTVersionFromInfo(infoData()); got != CometBFTVersion {
		t.Fatalf("round trip through /abci_info data: %q", got)
	}
	for _, data := range []string{"", "selfchain", "other-app 1.0", " cometbft/v1"} {
		if got := CometBFTVersionFromInfo(data); got != "" {
			t.Fatalf("%q: %q", data, got)
		}
	}
}
