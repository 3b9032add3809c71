package app_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
)

// The [poai] section round-trips through app.toml, and bad values name their key.
func TestPoAIConfig(t *testing.T) {
	home := t.TempDir()
	c := app.DefaultConfig()
	c.PoAI.Analyzer = "llm"
	c.PoAI.ExtendVoteWait = 150 * time.Millisecond
	c.PoAI.LLM.Endpoint, c.PoAI.LLM.Model, c.PoAI.LLM.Timeout = "http://127.0.0.1:8000/v1", "risk-7b", 1500*time.Millisecond
	require.NoError(t, app.WriteConfig(home, c))
	got, err := app.LoadConfig(home)
	require.NoError(t, err)
	require.Equal(t, c.PoAI, got.PoAI)

	// A file written before [poai] existed gets the defaults.
	require.NoError(t, app.WriteConfig(home, app.DefaultConfig()))
	bz, _ := os.ReadFile(app.ConfigPath(home))
	old := string(bz[:strings.Index(string(bz), "[poai]")])
	require.NoError(t, os.WriteFile(app.ConfigPath(home), []byte(old), 0o644))
	got, err = app.LoadConfig(home)
	require.NoError(t, err)
	require.Equal(t, app.DefaultConfig().PoAI, got.PoAI)

	for _, tc := range []struct{ edit, want string }{
		{`analyzer = "magic"`, "poai.analyzer"},
		{`analyzer = "llm"`, "[poai.llm] endpoint and model"},
		{"analyzer = \"builtin\"\nextend-vote-wait = \"1m\"", "poai.extend-vote-wait"},
	} {
		require.NoError(t, os.WriteFile(app.ConfigPath(home), []byte(old+"[poai]\n"+tc.edit+"\n"), 0o644))
		_, err := app.LoadConfig(home)
		require.ErrorContains(t, err, tc.want)
	}
}
